/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher: successive dumps and the kernel's destroy reports turned into
 * opened/closed events.
 *
 * Each namespace keeps two netlink sockets: one for dumps filtered in the
 * kernel to what is watched (listening TCP and bound UDP, plus connections
 * when asked), one subscribed to the sock_diag destroy groups. A socket is
 * known by (namespace, cookie). New ones are attributed to processes without
 * rescanning everything: only processes whose fd count changed since the last
 * look (/proc/PID/fd reports it as its size) are scanned, with a full scan at
 * most every FULL_SCAN_MS for what that misses. The namespaces themselves
 * (found, entered, dropped when gone) are nswatch.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/types.h>
#include <netinet/in.h>

#include "whosock/watch.h"
#include "abi.h"
#include "bpf/socklife_rec.h"
#include "bpf_traffic.h"
#include "filter.h"
#include "nswatch.h"
#include "owners.h"
#include "tracker.h"
#include "watch_clock.h"
#include "watch_hooks.h"
#include "snapshot.h"
#include "sockcopy.h"
#include "sockdiag.h"
#include "watch_bpf.h"

/* Listeners only: how often the namespaces' socket counters are read; when
 * they move, the next dump is now instead of at the interval. */
#define PEEK_MS 100
/* While the counters of every namespace stay still and no close is
 * reported, the dump at the interval is skipped, up to this long (a safety
 * net for changes that cancel out in the counters, e.g. UDP-Lite). */
#define QUIET_MS 10000
#define FULL_SCAN_MS 5000
#define RECV_BUFFER_SIZE (64u * 1024u)
/* Receive calls per destroy socket and turn (each up to RECV_BUFFER_SIZE). */
#define MAX_DESTROY_READS 8
/* ... and before a dump, up to this many (64 KiB each). */
#define MAX_DRAIN_READS 256
/* Dumps a connection may be missing from before its close, never reported
 * by the kernel, is reported as last seen (where reports are intact). */
#define REPORT_WAIT_TICKS 10u
/* Kernel socket events (BPF) read per turn: more than the ring buffer
 * holds (4 MiB of 144-byte events), so one turn reads all that waits. */
#define MAX_BPF_EVENTS 32768
/* The BPF ring buffer's key in the epoll set (namespaces use their inode,
 * the wake-ups 0). */
#define BPF_EPOLL_KEY UINT64_MAX

static const unsigned destroy_groups =
	1u << (SKNLGRP_INET_TCP_DESTROY - 1) | 1u << (SKNLGRP_INET_UDP_DESTROY - 1) |
	1u << (SKNLGRP_INET6_TCP_DESTROY - 1) | 1u << (SKNLGRP_INET6_UDP_DESTROY - 1);

struct ring_entry {
	struct whosock_event ev;
	struct whosock_socket *sock;
};

struct pidfds {
	int pid;
	uint32_t uid; /* the process's effective uid (owner of /proc/PID/fd) */
	long nfds;
};

/* Owners of sockets closed lately: where a replacement socket likely is. */
#define MAX_CLOSERS 256

