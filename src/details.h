/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table's optional columns: -e (queues, uid, inode, cookie), -i (TCP
 * details), -m (socket memory). */
#ifndef WHOSOCK_DETAILS_H
#define WHOSOCK_DETAILS_H

#include "cli.h"
#include "table.h"

/* Append the headers of the columns cli asks for to headers[*n...] (after
 * STATE when queues, else after REMOTE). */
void details_queue_headers(const struct cli *cli, const char **headers, size_t *n);
void details_headers(const struct cli *cli, const char **headers, size_t *n);

/* The cells of those columns for s, in the same order. */
void details_queue_cells(struct table *t, const struct cli *cli, const struct whosock_socket *s);
void details_cells(struct table *t, const struct cli *cli, const struct whosock_socket *s);

/* Number of columns details_*_headers() may add at most. */
#define DETAILS_MAX_COLS 25

#endif
