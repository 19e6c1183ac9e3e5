/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * whosock serve: an HTTP exporter (libmicrohttpd) on the watcher.
 *
 * The main thread runs the watcher's loop: its events keep the live set of
 * listening sockets (and the ring that /api/v1/events streams), and every
 * --interval one full snapshot refreshes the counts (and the textfile).
 * The HTTP threads (one per connection, at most --max-connections) render
 * /metrics from that model under its lock: a scrape never looks at the
 * kernel. /api/v1/sockets is a listing: it takes a snapshot with the
 * request's filters, one request at a time.
 *
 * The main loop also drives a traffic meter (whosock/traffic.h) and a deps
 * aggregation (whosock/deps.h): each is a watcher of its own, as the
 * library builds them (a meter's watcher follows every connection with
 * hooks at each dump, a deps' follows closes it never saw open; neither
 * can be fed from another's events). Their intervals are serve's; their
 * rows and edges (under feed_lock) answer /api/v1/top and /api/v1/deps,
 * and feed the traffic and dependency counters of /metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"
#include "notes.h"
#include "output.h"
#include "serve.h"
#include "servequery.h"
#include "serveviews.h"
#include "webassets.h"
#include "webconfig.h"
#include "whosock/deps.h"
#include "whosock/traffic.h"

#define RING_SIZE 4096u
#define MAX_STREAMS 8
#define MEMORY_LIMIT (32u * 1024u) /* per connection: the request's headers must fit */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct ring_line {
	uint64_t seq;
	char *line;
	size_t len;
};

struct serve {
	const struct cli *cli;
	struct metrics *metrics;
	struct webconfig web;
	/* The events, as NDJSON lines, for /api/v1/events. */
	pthread_mutex_t ring_lock;
	pthread_cond_t ring_cond;
	struct ring_line ring[RING_SIZE];
	uint64_t last_seq;
	atomic_bool stopping;
	atomic_int streams;
	pthread_mutex_t api_lock; /* one listing at a time */
	/* The meter and the deps aggregation (NULL: they could not start),
	 * their rows and edges read by the HTTP threads under feed_lock. */
	pthread_mutex_t feed_lock;
	struct whosock_meter *meter;
	struct whosock_deps *deps;
	const struct whosock_edge *edges; /* as of the last refresh */
	size_t n_edges;
};

/* ---- the main loop's side ---- */

