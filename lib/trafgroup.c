/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockcopy.h"
#include "trafgroup.h"

static uint64_t fnv(uint64_t h, const char *s)
{
	if (!s)
		return h * 0x100000001b3ull; /* NULL differs from "" */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

void tgkey_make(struct tgkey *k, enum whosock_meter_by by, const struct whosock_socket *s,
		const struct whosock_process *p)
{
	memset(k, 0, sizeof(*k));
	k->by = (uint8_t)by;
	switch (by) {
	case WHOSOCK_BY_PROCESS:
		/* Without a process: one group per namespace. */
		if (p) {
			k->pid = p->pid;
			k->strhash = fnv(0xcbf29ce484222325ull, p->comm);
		} else {
			k->netns = s->netns;
		}
		break;
	case WHOSOCK_BY_CONNECTION:
		k->netns = s->netns;
		k->cookie = s->cookie;
		break;
	case WHOSOCK_BY_REMOTE:
		k->netns = s->netns;
		k->proto = s->proto;
		k->family = s->family;
		k->port = s->remote.port;
		memcpy(k->addr, s->remote.addr, sizeof(k->addr));
		break;
	case WHOSOCK_BY_CONTAINER:
		if (p && p->container.id) {
			k->kind = 1;
			k->strhash = fnv(fnv(0xcbf29ce484222325ull, p->container.runtime), p->container.id);
		} else if (p) {
			k->kind = 2;
		}
		break;
	case WHOSOCK_BY_USER:
		if (p && p->uid_known) {
			k->kind = 1;
			k->uid = p->uid;
		} else if (s->known & WHOSOCK_KNOWN_UID) {
			k->kind = 1;
			k->uid = s->uid;
		}
		break;
	case WHOSOCK_BY_NETNS:
		k->netns = s->netns;
		break;
	}
}

static size_t key_slot(const struct tgkey *k, size_t cap)
{
	const unsigned char *b = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static void index_put(struct tgroups *g, struct tgroup *t)
{
	size_t h = key_slot(&t->key, g->index_cap);

	while (g->index[h])
		h = (h + 1) & (g->index_cap - 1);
	g->index[h] = t;
}

/* The index for v[0..n), at most half full. */
static int reindex(struct tgroups *g, size_t want)
{
	size_t cap = 64;
	struct tgroup **idx;

	while (cap < want * 2)
		cap *= 2;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	free(g->index);
	g->index = idx;
	g->index_cap = cap;
	for (size_t i = 0; i < g->n; i++)
		index_put(g, g->v[i]);
	return 0;
}

/* A copy of p with its strings in the same block (the command line left
 * out: rows do not show it). */
static struct whosock_process *proccopy(const struct whosock_process *p)
{
	const char *strs[6] = { p->comm, p->user, p->cgroup, p->container.runtime, p->container.id,
				p->container.pod_uid };
	size_t len[6], total = sizeof(*p);
	struct whosock_process *c;
	char *at;

	for (int i = 0; i < 6; i++)
		total += (len[i] = strs[i] ? strlen(strs[i]) + 1 : 0);
	c = malloc(total);
	if (!c)
		return NULL;
	*c = *p;
	c->cmdline = NULL;
	c->cmdline_truncated = false;
	at = (char *)(c + 1);
	for (int i = 0; i < 6; i++) {
		const char *copy = NULL;

		if (strs[i]) {
			memcpy(at, strs[i], len[i]);
			copy = at;
			at += len[i];
		}
		switch (i) {
		case 0: c->comm = copy; break;
		case 1: c->user = copy; break;
		case 2: c->cgroup = copy; break;
		case 3: c->container.runtime = copy; break;
		case 4: c->container.id = copy; break;
		default: c->container.pod_uid = copy; break;
		}
	}
	return c;
}

static void group_free(struct tgroup *t)
{
	if (!t)
		return;
	free(t->sock);
	free(t->proc);
	free(t->netns_name);
	free(t);
}

static struct tgroup *group_new(const struct tgkey *k, const struct whosock_socket *s,
				const struct whosock_process *p)
{
	struct tgroup *t = calloc(1, sizeof(*t));
	struct whosock_meter_row *r;
	bool ok;

	if (!t)
		return NULL;
	t->key = *k;
	r = &t->row;
	r->by = k->by;
	ok = true;
	if (p && k->by != WHOSOCK_BY_NETNS && k->by != WHOSOCK_BY_REMOTE)
		ok = (t->proc = proccopy(p)) != NULL;
	if (ok && k->by == WHOSOCK_BY_CONNECTION)
		ok = (t->sock = sockcopy(s)) != NULL;
	if (ok && s->netns_name)
		ok = (t->netns_name = strdup(s->netns_name)) != NULL;
	if (!ok) {
		group_free(t);
		return NULL;
	}
	r->process = t->proc;
	r->socket = t->sock;
	r->netns = s->netns;
	r->netns_name = t->netns_name;
	if (k->by == WHOSOCK_BY_REMOTE) {
		r->proto = s->proto;
		r->family = s->family;
		memcpy(r->remote.addr, s->remote.addr, sizeof(r->remote.addr));
		r->remote.port = s->remote.port;
	}
	if (k->by == WHOSOCK_BY_CONTAINER && t->proc && t->proc->container.id)
		r->container = &t->proc->container;
	if (k->by == WHOSOCK_BY_USER) {
		r->uid_known = k->kind == 1;
		r->uid = k->uid;
		r->user = t->proc && t->proc->uid_known && t->proc->uid == k->uid ? t->proc->user : NULL;
	}
	return t;
}

struct tgroup *tgroups_get(struct tgroups *g, const struct tgkey *k, const struct whosock_socket *s,
			   const struct whosock_process *p)
{
	struct tgroup *t;
	size_t h;

	if (g->index_cap) {
		for (h = key_slot(k, g->index_cap); g->index[h]; h = (h + 1) & (g->index_cap - 1))
			if (memcmp(&g->index[h]->key, k, sizeof(*k)) == 0)
				return g->index[h];
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct tgroup **v = realloc(g->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	if ((g->n + 1) * 2 > g->index_cap && reindex(g, g->n + 1) < 0)
		return NULL;
	t = group_new(k, s, p);
	if (!t)
		return NULL;
	g->v[g->n++] = t;
	index_put(g, t);
	return t;
}

void tgroup_add(struct tgroup *t, const struct whosock_socket *s, uint64_t sent, uint64_t received,
		bool open, bool closed)
{
	struct whosock_meter_row *r = &t->row;

	t->used = true;
	r->sent_bytes += sent;
	r->received_bytes += received;
	r->sent_total += sent;
	r->received_total += received;
	r->connections += open;
	r->closed += closed;
	if (r->netns != s->netns) {
		r->netns = 0; /* sockets in several namespaces */
		r->netns_name = NULL;
	}
	/* A connection's row shows its latest state and counters. */
	if (t->sock) {
		t->sock->state = s->state;
		t->sock->traffic = s->traffic;
		t->sock->known |= s->known & WHOSOCK_KNOWN_TRAFFIC;
	}
}

void tgroups_sweep(struct tgroups *g)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->v[i]->used)
			g->v[k++] = g->v[i];
		else
			group_free(g->v[i]);
	}
	if (k != g->n) {
		g->n = k;
		/* The index cannot fail to shrink: reuse it when no memory. */
		if (reindex(g, k) < 0) {
			memset(g->index, 0, g->index_cap * sizeof(*g->index));
			for (size_t i = 0; i < g->n; i++)
				index_put(g, g->v[i]);
		}
	}
}

void tgroups_next(struct tgroups *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct whosock_meter_row *r = &g->v[i]->row;

		g->v[i]->used = false;
		r->sent_bytes = r->received_bytes = r->connections = r->closed = 0;
	}
}

void tgroups_free(struct tgroups *g)
{
	for (size_t i = 0; i < g->n; i++)
		group_free(g->v[i]);
	free(g->v);
	free(g->index);
	memset(g, 0, sizeof(*g));
}

static int cmp_rows(const void *a, const void *b)
{
	const struct whosock_meter_row *x = a, *y = b;
	uint64_t bx = x->sent_bytes + x->received_bytes, by = y->sent_bytes + y->received_bytes;
	uint64_t tx = x->sent_total + x->received_total, ty = y->sent_total + y->received_total;

	if (bx != by)
		return bx < by ? 1 : -1;
	if (tx != ty)
		return tx < ty ? 1 : -1;
	if (x->connections != y->connections)
		return x->connections < y->connections ? 1 : -1;
	return 0;
}

long tgroups_rows(const struct tgroups *g, enum whosock_meter_by by, struct whosock_meter_row **out)
{
	struct whosock_meter_row *rows;
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->v[i]->key.by == by && g->v[i]->used;
	*out = NULL;
	if (!n)
		return 0;
	rows = malloc(n * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i]->key.by == by && g->v[i]->used)
			rows[n++] = g->v[i]->row;
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*out = rows;
	return (long)n;
}
