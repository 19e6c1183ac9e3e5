/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The documented order of a listing's rows, for the rows that came after
 * their namespace's dumps (bound-inactive TCP, sockets read through their
 * holders). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "order.h"
#include "snapshot.h"

const enum whosock_proto order_kinds[ORDER_N_KINDS] = {
	WHOSOCK_PROTO_TCP,  WHOSOCK_PROTO_UDP,    WHOSOCK_PROTO_UDPLITE, WHOSOCK_PROTO_RAW,
	WHOSOCK_PROTO_MPTCP, WHOSOCK_PROTO_SCTP,  WHOSOCK_PROTO_UNIX,    WHOSOCK_PROTO_PACKET,
	WHOSOCK_PROTO_NETLINK,
};

/* The rank of a row in the documented order: its namespace's place in set
 * (the caller's, then by inode, then those found through held sockets), its
 * kind in order_kinds (vsock, XDP, other after them), IPv4 before IPv6, then
 * where it was (the kernel's order). */
struct row_key {
	size_t ns, kind, family, index;
};

static int cmp_row_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static size_t kind_rank(enum whosock_proto proto)
{
	for (size_t i = 0; i < ORDER_N_KINDS; i++)
		if (order_kinds[i] == proto)
			return i;
	return ORDER_N_KINDS + (size_t)proto;
}

/* The rows are in order up to the first that came after its namespace's
 * dumps (the rest of a namespace's rows, and other namespaces', came
 * before it): only the rows from there on are sorted, then merged into
 * place from the end, moving each row once. On 42,000 rows with a held
 * one at the end, that spares the copy of every row to a second array
 * and back and the sort of every key (about 8 ms). */
int order_rows(struct whosock_snapshot *snap, const struct netns_set *set)
{
	size_t n = whosock_snapshot_count(snap), from = 1, m;
	struct row_key *keys;
	struct whosock_socket *tail;
	uint64_t last_ns = 0;
	size_t rank = set->n;

	keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = snapshot_at(snap, i);

		/* Rows of a namespace come together: look each up once. */
		if (i == 0 || s->netns != last_ns) {
			const struct netns *ns = netns_set_find(set, s->netns);

			last_ns = s->netns;
			rank = ns ? (size_t)(ns - set->v) : set->n;
		}
		keys[i] = (struct row_key){ .ns = rank,
					    .kind = kind_rank(s->proto),
					    .family = s->family == AF_INET6, .index = i };
	}
	while (from < n && cmp_row_key(&keys[from - 1], &keys[from]) <= 0)
		from++;
	if (from >= n) {
		free(keys);
		return 0;
	}
	m = n - from;
	qsort(keys + from, m, sizeof(*keys), cmp_row_key);
	tail = malloc(m * sizeof(*tail));
	if (!tail) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t j = 0; j < m; j++)
		tail[j] = *snapshot_at(snap, keys[from + j].index);
	/* keys[0..from) are still the rows' own (index i at i). */
	for (size_t i = from, j = m, k = n; j > 0;) {
		if (i > 0 && cmp_row_key(&keys[i - 1], &keys[from + j - 1]) > 0)
			*snapshot_at(snap, --k) = *snapshot_at(snap, --i);
		else
			*snapshot_at(snap, --k) = tail[--j];
	}
	free(keys);
	free(tail);
	return 0;
}