static void ring_push(struct serve *sv, const struct whosock_event *ev)
{
	struct sbuf b = { 0 };
	struct ring_line *slot;

	output_json_event_cmdline(&b, ev, sv->cli->expose_cmdline);
	sbuf_putc(&b, '\n');
	if (b.failed) {
		sbuf_free(&b);
		return; /* the stream shows the gap as missed */
	}
	pthread_mutex_lock(&sv->ring_lock);
	slot = &sv->ring[ev->seq % RING_SIZE];
	free(slot->line);
	slot->seq = ev->seq;
	slot->line = b.data;
	slot->len = b.len;
	if (ev->seq > sv->last_seq)
		sv->last_seq = ev->seq;
	pthread_cond_broadcast(&sv->ring_cond);
	pthread_mutex_unlock(&sv->ring_lock);
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct serve *sv = data;

	metrics_event(sv->metrics, ev);
	ring_push(sv, ev);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The periodic full snapshot: every kind, with processes (no command
 * lines: the metrics never show them). */
static int refresh(struct serve *sv, void (*message)(const char *, const char *))
{
	struct whosock_filter f = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = WHOSOCK_OPTIONS_INIT;
	struct whosock_snapshot *snap = NULL;
	struct timespec now;
	uint64_t t0 = mono_ns();
	int r;

	f.protos = WHOSOCK_PROTOS_ALL;
	opt.filter = &f;
	opt.want = WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS;
	opt.host_only = sv->cli->opt.host_only;
	r = whosock_snapshot_take(&opt, &snap);
	if (r < 0) {
		message("cannot list sockets: ", strerror(-r));
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	r = metrics_from_snapshot(sv->metrics, snap, mono_ns() - t0,
				  (double)now.tv_sec + (double)now.tv_nsec / 1e9);
	whosock_snapshot_free(snap);
	if (r == 0 && sv->deps) {
		pthread_mutex_lock(&sv->feed_lock);
		r = whosock_deps_edges(sv->deps, &sv->edges, &sv->n_edges);
		if (r < 0) {
			sv->edges = NULL;
			sv->n_edges = 0;
			message("cannot follow connections: ", strerror(-r));
		} else {
			r = metrics_deps(sv->metrics, sv->edges, sv->n_edges,
					 whosock_deps_dropped(sv->deps));
		}
		pthread_mutex_unlock(&sv->feed_lock);
	}
	/* The snapshot was the biggest thing alive: give its pages back
	 * rather than keep them until the next one. */
	malloc_trim(0);
	if (r < 0)
		message("cannot count sockets: ", strerror(-r));
	return r;
}

/* The meter and the deps aggregation, on every namespace the watcher
 * sees, at serve's interval. One that cannot start leaves its endpoint
 * answering 503 and its counters out; serve goes on. */
static void start_feeds(struct serve *sv, void (*message)(const char *, const char *))
{
	struct whosock_meter_options mo = WHOSOCK_METER_OPTIONS_INIT;
	struct whosock_deps_options dopt = WHOSOCK_DEPS_OPTIONS_INIT;
	int r;

	mo.host_only = sv->cli->opt.host_only;
	mo.interval_ms = sv->cli->interval_ms;
	mo.flags = sv->cli->opt.flags & WHOSOCK_FLAG_NO_BPF;
	r = whosock_meter_new(&mo, &sv->meter);
	if (r < 0) {
		sv->meter = NULL;
		message("cannot count traffic (no /api/v1/top): ", strerror(-r));
	}
	/* By process: the finest grouping, which /api/v1/deps groups again
	 * as each request asks. */
	dopt.by = WHOSOCK_DEPS_BY_PROCESS;
	dopt.host_only = sv->cli->opt.host_only;
	dopt.interval_ms = sv->cli->interval_ms;
	dopt.flags = sv->cli->opt.flags & WHOSOCK_FLAG_NO_BPF;
	r = whosock_deps_new(&dopt, &sv->deps);
	if (r < 0) {
		sv->deps = NULL;
		message("cannot follow connections (no /api/v1/deps): ", strerror(-r));
	}
}

/* The meter's and the deps aggregation's work due: an interval that ended
 * adds to the traffic counters. A failure is said and they go on (the
 * library keeps them usable). */
static void feed(struct serve *sv, void (*message)(const char *, const char *))
{
	int r = 0;

	pthread_mutex_lock(&sv->feed_lock);
	if (sv->meter) {
		r = whosock_meter_process(sv->meter);
		if (r > 0) {
			r = metrics_traffic(sv->metrics, sv->meter);
			/* The interval's dump and the rows it replaced: their
			 * pages back, as after a snapshot. */
			malloc_trim(0);
		}
		if (r < 0)
			message("traffic counting failed: ", strerror(-r));
	}
	if (sv->deps) {
		r = whosock_deps_process(sv->deps);
		if (r < 0)
			message("following connections failed: ", strerror(-r));
	}
	pthread_mutex_unlock(&sv->feed_lock);
}

/* --textfile: the metrics written whole to FILE.tmp, then renamed over
 * FILE, so node_exporter's textfile collector never reads half of them. */
static int write_textfile(struct serve *sv, const char *path,
			  void (*message)(const char *, const char *))
{
	struct sbuf b = { 0 };
	char tmp[4096];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		message("cannot write the textfile: ", "name too long");
		return -ENAMETOOLONG;
	}
	r = metrics_render(sv->metrics, &b, false);
	if (r < 0) {
		sbuf_free(&b);
		message("cannot render metrics: ", strerror(-r));
		return r;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
	} else {
		/* Readable by node_exporter whatever the umask (systemd's 0077):
		 * the metrics hold no secret. */
		r = fchmod(fd, 0644) < 0 ? -errno : 0;
		sbuf_set_sink(&b, fd);
		if (r == 0)
			r = sbuf_flush(&b);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, path) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
	}
	sbuf_free(&b);
	if (r < 0)
		message("cannot write the textfile: ", strerror(-r));
	return r;
}

/* ---- the HTTP side ---- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
			       char *body, size_t len, bool must_free)
{
	struct MHD_Response *resp = must_free
		? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
		: MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An error: JSON under /api, text elsewhere. The message is ours (static
 * text, or the query parser's, already escaped). */
static enum MHD_Result error(struct MHD_Connection *c, const char *url, unsigned status,
			     const char *msg)
{
	struct sbuf b = { 0 };

	if (strncmp(url, "/api/", 5) == 0) {
		sbuf_puts(&b, "{");
		output_json_str(&b, "error", msg);
		sbuf_puts(&b, "}\n");
	} else {
		sbuf_puts(&b, msg);
		sbuf_putc(&b, '\n');
	}
	if (b.failed) {
		sbuf_free(&b);
		return MHD_NO;
	}
	return respond(c, status, strncmp(url, "/api/", 5) == 0 ? "application/json"
		       : "text/plain; charset=utf-8", b.data, b.len, true);
}

