/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the watcher takes from the outside world that tests replace: the
 * wall clock that stamps events (events are ordered and resumed by their
 * seq, never by this clock: a unit test steps it back to show it), and the
 * dump (a unit test makes one fail). */
#ifndef WHOSOCK_WATCH_CLOCK_H
#define WHOSOCK_WATCH_CLOCK_H

#include <stdbool.h>
#include <time.h>

#include "whosock/whosock.h"

struct mnl_socket;

/* CLOCK_REALTIME. */
int watch_clock_realtime(struct timespec *ts);

/* What the watcher calls: watch_clock_realtime unless a test replaced it. */
extern int (*watch_realtime)(struct timespec *ts);

/* What the watcher dumps with: sockdiag_dump unless a test replaced it. */
extern int (*watch_dump)(struct mnl_socket *nl, struct whosock_snapshot *snap,
			 enum whosock_proto proto, int family, const struct whosock_filter *f,
			 bool tcp_info);

#endif
