/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "metrics.h"
#include "textesc.h"

/* One series: its label set, already escaped ("a=\"x\",b=\"y\""), and value. */
struct series {
	char *labels;
	uint64_t value;
};

/* The series of one metric, sorted by labels and capped. */
struct family {
	struct series *v;
	size_t n, cap;
	size_t dropped; /* label sets folded into the overflow series */
};

/* A listening socket of the live set: what names it, and its labels. */
struct listener {
	uint64_t netns, id; /* id: the cookie, else the inode */
	uint8_t proto, family;
	uint16_t port;
	uint8_t addr[16];
	char *labels;
};

/* Counters (traffic, dependencies): a label set keeps its series from its
 * first update on, in order of arrival up to the cap (a later one never
 * pushes it out, which would reset it); the rest add up in the overflow
 * series. Sorted by labels, for lookups. */
#define COUNTER_VALUES 3
struct cseries {
	char *labels;
	uint64_t v[COUNTER_VALUES];
};

struct counters {
	struct cseries *v;
	size_t n, cap;
	uint64_t overflow[COUNTER_VALUES];
	size_t dropped; /* label sets folded into overflow at the last update */
};

struct metrics {
	pthread_mutex_t lock;
	unsigned max_series;
	struct listener *ls;
	size_t n_ls, cap_ls;
	struct family sockets, connections, notes;
	uint64_t hidden;
	double snap_seconds, snap_ts;
	bool have_snapshot;
	uint64_t opened, closed;
	size_t namespaces, unreachable;
	struct counters traffic; /* v: sent, received */
	struct counters deps;    /* v: connections, sent, received */
	bool have_traffic, have_deps;
	uint64_t deps_dropped;   /* edges the library did not keep */
};

static const char *const sock_names[] = { "netns", "netns_name", "proto", "state" };
static const char *const conn_names[] = { "netns", "netns_name", "proto", "comm", "user",
					  "container", "pod" };
static const char *const info_names[] = { "netns", "netns_name", "proto", "addr", "port",
					  "comm", "user", "container", "pod" };
static const char *const note_names[] = { "code" };
static const char *const traffic_names[] = { "comm", "container", "proto" };
static const char *const dep_names[] = { "client_comm", "client_container", "proto",
					 "server_addr", "server_port", "server_comm" };
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Stable names for the library's note codes (the numbers are fixed). */
static const char *const note_code_names[] = {
	[WHOSOCK_NOTE_NETLINK_UNAVAILABLE] = "netlink_unavailable",
	[WHOSOCK_NOTE_PROC_FALLBACK] = "proc_fallback",
	[WHOSOCK_NOTE_NOT_LISTED] = "not_listed",
	[WHOSOCK_NOTE_FILE_TOO_LARGE] = "file_too_large",
	[WHOSOCK_NOTE_MALFORMED_LINES] = "malformed_lines",
	[WHOSOCK_NOTE_MALFORMED_MESSAGES] = "malformed_messages",
	[WHOSOCK_NOTE_OWNERS_HIDDEN] = "owners_hidden",
	[WHOSOCK_NOTE_OWNERS_REFUSED] = "owners_refused",
	[WHOSOCK_NOTE_NETNS_NOT_ENTERED] = "netns_not_entered",
	[WHOSOCK_NOTE_NETNS_READ_PROC] = "netns_read_proc",
	[WHOSOCK_NOTE_UNTRACED] = "untraced",
	[WHOSOCK_NOTE_NO_TCP_INFO] = "no_tcp_info",
	[WHOSOCK_NOTE_NETNS_NOT_FOUND] = "netns_not_found",
	[WHOSOCK_NOTE_DROPPED] = "dropped",
	[WHOSOCK_NOTE_OWNERS_UNREAD] = "owners_unread",
	[WHOSOCK_NOTE_OUTSIDE_PIDNS] = "outside_pidns",
	[WHOSOCK_NOTE_NETNS_NO_PROCESS] = "netns_no_process",
	[WHOSOCK_NOTE_BPF_OWNERS_FALLBACK] = "bpf_owners_fallback",
	[WHOSOCK_NOTE_NO_MEMINFO] = "no_meminfo",
};

int metrics_new(unsigned max_series, struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return -ENOMEM;
	}
	m->max_series = max_series < 2 ? 2 : max_series;
	*out = m;
	return 0;
}