struct params {
	const char *keys[SERVEQ_MAX_PARAMS + 1], *values[SERVEQ_MAX_PARAMS + 1];
	size_t n;
	bool too_many;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct params *p = cls;

	(void)kind;
	if (p->n == SERVEQ_MAX_PARAMS + 1) {
		p->too_many = true;
		return MHD_NO;
	}
	p->keys[p->n] = key;
	p->values[p->n] = value;
	p->n++;
	return MHD_YES;
}

/* cli_parse() runs getopt_long(), whose state is global: one at a time. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

static int query(struct MHD_Connection *c, enum serve_endpoint ep, const struct serve *sv,
		 struct serve_query *q, char *err, size_t errlen)
{
	struct params p = { .n = 0 };
	int r;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &p);
	if (p.too_many) {
		snprintf(err, errlen, "too many parameters");
		return -EINVAL;
	}
	pthread_mutex_lock(&parse_lock);
	r = serve_query_parse(p.keys, p.values, p.n, ep, sv->cli->expose_cmdline, q, err, errlen);
	pthread_mutex_unlock(&parse_lock);
	return r;
}

static enum MHD_Result api_sockets(struct serve *sv, struct MHD_Connection *c, const char *url)
{
	struct whosock_snapshot *snap = NULL;
	struct whosock_options opt;
	struct serve_query q;
	struct sbuf b = { 0 };
	char err[1024];
	bool lines;
	size_t n;
	int r = query(c, SERVE_SOCKETS, sv, &q, err, sizeof(err));

	if (r < 0)
		return error(c, url, r == -ENOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
			     : MHD_HTTP_BAD_REQUEST, err);
	opt = cli_options(&q.cli);
	pthread_mutex_lock(&sv->api_lock);
	r = whosock_snapshot_take(&opt, &snap);
	pthread_mutex_unlock(&sv->api_lock);
	if (r < 0) {
		serve_query_free(&q);
		return error(c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-r));
	}
	lines = q.cli.format == OUTPUT_NDJSON;
	n = whosock_snapshot_count(snap);
	if (!lines)
		sbuf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		if (!lines && i)
			sbuf_putc(&b, ',');
		output_json_socket_cmdline(&b, whosock_snapshot_get(snap, i),
					   sv->cli->expose_cmdline);
		if (lines)
			sbuf_putc(&b, '\n');
	}
	if (!lines)
		sbuf_puts(&b, "]\n");
	whosock_snapshot_free(snap);
	serve_query_free(&q);
	if (b.failed) {
		sbuf_free(&b);
		return error(c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return respond(c, MHD_HTTP_OK, lines ? "application/x-ndjson" : "application/json",
		       b.data, b.len, true);
}

/* /api/v1/top and /api/v1/deps: the meter's rows and the edges, as the
 * request narrows them. */
static enum MHD_Result api_feed(struct serve *sv, struct MHD_Connection *c, const char *url,
				enum serve_endpoint ep)
{
	struct serve_query q;
	struct sbuf b = { 0 };
	char err[1024];
	int r = query(c, ep, sv, &q, err, sizeof(err));

	if (r < 0)
		return error(c, url, r == -ENOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
			     : MHD_HTTP_BAD_REQUEST, err);
	pthread_mutex_lock(&sv->feed_lock);
	if (ep == SERVE_TOP && !sv->meter) {
		snprintf(err, sizeof(err), "no traffic accounting: it could not start");
		r = -EAGAIN;
	} else if (ep == SERVE_DEPS && !sv->deps) {
		snprintf(err, sizeof(err), "no dependency map: it could not start");
		r = -EAGAIN;
	} else if (ep == SERVE_TOP) {
		r = serveview_top(&b, sv->meter, &q.cli, sv->cli->expose_cmdline, err, sizeof(err));
	} else {
		r = serveview_deps(&b, sv->edges, sv->n_edges, &q.cli, err, sizeof(err));
	}
	pthread_mutex_unlock(&sv->feed_lock);
	if (r == -ENOMEM)
		snprintf(err, sizeof(err), "out of memory");
	if (r < 0) {
		serve_query_free(&q);
		sbuf_free(&b);
		return error(c, url, r == -EINVAL ? MHD_HTTP_BAD_REQUEST : r == -EAGAIN
			     ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR, err);
	}
	r = q.cli.format == OUTPUT_NDJSON;
	serve_query_free(&q);
	return respond(c, MHD_HTTP_OK, r ? "application/x-ndjson" : "application/json", b.data,
		       b.len, true);
}

