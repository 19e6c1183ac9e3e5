/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line: the option table and cli_parse(), which reads the
 * subcommand, the options (getopt_long, one function per group of options,
 * as --help groups them) and the trailing [ADDR]:PORT queries and filter
 * expression; the values are turned into struct cli's by cli_values.c and
 * cli_lists.c, and checked as a whole by cli_checks.c (see cli_int.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli_int.h"
#include "cliexpr.h"

enum {
	OPT_STATE = 0x100,
	OPT_PORT,
	OPT_NO_HEADER,
	OPT_SOURCE,
	OPT_OWNERS_FROM,
	OPT_PID,
	OPT_USER,
	OPT_COMM,
	OPT_CMDLINE,
	OPT_NO_OWNERS,
	OPT_NO_BPF,
	OPT_HOST_ONLY,
	OPT_NETNS,
	OPT_CONTAINER,
	OPT_CONNECTIONS,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_NETLINK,
	OPT_VSOCK,
	OPT_XDP,
	OPT_DRY_RUN,
	OPT_TIMING,
	OPT_PIDS,
	OPT_SORT,
	OPT_COLOR,
	OPT_DURATION,
	OPT_BY,
	OPT_SERVICE,
	OPT_EXCLUDE_LOOPBACK,
	OPT_LISTEN,
	OPT_WEB_CONFIG,
	OPT_TEXTFILE,
	OPT_EXPOSE_CMDLINE,
	OPT_MAX_SERIES,
	OPT_MAX_CONNECTIONS,
	OPT_REQUEST_TIMEOUT,
	OPT_BITS,
};

#define SHORT_OPTIONS ":tuwxl46o:ehVA:0SMKpnaHrimsd:b"

/* Each option is documented where it is declared; cli_help() prints the same. */
static const struct option long_options[] = {
	{ "tcp", no_argument, NULL, 't' },          /* TCP sockets */
	{ "udp", no_argument, NULL, 'u' },          /* UDP and UDP-Lite sockets */
	{ "raw", no_argument, NULL, 'w' },          /* RAW sockets */
	{ "unix", no_argument, NULL, 'x' },         /* UNIX sockets */
	{ "query", required_argument, NULL, 'A' },  /* KIND[,KIND...] as ss -A */
	{ "packet", no_argument, NULL, '0' },       /* packet sockets */
	{ "netlink", no_argument, NULL, OPT_NETLINK }, /* netlink sockets */
	{ "mptcp", no_argument, NULL, 'M' },        /* MPTCP sockets */
	{ "sctp", no_argument, NULL, 'S' },         /* SCTP sockets */
	{ "vsock", no_argument, NULL, OPT_VSOCK },  /* vsock sockets */
	{ "xdp", no_argument, NULL, OPT_XDP },      /* XDP sockets */
	{ "listening", no_argument, NULL, 'l' },    /* LISTEN and unconnected (UNCONN) only */
	{ "ipv4", no_argument, NULL, '4' },         /* IPv4 only */
	{ "ipv6", no_argument, NULL, '6' },         /* IPv6 only */
	{ "state", required_argument, NULL, OPT_STATE },   /* NAME[,NAME...] */
	{ "port", required_argument, NULL, OPT_PORT },     /* local or remote port */
	{ "output", required_argument, NULL, 'o' },        /* table|json|ndjson|csv */
	{ "no-header", no_argument, NULL, OPT_NO_HEADER }, /* no header line (-H) */
	{ "source", required_argument, NULL, OPT_SOURCE }, /* auto|netlink|proc */
	{ "owners-from", required_argument, NULL, OPT_OWNERS_FROM }, /* auto|bpf|proc */
	{ "extended", no_argument, NULL, 'e' },            /* uid, inode, cookie, queues, users */
	{ "processes", no_argument, NULL, 'p' },           /* ss -p: owners are the default */
	{ "numeric", no_argument, NULL, 'n' },             /* ss -n: numbers are the default */
	{ "all", no_argument, NULL, 'a' },                 /* ss -a: every state is the default */
	{ "resolve", no_argument, NULL, 'r' },             /* addresses and ports as names */
	{ "info", no_argument, NULL, 'i' },                /* TCP details as columns */
	{ "memory", no_argument, NULL, 'm' },              /* socket memory columns */
	{ "summary", no_argument, NULL, 's' },             /* counts by protocol and state */
	{ "timing", no_argument, NULL, OPT_TIMING },       /* phase times on stderr */
	{ "pids", no_argument, NULL, OPT_PIDS },           /* only the owners' pids */
	{ "sort", required_argument, NULL, OPT_SORT },     /* KEY[,KEY...] */
	{ "color", optional_argument, NULL, OPT_COLOR },   /* auto|always|never */
	{ "pid", required_argument, NULL, OPT_PID },       /* held by this process */
	{ "user", required_argument, NULL, OPT_USER },     /* held by a process of this user */
	{ "comm", required_argument, NULL, OPT_COMM },     /* held by a process of this name */
	{ "cmdline", required_argument, NULL, OPT_CMDLINE }, /* command line substring or ERE */
	{ "no-owners", no_argument, NULL, OPT_NO_OWNERS },   /* skip the process scan */
	{ "no-bpf", no_argument, NULL, OPT_NO_BPF },         /* load no BPF program */
	{ "host-only", no_argument, NULL, OPT_HOST_ONLY },   /* only our own network namespace */
	{ "netns", required_argument, NULL, OPT_NETNS },     /* NAME|INODE|pid:PID */
	{ "container", required_argument, NULL, OPT_CONTAINER }, /* ID or name prefix */
	{ "kill", no_argument, NULL, 'K' },                  /* destroy what the filter selects */
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },       /* with -K: only show what it would */
	/* whosock watch only */
	{ "connections", no_argument, NULL, OPT_CONNECTIONS }, /* also connections */
	{ "interval", required_argument, NULL, OPT_INTERVAL },  /* between dumps: 1, 0.5, 100ms */
	{ "count", required_argument, NULL, OPT_COUNT },        /* stop after N events */
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },    /* stop after SECONDS */
	/* whosock top only (and --interval, --count, --timeout, --by) */
	{ "delay", required_argument, NULL, 'd' },  /* live view refresh: SECONDS */
	{ "bytes", no_argument, NULL, 'b' },        /* rates in bytes per second (default) */
	{ "bits", no_argument, NULL, OPT_BITS },    /* rates in bits per second */
	/* whosock deps only (and --interval: print every TIME) */
	{ "duration", required_argument, NULL, OPT_DURATION },  /* observe this long */
	/* top: process|connection|remote|container|user|netns; deps: process|user|container|netns */
	{ "by", required_argument, NULL, OPT_BY },
	{ "service", required_argument, NULL, OPT_SERVICE },    /* [ADDR]:PORT on the server side */
	{ "exclude-loopback", no_argument, NULL, OPT_EXCLUDE_LOOPBACK }, /* no 127/8, ::1 */
	/* whosock serve only */
	{ "listen", required_argument, NULL, OPT_LISTEN },          /* ADDR:PORT or none */
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG }, /* TLS, basic auth */
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },      /* metrics into FILE */
	{ "expose-cmdline", no_argument, NULL, OPT_EXPOSE_CMDLINE }, /* command lines in the API */
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },  /* per metric */
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS }, /* HTTP clients */
	{ "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT }, /* SECONDS idle */
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* An unknown long option: "--x" may be a prefix of several (getopt_long
 * says only that it failed). */
static int unknown_long(const char *arg, char *err, size_t errlen)
{
	const char *name = arg + 2;
	size_t len = strcspn(name, "="), n = 0, used = 0;
	char list[200];

	list[0] = '\0';
	for (const struct option *o = long_options; o->name; o++)
		if (strncmp(o->name, name, len) == 0) {
			int w = snprintf(list + used, sizeof(list) - used, "%s--%s", n ? ", " : "",
					 o->name);

			if (w > 0 && (size_t)w < sizeof(list) - used)
				used += (size_t)w;
			n++;
		}
	if (n > 1)
		return cli_fail(err, errlen, "ambiguous option '--%.*s' (could be %s)",
				(int)(len < 40 ? len : 40), name, list);
	return cli_fail(err, errlen, "unknown option '%.40s' (try --help)", arg);
}

void cli_free(struct cli *cli)
{
	if (!cli)
		return;
	for (size_t i = 0; i < cli->n_strings; i++)
		free(cli->strings[i]);
	free(cli->strings);
	free(cli->locals);
	free(cli->services);
	free(cli->ports);
	free(cli->netns);
	free(cli->pids);
	free(cli->uids);
	free(cli->comms);
	free(cli->cmdlines);
	free(cli->containers);
	whosock_expr_free(cli->expr);
	free(cli->expr_text);
	for (size_t i = 0; i < cli->capture.n_ifaces; i++)
		free(cli->capture.ifaces[i]);
	free(cli->capture.ifaces);
	free(cli->capture.write);
	free(cli->capture.expr);
	memset(&cli->capture, 0, sizeof(cli->capture));
	cli->expr = NULL;
	cli->expr_text = NULL;
	cli->strings = NULL;
	cli->n_strings = 0;
	cli->locals = NULL;
	cli->services = NULL;
	cli->n_services = 0;
	cli->ports = NULL;
	cli->netns = NULL;
	cli->pids = NULL;
	cli->uids = NULL;
	cli->comms = cli->cmdlines = cli->containers = NULL;
}

/* A value option given twice: one value makes sense, not a union. */
static int once(const char **seen, const char *name, char *err, size_t errlen)
{
	if (*seen)
		return cli_fail(err, errlen, "%s given twice", name);
	*seen = name;
	return 0;
}

/* What an option group's function returns for an option of another group. */
#define OTHER_GROUP 1

/* One option c (its argument arg) of a group into cli and g: 0, OTHER_GROUP,
 * or -EINVAL / -ENOMEM with the message in err. */
typedef int option_fn(struct cli *cli, struct cli_given *g, int c, const char *arg, char *err,
		      size_t errlen);

/* Kinds: the protocols asked for. */
static int kind_option(struct cli *cli, struct cli_given *g, int c, const char *arg, char *err,
		       size_t errlen)
{
	static const struct {
		int c;
		unsigned protos;
	} kinds[] = {
		{ 't', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) },
		{ 'u', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) },
		{ 'w', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) },
		{ 'x', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX) },
		{ '0', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_PACKET) },
		{ OPT_NETLINK, WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_NETLINK) },
		{ 'M', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP) },
		{ 'S', WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP) },
		{ OPT_VSOCK, WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_VSOCK) },
		{ OPT_XDP, WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_XDP) },
	};

	if (c == 'A')
		return cli_parse_query_kinds(arg, &cli->filter.protos, err, errlen);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].c == c) {
			cli->filter.protos |= kinds[i].protos;
			return 0;
		}
	return OTHER_GROUP;
}

