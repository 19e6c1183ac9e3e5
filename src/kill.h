/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock -K: destroy the sockets of a snapshot and list them. */
#ifndef WHOSOCK_SRC_KILL_H
#define WHOSOCK_SRC_KILL_H

#include "cli.h"

/* Destroy every socket of snap (with --dry-run, none), list those destroyed
 * (those it would destroy) on standard output as the listing does, and
 * report each failure through message(prefix, text). Returns the exit
 * status: 0, EXIT_NOMATCH when snap is empty, EXIT_TROUBLE when a socket
 * could not be destroyed or the output failed. */
int kill_main(const struct cli *cli, const struct whosock_snapshot *snap,
	      void (*message)(const char *prefix, const char *text));

#endif