static void family_clear(struct family *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].labels);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static void listeners_free(struct listener *ls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ls[i].labels);
	free(ls);
}

static void counters_clear(struct counters *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].labels);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	counters_clear(&m->traffic);
	counters_clear(&m->deps);
	listeners_free(m->ls, m->n_ls);
	family_clear(&m->sockets);
	family_clear(&m->connections);
	family_clear(&m->notes);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* name="value" (escaped), after a comma when b holds labels already. */
static void label(struct sbuf *b, const char *name, const char *value)
{
	if (b->len)
		sbuf_putc(b, ',');
	sbuf_puts(b, name);
	sbuf_add(b, "=\"", 2);
	if (value)
		esc_prom(b, value, strlen(value));
	sbuf_putc(b, '"');
}

static void label_u64(struct sbuf *b, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	label(b, name, num);
}

static void netns_labels(struct sbuf *b, const struct whosock_socket *s)
{
	label_u64(b, "netns", s->netns);
	label(b, "netns_name", s->netns_name);
	label(b, "proto", whosock_proto_name(s->proto));
}

/* comm, user, container and pod of a process (NULL: none visible). No pid:
 * it would make a series per process that ever lived. */
static void owner_labels(struct sbuf *b, const struct whosock_process *p)
{
	label(b, "comm", p ? p->comm : NULL);
	if (p && !p->user && p->uid_known)
		label_u64(b, "user", p->uid);
	else
		label(b, "user", p ? p->user : NULL);
	label(b, "container", p ? p->container.id : NULL);
	label(b, "pod", p ? p->container.pod_uid : NULL);
}

/* Take b's bytes as a string of their own size (an sbuf starts at 4 KiB:
 * kept as is, 10,000 label sets would hold 40 MiB). NULL when out of
 * memory. */
static char *take(struct sbuf *b)
{
	char *s = NULL;

	sbuf_putc(b, '\0');
	if (!b->failed)
		s = realloc(b->data, b->len);
	if (!s)
		sbuf_free(b);
	memset(b, 0, sizeof(*b));
	return s;
}

static int push(struct family *f, struct sbuf *labels, uint64_t value)
{
	char *l = take(labels);

	if (!l)
		return -ENOMEM;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct series *v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			free(l);
			return -ENOMEM;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].labels = l;
	f->v[f->n].value = value;
	f->n++;
	return 0;
}

static int cmp_series(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->labels, ((const struct series *)b)->labels);
}

/* The overflow label set: every label "__overflow__". */
static char *overflow_labels(const char *const *names, size_t n)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < n; i++)
		label(&b, names[i], METRICS_OVERFLOW);
	return take(&b);
}

/* Sort, merge equal label sets (values summed; info: 1), and keep at most
 * max series: the rest are folded into one overflow series. In order of the
 * labels, so which ones are kept does not change from scrape to scrape. */
static int finish(struct family *f, unsigned max, const char *const *names, size_t n_names,
		  bool info)
{
	size_t w = 0;

	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), cmp_series);
	for (size_t i = 0; i < f->n; i++) {
		if (w && strcmp(f->v[w - 1].labels, f->v[i].labels) == 0) {
			f->v[w - 1].value += f->v[i].value;
			free(f->v[i].labels);
			continue;
		}
		f->v[w++] = f->v[i];
	}
	f->n = w;
	f->dropped = 0;
	if (f->n > max) {
		char *ov = overflow_labels(names, n_names);
		uint64_t sum = 0;

		if (!ov)
			return -ENOMEM;
		for (size_t i = max - 1; i < f->n; i++) {
			sum += f->v[i].value;
			free(f->v[i].labels);
		}
		f->dropped = f->n - (max - 1);
		f->n = max;
		f->v[max - 1].labels = ov;
		f->v[max - 1].value = sum;
	}
	if (info)
		for (size_t i = 0; i < f->n; i++)
			f->v[i].value = 1;
	return 0;
}

/* The socket is one of the live set: listening TCP, bound UDP. */
static bool is_listener(const struct whosock_socket *s)
{
	if (s->proto == WHOSOCK_PROTO_TCP)
		return s->state == WHOSOCK_STATE_LISTEN;
	if (s->proto == WHOSOCK_PROTO_UDP || s->proto == WHOSOCK_PROTO_UDPLITE)
		return s->state == WHOSOCK_STATE_CLOSE && s->local.port != 0;
	return false;
}