/* Filters: states, families, ports, namespaces, owners; and -K. */
static int filter_option(struct cli *cli, struct cli_given *g, int c, const char *arg,
			 char *err, size_t errlen)
{
	switch (c) {
	case 'l':
		cli->filter.states |= WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN) |
				      WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
		return 0;
	case '4':
		g->families |= 1u << AF_INET;
		return 0;
	case '6':
		g->families |= 1u << AF_INET6;
		return 0;
	case OPT_STATE:
		return cli_state_option(cli, arg, err, errlen);
	case OPT_PORT:
		return cli_port_option(cli, arg, err, errlen);
	case OPT_HOST_ONLY:
		cli->opt.host_only = true;
		return 0;
	case OPT_NETNS:
		return cli_owner_option(cli, "--netns", arg, err, errlen);
	case OPT_CONTAINER:
		return cli_owner_option(cli, "--container", arg, err, errlen);
	case OPT_PID:
		return cli_owner_option(cli, "--pid", arg, err, errlen);
	case OPT_USER:
		return cli_owner_option(cli, "--user", arg, err, errlen);
	case OPT_COMM:
		return cli_owner_option(cli, "--comm", arg, err, errlen);
	case OPT_CMDLINE:
		return cli_cmdline_option(cli, arg, err, errlen);
	case 'K':
		cli->kill = 1;
		return 0;
	case OPT_DRY_RUN:
		cli->dry_run = 1;
		return 0;
	}
	return OTHER_GROUP;
}

