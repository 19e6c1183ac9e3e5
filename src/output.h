/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The present phase: a snapshot rendered as a table, JSON, NDJSON or CSV. */
#ifndef WHOSOCK_OUTPUT_H
#define WHOSOCK_OUTPUT_H

#include "cli.h"
#include "whosock/watch.h"
#include "sbuf.h"

/* Append the rendering of every socket in snap to out, in cli->format, with
 * cli->header and cli->extended; with a sink (sbuf_set_sink()) it is written
 * out as it goes and flushed at the end. Returns 0, -ENOMEM when the buffer
 * could not grow, or the sink's write error. */
int output_render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli);

struct resolver;

/* output_render() of the n sockets of snap whose indices are in idx (in
 * that order, then --sort's; idx NULL: the first n), with the table's
 * addresses and ports named by res (-r; NULL: numbers), after
 * resolver_wait(). */
int output_render_rows(struct sbuf *out, const struct whosock_snapshot *snap, const size_t *idx,
		       size_t n, const struct cli *cli, struct resolver *res);

/* "addr:port" as the table shows it: wildcards as '*', IPv6 in brackets,
 * "%ifname" for a bound device; a UNIX path escaped. */
/* LOCAL of a socket that is neither inet nor UNIX (packet "PROTO:IFACE",
 * netlink "PROTOCOL:PORTID", vsock "CID:PORT", ...; '*' when none). */
void output_kind_local(struct sbuf *b, const struct whosock_socket *s, const char *ifname);
void output_endpoint(struct sbuf *b, const struct whosock_socket *s,
		     const struct whosock_endpoint *ep, const char *ifname);
/* The same with names from res (-r) where it has them: "host:service". */
void output_endpoint_named(struct sbuf *b, const struct whosock_socket *s,
			   const struct whosock_endpoint *ep, const char *ifname,
			   struct resolver *res);

/* "comm(pid)" once per process, ",user" inside when extended; comma-separated. */
void output_owners(struct sbuf *b, const struct whosock_owner *owners, size_t n, int extended);

/* The table's PROTO label: tcp, tcp6, udp, ..., u_str. */
const char *output_proto_label(const struct whosock_socket *s);

/* One event as the DESIGN.md contract has it: {"ts", "type", "lifetime_ms",
 * "socket"}, no newline. */
void output_json_event(struct sbuf *b, const struct whosock_event *ev);

/* "key": (a static name: not escaped), and "key":"value" (escaped; null for
 * NULL), without a comma. */
void output_json_key(struct sbuf *b, const char *key);
void output_json_str(struct sbuf *b, const char *key, const char *v);
/* "key":N, or "key":null when not known; no comma. */
void output_json_u64(struct sbuf *b, const char *key, uint64_t v, bool known);

/* "container":{"runtime","id","pod_uid"} or "container":null, no comma. */
void output_json_container(struct sbuf *b, const struct whosock_container *c);

/* "key":"2026-12-03T10:00:01.120Z" (UTC, milliseconds), no comma. */
void output_json_time(struct sbuf *b, const char *key, const struct timespec *t);

/* One socket as a JSON object (the DESIGN.md contract), no newline. */
void output_json_socket(struct sbuf *out, const struct whosock_socket *s);

#endif
