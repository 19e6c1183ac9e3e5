/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network namespaces a watcher watches: found (processes, bind mounts),
 * entered (a dump socket, a destroy-report socket and the socket counters
 * of each), and dropped with all of that when nothing keeps them any more.
 * inotify on the bind-mount directories and rtnetlink's namespace-id
 * messages say when to look again, so that a new namespace is watched
 * within a PEEK of being made; a slow periodic look catches the rest. */
#ifndef WHOSOCK_NSWATCH_H
#define WHOSOCK_NSWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netns.h"
#include "whosock/whosock.h"

struct mnl_socket;

/* One watched namespace. */
struct wns {
	struct netns ns; /* name and path point to name_buf and path_buf */
	char name_buf[256];  /* an `ip netns` name (NAME_MAX), "" for none */
	char path_buf[320];  /* its bind mount, "" for none */
	bool own;        /* the caller's namespace */
	bool present;    /* seen by the last discovery */
	bool held_only;  /* found by the last deep look only (held by an fd or a
			    socket): kept until the next deep look */
	struct mnl_socket *dump;
	struct mnl_socket *destroy;
	bool polled;      /* destroy is in the watcher's epoll set */
	unsigned overrun_tick; /* the watcher's tick when destroy last overran (lost reports), 0 */
	bool dumped;      /* this tick's dump worked: what it lacks is closed */
	bool unreachable; /* entering failed: not retried until the next discovery */
	bool retry;       /* a discovery came since: entering is tried again (unreachable
			     says so until it works, for the status) */
	int dump_error;   /* the last dump's failure (negative errno), 0 */
	/* sockstat and sockstat6 of the namespace (-1: none), and their
	 * "inuse" counts when last read: [0 IPv4, 1 IPv6][TCP, UDP, UDP-Lite],
	 * -1 when unknown. */
	bool stat_opened;
	int stat_fd[2];
	long inuse[2][3];
};

struct nswatch {
	struct wns *v; /* v[0]: the caller's namespace */
	size_t n, cap;
	bool host_only;
	bool no_threads; /* WHOSOCK_FLAG_NO_THREADS: enter namespaces on the caller's thread */
	const struct whosock_filter *filter; /* its netns member: which to watch */
	unsigned destroy_groups;
	bool no_destroy; /* subscribing to destroy reports was refused */
	int inotify_fd;  /* -1: none */
	int run_wd;      /* inotify's watch of /run (-1: none) */
	struct mnl_socket *rtnl; /* RTNLGRP_NSID, or NULL */
	uint64_t next_discover_ms;
	unsigned until_deep; /* discoveries before the next deep look (0: this one) */
	unsigned burst;  /* discoveries still due soon after a wake-up */
	size_t dropped;  /* namespaces dropped since the start */
};

/* Watch the caller's namespace and (unless host_only) the others that
 * filter's netns member names (all when it names none); filter must outlive
 * nw. Returns 0 or a negative errno. */
int nswatch_init(struct nswatch *nw, bool host_only, const struct whosock_filter *filter,
		 unsigned destroy_groups);
void nswatch_free(struct nswatch *nw);

/* Look for namespaces now: new ones are added (not yet entered), those that
 * nothing keeps any more are dropped with their sockets and counters, after
 * gone(inode, data) was called for each. Returns how many were added, or a
 * negative errno (then nothing was dropped). */
int nswatch_discover(struct nswatch *nw, uint64_t now_ms, void (*gone)(uint64_t, void *),
		     void *data);

/* Whether a discovery is due at now_ms. */
bool nswatch_discover_due(const struct nswatch *nw, uint64_t now_ms);
/* When the next one is due. */
uint64_t nswatch_next_discover(const struct nswatch *nw);

struct wns *nswatch_find(struct nswatch *nw, uint64_t inode);

/* Open ns's dump socket and, unless refused before, its destroy-report
 * socket; a refusal marks it unreachable until the next discovery. */
void nswatch_open_sockets(struct nswatch *nw, struct wns *ns);

/* Read every namespace's counters; true when any moved since the last
 * read. *complete: every namespace's could be read. */
bool nswatch_counters_moved(struct nswatch *nw, bool *complete);

/* The fds that say namespaces come and go (at most 2, -1 for none). */
void nswatch_wake_fds(const struct nswatch *nw, int fds[2]);

/* Drain them after poll() said so: discoveries follow at once and twice
 * more shortly after (a bind mount follows its file). */
void nswatch_woken(struct nswatch *nw, uint64_t now_ms);

#endif