/* Output, and where the sockets and owners are read from; -h, -V. */
static int output_option(struct cli *cli, struct cli_given *g, int c, const char *arg,
			 char *err, size_t errlen)
{
	int r;

	switch (c) {
	case 'o':
		r = once(&g->format, "--output", err, errlen);
		return r < 0 ? r : cli_parse_format(arg, cli->action == CLI_DEPS, &cli->format, err,
						    errlen);
	case OPT_NO_HEADER:
	case 'H':
		cli->header = 0;
		return 0;
	case 'e':
		cli->extended = 1;
		return 0;
	case 'i':
		cli->info = 1;
		return 0;
	case 'm':
		cli->memory = 1;
		return 0;
	case 'r':
		cli->resolve = 1;
		return 0;
	case 'n':
		cli->resolve = 0;
		return 0;
	case 's':
		cli->summary = 1;
		return 0;
	case OPT_PIDS:
		cli->pids_only = 1;
		return 0;
	case OPT_SORT:
		return cli_parse_sort(arg, cli->sort, &cli->n_sort, err, errlen);
	case OPT_COLOR:
		return cli_parse_color(arg, &cli->color_mode, err, errlen);
	case OPT_TIMING:
		cli->timing = 1;
		return 0;
	case OPT_NO_OWNERS:
		g->no_owners = 1;
		return 0;
	case OPT_SOURCE:
		r = once(&g->source, "--source", err, errlen);
		return r < 0 ? r : cli_parse_source(arg, &cli->opt.source, err, errlen);
	case OPT_OWNERS_FROM:
		r = once(&g->owners_from, "--owners-from", err, errlen);
		return r < 0 ? r : cli_parse_owners_from(arg, &cli->opt.owner_source, err, errlen);
	case OPT_NO_BPF:
		cli->opt.flags |= WHOSOCK_FLAG_NO_BPF;
		return 0;
	case 'p': /* owners are shown anyway */
	case 'a': /* every state is listed anyway */
		return 0;
	case 'h':
		cli->action = CLI_HELP;
		return 0;
	case 'V':
		cli->action = CLI_VERSION;
		return 0;
	}
	return OTHER_GROUP;
}

