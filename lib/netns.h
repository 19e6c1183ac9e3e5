/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network namespaces: finding every one, naming them, and opening a
 * sock_diag socket inside one without ever moving the caller's thread. */
#ifndef WHOSOCK_NETNS_H
#define WHOSOCK_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;
struct whosock_snapshot;

/* A namespace and the ways to reach it. */
struct netns {
	uint64_t inode;
	const char *name; /* `ip netns` name, in the set's arena, or NULL */
	const char *path; /* its bind mount (/run/netns/NAME), or NULL */
	int pid;          /* a process living in it (its /proc/PID/net is the fallback), or 0 */
	int holder_pid;   /* a process holding it open as fd holder_fd, or 0 */
	int holder_fd;
	int fd;           /* an open handle (from a socket's SIOCGSKNS), or -1 */
};

struct netns_set {
	struct netns *v;
	size_t n, cap;
	struct whosock_snapshot *arena; /* names */
};

/* Empty set; names go to arena. */
void netns_set_init(struct netns_set *set, struct whosock_snapshot *arena);
void netns_set_free(struct netns_set *set);

/* The entry for inode, added if new. Returns it or NULL (out of memory). */
struct netns *netns_set_get(struct netns_set *set, uint64_t inode);
struct netns *netns_set_find(const struct netns_set *set, uint64_t inode);

/* Add the namespaces bind-mounted in dir (/run/netns, /var/run/netns) with
 * their names. A missing dir is not an error. Returns 0 or -ENOMEM. */
int netns_add_named(struct netns_set *set, const char *dir);

/* The cheap part of finding namespaces: the ones processes live in
 * (proc_root/PID/ns/net) and the named ones. Returns 0 or a negative errno. */
int netns_discover(struct netns_set *set, const char *proc_root);

/* "net:[4026531840]" → 4026531840; 0 when it is not a net namespace link. */
uint64_t netns_parse_link(const char *link, size_t len);

/* The inode of the namespace of the calling thread, or 0. */
uint64_t netns_current(void);

/* An fd (O_RDONLY | O_CLOEXEC) of ns to setns() into: its own handle, its
 * bind mount, a process's ns/net or an fd held open, checked to be that
 * namespace still. Returns the fd or a negative errno (-ENOENT: no way
 * to reach it, -ESTALE: the pid or fd now names another one). */
int netns_open(const char *proc_root, const struct netns *ns);

/* Open a NETLINK_SOCK_DIAG socket inside ns (subscribed to groups, as
 * sockdiag_open_groups(), when not 0). A short-lived thread enters the
 * namespace, opens the socket and ends: the caller's thread never changes
 * namespace, even on error. threadless (WHOSOCK_FLAG_NO_THREADS): the
 * caller's thread enters and comes back itself (-ENOTRECOVERABLE if it
 * could not come back). Returns 0 and *out, or a negative errno (-EPERM:
 * entering refused; -ENOENT/-ESRCH: the namespace's holder is gone). */
int netns_sockdiag_open(const char *proc_root, const struct netns *ns, unsigned groups,
			bool threadless, struct mnl_socket **out);


#endif