struct whosock_watch {
	struct whosock_watch_options opt;
	struct whosock_filter filter; /* opt.filter's copy */
	whosock_event_fn *fn;
	void *data;
	struct nswatch nw;
	struct tracker tk;
	struct ring_entry *ring;
	size_t ring_head, ring_n;
	struct pidfds *pids;
	size_t n_pids;
	int closers[MAX_CLOSERS];
	size_t n_closers;
	unsigned tick;
	bool baseline;
	uint64_t next_dump_ms, last_full_scan_ms, next_peek_ms, last_tick_ms;
	/* Listeners only: counters or destroy reports moved since the last
	 * dump; counters_complete: every namespace's counters are read. */
	bool dirty, counters_complete;
	char *buf;
	bool nw_ready;
	/* The one fd a caller polls: every namespace's destroy socket and the
	 * wake-ups (namespaces made or gone) in an epoll set. Each namespace
	 * is there by its inode (the wake-ups by 0): closing a dropped one's
	 * socket takes it out. */
	int epfd;
	uint64_t seq; /* of the last event */
	struct watch_hooks hooks;
	bool final_close; /* the closed event being reported comes from the kernel's report */
	/* The kernel's socket events and counters (NULL: not running, for
	 * bpf_error, a negative errno, 0 when not asked for). */
	struct bpf_traffic *bt;
	int bpf_error;
	uint64_t bpf_lost;    /* events the kernel dropped, as last seen */
	size_t bpf_turn;      /* events read in this turn */
	int bpf_event_error;  /* what handling one failed with (-ENOMEM) */
	struct openers openers; /* WHOSOCK_FLAG_KERNEL_OWNERS */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The dump the watcher calls: a test makes it fail. */
int (*watch_dump)(struct mnl_socket *nl, struct whosock_snapshot *snap, enum whosock_proto proto,
		  int family, const struct whosock_filter *f, unsigned ext) = sockdiag_dump;

/* The clock of the events' wall-clock stamps: a test steps it. */
int (*watch_realtime)(struct timespec *ts) = watch_clock_realtime;

int watch_clock_realtime(struct timespec *ts)
{
	return clock_gettime(CLOCK_REALTIME, ts);
}

/* ---- events ---- */

static void emit(struct whosock_watch *w, enum whosock_event_type type,
		 const struct whosock_socket *s, const uint64_t *first_seen_ms)
{
	struct ring_entry *e;
	struct whosock_event ev = { .type = type, .socket = s };

	/* What opens or closes while the baseline is taken (the kernel's
	 * events read during its dump) is part of it: no event (the caller
	 * does not even have its watcher yet). */
	if (w->baseline)
		return;
	watch_realtime(&ev.ts);
	ev.seq = ++w->seq;
	for (size_t i = 0; type == WHOSOCK_EVENT_CLOSED && i < s->n_owners; i++)
		if (w->n_closers < MAX_CLOSERS)
			w->closers[w->n_closers++] = s->owners[i].proc->pid;
	if (type == WHOSOCK_EVENT_CLOSED && first_seen_ms) {
		uint64_t now = now_ms();

		ev.lifetime_known = true;
		ev.lifetime_ms = now > *first_seen_ms ? now - *first_seen_ms : 0;
	}
	w->fn(&ev, w->data);
	/* The ring keeps its own copy; when memory runs out the event was
	 * still delivered, only its replay is lost. */
	e = &w->ring[(w->ring_head + w->ring_n) % w->opt.ring_size];
	if (w->ring_n == w->opt.ring_size) {
		free(e->sock);
		w->ring_head = (w->ring_head + 1) % w->opt.ring_size;
		w->ring_n--;
	}
	e->sock = sockcopy(s);
	if (!e->sock)
		return;
	e->ev = ev;
	e->ev.socket = e->sock;
	w->ring_n++;
}

/* Report t closed and forget it. */
static void report_closed(struct whosock_watch *w, struct tracked *t)
{
	emit(w, WHOSOCK_EVENT_CLOSED, t->sock, &t->first_seen_ms);
	tracker_bury(&w->tk, t);
}

/* Listeners only: how often the namespaces' socket counters are read, to
 * dump at once when they move (connections move them all the time). */
static bool peeking(const struct whosock_watch *w)
{
	return !w->opt.connections && w->opt.interval_ms > PEEK_MS;
}

/* A namespace that is gone took its sockets with it. */
static void ns_gone(uint64_t inode, void *data)
{
	struct whosock_watch *w = data;

	for (size_t i = 0; i < w->tk.cap; i++) {
		struct tracked *t = &w->tk.map[i];

		if (t->netns != inode)
			continue;
		report_closed(w, t);
		i--; /* a later member may have moved into this slot */
	}
}

/* ---- owners for new sockets ---- */

static int cmp_int(const void *a, const void *b)
{
	const int *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pidfds *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The processes whose fd count changed since the last look (all of them the
 * first time, or when the kernel does not report counts). */
static int changed_pids(struct whosock_watch *w, int **out, size_t *n_out)
{
	struct pidfds *now = NULL;
	size_t n = 0, cap = 0, k = 0, n_changed = 0;
	int *changed = NULL, procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (procfd < 0)
		return -errno;
	d = fdopendir(procfd);
	if (!d) {
		close(procfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		char path[32];
		struct stat st;
		int pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%d/fd", pid);
		if (fstatat(dirfd(d), path, &st, 0) < 0)
			continue;
		if (n == cap) {
			struct pidfds *p = realloc(now, (cap = cap ? cap * 2 : 512) * sizeof(*p));

			if (!p) {
				closedir(d);
				goto nomem;
			}
			now = p;
		}
		now[n++] = (struct pidfds){ pid, st.st_uid, st.st_size ? (long)st.st_size : -1 };
	}
	closedir(d);
	if (n)
		qsort(now, n, sizeof(*now), cmp_pid);
	changed = malloc((n ? n : 1) * sizeof(*changed));
	if (!changed)
		goto nomem;
	/* Both lists are sorted by pid: walk them side by side. */
	for (size_t i = 0; i < n; i++) {
		while (k < w->n_pids && w->pids[k].pid < now[i].pid)
			k++;
		if (k < w->n_pids && w->pids[k].pid == now[i].pid && now[i].nfds >= 0 &&
		    w->pids[k].nfds == now[i].nfds)
			continue;
		changed[n_changed++] = now[i].pid;
	}
	free(w->pids);
	w->pids = now;
	w->n_pids = n;
	*out = changed;
	*n_out = n_changed;
	return 0;
nomem:
	free(now);
	return -ENOMEM;
}

/* Give the sockets of snap owners by scanning pids (NULL: every process). */
static int scan_owners(struct whosock_watch *w, struct whosock_snapshot *snap, const int *pids,
		       size_t n_pids)
{
	struct owners_scan *scan;
	int r;

	if (pids && n_pids == 0)
		return 0;
	/* The /proc walk: the watcher's scans are of a few new pids, and its
	 * open fds are bounded (a BPF load holds several while it runs). */
	r = owners_scan_new("/proc", &w->filter, w->opt.want | WHOSOCK_WANT_OWNERS,
			    WHOSOCK_OWNERS_PROC, 1, pids, n_pids, &scan);
	if (r < 0)
		return r;
	owners_scan_work(scan, 0);
	r = owners_scan_attach(scan, snap);
	owners_scan_free(scan);
	return r;
}

/* Scan pids (NULL: every process) for the sockets of fresh that have no
 * owner yet. */
static int rescan_unowned(struct whosock_watch *w, struct whosock_snapshot *fresh, const int *pids,
			  size_t n_pids)
{
	struct whosock_snapshot *rest;
	int r = 0;

	if (pids && n_pids == 0)
		return 0;
	rest = snapshot_new();
	if (!rest)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < whosock_snapshot_count(fresh); i++)
		if (!whosock_snapshot_get(fresh, i)->n_owners)
			r = snapshot_push(rest, whosock_snapshot_get(fresh, i));
	if (r == 0 && whosock_snapshot_count(rest))
		r = scan_owners(w, rest, pids, n_pids);
	/* Copy the owners found back to fresh's sockets (same order). */
	for (size_t i = 0, k = 0; r == 0 && i < whosock_snapshot_count(fresh); i++) {
		struct whosock_socket *s = snapshot_at(fresh, i);

		if (s->n_owners)
			continue;
		s->owners = whosock_snapshot_get(rest, k)->owners;
		s->n_owners = whosock_snapshot_get(rest, k)->n_owners;
		k++;
	}
	/* The owners stay where they are: rest's sockets go, its arena and
	 * owner arrays move to fresh. */
	snapshot_truncate(rest, 0);
	if (r == 0)
		r = snapshot_merge(fresh, rest);
	whosock_snapshot_free(rest);
	return r;
}

static bool all_owned(const struct whosock_snapshot *snap)
{
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		if (!whosock_snapshot_get(snap, i)->n_owners)
			return false;
	return true;
}

/* The processes of the users that own the sockets still unowned, but those
 * in skip (sorted). */
static size_t same_user_pids(const struct whosock_watch *w, const struct whosock_snapshot *fresh,
			     const int *skip, size_t n_skip, int *out)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n_pids; i++) {
		bool match = false;

		for (size_t k = 0; !match && k < whosock_snapshot_count(fresh); k++) {
			const struct whosock_socket *s = whosock_snapshot_get(fresh, k);

			match = !s->n_owners && (s->known & WHOSOCK_KNOWN_UID) &&
				s->uid == w->pids[i].uid;
		}
		if (match && !bsearch(&w->pids[i].pid, skip, n_skip, sizeof(*skip), cmp_int))
			out[n++] = w->pids[i].pid;
	}
	return n;
}

