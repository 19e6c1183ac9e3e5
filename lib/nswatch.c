/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespaces a watcher watches (see nswatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "filter.h"
#include "nswatch.h"
#include "snapshot.h"
#include "sockdiag.h"
#include "take.h"

/* A look at every process's namespace costs one readlink per process: a
 * slow periodic one finds namespaces no event announces (unshare -n without
 * a bind mount or a veth), events make the rest prompt. */
#define DISCOVER_MS 2000
/* After a wake-up: a bind mount comes a moment after its file, so look
 * again shortly after, NSWATCH_BURST times. */
#define BURST_MS 50
#define NSWATCH_BURST 3
/* Events read per wake-up at most: a flood of them must not stall the
 * watcher (what is left wakes it again). */
#define MAX_DRAIN 16
/* Every DEEP_EVERY-th periodic look is deep: a namespace no process lives in
 * and no bind mount names, kept by an fd or only by a socket some process
 * holds, is found the way a snapshot finds it (the cost of a listing of
 * every socket with owners, so not every time). */
#define DEEP_EVERY 5

static const char *const named_dirs[] = { "/run/netns", "/var/run/netns" };

/* Watch the bind-mount directories, and /run for the making of /run/netns
 * (ip netns makes it with the first namespace). */
static void watch_dirs(struct nswatch *nw)
{
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR;

	if (nw->inotify_fd < 0)
		return;
	for (size_t i = 0; i < sizeof(named_dirs) / sizeof(named_dirs[0]); i++)
		/* (Already watched, or missing: both harmless.) */
		inotify_add_watch(nw->inotify_fd, named_dirs[i], mask);
	nw->run_wd = inotify_add_watch(nw->inotify_fd, "/run", IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
}

/* Whether the inotify events in buf[0..len) concern namespaces: anything in
 * the bind-mount directories, only "netns" itself in /run (where much else
 * comes and goes). */
static bool about_namespaces(const struct nswatch *nw, const char *buf, size_t len)
{
	for (size_t off = 0; off + sizeof(struct inotify_event) <= len;) {
		const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

		if (ev->wd != nw->run_wd || (ev->len && strcmp(ev->name, "netns") == 0) ||
		    (ev->mask & IN_Q_OVERFLOW))
			return true;
		off += sizeof(*ev) + ev->len;
	}
	return false;
}

static struct mnl_socket *open_rtnl(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int group = RTNLGRP_NSID;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

static int grow(struct nswatch *nw)
{
	struct wns *v;
	size_t cap;

	if (nw->n < nw->cap)
		return 0;
	cap = nw->cap ? nw->cap * 2 : 16;
	v = realloc(nw->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	nw->v = v;
	nw->cap = cap;
	return 0;
}

/* Copy src (NULL: none) into buf; false when it does not fit. */
static bool copy_str(char *buf, size_t cap, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len >= cap)
		return false;
	memcpy(buf, src ? src : "", len + 1);
	return true;
}

/* The entries moved (grown, compacted): their names point to their own
 * buffers again. */
static void repoint(struct nswatch *nw)
{
	for (size_t i = 0; i < nw->n; i++) {
		struct wns *w = &nw->v[i];

		w->ns.name = w->name_buf[0] ? w->name_buf : NULL;
		w->ns.path = w->path_buf[0] ? w->path_buf : NULL;
	}
}

int nswatch_init(struct nswatch *nw, bool host_only, const struct whosock_filter *filter,
		 unsigned destroy_groups)
{
	*nw = (struct nswatch){ .host_only = host_only, .filter = filter,
				.destroy_groups = destroy_groups, .inotify_fd = -1, .run_wd = -1 };
	if (grow(nw) < 0)
		return -ENOMEM;
	nw->v[nw->n++] = (struct wns){ .ns = { .inode = netns_current(), .fd = -1 },
				       .own = true, .present = true };
	if (!host_only) {
		nw->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		watch_dirs(nw);
		nw->rtnl = open_rtnl();
	}
	return 0;
}

static void close_counters(struct wns *ns)
{
	for (int k = 0; ns->stat_opened && k < 2; k++)
		if (ns->stat_fd[k] >= 0)
			close(ns->stat_fd[k]);
	ns->stat_opened = false;
}

static void close_ns(struct wns *ns)
{
	sockdiag_close(ns->dump);
	sockdiag_close(ns->destroy);
	close_counters(ns);
}

void nswatch_free(struct nswatch *nw)
{
	for (size_t i = 0; i < nw->n; i++)
		close_ns(&nw->v[i]);
	free(nw->v);
	if (nw->inotify_fd >= 0)
		close(nw->inotify_fd);
	if (nw->rtnl)
		mnl_socket_close(nw->rtnl);
	*nw = (struct nswatch){ .inotify_fd = -1 };
}

struct wns *nswatch_find(struct nswatch *nw, uint64_t inode)
{
	for (size_t i = 0; i < nw->n; i++)
		if (nw->v[i].ns.inode == inode)
			return &nw->v[i];
	return NULL;
}

/* What a discovery found of ns: how to reach it now, its name. */
static void refresh(struct wns *w, const struct netns *found)
{
	/* (A name past NAME_MAX cannot be: then the namespace has none.) */
	if (!copy_str(w->name_buf, sizeof(w->name_buf), found->name))
		w->name_buf[0] = '\0';
	if (!copy_str(w->path_buf, sizeof(w->path_buf), found->path))
		w->path_buf[0] = '\0';
	/* Counters not opened for want of a process: now there is one. */
	if (found->pid != w->ns.pid && w->stat_opened && !w->own &&
	    (w->stat_fd[0] < 0 || w->stat_fd[1] < 0))
		close_counters(w);
	w->ns.pid = found->pid;
	w->ns.holder_pid = found->holder_pid;
	w->ns.holder_fd = found->holder_fd;
	w->present = true;
}

/* The look itself: the cheap one (processes' namespaces, bind mounts), or
 * the deep one, as a snapshot finds them. */
static int look(const struct nswatch *nw, bool deep, struct whosock_snapshot **arena,
		struct netns_set *found)
{
	int r;

	if (deep)
		return take_namespaces(nw->no_threads, arena, found);
	*arena = snapshot_new();
	if (!*arena)
		return -ENOMEM;
	netns_set_init(found, *arena);
	r = netns_discover(found, "/proc");
	if (r < 0) {
		netns_set_free(found);
		whosock_snapshot_free(*arena);
		*arena = NULL;
	}
	return r;
}

/* The filter names the namespaces to watch and each is watched and still
 * has its bind mount (the same inode), or is the caller's: none can have
 * gone and no other is wanted, so no look is needed (a walk of /proc, a
 * readlink per process: thousands on a busy machine). */
static bool names_hold(const struct nswatch *nw)
{
	if (!nw->filter || !nw->filter->netns || !nw->filter->n_netns)
		return false;
	for (size_t i = 0; i < nw->filter->n_netns; i++) {
		const struct wns *w = NULL;
		struct stat st;

		for (size_t k = 0; k < nw->n && !w; k++)
			if (nw->v[k].ns.inode == nw->filter->netns[i])
				w = &nw->v[k];
		if (!w || !w->present)
			return false;
		if (w->own)
			continue;
		if (!w->path_buf[0] || stat(w->path_buf, &st) < 0 ||
		    (uint64_t)st.st_ino != w->ns.inode)
			return false;
	}
	return true;
}

int nswatch_discover(struct nswatch *nw, uint64_t now_ms, void (*gone)(uint64_t, void *),
		     void *data)
{
	struct whosock_snapshot *arena = NULL;
	struct netns_set found;
	size_t added = 0;
	bool deep = false;
	int r;

	nw->next_discover_ms = now_ms + (nw->burst ? BURST_MS : DISCOVER_MS);
	if (nw->burst) {
		nw->burst--;
	} else {
		deep = nw->until_deep == 0;
		nw->until_deep = deep ? DEEP_EVERY - 1 : nw->until_deep - 1;
	}
	for (size_t i = 0; i < nw->n; i++)
		nw->v[i].retry = true; /* entering is tried again */
	if (nw->host_only || names_hold(nw))
		return 0;
	r = look(nw, deep, &arena, &found);
	if (r < 0)
		return r;
	/* What only a deep look finds stays until the next one. */
	for (size_t i = 1; i < nw->n; i++)
		nw->v[i].present = nw->v[i].held_only && !deep;
	for (size_t i = 0; r == 0 && i < found.n; i++) {
		struct netns *f = &found.v[i];
		struct wns *w;

		if (!filter_match_netns(nw->filter, f->inode) && f->inode != nw->v[0].ns.inode)
			continue;
		w = nswatch_find(nw, f->inode);
		if (!w) {
			r = grow(nw);
			if (r < 0)
				break;
			w = &nw->v[nw->n++];
			*w = (struct wns){ .ns = { .inode = f->inode, .fd = -1 } };
			added++;
		}
		refresh(w, f);
		w->held_only = !f->pid && !f->path;
		/* Reached only through a socket's handle: the watcher's
		 * sockets are opened through it now, and the handle closed
		 * (held, it would be an fd of ours keeping the namespace
		 * alive, found again by every deep look). */
		if (!w->dump && f->fd >= 0) {
			w->ns.fd = f->fd;
			f->fd = -1;
			repoint(nw);
			nswatch_open_sockets(nw, w);
			close(w->ns.fd);
			w->ns.fd = -1;
		}
	}
	if (r < 0) {
		/* Keep every namespace: nothing is dropped on a failed look. */
		for (size_t i = 0; i < nw->n; i++)
			nw->v[i].present = true;
		goto out;
	}
	for (size_t i = nw->n; i-- > 1;) {
		if (nw->v[i].present)
			continue;
		if (gone)
			gone(nw->v[i].ns.inode, data);
		close_ns(&nw->v[i]);
		memmove(&nw->v[i], &nw->v[i + 1], (nw->n - i - 1) * sizeof(*nw->v));
		nw->n--;
		nw->dropped++;
	}
out:
	repoint(nw);
	netns_set_free(&found);
	whosock_snapshot_free(arena);
	return r < 0 ? r : (int)added;
}

bool nswatch_discover_due(const struct nswatch *nw, uint64_t now_ms)
{
	return !nw->host_only && now_ms >= nw->next_discover_ms;
}

uint64_t nswatch_next_discover(const struct nswatch *nw)
{
	return nw->host_only ? UINT64_MAX : nw->next_discover_ms;
}

void nswatch_open_sockets(struct nswatch *nw, struct wns *ns)
{
	if (ns->unreachable && !ns->retry)
		return;
	ns->retry = false;
	if (!ns->dump && (ns->own ? sockdiag_open(&ns->dump)
				  : netns_sockdiag_open("/proc", &ns->ns, 0, nw->no_threads, &ns->dump)) < 0) {
		ns->dump = NULL;
		ns->unreachable = true;
		return;
	}
	ns->unreachable = false;
	/* Refused (a kernel or security module that restricts the groups):
	 * closes are then seen at the next dump. */
	if (!ns->destroy && !nw->no_destroy &&
	    (ns->own ? sockdiag_open_groups(nw->destroy_groups, &ns->destroy)
		     : netns_sockdiag_open("/proc", &ns->ns, nw->destroy_groups, nw->no_threads,
					   &ns->destroy)) < 0) {
		ns->destroy = NULL;
		nw->no_destroy = true;
	}
}

/* ---- socket counters: a cheap sign that something opened or closed ---- */

/* The "inuse" counts of the TCP, UDP and UDP-Lite lines of one sockstat
 * file ("TCP: inuse 3 orphan 0 ...", "UDP6: inuse 1"); 0 where the line is
 * missing (a kernel without UDP-Lite). */
static void parse_inuse(const char *buf, long out[3])
{
	static const char *const names[3] = { "TCP", "UDP", "UDPLITE" };

	out[0] = out[1] = out[2] = 0;
	for (const char *line = buf; line && *line;) {
		const char *end = strchr(line, '\n'), *colon = strchr(line, ':');
		size_t len = colon ? (size_t)(colon - line) : 0;

		if (len > 0 && line[len - 1] == '6')
			len--; /* sockstat6: TCP6, UDP6, UDPLITE6 */
		for (int k = 0; colon && (!end || colon < end) && k < 3; k++)
			if (len == strlen(names[k]) && strncmp(line, names[k], len) == 0 &&
			    strncmp(colon, ": inuse ", 8) == 0)
				out[k] = strtol(colon + 8, NULL, 10);
		line = end ? end + 1 : NULL;
	}
}

/* The counters of ns: for the caller's namespace its own, else those of a
 * process living there, checked to be that namespace's (the pid may have
 * exited and been reused). The open file stays on the namespace when the
 * process leaves it. */
static void open_counters(struct wns *ns)
{
	static const char *const names[2] = { "sockstat", "sockstat6" };
	char path[64], link[64];
	ssize_t n;

	ns->stat_opened = true;
	for (int k = 0; k < 2; k++) {
		ns->stat_fd[k] = -1;
		if (ns->own)
			snprintf(path, sizeof(path), "/proc/thread-self/net/%s", names[k]);
		else if (ns->ns.pid > 0)
			snprintf(path, sizeof(path), "/proc/%d/net/%s", ns->ns.pid, names[k]);
		else
			continue;
		ns->stat_fd[k] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns->own || ns->stat_fd[k] < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", ns->ns.pid);
		n = readlink(path, link, sizeof(link));
		if (n <= 0 || netns_parse_link(link, (size_t)n) != ns->ns.inode) {
			close(ns->stat_fd[k]);
			ns->stat_fd[k] = -1;
		}
	}
}

bool nswatch_counters_moved(struct nswatch *nw, bool *complete)
{
	bool moved = false;

	*complete = true;
	for (size_t i = 0; i < nw->n; i++) {
		struct wns *ns = &nw->v[i];

		if (!ns->stat_opened)
			open_counters(ns);
		for (int k = 0; k < 2; k++) {
			char buf[512];
			ssize_t n = ns->stat_fd[k] >= 0 ? pread(ns->stat_fd[k], buf, sizeof(buf) - 1, 0) : -1;
			long now[3] = { -1, -1, -1 }; /* unknown: unreadable */

			if (n > 0) {
				buf[n] = '\0';
				parse_inuse(buf, now);
			}
			for (int p = 0; p < 3; p++) {
				if (now[p] != ns->inuse[k][p])
					moved = true;
				if (now[p] < 0)
					*complete = false;
				ns->inuse[k][p] = now[p];
			}
		}
	}
	return moved;
}

/* ---- wake-ups ---- */

void nswatch_wake_fds(const struct nswatch *nw, int fds[2])
{
	fds[0] = nw->inotify_fd;
	fds[1] = nw->rtnl ? mnl_socket_get_fd(nw->rtnl) : -1;
}

void nswatch_woken(struct nswatch *nw, uint64_t now_ms)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;

	for (int i = 0; nw->inotify_fd >= 0 && i < MAX_DRAIN; i++) {
		ssize_t n = read(nw->inotify_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		relevant |= about_namespaces(nw, buf, (size_t)n);
	}
	for (int i = 0; nw->rtnl && i < MAX_DRAIN; i++) {
		if (mnl_socket_recvfrom(nw->rtnl, buf, sizeof(buf)) <= 0)
			break;
		relevant = true; /* RTNLGRP_NSID carries nothing else */
	}
	if (!relevant)
		return;
	watch_dirs(nw); /* /run/netns may have just been made */
	nw->burst = NSWATCH_BURST;
	nw->next_discover_ms = now_ms;
}
