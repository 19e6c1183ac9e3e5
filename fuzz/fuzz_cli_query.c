/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/cli.c: the query argument [ADDR]:PORT[/PROTO], as in
 * `whosock -- INPUT` (up to the first NUL; "--" keeps a leading '-' from
 * being read as an option). A query that parses must parse again, to the
 * same filter, from its canonical spelling.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "cli.h"
#include "fuzz.h"

static int parse(const char *arg, struct cli *cli, char *err, size_t errlen)
{
	static char argv0[] = "whosock", dashes[] = "--";
	char *copy = fuzz_strdup(arg, strlen(arg));
	char *argv[] = { argv0, dashes, copy, NULL };
	int r = cli_parse(3, argv, cli, err, errlen);

	free(copy);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = fuzz_strdup(data, size);
	struct cli cli, again, before;
	char err[128] = "", canon[128], addr[INET6_ADDRSTRLEN], port[16] = "";
	const struct whosock_filter *f = &cli.filter;
	const struct whosock_local *q;
	int r;

	memset(&cli, 0xa5, sizeof(cli));
	before = cli;
	r = parse(arg, &cli, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(memcmp(&cli, &before, sizeof(cli)) == 0);
		FUZZ_CHECK(err[0] != '\0');
		free(arg);
		return 0;
	}
	/* Starting with a keyword of ss's filter language: an expression. */
	if (cli.expr) {
		FUZZ_CHECK(cli.query == 0 && f->n_locals == 0 && f->expr == cli.expr);
		cli_free(&cli);
		free(arg);
		return 0;
	}
	FUZZ_CHECK(cli.query == 1 && cli.action == CLI_LIST && f->n_locals == 1);
	q = &f->locals[0];
	FUZZ_CHECK(q->port >= 0 && q->port <= 65535);
	/* A port after a colon, or an address alone. */
	FUZZ_CHECK(q->port ? strchr(arg, ':') != NULL : q->family != 0);
	if (q->port)
		snprintf(port, sizeof(port), ":%d", q->port);
	if (q->family == AF_INET6) {
		FUZZ_CHECK(arg[0] == '[');
		FUZZ_CHECK(inet_ntop(AF_INET6, q->addr, addr, sizeof(addr)) != NULL);
		snprintf(canon, sizeof(canon), "[%s]%s", addr, port);
	} else if (q->family == AF_INET) {
		FUZZ_CHECK(inet_ntop(AF_INET, q->addr, addr, sizeof(addr)) != NULL);
		snprintf(canon, sizeof(canon), "%s%s", addr, port);
	} else {
		FUZZ_CHECK(q->family == 0);
		snprintf(canon, sizeof(canon), "%s", port);
	}
	r = parse(canon, &again, err, sizeof(err));
	FUZZ_CHECK(r == 0 && again.filter.n_locals == 1);
	FUZZ_CHECK(again.filter.locals[0].port == q->port);
	FUZZ_CHECK(again.filter.locals[0].family == q->family);
	if (q->family)
		FUZZ_CHECK(memcmp(again.filter.locals[0].addr, q->addr,
				  q->family == AF_INET ? 4 : 16) == 0);
	cli_free(&again);
	cli_free(&cli);
	free(arg);
	return 0;
}
