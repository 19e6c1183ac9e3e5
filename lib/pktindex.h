/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The packet index behind whosock_portindex_open(): every TCP and UDP
 * socket of every namespace by its addresses, fed by a watcher's events. */
#ifndef WHOSOCK_PKTINDEX_H
#define WHOSOCK_PKTINDEX_H

#include "whosock/watch.h"

struct pktindex;

/* opt is the caller's, already size-checked and copied. Returns 0 and *out
 * or a negative errno. */
int pktindex_new(const struct whosock_portindex_options *opt, struct pktindex **out);
void pktindex_free(struct pktindex *pk);

int pktindex_get_fd(const struct pktindex *pk);
int pktindex_get_timeout(const struct pktindex *pk, uint64_t *timeout_ms);
int pktindex_process(struct pktindex *pk);

/* As whosock_portindex_match(). */
int pktindex_match(const struct pktindex *pk, const struct whosock_packet_tuple *t,
		   struct whosock_packet_end *src, struct whosock_packet_end *dst);
size_t pktindex_size(const struct pktindex *pk);

/* Call fn(s, closed, data) for every socket held (open, or closed within
 * the grace: closed true), in no order, until fn returns false. */
void pktindex_each(const struct pktindex *pk, bool (*fn)(const struct whosock_socket *s, bool closed, void *data),
		   void *data);

/* The packet index of idx (from whosock_portindex_open()), or NULL: for
 * the command's own use (whosock capture's kernel filter), not exported. */
const struct pktindex *portindex_packets(const struct whosock_portindex *idx);
int pktindex_status(const struct pktindex *pk, struct whosock_watch_status *out);

#endif
