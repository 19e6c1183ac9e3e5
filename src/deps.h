/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock deps: dependency edges on standard output after --duration or a
 * signal (and every --interval). */
#ifndef WHOSOCK_SRC_DEPS_H
#define WHOSOCK_SRC_DEPS_H

#include "cli.h"

/* Run the deps command; message(prefix, text) reports errors. Returns the
 * exit status. */
int deps_main(const struct cli *cli, void (*message)(const char *prefix, const char *text));

#endif
