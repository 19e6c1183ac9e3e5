/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "summary.h"
#include "table.h"
#include "textesc.h"

/* The kinds and states this whosock names (a newer library's others count in
 * the totals only). */
#define SUMMARY_PROTOS (WHOSOCK_PROTO_OTHER + 1)
#define SUMMARY_STATES (WHOSOCK_STATE_BOUND_INACTIVE + 1)

/* Sockets by protocol and state. */
struct tally {
	uint64_t total;
	uint64_t n[SUMMARY_PROTOS][SUMMARY_STATES];
};

/* A namespace's or a container's counts. */
struct group {
	uint64_t netns;
	const char *netns_name;
	const struct whosock_container *container;
	struct tally t;
};

struct groups {
	struct group *v;
	size_t n, cap;
};

struct summary {
	struct tally all;
	struct groups netns, containers;
};

static void count(struct tally *t, const struct whosock_socket *s)
{
	t->total++;
	if (s->proto < SUMMARY_PROTOS && s->state < SUMMARY_STATES)
		t->n[s->proto][s->state]++;
}

static struct group *group_add(struct groups *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct group *v = realloc(g->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	memset(&g->v[g->n], 0, sizeof(g->v[g->n]));
	return &g->v[g->n++];
}

/* Rows come namespace by namespace: the last group is nearly always it. */
static struct group *netns_group(struct groups *g, const struct whosock_socket *s)
{
	struct group *grp;

	for (size_t i = g->n; i-- > 0;)
		if (g->v[i].netns == s->netns)
			return &g->v[i];
	grp = group_add(g);
	if (grp) {
		grp->netns = s->netns;
		grp->netns_name = s->netns_name;
	}
	return grp;
}

static bool same_container(const struct whosock_container *a, const struct whosock_container *b)
{
	return strcmp(a->runtime, b->runtime) == 0 && a->id && b->id && strcmp(a->id, b->id) == 0;
}

/* Count s once for each container one of its owners runs in. */
static int count_containers(struct groups *g, const struct whosock_socket *s)
{
	for (uint32_t i = 0; i < s->n_owners; i++) {
		const struct whosock_container *c = &s->owners[i].proc->container;
		struct group *grp = NULL;
		bool seen = false;

		if (!c->runtime || !c->id)
			continue;
		for (uint32_t k = 0; k < i && !seen; k++) {
			const struct whosock_container *o = &s->owners[k].proc->container;

			seen = o->runtime && same_container(o, c);
		}
		if (seen)
			continue;
		for (size_t k = 0; k < g->n && !grp; k++)
			if (same_container(g->v[k].container, c))
				grp = &g->v[k];
		if (!grp) {
			grp = group_add(g);
			if (!grp)
				return -ENOMEM;
			grp->container = c;
		}
		count(&grp->t, s);
	}
	return 0;
}

static int tally_snapshot(struct summary *sum, const struct whosock_snapshot *snap)
{
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		struct group *grp = netns_group(&sum->netns, s);

		if (!grp || count_containers(&sum->containers, s) < 0)
			return -ENOMEM;
		count(&sum->all, s);
		count(&grp->t, s);
	}
	return 0;
}

static uint64_t proto_total(const struct tally *t, size_t p)
{
	uint64_t n = 0;

	for (size_t st = 0; st < SUMMARY_STATES; st++)
		n += t->n[p][st];
	return n;
}

/* "LISTEN 3, ESTABLISHED 4", states in the kernel's order. */
static void put_states(struct sbuf *b, const struct tally *t, size_t p)
{
	bool first = true;

	for (size_t st = 0; st < SUMMARY_STATES; st++) {
		if (!t->n[p][st])
			continue;
		if (!first)
			sbuf_add(b, ", ", 2);
		first = false;
		sbuf_puts(b, whosock_state_name((enum whosock_proto)p, (int)st));
		sbuf_putc(b, ' ');
		sbuf_u64(b, t->n[p][st]);
	}
}

