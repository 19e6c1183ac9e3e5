/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wall clock that stamps watch events. Events are ordered and resumed
 * by their seq, never by this clock: a unit test steps it back to show it. */
#ifndef WHOSOCK_WATCH_CLOCK_H
#define WHOSOCK_WATCH_CLOCK_H

#include <time.h>

/* CLOCK_REALTIME. */
int watch_clock_realtime(struct timespec *ts);

/* What the watcher calls: watch_clock_realtime unless a test replaced it. */
extern int (*watch_realtime)(struct timespec *ts);

#endif
