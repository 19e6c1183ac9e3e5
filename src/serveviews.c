/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowjson.h"
#include "serveviews.h"

/* ---- /api/v1/top ---- */

static bool netns_listed(const struct whosock_filter *f, uint64_t netns)
{
	for (size_t i = 0; i < f->n_netns; i++)
		if (f->netns[i] == netns)
			return true;
	return f->n_netns == 0;
}

static bool uid_listed(const struct whosock_filter *f, const struct whosock_meter_row *r)
{
	for (size_t i = 0; r->uid_known && i < f->n_uids; i++)
		if (f->uids[i] == r->uid)
			return true;
	return f->n_uids == 0;
}

static bool row_matches(const struct whosock_meter_row *r, const struct whosock_filter *f,
			const struct whosock_process_filter *pf)
{
	switch (r->by) {
	case WHOSOCK_BY_CONNECTION:
		if (!r->socket || !whosock_filter_match(f, r->socket))
			return false;
		break;
	case WHOSOCK_BY_USER:
		return netns_listed(f, r->netns) && uid_listed(f, r);
	default:
		if (!netns_listed(f, r->netns))
			return false;
	}
	return !pf || (r->process && whosock_filter_match_process(pf, r->process));
}

/* Which filter members a grouping's rows can be narrowed by: a group of
 * many sockets has no one port or state; one of many processes has no one
 * pid or comm (its user, its container have). NULL: all of them. */
static const char *refused(enum whosock_meter_by by, const struct whosock_filter *f)
{
	/* The meter counts TCP, UDP and UDP-Lite: protos narrows when it
	 * leaves one of them out. */
	const unsigned counted = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
	bool process = f->n_pids || f->n_comms || f->n_cmdlines;

	if (by == WHOSOCK_BY_CONNECTION)
		return NULL;
	if ((counted & ~f->protos) || f->families || f->states || f->n_ports || f->n_locals ||
	    f->expr)
		return "port, state, proto, family, local and expr narrow by=connection rows only "
		       "(a group holds sockets of several kinds)";
	if (by == WHOSOCK_BY_PROCESS)
		return NULL;
	if (by == WHOSOCK_BY_USER && (process || f->n_containers))
		return "by=user rows are narrowed by user and netns only";
	if (by == WHOSOCK_BY_CONTAINER && (process || f->n_uids))
		return "by=container rows are narrowed by container and netns only";
	if ((by == WHOSOCK_BY_REMOTE || by == WHOSOCK_BY_NETNS) &&
	    (process || f->n_uids || f->n_containers))
		return "by=remote and by=netns rows are narrowed by netns only";
	return NULL;
}

int serveview_top(struct sbuf *b, const struct whosock_meter *m, const struct cli *q,
		  bool expose_cmdline, char *err, size_t errlen)
{
	const struct whosock_filter *f = &q->filter;
	enum whosock_meter_by by = (enum whosock_meter_by)q->top_by;
	bool owners = f->n_pids || f->n_comms || f->n_cmdlines || f->n_containers ||
		      (f->n_uids && by != WHOSOCK_BY_USER);
	bool lines = q->format == OUTPUT_NDJSON, first = true;
	struct whosock_process_filter *pf = NULL;
	const char *why = refused(by, f);
	struct timespec ts;
	uint64_t interval_ms;
	int r;

	if (why) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	r = owners ? whosock_process_filter_new(f, &pf) : 0;
	if (r < 0) {
		snprintf(err, errlen, r == -EINVAL ? "cmdline is not a valid extended regex"
			 : "out of memory");
		return r;
	}
	if (!lines)
		sbuf_putc(b, '[');
	if (whosock_meter_interval(m, &ts, &interval_ms) == 0)
		for (size_t i = 0; i < whosock_meter_row_count(m, by); i++) {
			const struct whosock_meter_row *row = whosock_meter_row(m, by, i);

			if (!row_matches(row, f, pf))
				continue;
			if (!lines && !first)
				sbuf_putc(b, ',');
			first = false;
			rowjson_traffic(b, row, &ts, interval_ms, expose_cmdline);
			if (lines)
				sbuf_putc(b, '\n');
		}
	if (!lines)
		sbuf_puts(b, "]\n");
	whosock_process_filter_free(pf);
	return b->failed ? -ENOMEM : 0;
}

/* ---- /api/v1/deps ---- */

static bool to_service(const struct whosock_edge *e, const struct cli *q)
{
	struct whosock_filter f = WHOSOCK_FILTER_INIT;
	struct whosock_socket s = { .proto = e->server.proto, .family = e->server.family,
				    .local = e->server.addr };

	if (!q->n_services)
		return true;
	/* The listing's rule for a local query, on the service's address. */
	f.locals = q->services;
	f.n_locals = q->n_services;
	return whosock_filter_match(&f, &s);
}

/* The edge's client as a process, for the owner members: what the edge
 * knows of it (a comm, a user, a container). */
static bool client_matches(const struct whosock_edge *e, const struct whosock_filter *f,
			   const struct whosock_process_filter *pf)
{
	struct whosock_process p = { .comm = "" };

	if (f->n_netns && !(e->known & WHOSOCK_EDGE_KNOWN_NETNS && netns_listed(f, e->client.netns)))
		return false;
	if (!pf)
		return true;
	if (e->known & WHOSOCK_EDGE_KNOWN_PROCESS && e->client.comm)
		p.comm = e->client.comm;
	p.uid_known = e->known & WHOSOCK_EDGE_KNOWN_USER;
	p.uid = e->client.uid;
	p.user = e->client.user;
	if (e->known & WHOSOCK_EDGE_KNOWN_CONTAINER)
		p.container = e->client.container;
	return whosock_filter_match_process(pf, &p);
}

