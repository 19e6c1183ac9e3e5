/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock deps: the library's dependency edges (whosock/deps.h), observed
 * for --duration or until a signal, printed as a table, JSON, NDJSON, CSV
 * or Graphviz dot; with --interval, cumulatively every interval too. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deps.h"
#include "output.h"
#include "rowjson.h"
#include "textesc.h"
#include "watch.h"
#include "whosock/deps.h"
#include "whosock/watch.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Between two looks at what came, and the turns (each a bounded read)
 * then taken at most. */
#define BATCH_MS 20
#define MAX_TURNS 256

/* A signal ends it early. */
static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Turns while what is queued lasts (first: one in any case, for what
 * is due by time), up to MAX_TURNS. */
static int take_queued(struct whosock_deps *d, bool first)
{
	struct pollfd p = { .fd = whosock_deps_get_fd(d), .events = POLLIN };
	int r = 0;

	for (int turns = 0; r >= 0 && turns < MAX_TURNS; turns++) {
		if (!(first && turns == 0) && poll(&p, 1, 0) <= 0)
			break;
		r = whosock_deps_process(d);
	}
	return r;
}

/* "127.0.0.1:5432", "[::1]:53" */
static void service_text(struct sbuf *b, const struct whosock_edge_server *sv)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(sv->family, sv->addr.addr, addr, sizeof(addr));
	if (sv->family == AF_INET6)
		sbuf_putc(b, '[');
	sbuf_puts(b, addr);
	if (sv->family == AF_INET6)
		sbuf_putc(b, ']');
	sbuf_putc(b, ':');
	sbuf_u64(b, sv->addr.port);
}

/* The client as one label: "comm user netns=NAME" with what is known. */
static void client_text(struct sbuf *b, const struct whosock_edge *e, void (*esc)(struct sbuf *,
		       const char *))
{
	const struct whosock_edge_client *c = &e->client;
	const char *user = rowjson_edge_user(e);
	bool any = false;

	if (e->known & WHOSOCK_EDGE_KNOWN_PROCESS) {
		esc(b, c->comm);
		any = true;
	}
	if (e->known & WHOSOCK_EDGE_KNOWN_USER) {
		if (any)
			sbuf_putc(b, ' ');
		if (user)
			esc(b, user);
		else
			sbuf_u64(b, c->uid);
		any = true;
	}
	if (c->container.id) {
		if (any)
			sbuf_putc(b, ' ');
		sbuf_puts(b, "container=");
		esc(b, c->container.id);
		any = true;
	}
	if (e->known & WHOSOCK_EDGE_KNOWN_NETNS) {
		if (any)
			sbuf_putc(b, ' ');
		sbuf_puts(b, "netns=");
		if (c->netns_name)
			esc(b, c->netns_name);
		else
			sbuf_u64(b, c->netns);
		any = true;
	}
	if (!any)
		sbuf_puts(b, "?");
}

static void esc_term_str(struct sbuf *b, const char *s)
{
	esc_term(b, s, strlen(s));
}

/* ---- table ---- */

static void render_table(struct sbuf *b, const struct whosock_edge *v, size_t n, bool header)
{
	if (header)
		sbuf_puts(b, "CLIENT -> SERVICE  SERVER  CONNECTIONS  SENT  RECEIVED\n");
	for (size_t i = 0; i < n; i++) {
		const struct whosock_edge *e = &v[i];

		client_text(b, e, esc_term_str);
		sbuf_puts(b, " -> ");
		sbuf_puts(b, rowjson_edge_proto(&e->server));
		sbuf_putc(b, ' ');
		service_text(b, &e->server);
		sbuf_putc(b, ' ');
		if (e->known & WHOSOCK_EDGE_KNOWN_SERVER && e->server.comm)
			esc_term_str(b, e->server.comm);
		else
			sbuf_putc(b, e->known & WHOSOCK_EDGE_KNOWN_SERVER ? '?' : '-');
		sbuf_putc(b, ' ');
		sbuf_u64(b, e->connections);
		sbuf_putc(b, ' ');
		if (e->known & WHOSOCK_EDGE_KNOWN_BYTES) {
			sbuf_u64(b, e->sent_bytes);
			sbuf_putc(b, ' ');
			sbuf_u64(b, e->received_bytes);
		} else {
			sbuf_puts(b, "- -");
		}
		sbuf_putc(b, '\n');
	}
}

/* ---- CSV ---- */