/* Owners for the new sockets in fresh, cheapest guess first: processes whose
 * fd count changed and those that just closed a socket (a replacement keeps
 * the count); then the processes of the sockets' users; then, at most every
 * FULL_SCAN_MS, every process. */
static int attribute(struct whosock_watch *w, struct whosock_snapshot *fresh)
{
	int *pids = NULL, *more = NULL;
	size_t n_pids = 0, n_more;
	int r = changed_pids(w, &pids, &n_pids);

	if (r == 0) {
		int *p = realloc(pids, (n_pids + w->n_closers + 1) * sizeof(*p));

		if (!p) {
			r = -ENOMEM;
		} else {
			pids = p;
			memcpy(pids + n_pids, w->closers, w->n_closers * sizeof(*pids));
			n_pids += w->n_closers;
			w->n_closers = 0;
			qsort(pids, n_pids, sizeof(*pids), cmp_int);
			r = rescan_unowned(w, fresh, pids, n_pids);
		}
	}
	/* The baseline scanned every process already. */
	if (r == 0 && !w->baseline && !all_owned(fresh)) {
		more = malloc((w->n_pids + 1) * sizeof(*more));
		if (!more) {
			r = -ENOMEM;
		} else {
			n_more = same_user_pids(w, fresh, pids, n_pids, more);
			r = rescan_unowned(w, fresh, more, n_more);
		}
	}
	free(pids);
	free(more);
	if (r == 0 && !all_owned(fresh) && now_ms() - w->last_full_scan_ms >= FULL_SCAN_MS) {
		w->last_full_scan_ms = now_ms();
		r = rescan_unowned(w, fresh, NULL, 0);
	}
	return r;
}

/* ---- one dump ---- */

static bool watched(const struct whosock_watch *w, const struct whosock_socket *s)
{
	/* A UDP socket is "listening" once bound to a port. */
	if (s->proto != WHOSOCK_PROTO_TCP && s->local.port == 0)
		return false;
	return filter_match(&w->filter, s);
}

/* Whether ns may hold sockets of protocol index p (TCP, UDP, UDP-Lite) and
 * family index fam (0 IPv4, 1 IPv6, -1 either), as far as its counters tell
 * (read at every dump, after the events before it: a socket tracked then
 * and not counted now has closed). A dump walks the kernel's whole table
 * of that protocol, every namespace's sockets (TCP's established hash:
 * 262,144 buckets with 23 GiB of memory, 0.5-1 ms a walk), so a
 * table the namespace holds none of is not dumped. */
static bool may_hold(const struct wns *ns, size_t p, int fam)
{
	if (!ns->stat_opened)
		return true;
	if (fam < 0)
		return ns->inuse[0][p] != 0 || ns->inuse[1][p] != 0;
	return ns->inuse[fam][p] != 0;
}

