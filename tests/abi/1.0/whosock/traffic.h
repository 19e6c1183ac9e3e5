/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwhosock traffic accounting: how many bytes every process, connection,
 * remote address, container, user and network namespace sent and received,
 * interval by interval, from the sockets' own counters (no packet capture).
 *
 *     struct whosock_meter *m;
 *     whosock_meter_new(NULL, &m);              // every namespace, 1 s intervals
 *     for (;;) {
 *             uint64_t t;
 *             whosock_meter_get_timeout(m, &t);
 *             struct pollfd p = { whosock_meter_get_fd(m), POLLIN };
 *             poll(&p, 1, t > INT_MAX ? INT_MAX : (int)t);
 *             if (whosock_meter_process(m) > 0)   // an interval ended
 *                     for (size_t i = 0; i < whosock_meter_row_count(m, WHOSOCK_BY_PROCESS); i++)
 *                             use(whosock_meter_row(m, WHOSOCK_BY_PROCESS, i));
 *     }
 *
 * What is counted: the payload (as whosock_socket.traffic) of every TCP
 * socket, from its tcp_info counters at each interval's dump, and the
 * final counts the kernel reports when it closes (sockets that opened and
 * closed between two dumps included); UDP and UDP-Lite sockets from the
 * kernel's BPF counters by socket cookie, read at each interval's dump and
 * at their release (with their process, however short they lived), where
 * BPF runs; else a WHOSOCK_NOTE_TRAFFIC_UNCOUNTED note says how many are
 * not counted, and why.
 * Sockets open when the meter starts count from then on; sockets opened
 * later count from their start.
 *
 * Same conventions as whosock.h: 0 or a negative errno, outputs untouched
 * on failure, no printing; one thread at a time per meter.
 */
#ifndef WHOSOCK_TRAFFIC_H
#define WHOSOCK_TRAFFIC_H

#include <time.h>

#include "whosock/whosock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How rows group sockets. */
enum whosock_meter_by {
	WHOSOCK_BY_PROCESS = 0, /* the socket's process (its first owner) */
	WHOSOCK_BY_CONNECTION,  /* each socket */
	WHOSOCK_BY_REMOTE,      /* (netns, proto, remote address, remote port) */
	WHOSOCK_BY_CONTAINER,   /* the process's container (none: the host's) */
	WHOSOCK_BY_USER,        /* the process's user (else the socket's uid) */
	WHOSOCK_BY_NETNS,       /* the network namespace */
};
#define WHOSOCK_BY_COUNT 6

/* Start from WHOSOCK_METER_OPTIONS_INIT (or set size): the library reads
 * only size bytes, as with whosock_options. */
struct whosock_meter_options {
	size_t size; /* sizeof(struct whosock_meter_options) */
	/* Which sockets count: protos (TCP and UDP, the default, and
	 * UDP-Lite), families, ports, locals, netns, expr; and the owner
	 * members (pids, uids, comms, cmdlines, containers), matched against
	 * the socket's process. Copied; its lists must stay valid until
	 * whosock_meter_free(). NULL: every TCP and UDP socket. */
	const struct whosock_filter *filter;
	bool host_only;       /* only the caller's network namespace */
	unsigned interval_ms; /* one interval; 0: 1000, at least 100 */
	unsigned flags;       /* WHOSOCK_FLAG_NO_THREADS, WHOSOCK_FLAG_NO_BPF (no UDP bytes) */
};

#define WHOSOCK_METER_OPTIONS_INIT { .size = sizeof(struct whosock_meter_options) }

/* One group in one interval. Which members hold a value depends on by
 * (the rest are zero or NULL); every pointer is owned by the meter and
 * valid until the next whosock_meter_process() that ends an interval,
 * whosock_meter_set_filter() or whosock_meter_free(). Strings are as the
 * kernel gave them: escape them before printing. */
