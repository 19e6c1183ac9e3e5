/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock: gather (libwhosock) → present (output.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kill.h"
#include "notes.h"
#include "output.h"
#include "textesc.h"
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

int main(int argc, char **argv)
{
	struct whosock_snapshot *snap = NULL;
	struct sbuf out = { 0 };
	struct whosock_options opt;
	struct cli cli;
	char err[1024];
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

	sbuf_set_sink(&out, STDOUT_FILENO);
	r = output_render(&out, snap, &cli);
	if (r < 0 && r != -EPIPE) {
		message(r == -ENOMEM ? "cannot format output: " : "cannot write output: ",
			strerror(-r));
		goto out;
	}
	status = cli.query && whosock_snapshot_count(snap) == 0 ? EXIT_NOMATCH : EXIT_SUCCESS;
out:
	sbuf_free(&out);
	whosock_snapshot_free(snap);
	cli_free(&cli);
	return status;
}
