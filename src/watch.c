/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock watch: the library's events, one line each, until told to stop. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "textesc.h"
#include "watch.h"
#include "whosock/watch.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct watch_ctx {
	const struct cli *cli;
	struct sbuf out;
	long events;
	struct whosock_process_filter *owners; /* the owner filters, applied to events */
};

/* "14:02:03 + tcp *:8080 LISTEN python3(4242) alice netns=blue" */
static void human_line(struct sbuf *b, const struct whosock_event *ev)
{
	const struct whosock_socket *s = ev->socket;
	struct tm tm;
	char ts[16];
	time_t sec = ev->ts.tv_sec;

	localtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	sbuf_puts(b, ts);
	sbuf_puts(b, ev->type == WHOSOCK_EVENT_OPENED ? " + " : " - ");
	sbuf_puts(b, output_proto_label(s));
	sbuf_putc(b, ' ');
	output_endpoint(b, s, &s->local, NULL);
	if (s->remote.port) {
		sbuf_puts(b, " -> ");
		output_endpoint(b, s, &s->remote, NULL);
	}
	sbuf_putc(b, ' ');
	sbuf_puts(b, whosock_state_name(s->proto, s->state));
	if (s->n_owners) {
		sbuf_putc(b, ' ');
		output_owners(b, s->owners, s->n_owners, 0);
		if (s->owners[0].proc->user) {
			sbuf_putc(b, ' ');
			esc_term(b, s->owners[0].proc->user, strlen(s->owners[0].proc->user));
		}
	}
	if (s->netns_name) {
		sbuf_puts(b, " netns=");
		esc_term(b, s->netns_name, strlen(s->netns_name));
	} else {
		sbuf_puts(b, " netns=");
		sbuf_u64(b, s->netns);
	}
	if (ev->type == WHOSOCK_EVENT_CLOSED && s->proto == WHOSOCK_PROTO_TCP &&
	    (s->known & WHOSOCK_KNOWN_TCP_BYTES)) {
		sbuf_puts(b, " acked=");
		sbuf_u64(b, s->tcp.bytes_acked);
		sbuf_puts(b, " received=");
		sbuf_u64(b, s->tcp.bytes_received);
	}
	if (ev->lifetime_known) {
		char life[32];

		snprintf(life, sizeof(life), " lifetime=%.3fs", (double)ev->lifetime_ms / 1000);
		sbuf_puts(b, life);
	}
	sbuf_putc(b, '\n');
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct watch_ctx *ctx = data;

	if (stop_signal || (ctx->cli->count && ctx->events >= ctx->cli->count))
		return;
	if (!whosock_filter_match_owners(ctx->owners, ev->socket))
		return;
	if (ctx->cli->format == OUTPUT_NDJSON) {
		output_json_event(&ctx->out, ev);
		sbuf_putc(&ctx->out, '\n');
	} else {
		human_line(&ctx->out, ev);
	}
	/* One event, one write: line by line even into a pipe. */
	sbuf_flush(&ctx->out);
	ctx->events++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void watch_note_status(const struct whosock_watch_status *now, struct whosock_watch_status *noted,
		       void (*message)(const char *, const char *))
{
	struct whosock_watch_status st = *now;
	char text[160];

	if (st.unreachable > noted->unreachable) {
		snprintf(text, sizeof(text), "%zu of %zu network namespaces not watched: entering "
			 "them was refused (needs CAP_SYS_ADMIN)", st.unreachable, st.namespaces);
		message("note: ", text);
	}
	if (!st.destroy_reports && noted->destroy_reports)
		message("note: ", "the kernel's reports of closed sockets were refused: closes are "
			"seen at the next dump");
	if (st.failing && !noted->failing) {
		snprintf(text, sizeof(text), "%zu network namespace%s could not be dumped (%s): "
			 "their sockets are held as last seen until a dump works again", st.failing,
			 st.failing == 1 ? "" : "s", strerror(st.failing_error));
		message("note: ", text);
	} else if (!st.failing && noted->failing) {
		message("note: ", "every network namespace is dumped again");
	}
	/* Built without BPF: nothing to say; --no-bpf: the user knows. */
	if (st.bpf_error && st.bpf_error != EOPNOTSUPP && !noted->bpf_error) {
		struct whosock_note n = { .code = WHOSOCK_NOTE_BPF_EVENTS_UNAVAILABLE,
					  .error = st.bpf_error };
		char line[400];

		whosock_note_text(&n, line, sizeof(line));
		message("note: ", line);
	}
	/* Said once: a flood would repeat it at every turn. */
	if (st.bpf_lost && !noted->bpf_lost)
		message("note: ", "the kernel's socket events were lost (their ring was full: whosock "
			"fell behind): connections shorter than the interval may be missing");
	noted->bpf_lost = st.bpf_lost;
	noted->bpf_error = st.bpf_error;
	noted->failing = st.failing;
	noted->unreachable = st.unreachable > noted->unreachable ? st.unreachable : noted->unreachable;
	noted->destroy_reports = st.destroy_reports;
}

/* True when fd is a pipe or socket whose reader has gone. */
static bool output_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int watch_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct whosock_watch_status noted = { .size = sizeof(noted), .destroy_reports = true };
	struct watch_ctx ctx = { .cli = cli };
	struct whosock_watch_options opt = {
		.size = sizeof(opt),
		.filter = &cli->filter,
		.connections = cli->connections,
		.host_only = cli->opt.host_only,
		.interval_ms = cli->interval_ms,
		.want = WHOSOCK_WANT_PROCESS,
		.flags = cli->opt.flags & WHOSOCK_FLAG_NO_BPF,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct whosock_watch *w = NULL;
	uint64_t end = cli->timeout_ms ? now_ms() + (uint64_t)cli->timeout_ms : 0;
	int r, status = EXIT_TROUBLE;

	/* No SA_RESTART: a signal ends the wait in poll() at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sbuf_set_sink(&ctx.out, STDOUT_FILENO);
	/* The watcher does not filter owners: its events are filtered here. */
	r = whosock_process_filter_new(&cli->filter, &ctx.owners);
	if (r < 0) {
		message("cannot watch: ", strerror(-r));
		goto out;
	}
	r = whosock_watch_new(&opt, on_event, &ctx, &w);
	if (r < 0) {
		message("cannot watch: ", strerror(-r));
		goto out;
	}
	while (!stop_signal && !(cli->count && ctx.events >= cli->count)) {
		int timeout = -1;

		if (end) {
			uint64_t now = now_ms();

			if (now >= end)
				break;
			timeout = (int)(end - now);
		}
		/* Wake up now and then to check the count. */
		if (timeout < 0 || timeout > 200)
			timeout = 200;
		r = whosock_watch_run(w, timeout);
		if (r < 0 && r != -EINTR) {
			message("watch failed: ", strerror(-r));
			goto out;
		}
		{
			struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;

			whosock_watch_status(w, &st);
			watch_note_status(&st, &noted, message);
		}
		/* Nobody reads any more (`| head -1` exited): stop now, not at
		 * the next event's failed write. */
		if (output_gone(STDOUT_FILENO)) {
			status = EXIT_SUCCESS;
			goto out;
		}
		if (ctx.out.sink_error) {
			if (ctx.out.sink_error != EPIPE)
				message("cannot write output: ", strerror(ctx.out.sink_error));
			status = ctx.out.sink_error == EPIPE ? EXIT_SUCCESS : EXIT_TROUBLE;
			goto out;
		}
	}
	status = EXIT_SUCCESS;
out:
	sbuf_flush(&ctx.out);
	sbuf_free(&ctx.out);
	whosock_watch_free(w);
	whosock_process_filter_free(ctx.owners);
	return status;
}
