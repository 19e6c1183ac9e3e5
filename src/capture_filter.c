/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture's kernel filter for --pid, --user, --comm, --container
 * (capture_int.h): the user's expression, and not the packets between two
 * ports that only sockets of other processes hold in the namespace (both
 * the packet's ports: a packet with a port of a matching socket, or of a
 * socket not known yet, reaches user space, where the tagging decides).
 * So nothing of a matching process is dropped in the kernel (unless a new
 * socket of it shares its port number with another process's socket on
 * another address, until the next filter), while the traffic among the
 * others is; it is compiled again when those ports change, at most every
 * RESCAN_MS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"
#include "pktindex.h"

/* Ports per protocol in the expression at most: classic BPF programs are
 * at most 4,096 instructions. */
#define MAX_PORTS 64

struct ports {
	uint16_t *v;
	size_t n, cap;
	bool failed;
};

struct collect {
	const struct capture *c;
	uint64_t netns;
	struct ports mine[2], others[2]; /* [0] TCP, [1] UDP */
};

static void add(struct ports *p, uint16_t port)
{
	uint16_t *v;

	if (p->failed)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		v = realloc(p->v, cap * sizeof(*v));
		if (!v) {
			p->failed = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = port;
}

static bool on_socket(const struct whosock_socket *s, bool closed, void *data)
{
	struct collect *x = data;
	int k = s->proto == WHOSOCK_PROTO_TCP ? 0 : s->proto == WHOSOCK_PROTO_UDP ? 1 : -1;

	if (k < 0 || s->netns != x->netns)
		return true;
	if (s->n_owners && whosock_filter_match_owners(x->c->pf, s))
		add(&x->mine[k], s->local.port);
	else if (!closed) /* a closed one's port may be a new socket's */
		add(&x->others[k], s->local.port);
	return true;
}

static int cmp_port(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return x < y ? -1 : x > y;
}

/* others less mine, sorted, each once, at most MAX_PORTS. */
static void only_others(struct ports *others, struct ports *mine)
{
	size_t n = 0, m = 0;

	qsort(others->v, others->n, sizeof(*others->v), cmp_port);
	qsort(mine->v, mine->n, sizeof(*mine->v), cmp_port);
	for (size_t i = 0; i < others->n && n < MAX_PORTS; i++) {
		if (n && others->v[n - 1] == others->v[i])
			continue;
		while (m < mine->n && mine->v[m] < others->v[i])
			m++;
		if (m < mine->n && mine->v[m] == others->v[i])
			continue;
		others->v[n++] = others->v[i];
	}
	others->n = n;
}

/* "(src port 1 or src port 2)" */
static void port_list(struct sbuf *b, const char *dir, const struct ports *p)
{
	sbuf_putc(b, '(');
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			sbuf_puts(b, " or ");
		sbuf_puts(b, dir);
		sbuf_puts(b, " port ");
		sbuf_u64(b, p->v[i]);
	}
	sbuf_putc(b, ')');
}

/* The expression for ns into b (empty: the user's, or none). */
static void expression(const struct capture *c, struct collect *x, struct sbuf *b)
{
	static const char *const names[] = { "tcp", "udp" };
	const char *user = c->cli->capture.expr;
	bool any = false;

	for (int k = 0; k < 2; k++)
		only_others(&x->others[k], &x->mine[k]);
	if (user)
		sbuf_puts(b, "(");
	if (user)
		sbuf_puts(b, user);
	if (user)
		sbuf_puts(b, ")");
	for (int k = 0; k < 2; k++) {
		if (!x->others[k].n)
			continue;
		sbuf_puts(b, any ? " or " : user ? " and not (" : "not (");
		any = true;
		sbuf_putc(b, '(');
		sbuf_puts(b, names[k]);
		sbuf_puts(b, " and ");
		port_list(b, "src", &x->others[k]);
		sbuf_puts(b, " and ");
		port_list(b, "dst", &x->others[k]);
		sbuf_putc(b, ')');
	}
	if (any)
		sbuf_putc(b, ')');
	sbuf_putc(b, '\0');
}

static void set_filter(struct cap_ns *ns, const char *expr)
{
	for (size_t i = 0; i < ns->n_h; i++) {
		struct cap_handle *h = ns->h[i];
		struct bpf_program prog;

		if (!h->p || pcap_compile(h->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
			continue; /* (the handle keeps the filter it has: nothing lost) */
		(void)pcap_setfilter(h->p, &prog);
		pcap_freecode(&prog);
	}
}

void capture_refilter(struct capture *c)
{
	const struct pktindex *pk = portindex_packets(c->idx);

	if (!c->owner_filter || !pk)
		return;
	for (size_t i = 0; i < c->n_ns; i++) {
		struct cap_ns *ns = c->ns[i];
		struct collect x = { .c = c, .netns = ns->inode };
		struct sbuf b = { 0 };
		bool failed = false;

		if (ns->gone)
			continue;
		pktindex_each(pk, on_socket, &x);
		for (int k = 0; k < 2; k++)
			failed |= x.mine[k].failed || x.others[k].failed;
		if (!failed)
			expression(c, &x, &b);
		if (!failed && !b.failed && b.data &&
		    (!ns->filter || strcmp(ns->filter, b.data) != 0)) {
			char *copy = strdup(b.data);

			if (copy) {
				set_filter(ns, *copy ? copy : (c->cli->capture.expr ? c->cli->capture.expr
										    : ""));
				free(ns->filter);
				ns->filter = copy;
			}
		}
		sbuf_free(&b);
		for (int k = 0; k < 2; k++) {
			free(x.mine[k].v);
			free(x.others[k].v);
		}
	}
}
