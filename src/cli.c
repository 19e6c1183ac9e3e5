/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cli.h"

enum {
	OPT_STATE = 0x100,
	OPT_PORT,
	OPT_NO_HEADER,
	OPT_SOURCE,
	OPT_PID,
	OPT_USER,
	OPT_COMM,
	OPT_CMDLINE,
	OPT_NO_OWNERS,
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
};

#define SHORT_OPTIONS ":tuwxl46o:ehVA:0SM"

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
	{ "no-header", no_argument, NULL, OPT_NO_HEADER }, /* no header line */
	{ "source", required_argument, NULL, OPT_SOURCE }, /* auto|netlink|proc */
	{ "extended", no_argument, NULL, 'e' },            /* owners' user names */
	{ "pid", required_argument, NULL, OPT_PID },       /* held by this process */
	{ "user", required_argument, NULL, OPT_USER },     /* held by a process of this user */
	{ "comm", required_argument, NULL, OPT_COMM },     /* held by a process of this name */
	{ "cmdline", required_argument, NULL, OPT_CMDLINE }, /* command line substring or ERE */
	{ "no-owners", no_argument, NULL, OPT_NO_OWNERS },   /* skip the process scan */
	{ "host-only", no_argument, NULL, OPT_HOST_ONLY },   /* only our own network namespace */
	{ "netns", required_argument, NULL, OPT_NETNS },     /* NAME|INODE|pid:PID */
	{ "container", required_argument, NULL, OPT_CONTAINER }, /* ID or name prefix */
	/* whosock watch only */
	{ "connections", no_argument, NULL, OPT_CONNECTIONS }, /* also connections */
	{ "interval", required_argument, NULL, OPT_INTERVAL },  /* between dumps: 1, 0.5, 100ms */
	{ "count", required_argument, NULL, OPT_COUNT },        /* stop after N events */
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },    /* stop after SECONDS */
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void cli_help(FILE *f)
{
	fputs("Usage: whosock [OPTIONS] [[ADDR]:PORT[/PROTO]]\n"
	      "List every socket on this machine, in every network namespace, and every\n"
	      "process that holds it.\n"
	      "With [ADDR]:PORT (e.g. :8080, :53/udp, 127.0.0.1:8080, [::1]:631): the sockets\n"
	      "bound to that local port (and address, or its wildcard) and their owners.\n"
	      "\n"
	      "Kinds (combinable; default: TCP, UDP, UDP-Lite, RAW, MPTCP and SCTP;\n"
	      "with --pid every kind):\n"
	      "  -t, --tcp            TCP sockets\n"
	      "  -u, --udp            UDP and UDP-Lite sockets\n"
	      "  -w, --raw            RAW sockets\n"
	      "  -x, --unix           UNIX sockets (stream, dgram, seqpacket)\n"
	      "  -0, --packet         packet sockets (sniffers, DHCP clients)\n"
	      "      --netlink        netlink sockets\n"
	      "  -M, --mptcp          MPTCP sockets\n"
	      "  -S, --sctp           SCTP sockets\n"
	      "      --vsock          vsock sockets\n"
	      "      --xdp            XDP sockets\n"
	      "  -A, --query KINDS    kinds as a comma-separated list, as ss -A: all, inet,\n"
	      "                       tcp, udp, udplite, raw, mptcp, sctp, unix, packet,\n"
	      "                       netlink, vsock, xdp, other (families whosock does not\n"
	      "                       know: alg, can, bluetooth, ...)\n"
	      "\n"
	      "Filters:\n"
	      "  -l, --listening      listening sockets only (LISTEN, and UNCONN for UDP/RAW/UNIX)\n"
	      "  -4, --ipv4           IPv4 only\n"
	      "  -6, --ipv6           IPv6 only\n"
	      "      --state NAME     sockets in this state; a comma-separated list or repeated\n"
	      "                       (listen, established, time-wait, unconn, connected, ...)\n"
	      "      --port N         local or remote port N\n"
	      "      --host-only      only this network namespace (default: every one)\n"
	      "      --netns NS       only namespace NS: an `ip netns` name, an inode number,\n"
	      "                       or pid:PID (the namespace process PID lives in)\n"
	      "      --container ID   sockets held by processes in the container whose ID\n"
	      "                       (or LXC/nspawn name) starts with ID\n"
	      "      --pid PID        sockets held by this process\n"
	      "      --user NAME|UID  sockets held by processes of this user (effective uid)\n"
	      "      --comm NAME      sockets held by processes with this name\n"
	      "      --cmdline PAT    sockets held by processes whose command line contains\n"
	      "                       PAT, or matches it as an extended regular expression\n"
	      "\n"
	      "Output:\n"
	      "  -o, --output FORMAT  table (default), json, ndjson or csv\n"
	      "      --no-header      no header line in table and csv output\n"
	      "  -e, --extended       show the owners' user names in the table\n"
	      "      --no-owners      do not look for owning processes (faster)\n"
	      "      --source SOURCE  auto (default: netlink, /proc/net where refused),\n"
	      "                       netlink or proc\n"
	      "  -h, --help           this help\n"
	      "  -V, --version        version\n"
	      "\n"
	      "\n"
	      "whosock watch [OPTIONS]: report listening sockets (and with --connections,\n"
	      "connections) opening and closing, with their owners, in every namespace:\n"
	      "      --connections    also TCP connections and connected UDP sockets\n"
	      "      --interval TIME  between dumps that find new sockets: seconds (1, 0.5)\n"
	      "                       or milliseconds (250ms); default 1 s, at least 100 ms\n"
	      "      --count N        stop after N events\n"
	      "      --timeout SECS   stop after SECS seconds\n"
	      "  -o table|ndjson      one line per event (default), or NDJSON events\n"
	      "\n"
	      "Exit status: 0 success (with ADDR:PORT: something matched), 1 nothing matched\n"
	      "the ADDR:PORT query, 2 bad usage or failure.\n"
	      "See whosock(8).\n",
	      f);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Messages quote what the user typed: no control byte gets through. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

static int parse_states(const char *arg, unsigned *states, char *err, size_t errlen)
{
	char *copy = strdup(arg), *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int s = whosock_state_parse(tok);

		if (s < 0) {
			r = fail(err, errlen, "unknown state '%.40s' (try --help)", tok);
			break;
		}
		*states |= WHOSOCK_STATE_BIT(s);
	}
	if (r == 0 && arg[strspn(arg, ",")] == '\0')
		r = fail(err, errlen, "--state needs a state name");
	free(copy);
	return r;
}

