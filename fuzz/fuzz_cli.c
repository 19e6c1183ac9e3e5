/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/cli.c: cli_parse() over a whole command line. The input is split at
 * NUL bytes into at most MAX_ARGS arguments after argv[0] = "whosock", each
 * its own exactly sized heap string. (--netns NAME stats /run/netns/NAME and
 * --user NAME asks the user database: both only read.)
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "cli.h"
#include "fuzz.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char argv0[] = "whosock";
	char *argv[MAX_ARGS + 2], *owned[MAX_ARGS + 1];
	struct cli cli, before;
	char err[128];
	size_t start = 0;
	int argc = 1, r;

	argv[0] = argv0;
	while (start <= size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + start, '\0', size - start);
		size_t end = nul ? (size_t)(nul - data) : size;

		/* A trailing NUL ends the last argument, it starts none. */
		if (end == size && start == size && argc > 1)
			break;
		owned[argc - 1] = argv[argc] = fuzz_strdup(data + start, end - start);
		argc++;
		start = end + 1;
	}
	argv[argc] = NULL;

	memset(&cli, 0xa5, sizeof(cli));
	before = cli;
	memset(err, 0, sizeof(err));
	r = cli_parse(argc, argv, &cli, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r == 0) {
		const struct whosock_filter *f = &cli.filter;

		FUZZ_CHECK(cli.action >= CLI_LIST && cli.action <= CLI_VERSION);
		FUZZ_CHECK(cli.format >= OUTPUT_TABLE && cli.format <= OUTPUT_CSV);
		/* -h and -V answer before any check or default; serve's
		 * filters are query parameters, so it keeps none. */
		FUZZ_CHECK(f->protos != 0 || cli.action == CLI_SERVE || cli.action == CLI_HELP ||
			   cli.action == CLI_VERSION);
		FUZZ_CHECK((f->protos & ~(unsigned)WHOSOCK_PROTOS_ALL) == 0);
		FUZZ_CHECK((f->states & ~(unsigned)WHOSOCK_STATES_ALL) == 0);
		for (size_t i = 0; i < f->n_ports; i++)
			FUZZ_CHECK(f->ports[i] >= 1);
		for (size_t i = 0; i < f->n_locals; i++) {
			FUZZ_CHECK(f->locals[i].port >= 0 && f->locals[i].port <= 65535);
			FUZZ_CHECK(f->locals[i].family == 0 || f->locals[i].family == AF_INET ||
				   f->locals[i].family == AF_INET6);
			/* An address alone, a port alone, or both. */
			FUZZ_CHECK(f->locals[i].port || f->locals[i].family);
		}
		for (size_t i = 0; i < f->n_pids; i++)
			FUZZ_CHECK(f->pids[i] >= 1 && f->pids[i] <= 4194304);
		FUZZ_CHECK(cli.query == (f->n_locals != 0));
		if (cli.action == CLI_WATCH) {
			FUZZ_CHECK(cli.format == OUTPUT_TABLE || cli.format == OUTPUT_NDJSON);
			/* --interval is at least 100 ms; --timeout more than 0
			 * (4294967.346 s once wrapped to 50 ms, "nan" passed). */
			FUZZ_CHECK(cli.interval_ms == 0 || cli.interval_ms >= 100);
			FUZZ_CHECK(cli.count >= 0 && cli.timeout_ms >= 0);
		} else if (cli.action == CLI_LIST) {
			FUZZ_CHECK(cli.interval_ms == 0 && cli.count == 0 && cli.timeout_ms == 0);
		}
		/* Strings are the parser's own copies, whole and non-empty. */
		for (size_t i = 0; i < f->n_comms; i++)
			FUZZ_CHECK(f->comms[i][0] != '\0' && strchr(f->comms[i], ',') == NULL);
		cli_free(&cli);
	} else {
		FUZZ_CHECK(memcmp(&cli, &before, sizeof(cli)) == 0);
		if (r == -EINVAL) {
			/* One line (three for a filter expression: the reason,
			 * the expression, the caret), terminated within err, that
			 * a terminal can show as it is: no other control bytes
			 * (as tests/unit/test_cli.c checks for its own cases). */
			bool expr = strncmp(err, "invalid filter expression: ", 27) == 0;
			int lines = 1;

			FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
			for (const char *p = err; *p; p++) {
				lines += *p == '\n';
				FUZZ_CHECK(((unsigned char)*p >= 0x20 && *p != 0x7f) ||
					   (expr && *p == '\n'));
			}
			FUZZ_CHECK(lines <= (expr ? 3 : 1)); /* (cut at sizeof(err)) */
		}
	}
	for (int i = 0; i < argc - 1; i++)
		free(owned[i]);
	return 0;
}
