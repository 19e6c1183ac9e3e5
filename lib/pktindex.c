/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The packet index (whosock_portindex_open()): every TCP and UDP socket of
 * every namespace, keyed by (namespace, protocol, family, local address and
 * port, remote address and port); listeners and unconnected UDP sockets
 * with a zero remote. A watcher of connections feeds it: its baseline dump
 * (the hook after it) puts in what is open at the start, its events what
 * opens and closes after, so a lookup is a hash probe or two and never a
 * /proc scan.
 *
 * Ports are reused at once: an entry names one socket (its copy holds the
 * cookie), a close closes the entry only when the cookies agree; a new
 * connection on the same addresses replaces the old, sockets bound to one
 * address and port each have an entry (the oldest open one answers). A closed entry still
 * answers for the grace period, then a sweep removes it: the table holds
 * what is open plus what closed in the last grace_ms, at most MAX_ENTRIES. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pktindex.h"
#include "sockcopy.h"
#include "tracker.h"
#include "watch_hooks.h"

#define MAX_ENTRIES (1u << 20)
#define SWEEP_MS 500
#define DEFAULT_GRACE_MS 2000

struct key { /* 48 bytes, no padding: hashed and compared as words */
	uint64_t netns;
	uint8_t proto, family;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

_Static_assert(sizeof(struct key) == 48, "struct key has no padding");

struct entry {
	struct key key;
	struct entry *next;
	struct whosock_socket *sock; /* owned (sockcopy) */
	uint64_t closed_ms;          /* CLOCK_MONOTONIC when it closed; 0: open */
};

struct pktindex {
	struct whosock_portindex_options opt;
	struct whosock_watch *w;
	struct entry **buckets;
	size_t n_buckets, n;
	uint64_t next_sweep_ms;
	int error; /* the first failure in a callback (-ENOMEM), for process() */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Keys are compared and hashed as bytes: every one starts zeroed. */
static struct key make_key(uint64_t netns, int proto, int family, const uint8_t *laddr,
			   uint16_t lport, const uint8_t *raddr, uint16_t rport)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.netns = netns;
	k.proto = (uint8_t)proto;
	k.family = (uint8_t)family;
	k.lport = lport;
	k.rport = rport;
	if (laddr)
		memcpy(k.laddr, laddr, addr_len(family));
	if (raddr)
		memcpy(k.raddr, raddr, addr_len(family));
	return k;
}

/* Every packet costs a few of these: the key's six 64-bit words mixed
 * (multiply-xorshift, as splitmix64), not its 48 bytes one by one. */
static size_t hash_key(const struct key *k)
{
	uint64_t w[sizeof(*k) / 8], h = 0x9E3779B97F4A7C15ull;

	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h = (h ^ w[i]) * 0xBF58476D1CE4E5B9ull;
		h ^= h >> 31;
	}
	return (size_t)(h ^ h >> 29);
}

/* The link to the entry of key k and cookie (0: the first of key k), or to
 * the end of its bucket's chain (where a new entry goes: a chain keeps
 * the entries of one key oldest first). */
static struct entry **slot_of(const struct pktindex *pk, const struct key *k, uint64_t cookie)
{
	struct entry **pe = &pk->buckets[hash_key(k) & (pk->n_buckets - 1)];

	while (*pe && (memcmp(&(*pe)->key, k, sizeof(*k)) != 0 ||
		       (cookie && (*pe)->sock->cookie != cookie)))
		pe = &(*pe)->next;
	return pe;
}

/* A connection by its remote end; a listener or an unconnected UDP socket
 * by its local address alone. */
static bool key_of(const struct whosock_socket *s, struct key *k)
{
	if ((s->family != AF_INET && s->family != AF_INET6) || !s->local.port ||
	    (s->proto != WHOSOCK_PROTO_TCP && s->proto != WHOSOCK_PROTO_UDP &&
	     s->proto != WHOSOCK_PROTO_UDPLITE))
		return false;
	if (s->remote.port && s->state != WHOSOCK_STATE_LISTEN)
		*k = make_key(s->netns, s->proto, s->family, s->local.addr, s->local.port,
			      s->remote.addr, s->remote.port);
	else
		*k = make_key(s->netns, s->proto, s->family, s->local.addr, s->local.port, NULL, 0);
	return true;
}