static int parse_port(const char *arg, int *port, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || v == 0 || v > 65535)
		return fail(err, errlen, "invalid port '%.40s': expected 1-65535", arg);
	*port = (int)v;
	return 0;
}

static int parse_format(const char *arg, enum output_format *fmt, char *err, size_t errlen)
{
	static const char *const names[] = { [OUTPUT_TABLE] = "table", [OUTPUT_JSON] = "json",
					     [OUTPUT_NDJSON] = "ndjson", [OUTPUT_CSV] = "csv" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			*fmt = (enum output_format)i;
			return 0;
		}
	return fail(err, errlen, "invalid output format '%.40s': expected table, json, ndjson or csv",
		    arg);
}

static int parse_source(const char *arg, enum whosock_source *src, char *err, size_t errlen)
{
	if (strcmp(arg, "auto") == 0)
		*src = WHOSOCK_SOURCE_AUTO;
	else if (strcmp(arg, "netlink") == 0)
		*src = WHOSOCK_SOURCE_NETLINK;
	else if (strcmp(arg, "proc") == 0)
		*src = WHOSOCK_SOURCE_PROC;
	else
		return fail(err, errlen, "invalid source '%.40s': expected auto, netlink or proc", arg);
	return 0;
}

static int parse_pid(const char *arg, int *pid, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || v == 0 || v > 4194304)
		return fail(err, errlen, "invalid pid '%.40s'", arg);
	*pid = (int)v;
	return 0;
}

