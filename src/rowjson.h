/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DESIGN.md's JSON of a traffic row (whosock top -o json, /api/v1/top) and
 * of a dependency edge (whosock deps -o json, /api/v1/deps): one way to
 * print each, whoever prints it.
 */
#ifndef WHOSOCK_SRC_ROWJSON_H
#define WHOSOCK_SRC_ROWJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sbuf.h"
#include "whosock/deps.h"
#include "whosock/traffic.h"

/* One traffic row of the interval that ended at ts, interval_ms long;
 * a connection's owners with their command lines only when cmdline (they
 * hold secrets: whosock serve shows them only with --expose-cmdline). */
void rowjson_traffic(struct sbuf *b, const struct whosock_meter_row *r, const struct timespec *ts,
		     uint64_t interval_ms, bool cmdline);

/* One dependency edge. */
void rowjson_edge(struct sbuf *b, const struct whosock_edge *e);

/* Edges v[0..n): a JSON array, or (lines) one edge a line. */
void rowjson_edges(struct sbuf *b, const struct whosock_edge *v, size_t n, bool lines);

/* The edge's client user as it is printed: its name, else the user
 * database's, NULL when not known or not named. */
const char *rowjson_edge_user(const struct whosock_edge *e);

/* "tcp" or "udp". */
const char *rowjson_edge_proto(const struct whosock_edge_server *sv);

#endif
