/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -r: names for addresses (getnameinfo, on threads, within a time budget)
 * and ports (getservbyport: /etc/services). */
#ifndef WHOSOCK_RESOLVE_H
#define WHOSOCK_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "whosock/whosock.h"

/* The whole budget for every address lookup, so that a dead resolver never
 * stalls the listing for longer. */
#define RESOLVE_BUDGET_MS 1000u

struct resolver;

/* Start looking up the name of every distinct inet address of snap (but the
 * wildcards) on background threads. Returns 0 and *out, or -ENOMEM (or the
 * error of the first thread that could not start). */
int resolver_start(const struct whosock_snapshot *snap, unsigned budget_ms, struct resolver **out);

/* Wait until every lookup is done or the budget (counted from
 * resolver_start()) is spent; lookups still running are left behind and
 * their addresses stay numeric. Returns how many were left behind. */
size_t resolver_wait(struct resolver *r);

/* After resolver_wait(): the name of the address (family AF_INET or
 * AF_INET6, addr as in whosock_endpoint), or NULL to print it numerically.
 * The text is the resolver's (chosen by whoever runs DNS: escape it). */
const char *resolver_host(const struct resolver *r, int family, const uint8_t addr[16]);

/* The service name of a port for a protocol (tcp, udp, sctp, ...), or NULL;
 * cached. r may be NULL (no names). */
const char *resolver_service(struct resolver *r, enum whosock_proto proto, uint16_t port);

/* Accepts NULL. Threads still blocked in a lookup free their share when
 * they return (or die with the process). */
void resolver_free(struct resolver *r);

#endif