/* One section of the table: a row per (group, protocol) with sockets. */
struct section {
	const struct summary *sum;
	const struct groups *groups; /* NULL: the whole machine */
	struct { size_t group, proto; } *rows;
	size_t n_rows;
};

static void put_group(struct table *t, const struct group *g, bool container)
{
	struct sbuf *b = table_cell(t);

	if (container) {
		size_t len = strlen(g->container->id);

		sbuf_puts(b, g->container->runtime);
		sbuf_putc(b, ':');
		/* The short form docker and podman print. */
		table_cell_text(t, g->container->id, len > 12 ? 12 : len);
	} else if (g->netns_name) {
		table_cell_text(t, g->netns_name, strlen(g->netns_name));
	} else {
		sbuf_u64(b, g->netns);
	}
	table_cell_end(t);
}

static void section_row(struct table *t, size_t i, void *data)
{
	const struct section *sec = data;
	const struct group *g = sec->groups ? &sec->groups->v[sec->rows[i].group] : NULL;
	const struct tally *tl = g ? &g->t : &sec->sum->all;
	size_t p = sec->rows[i].proto;

	if (g)
		put_group(t, g, sec->groups == &sec->sum->containers);
	sbuf_puts(table_cell(t), whosock_proto_name((enum whosock_proto)p));
	table_cell_end(t);
	sbuf_u64(table_cell(t), proto_total(tl, p));
	table_cell_end(t);
	if (table_cell_wanted(t))
		put_states(table_cell(t), tl, p);
	table_cell_end(t);
}

static int render_section(struct sbuf *out, const struct summary *sum, const struct groups *groups,
			  const char *first, int header)
{
	const char *headers[] = { first, "PROTO", "TOTAL", "STATES", NULL };
	size_t n_groups = groups ? groups->n : 1;
	struct section sec = { .sum = sum, .groups = groups };

	sec.rows = calloc(n_groups * SUMMARY_PROTOS + 1, sizeof(*sec.rows));
	if (!sec.rows)
		return -ENOMEM;
	for (size_t g = 0; g < n_groups; g++)
		for (size_t p = 0; p < SUMMARY_PROTOS; p++)
			if (proto_total(groups ? &groups->v[g].t : &sum->all, p)) {
				sec.rows[sec.n_rows].group = g;
				sec.rows[sec.n_rows++].proto = p;
			}
	sbuf_putc(out, '\n');
	table_render(groups ? headers : headers + 1, sec.n_rows, section_row, &sec, out, header);
	free(sec.rows);
	return 0;
}

static void render_table(struct sbuf *out, const struct summary *sum, const struct cli *cli)
{
	sbuf_puts(out, "Total: ");
	sbuf_u64(out, sum->all.total);
	sbuf_puts(out, sum->all.total == 1 ? " socket in " : " sockets in ");
	sbuf_u64(out, sum->netns.n);
	sbuf_puts(out, sum->netns.n == 1 ? " network namespace, " : " network namespaces, ");
	sbuf_u64(out, sum->containers.n);
	sbuf_puts(out, sum->containers.n == 1 ? " container\n" : " containers\n");
	if (sum->all.total == 0)
		return;
	if (render_section(out, sum, NULL, NULL, cli->header) < 0 ||
	    render_section(out, sum, &sum->netns, "NETNS", cli->header) < 0 ||
	    (sum->containers.n &&
	     render_section(out, sum, &sum->containers, "CONTAINER", cli->header) < 0))
		out->failed = true;
}