static int grow(struct pktindex *pk)
{
	size_t n = pk->n_buckets ? pk->n_buckets * 2 : 1024;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < pk->n_buckets; i++) {
		struct entry *e = pk->buckets[i], *next;

		for (; e; e = next) {
			size_t h = hash_key(&e->key) & (n - 1);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(pk->buckets);
	pk->buckets = b;
	pk->n_buckets = n;
	return 0;
}

static bool expired(const struct pktindex *pk, const struct entry *e, uint64_t now)
{
	return e->closed_ms && now - e->closed_ms > pk->opt.grace_ms;
}

/* The socket of key k: the oldest open one (several sockets may be bound
 * to one address and port: SO_REUSEPORT, or a new one before the old
 * one's close was seen), else one closed within the grace. */
static const struct entry *get(const struct pktindex *pk, const struct key *k, uint64_t now)
{
	const struct entry *e = pk->buckets[hash_key(k) & (pk->n_buckets - 1)], *closed = NULL;

	for (; e; e = e->next) {
		if (memcmp(&e->key, k, sizeof(*k)) != 0 || expired(pk, e, now))
			continue;
		if (!e->closed_ms)
			return e;
		if (!closed)
			closed = e;
	}
	return closed;
}

/* The socket bound to (laddr, lport): the exact address, the wildcard, for
 * IPv4 a dual-stack IPv6 socket. */
static const struct entry *find_bound(const struct pktindex *pk, const struct whosock_packet_tuple *t,
				      const uint8_t *laddr, uint16_t lport, uint64_t now)
{
	static const uint8_t any[16];
	uint8_t ml[16] = { [10] = 0xff, [11] = 0xff };
	const struct entry *e;
	struct key k;

	k = make_key(t->netns, t->proto, t->family, laddr, lport, NULL, 0);
	if ((e = get(pk, &k, now)))
		return e;
	k = make_key(t->netns, t->proto, t->family, any, lport, NULL, 0);
	if ((e = get(pk, &k, now)) || t->family != AF_INET)
		return e;
	memcpy(ml + 12, laddr, 4);
	k = make_key(t->netns, t->proto, AF_INET6, ml, lport, NULL, 0);
	if ((e = get(pk, &k, now)))
		return e;
	k = make_key(t->netns, t->proto, AF_INET6, any, lport, NULL, 0);
	e = get(pk, &k, now);
	return e && !e->sock->v6only ? e : NULL;
}

/* A connection the kernel named no process for (accepted from a listener
 * older than the watcher, not accept()ed yet): a copy with its listener's
 * owners, the processes one of which takes it. NULL when there is none. */
static struct whosock_socket *with_listener_owners(const struct pktindex *pk,
						   const struct whosock_socket *s)
{
	struct whosock_packet_tuple t = { .netns = s->netns, .proto = s->proto, .family = s->family };
	const struct entry *l = find_bound(pk, &t, s->local.addr, s->local.port, now_ms());
	struct whosock_socket tmp;

	if (!l || !l->sock->n_owners)
		return NULL;
	tmp = *s;
	tmp.owners = l->sock->owners;
	tmp.n_owners = l->sock->n_owners;
	return sockcopy(&tmp);
}

/* An open (or new) socket s: its entry now names s. */
static int put(struct pktindex *pk, const struct whosock_socket *s)
{
	struct whosock_socket *copy;
	struct entry **pe, *e;
	struct key k;

	if (!key_of(s, &k))
		return 0;
	/* A connection's addresses name one socket: a new one replaces the
	 * old. Sockets bound to one address each have an entry. */
	pe = slot_of(pk, &k, k.rport ? 0 : s->cookie);
	e = *pe;
	if (e && e->sock->cookie == s->cookie && (!s->n_owners || e->sock->n_owners > s->n_owners))
		return 0; /* the same socket: keep the copy that names more owners */
	copy = k.rport && !s->n_owners ? with_listener_owners(pk, s) : NULL;
	if (!copy)
		copy = sockcopy(s);
	if (!copy)
		return -ENOMEM;
	if (e) {
		free(e->sock);
		e->sock = copy;
		e->closed_ms = 0;
		return 0;
	}
	if (pk->n >= MAX_ENTRIES) {
		free(copy);
		return 0; /* bounded: the rest stays unknown (untagged) */
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		free(copy);
		return -ENOMEM;
	}
	e->key = k;
	e->sock = copy;
	*pe = e;
	pk->n++;
	/* Chains stay short: grow past two entries a bucket (a failed grow
	 * only makes chains longer). */
	if (pk->n > pk->n_buckets * 2)
		(void)grow(pk);
	return 0;
}

/* s closed: its entry (when it still names s, by cookie) starts its grace. */
static void closed(struct pktindex *pk, const struct whosock_socket *s)
{
	struct entry *e;
	struct key k;

	if (!key_of(s, &k))
		return;
	e = *slot_of(pk, &k, s->cookie);
	if (e && !e->closed_ms)
		e->closed_ms = now_ms();
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct pktindex *pk = data;
	int r = 0;

	if (ev->type == WHOSOCK_EVENT_CLOSED)
		closed(pk, ev->socket);
	else
		r = put(pk, ev->socket);
	if (r < 0 && !pk->error)
		pk->error = r;
}

/* The baseline: every socket open when the watcher started. */
static void on_dumped(void *data, struct tracker *tk, const struct bpf_traffic *bt, bool baseline)
{
	struct pktindex *pk = data;

	(void)bt;
	for (size_t i = 0; baseline && i < tk->cap; i++) {
		int r = tk->map[i].netns ? put(pk, tk->map[i].sock) : 0;

		if (r < 0 && !pk->error)
			pk->error = r;
	}
}

static void sweep(struct pktindex *pk, uint64_t now)
{
	for (size_t i = 0; i < pk->n_buckets; i++) {
		struct entry **pe = &pk->buckets[i];

		while (*pe) {
			struct entry *e = *pe;

			if (!expired(pk, e, now)) {
				pe = &e->next;
				continue;
			}
			*pe = e->next;
			free(e->sock);
			free(e);
			pk->n--;
		}
	}
}

int pktindex_new(const struct whosock_portindex_options *opt, struct pktindex **out)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_watch_options wo = WHOSOCK_WATCH_OPTIONS_INIT;
	struct watch_hooks hooks = { .dumped = on_dumped };
	struct pktindex *pk = calloc(1, sizeof(*pk));
	int r;

	if (!pk)
		return -ENOMEM;
	pk->opt = *opt;
	if (!pk->opt.grace_ms)
		pk->opt.grace_ms = DEFAULT_GRACE_MS;
	r = grow(pk);
	if (r < 0) {
		free(pk);
		return r;
	}
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
			WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
	filter.netns = opt->netns;
	filter.n_netns = opt->netns ? opt->n_netns : 0;
	wo.filter = &filter;
	wo.connections = true;
	wo.host_only = opt->host_only;
	wo.interval_ms = opt->interval_ms;
	wo.want = opt->want;
	wo.flags = opt->flags;
	wo.ring_size = 1; /* no replay wanted */
	hooks.data = pk;
	r = watch_new_hooked(&wo, on_event, pk, &hooks, &pk->w);
	if (r == 0)
		r = pk->error;
	if (r < 0) {
		pktindex_free(pk);
		return r;
	}
	pk->next_sweep_ms = now_ms() + SWEEP_MS;
	*out = pk;
	return 0;
}