static void esc_csv_str(struct sbuf *b, const char *s)
{
	esc_csv(b, s, strlen(s));
}

static void render_csv(struct sbuf *b, const struct whosock_edge *v, size_t n, bool header)
{
	if (header)
		sbuf_puts(b, "client_netns,client_comm,client_uid,client_container,client_pids,"
			     "proto,addr,port,server_netns,server_comm,connections,sent_bytes,"
			     "received_bytes\n");
	for (size_t i = 0; i < n; i++) {
		const struct whosock_edge *e = &v[i];
		char addr[INET6_ADDRSTRLEN];

		if (e->known & WHOSOCK_EDGE_KNOWN_NETNS)
			sbuf_u64(b, e->client.netns);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_PROCESS)
			esc_csv_str(b, e->client.comm);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_USER)
			sbuf_u64(b, e->client.uid);
		sbuf_putc(b, ',');
		if (e->client.container.id)
			esc_csv_str(b, e->client.container.id);
		sbuf_putc(b, ',');
		for (size_t k = 0; k < e->client.n_pids; k++) {
			if (k)
				sbuf_putc(b, ' ');
			sbuf_u64(b, (uint64_t)e->client.pids[k]);
		}
		sbuf_putc(b, ',');
		sbuf_puts(b, rowjson_edge_proto(&e->server));
		sbuf_putc(b, ',');
		inet_ntop(e->server.family, e->server.addr.addr, addr, sizeof(addr));
		sbuf_puts(b, addr);
		sbuf_putc(b, ',');
		sbuf_u64(b, e->server.addr.port);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_SERVER)
			sbuf_u64(b, e->server.netns);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_SERVER && e->server.comm)
			esc_csv_str(b, e->server.comm);
		sbuf_putc(b, ',');
		sbuf_u64(b, e->connections);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_BYTES)
			sbuf_u64(b, e->sent_bytes);
		sbuf_putc(b, ',');
		if (e->known & WHOSOCK_EDGE_KNOWN_BYTES)
			sbuf_u64(b, e->received_bytes);
		sbuf_putc(b, '\n');
	}
}

/* ---- Graphviz ---- */

/* A dot string's inside: quotes and backslashes escaped, control bytes and
 * invalid UTF-8 as the terminal shows them (\xNN). */
static void esc_dot_str(struct sbuf *b, const char *s)
{
	struct sbuf t = { 0 };

	esc_term(&t, s, strlen(s));
	for (size_t i = 0; i < t.len; i++) {
		if (t.data[i] == '"' || t.data[i] == '\\')
			sbuf_putc(b, '\\');
		sbuf_putc(b, t.data[i]);
	}
	if (t.failed)
		b->failed = true;
	sbuf_free(&t);
}

/* A service on this machine is in a namespace: 127.0.0.1:5000 of two
 * namespaces are two nodes. */
static void server_label(struct sbuf *b, const struct whosock_edge *e)
{
	const struct whosock_edge_server *sv = &e->server;

	sbuf_puts(b, rowjson_edge_proto(sv));
	sbuf_putc(b, ' ');
	service_text(b, sv);
	if (!(e->known & WHOSOCK_EDGE_KNOWN_SERVER))
		return;
	sbuf_puts(b, "\\n");
	if (sv->comm) {
		esc_dot_str(b, sv->comm);
		sbuf_putc(b, ' ');
	}
	sbuf_puts(b, "netns=");
	if (sv->netns_name)
		esc_dot_str(b, sv->netns_name);
	else
		sbuf_u64(b, sv->netns);
}

static void render_dot(struct sbuf *b, const struct whosock_edge *v, size_t n)
{
	sbuf_puts(b, "digraph deps {\n\trankdir=LR;\n\tnode [shape=box];\n");
	for (size_t i = 0; i < n; i++) {
		const struct whosock_edge *e = &v[i];

		/* Nodes are named by their labels: one node per client group
		 * and per service, however many edges meet there. */
		sbuf_puts(b, "\t\"");
		client_text(b, e, esc_dot_str);
		sbuf_puts(b, "\" -> \"");
		server_label(b, e);
		sbuf_puts(b, "\" [label=\"");
		sbuf_u64(b, e->connections);
		if (e->known & WHOSOCK_EDGE_KNOWN_BYTES) {
			sbuf_puts(b, " conn, ");
			sbuf_u64(b, e->sent_bytes);
			sbuf_puts(b, " B sent");
		} else {
			sbuf_puts(b, " conn");
		}
		sbuf_puts(b, "\"];\n");
	}
	sbuf_puts(b, "}\n");
}

