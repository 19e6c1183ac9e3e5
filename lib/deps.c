/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dependencies (whosock/deps.h): every connection end a watcher reports,
 * or a snapshot at the start lists, is a client end or a server end; each
 * client end counts once in the edge from its client group to its service.
 * A server end is the one whose local port has a listener in its namespace:
 * it names the service's namespace (a connection between two local
 * processes is one edge, not two). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "whosock/deps.h"
#include "whosock/watch.h"
#include "abi.h"
#include "nsusers.h"
#include "filter.h"

/* GCC 12's analyzer loses strings stored in the members of realloc'd arrays
 * (listeners, edges) and calls each a leak; valgrind checks this file's
 * allocations for real (tests/integration/test_deps.py under
 * -Dvalgrind=true fails on any definite leak). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif

/* Bounds: however many connections, namespaces and services come and go. */
#define MAX_EDGES 65536
#define MAX_LISTENERS 65536
#define MAX_LEARNED 4096
#define RECENT_SLOTS 4096 /* a power of two */

/* Ports the kernel hands out to clients (net.ipv4.ip_local_port_range's
 * default): a side with one and one without tells client from server when
 * no listener is known. */
#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999

/* A listening socket (TCP LISTEN, UDP bound and unconnected), as last seen. */
struct listener {
	uint64_t netns;
	uint8_t proto, family;
	bool v6only, closed;
	uint8_t addr[16];
	uint16_t port;
	char *comm; /* owned; NULL when no owner was visible */
	char *netns_name; /* owned; NULL when none */
	struct whosock_container container; /* owned strings */
};

/* A non-loopback service address seen from its server end: where it is. */
struct learned {
	uint8_t proto, family;
	uint8_t addr[16];
	uint16_t port;
	uint64_t netns;
};

/* A client end seen lately, by its addresses (a lossy hash: a slot keeps
 * the last one): its peer, when it comes without a listener to tell, is the
 * server end. */
struct recent {
	uint64_t netns;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
};

/* A client end still open: its edge, and the bytes counted for it so far. */
#define ENDED_LOOKS 4

struct open_conn {
	uint64_t netns, cookie; /* netns 0: free slot */
	size_t edge;
	uint64_t sent, received;
	bool present;    /* seen by the last look at open connections */
	unsigned absent; /* looks in a row that did not see it */
};

struct edge {
	struct whosock_edge pub; /* its strings and pids owned here */
	int pids[WHOSOCK_EDGE_MAX_PIDS];
	uint64_t closed_sent, closed_received; /* of connections that ended */
	uint64_t scope; /* the service's namespace when its address is loopback, else 0 */
};

struct whosock_deps {
	struct whosock_deps_options opt;
	struct whosock_filter filter;       /* opt.filter's copy (full size) */
	struct whosock_filter svc_filter;   /* opt.services as local queries */
	struct whosock_process_filter *owners;
	struct whosock_watch *w;
	struct listener *ls;
	size_t n_ls;
	struct learned learned[MAX_LEARNED];
	size_t n_learned, learned_next;
	struct recent recent[RECENT_SLOTS];
	struct open_conn *open;
	size_t open_cap, n_open;
	struct edge *edges;
	size_t n_edges, cap_edges;
	uint64_t dropped;
	struct whosock_edge *out; /* what whosock_deps_edges() returned last */
	struct nsusers users;     /* namespace → its one user (connections without a process) */
	int error;                /* the first failure in a callback (negative errno) */
};

/* ---- addresses ---- */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool is_any(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, addr_len(family)) == 0;
}

/* 127.0.0.0/8 (also v4-mapped) or ::1. */
static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff }, v6[16] = { [15] = 1 };

	if (family == AF_INET)
		return a[0] == 127;
	if (memcmp(a, mapped, 12) == 0)
		return a[12] == 127;
	return memcmp(a, v6, 16) == 0;
}

/* Whether a packet to (family, a) reaches listener l's address: the
 * listing's own rule for local queries. */