void pktindex_free(struct pktindex *pk)
{
	if (!pk)
		return;
	whosock_watch_free(pk->w);
	for (size_t i = 0; i < pk->n_buckets; i++) {
		struct entry *e = pk->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->sock);
			free(e);
		}
	}
	free(pk->buckets);
	free(pk);
}

int pktindex_get_fd(const struct pktindex *pk)
{
	return whosock_watch_get_fd(pk->w);
}

int pktindex_get_timeout(const struct pktindex *pk, uint64_t *timeout_ms)
{
	uint64_t now = now_ms(), sweep_in = pk->next_sweep_ms > now ? pk->next_sweep_ms - now : 0;

	whosock_watch_get_timeout(pk->w, timeout_ms);
	if (sweep_in < *timeout_ms)
		*timeout_ms = sweep_in;
	return 0;
}

int pktindex_process(struct pktindex *pk)
{
	uint64_t now;
	int r = whosock_watch_process(pk->w);

	if (r == 0 && pk->error)
		r = pk->error;
	pk->error = 0;
	now = now_ms();
	if (now >= pk->next_sweep_ms) {
		sweep(pk, now);
		pk->next_sweep_ms = now + SWEEP_MS;
	}
	return r;
}

size_t pktindex_size(const struct pktindex *pk)
{
	return pk->n;
}

