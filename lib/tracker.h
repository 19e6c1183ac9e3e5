/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tracker: the live model of the sockets a long-running user follows,
 * keyed by (network namespace, cookie), each with its own copy of the
 * socket as last seen and when it was first seen; updated from dumps and
 * the kernel's reports, never rebuilt. Closed sockets are remembered a
 * while (tombs), so a late dump cannot bring them back. */
#ifndef WHOSOCK_TRACKER_H
#define WHOSOCK_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "whosock/whosock.h"

struct tracked {
	uint64_t netns, cookie; /* netns 0: free slot */
	struct whosock_socket *sock; /* owned (sockcopy) */
	uint64_t first_seen_ms;      /* CLOCK_MONOTONIC: lifetimes survive clock steps */
	unsigned seen;               /* the tick that last saw it */
	/* Traffic accounting: the payload already counted (its counters
	 * when last sampled; 0 for a socket opened since the start). */
	uint64_t sent_counted, received_counted;
	/* The kernel's events said it closed, with these counters (BPF). */
	bool kernel_final_known;
	struct whosock_traffic kernel_final;
};

/* Sockets reported closed lately. A dump taken just before a close, or the
 * orphaned end of a closed connection (FIN_WAIT, no process) still listed,
 * must not report them opened again; cookies are never reused. */
#define TRACKER_TOMB_SETS 1024
#define TRACKER_TOMB_WAYS 4 /* a set forgets its oldest first */

struct tracker {
	struct tracked *map; /* open addressing; walk map[0..cap) for every member */
	size_t cap, n;
	/* Looked up for every close report and event (thousands a second):
	 * a set-associative cache, not a ring to search. */
	struct tomb {
		uint64_t netns, cookie; /* netns 0: empty */
		uint64_t age;           /* n_tombs when buried */
	} tombs[TRACKER_TOMB_SETS][TRACKER_TOMB_WAYS];
	uint64_t n_tombs; /* ever buried */
};

/* Returns 0 or -ENOMEM. */
int tracker_init(struct tracker *tk);
void tracker_free(struct tracker *tk);

struct tracked *tracker_find(struct tracker *tk, uint64_t netns, uint64_t cookie);

/* Track a copy of s (not tracked yet), first seen at now_ms in tick.
 * Returns it, or NULL (out of memory: nothing added). */
struct tracked *tracker_add(struct tracker *tk, const struct whosock_socket *s, uint64_t now_ms,
			    unsigned tick);

/* A dump in tick saw t again as s: its state, queues and TCP counters as
 * last seen (a closed event reports them so). */
void tracker_seen(struct tracked *t, const struct whosock_socket *s, unsigned tick);
/* Copy the counters of a fresher look at the same TCP socket (a dump, or the
 * kernel's report at its close): tcp_info and traffic, with their known bits. */
void tracker_take_counters(struct whosock_socket *dst, const struct whosock_socket *src);

/* Forget t, closed (remembered among the tombs). A member further on in
 * map may move into t's slot: a walk over map looks at that slot again. */
void tracker_bury(struct tracker *tk, struct tracked *t);

/* Remember (netns, cookie) among the tombs: a socket reported closed that
 * was never tracked (its late open is not reported after its close). */
void tracker_entomb(struct tracker *tk, uint64_t netns, uint64_t cookie);

/* Whether (netns, cookie) was buried or entombed lately. */
bool tracker_was_closed(const struct tracker *tk, uint64_t netns, uint64_t cookie);

#endif