static bool reaches(const struct listener *l, int family, const uint8_t *a)
{
	struct whosock_local q = { .port = l->port, .family = family };
	struct whosock_socket s = { .family = l->family, .v6only = l->v6only,
				    .known = WHOSOCK_KNOWN_V6ONLY };

	memcpy(q.addr, a, sizeof(q.addr));
	memcpy(s.local.addr, l->addr, sizeof(s.local.addr));
	s.local.port = l->port;
	return filter_local_matches(&q, &s);
}

/* ---- listeners and server ends ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void container_free(struct whosock_container *c)
{
	free((char *)c->runtime);
	free((char *)c->id);
	free((char *)c->pod_uid);
	*c = (struct whosock_container){ 0 };
}

static int container_copy(struct whosock_container *dst, const struct whosock_container *src)
{
	char *runtime = dup_or_null(src->runtime), *id = dup_or_null(src->id),
	     *pod = dup_or_null(src->pod_uid);

	if ((src->runtime && !runtime) || (src->id && !id) || (src->pod_uid && !pod)) {
		free(runtime);
		free(id);
		free(pod);
		*dst = (struct whosock_container){ 0 };
		return -ENOMEM;
	}
	*dst = (struct whosock_container){ runtime, id, pod };
	return 0;
}

static void listener_free(struct listener *l)
{
	free(l->comm);
	free(l->netns_name);
	container_free(&l->container);
}

static struct listener *find_listener(struct whosock_deps *d, uint64_t netns, uint8_t proto,
				      int family, const uint8_t *addr, uint16_t port)
{
	struct listener *found = NULL;

	/* An open one first; a closed one still names its service. */
	for (size_t i = 0; i < d->n_ls; i++) {
		struct listener *l = &d->ls[i];

		if (l->netns == netns && l->proto == proto && l->port == port &&
		    reaches(l, family, addr) && (!found || found->closed))
			found = l;
	}
	return found;
}

static bool is_listener(const struct whosock_socket *s)
{
	return s->local.port != 0 && s->remote.port == 0 &&
	       ((s->proto == WHOSOCK_PROTO_TCP && s->state == WHOSOCK_STATE_LISTEN) ||
		(s->proto != WHOSOCK_PROTO_TCP && s->state == WHOSOCK_STATE_CLOSE));
}