struct stream {
	struct serve *sv;
	uint64_t next;
	long left; /* events still to send; -1: no limit */
	char *buf;
	size_t len, off;
};

/* The next line for the stream, or NULL when none came within a second
 * (or the server stops). Called with ring_lock held. */
static char *next_line(struct stream *st, size_t *len)
{
	struct serve *sv = st->sv;
	uint64_t oldest = sv->last_seq >= RING_SIZE ? sv->last_seq - RING_SIZE + 1 : 1;
	struct ring_line *slot;
	char *line;

	if (st->next <= sv->last_seq && st->next < oldest) {
		/* The ring dropped them: say how many, go on from the oldest. */
		char text[64];
		int n = snprintf(text, sizeof(text), "{\"missed\":%llu}\n",
				 (unsigned long long)(oldest - st->next));

		st->next = oldest;
		line = strdup(text);
		*len = (size_t)n;
		return line;
	}
	if (st->next > sv->last_seq)
		return NULL;
	slot = &sv->ring[st->next % RING_SIZE];
	st->next++;
	if (slot->seq != st->next - 1 || !slot->line) {
		/* Not rendered (out of memory): a gap of one. */
		line = strdup("{\"missed\":1}\n");
		*len = line ? strlen(line) : 0;
		return line;
	}
	line = malloc(slot->len);
	if (line)
		memcpy(line, slot->line, slot->len);
	*len = slot->len;
	if (st->left > 0)
		st->left--;
	return line;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	struct serve *sv = st->sv;
	struct timespec deadline;
	size_t n;

	(void)pos;
	if (st->off == st->len) {
		free(st->buf);
		st->buf = NULL;
		st->off = st->len = 0;
		if (st->left == 0 || atomic_load(&sv->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		pthread_mutex_lock(&sv->ring_lock);
		st->buf = next_line(st, &st->len);
		while (!st->buf && !atomic_load(&sv->stopping) &&
		       pthread_cond_timedwait(&sv->ring_cond, &sv->ring_lock, &deadline) == 0)
			st->buf = next_line(st, &st->len);
		pthread_mutex_unlock(&sv->ring_lock);
		if (!st->buf) {
			st->len = 0;
			/* Nothing within a second: called again (the thread is
			 * this connection's alone). */
			return atomic_load(&sv->stopping) ? MHD_CONTENT_READER_END_OF_STREAM : 0;
		}
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(out, st->buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	atomic_fetch_sub(&st->sv->streams, 1);
	free(st->buf);
	free(st);
}

static enum MHD_Result api_events(struct serve *sv, struct MHD_Connection *c, const char *url)
{
	struct MHD_Response *resp;
	struct serve_query q;
	struct stream *st;
	char err[256];
	enum MHD_Result ret;
	int r = query(c, SERVE_EVENTS, sv, &q, err, sizeof(err));

	if (r < 0)
		return error(c, url, MHD_HTTP_BAD_REQUEST, err);
	if (atomic_fetch_add(&sv->streams, 1) >= MAX_STREAMS) {
		atomic_fetch_sub(&sv->streams, 1);
		return error(c, url, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams");
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		atomic_fetch_sub(&sv->streams, 1);
		return error(c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	st->sv = sv;
	st->left = q.limit ? q.limit : -1;
	pthread_mutex_lock(&sv->ring_lock);
	st->next = q.since ? q.since : sv->last_seq + 1;
	pthread_mutex_unlock(&sv->ring_lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st,
						 stream_free);
	if (!resp) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
	/* A stream is quiet while nothing happens: no idle timeout for it. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)0);
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result get_metrics(struct serve *sv, struct MHD_Connection *c, const char *url)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	bool om = metrics_wants_openmetrics(accept);
	struct sbuf b = { 0 };

	if (metrics_render(sv->metrics, &b, om) < 0) {
		sbuf_free(&b);
		return error(c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return respond(c, MHD_HTTP_OK, om ? METRICS_CT_OPENMETRICS : METRICS_CT_TEXT, b.data,
		       b.len, true);
}

/* The page's policy: its own scripts, styles, images and API only; no
 * inline code, no frames, no other origin. */
#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
		 "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* The page (web/, embedded): NULL when url is none of its files. */
static const struct web_asset *page_asset(const char *url)
{
	for (size_t i = 0; i < web_asset_count; i++)
		if (strcmp(web_assets[i].path, url) == 0)
			return &web_assets[i];
	return NULL;
}

static enum MHD_Result get_page(struct MHD_Connection *c, const struct web_asset *a)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	MHD_add_response_header(resp, "Content-Security-Policy", PAGE_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool authorized(struct serve *sv, struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok;

	if (!sv->web.n_users)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = webconfig_check(&sv->web, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static char unauthorized[] = "unauthorized\n";
	struct serve *sv = cls;
	const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *chunked = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							  MHD_HTTP_HEADER_TRANSFER_ENCODING);

	(void)version;
	(void)upload;
	/* Answered on the first call, before any body is read. */
	if (*con_cls) {
		*upload_size = 0;
		return MHD_NO;
	}
	*con_cls = sv;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return error(c, url, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD");
	if ((length && strcmp(length, "0") != 0) || chunked)
		return error(c, url, MHD_HTTP_CONTENT_TOO_LARGE, "no request body here");
	if (!authorized(sv, c)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			sizeof(unauthorized) - 1, unauthorized, MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;

		if (!resp)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "whosock", resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(url, "/metrics") == 0)
		return get_metrics(sv, c, url);
	if (strcmp(url, "/healthz") == 0) {
		static char ok[] = "ok\n";

		return respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", ok, sizeof(ok) - 1,
			       false);
	}
	if (strcmp(url, "/api/v1/sockets") == 0)
		return api_sockets(sv, c, url);
	if (strcmp(url, "/api/v1/events") == 0)
		return api_events(sv, c, url);
	if (page_asset(url))
		return get_page(c, page_asset(url));
	if (strcmp(url, "/api/v1/top") == 0)
		return api_feed(sv, c, url, SERVE_TOP);
	if (strcmp(url, "/api/v1/deps") == 0)
		return api_feed(sv, c, url, SERVE_DEPS);
	return error(c, url, MHD_HTTP_NOT_FOUND, "not found (/, /metrics, /healthz, "
		     "/api/v1/sockets, /api/v1/events, /api/v1/top, /api/v1/deps)");
}

/* ---- setup ---- */

/* "ADDR:PORT" or "[IPV6]:PORT": an address is required (":PORT" would
 * mean every interface, which has to be asked for: 0.0.0.0:PORT). */
static int parse_listen(const char *arg, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char buf[128], *port, *addr = buf, *end;
	unsigned long p;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	port = strrchr(buf, ':');
	if (!port || port == buf)
		goto bad;
	*port++ = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p == 0 || p > 65535)
		goto bad;
	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t len = strlen(addr);

		if (len < 3 || addr[len - 1] != ']')
			goto bad;
		addr[len - 1] = '\0';
		if (inet_pton(AF_INET6, addr + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return 0;
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
	}
	return 0;
bad:
	snprintf(err, errlen, "--listen takes ADDR:PORT or [IPV6]:PORT (as 127.0.0.1:9797; "
		 "0.0.0.0:9797 for every interface)");
	return -EINVAL;
}

static struct MHD_Daemon *start_http(struct serve *sv, const struct sockaddr_storage *ss,
				     void (*message)(const char *, const char *))
{
	const struct cli *cli = sv->cli;
	bool tls = sv->web.cert != NULL;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
			 (tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem ops[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, (void *)ss },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cli->max_connections, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cli->request_timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)MEMORY_LIMIT, NULL },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sv->web.cert },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, sv->web.key },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d;

	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		message("", "this libmicrohttpd has no TLS: cannot serve tls_server_config");
		return NULL;
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, sv, MHD_OPTION_ARRAY, ops,
			     MHD_OPTION_END);
	if (!d)
		message("cannot listen on ", cli->listen ? cli->listen : SERVE_DEFAULT_LISTEN);
	return d;
}

int serve_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct whosock_watch_options wopt = WHOSOCK_WATCH_OPTIONS_INIT;
	struct sigaction sa = { .sa_handler = on_signal };
	struct whosock_watch *w = NULL;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_storage ss;
	struct serve *sv;
	char err[512];
	const char *listen = cli->listen ? cli->listen : SERVE_DEFAULT_LISTEN;
	bool http = strcmp(listen, "none") != 0;
	uint64_t interval_ns = (uint64_t)cli->interval_ms * 1000000u, next;
	int r, status = EXIT_TROUBLE;

	if (http && parse_listen(listen, &ss, err, sizeof(err)) < 0) {
		message("", err);
		return EXIT_TROUBLE;
	}
	if (!http && !cli->textfile) {
		message("", "--listen none needs --textfile (nothing would be served)");
		return EXIT_TROUBLE;
	}
	/* A thread per connection would get a malloc arena of its own, each
	 * keeping what a scrape freed: two arenas for all of them. */
	mallopt(M_ARENA_MAX, 2);
	sv = calloc(1, sizeof(*sv));
	if (!sv) {
		message("", "out of memory");
		return EXIT_TROUBLE;
	}
	sv->cli = cli;
	pthread_mutex_init(&sv->ring_lock, NULL);
	pthread_cond_init(&sv->ring_cond, NULL);
	pthread_mutex_init(&sv->api_lock, NULL);
	pthread_mutex_init(&sv->feed_lock, NULL);
	if (cli->web_config && webconfig_load(cli->web_config, &sv->web, err, sizeof(err)) < 0) {
		message("--web.config.file: ", err);
		goto out;
	}
	if (metrics_new(cli->max_series, &sv->metrics) < 0) {
		message("", "out of memory");
		goto out;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The watcher first: what opens after the snapshot is then an event. */
	wopt.host_only = cli->opt.host_only;
	wopt.flags = cli->opt.flags & WHOSOCK_FLAG_NO_BPF;
	wopt.want = WHOSOCK_WANT_PROCESS;
	wopt.ring_size = 16;
	r = whosock_watch_new(&wopt, on_event, sv, &w);
	if (r < 0) {
		message("cannot watch: ", strerror(-r));
		goto out;
	}
	start_feeds(sv, message);
	if (refresh(sv, message) < 0)
		goto out;
	next = mono_ns() + interval_ns;
	if (cli->textfile && write_textfile(sv, cli->textfile, message) < 0)
		goto out;
	if (http) {
		d = start_http(sv, &ss, message);
		if (!d)
			goto out;
	}
	while (!stop_signal) {
		struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;
		uint64_t t = 0, now = mono_ns(), wait_ms;
		struct pollfd p[3] = {
			{ .fd = whosock_watch_get_fd(w), .events = POLLIN },
			{ .fd = sv->meter ? whosock_meter_get_fd(sv->meter) : -1, .events = POLLIN },
			{ .fd = sv->deps ? whosock_deps_get_fd(sv->deps) : -1, .events = POLLIN },
		};

		whosock_watch_get_timeout(w, &t);
		wait_ms = next > now ? (next - now) / 1000000u : 0;
		if (t < wait_ms)
			wait_ms = t;
		if (sv->meter && whosock_meter_get_timeout(sv->meter, &t) == 0 && t < wait_ms)
			wait_ms = t;
		if (sv->deps && whosock_deps_get_timeout(sv->deps, &t) == 0 && t < wait_ms)
			wait_ms = t;
		if (wait_ms > 500)
			wait_ms = 500; /* look at stop_signal now and then */
		poll(p, 3, (int)wait_ms);
		r = whosock_watch_process(w);
		if (r < 0 && r != -ENOMEM) {
			message("watch failed: ", strerror(-r));
			goto out;
		}
		whosock_watch_status(w, &st);
		metrics_watch_status(sv->metrics, &st);
		feed(sv, message);
		if (mono_ns() >= next) {
			refresh(sv, message);
			if (cli->textfile)
				write_textfile(sv, cli->textfile, message);
			next = mono_ns() + interval_ns;
		}
	}
	status = EXIT_SUCCESS;
out:
	atomic_store(&sv->stopping, true);
	pthread_mutex_lock(&sv->ring_lock);
	pthread_cond_broadcast(&sv->ring_cond);
	pthread_mutex_unlock(&sv->ring_lock);
	if (d)
		MHD_stop_daemon(d);
	whosock_watch_free(w);
	whosock_meter_free(sv->meter);
	whosock_deps_free(sv->deps);
	pthread_mutex_destroy(&sv->feed_lock);
	metrics_free(sv->metrics);
	webconfig_free(&sv->web);
	for (size_t i = 0; i < RING_SIZE; i++)
		free(sv->ring[i].line);
	pthread_mutex_destroy(&sv->ring_lock);
	pthread_cond_destroy(&sv->ring_cond);
	pthread_mutex_destroy(&sv->api_lock);
	free(sv);
	return status;
}
