/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"

enum {
	OPT_STATE = 0x100,
	OPT_PORT,
	OPT_NO_HEADER,
	OPT_SOURCE,
};

/* Each option is documented where it is declared; cli_help() prints the same. */
static const struct option long_options[] = {
	{ "tcp", no_argument, NULL, 't' },          /* TCP sockets */
	{ "udp", no_argument, NULL, 'u' },          /* UDP and UDP-Lite sockets */
	{ "raw", no_argument, NULL, 'w' },          /* RAW sockets */
	{ "unix", no_argument, NULL, 'x' },         /* UNIX sockets */
	{ "listening", no_argument, NULL, 'l' },    /* LISTEN and unconnected (UNCONN) only */
	{ "ipv4", no_argument, NULL, '4' },         /* IPv4 only */
	{ "ipv6", no_argument, NULL, '6' },         /* IPv6 only */
	{ "state", required_argument, NULL, OPT_STATE },   /* NAME[,NAME...] */
	{ "port", required_argument, NULL, OPT_PORT },     /* local or remote port */
	{ "output", required_argument, NULL, 'o' },        /* table|json|ndjson|csv */
	{ "no-header", no_argument, NULL, OPT_NO_HEADER }, /* no header line */
	{ "source", required_argument, NULL, OPT_SOURCE }, /* auto|netlink|proc */
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void cli_help(FILE *f)
{
	fputs("Usage: whosock [OPTIONS]\n"
	      "List every socket on this machine.\n"
	      "\n"
	      "Protocols (combinable; default: every inet protocol):\n"
	      "  -t, --tcp            TCP sockets\n"
	      "  -u, --udp            UDP and UDP-Lite sockets\n"
	      "  -w, --raw            RAW sockets\n"
	      "  -x, --unix           UNIX sockets (stream, dgram, seqpacket)\n"
	      "\n"
	      "Filters:\n"
	      "  -l, --listening      listening sockets only (LISTEN, and UNCONN for UDP/RAW/UNIX)\n"
	      "  -4, --ipv4           IPv4 only\n"
	      "  -6, --ipv6           IPv6 only\n"
	      "      --state NAME     sockets in this state; a comma-separated list or repeated\n"
	      "                       (listen, established, time-wait, unconn, connected, ...)\n"
	      "      --port N         local or remote port N\n"
	      "\n"
	      "Output:\n"
	      "  -o, --output FORMAT  table (default), json, ndjson or csv\n"
	      "      --no-header      no header line in table and csv output\n"
	      "      --source SOURCE  auto (default: netlink, /proc/net where refused),\n"
	      "                       netlink or proc\n"
	      "  -h, --help           this help\n"
	      "  -V, --version        version\n"
	      "\n"
	      "Exit status: 0 success, 2 bad usage or failure.\n"
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
	if (r == 0 && *arg == '\0')
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

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
	struct cli cli = { .action = CLI_LIST, .format = OUTPUT_TABLE, .header = 1 };
	struct whosock_filter *f = &cli.opt.filter;
	unsigned families = 0;
	int c, r = 0;

	f->port = -1;
	opterr = 0; /* our own one-line messages */
	optind = 0; /* restart getopt (tests parse several command lines) */
	while ((c = getopt_long(argc, argv, ":tuwxl46o:hV", long_options, NULL)) != -1) {
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
		case 'h':
			cli.action = CLI_HELP;
			break;
		case 'V':
			cli.action = CLI_VERSION;
			break;
		case ':':
			return fail(err, errlen, "option '%.40s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt != '?')
				return fail(err, errlen, "unknown option '-%c' (try --help)", optopt);
			return fail(err, errlen, "unknown option '%.40s' (try --help)",
				    argv[optind - 1]);
		}
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%.40s' (try --help)", argv[optind]);
	if (!f->protos)
		f->protos = WHOSOCK_PROTOS_INET;
	/* -4/-6 narrow the inet families; UNIX sockets asked for with -x stay. */
	if (families)
		f->families = families | 1u << AF_UNIX;
	*out = cli;
	return 0;
}
