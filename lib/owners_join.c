/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners, the join: the scan's socket fds (owners.c) given to the snapshot's
 * sockets by inode, one owner entry per process (and per thread with an fd
 * table of its own) with every fd, the processes stored once; and what the
 * scan saw besides: namespaces, sockets no dump listed, what it could not
 * read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "owners.h"
#include "owners_scan.h"
#include "container.h"
#include "dirscan.h"
#include "filter.h"
#include "netns.h"
#include "procinfo.h"
#include "snapshot.h"

/* inode → socket index, open addressing. */
struct inode_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;
};

static size_t hash_inode(uint64_t inode)
{
	return (size_t)(inode * 0x9E3779B97F4A7C15ull >> 17);
}

static int inode_map_init(struct inode_map *m, const struct whosock_snapshot *snap)
{
	size_t n = whosock_snapshot_count(snap), cap = 64;

	/* Load at most 2/3: short probes, and no more memory than needed. */
	while (cap < n + n / 2)
		cap *= 2;
	m->mask = cap - 1;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = malloc(cap * sizeof(*m->vals));
	if (!m->keys || !m->vals)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t ino = whosock_snapshot_get(snap, i)->inode;
		size_t h;

		if (ino == 0)
			continue;
		for (h = hash_inode(ino) & m->mask; m->keys[h] && m->keys[h] != ino;
		     h = (h + 1) & m->mask)
			;
		m->keys[h] = ino;
		m->vals[h] = (uint32_t)i;
	}
	return 0;
}

static long inode_map_get(const struct inode_map *m, uint64_t ino)
{
	for (size_t h = hash_inode(ino) & m->mask; m->keys[h]; h = (h + 1) & m->mask)
		if (m->keys[h] == ino)
			return m->vals[h];
	return -1;
}

static void inode_map_free(struct inode_map *m)
{
	free(m->keys);
	free(m->vals);
}

/* A found fd joined to its socket, with the process's index in the merged
 * array: 20 bytes per fd, freed once the owners are built (the process's
 * details are in procs, once). */
struct join {
	uint32_t sock;
	int pid;
	uint32_t proc;
	int tid;
	int fd;
};

/* Sorted so that each socket's fds come grouped by process, then by fd
 * table (the process's own first, tid 0), then ascending. */
