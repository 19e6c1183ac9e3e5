/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/magic.h>
#include <linux/sockios.h>

#include "netns.h"
#include "snapshot.h"
#include "sockdiag.h"

void netns_set_init(struct netns_set *set, struct whosock_snapshot *arena)
{
	*set = (struct netns_set){ .arena = arena };
}

void netns_set_free(struct netns_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].fd >= 0)
			close(set->v[i].fd);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

struct netns *netns_set_find(const struct netns_set *set, uint64_t inode)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].inode == inode)
			return &set->v[i];
	return NULL;
}

struct netns *netns_set_get(struct netns_set *set, uint64_t inode)
{
	struct netns *ns = netns_set_find(set, inode);

	if (ns)
		return ns;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct netns *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		set->v = v;
		set->cap = cap;
	}
	ns = &set->v[set->n++];
	*ns = (struct netns){ .inode = inode, .fd = -1 };
	return ns;
}

static bool is_nsfs(int dirfd, const char *name)
{
	struct statfs sfs;
	int fd = openat(dirfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	bool yes;

	if (fd < 0)
		return false;
	yes = fstatfs(fd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
	close(fd);
	return yes;
}

int netns_add_named(struct netns_set *set, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct netns *ns;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* A name whose bind mount is gone (a plain file left by an
		 * unclean delete, or one not mounted yet) is not a namespace:
		 * only an nsfs file is. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || st.st_ino == 0)
			continue;
		if (st.st_size != 0 || !S_ISREG(st.st_mode) || !is_nsfs(dirfd(d), de->d_name))
			continue;
		ns = netns_set_get(set, (uint64_t)st.st_ino);
		if (!ns) {
			r = -ENOMEM;
			break;
		}
		if (!ns->name) {
			char path[PATH_MAX];
			int n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);

			ns->name = snapshot_strndup(set->arena, de->d_name, strlen(de->d_name));
			ns->path = n > 0 && (size_t)n < sizeof(path)
					   ? snapshot_strndup(set->arena, path, (size_t)n)
					   : NULL;
			if (!ns->name || (n > 0 && (size_t)n < sizeof(path) && !ns->path)) {
				r = -ENOMEM;
				break;
			}
		}
	}
	closedir(d);
	return r;
}

uint64_t netns_parse_link(const char *link, size_t len)
{
	uint64_t v = 0;

	if (len < 7 || memcmp(link, "net:[", 5) != 0 || link[len - 1] != ']')
		return 0;
	for (size_t i = 5; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > UINT64_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v;
}

uint64_t netns_current(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* (netns.h) */
int netns_open(const char *proc_root, const struct netns *ns)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (ns->fd >= 0) {
		fd = fcntl(ns->fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	if (ns->path)
		snprintf(path, sizeof(path), "%s", ns->path);
	else if (ns->pid)
		snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, ns->pid);
	else if (ns->holder_pid)
		snprintf(path, sizeof(path), "%s/%d/fd/%d", proc_root, ns->holder_pid,
			 ns->holder_fd);
	else
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The pid or fd may have been reused since: it must still be this one. */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != ns->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* In the calling thread: enter nsfd's namespace and open the socket there
 * (subscribed to groups). Returns its fd (without the libmnl wrapper) or a
 * negative errno; the thread is left in that namespace. */
static int open_inside(int nsfd, unsigned groups)
{
	struct mnl_socket *nl;
	int fd, r;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	r = sockdiag_open_groups(groups, &nl);
	if (r < 0)
		return r;
	fd = fcntl(mnl_socket_get_fd(nl), F_DUPFD_CLOEXEC, 0);
	r = fd < 0 ? -errno : fd;
	mnl_socket_close(nl);
	return r;
}

struct enter {
	int nsfd;
	unsigned groups;
	int result; /* netlink socket fd, or negative errno */
};

/* This thread lives only for this: whatever happens, it ends here and takes
 * its namespace with it. */
static void *enter_main(void *data)
{
	struct enter *e = data;

	e->result = open_inside(e->nsfd, e->groups);
	return NULL;
}

/* Without a thread: in and out again on the caller's own. */
static int enter_here(int nsfd, unsigned groups)
{
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (home < 0)
		return -errno;
	r = open_inside(nsfd, groups);
	if (setns(home, CLONE_NEWNET) < 0) {
		/* Cannot happen with the fd of the namespace we were in; if it
		 * does, the caller must know its thread was left elsewhere. */
		if (r >= 0)
			close(r);
		r = -ENOTRECOVERABLE;
	}
	close(home);
	return r;
}

int netns_sockdiag_open(const char *proc_root, const struct netns *ns, unsigned groups,
			bool threadless, struct mnl_socket **out)
{
	struct enter e = { .result = -EIO, .groups = groups };
	struct mnl_socket *nl;
	pthread_t thread;
	int r = 0;

	e.nsfd = netns_open(proc_root, ns);
	if (e.nsfd < 0)
		return e.nsfd;
	if (threadless) {
		e.result = enter_here(e.nsfd, groups);
	} else {
		r = pthread_create(&thread, NULL, enter_main, &e);
		if (r == 0)
			pthread_join(thread, NULL);
	}
	close(e.nsfd);
	if (r != 0)
		return -r;
	if (e.result < 0)
		return e.result;
	nl = mnl_socket_fdopen(e.result);
	if (!nl) {
		r = -errno;
		close(e.result);
		return r;
	}
	*out = nl;
	return 0;
}

int netns_discover(struct netns_set *set, const char *proc_root)
{
	struct dirent *de;
	DIR *d = opendir(proc_root);
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX], link[64];
		struct netns *ns;
		uint64_t inode;
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/ns/net", proc_root, de->d_name);
		n = readlink(path, link, sizeof(link));
		inode = n > 0 ? netns_parse_link(link, (size_t)n) : 0;
		if (!inode)
			continue;
		ns = netns_set_get(set, inode);
		if (!ns) {
			r = -ENOMEM;
			break;
		}
		if (!ns->pid)
			ns->pid = atoi(de->d_name);
	}
	closedir(d);
	if (r == 0)
		r = netns_add_named(set, "/run/netns");
	if (r == 0)
		r = netns_add_named(set, "/var/run/netns");
	return r;
}

int whosock_netns_resolve(const char *spec, uint64_t *inode)
{
	char path[PATH_MAX];
	struct stat st;
	char *end;
	unsigned long long v;

	if (!spec || !*spec)
		return -EINVAL;
	if (strncmp(spec, "pid:", 4) == 0) {
		errno = 0;
		v = strtoull(spec + 4, &end, 10);
		if (errno || end == spec + 4 || *end || v == 0 || v > 4194304)
			return -EINVAL;
		snprintf(path, sizeof(path), "/proc/%llu/ns/net", v);
	} else if (spec[strspn(spec, "0123456789")] == '\0') {
		errno = 0;
		v = strtoull(spec, &end, 10);
		if (errno || v == 0)
			return -EINVAL;
		*inode = v;
		return 0;
	} else {
		if (strchr(spec, '/') || strcmp(spec, ".") == 0 || strcmp(spec, "..") == 0)
			return -EINVAL;
		/* Where ip netns keeps them; /var/run is /run on most systems. */
		snprintf(path, sizeof(path), "/run/netns/%s", spec);
		if (stat(path, &st) == 0) {
			*inode = (uint64_t)st.st_ino;
			return 0;
		}
		snprintf(path, sizeof(path), "/var/run/netns/%s", spec);
	}
	if (stat(path, &st) < 0)
		return -errno;
	*inode = (uint64_t)st.st_ino;
	return 0;
}
