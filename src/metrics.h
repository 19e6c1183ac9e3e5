/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * whosock serve's metrics: a model kept up to date from the watcher's
 * events (the listening sockets, live) and from a full snapshot now and
 * then (the counts), rendered as Prometheus text or OpenMetrics on each
 * scrape without looking at the kernel again. Thread-safe: the HTTP
 * threads render while the main loop updates.
 */
#ifndef WHOSOCK_METRICS_H
#define WHOSOCK_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "sbuf.h"
#include "whosock/deps.h"
#include "whosock/traffic.h"
#include "whosock/watch.h"

/* Series kept per metric (--max-series default); the rest are folded into
 * one overflow series whose labels all read "__overflow__". */
#define METRICS_MAX_SERIES_DEFAULT 2000u
#define METRICS_OVERFLOW "__overflow__"

struct metrics;

/* A model keeping at most max_series series per metric. Returns 0 and
 * *out, or -ENOMEM. */
int metrics_new(unsigned max_series, struct metrics **out);
void metrics_free(struct metrics *m);

/* Replace the counts and the listening set with what snap holds (taken in
 * took_ns, at realtime ts_s). Returns 0 or -ENOMEM (the model unchanged). */
int metrics_from_snapshot(struct metrics *m, const struct whosock_snapshot *snap,
			  uint64_t took_ns, double ts_s);

/* A watcher event: a listening socket opened or closed. Returns 0 or -ENOMEM. */
int metrics_event(struct metrics *m, const struct whosock_event *ev);

/* The last interval of a meter (its by=connection rows): bytes sent and
 * received added to the traffic counters by process name, container and
 * protocol. Returns 0 or -ENOMEM. */
int metrics_traffic(struct metrics *m, const struct whosock_meter *meter);

/* The dependency edges so far (cumulative: each counter takes the larger
 * of its value and theirs), and how many edges the library dropped.
 * Returns 0 or -ENOMEM. */
int metrics_deps(struct metrics *m, const struct whosock_edge *v, size_t n, uint64_t dropped);

/* The watcher's view (namespaces watched, unreachable). */
void metrics_watch_status(struct metrics *m, const struct whosock_watch_status *st);

/* Append every metric to out: Prometheus text format 0.0.4, or OpenMetrics
 * 1.0.0 (info type, "# EOF"). Returns 0 or -ENOMEM. */
int metrics_render(struct metrics *m, struct sbuf *out, bool openmetrics);

/* Is OpenMetrics what an Accept header asks for (before the text format)? */
bool metrics_wants_openmetrics(const char *accept);

#define METRICS_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