static int dump_ns(struct whosock_watch *w, struct wns *ns, struct whosock_snapshot *snap)
{
	static const enum whosock_proto protos[] = { WHOSOCK_PROTO_TCP, WHOSOCK_PROTO_UDP,
						     WHOSOCK_PROTO_UDPLITE };
	size_t start = whosock_snapshot_count(snap), n_fam;
	int families[2], r = 0;

	ns->dumped = false;
	if (!filter_match_netns(&w->filter, ns->ns.inode))
		return 0;
	nswatch_open_sockets(&w->nw, ns);
	if (!ns->dump)
		return 0;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct whosock_filter f = w->filter;

		if (!(f.protos & WHOSOCK_PROTO_BIT(protos[i])))
			continue;
		f.protos = WHOSOCK_PROTO_BIT(protos[i]);
		if (protos[i] == WHOSOCK_PROTO_TCP)
			f.states = w->opt.connections
					   ? WHOSOCK_STATES_ALL & ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_TIME_WAIT) &
						     ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE) &
						     ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_NEW_SYN_RECV) &
						     ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_SYN_RECV) &
						     ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE)
					   : WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN);
		else
			f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE) |
				   (w->opt.connections ? WHOSOCK_STATE_BIT(WHOSOCK_STATE_ESTABLISHED) : 0);
		/* TCP: both families in one walk of the kernel's table. */
		n_fam = 0;
		if (protos[i] == WHOSOCK_PROTO_TCP && !f.families) {
			if (may_hold(ns, i, -1))
				families[n_fam++] = AF_UNSPEC;
		} else {
			for (int fam = 0; fam < 2; fam++)
				if ((!f.families || (f.families & (1u << (fam ? AF_INET6 : AF_INET)))) &&
				    may_hold(ns, i, fam))
					families[n_fam++] = fam ? AF_INET6 : AF_INET;
		}
		for (size_t k = 0; k < n_fam; k++) {
			r = watch_dump(ns->dump, snap, protos[i], families[k], &f,
				       w->opt.connections ? SOCKDIAG_EXT_TCP_INFO : 0);
			if (r == -ENOENT || r == -EOPNOTSUPP)
				r = 0; /* the kernel lacks it (UDP-Lite) */
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				/* Not dumped: its sockets are kept as they were (not
				 * reported closed), the failure is in the status, and
				 * the socket (maybe left mid-dump) is opened anew. */
				ns->dump_error = r;
				sockdiag_close(ns->dump);
				ns->dump = NULL;
				return 0;
			}
		}
	}
	for (size_t i = start; i < whosock_snapshot_count(snap); i++) {
		struct whosock_socket *s = snapshot_at(snap, i);

		s->netns = ns->ns.inode;
		s->netns_name = ns->ns.name;
	}
	ns->dumped = true;
	ns->dump_error = 0;
	return 0;
}

static void read_bpf(struct whosock_watch *w);

static bool read_destroyed(struct whosock_watch *w, struct wns *ns, int max_reads);

static int tick(struct whosock_watch *w)
{
	struct whosock_snapshot *snap = snapshot_new(), *fresh = snapshot_new();
	uint64_t now;
	int r = 0;

	/* What the kernel reported before this dump: a socket it names is
	 * tracked with its process before the dump sees it, and one it
	 * reported closed is closed with its final counters, not as the dump
	 * last saw it (behind a flood of closes, its report may otherwise be
	 * read after the close was reported from the dumps: twice). */
	read_bpf(w);
	for (size_t i = 0; i < w->nw.n; i++)
		if (w->nw.v[i].destroy)
			read_destroyed(w, &w->nw.v[i], MAX_DRAIN_READS);
	w->last_tick_ms = now_ms();
	/* The counters as of this dump: what moves them later is new to it
	 * (a close reported before an open would otherwise hide the open);
	 * the tables they show empty are not dumped (may_hold()). */
	nswatch_counters_moved(&w->nw, &w->counters_complete);
	if (!snap || !fresh) {
		r = -ENOMEM;
		goto out;
	}
	w->tick++;
	for (size_t i = 0; i < w->nw.n && r == 0; i++)
		r = dump_ns(w, &w->nw.v[i], snap);
	if (r < 0)
		goto out;
	/* And what the kernel reported while the dump ran: a connection
	 * both saw is tracked with the process the event names, not as the
	 * dump's, whose process may have gone by the time /proc is read. */
	read_bpf(w);
	now = now_ms();

	/* New sockets: attributed together, then reported. */
	for (size_t i = 0; r == 0 && i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		struct tracked *t;

		if (!watched(w, s))
			continue;
		t = tracker_find(&w->tk, s->netns, s->cookie);
		if (t) {
			tracker_seen(t, s, w->tick);
			continue;
		}
		/* Closed already, or orphaned (no process holds it any more):
		 * nobody opened it now. */
		if (!s->inode && w->baseline && w->hooks.orphan_at_start)
			w->hooks.orphan_at_start(w->hooks.data, s);
		if (!s->inode || tracker_was_closed(&w->tk, s->netns, s->cookie))
			continue;
		r = snapshot_push(fresh, s);
	}
	if (r == 0 && whosock_snapshot_count(fresh)) {
		if (w->baseline)
			w->last_full_scan_ms = now_ms();
		r = attribute(w, fresh);
	}
	for (size_t i = 0; r == 0 && i < whosock_snapshot_count(fresh); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(fresh, i);
		struct tracked *t = tracker_add(&w->tk, s, now, w->tick);

		if (!t) {
			r = -ENOMEM;
			break;
		}
		if (!w->baseline)
			emit(w, WHOSOCK_EVENT_OPENED, t->sock, NULL);
		/* A listener whose listen() the kernel's events did not see
		 * (before they loaded; a namespace found late): the
		 * connections it accepts are named after its process too. */
		if (w->bt && s->proto == WHOSOCK_PROTO_TCP && s->state == WHOSOCK_STATE_LISTEN &&
		    s->n_owners)
			bpf_traffic_add_listener(w->bt, s->netns, s->local.port, s->cookie,
						 s->owners[0].proc);
	}
	/* Gone since the last dump, in every namespace that was dumped. */
	for (size_t i = 0; r == 0 && i < w->tk.cap; i++) {
		struct tracked *t = &w->tk.map[i];
		struct wns *ns;

		if (!t->netns || t->seen == w->tick)
			continue;
		ns = nswatch_find(&w->nw, t->netns);
		if (ns && !ns->dumped)
			continue;
		/* Where the kernel reports closes, its report (with the final
		 * counters) comes, if late: behind a flood of closes the
		 * kernel's workqueue that sends them lags (seconds, on a busy
		 * machine), and reported closed before, the socket's report
		 * would find no tomb and count as another close. It waits
		 * REPORT_WAIT_TICKS dumps for it; 2 after reports were lost. */
		if (ns && ns->destroy &&
		    w->tick - t->seen < (ns->overrun_tick && w->tick - ns->overrun_tick <= REPORT_WAIT_TICKS
						 ? 2u : REPORT_WAIT_TICKS))
			continue;
		report_closed(w, t);
		i--; /* a later member may have moved into this slot */
	}
	if (r == 0 && w->hooks.dumped)
		w->hooks.dumped(w->hooks.data, &w->tk, w->bt, w->baseline);
	w->baseline = false;
out:
	whosock_snapshot_free(fresh);
	whosock_snapshot_free(snap);
	return r;
}

