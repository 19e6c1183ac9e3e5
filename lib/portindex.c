/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The port index: local (proto, family, address, port) → owning process, in
 * one hash lookup. It is a snapshot of the caller's namespace (a port means
 * nothing across namespaces) taken again on a miss, at most once per
 * refresh period, so a storm of lookups for unknown ports costs nothing.
 *
 * A hit is checked before it is answered: a port is reused as soon as its
 * owner closes it, and the index must not name the old owner for the new
 * one. The check is one readlink of /proc/PID/fd/FD, which must still be
 * that socket's inode; a stale hit takes a new snapshot at once (a reused
 * port is news, not a storm), and a hit that is stale again right after is
 * a miss until the next refresh.
 *
 * Driven by the caller's loop (whosock_portindex_get_fd(), get_timeout(),
 * process()), a watcher of the same namespace keeps the index current
 * between refreshes: each socket opened goes in, each one closed is marked
 * gone, so a lookup rarely misses and never waits. Those entries own a copy
 * of their socket (a snapshot's entries point into the snapshot). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "whosock/watch.h"
#include "abi.h"
#include "pktindex.h"
#include "sockcopy.h"

struct key {
	uint8_t proto, family;
	uint16_t port;
	uint8_t addr[16];
};

struct slot {
	struct key key;
	bool used;
	bool stale; /* found no longer held since the last refresh */
	int fd, tid; /* through which proc held inode at the refresh */
	uint64_t inode;
	const struct whosock_process *proc;
	struct whosock_socket *own; /* an event's copy, or NULL (in snap) */
};

struct whosock_portindex {
	unsigned refresh_ms;
	uint64_t last_refresh_ms;
	unsigned long refreshes;
	struct whosock_snapshot *snap;
	struct slot *slots;
	size_t mask, used;
	struct whosock_watch *w; /* NULL: refreshes only */
	/* whosock_portindex_open(): the packet index answers everything
	 * (lookups in the caller's namespace); the members above are unused. */
	struct pktindex *pk;
	uint64_t self_netns;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t hash_key(const struct key *k)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h;
}

static struct key make_key(int proto, int family, const void *addr, uint16_t port)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.proto = (uint8_t)proto;
	k.family = (uint8_t)family;
	k.port = port;
	if (addr)
		memcpy(k.addr, addr, family == AF_INET ? 4 : 16);
	return k;
}

static struct slot *find(const struct whosock_portindex *idx, const struct key *k)
{
	for (size_t h = hash_key(k) & idx->mask;; h = (h + 1) & idx->mask) {
		struct slot *s = &idx->slots[h];

		if (!s->used || memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	}
}

static void free_slots(struct slot *slots, size_t n)
{
	for (size_t i = 0; slots && i < n; i++)
		free(slots[i].own);
	free(slots);
}

/* Put s (held by owners[0]) in slot. */
static void fill(struct slot *slot, const struct key *k, const struct whosock_socket *s,
		 struct whosock_socket *own)
{
	free(slot->own);
	*slot = (struct slot){ .key = *k, .used = true, .proc = s->owners[0].proc,
			       .fd = s->owners[0].fd, .tid = s->owners[0].tid,
			       .inode = s->inode, .own = own };
}

static int refresh(struct whosock_portindex *idx)
{
	struct whosock_filter filter = {
		.size = sizeof(filter),
		.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
			  WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE),
	};
	struct whosock_options opt = {
		.size = sizeof(opt),
		.want = WHOSOCK_WANT_OWNERS,
		.host_only = true,
		.filter = &filter,
	};
	struct whosock_snapshot *snap;
	struct slot *slots;
	size_t n, cap = 64;
	int r;

	idx->last_refresh_ms = now_ms();
	idx->refreshes++;
	r = whosock_snapshot_take(&opt, &snap);
	if (r < 0)
		return r;
	n = whosock_snapshot_count(snap);
	while (cap < n * 2)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots) {
		whosock_snapshot_free(snap);
		return -ENOMEM;
	}
	free_slots(idx->slots, idx->slots ? idx->mask + 1 : 0);
	whosock_snapshot_free(idx->snap);
	idx->slots = slots;
	idx->mask = cap - 1;
	idx->snap = snap;
	idx->used = 0;
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		struct key k;
		struct slot *slot;

		if (!s->n_owners || !s->local.port)
			continue;
		k = make_key(s->proto, s->family, s->local.addr, s->local.port);
		slot = find(idx, &k);
		/* A listener wins over the connections accepted from it (same
		 * local port): it comes first in a TCP dump; keep the first. */
		if (slot->used)
			continue;
		fill(slot, &k, s, NULL);
		idx->used++;
	}
	return 0;
}