/* A duration of at least 100 ms (--interval, --delay). */
static int interval(const char **seen, const char *name, const char *arg, unsigned *ms_out,
		    char *err, size_t errlen)
{
	long ms = 0;
	int r = once(seen, name, err, errlen);

	if (r == 0)
		r = cli_parse_duration(arg, &ms, err, errlen);
	if (r == 0 && ms < 100)
		r = cli_fail(err, errlen, "%s must be at least 100 ms", name);
	*ms_out = (unsigned)ms;
	return r;
}

/* A duration of more than 0 (--timeout, --duration). */
static int period(const char **seen, const char *name, const char *arg, long *ms, char *err,
		  size_t errlen)
{
	int r = once(seen, name, err, errlen);

	if (r == 0)
		r = cli_parse_duration(arg, ms, err, errlen);
	if (r == 0 && *ms == 0)
		r = cli_fail(err, errlen, "%s must be more than 0", name);
	return r;
}

/* whosock watch's (--interval and --count also top's, --interval deps' and
 * serve's). */
static int watch_option(struct cli *cli, struct cli_given *g, int c, const char *arg,
			char *err, size_t errlen)
{
	int r;

	switch (c) {
	case OPT_CONNECTIONS:
		cli->connections = 1;
		g->watch_only = "--connections";
		return 0;
	case OPT_INTERVAL:
		r = interval(&g->interval, "--interval", arg, &cli->interval_ms, err, errlen);
		if (cli->action != CLI_DEPS)
			g->watch_only = "--interval";
		return r;
	case OPT_COUNT:
		r = once(&g->count, "--count", err, errlen);
		if (r == 0)
			r = cli_parse_count(arg, &cli->count, err, errlen);
		g->watch_only = "--count";
		return r;
	case OPT_TIMEOUT:
		r = period(&g->timeout, "--timeout", arg, &cli->timeout_ms, err, errlen);
		g->watch_only = "--timeout";
		return r;
	}
	return OTHER_GROUP;
}