static int cmp_join(const void *a, const void *b)
{
	const struct join *x = a, *y = b;

	if (x->sock != y->sock)
		return x->sock < y->sock ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Sort joins[0..n) into cmp_join's order, with n_socks the number of
 * sockets. A counting sort by socket (stable, two passes over the joins)
 * and then each socket's few joins by qsort where they are not in order
 * already: the fds each part found come in (pid, tid, fd) order from the
 * BPF pass, so most groups are. On the 42k load, a third of the qsort()
 * of all 42,000 joins. */
static int sort_joins(struct join **joins, size_t n, size_t n_socks)
{
	size_t *start = calloc(n_socks + 1, sizeof(*start));
	/* (calloc: gcc's analyzer cannot see that the sort fills it.) */
	struct join *out = calloc(n ? n : 1, sizeof(*out));

	if (!start || !out) {
		free(start);
		free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		start[(*joins)[i].sock + 1]++;
	for (size_t k = 0; k < n_socks; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < n; i++)
		out[start[(*joins)[i].sock]++] = (*joins)[i];
	/* start[k] is now where socket k + 1's joins begin. */
	for (size_t k = 0, from = 0; k < n_socks; from = start[k++]) {
		for (size_t i = from + 1; i < start[k]; i++)
			if (cmp_join(&out[i - 1], &out[i]) > 0) {
				qsort(out + from, start[k] - from, sizeof(*out), cmp_join);
				break;
			}
	}
	free(start);
	free(*joins);
	*joins = out;
	return 0;
}

/* Whether fd is among the sorted fds[0..n). */
static bool has_fd(const int *fds, size_t n, int fd)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fds[mid] == fd)
			return true;
		if (fds[mid] < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Turn the sorted joins into one owner per (socket, process, fd table) with
 * its fds. owners and fds have room for n_join entries each. A thread
 * table's fd that the process's own table holds with the same number is a
 * copy (unshare(CLONE_FILES), or a table walked because kcmp was refused):
 * left out, and a thread entry left with no fd is dropped. */
static void build_owners(struct whosock_snapshot *snap, const struct join *joins, size_t n_join,
			 struct whosock_process *procs, struct whosock_owner *owners, int *fds)
{
	size_t n_owners = 0, n_fds = 0, own = 0, n_own = 0;

	for (size_t i = 0; i < n_join;) {
		const struct join *j = &joins[i];
		struct whosock_socket *s = snapshot_at(snap, j->sock);
		bool same_proc = i && j->sock == j[-1].sock && j->pid == j[-1].pid;
		size_t first = n_fds;

		/* The fds of this (socket, process, table). */
		if (!same_proc)
			n_own = 0;
		for (; i < n_join && joins[i].sock == j->sock && joins[i].pid == j->pid &&
		       joins[i].tid == j->tid;
		     i++) {
			int fd = joins[i].fd;

			if (n_fds > first && fds[n_fds - 1] == fd)
				continue; /* the same fd found twice */
			if (j->tid && n_own && has_fd(fds + own, n_own, fd))
				continue;
			fds[n_fds++] = fd;
		}
		if (n_fds == first)
			continue;
		if (!j->tid) {
			own = first;
			n_own = n_fds - first;
		}
		owners[n_owners] = (struct whosock_owner){ .proc = &procs[j->proc],
							   .fd = fds[first],
							   .tid = j->tid,
							   .n_fds = (uint32_t)(n_fds - first),
							   .fds = fds + first };
		if (!s->owners)
			s->owners = &owners[n_owners];
		s->n_owners++;
		n_owners++;
	}
}

/* Every part's processes in one array owned by the snapshot; offsets[i] is
 * where part i's begin. */
static struct whosock_process *merge_procs(struct owners_scan *sc, struct whosock_snapshot *snap,
					   size_t *offsets)
{
	struct whosock_process *procs;
	size_t total = 0;

	for (size_t i = 0; i < sc->n_parts; i++) {
		offsets[i] = total;
		total += sc->parts[i] ? sc->parts[i]->n_procs : 0;
	}
	procs = snapshot_adopt(snap, malloc((total ? total : 1) * sizeof(*procs)));
	if (!procs)
		return NULL;
	for (size_t i = 0; i < sc->n_parts; i++)
		if (sc->parts[i] && sc->parts[i]->n_procs)
			memcpy(procs + offsets[i], sc->parts[i]->procs,
			       sc->parts[i]->n_procs * sizeof(*procs));
	return procs;
}

int owners_scan_attach(struct owners_scan *sc, struct whosock_snapshot *snap)
{
	size_t offsets[MAX_WORKERS], n_join = 0, n_found = 0, hidden = 0;
	struct whosock_process *procs;
	struct whosock_owner *owners = NULL;
	int *fds = NULL;
	struct inode_map map = { 0 };
	struct join *joins = NULL;
	int r;

	for (size_t i = 0; i < sc->n_parts; i++) {
		struct part *pt = sc->parts[i];

		if (!pt)
			continue;
		if (pt->error < 0)
			return pt->error;
		n_found += pt->n_found;
		hidden += pt->hidden;
	}
	if (sc->next < sc->n_pids || sc->bpf_pending)
		return -ENOMEM; /* no worker could start */
	if (sc->bpf_status < 0)
		return sc->bpf_status;
	procs = merge_procs(sc, snap, offsets);
	if (!procs)
		return -ENOMEM;
	r = inode_map_init(&map, snap);
	if (r < 0)
		goto out;
	joins = malloc((n_found ? n_found : 1) * sizeof(*joins));
	if (!joins) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sc->n_parts; i++) {
		struct part *pt = sc->parts[i];

		for (size_t k = 0; pt && k < pt->n_found; k++) {
			const struct found *f = &pt->found[k];
			long sock = inode_map_get(&map, f->inode);

			if (sock < 0)
				continue; /* a socket we did not list */
			joins[n_join++] = (struct join){
				.sock = (uint32_t)sock, .pid = pt->procs[f->proc].pid,
				.proc = (uint32_t)(offsets[i] + f->proc), .fd = f->fd, .tid = f->tid
			};
		}
		/* The strings now belong to the snapshot; what was found is
		 * joined and no longer needed (peak memory matters here). */
		if (pt) {
			r = snapshot_merge(snap, pt->arena);
			if (r < 0)
				goto out;
			free(pt->found);
			pt->found = NULL;
			pt->n_found = pt->cap_found = 0;
		}
	}
	inode_map_free(&map);
	map = (struct inode_map){ 0 };
	r = sort_joins(&joins, n_join, whosock_snapshot_count(snap));
	if (r < 0)
		goto out;
	if (n_join) {
		/* At most one owner per (socket, process, table): sized by
		 * counting those, not by the fds (a process may hold a socket
		 * through thousands of them). */
		size_t n_tables = 0;

		for (size_t i = 0; i < n_join; i++)
			n_tables += !i || joins[i].sock != joins[i - 1].sock ||
				    joins[i].pid != joins[i - 1].pid || joins[i].tid != joins[i - 1].tid;
		owners = snapshot_adopt(snap, malloc(n_tables * sizeof(*owners)));
		fds = owners ? snapshot_adopt(snap, malloc(n_join * sizeof(*fds))) : NULL;
		if (!fds) {
			r = -ENOMEM;
			goto out;
		}
		build_owners(snap, joins, n_join, procs, owners, fds);
	}
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		sc->ownerless += s->inode && !s->n_owners;
	}
	snapshot_set_hidden(snap, hidden);
	if (filter_has_owner_members(sc->filter))
		snapshot_keep_owned(snap);
	r = 0;
out:
	inode_map_free(&map);
	free(joins);
	return r;
}

