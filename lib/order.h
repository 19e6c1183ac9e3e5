/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The documented order of a listing's rows: by namespace (the caller's,
 * then by inode, then those found later), by kind (order_kinds; vsock, XDP
 * and other after them), IPv4 before IPv6, then as the kernel gave them. */
#ifndef WHOSOCK_ORDER_H
#define WHOSOCK_ORDER_H

#include "netns.h"
#include "whosock/whosock.h"

/* The kinds that dumps list, in the order they are dumped and listed. */
#define ORDER_N_KINDS 9
extern const enum whosock_proto order_kinds[ORDER_N_KINDS];

/* Put snap's rows in that order; set ranks the namespaces (its order).
 * Returns 0 or -ENOMEM (rows untouched). */
int order_rows(struct whosock_snapshot *snap, const struct netns_set *set);

#endif
