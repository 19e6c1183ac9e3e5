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
	char err[128] = "", canon[128], addr[INET6_ADDRSTRLEN];
	const struct whosock_filter *f = &cli.opt.filter;
	int r;

	memset(&cli, 0xa5, sizeof(cli));
	before = cli;
	r = parse(arg, &cli, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r < 0) {
		FUZZ_CHECK(memcmp(&cli, &before, sizeof(cli)) == 0);
		FUZZ_CHECK(err[0] != '\0');
		free(arg);
		return 0;
	}
	FUZZ_CHECK(cli.query == 1 && cli.action == CLI_LIST);
	FUZZ_CHECK(f->local_port >= 1 && f->local_port <= 65535);
	FUZZ_CHECK(strchr(arg, ':') != NULL);
	if (f->local_family == AF_INET6) {
		FUZZ_CHECK(arg[0] == '[');
		FUZZ_CHECK(inet_ntop(AF_INET6, f->local_addr, addr, sizeof(addr)) != NULL);
		snprintf(canon, sizeof(canon), "[%s]:%d", addr, f->local_port);
	} else if (f->local_family == AF_INET) {
		FUZZ_CHECK(inet_ntop(AF_INET, f->local_addr, addr, sizeof(addr)) != NULL);
		snprintf(canon, sizeof(canon), "%s:%d", addr, f->local_port);
	} else {
		FUZZ_CHECK(f->local_family == 0);
		snprintf(canon, sizeof(canon), ":%d", f->local_port);
	}
	r = parse(canon, &again, err, sizeof(err));
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(again.opt.filter.local_port == f->local_port);
	FUZZ_CHECK(again.opt.filter.local_family == f->local_family);
	if (f->local_family)
		FUZZ_CHECK(memcmp(again.opt.filter.local_addr, f->local_addr,
				  f->local_family == AF_INET ? 4 : 16) == 0);
	free(arg);
	return 0;
}