static void dump_soon(struct whosock_watch *w, uint64_t now);

/* ---- the kernel's socket events (BPF) ---- */

/* A socket the kernel saw open: tracked and reported at once, with its
 * owners from /proc when its process still holds it (fds, details), else
 * with the process the kernel named. WHOSOCK_FLAG_KERNEL_OWNERS: the
 * process the kernel named, with its details (read once a second at most:
 * no look at its fds, which a short connection's process has closed by
 * now). */
static int bpf_opened(struct whosock_watch *w, struct watch_bpf_sock *v)
{
	struct whosock_socket *s = &v->s;
	const struct whosock_socket *use = s;
	struct wns *ns = nswatch_find(&w->nw, s->netns);
	bool kernel_owners = w->opt.flags & WHOSOCK_FLAG_KERNEL_OWNERS;
	const struct whosock_process *known;
	struct whosock_snapshot *fresh = NULL;
	uint64_t now = now_ms();
	struct tracked *t;
	int r = 0;

	if (ns)
		s->netns_name = ns->ns.name;
	else if (w->opt.host_only)
		return 0; /* another namespace */
	if (!filter_match_netns(&w->filter, s->netns) ||
	    (s->proto == WHOSOCK_PROTO_TCP && !w->opt.connections &&
	     s->state != WHOSOCK_STATE_LISTEN) ||
	    !watched(w, s) || tracker_find(&w->tk, s->netns, s->cookie) ||
	    tracker_was_closed(&w->tk, s->netns, s->cookie))
		return 0;
	if (kernel_owners) {
		known = openers_get(&w->openers, v, now, &r);
		if (known)
			v->owner.proc = known; /* with its details; fd -1 */
	} else if (s->inode && s->n_owners) {
		struct whosock_socket bare = *s;
		int pid = v->proc.pid;

		bare.owners = NULL;
		bare.n_owners = 0;
		fresh = snapshot_new();
		r = fresh ? snapshot_push(fresh, &bare) : -ENOMEM;
		if (r == 0)
			r = rescan_unowned(w, fresh, &pid, 1);
		if (r == 0 && whosock_snapshot_get(fresh, 0)->n_owners)
			use = whosock_snapshot_get(fresh, 0);
	}
	if (r == 0) {
		t = tracker_add(&w->tk, use, now, w->tick);
		if (t)
			emit(w, WHOSOCK_EVENT_OPENED, t->sock, NULL);
		else
			r = -ENOMEM;
	}
	whosock_snapshot_free(fresh);
	return r;
}

static void bpf_closed_unseen(struct whosock_watch *w, const struct wns *ns,
			      const struct socklife_ev *ev, struct watch_bpf_sock *v);

static bool on_bpf_event(const struct socklife_ev *ev, void *data)
{
	struct whosock_watch *w = data;
	struct watch_bpf_sock v;
	bool known = watch_bpf_socket(ev, &v);

	if (known && ev->kind == SOCKLIFE_OPENED) {
		int r = bpf_opened(w, &v);

		if (r < 0)
			w->bpf_event_error = r;
	} else if (ev->kind == SOCKLIFE_CLOSED) {
		struct tracked *t = tracker_find(&w->tk, ev->netns, ev->cookie);
		struct wns *ns = nswatch_find(&w->nw, ev->netns);

		/* TCP: the destroy report that follows carries the final
		 * tcp_info counters; it closes the socket where it comes. */
		if (t && !(ev->protocol == IPPROTO_TCP && ns && ns->destroy)) {
			watch_bpf_take_traffic(ev, t->sock);
			report_closed(w, t);
		} else if (!t && known && ev->protocol != IPPROTO_TCP && (ev->flags & SOCKLIFE_OWNER)) {
			bpf_closed_unseen(w, ns, ev, &v);
		}
	}
	return ++w->bpf_turn < MAX_BPF_EVENTS;
}