/* e with only the client fields grouping by keeps (the library's rule:
 * whosock/deps.h). */
static struct whosock_edge project(const struct whosock_edge *e, enum whosock_deps_by by)
{
	static const unsigned keeps[] = {
		[WHOSOCK_DEPS_BY_PROCESS] = ~0u,
		[WHOSOCK_DEPS_BY_USER] = WHOSOCK_EDGE_KNOWN_USER,
		[WHOSOCK_DEPS_BY_CONTAINER] = WHOSOCK_EDGE_KNOWN_CONTAINER,
		[WHOSOCK_DEPS_BY_NETNS] = WHOSOCK_EDGE_KNOWN_NETNS,
	};
	const unsigned client = WHOSOCK_EDGE_KNOWN_PROCESS | WHOSOCK_EDGE_KNOWN_USER |
				WHOSOCK_EDGE_KNOWN_NETNS | WHOSOCK_EDGE_KNOWN_CONTAINER;
	struct whosock_edge out = *e;
	unsigned keep = keeps[by];

	if (by == WHOSOCK_DEPS_BY_PROCESS)
		return out;
	out.known &= ~client | keep;
	out.client = (struct whosock_edge_client){ 0 };
	if (out.known & keep & WHOSOCK_EDGE_KNOWN_USER) {
		out.client.uid = e->client.uid;
		out.client.user = e->client.user;
	}
	if (out.known & keep & WHOSOCK_EDGE_KNOWN_CONTAINER)
		out.client.container = e->client.container;
	if (out.known & keep & WHOSOCK_EDGE_KNOWN_NETNS) {
		out.client.netns = e->client.netns;
		out.client.netns_name = e->client.netns_name;
	}
	return out;
}

static int cmp_str(const char *a, const char *b)
{
	return a == b ? 0 : !a ? -1 : !b ? 1 : strcmp(a, b);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Same client group and same service: one edge. */
static int cmp_edge(const void *pa, const void *pb)
{
	const struct whosock_edge *a = pa, *b = pb;
	int c = cmp_u64(a->known & ~WHOSOCK_EDGE_KNOWN_BYTES, b->known & ~WHOSOCK_EDGE_KNOWN_BYTES);

	if (!c)
		c = cmp_u64(a->client.netns, b->client.netns);
	if (!c)
		c = cmp_u64(a->client.uid, b->client.uid);
	if (!c)
		c = cmp_str(a->client.comm, b->client.comm);
	if (!c)
		c = cmp_str(a->client.container.id, b->client.container.id);
	if (!c)
		c = cmp_u64(a->server.proto, b->server.proto);
	if (!c)
		c = cmp_u64((uint64_t)a->server.family, (uint64_t)b->server.family);
	if (!c)
		c = memcmp(a->server.addr.addr, b->server.addr.addr, sizeof(a->server.addr.addr));
	if (!c)
		c = cmp_u64(a->server.addr.port, b->server.addr.port);
	if (!c)
		c = cmp_u64(a->server.netns, b->server.netns);
	return c;
}

static bool earlier(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int serveview_deps(struct sbuf *b, const struct whosock_edge *v, size_t n, const struct cli *q,
		   char *err, size_t errlen)
{
	const struct whosock_filter *f = &q->filter;
	enum whosock_deps_by by = (enum whosock_deps_by)q->deps_by;
	struct whosock_process_filter *pf = NULL;
	struct whosock_edge *g;
	bool lines = q->format == OUTPUT_NDJSON;
	size_t k = 0;
	int r = 0;

	if (f->n_pids || f->n_cmdlines) {
		snprintf(err, errlen, "an edge holds the connections of many processes: no pid or "
			 "cmdline (comm, user, container, netns)");
		return -EINVAL;
	}
	if (f->n_comms || f->n_uids || f->n_containers)
		r = whosock_process_filter_new(f, &pf);
	g = n ? malloc(n * sizeof(*g)) : NULL;
	if (r < 0 || (n && !g)) {
		whosock_process_filter_free(pf);
		free(g);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (to_service(&v[i], q) && client_matches(&v[i], f, pf))
			g[k++] = project(&v[i], by);
	whosock_process_filter_free(pf);
	if (by != WHOSOCK_DEPS_BY_PROCESS && k) {
		size_t w = 0;

		qsort(g, k, sizeof(*g), cmp_edge);
		for (size_t i = 0; i < k; i++) {
			struct whosock_edge *e = w ? &g[w - 1] : NULL;

			if (!e || cmp_edge(e, &g[i]) != 0) {
				g[w++] = g[i];
				continue;
			}
			e->connections += g[i].connections;
			e->sent_bytes += g[i].sent_bytes;
			e->received_bytes += g[i].received_bytes;
			if (earlier(&g[i].first_seen, &e->first_seen))
				e->first_seen = g[i].first_seen;
			if (earlier(&e->last_seen, &g[i].last_seen))
				e->last_seen = g[i].last_seen;
		}
		k = w;
	}
	rowjson_edges(b, g, k, lines);
	free(g);
	return b->failed ? -ENOMEM : 0;
}
