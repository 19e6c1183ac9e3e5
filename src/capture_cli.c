/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture's command line: tcpdump's letters where tcpdump has
 * them (-i, -c, -w, -s, -n), whosock's owner filters and --netns, and
 * the trailing arguments as one pcap filter expression (compiled by
 * libpcap when the capture starts: a bad one is a usage error there). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_NETNS = 0x100,
	OPT_PID,
	OPT_USER,
	OPT_COMM,
	OPT_CONTAINER,
	OPT_NO_BPF,
};

#define CAPTURE_SHORT_OPTIONS ":i:c:w:s:o:nh"
#define SNAPLEN_DEFAULT 262144 /* tcpdump's */

/* Each option is documented where it is declared; cli_help() prints the same. */
static const struct option capture_options[] = {
	{ "interface", required_argument, NULL, 'i' },       /* IFACE (repeat); default any */
	{ "netns", required_argument, NULL, OPT_NETNS },     /* NAME|INODE|pid:PID|all */
	{ "count", required_argument, NULL, 'c' },           /* stop after N packets */
	{ "write", required_argument, NULL, 'w' },           /* FILE: pcapng with owners */
	{ "snapshot-length", required_argument, NULL, 's' }, /* bytes kept of each packet */
	{ "output", required_argument, NULL, 'o' },          /* text|ndjson */
	{ "numeric", no_argument, NULL, 'n' },               /* tcpdump -n: always numeric */
	{ "pid", required_argument, NULL, OPT_PID },         /* packets of this process */
	{ "user", required_argument, NULL, OPT_USER },       /* of this user's processes */
	{ "comm", required_argument, NULL, OPT_COMM },       /* of processes of this name */
	{ "container", required_argument, NULL, OPT_CONTAINER }, /* of this container */
	{ "no-bpf", no_argument, NULL, OPT_NO_BPF },         /* no BPF socket events */
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int number(const char *opt, const char *arg, long min, long max, long *v, char *err,
		  size_t errlen)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || x < min || x > max)
		return cli_fail(err, errlen, "invalid %s '%.40s': expected %ld-%ld", opt, arg, min,
				max);
	*v = x;
	return 0;
}

static int add_iface(struct cli *cli, const char *name, char *err, size_t errlen)
{
	char **v, *copy;

	/* IFNAMSIZ (16) with its NUL; "any" too. */
	if (!*name || strlen(name) > 15 || strchr(name, '/') || strchr(name, ' '))
		return cli_fail(err, errlen, "invalid interface name '%.40s'", name);
	copy = strdup(name);
	v = copy ? realloc(cli->capture.ifaces, (cli->capture.n_ifaces + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	v[cli->capture.n_ifaces++] = copy;
	cli->capture.ifaces = v;
	return 0;
}

/* The trailing arguments joined by spaces, as tcpdump takes them. */
static int join_expr(struct cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	size_t len = 0;
	char *e;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	e = malloc(len + 1);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(e, " ");
		strcat(e, argv[i]);
	}
	cli->capture.expr = e;
	return 0;
}

int cli_capture_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	const char *seen_output = NULL;
	long v;
	int c, r = 0;

	opterr = 0;
	optind = 0;
	cli->capture.snaplen = SNAPLEN_DEFAULT;
	cli->opt.want = WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS;
	while ((c = getopt_long(argc, argv, CAPTURE_SHORT_OPTIONS, capture_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			r = add_iface(cli, optarg, err, errlen);
			break;
		case OPT_NETNS:
			if (strcmp(optarg, "all") == 0)
				cli->capture.all_netns = true;
			else
				r = cli_owner_option(cli, "--netns", optarg, err, errlen);
			break;
		case 'c':
			r = number("--count", optarg, 1, 1L << 40, &cli->capture.count, err, errlen);
			break;
		case 'w':
			if (cli->capture.write)
				return cli_fail(err, errlen, "--write is given twice");
			if (!*optarg)
				return cli_fail(err, errlen, "--write needs a file name");
			cli->capture.write = strdup(optarg);
			if (!cli->capture.write)
				return cli_fail(err, errlen, "out of memory");
			break;
		case 's':
			r = number("--snapshot-length", optarg, 0, 262144, &v, err, errlen);
			/* tcpdump: 0 means the default. */
			cli->capture.snaplen = v ? (int)v : SNAPLEN_DEFAULT;
			break;
		case 'o':
			if (seen_output)
				return cli_fail(err, errlen, "--output is given twice");
			seen_output = optarg;
			if (strcmp(optarg, "ndjson") == 0)
				cli->format = OUTPUT_NDJSON;
			else if (strcmp(optarg, "text") == 0 || strcmp(optarg, "table") == 0)
				cli->format = OUTPUT_TABLE;
			else
				return cli_fail(err, errlen, "invalid --output '%.40s' for 'whosock "
					       "capture': expected text or ndjson", optarg);
			break;
		case 'n':
			break; /* numbers always: a capture never waits for DNS */
		case OPT_PID:
			r = cli_owner_option(cli, "--pid", optarg, err, errlen);
			break;
		case OPT_USER:
			r = cli_owner_option(cli, "--user", optarg, err, errlen);
			break;
		case OPT_COMM:
			r = cli_owner_option(cli, "--comm", optarg, err, errlen);
			break;
		case OPT_CONTAINER:
			r = cli_owner_option(cli, "--container", optarg, err, errlen);
			break;
		case OPT_NO_BPF:
			cli->opt.flags |= WHOSOCK_FLAG_NO_BPF;
			break;
		case 'h':
			cli->action = CLI_HELP;
			break;
		case ':':
			return cli_fail(err, errlen, "option '%.40s' needs a value", argv[optind - 1]);
		default:
			if (optopt >= 0x100 || (optopt > 0 && strchr(CAPTURE_SHORT_OPTIONS, optopt)))
				return cli_fail(err, errlen, "option '%.40s' takes no value",
						argv[optind - 1]);
			if (optopt)
				return cli_fail(err, errlen, "unknown option '-%c' for 'whosock capture' "
						"(try --help)", optopt);
			return cli_fail(err, errlen, "unknown option '%.40s' for 'whosock capture' "
					"(try --help)", argv[optind - 1]);
		}
		if (r < 0)
			return r;
	}
	if (cli->capture.write && strcmp(cli->capture.write, "-") == 0 && cli->format == OUTPUT_NDJSON)
		return cli_fail(err, errlen, "--write - and -o ndjson would both write to standard output");
	if (cli->capture.all_netns && cli->filter.n_netns)
		return cli_fail(err, errlen, "--netns all already names every namespace");
	if (optind < argc)
		return join_expr(cli, argc - optind, argv + optind, err, errlen);
	return 0;
}