void pktindex_each(const struct pktindex *pk, bool (*fn)(const struct whosock_socket *s, bool closed, void *data),
		   void *data)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < pk->n_buckets; i++)
		for (const struct entry *e = pk->buckets[i]; e; e = e->next)
			if (!expired(pk, e, now) && !fn(e->sock, e->closed_ms != 0, data))
				return;
}

int pktindex_status(const struct pktindex *pk, struct whosock_watch_status *out)
{
	return whosock_watch_status(pk->w, out);
}

/* ---- lookups ---- */


/* The socket of the local end (laddr, lport) talking to (raddr, rport):
 * the connection's, else the bound one (the exact address, the wildcard,
 * for IPv4 a dual-stack IPv6 socket). */
static const struct entry *find_end(const struct pktindex *pk, const struct whosock_packet_tuple *t,
				    const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
				    uint16_t rport, bool *exact)
{
	uint8_t ml[16] = { [10] = 0xff, [11] = 0xff }, mr[16] = { [10] = 0xff, [11] = 0xff };
	uint64_t now = now_ms();
	const struct entry *e, *conn;
	struct key k;
	bool v4 = t->family == AF_INET;

	if (v4) {
		memcpy(ml + 12, laddr, 4);
		memcpy(mr + 12, raddr, 4);
	}
	*exact = true;
	k = make_key(t->netns, t->proto, t->family, laddr, lport, raddr, rport);
	e = get(pk, &k, now);
	if (!e && v4) {
		k = make_key(t->netns, t->proto, AF_INET6, ml, lport, mr, rport);
		e = get(pk, &k, now);
	}
	/* A connection whose process the kernel did not name (accepted from
	 * a listener older than the watcher, not yet accept()ed): its
	 * listener's process is the one that takes it. */
	if (e && e->sock->n_owners)
		return e;
	conn = e;
	*exact = false;
	e = find_bound(pk, t, laddr, lport, now);
	if (e && e->sock->n_owners)
		return e;
	*exact = conn != NULL;
	return conn ? conn : e;
}

static int fill_end(const struct entry *e, bool exact, struct whosock_packet_end *out)
{
	*out = (struct whosock_packet_end){ 0 };
	if (!e)
		return 0;
	out->socket = e->sock;
	out->exact = exact;
	out->closed = e->closed_ms != 0;
	return 1;
}

int pktindex_match(const struct pktindex *pk, const struct whosock_packet_tuple *t,
		   struct whosock_packet_end *src, struct whosock_packet_end *dst)
{
	const struct entry *s, *d;
	bool sx = false, dx = false;

	if ((t->family != AF_INET && t->family != AF_INET6) || !src || !dst)
		return -EINVAL;
	s = !t->ends || (t->ends & WHOSOCK_PACKET_SRC_LOCAL)
		    ? find_end(pk, t, t->saddr, t->sport, t->daddr, t->dport, &sx)
		    : NULL;
	d = !t->ends || (t->ends & WHOSOCK_PACKET_DST_LOCAL)
		    ? find_end(pk, t, t->daddr, t->dport, t->saddr, t->sport, &dx)
		    : NULL;
	return fill_end(s, sx, src) + fill_end(d, dx, dst);
}