/* "total": N, "protos": {"tcp": {"total": N, "states": {"LISTEN": N}}} */
static void json_tally(struct sbuf *b, const struct tally *t)
{
	bool first_p = true;

	sbuf_puts(b, "\"total\":");
	sbuf_u64(b, t->total);
	sbuf_puts(b, ",\"protos\":{");
	for (size_t p = 0; p < SUMMARY_PROTOS; p++) {
		bool first_s = true;

		if (!proto_total(t, p))
			continue;
		if (!first_p)
			sbuf_putc(b, ',');
		first_p = false;
		output_json_key(b, whosock_proto_name((enum whosock_proto)p));
		sbuf_puts(b, "{\"total\":");
		sbuf_u64(b, proto_total(t, p));
		sbuf_puts(b, ",\"states\":{");
		for (size_t st = 0; st < SUMMARY_STATES; st++) {
			if (!t->n[p][st])
				continue;
			if (!first_s)
				sbuf_putc(b, ',');
			first_s = false;
			output_json_key(b, whosock_state_name((enum whosock_proto)p, (int)st));
			sbuf_u64(b, t->n[p][st]);
		}
		sbuf_add(b, "}}", 2);
	}
	sbuf_putc(b, '}');
}

static void render_json(struct sbuf *out, const struct summary *sum)
{
	sbuf_putc(out, '{');
	json_tally(out, &sum->all);
	sbuf_puts(out, ",\"netns\":[");
	for (size_t i = 0; i < sum->netns.n; i++) {
		const struct group *g = &sum->netns.v[i];

		sbuf_puts(out, i ? ",\n{\"netns\":" : "\n{\"netns\":");
		if (g->netns)
			sbuf_u64(out, g->netns);
		else
			sbuf_puts(out, "null");
		sbuf_putc(out, ',');
		output_json_str(out, "netns_name", g->netns_name);
		sbuf_putc(out, ',');
		json_tally(out, &g->t);
		sbuf_putc(out, '}');
	}
	sbuf_puts(out, "],\"containers\":[");
	for (size_t i = 0; i < sum->containers.n; i++) {
		const struct group *g = &sum->containers.v[i];

		sbuf_puts(out, i ? ",\n{" : "\n{");
		output_json_str(out, "runtime", g->container->runtime);
		sbuf_putc(out, ',');
		output_json_str(out, "id", g->container->id);
		sbuf_putc(out, ',');
		output_json_str(out, "pod_uid", g->container->pod_uid);
		sbuf_putc(out, ',');
		json_tally(out, &g->t);
		sbuf_putc(out, '}');
	}
	sbuf_puts(out, "]}\n");
}

int summary_render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli)
{
	struct summary *sum = calloc(1, sizeof(*sum));
	int r;

	if (!sum)
		return -ENOMEM;
	r = tally_snapshot(sum, snap);
	if (r == 0 && cli->format == OUTPUT_JSON)
		render_json(out, sum);
	else if (r == 0)
		render_table(out, sum, cli);
	free(sum->netns.v);
	free(sum->containers.v);
	free(sum);
	if (r < 0)
		return r;
	if (out->sink_error)
		return -out->sink_error;
	return out->failed ? -ENOMEM : sbuf_flush(out);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

long pids_render(struct sbuf *out, const struct whosock_snapshot *snap)
{
	size_t n = 0, cap = 0, k = 0;
	int *pids = NULL, r;

	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		for (uint32_t o = 0; o < s->n_owners; o++) {
			if (n == cap) {
				int *v;

				cap = cap ? cap * 2 : 64;
				v = realloc(pids, cap * sizeof(*v));
				if (!v) {
					free(pids);
					return -ENOMEM;
				}
				pids = v;
			}
			pids[n++] = s->owners[o].proc->pid;
		}
	}
	if (n)
		qsort(pids, n, sizeof(*pids), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (i && pids[i] == pids[i - 1])
			continue;
		sbuf_u64(out, (uint64_t)pids[i]);
		sbuf_putc(out, '\n');
		sbuf_maybe_flush(out);
		k++;
	}
	free(pids);
	if (out->sink_error)
		return -out->sink_error;
	if (out->failed)
		return -ENOMEM;
	r = sbuf_flush(out);
	return r < 0 ? r : (long)k;
}