static bool is_connection(const struct whosock_socket *s)
{
	return s->family != AF_UNIX && s->proto != WHOSOCK_PROTO_RAW &&
	       s->proto <= WHOSOCK_PROTO_SCTP && s->state == WHOSOCK_STATE_ESTABLISHED;
}

static void listener_key(struct listener *l, const struct whosock_socket *s)
{
	memset(l, 0, sizeof(*l));
	l->netns = s->netns;
	l->id = s->cookie ? s->cookie : s->inode;
	l->proto = s->proto;
	l->family = s->family;
	l->port = (uint16_t)s->local.port;
	memcpy(l->addr, s->local.addr, sizeof(l->addr));
}

static bool same_listener(const struct listener *a, const struct listener *b)
{
	return a->netns == b->netns && a->id == b->id && a->proto == b->proto &&
	       a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* The info labels of a listening socket (its first owner's process). */
static char *listener_labels(const struct whosock_socket *s)
{
	struct sbuf b = { 0 };
	char addr[64];

	netns_labels(&b, s);
	label(&b, "addr", whosock_addr_format(s->family, &s->local, addr, sizeof(addr)));
	label_u64(&b, "port", (uint64_t)s->local.port);
	owner_labels(&b, s->n_owners ? s->owners[0].proc : NULL);
	return take(&b);
}

static int listeners_add(struct listener **ls, size_t *n, size_t *cap,
			 const struct whosock_socket *s)
{
	struct listener l;

	listener_key(&l, s);
	for (size_t i = 0; i < *n; i++)
		if (same_listener(&(*ls)[i], &l))
			return 0;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct listener *v = realloc(*ls, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*ls = v;
		*cap = c;
	}
	l.labels = listener_labels(s);
	if (!l.labels)
		return -ENOMEM;
	(*ls)[(*n)++] = l;
	return 0;
}

/* The counts of one snapshot. */
static int count_snapshot(const struct whosock_snapshot *snap, struct family *socks,
			  struct family *conns, struct family *notes)
{
	size_t n = whosock_snapshot_count(snap);
	struct sbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		netns_labels(&b, s);
		label(&b, "state", whosock_state_name(s->proto, s->state));
		if (push(socks, &b, 1) < 0)
			return -ENOMEM;
		if (!is_connection(s))
			continue;
		/* Once per process holding it; a process is listed once per
		 * socket, with its thread tables right after it. */
		for (uint32_t k = 0; k < (s->n_owners ? s->n_owners : 1); k++) {
			const struct whosock_process *p = s->n_owners ? s->owners[k].proc : NULL;

			if (k && p == s->owners[k - 1].proc)
				continue;
			netns_labels(&b, s);
			owner_labels(&b, p);
			if (push(conns, &b, 1) < 0)
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < whosock_snapshot_note_count(snap); i++) {
		const struct whosock_note *note = whosock_snapshot_note(snap, i);
		char other[24];
		const char *name = NULL;

		if (note->code > 0 && (size_t)note->code < N_OF(note_code_names))
			name = note_code_names[note->code];
		if (!name) {
			snprintf(other, sizeof(other), "code_%d", note->code);
			name = other;
		}
		label(&b, "code", name);
		if (push(notes, &b, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

int metrics_from_snapshot(struct metrics *m, const struct whosock_snapshot *snap,
			  uint64_t took_ns, double ts_s)
{
	struct family socks = { 0 }, conns = { 0 }, notes = { 0 };
	struct listener *ls = NULL;
	size_t n_ls = 0, cap_ls = 0, n = whosock_snapshot_count(snap);
	int r = count_snapshot(snap, &socks, &conns, &notes);

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		if (is_listener(s))
			r = listeners_add(&ls, &n_ls, &cap_ls, s);
	}
	if (r == 0)
		r = finish(&socks, m->max_series, sock_names, N_OF(sock_names), false);
	if (r == 0)
		r = finish(&conns, m->max_series, conn_names, N_OF(conn_names), false);
	if (r == 0)
		r = finish(&notes, m->max_series, note_names, N_OF(note_names), false);
	if (r < 0) {
		family_clear(&socks);
		family_clear(&conns);
		family_clear(&notes);
		listeners_free(ls, n_ls);
		return r;
	}
	pthread_mutex_lock(&m->lock);
	family_clear(&m->sockets);
	family_clear(&m->connections);
	family_clear(&m->notes);
	listeners_free(m->ls, m->n_ls);
	m->sockets = socks;
	m->connections = conns;
	m->notes = notes;
	m->ls = ls;
	m->n_ls = n_ls;
	m->cap_ls = cap_ls;
	m->hidden = whosock_snapshot_hidden_processes(snap);
	m->snap_seconds = (double)took_ns / 1e9;
	m->snap_ts = ts_s;
	m->have_snapshot = true;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* ---- counters ---- */

/* The series of labels in c: found, else made when c has room; NULL when
 * it has none (or out of memory: *failed). */
static struct cseries *counter_get(struct counters *c, const char *labels, unsigned max,
				   bool *failed)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(c->v[mid].labels, labels);

		if (d == 0)
			return &c->v[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* The overflow series is one of the max. */
	if (c->n + 1 >= max)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct cseries *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			*failed = true;
			return NULL;
		}
		c->v = v;
		c->cap = cap;
	}
	memmove(&c->v[lo + 1], &c->v[lo], (c->n - lo) * sizeof(*c->v));
	c->v[lo] = (struct cseries){ .labels = strdup(labels) };
	if (!c->v[lo].labels) {
		memmove(&c->v[lo], &c->v[lo + 1], (c->n - lo) * sizeof(*c->v));
		*failed = true;
		return NULL;
	}
	c->n++;
	return &c->v[lo];
}

/* A batch of one update: label sets (a series each) with their values. */
struct batch {
	struct family f[COUNTER_VALUES]; /* the same label sets in each, in order */
};

static void batch_free(struct batch *bt)
{
	for (int i = 0; i < COUNTER_VALUES; i++)
		family_clear(&bt->f[i]);
}

static int batch_push(struct batch *bt, struct sbuf *labels, const uint64_t *v)
{
	struct sbuf copy = { 0 };

	for (int i = 0; i < COUNTER_VALUES; i++) {
		if (i + 1 < COUNTER_VALUES)
			sbuf_add(&copy, labels->data, labels->len);
		if (push(&bt->f[i], i + 1 < COUNTER_VALUES ? &copy : labels, v[i]) < 0) {
			sbuf_free(&copy);
			sbuf_free(labels);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Apply a batch: each label set's values merged (summed), then added to its
 * series (add) or made its value when larger (a cumulative count: a counter
 * never goes back). Called locked. */
static int counters_apply(struct counters *c, struct batch *bt, unsigned max, bool add)
{
	uint64_t overflow[COUNTER_VALUES] = { 0 };
	bool failed = false;

	for (int i = 0; i < COUNTER_VALUES; i++)
		if (finish(&bt->f[i], UINT32_MAX, NULL, 0, false) < 0)
			return -ENOMEM;
	c->dropped = 0;
	for (size_t k = 0; k < bt->f[0].n; k++) {
		struct cseries *s = counter_get(c, bt->f[0].v[k].labels, max, &failed);
		uint64_t *dst = s ? s->v : overflow;

		if (!s)
			c->dropped++;
		for (int i = 0; i < COUNTER_VALUES; i++) {
			uint64_t v = bt->f[i].v[k].value;

			if (add || !s)
				dst[i] += v;
			else if (v > dst[i])
				dst[i] = v;
		}
	}
	for (int i = 0; i < COUNTER_VALUES; i++)
		if (add)
			c->overflow[i] += overflow[i];
		else if (overflow[i] > c->overflow[i])
			c->overflow[i] = overflow[i];
	return failed ? -ENOMEM : 0;
}

int metrics_traffic(struct metrics *m, const struct whosock_meter *meter)
{
	size_t n = whosock_meter_row_count(meter, WHOSOCK_BY_CONNECTION);
	struct batch bt = { 0 };
	struct sbuf b = { 0 };
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct whosock_meter_row *row = whosock_meter_row(meter, WHOSOCK_BY_CONNECTION, i);
		const struct whosock_process *p = row->process;
		uint64_t v[COUNTER_VALUES] = { row->sent_bytes, row->received_bytes, 0 };

		if (!row->sent_bytes && !row->received_bytes)
			continue;
		label(&b, "comm", p ? p->comm : NULL);
		label(&b, "container", p ? p->container.id : NULL);
		label(&b, "proto", row->socket ? whosock_proto_name(row->socket->proto) : NULL);
		r = batch_push(&bt, &b, v);
	}
	pthread_mutex_lock(&m->lock);
	if (r == 0)
		r = counters_apply(&m->traffic, &bt, m->max_series, true);
	m->have_traffic = true;
	pthread_mutex_unlock(&m->lock);
	batch_free(&bt);
	return r;
}

int metrics_deps(struct metrics *m, const struct whosock_edge *v, size_t n, uint64_t dropped)
{
	struct batch bt = { 0 };
	struct sbuf b = { 0 };
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct whosock_edge *e = &v[i];
		const struct whosock_edge_server *sv = &e->server;
		bool bytes = e->known & WHOSOCK_EDGE_KNOWN_BYTES;
		uint64_t values[COUNTER_VALUES] = { e->connections, bytes ? e->sent_bytes : 0,
						    bytes ? e->received_bytes : 0 };
		char addr[64];

		label(&b, "client_comm", e->known & WHOSOCK_EDGE_KNOWN_PROCESS ? e->client.comm
		      : NULL);
		label(&b, "client_container", e->client.container.id);
		label(&b, "proto", whosock_proto_name(sv->proto));
		label(&b, "server_addr", whosock_addr_format(sv->family, &sv->addr, addr,
							     sizeof(addr)));
		label_u64(&b, "server_port", sv->addr.port);
		label(&b, "server_comm", e->known & WHOSOCK_EDGE_KNOWN_SERVER ? sv->comm : NULL);
		r = batch_push(&bt, &b, values);
	}
	pthread_mutex_lock(&m->lock);
	if (r == 0)
		r = counters_apply(&m->deps, &bt, m->max_series, false);
	m->have_deps = true;
	m->deps_dropped = dropped;
	pthread_mutex_unlock(&m->lock);
	batch_free(&bt);
	return r;
}

int metrics_event(struct metrics *m, const struct whosock_event *ev)
{
	const struct whosock_socket *s = ev->socket;
	struct listener key;
	int r = 0;

	pthread_mutex_lock(&m->lock);
	if (ev->type == WHOSOCK_EVENT_OPENED) {
		m->opened++;
		if (is_listener(s))
			r = listeners_add(&m->ls, &m->n_ls, &m->cap_ls, s);
	} else {
		m->closed++;
		listener_key(&key, s);
		for (size_t i = 0; i < m->n_ls; i++) {
			if (!same_listener(&m->ls[i], &key))
				continue;
			free(m->ls[i].labels);
			m->ls[i] = m->ls[--m->n_ls];
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

void metrics_watch_status(struct metrics *m, const struct whosock_watch_status *st)
{
	pthread_mutex_lock(&m->lock);
	m->namespaces = st->namespaces;
	m->unreachable = st->unreachable;
	pthread_mutex_unlock(&m->lock);
}

/* # HELP and # TYPE of a metric. OpenMetrics names the family without the
 * _info or _total suffix its samples carry. */
static void header(struct sbuf *b, const char *name, const char *type, const char *help,
		   bool om)
{
	size_t len = strlen(name);

	if (om && strcmp(type, "info") == 0)
		len -= strlen("_info");
	else if (om && strcmp(type, "counter") == 0)
		len -= strlen("_total");
	sbuf_puts(b, "# HELP ");
	sbuf_add(b, name, len);
	sbuf_putc(b, ' ');
	sbuf_puts(b, help);
	sbuf_puts(b, "\n# TYPE ");
	sbuf_add(b, name, len);
	sbuf_putc(b, ' ');
	sbuf_puts(b, !om && strcmp(type, "info") == 0 ? "gauge" : type);
	sbuf_putc(b, '\n');
}

static void sample(struct sbuf *b, const char *name, const char *labels, const char *value)
{
	sbuf_puts(b, name);
	if (labels && *labels) {
		sbuf_putc(b, '{');
		sbuf_puts(b, labels);
		sbuf_putc(b, '}');
	}
	sbuf_putc(b, ' ');
	sbuf_puts(b, value);
	sbuf_putc(b, '\n');
}

static void sample_u64(struct sbuf *b, const char *name, const char *labels, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	sample(b, name, labels, num);
}

static void sample_f(struct sbuf *b, const char *name, double v)
{
	char num[40];

	snprintf(num, sizeof(num), "%.9g", v);
	sample(b, name, NULL, num);
}

static void family_out(struct sbuf *b, const char *name, const char *type, const char *help,
		       const struct family *f, bool om)
{
	header(b, name, type, help, om);
	for (size_t i = 0; i < f->n; i++)
		sample_u64(b, name, f->v[i].labels, f->v[i].value);
}

/* One value of each series of c, and its overflow series (once there is
 * one). Called locked. */
static void counters_out(struct sbuf *b, const char *name, const char *help,
			 const struct counters *c, int value, const char *const *names,
			 size_t n_names, bool om)
{
	bool any = false;

	header(b, name, "counter", help, om);
	for (size_t i = 0; i < c->n; i++)
		sample_u64(b, name, c->v[i].labels, c->v[i].v[value]);
	for (int i = 0; i < COUNTER_VALUES; i++)
		any |= c->overflow[i] != 0;
	if (any) {
		char *ov = overflow_labels(names, n_names);

		if (!ov)
			b->failed = true;
		else
			sample_u64(b, name, ov, c->overflow[value]);
		free(ov);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The live set as an info family: sorted, identical label sets once (two
 * SO_REUSEPORT sockets of one process), capped. Called locked. */
static int listeners_out(struct sbuf *b, const struct metrics *m, bool om, size_t *dropped)
{
	const char *name = "whosock_listening_socket_info";
	char **v = m->n_ls ? malloc(m->n_ls * sizeof(*v)) : NULL;
	size_t n = 0, shown = 0;

	if (m->n_ls && !v)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ls; i++)
		v[i] = m->ls[i].labels;
	if (m->n_ls)
		qsort(v, m->n_ls, sizeof(*v), cmp_str);
	for (size_t i = 0; i < m->n_ls; i++)
		if (!n || strcmp(v[n - 1], v[i]) != 0)
			v[n++] = v[i];
	header(b, name, "info", "A listening TCP or bound UDP socket, with its first owner "
	       "(value 1; labels all __overflow__: the sockets past --max-series).", om);
	*dropped = 0;
	for (size_t i = 0; i < n; i++) {
		if (n > m->max_series && shown == m->max_series - 1) {
			char *ov = overflow_labels(info_names, N_OF(info_names));

			if (!ov) {
				free(v);
				return -ENOMEM;
			}
			sample(b, name, ov, "1");
			free(ov);
			*dropped = n - shown;
			break;
		}
		sample(b, name, v[i], "1");
		shown++;
	}
	free(v);
	return 0;
}

static void dropped_out(struct sbuf *b, const char *metric, size_t n)
{
	struct sbuf l = { 0 };
	char *labels;

	label(&l, "metric", metric);
	labels = take(&l);
	if (!labels)
		b->failed = true;
	else
		sample_u64(b, "whosock_series_overflow", labels, (uint64_t)n);
	free(labels);
}

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int metrics_render(struct metrics *m, struct sbuf *b, bool om)
{
	double t0 = now_s(CLOCK_MONOTONIC);
	size_t dropped = 0;
	char labels[64];
	int r;

	pthread_mutex_lock(&m->lock);
	header(b, "whosock_build_info", "info", "whosock's version.", om);
	snprintf(labels, sizeof(labels), "version=\"%s\"", whosock_version());
	sample(b, "whosock_build_info", labels, "1");
	r = listeners_out(b, m, om, &dropped);
	header(b, "whosock_listening_sockets", "gauge",
	       "Listening TCP and bound UDP sockets (live, from the watcher).", om);
	sample_u64(b, "whosock_listening_sockets", NULL, (uint64_t)m->n_ls);
	family_out(b, "whosock_sockets", "gauge", "Sockets by namespace, protocol and state "
		   "(at the last snapshot).", &m->sockets, om);
	family_out(b, "whosock_connections", "gauge", "Established connections by namespace, "
		   "protocol and local process (at the last snapshot).", &m->connections, om);
	header(b, "whosock_hidden_processes", "gauge",
	       "Processes whose sockets could not be read (their owners are not shown).", om);
	sample_u64(b, "whosock_hidden_processes", NULL, m->hidden);
	family_out(b, "whosock_notes", "gauge", "Notes of the last snapshot: what could not be "
		   "seen, by code.", &m->notes, om);
	header(b, "whosock_series_overflow", "gauge", "Label sets of a metric folded into its "
	       "__overflow__ series (--max-series).", om);
	dropped_out(b, "whosock_listening_socket_info", dropped);
	dropped_out(b, "whosock_sockets", m->sockets.dropped);
	dropped_out(b, "whosock_connections", m->connections.dropped);
	dropped_out(b, "whosock_notes", m->notes.dropped);
	if (m->have_traffic) {
		dropped_out(b, "whosock_traffic_sent_bytes_total", m->traffic.dropped);
		dropped_out(b, "whosock_traffic_received_bytes_total", m->traffic.dropped);
	}
	if (m->have_deps) {
		dropped_out(b, "whosock_dependency_connections_total", m->deps.dropped);
		dropped_out(b, "whosock_dependency_sent_bytes_total", m->deps.dropped);
		dropped_out(b, "whosock_dependency_received_bytes_total", m->deps.dropped);
	}
	if (m->have_traffic) {
		counters_out(b, "whosock_traffic_sent_bytes_total", "Payload bytes sent by TCP "
			     "and UDP sockets, by process name, container and protocol (from "
			     "the meter, each interval).", &m->traffic, 0, traffic_names,
			     N_OF(traffic_names), om);
		counters_out(b, "whosock_traffic_received_bytes_total", "Payload bytes received "
			     "by TCP and UDP sockets, by process name, container and protocol.",
			     &m->traffic, 1, traffic_names, N_OF(traffic_names), om);
	}
	if (m->have_deps) {
		counters_out(b, "whosock_dependency_connections_total", "Connections from a "
			     "client (process name, container) to a service (protocol, address, "
			     "port, the listener's process name), each once.", &m->deps, 0,
			     dep_names, N_OF(dep_names), om);
		counters_out(b, "whosock_dependency_sent_bytes_total", "Payload bytes the "
			     "clients of a dependency sent (TCP).", &m->deps, 1, dep_names,
			     N_OF(dep_names), om);
		counters_out(b, "whosock_dependency_received_bytes_total", "Payload bytes the "
			     "clients of a dependency received (TCP).", &m->deps, 2, dep_names,
			     N_OF(dep_names), om);
		header(b, "whosock_dependency_edges_dropped", "gauge", "Dependency edges not "
		       "kept (past the library's cap of 65536).", om);
		sample_u64(b, "whosock_dependency_edges_dropped", NULL, m->deps_dropped);
	}
	header(b, "whosock_watch_events_total", "counter",
	       "Sockets seen opening and closing by the watcher.", om);
	sample_u64(b, "whosock_watch_events_total", "type=\"opened\"", m->opened);
	sample_u64(b, "whosock_watch_events_total", "type=\"closed\"", m->closed);
	header(b, "whosock_namespaces", "gauge", "Network namespaces watched.", om);
	sample_u64(b, "whosock_namespaces", NULL, (uint64_t)m->namespaces);
	header(b, "whosock_namespaces_unreachable", "gauge",
	       "Network namespaces known but not watched (entering them was refused).", om);
	sample_u64(b, "whosock_namespaces_unreachable", NULL, (uint64_t)m->unreachable);
	if (m->have_snapshot) {
		header(b, "whosock_snapshot_duration_seconds", "gauge",
		       "How long the last full snapshot took.", om);
		sample_f(b, "whosock_snapshot_duration_seconds", m->snap_seconds);
		header(b, "whosock_snapshot_timestamp_seconds", "gauge",
		       "When the last full snapshot was taken (Unix time).", om);
		sample_f(b, "whosock_snapshot_timestamp_seconds", m->snap_ts);
	}
	pthread_mutex_unlock(&m->lock);
	header(b, "whosock_scrape_duration_seconds", "gauge",
	       "How long rendering these metrics took.", om);
	sample_f(b, "whosock_scrape_duration_seconds", now_s(CLOCK_MONOTONIC) - t0);
	if (om)
		sbuf_puts(b, "# EOF\n");
	if (r == 0 && b->failed)
		r = -ENOMEM;
	return r;
}

bool metrics_wants_openmetrics(const char *accept)
{
	return accept && strstr(accept, "application/openmetrics-text") != NULL;
}