/* Read the kernel's socket events waiting (a bounded turn). */
static void read_bpf(struct whosock_watch *w)
{
	uint64_t lost;

	if (!w->bt)
		return;
	w->bpf_turn = 0;
	bpf_traffic_read_events(w->bt);
	lost = bpf_traffic_lost(w->bt);
	if (lost != w->bpf_lost) {
		/* The ring was full: a dump soon finds what was missed. */
		w->bpf_lost = lost;
		dump_soon(w, now_ms());
	}
}

/* ---- closes reported by the kernel ---- */

/* A close of a socket no dump saw (opt.unseen_closes): reported as the
 * kernel gave it, when the watcher's filter wants it. Returns whether it
 * was reported. */
static bool report_unseen(struct whosock_watch *w, const struct whosock_socket *s)
{
	/* Connections only: a listener's or bound port's close is one a
	 * dump would have seen open. (The filter has no states: it is CLOSE
	 * by now.) */
	if (s->remote.port == 0 || !w->opt.connections || !filter_match(&w->filter, s))
		return false;
	emit(w, WHOSOCK_EVENT_CLOSED, s, NULL);
	return true;
}

/* The kernel's word that a socket not tracked closed (a destroy report;
 * with BPF, a UDP socket's release, which no destroy report would bring
 * with its counters and process): the hooks hear of it, opt.unseen_closes
 * reports it once, and it is closed from now on (the kernel's late events
 * and the dump under way do not open it after its close). s: its netns
 * set. Returns whether it was reported. */
static bool closed_untracked(struct whosock_watch *w, const struct whosock_socket *s)
{
	bool late = tracker_was_closed(&w->tk, s->netns, s->cookie), any = false;

	if (w->hooks.closed_unseen)
		w->hooks.closed_unseen(w->hooks.data, &w->tk, s, late);
	/* Never watched, or already reported. */
	if (w->opt.unseen_closes && !late)
		any = report_unseen(w, s);
	tracker_entomb(&w->tk, s->netns, s->cookie);
	return any;
}

/* A UDP socket's release that no dump or event had opened (it lived
 * between two dumps, or was never bound by bind()): the event has its
 * process, addresses and final counters. */
static void bpf_closed_unseen(struct whosock_watch *w, const struct wns *ns,
			      const struct socklife_ev *ev, struct watch_bpf_sock *v)
{
	struct whosock_socket *s = &v->s;

	if ((!ns && w->opt.host_only) || !filter_match_netns(&w->filter, s->netns) ||
	    !filter_match(&w->filter, s))
		return;
	s->netns_name = ns ? ns->ns.name : NULL;
	s->state = WHOSOCK_STATE_CLOSE;
	watch_bpf_take_traffic(ev, s);
	closed_untracked(w, s);
}

/* Report the closes the kernel sent for ns, in at most max_reads reads.
 * Returns whether a watched socket closed (or reports were lost: an
 * overrun). */
static bool read_destroyed(struct whosock_watch *w, struct wns *ns, int max_reads)
{
	bool any = false;

	for (int reads = 0; reads < max_reads; reads++) {
		ssize_t n = mnl_socket_recvfrom(ns->destroy, w->buf, RECV_BUFFER_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->buf;
		int len = (int)n;

		if (n < 0 && errno == ENOBUFS) {
			ns->overrun_tick = w->tick ? w->tick : 1;
			/* Reports were lost (the kernel's queue overran): a dump
			 * soon finds what closed, whatever the interval. */
			dump_soon(w, now_ms());
			return true;
		}
		if (n <= 0) /* EAGAIN: all read */
			return any;
		/* The kernel's events of these sockets (opened, and a UDP
		 * socket's release with its counters) went into the ring buffer
		 * before these reports were sent: they come first, or a short
		 * connection's close would be reported before its open. */
		read_bpf(w);
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			struct whosock_socket s;
			struct tracked *t;

			/* The message does not say TCP or UDP: parsed as TCP, the
			 * counters come along when there are any. */
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    sockdiag_parse_inet(nlh, WHOSOCK_PROTO_TCP, &s) < 0)
				continue;
			t = tracker_find(&w->tk, ns->ns.inode, s.cookie);
			if (!t && w->bt && !tracker_was_closed(&w->tk, ns->ns.inode, s.cookie)) {
				/* Its open may sit behind an event another CPU has
				 * not committed yet: read again. */
				read_bpf(w);
				t = tracker_find(&w->tk, ns->ns.inode, s.cookie);
			}
			if (!t) {
				/* The report has no uid (the kernel leaves it 0);
				 * TCP's carry tcp_info, UDP's none. */
				s.netns = ns->ns.inode;
				s.netns_name = ns->ns.name;
				s.known &= ~(uint32_t)WHOSOCK_KNOWN_UID;
				if (!(s.known & WHOSOCK_KNOWN_TCP_INFO)) {
					s.proto = WHOSOCK_PROTO_UDP;
					s.type = SOCK_DGRAM;
				}
				any |= closed_untracked(w, &s);
				continue;
			}
			tracker_take_counters(t->sock, &s);
			w->final_close = true;
			report_closed(w, t);
			w->final_close = false;
			any = true;
		}
	}
	return any;
}

