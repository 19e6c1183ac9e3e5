/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --sort: the order rows are shown in. */
#ifndef WHOSOCK_SORT_H
#define WHOSOCK_SORT_H

#include "cli.h"

/* The sockets of snap in the order of cli->sort (each key breaks the ties of
 * the one before; the snapshot's own order breaks the rest), as a malloc'd
 * array of whosock_snapshot_count(snap) pointers into snap (NULL when the
 * snapshot is empty). Returns 0 and *out, or -ENOMEM. */
int sort_rows(const struct whosock_snapshot *snap, const struct cli *cli,
	      const struct whosock_socket ***out);

#endif