/* "1", "0.5", "1s", "250ms" → milliseconds. */
static int parse_duration(const char *arg, long *ms, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* !(v >= 0) also rejects NaN. A day at most: no overflow anywhere. */
	if (errno || end == arg || arg[0] == '-' || !(v >= 0) || v > 86400000)
		goto bad;
	if (strcmp(end, "ms") == 0)
		*ms = (long)v;
	else if ((*end == '\0' || strcmp(end, "s") == 0) && v <= 86400)
		*ms = (long)(v * 1000);
	else
		goto bad;
	return 0;
bad:
	return fail(err, errlen, "invalid duration '%.40s': expected seconds or milliseconds (250ms), "
		    "at most a day",
		    arg);
}

static int parse_count(const char *arg, long *n, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0)
		return fail(err, errlen, "invalid count '%.40s': expected a positive number", arg);
	*n = v;
	return 0;
}

static int parse_user(const char *arg, struct whosock_filter *f, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long v;

	if (getpwnam_r(arg, &pw, buf, sizeof(buf), &res) == 0 && res) {
		f->uid = res->pw_uid;
		f->uid_set = true;
		return 0;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || v > UINT32_MAX - 1)
		return fail(err, errlen, "unknown user '%.40s'", arg);
	f->uid = (uint32_t)v;
	f->uid_set = true;
	return 0;
}

/* "[ADDR]:PORT[/PROTO]": ADDR empty or '*' (any), IPv4, or IPv6 in brackets. */
static int parse_query(const char *arg, struct whosock_filter *f, char *err, size_t errlen)
{
	char buf[128], *slash, *colon, *addr;

	if (strlen(arg) >= sizeof(buf))
		return fail(err, errlen, "invalid address '%.40s...'", arg);
	strcpy(buf, arg);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (strcmp(slash, "tcp") == 0)
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
		else if (strcmp(slash, "udp") == 0)
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				     WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
		else if (strcmp(slash, "udplite") == 0)
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
		else if (strcmp(slash, "raw") == 0)
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW);
		else
			return fail(err, errlen, "invalid protocol '%.40s' in '%.40s': expected tcp, udp, "
				    "udplite or raw", slash, arg);
	}
	colon = strrchr(buf, ':');
	if (!colon)
		return fail(err, errlen, "invalid argument '%.40s': expected [ADDR]:PORT[/PROTO]", arg);
	*colon = '\0';
	if (parse_port(colon + 1, &f->local_port, err, errlen) < 0)
		return -EINVAL;
	addr = buf;
	if (*addr == '\0' || strcmp(addr, "*") == 0)
		return 0;
	if (*addr == '[') {
		size_t n = strlen(addr);

		if (n < 3 || addr[n - 1] != ']')
			return fail(err, errlen, "invalid address in '%.40s': IPv6 goes in brackets", arg);
		addr[n - 1] = '\0';
		if (inet_pton(AF_INET6, addr + 1, f->local_addr) != 1)
			return fail(err, errlen, "invalid IPv6 address in '%.40s'", arg);
		f->local_family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, addr, f->local_addr) != 1)
		return fail(err, errlen, "invalid address in '%.40s' (IPv6 goes in brackets)", arg);
	f->local_family = AF_INET;
	return 0;
}