static int sync_epoll(struct whosock_watch *w);

/* The epoll set, with the wake-ups (data 0) and the destroy sockets. */
static int open_epoll(struct whosock_watch *w)
{
	int wake_fds[2];

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	nswatch_wake_fds(&w->nw, wake_fds);
	for (int k = 0; k < 2; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

		if (wake_fds[k] >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, wake_fds[k], &ev) < 0)
			return -errno;
	}
	if (w->bt) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = BPF_EPOLL_KEY };

		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, bpf_traffic_events_fd(w->bt), &ev) < 0)
			return -errno;
	}
	return sync_epoll(w);
}

/* ---- public ---- */

int whosock_watch_new(const struct whosock_watch_options *options, whosock_event_fn *fn,
		      void *data, struct whosock_watch **out)
{
	return watch_new_hooked(options, fn, data, NULL, out);
}

struct tracker *watch_tracker(struct whosock_watch *w)
{
	return &w->tk;
}

void watch_dump_now(struct whosock_watch *w)
{
	w->next_dump_ms = 0;
}

bool watch_close_is_final(const struct whosock_watch *w)
{
	return w->final_close;
}

int watch_new_hooked(const struct whosock_watch_options *options, whosock_event_fn *fn,
		     void *data, const struct watch_hooks *hooks, struct whosock_watch **out)
{
	struct whosock_watch *w;
	int r;

	if (!fn)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->epfd = -1;
	r = options ? abi_copy(&w->opt, sizeof(w->opt), options) : 0;
	if (r == 0)
		r = abi_filter(&w->filter, w->opt.filter);
	if (r < 0) {
		free(w);
		return r;
	}
	w->opt.filter = &w->filter;
	if (!w->filter.protos)
		w->filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				       WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP);
	w->filter.protos &= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
	w->filter.states = 0;
	/* Owner members would make unmatched sockets look new on every dump:
	 * callers filter events by owner themselves. */
	filter_clear_owner_members(&w->filter);
	if (!w->opt.interval_ms)
		w->opt.interval_ms = 1000;
	if (w->opt.interval_ms < 100)
		w->opt.interval_ms = 100;
	if (!w->opt.ring_size)
		w->opt.ring_size = 4096;
	w->fn = fn;
	w->data = data;
	if (hooks)
		w->hooks = *hooks;
	w->baseline = true;
	w->ring = calloc(w->opt.ring_size, sizeof(*w->ring));
	w->buf = malloc(RECV_BUFFER_SIZE);
	r = w->ring && w->buf ? tracker_init(&w->tk) : -ENOMEM;
	if (r == 0)
		r = nswatch_init(&w->nw, w->opt.host_only, &w->filter, destroy_groups);
	w->nw.no_threads = w->opt.flags & WHOSOCK_FLAG_NO_THREADS;
	w->nw_ready = r == 0;
	if (r == 0)
		r = nswatch_discover(&w->nw, now_ms(), NULL, NULL);
	/* Before the baseline: a socket opened meanwhile is not missed. Where
	 * BPF is refused the watcher works as without it (the status says
	 * why). */
	if (r >= 0 && !(w->opt.flags & WHOSOCK_FLAG_NO_BPF)) {
		/* --host-only, or a filter of one namespace: the kernel keeps
		 * the others' events to itself. */
		uint64_t only = w->opt.host_only ? w->nw.v[0].ns.inode
			      : w->filter.n_netns == 1 ? w->filter.netns[0] : 0;

		w->bpf_error = bpf_traffic_open_events(only, on_bpf_event, w, &w->bt);
		if (w->bpf_error == -ENOMEM)
			r = -ENOMEM;
	}
	if (r >= 0)
		r = tick(w); /* the baseline: what is open now raises no event */
	if (r >= 0)
		r = open_epoll(w);
	if (r < 0) {
		whosock_watch_free(w);
		return r;
	}
	w->next_dump_ms = now_ms() + w->opt.interval_ms;
	*out = w;
	return 0;
}

/* The next dump as soon as PEEK_MS after the last one. */
static void dump_soon(struct whosock_watch *w, uint64_t now)
{
	uint64_t at = w->last_tick_ms + PEEK_MS > now ? w->last_tick_ms + PEEK_MS : now;

	w->dirty = true;
	if (at < w->next_dump_ms)
		w->next_dump_ms = at;
}

/* Put the destroy sockets opened since the last call into the epoll set. */
static int sync_epoll(struct whosock_watch *w)
{
	for (size_t i = 0; i < w->nw.n; i++) {
		struct wns *ns = &w->nw.v[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ns->ns.inode };

		if (!ns->destroy || ns->polled)
			continue;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, mnl_socket_get_fd(ns->destroy), &ev) < 0)
			return -errno;
		ns->polled = true;
	}
	return 0;
}

static uint64_t next_due_ms(const struct whosock_watch *w)
{
	uint64_t due = w->next_dump_ms;

	if (peeking(w) && w->next_peek_ms < due)
		due = w->next_peek_ms;
	if (nswatch_next_discover(&w->nw) < due)
		due = nswatch_next_discover(&w->nw);
	return due;
}

int whosock_watch_get_fd(const struct whosock_watch *w)
{
	return w->epfd;
}

