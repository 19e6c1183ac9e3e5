/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwhosock events: sockets opening and closing as they happen, and a live
 * "who owns this local port?" index.
 *
 *     struct whosock_watch *w;
 *     whosock_watch_new(NULL, on_event, ctx, &w);   // listeners, every netns
 *     for (;;)
 *             whosock_watch_run(w, -1);              // calls on_event()
 *
 * Same conventions as whosock.h: 0 or a negative errno, outputs untouched on
 * failure, no printing; whatever an event points to is owned by the watcher.
 */
#ifndef WHOSOCK_WATCH_H
#define WHOSOCK_WATCH_H

#include <time.h>

#include "whosock/whosock.h"

#ifdef __cplusplus
extern "C" {
#endif

enum whosock_event_type { WHOSOCK_EVENT_OPENED, WHOSOCK_EVENT_CLOSED };

struct whosock_event {
	enum whosock_event_type type;
	struct timespec ts; /* CLOCK_REALTIME when whosock saw it (may step: order by seq) */
	/* The socket with its owners (a closed socket: as last seen, with the
	 * kernel's final TCP counters when it reported them). */
	const struct whosock_socket *socket;
	bool lifetime_known; /* CLOSED: seen open before */
	uint64_t lifetime_ms; /* CLOSED: from first seen open to closed (monotonic) */
	/* 1 for the watcher's first event, one more for each after it: a gap
	 * means events were lost (whosock_watch_since_seq() says how many). */
	uint64_t seq;
};

/* Start from WHOSOCK_WATCH_OPTIONS_INIT (or set size): the library reads
 * only size bytes, as with whosock_options. */
struct whosock_watch_options {
	size_t size; /* sizeof(struct whosock_watch_options) */
	/* protos (default TCP and UDP), families, ports, locals, netns (NULL:
	 * all); the filter is copied, its lists must stay valid until
	 * whosock_watch_free(). States are set by the watcher: listening TCP
	 * and bound UDP, and with connections TCP connections and connected
	 * UDP too. Owner members are ignored: filter events by their owners in
	 * the callback (whosock_filter_match_owners()). */
	const struct whosock_filter *filter;
	bool connections;
	bool host_only;       /* only the caller's network namespace */
	unsigned interval_ms; /* between dumps that find new sockets; 0: 1000, at least 100 */
	unsigned want;        /* WHOSOCK_WANT_PROCESS for cmdline/user/container; owners always */
	size_t ring_size;     /* recent events kept for whosock_watch_since_seq(); 0: 4096 */
	unsigned flags;       /* WHOSOCK_FLAG_NO_THREADS, WHOSOCK_FLAG_NO_BPF */
	/* Also the kernel's report of a socket closed that no dump saw open (a
	 * connection shorter than the interval): a CLOSED event with its
	 * namespace, addresses and final counters, no owners (the report
	 * names no process) and lifetime_known false. Needs destroy reports
	 * (whosock_watch_status()). With the kernel's BPF events, a connected
	 * UDP socket's close comes from its release instead: with its
	 * process (fd -1) and its final traffic. */
	bool unseen_closes;
};

#define WHOSOCK_WATCH_OPTIONS_INIT { .size = sizeof(struct whosock_watch_options) }

typedef void whosock_event_fn(const struct whosock_event *ev, void *data);

struct whosock_watch;

/* Start watching (opt may be NULL: defaults). Sockets already open are the
 * baseline: no events for them. fn(ev, data) is called from
 * whosock_watch_process() (and run()) for each event; ev and all it points to are valid
 * during the call only. Returns 0 and *out, or a negative errno. */
WHOSOCK_EXPORT int whosock_watch_new(const struct whosock_watch_options *opt, whosock_event_fn *fn, void *data,
		      struct whosock_watch **out);

/*
 * Driving the watcher from the caller's own loop (epoll, poll, libuv,
 * GLib): poll whosock_watch_get_fd() for input with the timeout that
 * whosock_watch_get_timeout() gives, then call whosock_watch_process(),
 * whether the fd became readable or the time ran out:
 *
 *     for (;;) {
 *             uint64_t t;
 *             whosock_watch_get_timeout(w, &t);
 *             struct pollfd p = { whosock_watch_get_fd(w), POLLIN };
 *             poll(&p, 1, t > INT_MAX ? INT_MAX : (int)t);
 *             whosock_watch_process(w);   // calls on_event()
 *     }
 */

/* The one fd to poll for input (an epoll fd: every namespace's close
 * reports and the notices of namespaces made or gone are behind it). It
 * stays the same fd until whosock_watch_free(); never read it yourself. */
WHOSOCK_EXPORT int whosock_watch_get_fd(const struct whosock_watch *w);

/* How long the caller may wait (ms) before whosock_watch_process() has work
 * that is due (the next dump, counter look or namespace look), 0 when it is
 * due now. Returns 0. */
WHOSOCK_EXPORT int whosock_watch_get_timeout(const struct whosock_watch *w, uint64_t *timeout_ms);

/* Do what is due without blocking: read what the fd has (a bounded amount:
 * a flood of closes leaves the fd readable for the next call), find new and
 * gone namespaces, dump when due, and call the event callback for each
 * event. Returns 0 or a negative errno (-ENOMEM; the watcher stays usable). */
WHOSOCK_EXPORT int whosock_watch_process(struct whosock_watch *w);

/* A convenience over the three above: process and wait for up to
 * timeout_ms (-1: until an error or a signal). Closes the kernel reports
 * (sock_diag destroy groups, where permitted) are reported at once, the
 * rest at the next dump. Returns 0 when the time is up, -EINTR when a
 * signal arrived, or another negative errno. */
WHOSOCK_EXPORT int whosock_watch_run(struct whosock_watch *w, int timeout_ms);

/* The recent events (the ring) with seq >= since, oldest first: up to max
 * pointers into *out (call again from the last one's seq + 1 for more).
 * since 0: from the oldest the ring holds. The events stay valid until the
 * next whosock_watch_process() (or run()) or whosock_watch_free().
 * *missed (may be NULL) is how many events from since on the ring has
 * already dropped (0 when none, or since is 0). Returns how many. */
WHOSOCK_EXPORT size_t whosock_watch_since_seq(const struct whosock_watch *w, uint64_t since,
					      const struct whosock_event **out, size_t max,
					      uint64_t *missed);

/* What the watcher sees, to tell the user what it does not. Set size (or
 * start from WHOSOCK_WATCH_STATUS_INIT): the library fills only that much. */
struct whosock_watch_status {
	size_t size;          /* sizeof(struct whosock_watch_status) */
	size_t namespaces;    /* network namespaces known */
	size_t unreachable;   /* of those, not watched: entering refused (needs CAP_SYS_ADMIN) */
	bool destroy_reports; /* closes come from the kernel at once (else: at the next dump) */
	/* Namespaces whose last dump failed (their sockets are kept as last
	 * seen, neither opened nor closed, until a dump works again), and the
	 * error of one of them (a positive errno). */
	size_t failing;
	int failing_error;
	/* Appended. bpf_events: the kernel's BPF socket events and byte
	 * counters run (opens are reported at once with their process, every
	 * connection however short, UDP traffic in closed events); else
	 * bpf_error says why not (a positive errno; EOPNOTSUPP: built without
	 * BPF; 0: WHOSOCK_FLAG_NO_BPF asked for none). */
	bool bpf_events;
	int bpf_error;
	/* Appended. The kernel's socket events dropped since the start (its
	 * ring was full: the caller did not read fast enough); what they said
	 * is known only as far as the dumps see it. */
	uint64_t bpf_lost;
};

#define WHOSOCK_WATCH_STATUS_INIT { .size = sizeof(struct whosock_watch_status) }

/* Fill *out. Returns 0, or -EINVAL when out->size is not set. */
WHOSOCK_EXPORT int whosock_watch_status(const struct whosock_watch *w, struct whosock_watch_status *out);

/* Stops watching and frees everything. Accepts NULL. */
WHOSOCK_EXPORT void whosock_watch_free(struct whosock_watch *w);

/*
 * The port index: "which process owns local (address, port, proto)?" in
 * constant time, for tagging packets with processes, in the caller's
 * network namespace. Driven by the caller's loop like a watcher
 * (whosock_portindex_get_fd(), get_timeout(), process()), it follows
 * sockets as they open and close. Used without that loop (or where the
 * kernel refuses a watcher), a miss refreshes the index (a full snapshot
 * with owners) at most once per refresh_ms.
 */
struct whosock_portindex;

/* refresh_ms 0: 1000 (also the watcher's dump interval). Takes the first
 * snapshot now. Returns 0 or a negative errno. */
WHOSOCK_EXPORT int whosock_portindex_new(unsigned refresh_ms, struct whosock_portindex **out);

/* The process holding the socket bound to local (proto, family, addr, port);
 * a socket bound to the wildcard address matches any address. A hit is
 * checked first (its process still holds that socket through that fd: one
 * readlink of /proc/PID/fd/FD; kept unchecked when the link is not
 * readable): a stale one, as when the owner closed the port and another
 * process bound it, refreshes the index at once, whatever refresh_ms says.
 * Returns 1 and *out (valid until the next call on idx), 0 when none is
 * known, or a negative errno. */
WHOSOCK_EXPORT int whosock_portindex_lookup(struct whosock_portindex *idx, enum whosock_proto proto, int family,
			     const void *addr, uint16_t port, const struct whosock_process **out);

/* As the watcher's (above): the fd to poll for input (-1: none, the kernel
 * refused a watcher: lookups refresh instead), how long until process() has
 * work due (UINT64_MAX: never), and that work, without blocking. process()
 * returns 0 or a negative errno. */
WHOSOCK_EXPORT int whosock_portindex_get_fd(const struct whosock_portindex *idx);
WHOSOCK_EXPORT int whosock_portindex_get_timeout(const struct whosock_portindex *idx, uint64_t *timeout_ms);
WHOSOCK_EXPORT int whosock_portindex_process(struct whosock_portindex *idx);

/* How many snapshots the index has taken (1 after whosock_portindex_new()). */
WHOSOCK_EXPORT unsigned long whosock_portindex_refreshes(const struct whosock_portindex *idx);

WHOSOCK_EXPORT void whosock_portindex_free(struct whosock_portindex *idx);

/*
 * The packet index: which local sockets a packet belongs to, in every
 * network namespace, for tagging captured packets with their processes
 * (whosock capture). Opened with options instead of whosock_portindex_new(),
 * it is fed by a watcher of connections (with the kernel's BPF socket
 * events where they run, so a connection that lived a millisecond is
 * known at once) over a baseline of what was open at the start: no lookup
 * ever waits for a /proc scan. Driven by the same get_fd(), get_timeout()
 * and process() loop as above; whosock_portindex_lookup() answers on it as
 * on any index, in the caller's namespace.
 *
 * A socket is indexed by its namespace and its local and remote address
 * and port (a connection), or by its local ones only (a listener, an
 * unconnected UDP socket). Closes are checked against the socket's cookie:
 * the late close of a socket whose port was already reused never closes
 * the new owner's entry; a new connection on the same addresses replaces
 * the old, and of several sockets bound to one address and port the
 * oldest open one answers. A closed socket still answers for grace_ms
 * (its last FIN).
 */
struct whosock_portindex_options {
	size_t size;          /* sizeof(struct whosock_portindex_options) */
	bool host_only;       /* only the caller's network namespace; else every one */
	unsigned interval_ms; /* the watcher's dumps (0: 1000, at least 100) */
	unsigned grace_ms;    /* closed sockets still answer this long (0: 2000) */
	unsigned want;        /* WHOSOCK_WANT_PROCESS: users' names and containers too */
	unsigned flags;       /* WHOSOCK_FLAG_NO_BPF, WHOSOCK_FLAG_NO_THREADS */
	/* Only these namespaces (inodes; NULL: every one, or with host_only
	 * the caller's); the list must stay valid until whosock_portindex_free(). */
	const uint64_t *netns;
	size_t n_netns;
};

#define WHOSOCK_PORTINDEX_OPTIONS_INIT { .size = sizeof(struct whosock_portindex_options) }

/* Open a packet index (opt may be NULL: defaults). Returns 0 and *out, or
 * a negative errno (-E2BIG: opt has members this library does not know). */
WHOSOCK_EXPORT int whosock_portindex_open(const struct whosock_portindex_options *opt,
					  struct whosock_portindex **out);

enum { WHOSOCK_PACKET_SRC_LOCAL = 1u << 0, WHOSOCK_PACKET_DST_LOCAL = 1u << 1 };

/* One packet's addresses, in the namespace where it was seen. Fixed: it
 * never grows (what a new version needs goes in a new function). */
struct whosock_packet_tuple {
	uint64_t netns;          /* inode of the packet's network namespace */
	uint8_t proto;           /* WHOSOCK_PROTO_TCP, _UDP or _UDPLITE */
	uint8_t family;          /* AF_INET or AF_INET6 */
	/* Which ends may be on this machine (WHOSOCK_PACKET_SRC_LOCAL,
	 * _DST_LOCAL), as the capture's direction tells; 0: not known, both
	 * looked up. An end that is not local is not matched: a packet from
	 * a remote 10.1.2.3:80 is not the local listener's on *:80. */
	uint8_t ends;
	uint16_t sport, dport;   /* host order */
	uint8_t saddr[16], daddr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* One end of a packet on this machine: the socket that sent it (src) or
 * receives it (dst). Fixed, as whosock_packet_tuple. */
struct whosock_packet_end {
	/* The socket with its owners (as last seen), or NULL when no local
	 * socket of the namespace has that address. Owned by the index:
	 * valid until the next whosock_portindex_process() or free(). */
	const struct whosock_socket *socket;
	bool exact;  /* the connection's own socket; false: bound address and port */
	bool closed; /* closed less than grace_ms ago */
};

/* The local sockets of the packet t: the sender's into *src, the
 * receiver's into *dst (both for a packet between two local sockets of
 * the namespace, as on loopback). The connection's own socket first (an
 * accepted connection's, not its listener's), else the socket bound to
 * the local address and port (the wildcard address, and for IPv4 a
 * dual-stack IPv6 socket, too). Returns how many ends are known (0-2), or
 * -EINVAL (not an index from whosock_portindex_open(), a bad tuple). */
WHOSOCK_EXPORT int whosock_portindex_match(const struct whosock_portindex *idx,
					   const struct whosock_packet_tuple *t,
					   struct whosock_packet_end *src,
					   struct whosock_packet_end *dst);

/* What the packet index's watcher sees (whosock_watch_status()): whether
 * the kernel's BPF socket events run, namespaces it cannot enter, ...
 * Returns 0, or -EINVAL (out->size not set, not a packet index). */
WHOSOCK_EXPORT int whosock_portindex_status(const struct whosock_portindex *idx,
					    struct whosock_watch_status *out);

/* Sockets the packet index holds now (open and closed within the grace). */
WHOSOCK_EXPORT size_t whosock_portindex_size(const struct whosock_portindex *idx);

#ifdef __cplusplus
}
#endif

#endif
