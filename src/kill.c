/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock -K: every socket the filter selected is destroyed, one by one;
 * the listing then shows those that were. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill.h"
#include "output.h"

static const char *why(int r)
{
	switch (r) {
	case -EPERM:
	case -EACCES:
		return "permission denied (destroying sockets needs CAP_NET_ADMIN)";
	case -EOPNOTSUPP:
		return "not supported (not an inet socket, or the kernel lacks "
		       "CONFIG_INET_DIAG_DESTROY for its protocol)";
	default:
		return strerror(-r);
	}
}

/* "tcp 127.0.0.1:8080 127.0.0.1:43210 (netns NAME): " */
static void describe(struct sbuf *b, const struct whosock_socket *s)
{
	sbuf_puts(b, output_proto_label(s));
	sbuf_putc(b, ' ');
	output_endpoint(b, s, &s->local, NULL);
	sbuf_putc(b, ' ');
	output_endpoint(b, s, &s->remote, NULL);
	if (s->netns) {
		sbuf_puts(b, " (netns ");
		if (s->netns_name)
			sbuf_puts(b, s->netns_name);
		else
			sbuf_u64(b, s->netns);
		sbuf_putc(b, ')');
	}
	sbuf_puts(b, ": ");
}

int kill_main(const struct cli *cli, const struct whosock_snapshot *snap,
	      void (*message)(const char *prefix, const char *text))
{
	size_t n = whosock_snapshot_count(snap), done = 0;
	size_t *rows = malloc((n ? n : 1) * sizeof(*rows));
	struct sbuf out = { 0 };
	int status = EXIT_SUCCESS, r;

	if (!rows) {
		message("cannot destroy sockets: ", strerror(ENOMEM));
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);
		struct sbuf b = { 0 };

		r = cli->dry_run ? 0 : whosock_socket_destroy(s);
		if (r == 0) {
			rows[done++] = i;
			continue;
		}
		/* Gone since the dump: nothing left to destroy, no failure. */
		if (r != -ENOENT)
			status = EXIT_TROUBLE;
		describe(&b, s);
		sbuf_puts(&b, r == -ENOENT ? "already gone" : why(r));
		sbuf_putc(&b, '\0');
		message("cannot destroy ", b.failed ? "a socket (out of memory)" : b.data);
		sbuf_free(&b);
	}
	sbuf_set_sink(&out, STDOUT_FILENO);
	r = output_render_rows(&out, snap, rows, done, cli, NULL);
	if (r < 0 && r != -EPIPE) {
		message("cannot write output: ", strerror(-r));
		status = EXIT_TROUBLE;
	}
	sbuf_free(&out);
	free(rows);
	if (status == EXIT_SUCCESS && n == 0)
		status = EXIT_NOMATCH;
	return status;
}
