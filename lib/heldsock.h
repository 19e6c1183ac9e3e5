/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a socket held by another process is, asked of the socket itself. */
#ifndef WHOSOCK_HELDSOCK_H
#define WHOSOCK_HELDSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "owners.h"
#include "whosock/whosock.h"

struct heldsock {
	uint64_t ns_inode;
	int ns_fd; /* an open handle to its namespace (O_CLOEXEC), the caller's */
	int family, type, protocol;
	bool protocol_known, cookie_known, bound_inactive, has_addr;
	uint64_t cookie;
	int state;        /* with HELDSOCK_DETAILS: LISTEN, ESTABLISHED or CLOSE */
	uint8_t addr[16]; /* inet (SCTP) local address, has_addr */
	uint16_t port;
	char local[96];   /* with HELDSOCK_DETAILS: "cid:port", "type/name", or "" */
};

enum {
	HELDSOCK_BOUND = 1u << 0,   /* is it a bound but inactive TCP socket */
	HELDSOCK_DETAILS = 1u << 1, /* state and local address, for a family no dump lists */
};

/* Inspect the socket that process pid holds as fd, expected to be socket
 * inode sock_inode (pidfd_getfd; needs ptrace access to pid): family, type,
 * protocol, cookie, its namespace (SIOCGSKNS: an open handle the caller
 * closes) and what `what` asks for. Returns 0 and *out, or a negative errno
 * (-ESTALE: the fd no longer holds that socket; -ESRCH, -EBADF: gone).
 * *out is untouched on failure. */
int heldsock_inspect(int pid, int fd, uint64_t sock_inode, unsigned what, struct heldsock *out);

/* Whether the dumps list sockets of this family (and protocol): inet but
 * SCTP, UNIX, packet, netlink. The others get rows from heldsock_to_socket(). */
bool heldsock_family_dumped(int family, int protocol);

/* Sort u by inode and keep one entry per socket (its lowest pid and fd),
 * leaving out those process self_pid holds. Returns the new count. */
size_t heldsock_unique(struct owners_unlisted *u, size_t n, int self_pid);

/* The row of an inspected socket (inode, netns, kind, type, state, protocol,
 * cookie, local address; local_text is h->local, which the caller copies
 * into its snapshot when WHOSOCK_KNOWN_LOCAL is set). Owners come later. */
void heldsock_to_socket(const struct heldsock *h, uint64_t inode, struct whosock_socket *out);

#endif
