/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names for -r. getnameinfo() has no asynchronous form and a dead DNS server
 * makes it wait for seconds (timeout x attempts x servers): the lookups run
 * on a few detached threads, and the listing waits for them only until the
 * budget is spent. Whatever is not back by then is printed as a number; the
 * threads still waiting keep their share of the state alive (a reference
 * count) and free it when their lookup returns, or die with the process. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"

#define RESOLVE_THREADS 4

struct addr {
	int family;
	uint8_t addr[16];
};

/* What the lookup threads share with the listing, under lock. */
struct shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct addr *addrs; /* sorted, distinct */
	char **names;       /* names[i]: malloc'd, or NULL (none, or not back) */
	bool *done;
	size_t n, next, n_done;
	int refs;
	bool abandoned; /* the listing stopped waiting: take no more */
};

struct service {
	uint16_t port;
	uint8_t proto; /* 0 tcp, 1 udp, 2 sctp */
	size_t seq;    /* position in the database: the first of a port wins */
	size_t name;   /* offset in resolver.service_names */
};

struct resolver {
	struct shared *sh;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	/* The listing's own copy, once resolver_wait() returned. */
	char **names;
	size_t left;
	bool waited;
	struct service *services; /* sorted by (proto, port) */
	size_t n_services;
	char *service_names; /* every name, NUL-terminated, one after the other */
	size_t names_len;
	bool services_loaded;
};

static int cmp_addr(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static void shared_unref(struct shared *sh)
{
	bool last;

	pthread_mutex_lock(&sh->lock);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	for (size_t i = 0; i < sh->n; i++)
		free(sh->names[i]);
	free(sh->names);
	free(sh->done);
	free(sh->addrs);
	pthread_cond_destroy(&sh->cond);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static char *lookup(const struct addr *a)
{
	struct sockaddr_storage ss = { 0 };
	char host[NI_MAXHOST];
	socklen_t len;

	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->addr, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->addr, 16);
		len = sizeof(*sin6);
	}
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NAMEREQD) != 0)
		return NULL;
	return strdup(host);
}

static void *lookup_thread(void *data)
{
	struct shared *sh = data;

	pthread_mutex_lock(&sh->lock);
	while (!sh->abandoned && sh->next < sh->n) {
		size_t i = sh->next++;
		struct addr a = sh->addrs[i];
		char *name;

		pthread_mutex_unlock(&sh->lock);
		name = lookup(&a);
		pthread_mutex_lock(&sh->lock);
		sh->names[i] = name;
		sh->done[i] = true;
		sh->n_done++;
		pthread_cond_broadcast(&sh->cond);
	}
	pthread_mutex_unlock(&sh->lock);
	shared_unref(sh);
	return NULL;
}

static bool wanted(const struct whosock_socket *s, const struct whosock_endpoint *ep)
{
	static const uint8_t zero[16];

	return (s->family == AF_INET || s->family == AF_INET6) &&
	       memcmp(ep->addr, zero, s->family == AF_INET ? 4 : 16) != 0;
}

/* The distinct addresses of snap, sorted. */
static int collect(const struct whosock_snapshot *snap, struct shared *sh)
{
	size_t n = whosock_snapshot_count(snap), k = 0;

	sh->addrs = calloc(2 * n + 1, sizeof(*sh->addrs));
	if (!sh->addrs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		const struct whosock_endpoint *eps[2] = { &s->local, &s->remote };

		for (size_t e = 0; e < 2; e++)
			if (wanted(s, eps[e])) {
				sh->addrs[k].family = s->family;
				memcpy(sh->addrs[k].addr, eps[e]->addr, s->family == AF_INET ? 4 : 16);
				k++;
			}
	}
	qsort(sh->addrs, k, sizeof(*sh->addrs), cmp_addr);
	sh->n = 0;
	for (size_t i = 0; i < k; i++)
		if (sh->n == 0 || cmp_addr(&sh->addrs[sh->n - 1], &sh->addrs[i]) != 0)
			sh->addrs[sh->n++] = sh->addrs[i];
	sh->names = calloc(sh->n + 1, sizeof(*sh->names));
	sh->done = calloc(sh->n + 1, sizeof(*sh->done));
	return sh->names && sh->done ? 0 : -ENOMEM;
}

int resolver_start(const struct whosock_snapshot *snap, unsigned budget_ms, struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct shared *sh = calloc(1, sizeof(*sh));
	pthread_condattr_t ca;
	size_t threads;
	int e;

	if (!r || !sh) {
		free(r);
		free(sh);
		return -ENOMEM;
	}
	pthread_mutex_init(&sh->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cond, &ca);
	pthread_condattr_destroy(&ca);
	sh->refs = 1;
	r->sh = sh;
	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	r->deadline.tv_sec += budget_ms / 1000;
	r->deadline.tv_nsec += (long)(budget_ms % 1000) * 1000000L;
	if (r->deadline.tv_nsec >= 1000000000L) {
		r->deadline.tv_sec++;
		r->deadline.tv_nsec -= 1000000000L;
	}
	e = collect(snap, sh);
	if (e < 0) {
		resolver_free(r);
		return e;
	}
	threads = sh->n < RESOLVE_THREADS ? sh->n : RESOLVE_THREADS;
	for (size_t i = 0; i < threads; i++) {
		pthread_attr_t attr;
		pthread_t th;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&sh->lock);
		sh->refs++;
		pthread_mutex_unlock(&sh->lock);
		e = pthread_create(&th, &attr, lookup_thread, sh);
		pthread_attr_destroy(&attr);
		if (e != 0) {
			pthread_mutex_lock(&sh->lock);
			sh->refs--;
			pthread_mutex_unlock(&sh->lock);
			/* Fewer threads do: only none at all is an error. */
			if (i == 0) {
				resolver_free(r);
				return -e;
			}
			break;
		}
	}
	*out = r;
	return 0;
}