/* whosock top's (and --by, see deps_option()). */
static int top_option(struct cli *cli, struct cli_given *g, int c, const char *arg, char *err,
		      size_t errlen)
{
	switch (c) {
	case 'd':
		g->top_only = "--delay";
		return interval(&g->delay, "--delay", arg, &cli->delay_ms, err, errlen);
	case 'b': /* the last of -b and --bits counts */
		cli->bits = 0;
		g->top_only = "--bytes";
		return 0;
	case OPT_BITS:
		cli->bits = 1;
		g->top_only = "--bits";
		return 0;
	}
	return OTHER_GROUP;
}

/* whosock deps's, and --by: top's views or deps' groups. */
static int deps_option(struct cli *cli, struct cli_given *g, int c, const char *arg,
		       char *err, size_t errlen)
{
	int r;

	switch (c) {
	case OPT_DURATION:
		g->deps_only = "--duration";
		return period(&g->duration, "--duration", arg, &cli->duration_ms, err, errlen);
	case OPT_BY:
		r = once(&g->by, "--by", err, errlen);
		if (r == 0 && cli->action == CLI_TOP)
			r = cli_parse_top_by(arg, &cli->top_by, &cli->top_by_set, err, errlen);
		else if (r == 0)
			r = cli_parse_deps_by(arg, &cli->deps_by, err, errlen);
		if (cli->action != CLI_TOP)
			g->deps_only = "--by";
		return r;
	case OPT_SERVICE:
		g->deps_only = "--service";
		return cli_service_option(cli, arg, err, errlen);
	case OPT_EXCLUDE_LOOPBACK:
		cli->exclude_loopback = 1;
		g->deps_only = "--exclude-loopback";
		return 0;
	}
	return OTHER_GROUP;
}

/* A serve option's text, copied into cli->strings. */
static int serve_string(struct cli *cli, const char *name, const char **dst, const char *arg,
			char *err, size_t errlen)
{
	if (*dst)
		return cli_fail(err, errlen, "%s given twice", name);
	if (!*arg)
		return cli_fail(err, errlen, "%s needs a value", name);
	*dst = cli_keep_string(cli, arg, strlen(arg));
	return *dst ? 0 : cli_nomem(err, errlen);
}

/* whosock serve's. */
static int serve_option(struct cli *cli, struct cli_given *g, int c, const char *arg,
			char *err, size_t errlen)
{
	switch (c) {
	case OPT_LISTEN:
		g->serve_only = "--listen";
		return serve_string(cli, g->serve_only, &cli->listen, arg, err, errlen);
	case OPT_WEB_CONFIG:
		g->serve_only = "--web.config.file";
		return serve_string(cli, g->serve_only, &cli->web_config, arg, err, errlen);
	case OPT_TEXTFILE:
		g->serve_only = "--textfile";
		return serve_string(cli, g->serve_only, &cli->textfile, arg, err, errlen);
	case OPT_EXPOSE_CMDLINE:
		cli->expose_cmdline = 1;
		g->serve_only = "--expose-cmdline";
		return 0;
	case OPT_MAX_SERIES:
		g->serve_only = "--max-series";
		return cli_parse_number(g->serve_only, arg, 2, 1000000, &cli->max_series, err,
					errlen);
	case OPT_MAX_CONNECTIONS:
		g->serve_only = "--max-connections";
		return cli_parse_number(g->serve_only, arg, 1, 1000, &cli->max_connections, err,
					errlen);
	case OPT_REQUEST_TIMEOUT:
		g->serve_only = "--request-timeout";
		return cli_parse_number(g->serve_only, arg, 1, 3600, &cli->request_timeout_s, err,
					errlen);
	}
	return OTHER_GROUP;
}

/* What getopt_long refused (the argument at argv[optind - 1]). */
static int bad_option(int c, char **argv, char *err, size_t errlen)
{
	if (c == ':')
		return cli_fail(err, errlen, "option '%.40s' needs a value", argv[optind - 1]);
	/* getopt_long sets optopt to the letter of an unknown short option, to
	 * the code of a long option given a value it does not take, and to 0
	 * for an unknown or ambiguous long option. */
	if (optopt >= 0x100 || (optopt > 0 && strchr(SHORT_OPTIONS, optopt)))
		return cli_fail(err, errlen, "option '%.40s' takes no value", argv[optind - 1]);
	if (optopt)
		return cli_fail(err, errlen, "unknown option '-%c' (try --help)", optopt);
	return unknown_long(argv[optind - 1], err, errlen);
}

