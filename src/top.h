/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock top: the meter's rows, for scripts (NDJSON, JSON, CSV) or in the
 * live view (top_view.c). */
#ifndef WHOSOCK_SRC_TOP_H
#define WHOSOCK_SRC_TOP_H

#include "cli.h"
#include "sbuf.h"
#include "whosock/traffic.h"

/* Run whosock top; message(prefix, text) reports errors. Returns the exit status. */
int top_main(const struct cli *cli, void (*message)(const char *prefix, const char *text));

/* The meter's options for cli (pointing at its filter). */
struct whosock_meter_options top_meter_options(const struct cli *cli);

/* Say each of the meter's notes once (message("note: ", text)); *said
 * holds a bit per note code already said. */
void top_notes(const struct whosock_meter *m, uint64_t *said,
	       void (*message)(const char *prefix, const char *text));

/* Its live view (a terminal on standard output). */
int top_view_main(const struct cli *cli, void (*message)(const char *prefix, const char *text));

#endif