int whosock_watch_get_timeout(const struct whosock_watch *w, uint64_t *timeout_ms)
{
	uint64_t now = now_ms(), due = next_due_ms(w);

	*timeout_ms = due > now ? due - now : 0;
	return 0;
}

/* Read what the epoll set says is ready, without waiting. */
static void read_ready(struct whosock_watch *w)
{
	struct epoll_event ev[32];
	int n = epoll_wait(w->epfd, ev, 32, 0);

	/* The kernel's events first: an open it reported comes before the
	 * close reports of the same socket. */
	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 == BPF_EPOLL_KEY)
			read_bpf(w);
	for (int i = 0; i < n; i++) {
		struct wns *ns;

		if (ev[i].data.u64 == BPF_EPOLL_KEY)
			continue;
		if (ev[i].data.u64 == 0) {
			nswatch_woken(&w->nw, now_ms()); /* namespaces came or went */
			continue;
		}
		ns = nswatch_find(&w->nw, ev[i].data.u64);
		/* A bounded turn: a flood of closes must not starve the
		 * timeout, the caller's signals or the other namespaces; what
		 * is left wakes poll() again at once. */
		if (ns && ns->destroy && read_destroyed(w, ns, MAX_DESTROY_READS) && peeking(w))
			dump_soon(w, now_ms()); /* a replacement may have come meanwhile */
	}
}

int whosock_watch_process(struct whosock_watch *w)
{
	uint64_t now;
	int r;

	read_ready(w);
	if (w->bpf_event_error) {
		r = w->bpf_event_error;
		w->bpf_event_error = 0;
		return r;
	}
	now = now_ms();
	if (nswatch_discover_due(&w->nw, now)) {
		r = nswatch_discover(&w->nw, now, ns_gone, w);
		if (r < 0)
			return r;
		if (r > 0) /* new namespaces: what they hold is new */
			dump_soon(w, now);
	}
	if (now >= w->next_dump_ms) {
		w->next_dump_ms = now + w->opt.interval_ms;
		if (!peeking(w) || w->dirty || !w->counters_complete ||
		    now >= w->last_tick_ms + QUIET_MS) {
			w->dirty = false;
			r = tick(w);
			if (r < 0)
				return r;
			w->next_dump_ms = now_ms() + w->opt.interval_ms;
		}
	} else if (peeking(w) && now >= w->next_peek_ms) {
		/* Dump at once when a namespace's counters moved. */
		w->next_peek_ms = now + PEEK_MS;
		if (nswatch_counters_moved(&w->nw, &w->counters_complete))
			dump_soon(w, now);
	}
	return sync_epoll(w);
}

int whosock_watch_run(struct whosock_watch *w, int timeout_ms)
{
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = w->epfd, .events = POLLIN };
		uint64_t now, wait;
		int r = whosock_watch_process(w);

		if (r < 0)
			return r;
		now = now_ms();
		if (now >= end)
			return 0;
		whosock_watch_get_timeout(w, &wait);
		if (wait > end - now)
			wait = end - now;
		if (wait > INT_MAX)
			wait = INT_MAX;
		if (poll(&p, 1, (int)wait) < 0)
			return -errno;
	}
}

size_t whosock_watch_since_seq(const struct whosock_watch *w, uint64_t since,
			       const struct whosock_event **out, size_t max, uint64_t *missed)
{
	size_t n = 0;
	uint64_t first = w->seq + 1; /* the oldest event returned, or the next one */

	for (size_t i = 0; i < w->ring_n && n < max; i++) {
		const struct ring_entry *e = &w->ring[(w->ring_head + i) % w->opt.ring_size];

		if (e->ev.seq < since)
			continue;
		if (n == 0)
			first = e->ev.seq;
		out[n++] = &e->ev;
	}
	if (missed)
		*missed = since && first > since ? first - since : 0;
	return n;
}

int whosock_watch_status(const struct whosock_watch *w, struct whosock_watch_status *out)
{
	struct whosock_watch_status st = { .size = sizeof(st), .namespaces = w->nw.n,
					   .destroy_reports = !w->nw.no_destroy,
					   .bpf_events = w->bt != NULL,
					   .bpf_error = w->bt ? 0 : -w->bpf_error,
					   .bpf_lost = w->bpf_lost };
	size_t size;

	memcpy(&size, out, sizeof(size));
	if (size < sizeof(size_t))
		return -EINVAL;
	for (size_t i = 0; i < w->nw.n; i++) {
		if (w->nw.v[i].unreachable)
			st.unreachable++;
		if (w->nw.v[i].dump_error) {
			st.failing++;
			st.failing_error = -w->nw.v[i].dump_error;
		}
	}
	/* As much as the caller's struct holds, its size kept. */
	memcpy((char *)out + sizeof(size), (char *)&st + sizeof(size),
	       (size < sizeof(st) ? size : sizeof(st)) - sizeof(size));
	return 0;
}

void whosock_watch_free(struct whosock_watch *w)
{
	if (!w)
		return;
	if (w->nw_ready)
		nswatch_free(&w->nw);
	if (w->epfd >= 0)
		close(w->epfd);
	bpf_traffic_close(w->bt);
	openers_free(&w->openers);
	tracker_free(&w->tk);
	for (size_t i = 0; w->ring && i < w->ring_n; i++)
		free(w->ring[(w->ring_head + i) % w->opt.ring_size].sock);
	free(w->ring);
	free(w->pids);
	free(w->buf);
	free(w);
}
