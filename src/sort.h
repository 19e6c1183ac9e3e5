/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --sort: the order rows are shown in. */
#ifndef WHOSOCK_SORT_H
#define WHOSOCK_SORT_H

#include "cli.h"

/* The n sockets of snap whose indices are in idx (NULL: the first n) in the
 * order of cli->sort (each key breaks the ties of the one before; idx's
 * order breaks the rest), as a malloc'd array of n pointers into snap (NULL
 * when n is 0). Returns 0 and *out, or -ENOMEM. */
int sort_rows(const struct whosock_snapshot *snap, const size_t *idx, size_t n,
	      const struct cli *cli, const struct whosock_socket ***out);

#endif
