/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line's insides, shared by its modules (the rest of whosock
 * sees src/cli.h only):
 *   cli.c         the option table and the getopt loop: cli_parse()
 *   cli_values.c  one option argument into a value, and the messages
 *   cli_lists.c   the options whose values add up in lists in struct cli
 *   cli_checks.c  once every option is read: what goes together, and the
 *                 defaults that follow
 * Every function returning int returns 0, or -EINVAL / -ENOMEM with the
 * message in err (cli_fail()). */
#ifndef WHOSOCK_CLI_INT_H
#define WHOSOCK_CLI_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* What the command line gave besides struct cli's values, for the checks:
 * the options given at most once (their names once seen), the last option
 * given of each subcommand's own, -4/-6 and --no-owners. */
struct cli_given {
	const char *format, *source, *owners_from, *interval, *count, *timeout, *delay,
		*duration, *by;
	const char *watch_only, *top_only, *deps_only, *serve_only;
	unsigned families; /* (1u << AF_INET) | (1u << AF_INET6) */
	int no_owners;
};

/* cli_values.c: "out of memory" in err, -ENOMEM. */
int cli_nomem(char *err, size_t errlen);

/* Plain decimal digits s[0..len): no sign, space or base prefix, at most
 * max. Returns 0 and *v, or -EINVAL (no message). */
int cli_parse_decimal(const char *s, size_t len, unsigned long long max, unsigned long long *v);

/* A number from min to max for the option name (serve's limits). */
int cli_parse_number(const char *name, const char *arg, unsigned long long min,
		     unsigned long long max, unsigned *out, char *err, size_t errlen);

/* "1", "0.5", "1s", "250ms" → milliseconds, at most a day. */
int cli_parse_duration(const char *arg, long *ms, char *err, size_t errlen);

/* --count: a positive number. */
int cli_parse_count(const char *arg, long *n, char *err, size_t errlen);

/* A port number, or a service name (/etc/services) for the protocol proto
 * ("tcp", "udp"; NULL: any), from v[0..len). */
int cli_parse_port(const char *v, size_t len, const char *proto, int *port, char *err,
		   size_t errlen);

/* [ADDR]:PORT[/PROTO] (or an address alone) into *q, and the protocols its
 * suffix names (0: none). */
int cli_parse_local(const char *arg, struct whosock_local *q, unsigned *protos, char *err,
		    size_t errlen);

/* -o: table, json, ndjson, csv; and dot for deps. */
int cli_parse_format(const char *arg, bool deps, enum output_format *fmt, char *err,
		     size_t errlen);

/* --source, --owners-from, --color[=WHEN] (NULL: always). */
int cli_parse_source(const char *arg, enum whosock_source *src, char *err, size_t errlen);
int cli_parse_owners_from(const char *arg, enum whosock_owner_source *src, char *err,
			  size_t errlen);
int cli_parse_color(const char *arg, enum color_mode *mode, char *err, size_t errlen);

/* --sort KEY[,KEY...], appended to sort[*n] (at most CLI_MAX_SORT). */
int cli_parse_sort(const char *arg, enum sort_key *sort, size_t *n, char *err, size_t errlen);

/* -A KIND[,KIND...]: the kinds' bits added to *protos. */
int cli_parse_query_kinds(const char *arg, unsigned *protos, char *err, size_t errlen);

/* --by of whosock top: VIEW[,VIEW...] (cli_by_names), *by the first, *set
 * every one (1u << view); of whosock deps: one enum whosock_deps_by. */
int cli_parse_top_by(const char *arg, int *by, unsigned *set, char *err, size_t errlen);
int cli_parse_deps_by(const char *arg, int *by, char *err, size_t errlen);

/* cli_lists.c: each adds to cli's arrays (owned by cli, cli_free()). The
 * comma-separated lists: --state and --port (cli_owner_option(): the owner
 * filters and --netns). */
int cli_state_option(struct cli *cli, const char *arg, char *err, size_t errlen);
int cli_port_option(struct cli *cli, const char *arg, char *err, size_t errlen);
/* --cmdline PAT: one pattern, a valid extended regex. */
int cli_cmdline_option(struct cli *cli, const char *arg, char *err, size_t errlen);
/* A trailing [ADDR]:PORT[/PROTO] argument; --service [ADDR]:PORT (deps). */
int cli_query_arg(struct cli *cli, const char *arg, char *err, size_t errlen);
int cli_service_option(struct cli *cli, const char *arg, char *err, size_t errlen);
/* A copy of s[0..len) kept in cli->strings; NULL when out of memory. */
char *cli_keep_string(struct cli *cli, const char *s, size_t len);

/* cli_checks.c, in the order cli_parse() calls them. A subcommand's own
 * options given to another. */
int cli_check_own_options(struct cli *cli, struct cli_given *g, char *err, size_t errlen);
/* whosock serve: no trailing arguments (argv[optind...]), only its own
 * options; then its defaults. */
int cli_check_serve(struct cli *cli, const struct cli_given *g, int argc, char **argv,
		    char *err, size_t errlen);
/* The options of the listing, top, deps and watch: what each cannot do. */
int cli_check_options(const struct cli *cli, const struct cli_given *g, char *err,
		      size_t errlen);
/* Once the trailing arguments are read too: -K, --dry-run, deps' queries,
 * and filters that cannot go together. */
int cli_check_selection(const struct cli *cli, const struct cli_given *g, char *err,
			size_t errlen);
/* What the snapshot collects (opt.want), the kinds (all inet ones, or all
 * with --pid) and families when none were given. */
void cli_defaults(struct cli *cli, const struct cli_given *g);

#endif