static int print_edges(struct whosock_deps *d, const struct cli *cli, struct sbuf *out)
{
	const struct whosock_edge *v;
	size_t n;
	int r = whosock_deps_edges(d, &v, &n);

	if (r < 0)
		return r;
	switch (cli->format) {
	case OUTPUT_TABLE:
		render_table(out, v, n, cli->header);
		break;
	case OUTPUT_JSON:
	case OUTPUT_NDJSON:
		rowjson_edges(out, v, n, cli->format == OUTPUT_NDJSON);
		break;
	case OUTPUT_CSV:
		render_csv(out, v, n, cli->header);
		break;
	case OUTPUT_DOT:
		render_dot(out, v, n);
		break;
	}
	if (out->failed)
		return -ENOMEM;
	r = sbuf_flush(out);
	return out->sink_error ? -out->sink_error : r;
}

int deps_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct whosock_deps_options opt = WHOSOCK_DEPS_OPTIONS_INIT;
	struct sigaction sa = { .sa_handler = on_signal };
	struct whosock_watch_status st, noted = { .size = sizeof(noted), .destroy_reports = true };
	struct whosock_deps *d = NULL;
	struct sbuf out = { 0 };
	uint64_t start = now_ms(), next_print, last_batch = 0;
	int r, status = EXIT_TROUBLE;

	opt.filter = &cli->filter;
	opt.by = (enum whosock_deps_by)cli->deps_by;
	opt.services = cli->services;
	opt.n_services = cli->n_services;
	opt.exclude_loopback = cli->exclude_loopback;
	opt.host_only = cli->opt.host_only;
	opt.flags = cli->opt.flags; /* --no-bpf */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sbuf_set_sink(&out, STDOUT_FILENO);
	r = whosock_deps_new(&opt, &d);
	if (r < 0) {
		message("cannot follow connections: ", strerror(-r));
		goto out;
	}
	next_print = cli->interval_ms ? start + cli->interval_ms : UINT64_MAX;
	while (!stop_signal) {
		struct pollfd p = { .fd = whosock_deps_get_fd(d), .events = POLLIN };
		uint64_t timeout = 0, now = now_ms(), until = next_print;

		if (cli->duration_ms && start + (uint64_t)cli->duration_ms < until)
			until = start + (uint64_t)cli->duration_ms;
		if (now >= until) {
			if (cli->duration_ms && now >= start + (uint64_t)cli->duration_ms)
				break;
			r = print_edges(d, cli, &out);
			if (r < 0)
				break;
			next_print += cli->interval_ms;
			continue;
		}
		whosock_deps_get_timeout(d, &timeout);
		if (timeout > until - now)
			timeout = until - now;
		if (poll(&p, 1, (int)timeout) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		/* Edges need no haste: what comes in BATCH_MS is read at once
		 * (5,000 closes a second are 50 wake-ups, not 5,000), in as
		 * many turns as it takes. */
		if (p.revents && now_ms() < last_batch + BATCH_MS)
			sleep_ms(last_batch + BATCH_MS - now_ms());
		last_batch = now_ms();
		r = take_queued(d, true);
		if (r < 0)
			break;
		st = (struct whosock_watch_status)WHOSOCK_WATCH_STATUS_INIT;
		if (whosock_deps_status(d, &st) == 0)
			watch_note_status(&st, &noted, message);
	}
	/* The reports already queued count too (a signal or the end of the
	 * duration came between two turns). */
	if (r >= 0)
		r = take_queued(d, false);
	/* What it could not see, also when the time was up before the first
	 * turn (a slow start). */
	st = (struct whosock_watch_status)WHOSOCK_WATCH_STATUS_INIT;
	if (whosock_deps_status(d, &st) == 0)
		watch_note_status(&st, &noted, message);
	if (r >= 0)
		r = print_edges(d, cli, &out);
	if (r == -EPIPE) {
		status = EXIT_SUCCESS;
	} else if (r < 0) {
		message("deps failed: ", strerror(-r));
	} else {
		if (whosock_deps_dropped(d)) {
			char text[96];

			snprintf(text, sizeof(text), "%llu edges not kept (past the cap of 65536)",
				 (unsigned long long)whosock_deps_dropped(d));
			message("note: ", text);
		}
		status = EXIT_SUCCESS;
	}
out:
	sbuf_free(&out);
	whosock_deps_free(d);
	return status;
}
