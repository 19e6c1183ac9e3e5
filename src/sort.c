/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* The lowest pid holding the socket (owners are sorted by pid); sockets
 * nobody is seen to hold go last. */
static uint64_t lowest_pid(const struct whosock_socket *s)
{
	return s->n_owners ? (uint64_t)s->owners[0].proc->pid : UINT64_MAX;
}

static int cmp_key(enum sort_key key, const struct whosock_socket *a,
		   const struct whosock_socket *b)
{
	int r;

	switch (key) {
	case SORT_NETNS:
		return cmp_u64(a->netns, b->netns);
	case SORT_PROTO:
		r = cmp_u64(a->proto, b->proto);
		return r ? r : cmp_u64(a->family, b->family);
	case SORT_STATE:
		return strcmp(whosock_state_name(a->proto, a->state),
			      whosock_state_name(b->proto, b->state));
	case SORT_PORT:
		r = cmp_u64(a->local.port, b->local.port);
		return r ? r : memcmp(a->local.addr, b->local.addr, sizeof(a->local.addr));
	case SORT_RPORT:
		r = cmp_u64(a->remote.port, b->remote.port);
		return r ? r : memcmp(a->remote.addr, b->remote.addr, sizeof(a->remote.addr));
	case SORT_PID:
		return cmp_u64(lowest_pid(a), lowest_pid(b));
	case SORT_QUEUES:
		/* The fullest first: that is what one looks for. */
		return cmp_u64((uint64_t)b->rqueue + b->wqueue, (uint64_t)a->rqueue + a->wqueue);
	case SORT_INODE:
		return cmp_u64(a->inode, b->inode);
	}
	return 0;
}

static int cmp_rows(const void *x, const void *y, void *data)
{
	const struct cli *cli = data;
	const struct whosock_socket *a = *(const struct whosock_socket *const *)x;
	const struct whosock_socket *b = *(const struct whosock_socket *const *)y;

	for (size_t i = 0; i < cli->n_sort; i++) {
		int r = cmp_key(cli->sort[i], a, b);

		if (r)
			return r;
	}
	/* The rows are one array: their addresses are the snapshot's order,
	 * which makes the sort stable. */
	return (a > b) - (a < b);
}

int sort_rows(const struct whosock_snapshot *snap, const size_t *idx, size_t n,
	      const struct cli *cli, const struct whosock_socket ***out)
{
	const struct whosock_socket **rows;

	if (n == 0) {
		*out = NULL;
		return 0;
	}
	rows = malloc(n * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rows[i] = whosock_snapshot_get(snap, idx ? idx[i] : i);
	if (cli->n_sort)
		qsort_r(rows, n, sizeof(*rows), cmp_rows, (void *)(uintptr_t)cli);
	*out = rows;
	return 0;
}
