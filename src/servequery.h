/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * whosock serve's query parameters: the listing's filters for
 * /api/v1/sockets and /api/v1/top (with top's by); by, service, comm,
 * user, container and netns for /api/v1/deps (read by cli_parse() as the options of the listing, of
 * whosock top and of whosock deps, so they mean what the options do), and
 * since/limit for /api/v1/events.
 */
#ifndef WHOSOCK_SERVEQUERY_H
#define WHOSOCK_SERVEQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

enum serve_endpoint { SERVE_SOCKETS, SERVE_EVENTS, SERVE_TOP, SERVE_DEPS, SERVE_PLAIN };

/* At most this many parameters, each value at most this long. */
#define SERVEQ_MAX_PARAMS 32
#define SERVEQ_MAX_VALUE 1024

struct serve_query {
	struct cli cli;   /* SERVE_SOCKETS, _TOP, _DEPS: the options (cli_free() it) */
	uint64_t since;   /* SERVE_EVENTS: from this seq on; 0: only new events */
	long limit;       /* SERVE_EVENTS: end the stream after this many; 0: never */
};

/* Read the n decoded parameters keys[i]=values[i] (a value NULL: given
 * without '=') for endpoint ep. cmdline=... is refused unless
 * expose_cmdline (it would tell command lines apart). Returns 0 and *q,
 * or -EINVAL (-ENOMEM) with a one-line message in err; *q untouched then. */
int serve_query_parse(const char *const *keys, const char *const *values, size_t n,
		      enum serve_endpoint ep, bool expose_cmdline, struct serve_query *q,
		      char *err, size_t errlen);

/* The same from a raw query string ("a=1&b=%2F", '+' a space; no '?'):
 * percent-decoded, a %00 refused. */
int serve_query_parse_string(const char *query, enum serve_endpoint ep, bool expose_cmdline,
			     struct serve_query *q, char *err, size_t errlen);

void serve_query_free(struct serve_query *q);

#endif
