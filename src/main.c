/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock: gather (libwhosock) → present (output.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "kill.h"
#include "notes.h"
#include "output.h"
#include "resolve.h"
#include "serve.h"
#include "summary.h"
#include "textesc.h"
#include "timing.h"
#include "top.h"
#include "deps.h"
#include "watch.h"

/* Print "whosock: <msg>" on stderr with msg escaped for the terminal. */
static void message(const char *prefix, const char *msg)
{
	struct sbuf b = { 0 };

	sbuf_puts(&b, "whosock: ");
	sbuf_puts(&b, prefix);
	esc_term(&b, msg, strlen(msg));
	sbuf_putc(&b, '\n');
	if (!b.failed)
		fwrite(b.data, 1, b.len, stderr);
	sbuf_free(&b);
}

/* --color=auto: on a terminal, unless NO_COLOR asks for none (no-color.org:
 * set and not empty) or the terminal is dumb. */
static int want_color(enum color_mode mode)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	if (no_color && *no_color)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(STDOUT_FILENO);
}

/* -r: names within the budget; one line says how many stayed numbers. */
static struct resolver *resolve_names(const struct whosock_snapshot *snap)
{
	struct resolver *res = NULL;
	char msg[160];
	size_t left;
	int r = resolver_start(snap, RESOLVE_BUDGET_MS, &res);

	if (r < 0) {
		message("cannot resolve names: ", strerror(-r));
		return NULL;
	}
	left = resolver_wait(res);
	if (left) {
		snprintf(msg, sizeof(msg), "%zu address%s not resolved within %u ms: shown as numbers",
			 left, left == 1 ? "" : "es", RESOLVE_BUDGET_MS);
		message("", msg);
	}
	return res;
}

/* The list, the summary or the pids. Returns the number of rows (pids)
 * written, or a negative errno. */
static long render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli)
{
	struct resolver *res = NULL;
	long r;

	if (cli->pids_only)
		return pids_render(out, snap);
	if (cli->summary) {
		r = summary_render(out, snap, cli);
		return r < 0 ? r : (long)whosock_snapshot_count(snap);
	}
	if (cli->resolve && cli->format == OUTPUT_TABLE)
		res = resolve_names(snap);
	r = output_render_rows(out, snap, NULL, whosock_snapshot_count(snap), cli, res);
	resolver_free(res);
	return r < 0 ? r : (long)whosock_snapshot_count(snap);
}

int main(int argc, char **argv)
{
	struct whosock_snapshot *snap = NULL;
	struct sbuf out = { 0 };
	struct whosock_options opt;
	struct cli cli;
	char err[1024];
	const char *debug_timing = getenv("WHOSOCK_DEBUG_TIMING");
	uint64_t t_out;
	long n;
	int r, status = EXIT_TROUBLE;

	if (cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
		/* Already escaped for the terminal by cli_parse(). */
		fprintf(stderr, "whosock: %s\n", err);
		return EXIT_TROUBLE;
	}
	if (cli.action == CLI_HELP) {
		cli_help(stdout);
		status = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_TROUBLE;
		goto out;
	}
	if (cli.action == CLI_WATCH) {
		status = watch_main(&cli, message);
		goto out;
	}
	if (cli.action == CLI_TOP) {
		status = top_main(&cli, message);
		goto out;
	}
	if (cli.action == CLI_DEPS) {
		status = deps_main(&cli, message);
		goto out;
	}
	if (cli.action == CLI_CAPTURE) {
		status = capture_main(&cli, message);
		goto out;
	}
	if (cli.action == CLI_SERVE) {
		status = serve_main(&cli, message);
		goto out;
	}
	if (cli.action == CLI_VERSION) {
		printf("whosock %s\n", whosock_version());
		status = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_TROUBLE;
		goto out;
	}

	opt = cli_options(&cli);
	r = whosock_snapshot_take(&opt, &snap);
	if (r < 0) {
		message("cannot list sockets: ", strerror(-r));
		goto out;
	}
	notes_print(snap, message);
	if (cli.kill) {
		status = kill_main(&cli, snap, message);
		goto out;
	}

	if (debug_timing && *debug_timing && strcmp(debug_timing, "0") != 0)
		cli.timing = 1;
	cli.color = cli.format == OUTPUT_TABLE && want_color(cli.color_mode);
	sbuf_set_sink(&out, STDOUT_FILENO);
	t_out = timing_now();
	n = render(&out, snap, &cli);
	if (cli.timing)
		timing_print(stderr, snap, timing_now() - t_out, n < 0 ? 0 : (size_t)n);
	if (n < 0 && n != -EPIPE) {
		message(n == -ENOMEM ? "cannot format output: " : "cannot write output: ",
			strerror((int)-n));
		goto out;
	}
	status = cli.query && whosock_snapshot_count(snap) == 0 ? EXIT_NOMATCH : EXIT_SUCCESS;
	if (cli.pids_only && n == 0)
		status = EXIT_NOMATCH; /* as lsof -t: nothing to kill */
out:
	sbuf_free(&out);
	whosock_snapshot_free(snap);
	cli_free(&cli);
	return status;
}