struct whosock_meter_row {
	int by; /* enum whosock_meter_by */
	/* PROCESS, CONNECTION (the socket's process), CONTAINER and USER (a
	 * process of the group): NULL when no process is known (a socket
	 * whose holder whosock did not see, e.g. one that opened and closed
	 * between two dumps; its bytes count in a row of its own). */
	const struct whosock_process *process;
	/* CONNECTION: the socket as last seen (closed: as the kernel last
	 * reported it). */
	const struct whosock_socket *socket;
	/* REMOTE: the protocol, family and remote end. */
	uint8_t proto, family;
	struct whosock_endpoint remote;
	/* CONTAINER: process->container, NULL for the host (no container). */
	const struct whosock_container *container;
	/* USER: the uid (uid_known false: not known) and its name (or NULL). */
	bool uid_known;
	uint32_t uid;
	const char *user;
	/* The group's network namespace; 0 when its sockets are in several. */
	uint64_t netns;
	const char *netns_name;
	uint64_t connections; /* its sockets open at the interval's end, listeners left out */
	uint64_t closed;      /* its sockets that closed during the interval */
	uint64_t sent_bytes, received_bytes; /* payload in the interval */
	uint64_t sent_total, received_total; /* payload since the meter (or its filter) started */
};

struct whosock_meter;

/* Start metering (opt may be NULL: defaults): a watcher of every TCP and
 * UDP socket with its owners, in every namespace. Returns 0 and *out, or
 * a negative errno (-EINVAL: a bad option or command line pattern). */
WHOSOCK_EXPORT int whosock_meter_new(const struct whosock_meter_options *opt, struct whosock_meter **out);

/* As the watcher's (whosock_watch_get_fd() and the loop in watch.h): the
 * one fd to poll for input, how long the caller may wait before
 * whosock_meter_process() has work due (the interval's end among it), and
 * that work, without blocking. process() returns 1 when an interval ended
 * (its rows are ready), 0 when not, or a negative errno (the meter stays
 * usable). */
WHOSOCK_EXPORT int whosock_meter_get_fd(const struct whosock_meter *m);
WHOSOCK_EXPORT int whosock_meter_get_timeout(const struct whosock_meter *m, uint64_t *timeout_ms);
WHOSOCK_EXPORT int whosock_meter_process(struct whosock_meter *m);

/* The last interval that ended: *ts its end (CLOCK_REALTIME) and
 * *interval_ms its length (measured: about the interval asked for).
 * Returns 0, or -EAGAIN when none has ended yet. */
WHOSOCK_EXPORT int whosock_meter_interval(const struct whosock_meter *m, struct timespec *ts,
					  uint64_t *interval_ms);

/* The rows of the last interval grouped by by: the groups that moved bytes
 * in it or have a connection open, most bytes (sent and received) first.
 * row() is NULL when i or by is out of range. */
WHOSOCK_EXPORT size_t whosock_meter_row_count(const struct whosock_meter *m, enum whosock_meter_by by);
WHOSOCK_EXPORT const struct whosock_meter_row *whosock_meter_row(const struct whosock_meter *m,
								 enum whosock_meter_by by, size_t i);

/* Count only the sockets that also match f from the next interval on (NULL:
 * no further filter): its socket members and its owner members (matched
 * against the socket's process). The totals start again. f is copied, its
 * lists must stay valid until the next call or whosock_meter_free().
 * Returns 0, -EINVAL (a command line pattern is not a valid extended
 * regex) or -ENOMEM; the filter in use stays on failure. */
WHOSOCK_EXPORT int whosock_meter_set_filter(struct whosock_meter *m, const struct whosock_filter *f);

/* What the last interval could not count (WHOSOCK_NOTE_TRAFFIC_UNCOUNTED,
 * WHOSOCK_NOTE_TRAFFIC_NO_OWNER), i < whosock_meter_note_count(); NULL
 * when i is out of range. Valid as the rows are. */
WHOSOCK_EXPORT size_t whosock_meter_note_count(const struct whosock_meter *m);
WHOSOCK_EXPORT const struct whosock_note *whosock_meter_note(const struct whosock_meter *m, size_t i);

/* Stops metering and frees everything. Accepts NULL. */
WHOSOCK_EXPORT void whosock_meter_free(struct whosock_meter *m);

#ifdef __cplusplus
}
#endif

#endif