static int add_listener(struct whosock_deps *d, const struct whosock_socket *s)
{
	const struct whosock_process *p = s->n_owners ? s->owners[0].proc : NULL;
	struct listener *l = NULL, *v;

	for (size_t i = 0; i < d->n_ls && !l; i++)
		if (d->ls[i].netns == s->netns && d->ls[i].proto == s->proto &&
		    d->ls[i].port == s->local.port && d->ls[i].family == s->family &&
		    memcmp(d->ls[i].addr, s->local.addr, 16) == 0)
			l = &d->ls[i];
	if (!l) {
		if (d->n_ls == MAX_LISTENERS) {
			/* Full: the closed ones go first. */
			size_t k = 0;

			for (size_t i = 0; i < d->n_ls; i++) {
				if (d->ls[i].closed)
					listener_free(&d->ls[i]);
				else
					d->ls[k++] = d->ls[i];
			}
			d->n_ls = k;
			if (k == MAX_LISTENERS)
				return 0;
		}
		v = realloc(d->ls, (d->n_ls + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->ls = v;
		l = &d->ls[d->n_ls++];
		*l = (struct listener){ .netns = s->netns, .proto = s->proto, .family = s->family,
					.port = s->local.port };
		memcpy(l->addr, s->local.addr, 16);
		l->netns_name = dup_or_null(s->netns_name);
		if (s->netns_name && !l->netns_name)
			return -ENOMEM;
	}
	l->v6only = s->v6only;
	l->closed = false;
	if (p && !l->comm) {
		l->comm = strdup(p->comm);
		if (!l->comm || container_copy(&l->container, &p->container) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A server end whose local address is not loopback: the service at that
 * address is in its namespace. */
static void learn(struct whosock_deps *d, const struct whosock_socket *s)
{
	struct learned *e = NULL;

	if (is_loopback(s->family, s->local.addr))
		return;
	for (size_t i = 0; i < d->n_learned && !e; i++)
		if (d->learned[i].proto == s->proto && d->learned[i].port == s->local.port &&
		    d->learned[i].family == s->family &&
		    memcmp(d->learned[i].addr, s->local.addr, 16) == 0)
			e = &d->learned[i];
	if (!e)
		/* Full: the oldest goes (round robin; rand() is the caller's). */
		e = &d->learned[d->n_learned < MAX_LEARNED ? d->n_learned++
							   : d->learned_next++ % MAX_LEARNED];
	*e = (struct learned){ .proto = s->proto, .family = s->family, .port = s->local.port,
			       .netns = s->netns };
	memcpy(e->addr, s->local.addr, 16);
}

/* ---- open client ends ---- */

static size_t slot_of(const struct whosock_deps *d, uint64_t netns, uint64_t cookie)
{
	uint64_t h = (cookie ^ (netns * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;

	return (size_t)(h >> 17) & (d->open_cap - 1);
}

static struct open_conn *find_open(struct whosock_deps *d, uint64_t netns, uint64_t cookie)
{
	for (size_t i = slot_of(d, netns, cookie);; i = (i + 1) & (d->open_cap - 1)) {
		struct open_conn *o = &d->open[i];

		if (!o->netns)
			return NULL;
		if (o->netns == netns && o->cookie == cookie)
			return o;
	}
}

static int grow_open(struct whosock_deps *d);

static struct open_conn *add_open(struct whosock_deps *d, uint64_t netns, uint64_t cookie)
{
	size_t i;

	if ((d->n_open + 1) * 2 > d->open_cap && grow_open(d) < 0)
		return NULL;
	for (i = slot_of(d, netns, cookie); d->open[i].netns; i = (i + 1) & (d->open_cap - 1))
		;
	d->open[i] = (struct open_conn){ .netns = netns, .cookie = cookie };
	d->n_open++;
	return &d->open[i];
}

static int grow_open(struct whosock_deps *d)
{
	size_t old_cap = d->open_cap;
	struct open_conn *old = d->open;

	d->open = calloc(old_cap * 2, sizeof(*d->open));
	if (!d->open) {
		d->open = old;
		return -ENOMEM;
	}
	d->open_cap = old_cap * 2;
	d->n_open = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].netns)
			*add_open(d, old[i].netns, old[i].cookie) = old[i];
	free(old);
	return 0;
}

/* Remove o, shifting back the run after it (linear probing). */
static void remove_open(struct whosock_deps *d, struct open_conn *o)
{
	size_t i = (size_t)(o - d->open), j = i;

	d->open[i].netns = 0;
	d->n_open--;
	for (;;) {
		size_t home;

		j = (j + 1) & (d->open_cap - 1);
		if (!d->open[j].netns)
			return;
		home = slot_of(d, d->open[j].netns, d->open[j].cookie);
		/* Move j back to i when i lies cyclically in [home, j). */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			d->open[i] = d->open[j];
			d->open[j].netns = 0;
			i = j;
		}
	}
}

/* ---- edges ---- */

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The client group of s as opt.by keeps it. */
static void client_of(struct whosock_deps *d, const struct whosock_socket *s,
		      struct whosock_edge_client *c, unsigned *known)
{
	const struct whosock_process *p = s->n_owners ? s->owners[0].proc : NULL;
	enum whosock_deps_by by = d->opt.by;
	bool one_user = false;
	uint32_t uid = 0;

	*c = (struct whosock_edge_client){ 0 };
	*known = 0;
	if (p) {
		one_user = p->uid_known;
		uid = p->uid;
	} else {
		one_user = nsusers_one(&d->users, s->netns, &uid);
	}
	if (by == WHOSOCK_DEPS_BY_PROCESS || by == WHOSOCK_DEPS_BY_NETNS) {
		c->netns = s->netns;
		c->netns_name = s->netns_name;
		*known |= WHOSOCK_EDGE_KNOWN_NETNS;
	}
	if ((by == WHOSOCK_DEPS_BY_PROCESS || by == WHOSOCK_DEPS_BY_USER) && one_user) {
		c->uid = uid;
		c->user = p ? p->user : NULL;
		*known |= WHOSOCK_EDGE_KNOWN_USER;
	}
	if (by == WHOSOCK_DEPS_BY_PROCESS && p) {
		c->comm = p->comm;
		*known |= WHOSOCK_EDGE_KNOWN_PROCESS;
	}
	if ((by == WHOSOCK_DEPS_BY_PROCESS || by == WHOSOCK_DEPS_BY_CONTAINER) && p) {
		c->container = p->container;
		*known |= WHOSOCK_EDGE_KNOWN_CONTAINER;
	}
}

static bool same_client(const struct whosock_edge *e, const struct whosock_edge_client *c,
			unsigned known)
{
	const unsigned group = WHOSOCK_EDGE_KNOWN_PROCESS | WHOSOCK_EDGE_KNOWN_USER |
			       WHOSOCK_EDGE_KNOWN_NETNS | WHOSOCK_EDGE_KNOWN_CONTAINER;

	return (e->known & group) == (known & group) && e->client.netns == c->netns &&
	       e->client.uid == c->uid && same_str(e->client.comm, c->comm) &&
	       same_str(e->client.container.id, c->container.id);
}

static int edge_init(struct edge *e, const struct whosock_edge_client *c, unsigned known,
		     const struct whosock_socket *s, uint64_t scope)
{
	struct whosock_edge *pub = &e->pub;

	*e = (struct edge){ .scope = scope };
	pub->known = known;
	pub->client = *c;
	pub->client.netns_name = dup_or_null(c->netns_name);
	pub->client.comm = dup_or_null(c->comm);
	pub->client.user = dup_or_null(c->user);
	pub->client.pids = e->pids;
	pub->server.proto = s->proto;
	pub->server.family = s->family;
	memcpy(pub->server.addr.addr, s->remote.addr, 16);
	pub->server.addr.port = s->remote.port;
	if ((c->netns_name && !pub->client.netns_name) || (c->comm && !pub->client.comm) ||
	    (c->user && !pub->client.user) ||
	    container_copy(&pub->client.container, &c->container) < 0)
		return -ENOMEM;
	return 0;
}

static void edge_free(struct edge *e)
{
	free((char *)e->pub.client.netns_name);
	free((char *)e->pub.client.comm);
	free((char *)e->pub.client.user);
	container_free(&e->pub.client.container);
}

/* The edge of client end s (added when new); SIZE_MAX when the cap is
 * reached (counted in dropped), or on failure (d->error set). */
static size_t edge_of(struct whosock_deps *d, const struct whosock_socket *s)
{
	struct whosock_edge_client c;
	unsigned known;
	uint64_t scope = is_loopback(s->family, s->remote.addr) ? s->netns : 0;
	struct edge *v;

	client_of(d, s, &c, &known);
	for (size_t i = 0; i < d->n_edges; i++) {
		const struct whosock_edge *e = &d->edges[i].pub;

		if (e->server.proto == s->proto && e->server.family == s->family &&
		    e->server.addr.port == s->remote.port && d->edges[i].scope == scope &&
		    memcmp(e->server.addr.addr, s->remote.addr, 16) == 0 && same_client(e, &c, known))
			return i;
	}
	if (d->n_edges == MAX_EDGES) {
		d->dropped++;
		return SIZE_MAX;
	}
	if (d->n_edges == d->cap_edges) {
		size_t cap = d->cap_edges ? d->cap_edges * 2 : 64;

		v = realloc(d->edges, cap * sizeof(*v));
		if (!v) {
			d->error = -ENOMEM;
			return SIZE_MAX;
		}
		d->edges = v;
		d->cap_edges = cap;
		/* (The pids pointers point into the edges themselves.) */
		for (size_t i = 0; i < d->n_edges; i++)
			d->edges[i].pub.client.pids = d->edges[i].pids;
	}
	if (edge_init(&d->edges[d->n_edges], &c, known, s, scope) < 0) {
		edge_free(&d->edges[d->n_edges]);
		d->error = -ENOMEM;
		return SIZE_MAX;
	}
	return d->n_edges++;
}

static void add_pid(struct edge *e, int pid)
{
	struct whosock_edge_client *c = &e->pub.client;
	size_t i = 0;

	if (!(e->pub.known & WHOSOCK_EDGE_KNOWN_PROCESS))
		return;
	while (i < c->n_pids && e->pids[i] < pid)
		i++;
	if ((i < c->n_pids && e->pids[i] == pid) || c->n_pids == WHOSOCK_EDGE_MAX_PIDS)
		return;
	memmove(e->pids + i + 1, e->pids + i, (c->n_pids - i) * sizeof(int));
	e->pids[i] = pid;
	c->n_pids++;
}

/* ---- classifying connection ends ---- */

static size_t recent_slot(uint64_t netns, const uint8_t *laddr, uint16_t lport,
			  const uint8_t *raddr, uint16_t rport)
{
	uint64_t h = netns * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ laddr[i] ^ ((uint64_t)raddr[i] << 8)) * 0x100000001b3ull;
	h ^= (uint64_t)lport << 16 | rport;
	return (size_t)((h * 0xff51afd7ed558ccdull) >> 40) & (RECENT_SLOTS - 1);
}

static void remember_client(struct whosock_deps *d, const struct whosock_socket *s)
{
	struct recent *r = &d->recent[recent_slot(s->netns, s->local.addr, s->local.port,
						  s->remote.addr, s->remote.port)];

	*r = (struct recent){ .netns = s->netns, .lport = s->local.port, .rport = s->remote.port };
	memcpy(r->laddr, s->local.addr, 16);
	memcpy(r->raddr, s->remote.addr, 16);
}

/* Whether s's peer (its addresses the other way round) was a client end. */
static bool peer_was_client(const struct whosock_deps *d, const struct whosock_socket *s)
{
	const struct recent *r = &d->recent[recent_slot(s->netns, s->remote.addr, s->remote.port,
							s->local.addr, s->local.port)];

	return r->netns == s->netns && r->lport == s->remote.port && r->rport == s->local.port &&
	       memcmp(r->laddr, s->remote.addr, 16) == 0 && memcmp(r->raddr, s->local.addr, 16) == 0;
}

static bool ephemeral(uint16_t port)
{
	return port >= EPHEMERAL_LOW && port <= EPHEMERAL_HIGH;
}

/* The server end of a connection: its local port has a listener in its
 * namespace. Without a known listener (it opened and closed between two
 * dumps): the end whose peer was a client; else the end with the
 * well-known port facing an ephemeral one. */
static bool is_server_end(struct whosock_deps *d, const struct whosock_socket *s)
{
	if (find_listener(d, s->netns, s->proto, s->family, s->local.addr, s->local.port))
		return true;
	if (peer_was_client(d, s))
		return true;
	return !ephemeral(s->local.port) && ephemeral(s->remote.port);
}

/* Whether the client end s is one the options keep. */
static bool wanted(const struct whosock_deps *d, const struct whosock_socket *s)
{
	struct whosock_socket svc;

	if (d->opt.exclude_loopback && is_loopback(s->family, s->remote.addr))
		return false;
	if (filter_has_owner_members(&d->filter) && !whosock_filter_match_owners(d->owners, s))
		return false;
	if (!d->opt.n_services)
		return true;
	/* The service as a socket bound to it: matched as the listing's local
	 * queries match. */
	svc = *s;
	svc.local = s->remote;
	svc.remote = (struct whosock_endpoint){ 0 };
	svc.state = WHOSOCK_STATE_LISTEN;
	return filter_match(&d->svc_filter, &svc);
}

static void stamp(struct whosock_edge *e, const struct timespec *ts)
{
	if (!e->connections || ts->tv_sec < e->first_seen.tv_sec ||
	    (ts->tv_sec == e->first_seen.tv_sec && ts->tv_nsec < e->first_seen.tv_nsec))
		e->first_seen = *ts;
	if (ts->tv_sec > e->last_seen.tv_sec ||
	    (ts->tv_sec == e->last_seen.tv_sec && ts->tv_nsec > e->last_seen.tv_nsec))
		e->last_seen = *ts;
}

static void count_bytes(struct edge *e, const struct whosock_socket *s, uint64_t *sent,
			uint64_t *received)
{
	*sent = *received = 0;
	if (!(s->known & WHOSOCK_KNOWN_TRAFFIC))
		return;
	*sent = s->traffic.sent_bytes;
	*received = s->traffic.received_bytes;
	e->pub.known |= WHOSOCK_EDGE_KNOWN_BYTES;
}

/* A socket seen open (a snapshot at the start, an opened event). */
static void seen_open(struct whosock_deps *d, const struct whosock_socket *s,
		      const struct timespec *ts)
{
	struct open_conn *o;
	size_t k;

	if (is_listener(s)) {
		if (add_listener(d, s) < 0)
			d->error = -ENOMEM;
		return;
	}
	/* A connection's TIME_WAIT or SYN_RECV entry is not one more
	 * connection (its end was, or will be, seen as a socket). */
	if (s->remote.port == 0 || s->state == WHOSOCK_STATE_TIME_WAIT ||
	    s->state == WHOSOCK_STATE_SYN_RECV || s->state == WHOSOCK_STATE_NEW_SYN_RECV)
		return;
	if (is_server_end(d, s)) {
		learn(d, s);
		return;
	}
	remember_client(d, s);
	if (find_open(d, s->netns, s->cookie) || !wanted(d, s))
		return;
	k = edge_of(d, s);
	if (k == SIZE_MAX)
		return;
	o = add_open(d, s->netns, s->cookie);
	if (!o) {
		d->error = -ENOMEM;
		return;
	}
	o->edge = k;
	o->present = true;
	stamp(&d->edges[k].pub, ts);
	d->edges[k].pub.connections++;
	add_pid(&d->edges[k], s->n_owners ? s->owners[0].proc->pid : 0);
	count_bytes(&d->edges[k], s, &o->sent, &o->received);
}

/* A socket reported closed: a client end seen open ends (its final bytes
 * count); one never seen counts now, as the report gave it. */
static void seen_closed(struct whosock_deps *d, const struct whosock_socket *s,
			const struct timespec *ts)
{
	struct open_conn *o;
	struct edge *e;
	uint64_t sent, received;

	if (is_listener(s)) {
		for (size_t i = 0; i < d->n_ls; i++)
			if (d->ls[i].netns == s->netns && d->ls[i].proto == s->proto &&
			    d->ls[i].port == s->local.port && d->ls[i].family == s->family &&
			    memcmp(d->ls[i].addr, s->local.addr, 16) == 0)
				d->ls[i].closed = true;
		return;
	}
	if (s->remote.port == 0)
		return;
	o = find_open(d, s->netns, s->cookie);
	if (!o) {
		seen_open(d, s, ts);
		o = find_open(d, s->netns, s->cookie);
		if (!o)
			return; /* a server end, or not wanted */
	}
	e = &d->edges[o->edge];
	count_bytes(e, s, &sent, &received);
	/* The larger of the counts: a report without counters (UDP) keeps
	 * what was seen. */
	e->closed_sent += sent > o->sent ? sent : o->sent;
	e->closed_received += received > o->received ? received : o->received;
	stamp(&e->pub, ts);
	remove_open(d, o);
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct whosock_deps *d = data;

	if (ev->type == WHOSOCK_EVENT_OPENED)
		seen_open(d, ev->socket, &ev->ts);
	else
		seen_closed(d, ev->socket, &ev->ts);
}

/* ---- looks at every socket ---- */

/* A snapshot of every TCP and UDP socket of the namespaces deps follows. */
static int look(struct whosock_deps *d, bool owners, struct whosock_snapshot **out)
{
	struct whosock_options o = WHOSOCK_OPTIONS_INIT;
	struct whosock_filter f = d->filter;

	filter_clear_owner_members(&f);
	f.states = 0;
	f.n_ports = f.n_locals = 0;
	f.expr = NULL;
	o.filter = &f;
	o.host_only = d->opt.host_only;
	o.flags = d->opt.flags;
	o.want = WHOSOCK_WANT_TCP_INFO | (owners ? WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS : 0);
	return whosock_snapshot_take(&o, out);
}

static int seed(struct whosock_deps *d)
{
	struct whosock_snapshot *snap;
	struct timespec ts;
	int r = look(d, true, &snap);

	if (r < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Listeners first: they tell server ends from client ends. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
			const struct whosock_socket *s = whosock_snapshot_get(snap, i);

			if (is_listener(s) == (pass == 0))
				seen_open(d, s, &ts);
		}
	whosock_snapshot_free(snap);
	return d->error;
}

int whosock_deps_new(const struct whosock_deps_options *options, struct whosock_deps **out)
{
	struct whosock_watch_options wo = WHOSOCK_WATCH_OPTIONS_INIT;
	struct whosock_deps *d = calloc(1, sizeof(*d));
	int r = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->opt = (struct whosock_deps_options)WHOSOCK_DEPS_OPTIONS_INIT;
	if (options && (r = abi_copy(&d->opt, sizeof(d->opt), options)) < 0)
		goto fail;
	r = abi_filter(&d->filter, d->opt.filter);
	if (r < 0)
		goto fail;
	d->filter.protos &= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP);
	if (!d->filter.protos)
		d->filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				   WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP);
	d->opt.filter = &d->filter;
	d->svc_filter = (struct whosock_filter)WHOSOCK_FILTER_INIT;
	d->svc_filter.locals = d->opt.services;
	d->svc_filter.n_locals = d->opt.n_services;
	r = whosock_process_filter_new(&d->filter, &d->owners);
	if (r < 0)
		goto fail;
	d->open_cap = 1024;
	d->open = calloc(d->open_cap, sizeof(*d->open));
	r = -ENOMEM;
	if (!d->open)
		goto fail;
	nsusers_init(&d->users);
	wo.filter = &d->filter;
	wo.connections = true;
	wo.unseen_closes = true;
	wo.host_only = d->opt.host_only;
	wo.interval_ms = d->opt.interval_ms;
	wo.want = WHOSOCK_WANT_PROCESS;
	/* With the kernel's socket events where it can: every connection with
	 * its process. One whose open is read after its close report counts
	 * once, by its namespace (the watcher does not open it after). */
	wo.flags = d->opt.flags | WHOSOCK_FLAG_KERNEL_OWNERS; /* processes, not fds */
	/* The watcher first: what opens after its baseline comes as events;
	 * the snapshot after it sees the rest (each end counts once). */
	r = whosock_watch_new(&wo, on_event, d, &d->w);
	if (r == 0)
		r = seed(d);
	if (r < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	whosock_deps_free(d);
	return r;
}

int whosock_deps_get_fd(struct whosock_deps *d)
{
	return whosock_watch_get_fd(d->w);
}

int whosock_deps_get_timeout(struct whosock_deps *d, uint64_t *timeout_ms)
{
	return whosock_watch_get_timeout(d->w, timeout_ms);
}

int whosock_deps_process(struct whosock_deps *d)
{
	int r = whosock_watch_process(d->w);

	if (r == 0 && d->error) {
		r = d->error;
		d->error = 0;
	}
	return r;
}

/* The server side of e: the listener the clients reach, in the client's
 * namespace for a loopback address, else where a server end was seen. */
static void resolve_server(struct whosock_deps *d, struct edge *e)
{
	struct whosock_edge_server *sv = &e->pub.server;
	const struct listener *l = NULL;
	uint64_t netns = e->scope;

	for (size_t i = 0; !netns && i < d->n_learned; i++)
		if (d->learned[i].proto == sv->proto && d->learned[i].port == sv->addr.port &&
		    d->learned[i].family == sv->family &&
		    memcmp(d->learned[i].addr, sv->addr.addr, 16) == 0)
			netns = d->learned[i].netns;
	if (netns)
		l = find_listener(d, netns, sv->proto, sv->family, sv->addr.addr, sv->addr.port);
	/* A listener bound to that very address, in any namespace. */
	for (size_t i = 0; !l && i < d->n_ls; i++)
		if (d->ls[i].proto == sv->proto && d->ls[i].port == sv->addr.port &&
		    !is_any(d->ls[i].family, d->ls[i].addr) &&
		    reaches(&d->ls[i], sv->family, sv->addr.addr))
			l = &d->ls[i];
	e->pub.known &= ~WHOSOCK_EDGE_KNOWN_SERVER;
	sv->netns = 0;
	sv->comm = NULL;
	sv->container = (struct whosock_container){ 0 };
	if (!l)
		return;
	e->pub.known |= WHOSOCK_EDGE_KNOWN_SERVER;
	sv->netns = l->netns;
	sv->netns_name = l->netns_name;
	sv->comm = l->comm;
	sv->container = l->container;
}

/* The bytes of the connections still open, as the kernel counts them now.
 * One no longer listed has ended, and its close is on its way from the
 * watcher (it follows every connection it reported open): it stays, or
 * that close would count it again; one still missing after ENDED_LOOKS
 * looks ended unseen (its last counts stay). */
static int refresh_open(struct whosock_deps *d)
{
	struct whosock_snapshot *snap;
	int r = look(d, false, &snap);

	if (r < 0)
		return r;
	for (size_t i = 0; i < d->open_cap; i++)
		d->open[i].present = false;
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		struct open_conn *o = s->remote.port ? find_open(d, s->netns, s->cookie) : NULL;

		if (!o)
			continue;
		o->present = true;
		o->absent = 0;
		if (s->known & WHOSOCK_KNOWN_TRAFFIC) {
			o->sent = s->traffic.sent_bytes;
			o->received = s->traffic.received_bytes;
			/* Its open came without counts (the kernel's socket
			 * event): this look gives them. */
			d->edges[o->edge].pub.known |= WHOSOCK_EDGE_KNOWN_BYTES;
		}
	}
	for (size_t i = 0; i < d->open_cap; i++) {
		struct open_conn *o = &d->open[i];

		if (!o->netns || o->present || ++o->absent < ENDED_LOOKS)
			continue;
		d->edges[o->edge].closed_sent += o->sent;
		d->edges[o->edge].closed_received += o->received;
		remove_open(d, o);
		i--; /* a later member may have moved into this slot */
	}
	whosock_snapshot_free(snap);
	return 0;
}

int whosock_deps_edges(struct whosock_deps *d, const struct whosock_edge **edges, size_t *n)
{
	struct whosock_edge *out;
	int r = refresh_open(d);

	if (r < 0)
		return r;
	out = realloc(d->out, (d->n_edges + 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	d->out = out;
	for (size_t i = 0; i < d->n_edges; i++) {
		resolve_server(d, &d->edges[i]);
		d->edges[i].pub.sent_bytes = d->edges[i].closed_sent;
		d->edges[i].pub.received_bytes = d->edges[i].closed_received;
	}
	for (size_t i = 0; i < d->open_cap; i++)
		if (d->open[i].netns) {
			d->edges[d->open[i].edge].pub.sent_bytes += d->open[i].sent;
			d->edges[d->open[i].edge].pub.received_bytes += d->open[i].received;
		}
	for (size_t i = 0; i < d->n_edges; i++)
		out[i] = d->edges[i].pub;
	*edges = out;
	*n = d->n_edges;
	return 0;
}

int whosock_deps_status(const struct whosock_deps *d, struct whosock_watch_status *out)
{
	return whosock_watch_status(d->w, out);
}

uint64_t whosock_deps_dropped(const struct whosock_deps *d)
{
	return d->dropped;
}

void whosock_deps_free(struct whosock_deps *d)
{
	if (!d)
		return;
	whosock_watch_free(d->w);
	whosock_process_filter_free(d->owners);
	for (size_t i = 0; i < d->n_ls; i++)
		listener_free(&d->ls[i]);
	free(d->ls);
	for (size_t i = 0; i < d->n_edges; i++)
		edge_free(&d->edges[i]);
	free(d->edges);
	free(d->open);
	free(d->out);
	nsusers_free(&d->users);
	free(d);
}