size_t resolver_wait(struct resolver *r)
{
	struct shared *sh = r->sh;

	if (r->waited)
		return r->left;
	r->waited = true;
	pthread_mutex_lock(&sh->lock);
	while (sh->n_done < sh->n)
		if (pthread_cond_timedwait(&sh->cond, &sh->lock, &r->deadline) == ETIMEDOUT)
			break;
	sh->abandoned = true;
	r->left = sh->n - sh->n_done;
	/* The listing keeps the names that are back; late ones go unused. */
	r->names = calloc(sh->n + 1, sizeof(*r->names));
	for (size_t i = 0; r->names && i < sh->n; i++)
		if (sh->done[i]) {
			r->names[i] = sh->names[i];
			sh->names[i] = NULL;
		}
	pthread_mutex_unlock(&sh->lock);
	return r->left;
}

const char *resolver_host(const struct resolver *r, int family, const uint8_t addr[16])
{
	struct addr key = { .family = family };
	const struct addr *hit;

	if (!r || !r->names || (family != AF_INET && family != AF_INET6))
		return NULL;
	memcpy(key.addr, addr, family == AF_INET ? 4 : 16);
	/* The addresses do not change once the threads run: no lock needed. */
	hit = bsearch(&key, r->sh->addrs, r->sh->n, sizeof(key), cmp_addr);
	return hit ? r->names[hit - r->sh->addrs] : NULL;
}

static int service_class(enum whosock_proto proto)
{
	switch (proto) {
	case WHOSOCK_PROTO_TCP:
	case WHOSOCK_PROTO_MPTCP:
		return 0;
	case WHOSOCK_PROTO_UDP:
	case WHOSOCK_PROTO_UDPLITE:
		return 1;
	case WHOSOCK_PROTO_SCTP:
		return 2;
	default:
		return -1;
	}
}

static int cmp_service(const void *x, const void *y)
{
	const struct service *a = x, *b = y;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return (a->port > b->port) - (a->port < b->port);
}

static int cmp_service_seq(const void *x, const void *y)
{
	const struct service *a = x, *b = y;
	int r = cmp_service(a, b);

	return r ? r : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Append a name to service_names. Returns its offset, or SIZE_MAX. */
static size_t add_name(struct resolver *r, const char *name, size_t *cap)
{
	size_t len = strlen(name) + 1, off = r->names_len;

	if (r->names_len + len > *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		char *v;

		while (c < r->names_len + len)
			c *= 2;
		v = realloc(r->service_names, c);
		if (!v)
			return SIZE_MAX;
		r->service_names = v;
		*cap = c;
	}
	memcpy(r->service_names + off, name, len);
	r->names_len += len;
	return off;
}

/* The services database in one pass (rather than a getservbyport() and a
 * read of /etc/services per row); the first entry of a port wins, as
 * getservbyport() has it. Out of memory, what was read is kept. */
static void load_services(struct resolver *r)
{
	static const char *const protos[] = { "tcp", "udp", "sctp" };
	struct servent se, *res;
	char buf[4096];
	size_t cap = 0, names_cap = 0, k = 0, seq = 0;

	r->services_loaded = true;
	setservent(0);
	while (getservent_r(&se, buf, sizeof(buf), &res) == 0 && res) {
		for (size_t p = 0; p < 3; p++) {
			struct service *v;
			size_t name;

			if (!res->s_proto || strcmp(res->s_proto, protos[p]) != 0)
				continue;
			if (r->n_services == cap) {
				cap = cap ? cap * 2 : 256;
				v = realloc(r->services, cap * sizeof(*v));
				if (!v)
					goto out;
				r->services = v;
			}
			name = add_name(r, res->s_name, &names_cap);
			if (name == SIZE_MAX)
				goto out;
			r->services[r->n_services++] = (struct service){
				.port = ntohs((uint16_t)res->s_port), .proto = (uint8_t)p,
				.seq = seq++, .name = name
			};
		}
	}
out:
	endservent();
	if (r->n_services)
		qsort(r->services, r->n_services, sizeof(*r->services), cmp_service_seq);
	for (size_t i = 0; i < r->n_services; i++)
		if (k == 0 || cmp_service(&r->services[k - 1], &r->services[i]) != 0)
			r->services[k++] = r->services[i];
	r->n_services = k;
}

const char *resolver_service(struct resolver *r, enum whosock_proto proto, uint16_t port)
{
	struct service key = { .port = port };
	const struct service *hit;
	int c = service_class(proto);

	if (!r || c < 0 || port == 0)
		return NULL;
	if (!r->services_loaded)
		load_services(r);
	key.proto = (uint8_t)c;
	hit = bsearch(&key, r->services, r->n_services, sizeof(key), cmp_service);
	return hit ? r->service_names + hit->name : NULL;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	if (r->sh) {
		size_t n = r->sh->n;

		pthread_mutex_lock(&r->sh->lock);
		r->sh->abandoned = true;
		pthread_mutex_unlock(&r->sh->lock);
		for (size_t i = 0; r->names && i < n; i++)
			free(r->names[i]);
		shared_unref(r->sh);
	}
	free(r->names);
	free(r->service_names);
	free(r->services);
	free(r);
}