/* -A/--query: a comma-separated list of kinds, as ss -A takes them. */
static int parse_query_kinds(const char *arg, unsigned *protos, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		unsigned bits;
	} kinds[] = {
		{ "all", WHOSOCK_PROTOS_ALL },
		{ "inet", WHOSOCK_PROTOS_INET },
		{ "tcp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) },
		{ "udp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) },
		{ "udplite", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) },
		{ "raw", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) },
		{ "mptcp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP) },
		{ "sctp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP) },
		{ "unix", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX) },
		{ "packet", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_PACKET) },
		{ "netlink", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_NETLINK) },
		{ "vsock", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_VSOCK) },
		{ "xdp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_XDP) },
		{ "other", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_OTHER) },
	};
	const char *p = arg;
	unsigned bits = 0;

	do {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strlen(kinds[i].name) == len && strncasecmp(p, kinds[i].name, len) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return fail(err, errlen, "unknown socket kind '%.*s' in -A: expected all, inet, "
				    "tcp, udp, udplite, raw, mptcp, sctp, unix, packet, netlink, vsock, "
				    "xdp or other", (int)(len > 40 ? 40 : len), p);
		bits |= kinds[i].bits;
		p += len;
	} while (*p++ == ',');
	*protos |= bits;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
	struct cli cli = { .action = CLI_LIST, .format = OUTPUT_TABLE, .header = 1 };
	struct whosock_filter *f = &cli.opt.filter;
	unsigned families = 0;
	int c, r = 0, no_owners = 0;
	const char *watch_only = NULL;

	f->port = -1;
	opterr = 0; /* our own one-line messages */
	optind = 0; /* restart getopt (tests parse several command lines) */
	cli.opt.want = WHOSOCK_WANT_OWNERS;
	/* "whosock watch ...": the same options plus the watch ones. */
	if (argc > 1 && strcmp(argv[1], "watch") == 0) {
		cli.action = CLI_WATCH;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		switch (c) {
		case 't':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
			break;
		case 'u':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				     WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
			break;
		case 'w':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW);
			break;
		case 'x':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX);
			break;
		case 'A':
			r = parse_query_kinds(optarg, &f->protos, err, errlen);
			break;
		case '0':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_PACKET);
			break;
		case OPT_NETLINK:
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_NETLINK);
			break;
		case 'M':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP);
			break;
		case 'S':
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP);
			break;
		case OPT_VSOCK:
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_VSOCK);
			break;
		case OPT_XDP:
			f->protos |= WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_XDP);
			break;
		case 'l':
			f->states |= WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN) |
				     WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
			break;
		case '4':
			families |= 1u << AF_INET;
			break;
		case '6':
			families |= 1u << AF_INET6;
			break;
		case OPT_STATE:
			r = parse_states(optarg, &f->states, err, errlen);
			break;
		case OPT_PORT:
			r = parse_port(optarg, &f->port, err, errlen);
			break;
		case 'o':
			r = parse_format(optarg, &cli.format, err, errlen);
			break;
		case OPT_NO_HEADER:
			cli.header = 0;
			break;
		case OPT_SOURCE:
			r = parse_source(optarg, &cli.opt.source, err, errlen);
			break;
		case 'e':
			cli.extended = 1;
			break;
		case OPT_PID:
			r = parse_pid(optarg, &f->pid, err, errlen);
			break;
		case OPT_USER:
			r = parse_user(optarg, f, err, errlen);
			break;
		case OPT_COMM:
			f->comm = optarg;
			break;
		case OPT_CMDLINE:
			f->cmdline = optarg;
			break;
		case OPT_NO_OWNERS:
			no_owners = 1;
			break;
		case OPT_HOST_ONLY:
			cli.opt.host_only = true;
			break;
		case OPT_CONTAINER:
			if (!*optarg)
				r = fail(err, errlen, "--container needs an ID or name prefix");
			f->container = optarg;
			break;
		case OPT_CONNECTIONS:
			cli.connections = 1;
			watch_only = "--connections";
			break;
		case OPT_INTERVAL: {
			long ms = 0;

			r = parse_duration(optarg, &ms, err, errlen);
			if (r == 0 && ms < 100)
				r = fail(err, errlen, "--interval must be at least 100 ms");
			cli.interval_ms = (unsigned)ms;
			watch_only = "--interval";
			break;
		}
		case OPT_COUNT:
			r = parse_count(optarg, &cli.count, err, errlen);
			watch_only = "--count";
			break;
		case OPT_TIMEOUT:
			r = parse_duration(optarg, &cli.timeout_ms, err, errlen);
			if (r == 0 && cli.timeout_ms == 0)
				r = fail(err, errlen, "--timeout must be more than 0");
			watch_only = "--timeout";
			break;
		case OPT_NETNS:
			r = whosock_netns_resolve(optarg, &f->netns);
			if (r < 0)
				r = fail(err, errlen, "unknown network namespace '%.40s': %s", optarg,
					 strerror(-r));
			break;
		case 'h':
			cli.action = CLI_HELP;
			break;
		case 'V':
			cli.action = CLI_VERSION;
			break;
		case ':':
			return fail(err, errlen, "option '%.40s' needs a value", argv[optind - 1]);
		default:
			/* getopt_long sets optopt to the letter of an unknown short
			 * option, to the code of a long option given a value it does
			 * not take, and to 0 for an unknown long option. */
			if (optopt >= 0x100 || (optopt > 0 && strchr(SHORT_OPTIONS, optopt)))
				return fail(err, errlen, "option '%.40s' takes no value",
					    argv[optind - 1]);
			if (optopt)
				return fail(err, errlen, "unknown option '-%c' (try --help)", optopt);
			return fail(err, errlen, "unknown option '%.40s' (try --help)",
				    argv[optind - 1]);
		}
		if (r < 0)
			return r;
	}
	if (watch_only && cli.action != CLI_WATCH)
		return fail(err, errlen, "%s is an option of 'whosock watch'", watch_only);
	if (cli.action == CLI_WATCH) {
		if (cli.format == OUTPUT_JSON || cli.format == OUTPUT_CSV)
			return fail(err, errlen, "whosock watch prints table or ndjson");
		if (no_owners)
			return fail(err, errlen, "whosock watch always looks for owners");
		if (f->states)
			return fail(err, errlen, "whosock watch chooses the states itself "
				    "(listening; with --connections also connected)");
		if (f->protos & (WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) |
				 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX)))
			return fail(err, errlen, "whosock watch follows TCP and UDP sockets, not RAW "
				    "(-w) or UNIX (-x)");
		if (cli.opt.source != WHOSOCK_SOURCE_AUTO)
			return fail(err, errlen, "whosock watch always reads netlink (no --source)");
	}
	if (optind < argc) {
		r = parse_query(argv[optind++], f, err, errlen);
		if (r < 0)
			return r;
		cli.query = 1;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%.40s' (try --help)", argv[optind]);
	if (cli.opt.host_only && f->netns)
		return fail(err, errlen, "--host-only cannot be used with --netns");
	if (no_owners) {
		if (f->pid || f->uid_set || f->comm || f->cmdline || f->container)
			return fail(err, errlen, "--no-owners cannot be used with --pid, --user, --comm, "
				    "--cmdline or --container");
		cli.opt.want = 0;
	}
	if (cli.extended || cli.format == OUTPUT_JSON || cli.format == OUTPUT_NDJSON ||
	    cli.format == OUTPUT_CSV)
		cli.opt.want |= no_owners ? 0 : WHOSOCK_WANT_PROCESS;
	if (cli.format == OUTPUT_JSON || cli.format == OUTPUT_NDJSON)
		cli.opt.want |= WHOSOCK_WANT_TCP_INFO;
	/* --pid shows every socket the process holds, of every kind. */
	if (!f->protos)
		f->protos = f->pid ? WHOSOCK_PROTOS_ALL : WHOSOCK_PROTOS_INET;
	/* -4/-6 narrow the inet families; sockets of other families asked
	 * for (-x, -0, ...) stay. */
	if (families)
		f->families = families | 1u << AF_UNIX | 1u << AF_PACKET | 1u << AF_NETLINK;
	*out = cli;
	return 0;
}
