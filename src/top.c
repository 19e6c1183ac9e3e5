/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock top -o ndjson|json|csv: DESIGN.md's traffic rows, one per group
 * and interval, until --count intervals, --timeout or a signal. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "notes.h"
#include "output.h"
#include "rowjson.h"
#include "textesc.h"
#include "top.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct whosock_meter_options top_meter_options(const struct cli *cli)
{
	struct whosock_meter_options opt = WHOSOCK_METER_OPTIONS_INIT;

	opt.filter = &cli->filter;
	opt.host_only = cli->opt.host_only;
	opt.interval_ms = cli->interval_ms;
	opt.flags = cli->opt.flags & WHOSOCK_FLAG_NO_BPF;
	return opt;
}

void top_notes(const struct whosock_meter *m, uint64_t *said,
	       void (*message)(const char *, const char *))
{
	for (size_t i = 0; i < whosock_meter_note_count(m); i++) {
		const struct whosock_note *n = whosock_meter_note(m, i);
		uint64_t bit = 1ull << ((unsigned)n->code & 63);
		struct sbuf b = { 0 };

		if (*said & bit)
			continue;
		*said |= bit;
		notes_word(&b, n);
		sbuf_putc(&b, '\0');
		if (!b.failed)
			message("note: ", b.data);
		sbuf_free(&b);
	}
}

static const char *const csv_header =
	"ts,interval_ms,by,pid,comm,user,uid,container,proto,local_addr,local_port,remote_addr,"
	"remote_port,state,netns,netns_name,connections,closed,sent_bytes,received_bytes,"
	"sent_total,received_total\n";

static void csv_str(struct sbuf *b, const char *s)
{
	if (s)
		esc_csv(b, s, strlen(s));
	sbuf_putc(b, ',');
}

static void csv_num(struct sbuf *b, uint64_t v, bool known)
{
	if (known)
		sbuf_u64(b, v);
	sbuf_putc(b, ',');
}

static void csv_row(struct sbuf *b, const struct whosock_meter_row *r, const char *ts,
		    uint64_t interval_ms)
{
	const struct whosock_process *p = r->by == WHOSOCK_BY_PROCESS ||
						  r->by == WHOSOCK_BY_CONNECTION ? r->process : NULL;
	const struct whosock_socket *s = r->socket;
	char addr[64];

	csv_str(b, ts);
	csv_num(b, interval_ms, true);
	csv_str(b, cli_by_names[r->by]);
	csv_num(b, p ? (uint64_t)p->pid : 0, p != NULL);
	csv_str(b, p ? p->comm : NULL);
	csv_str(b, r->by == WHOSOCK_BY_USER ? r->user : p ? p->user : NULL);
	csv_num(b, r->by == WHOSOCK_BY_USER ? r->uid : p ? p->uid : 0,
		r->by == WHOSOCK_BY_USER ? r->uid_known : p && p->uid_known);
	if (r->by == WHOSOCK_BY_CONTAINER && r->container)
		csv_str(b, r->container->id);
	else
		csv_str(b, p && p->container.id ? p->container.id : NULL);
	if (s) {
		csv_str(b, whosock_proto_name((enum whosock_proto)s->proto));
		csv_str(b, whosock_addr_format(s->family, &s->local, addr, sizeof(addr)));
		csv_num(b, s->local.port, true);
		csv_str(b, whosock_addr_format(s->family, &s->remote, addr, sizeof(addr)));
		csv_num(b, s->remote.port, true);
		csv_str(b, whosock_state_name((enum whosock_proto)s->proto, s->state));
	} else if (r->by == WHOSOCK_BY_REMOTE) {
		csv_str(b, whosock_proto_name((enum whosock_proto)r->proto));
		sbuf_puts(b, ",,");
		csv_str(b, whosock_addr_format(r->family, &r->remote, addr, sizeof(addr)));
		csv_num(b, r->remote.port, true);
		sbuf_putc(b, ',');
	} else {
		sbuf_puts(b, ",,,,,,");
	}
	csv_num(b, r->netns, r->netns != 0);
	csv_str(b, r->netns_name);
	csv_num(b, r->connections, true);
	csv_num(b, r->closed, true);
	csv_num(b, r->sent_bytes, true);
	csv_num(b, r->received_bytes, true);
	csv_num(b, r->sent_total, true);
	sbuf_u64(b, r->received_total);
	sbuf_putc(b, '\n');
}