/* The subcommand argv[1] names besides capture (CLI_LIST: none). */
static enum cli_action subcommand(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum cli_action action;
	} subcommands[] = { { "watch", CLI_WATCH }, { "deps", CLI_DEPS }, { "top", CLI_TOP },
			    { "serve", CLI_SERVE } };

	for (size_t i = 0; argc > 1 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].action;
	return CLI_LIST;
}

static int parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen)
{
	static option_fn *const groups[] = { kind_option,  filter_option, output_option,
					     watch_option, top_option,    deps_option,
					     serve_option };
	struct cli_given g = { 0 };
	int c, r;

	opterr = 0; /* our own one-line messages */
	optind = 0; /* restart getopt (tests parse several command lines) */
	cli->opt.want = WHOSOCK_WANT_OWNERS;
	if (argc > 1 && strcmp(argv[1], "capture") == 0) {
		cli->action = CLI_CAPTURE;
		return cli_capture_parse(cli, argc - 1, argv + 1, err, errlen);
	}
	/* "whosock watch ...": the same options plus the watch ones. */
	cli->action = subcommand(argc, argv);
	if (cli->action != CLI_LIST) {
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		r = OTHER_GROUP;
		for (size_t i = 0; r == OTHER_GROUP && i < sizeof(groups) / sizeof(groups[0]); i++)
			r = groups[i](cli, &g, c, optarg, err, errlen);
		if (r == OTHER_GROUP)
			return bad_option(c, argv, err, errlen);
		if (r < 0)
			return r;
	}
	/* -h and -V answer whatever else is given (an unknown option is
	 * still an error, above). */
	if (cli->action == CLI_HELP || cli->action == CLI_VERSION)
		return 0;
	r = cli_check_own_options(cli, &g, err, errlen);
	if (r < 0)
		return r;
	if (cli->action == CLI_SERVE)
		return cli_check_serve(cli, &g, argc, argv, err, errlen);
	r = cli_check_options(cli, &g, err, errlen);
	if (r < 0)
		return r;
	/* [ADDR]:PORT queries: repeated, a union; then an expression. */
	for (; optind < argc && !cliexpr_starts(argv[optind]); optind++) {
		r = cli_query_arg(cli, argv[optind], err, errlen);
		if (r < 0)
			return r;
		cli->query = 1;
	}
	if (optind < argc) {
		r = cliexpr_parse(argc - optind, argv + optind, &cli->expr, &cli->expr_text, err,
				  errlen);
		if (r < 0)
			return r;
	}
	r = cli_check_selection(cli, &g, err, errlen);
	if (r < 0)
		return r;
	cli_defaults(cli, &g);
	return 0;
}

struct whosock_options cli_options(const struct cli *cli)
{
	struct whosock_options opt = cli->opt;

	opt.filter = &cli->filter;
	return opt;
}

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
	struct cli cli = { .action = CLI_LIST, .format = OUTPUT_TABLE, .header = 1,
			   .opt = WHOSOCK_OPTIONS_INIT, .filter = WHOSOCK_FILTER_INIT };
	struct whosock_filter *f = &cli.filter;
	int r;

	if (errlen)
		err[0] = '\0';
	r = parse(argc, argv, &cli, err, errlen);
	if (r < 0) {
		/* Every failure says why (main prints err). */
		if (errlen && !err[0])
			snprintf(err, errlen, "%s", r == -ENOMEM ? "out of memory" : "invalid usage");
		cli_free(&cli);
		return r;
	}
	f->locals = cli.locals;
	f->ports = cli.ports;
	f->netns = cli.netns;
	f->pids = cli.pids;
	f->uids = cli.uids;
	f->comms = cli.comms;
	f->cmdlines = cli.cmdlines;
	f->containers = cli.containers;
	f->expr = cli.expr;
	*out = cli;
	return 0;
}
