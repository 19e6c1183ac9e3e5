/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library's own users of a watcher (traffic accounting) see
 * beyond its events: each dump's end, with the tracker's counters fresh,
 * and the sockets no event is about (orphans at the start, closes the
 * kernel reported for sockets never seen open). */
#ifndef WHOSOCK_WATCH_HOOKS_H
#define WHOSOCK_WATCH_HOOKS_H

#include <stdbool.h>

#include "tracker.h"
#include "whosock/watch.h"

struct bpf_traffic;

struct watch_hooks {
	/* After each dump (baseline: the first, whose sockets raised no
	 * event): every tracked socket's counters are as that dump saw them
	 * (TCP's tcp_info); bt, when the kernel's counters run (else NULL),
	 * has the other sockets' by cookie. */
	void (*dumped)(void *data, struct tracker *tk, const struct bpf_traffic *bt, bool baseline);
	/* A socket the first dump listed without a holder (closed by its
	 * process, not yet by the kernel): not tracked. */
	void (*orphan_at_start)(void *data, const struct whosock_socket *s);
	/* The kernel's word of a close of a socket that is not tracked,
	 * netns set: a destroy report (no owners, its uid unknown; TCP's with
	 * its final counters), or with BPF a UDP socket's release (its
	 * process as its one owner, its final counters when it carried
	 * payload). late: it was tracked, and
	 * reported closed already when a dump no longer listed it (the report
	 * came after that dump: its counters are the final ones); else it
	 * opened and closed between two dumps (or was an orphan). */
	void (*closed_unseen)(void *data, struct tracker *tk, const struct whosock_socket *s,
			      bool late);
	void *data;
};

/* whosock_watch_new() with hooks (copied; NULL: none), which the baseline
 * dump already calls. */
int watch_new_hooked(const struct whosock_watch_options *opt, whosock_event_fn *fn, void *data,
		     const struct watch_hooks *hooks, struct whosock_watch **out);

/* The tracker, for an event callback that looks up the closing socket. */
struct tracker *watch_tracker(struct whosock_watch *w);

/* Make the next dump due now (whosock_watch_process() makes it). */
void watch_dump_now(struct whosock_watch *w);

/* In a closed event's callback: whether the kernel reported the close (the
 * counters are final), not a dump that no longer listed the socket. */
bool watch_close_is_final(const struct whosock_watch *w);

#endif
