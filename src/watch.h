/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock watch: events on standard output until --count, --timeout or a signal. */
#ifndef WHOSOCK_SRC_WATCH_H
#define WHOSOCK_SRC_WATCH_H

#include "cli.h"

/* Run the watch command; message(prefix, text) reports errors. Returns the
 * exit status. */
int watch_main(const struct cli *cli, void (*message)(const char *prefix, const char *text));

/* Say once what is not watched (now, from whosock_watch_status()), and
 * again when it grows; noted remembers what was said (start it with
 * destroy_reports true). */
struct whosock_watch_status;
void watch_note_status(const struct whosock_watch_status *now, struct whosock_watch_status *noted,
		       void (*message)(const char *prefix, const char *text));

#endif