/* One interval's rows. */
static void print_rows(struct sbuf *out, const struct whosock_meter *m, const struct cli *cli,
		       enum whosock_meter_by by, bool *first)
{
	struct timespec ts;
	uint64_t interval_ms = 0;
	struct sbuf sb = { 0 };
	char stamp[40];

	whosock_meter_interval(m, &ts, &interval_ms);
	/* The CSV's stamp: the JSON's without its key and quotes. */
	sb.len = 0;
	output_json_time(&sb, "t", &ts);
	snprintf(stamp, sizeof(stamp), "%.*s", sb.len > 6 ? (int)(sb.len - 6) : 0,
		 sb.data ? sb.data + 5 : "");
	for (size_t i = 0; i < whosock_meter_row_count(m, by); i++) {
		const struct whosock_meter_row *r = whosock_meter_row(m, by, i);

		if (cli->format == OUTPUT_CSV) {
			csv_row(out, r, stamp, interval_ms);
			continue;
		}
		if (cli->format == OUTPUT_JSON)
			sbuf_puts(out, *first ? "[\n" : ",\n");
		*first = false;
		rowjson_traffic(out, r, &ts, interval_ms, true);
		if (cli->format == OUTPUT_NDJSON)
			sbuf_putc(out, '\n');
	}
	sbuf_free(&sb);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int script_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct whosock_meter_options opt = top_meter_options(cli);
	struct sigaction sa = { .sa_handler = on_signal };
	struct whosock_meter *m = NULL;
	struct sbuf out = { 0 };
	uint64_t said = 0, end = cli->timeout_ms ? now_ms() + (uint64_t)cli->timeout_ms : 0;
	long intervals = 0;
	bool first = true;
	int r, status = EXIT_TROUBLE;

	/* No SA_RESTART: a signal ends the wait in poll() at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sbuf_set_sink(&out, STDOUT_FILENO);
	r = whosock_meter_new(&opt, &m);
	if (r < 0) {
		message("cannot count traffic: ", strerror(-r));
		goto out;
	}
	if (cli->format == OUTPUT_CSV && cli->header)
		sbuf_puts(&out, csv_header);
	while (!stop_signal && !(cli->count && intervals >= cli->count)) {
		uint64_t wait, now = now_ms();
		struct pollfd p = { .fd = whosock_meter_get_fd(m), .events = POLLIN };

		if (end && now >= end)
			break;
		whosock_meter_get_timeout(m, &wait);
		if (end && wait > end - now)
			wait = end - now;
		if (wait > INT_MAX)
			wait = INT_MAX;
		if (poll(&p, 1, (int)wait) < 0 && errno != EINTR) {
			message("poll failed: ", strerror(errno));
			goto out;
		}
		r = whosock_meter_process(m);
		if (r < 0) {
			message("traffic counting failed: ", strerror(-r));
			goto out;
		}
		if (r == 0)
			continue;
		top_notes(m, &said, message);
		for (int by = 0; by < WHOSOCK_BY_COUNT; by++)
			if ((cli->top_by_set ? cli->top_by_set : 1u << cli->top_by) & (1u << by))
				print_rows(&out, m, cli, (enum whosock_meter_by)by, &first);
		intervals++;
		sbuf_flush(&out);
		if (out.sink_error)
			break;
	}
	if (cli->format == OUTPUT_JSON)
		sbuf_puts(&out, first ? "[]\n" : "\n]\n");
	sbuf_flush(&out);
	if (out.sink_error && out.sink_error != EPIPE) {
		message("cannot write output: ", strerror(out.sink_error));
		goto out;
	}
	status = EXIT_SUCCESS;
out:
	sbuf_free(&out);
	whosock_meter_free(m);
	return status;
}

int top_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	if (cli->format == OUTPUT_TABLE)
		return top_view_main(cli, message);
	return script_main(cli, message);
}
