/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock serve: the Prometheus exporter and the HTTP API. */
#ifndef WHOSOCK_SERVE_H
#define WHOSOCK_SERVE_H

#include "cli.h"

/* Loopback unless another address is given. */
#define SERVE_DEFAULT_LISTEN "127.0.0.1:9797"

/* Serve until SIGINT or SIGTERM. message(prefix, text) reports trouble
 * (text escaped by message). Returns the exit status. Where libmicrohttpd
 * was missing at build time it says so and returns EXIT_TROUBLE. */
int serve_main(const struct cli *cli, void (*message)(const char *, const char *));

#endif