/* ---- kept current by a watcher's events ---- */

static void on_event(const struct whosock_event *ev, void *data)
{
	struct whosock_portindex *idx = data;
	const struct whosock_socket *s = ev->socket;
	struct key k;
	struct slot *slot;
	struct whosock_socket *own;

	if (!s->local.port || !idx->slots)
		return;
	k = make_key(s->proto, s->family, s->local.addr, s->local.port);
	slot = find(idx, &k);
	if (ev->type == WHOSOCK_EVENT_CLOSED) {
		if (slot->used && slot->inode == s->inode)
			slot->stale = true; /* kept as a tombstone: probing goes on past it */
		return;
	}
	if (!s->n_owners || (slot->used && !slot->stale))
		return; /* the first holder of a port wins, as in a refresh */
	if (!slot->used && (idx->used + 1) * 2 > idx->mask + 1) {
		idx->last_refresh_ms = 0; /* full: the next process() rebuilds it larger */
		return;
	}
	own = sockcopy(s);
	if (!own) {
		idx->last_refresh_ms = 0; /* lost: a refresh finds it */
		return;
	}
	if (!slot->used)
		idx->used++;
	fill(slot, &k, own, own);
}

static int start_watch(struct whosock_portindex *idx)
{
	struct whosock_filter filter = {
		.size = sizeof(filter),
		.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
			  WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE),
	};
	struct whosock_watch_options opt = {
		.size = sizeof(opt),
		.filter = &filter,
		.connections = true,
		.host_only = true,
		.interval_ms = idx->refresh_ms,
		.ring_size = 1, /* no replay wanted */
	};

	return whosock_watch_new(&opt, on_event, idx, &idx->w);
}

int whosock_portindex_new(unsigned refresh_ms, struct whosock_portindex **out)
{
	struct whosock_portindex *idx = calloc(1, sizeof(*idx));
	int r;

	if (!idx)
		return -ENOMEM;
	idx->refresh_ms = refresh_ms ? refresh_ms : 1000;
	/* The watcher first: what opens between its baseline and the
	 * snapshot is in the snapshot. Without one (refused), refreshes do. */
	if (start_watch(idx) < 0)
		idx->w = NULL;
	r = refresh(idx);
	if (r < 0) {
		whosock_portindex_free(idx);
		return r;
	}
	*out = idx;
	return 0;
}

/* Whether the slot's owner still holds that socket through that fd. Where
 * the link is not readable (another user's process, without privileges)
 * the hit cannot be checked and is kept. */
static bool still_held(const struct slot *s)
{
	char path[64], link[64], want[40];
	ssize_t n;
	int w;

	if (s->tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/fd/%d", s->proc->pid, s->tid, s->fd);
	else
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", s->proc->pid, s->fd);
	n = readlink(path, link, sizeof(link));
	if (n < 0)
		return errno == EACCES || errno == EPERM;
	w = snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)s->inode);
	return n == w && memcmp(link, want, (size_t)n) == 0;
}

/* The slot of key, when it holds an owner not yet found stale. */
static struct slot *find_live(const struct whosock_portindex *idx, const struct key *k)
{
	struct slot *s = find(idx, k);

	return s->used && !s->stale ? s : NULL;
}

/* Exact address, then the family's wildcard, then for IPv4 a dual-stack
 * IPv6 socket (bound to :: or to the v4-mapped address). */
static struct slot *lookup(const struct whosock_portindex *idx, int proto, int family,
			   const void *addr, uint16_t port)
{
	static const uint8_t any[16];
	struct key k = make_key(proto, family, addr, port);
	struct slot *s = find_live(idx, &k);

	if (s)
		return s;
	k = make_key(proto, family, any, port);
	s = find_live(idx, &k);
	if (s)
		return s;
	if (family == AF_INET) {
		uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };

		memcpy(mapped + 12, addr, 4);
		k = make_key(proto, AF_INET6, mapped, port);
		s = find_live(idx, &k);
		if (s)
			return s;
		k = make_key(proto, AF_INET6, any, port);
		s = find_live(idx, &k);
	}
	return s;
}

/* The live slot for the lookup, after checking it: a stale one is marked and
 * the next candidate tried. Returns the slot, or NULL; *stale says whether a
 * stale one was met. */
static struct slot *lookup_checked(const struct whosock_portindex *idx, int proto, int family,
				   const void *addr, uint16_t port, bool *stale)
{
	struct slot *s;

	while ((s = lookup(idx, proto, family, addr, port)) && !still_held(s)) {
		s->stale = true;
		*stale = true;
	}
	return s;
}