void owners_scan_gaps(const struct owners_scan *sc, struct owners_gaps *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sc->n_parts; i++) {
		const struct part *pt = sc->parts[i];

		if (!pt || !pt->unread)
			continue;
		if (!out->unread)
			out->unread_error = pt->unread_error;
		out->unread += pt->unread;
	}
	if (sc->pidns && sc->pidns != INITIAL_PIDNS_INODE) {
		out->pidns = sc->pidns;
		out->outside_pidns = sc->ownerless;
	}
	if (sc->bpf_noted) {
		out->bpf_error = sc->bpf_error;
		out->bpf_pidns = sc->bpf_error == EXDEV ? sc->pidns : 0;
	}
}

int owners_scan_netns(const struct owners_scan *sc, struct netns_set *set)
{
	const int self = getpid();

	for (size_t i = 0; i <= sc->n_parts; i++) {
		const struct part *pt = i < sc->n_parts ? sc->parts[i] : sc->bpf_part;

		for (size_t k = 0; pt && k < pt->n_ns; k++) {
			const struct nsref *ref = &pt->ns[k];
			struct netns *ns;

			/* A handle whosock itself holds (a dump under way in
			 * another thread) keeps nothing alive for anyone. */
			if (ref->fd >= 0 && ref->pid == self)
				continue;
			ns = netns_set_get(set, ref->inode);
			if (!ns)
				return -ENOMEM;
			if (ref->fd < 0 && !ns->pid)
				ns->pid = ref->pid;
			else if (ref->fd >= 0 && !ns->holder_pid) {
				ns->holder_pid = ref->pid;
				ns->holder_fd = ref->fd;
			}
		}
	}
	return 0;
}

int owners_scan_unlisted(const struct owners_scan *sc, const struct whosock_snapshot *snap,
			 const struct whosock_snapshot *also, struct owners_unlisted **out,
			 size_t *n_out)
{
	struct inode_map map = { 0 }, seen = { 0 };
	struct owners_unlisted *v = NULL;
	size_t n = 0, total = 0;
	int r;

	for (size_t i = 0; i < sc->n_parts; i++)
		total += sc->parts[i] ? sc->parts[i]->n_found : 0;
	r = inode_map_init(&map, snap);
	if (r == 0 && also)
		r = inode_map_init(&seen, also);
	if (r < 0)
		goto out;
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sc->n_parts; i++) {
		const struct part *pt = sc->parts[i];

		for (size_t k = 0; pt && k < pt->n_found; k++) {
			const struct found *f = &pt->found[k];

			if (inode_map_get(&map, f->inode) >= 0 ||
			    (also && inode_map_get(&seen, f->inode) >= 0))
				continue;
			v[n++] = (struct owners_unlisted){ .inode = f->inode,
							   .pid = pt->procs[f->proc].pid, .fd = f->fd };
		}
	}
	*out = v;
	*n_out = n;
	v = NULL;
	r = 0;
out:
	free(v);
	inode_map_free(&map);
	inode_map_free(&seen);
	return r;
}
