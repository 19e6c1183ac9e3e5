/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * whosock serve's /api/v1/top and /api/v1/deps: the rows of the serve's own
 * meter and the edges of its own deps aggregation (one of each, fed all
 * along), narrowed to a request's parameters (servequery.h) and printed as
 * whosock top -o json and whosock deps -o json print them (rowjson.h).
 */
#ifndef WHOSOCK_SRC_SERVEVIEWS_H
#define WHOSOCK_SRC_SERVEVIEWS_H

#include <stddef.h>

#include "cli.h"
#include "sbuf.h"
#include "whosock/deps.h"
#include "whosock/traffic.h"

/* The last interval's rows of m grouped by q->top_by that match q->filter:
 * by=connection rows the whole filter (the socket and its process); the
 * other groupings hold sockets of several kinds, and are narrowed by what
 * their rows name: by=process its netns and owner members (the process),
 * by=user user and netns, by=container container and netns, by=remote and
 * by=netns netns; any other member is refused (a socket member: port,
 * state, proto, family, local, expr). A JSON array (q->format NDJSON: a row a line); [] when
 * no interval has ended yet. Returns 0, -EINVAL with a one-line message
 * in err, or -ENOMEM. */
int serveview_top(struct sbuf *b, const struct whosock_meter *m, const struct cli *q,
		  bool expose_cmdline, char *err, size_t errlen);

/* The edges v[0..n) (grouped by process) to q->services (none: every
 * service) from clients q->filter matches (its netns, comms, uids and
 * containers, on what the edge knows of its client; pids and cmdlines are
 * refused), grouped again by q->deps_by: the client fields that grouping
 * leaves out are unset, as the library leaves them, and edges that become
 * one add up. Returns 0, -EINVAL with a one-line message in err, or
 * -ENOMEM. */
int serveview_deps(struct sbuf *b, const struct whosock_edge *v, size_t n, const struct cli *q,
		   char *err, size_t errlen);

#endif