/* On a packet index: the socket bound to the address, in the caller's
 * namespace (a packet to it from nowhere). */
static int packet_lookup(const struct whosock_portindex *idx, enum whosock_proto proto, int family,
			 const void *addr, uint16_t port, const struct whosock_process **out)
{
	struct whosock_packet_tuple t = { .netns = idx->self_netns, .proto = (uint8_t)proto,
					  .family = (uint8_t)family, .dport = port,
					  .ends = WHOSOCK_PACKET_DST_LOCAL };
	struct whosock_packet_end src, dst;

	memcpy(t.daddr, addr, family == AF_INET ? 4 : 16);
	if (pktindex_match(idx->pk, &t, &src, &dst) <= 0 || !dst.socket->n_owners)
		return 0;
	*out = dst.socket->owners[0].proc;
	return 1;
}

int whosock_portindex_lookup(struct whosock_portindex *idx, enum whosock_proto proto, int family,
			     const void *addr, uint16_t port, const struct whosock_process **out)
{
	const struct slot *s;
	bool stale = false;
	int r;

	if (!idx || !addr || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (idx->pk)
		return packet_lookup(idx, proto, family, addr, port, out);
	s = lookup_checked(idx, proto, family, addr, port, &stale);
	/* A stale hit refreshes at once, even when a wildcard socket answers
	 * meanwhile: the port's new exact owner is then in the new snapshot. */
	if (stale || (!s && now_ms() - idx->last_refresh_ms >= idx->refresh_ms)) {
		r = refresh(idx);
		if (r < 0)
			return r;
		s = lookup_checked(idx, proto, family, addr, port, &stale);
	}
	if (!s)
		return 0;
	*out = s->proc;
	return 1;
}

int whosock_portindex_open(const struct whosock_portindex_options *opt,
			   struct whosock_portindex **out)
{
	struct whosock_portindex_options o = WHOSOCK_PORTINDEX_OPTIONS_INIT;
	struct whosock_portindex *idx;
	struct stat st;
	int r = opt ? abi_copy(&o, sizeof(o), opt) : 0;

	if (r < 0)
		return r;
	if (!out)
		return -EINVAL;
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	idx->self_netns = stat("/proc/thread-self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
	r = pktindex_new(&o, &idx->pk);
	if (r < 0) {
		free(idx);
		return r;
	}
	*out = idx;
	return 0;
}

int whosock_portindex_match(const struct whosock_portindex *idx,
			    const struct whosock_packet_tuple *t, struct whosock_packet_end *src,
			    struct whosock_packet_end *dst)
{
	if (!idx || !idx->pk || !t)
		return -EINVAL;
	return pktindex_match(idx->pk, t, src, dst);
}

int whosock_portindex_status(const struct whosock_portindex *idx, struct whosock_watch_status *out)
{
	if (!idx || !idx->pk || !out)
		return -EINVAL;
	return pktindex_status(idx->pk, out);
}

const struct pktindex *portindex_packets(const struct whosock_portindex *idx)
{
	return idx ? idx->pk : NULL;
}

size_t whosock_portindex_size(const struct whosock_portindex *idx)
{
	return idx && idx->pk ? pktindex_size(idx->pk) : 0;
}

int whosock_portindex_get_fd(const struct whosock_portindex *idx)
{
	if (idx->pk)
		return pktindex_get_fd(idx->pk);
	return idx->w ? whosock_watch_get_fd(idx->w) : -1;
}

int whosock_portindex_get_timeout(const struct whosock_portindex *idx, uint64_t *timeout_ms)
{
	if (idx->pk)
		return pktindex_get_timeout(idx->pk, timeout_ms);
	if (idx->w)
		return whosock_watch_get_timeout(idx->w, timeout_ms);
	*timeout_ms = UINT64_MAX;
	return 0;
}

int whosock_portindex_process(struct whosock_portindex *idx)
{
	int r;

	if (idx->pk)
		return pktindex_process(idx->pk);
	r = idx->w ? whosock_watch_process(idx->w) : 0;

	if (r == 0 && idx->last_refresh_ms == 0)
		r = refresh(idx);
	return r;
}

unsigned long whosock_portindex_refreshes(const struct whosock_portindex *idx)
{
	return idx ? idx->refreshes : 0;
}

void whosock_portindex_free(struct whosock_portindex *idx)
{
	if (!idx)
		return;
	pktindex_free(idx->pk);
	whosock_watch_free(idx->w);
	free_slots(idx->slots, idx->slots ? idx->mask + 1 : 0);
	whosock_snapshot_free(idx->snap);
	free(idx);
}
