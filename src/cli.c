/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cli.h"
#include "cliexpr.h"
#include "textesc.h"

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

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Messages quote what the user typed: it goes through the terminal escaping
 * (a control byte shows as \xNN, as everywhere else). The templates hold no
 * byte that escaping changes. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	struct sbuf b = { 0 };
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (errlen == 0)
		return -EINVAL;
	esc_term(&b, text, strlen(text));
	if (b.failed || !b.data) {
		snprintf(err, errlen, "out of memory");
		sbuf_free(&b);
		return -ENOMEM;
	}
	snprintf(err, errlen, "%.*s", (int)b.len, b.data);
	sbuf_free(&b);
	return -EINVAL;
}

static int nomem(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* Append the size bytes at val to the array *arr_ptr (any object pointer)
 * of *n elements. */
static int append(void *arr_ptr, size_t *n, size_t size, const void *val)
{
	void *arr;

	memcpy(&arr, arr_ptr, sizeof(arr));
	arr = realloc(arr, (*n + 1) * size);
	if (!arr)
		return -ENOMEM;
	memcpy((char *)arr + *n * size, val, size);
	memcpy(arr_ptr, &arr, sizeof(arr));
	(*n)++;
	return 0;
}

/* A copy of s[0..len) kept by cli, appended to the string list *arr. */
static int append_string(struct cli *cli, const char ***arr, size_t *n, const char *s, size_t len)
{
	char *copy = strndup(s, len);

	if (!copy || append(&cli->strings, &cli->n_strings, sizeof(copy), &copy) < 0) {
		free(copy);
		return -ENOMEM;
	}
	if (append(arr, n, sizeof(copy), &copy) < 0)
		return -ENOMEM;
	return 0;
}

/* Plain decimal digits s[0..len): no sign, space or base prefix, at most
 * max. Returns 0 and *v, or -EINVAL. */
static int parse_decimal(const char *s, size_t len, unsigned long long max, unsigned long long *v)
{
	unsigned long long x = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (x > (max - (unsigned long long)(s[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (unsigned long long)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Call item(value, len) for each comma-separated value of arg; an empty one
 * (",", "a,,b", "") is an error naming the option. */
typedef int item_fn(struct cli *cli, const char *v, size_t len, char *err, size_t errlen);

static int each_item(struct cli *cli, const char *opt, const char *arg, item_fn *item, char *err,
		     size_t errlen)
{
	const char *p = arg;

	for (;;) {
		size_t len = strcspn(p, ",");
		int r;

		if (len == 0)
			return *arg ? fail(err, errlen, "empty value in %s '%.60s'", opt, arg)
				    : fail(err, errlen, "%s needs a value", opt);
		r = item(cli, p, len, err, errlen);
		if (r < 0)
			return r;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int state_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	char name[32];
	int st = -EINVAL;

	/* No state name is this long: it is unknown without looking. */
	if (len < sizeof(name)) {
		memcpy(name, v, len);
		name[len] = '\0';
		st = whosock_state_parse(name);
	}
	if (st < 0)
		return fail(err, errlen, "unknown state '%.*s' (try --help)", (int)(len < 40 ? len : 40),
			    v);
	cli->filter.states |= WHOSOCK_STATE_BIT(st);
	return 0;
}

/* A service name as /etc/services spells them: letters, digits, '-', '_',
 * '.', '+', '/' excluded (it separates the protocol), not all digits. */
static bool service_like(const char *v, size_t len)
{
	bool alpha = false;

	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '+'))
			return false;
		alpha |= c > '9';
	}
	return alpha;
}

/* A port number, or a service name (getservbyname: /etc/services) for the
 * protocol proto ("tcp", "udp"; NULL: any). */
static int parse_port(const char *v, size_t len, const char *proto, int *port, char *err,
		      size_t errlen)
{
	unsigned long long x;

	if (service_like(v, len)) {
		struct servent se, *res = NULL;
		char name[65], buf[1024];

		memcpy(name, v, len);
		name[len] = '\0';
		if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || !res)
			return fail(err, errlen, "unknown service '%s'%s%s: not in /etc/services",
				    name, proto ? " for " : "", proto ? proto : "");
		*port = ntohs((uint16_t)res->s_port);
		return 0;
	}
	if (parse_decimal(v, len, 65535, &x) < 0 || x == 0)
		return fail(err, errlen, "invalid port '%.*s': expected 1-65535 or a service name",
			    (int)(len < 40 ? len : 40), v);
	*port = (int)x;
	return 0;
}

static int port_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	int port;
	uint16_t p;

	if (parse_port(v, len, NULL, &port, err, errlen) < 0)
		return -EINVAL;
	p = (uint16_t)port;
	return append(&cli->ports, &cli->filter.n_ports, sizeof(p), &p) < 0 ? nomem(err, errlen)
										  : 0;
}

/* A pid must name a live process or thread: a thread stands for its process
 * (the thread group), as the library has it. */
static int pid_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	unsigned long long x;
	int pid, r;

	if (parse_decimal(v, len, 4194304, &x) < 0 || x == 0)
		return fail(err, errlen, "invalid pid '%.*s': expected a process or thread id",
			    (int)(len < 40 ? len : 40), v);
	r = whosock_pid_resolve(NULL, (int)x, &pid);
	if (r == -ESRCH)
		return fail(err, errlen, "no process or thread %llu (--pid)", x);
	if (r < 0)
		return fail(err, errlen, "cannot look up process %llu: %s", x, strerror(-r));
	return append(&cli->pids, &cli->filter.n_pids, sizeof(pid), &pid) < 0
		       ? nomem(err, errlen)
		       : 0;
}

static int user_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096], name[256];
	unsigned long long x;
	uint32_t uid;

	if (len < sizeof(name)) {
		memcpy(name, v, len);
		name[len] = '\0';
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0)
			res = NULL;
	}
	if (res)
		uid = res->pw_uid;
	else if (parse_decimal(v, len, UINT32_MAX - 1, &x) == 0)
		uid = (uint32_t)x;
	else
		return fail(err, errlen, "unknown user '%.*s'", (int)(len < 40 ? len : 40), v);
	return append(&cli->uids, &cli->filter.n_uids, sizeof(uid), &uid) < 0
		       ? nomem(err, errlen)
		       : 0;
}

static int comm_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	if (append_string(cli, &cli->comms, &cli->filter.n_comms, v, len) < 0)
		return nomem(err, errlen);
	return 0;
}

static int container_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	if (append_string(cli, &cli->containers, &cli->filter.n_containers, v, len) < 0)
		return nomem(err, errlen);
	return 0;
}

static int netns_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	unsigned long long x;
	char spec[256];
	uint64_t inode;
	int r;

	if (len >= sizeof(spec))
		return fail(err, errlen, "unknown network namespace '%.40s...'", v);
	memcpy(spec, v, len);
	spec[len] = '\0';
	/* pid:PID takes a plain number, as every other numeric value. */
	if (strncmp(spec, "pid:", 4) == 0 &&
	    (parse_decimal(spec + 4, len - 4, 4194304, &x) < 0 || x == 0))
		return fail(err, errlen, "invalid pid in network namespace '%.40s'", spec);
	r = whosock_netns_resolve(spec, &inode);
	if (r < 0)
		return fail(err, errlen, "unknown network namespace '%.40s': %s", spec, strerror(-r));
	return append(&cli->netns, &cli->filter.n_netns, sizeof(inode), &inode) < 0
		       ? nomem(err, errlen)
		       : 0;
}

int cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return fail(err, errlen, "%s", text);
}

int cli_owner_option(struct cli *cli, const char *option, const char *arg, char *err,
		     size_t errlen)
{
	static const struct {
		const char *name;
		item_fn *item;
	} options[] = { { "--pid", pid_item },   { "--user", user_item },
			{ "--comm", comm_item }, { "--container", container_item },
			{ "--netns", netns_item } };

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(option, options[i].name) == 0)
			return each_item(cli, option, arg, options[i].item, err, errlen);
	return fail(err, errlen, "unknown option '%.40s'", option);
}

/* A command line pattern: contained, or matching as an extended regex; an
 * invalid regex is refused with the compiler's reason. */
static int parse_cmdline(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	char why[128];
	regex_t re;
	int e;

	if (!*arg)
		return fail(err, errlen, "--cmdline needs a pattern");
	e = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
	if (e == REG_ESPACE)
		return nomem(err, errlen);
	if (e != 0) {
		regerror(e, &re, why, sizeof(why));
		return fail(err, errlen, "invalid --cmdline regex '%.60s': %s", arg, why);
	}
	regfree(&re);
	if (append_string(cli, &cli->cmdlines, &cli->filter.n_cmdlines, arg, strlen(arg)) < 0)
		return nomem(err, errlen);
	return 0;
}

static int parse_format(const char *arg, bool deps, enum output_format *fmt, char *err,
			size_t errlen)
{
	static const char *const names[] = { [OUTPUT_TABLE] = "table", [OUTPUT_JSON] = "json",
					     [OUTPUT_NDJSON] = "ndjson", [OUTPUT_CSV] = "csv",
					     [OUTPUT_DOT] = "dot" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0 && (deps || i != OUTPUT_DOT)) {
			*fmt = (enum output_format)i;
			return 0;
		}
	if (deps)
		return fail(err, errlen, "invalid output format '%.40s': expected table, json, "
			    "ndjson, csv or dot", arg);
	return fail(err, errlen, "invalid output format '%.40s': expected table, json, ndjson or csv%s",
		    arg, strcmp(arg, "dot") == 0 ? " (dot is for 'whosock deps')" : "");
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

static int parse_owners_from(const char *arg, enum whosock_owner_source *src, char *err,
			     size_t errlen)
{
	if (strcmp(arg, "auto") == 0)
		*src = WHOSOCK_OWNERS_AUTO;
	else if (strcmp(arg, "bpf") == 0)
		*src = WHOSOCK_OWNERS_BPF;
	else if (strcmp(arg, "proc") == 0)
		*src = WHOSOCK_OWNERS_PROC;
	else
		return fail(err, errlen, "invalid owner source '%.40s': expected auto, bpf or proc",
			    arg);
	return 0;
}

/* --sort KEY[,KEY...]: later keys break ties of earlier ones; given again,
 * the keys add up. */
static int parse_sort(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	static const char *const names[] = {
		[SORT_NETNS] = "netns", [SORT_PROTO] = "proto", [SORT_STATE] = "state",
		[SORT_PORT] = "port",   [SORT_RPORT] = "rport", [SORT_PID] = "pid",
		[SORT_QUEUES] = "queues", [SORT_INODE] = "inode",
	};
	const char *p = arg;

	do {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == len && strncasecmp(p, names[i], len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return fail(err, errlen, "unknown sort key '%.*s': expected netns, proto, state, "
				    "port, rport, pid, queues or inode", (int)(len > 40 ? 40 : len), p);
		if (cli->n_sort == CLI_MAX_SORT)
			return fail(err, errlen, "--sort: at most %d keys", CLI_MAX_SORT);
		cli->sort[cli->n_sort++] = (enum sort_key)i;
		p += len;
	} while (*p++ == ',');
	return 0;
}

/* --color[=WHEN]: alone it means always, as ls and grep have it. */
static int parse_color(const char *arg, enum color_mode *mode, char *err, size_t errlen)
{
	if (!arg || strcmp(arg, "always") == 0)
		*mode = COLOR_ALWAYS;
	else if (strcmp(arg, "auto") == 0)
		*mode = COLOR_AUTO;
	else if (strcmp(arg, "never") == 0)
		*mode = COLOR_NEVER;
	else
		return fail(err, errlen, "invalid --color '%.40s': expected auto, always or never", arg);
	return 0;
}

/* "1", "0.5", "1s", "250ms" → milliseconds: digits, an optional fraction,
 * an optional unit; nothing else (no sign, space, exponent or hex). */
static int parse_duration(const char *arg, long *ms, char *err, size_t errlen)
{
	size_t n_int = strspn(arg, "0123456789"), n_frac = 0;
	const char *unit = arg + n_int;
	unsigned long long whole, frac = 0;
	bool millis;

	if (*unit == '.') {
		n_frac = strspn(unit + 1, "0123456789");
		if (n_frac == 0)
			goto bad;
		unit += 1 + n_frac;
	}
	millis = strcmp(unit, "ms") == 0;
	if (n_int == 0 || (*unit && !millis && strcmp(unit, "s") != 0) ||
	    parse_decimal(arg, n_int, millis ? 86400000 : 86400, &whole) < 0)
		goto bad;
	/* The fraction's first three digits are milliseconds (of seconds). */
	for (size_t i = 0; !millis && i < 3; i++)
		frac = frac * 10 + (i < n_frac ? (unsigned long long)(arg[n_int + 1 + i] - '0') : 0);
	*ms = millis ? (long)whole : (long)(whole * 1000 + frac);
	if (*ms > 86400000)
		goto bad;
	return 0;
bad:
	return fail(err, errlen, "invalid duration '%.40s': expected seconds (1, 0.5, 2s) or "
		    "milliseconds (250ms), at most a day",
		    arg);
}

static int parse_count(const char *arg, long *n, char *err, size_t errlen)
{
	unsigned long long v;

	if (parse_decimal(arg, strlen(arg), LONG_MAX, &v) < 0 || v == 0)
		return fail(err, errlen, "invalid count '%.40s': expected a positive number", arg);
	*n = (long)v;
	return 0;
}

/* Why a.b.c.d-looking text is not an IPv4 address, for the message. */
static const char *ipv4_why(const char *addr, char *why, size_t len)
{
	const char *p = addr;
	int parts = 0;

	if (strchr(addr, ':'))
		return "an IPv6 address goes in brackets: [ADDR]:PORT";
	if (addr[strspn(addr, "0123456789.")] != '\0')
		return "host names are not resolved: give an IP address";
	for (;;) {
		size_t n = strspn(p, "0123456789");
		unsigned long long v;

		parts++;
		if (n == 0 || parts > 4)
			return "not a full dotted IPv4 address (four numbers, as in 127.0.0.1)";
		if (parse_decimal(p, n, 999, &v) < 0 || v > 255) {
			snprintf(why, len, "octet '%.*s' out of range (0-255)", (int)(n < 12 ? n : 12), p);
			return why;
		}
		if (n > 1 && p[0] == '0') {
			snprintf(why, len, "octet '%.*s' has a leading zero", (int)(n < 12 ? n : 12), p);
			return why;
		}
		p += n;
		if (*p == '\0')
			break;
		p++; /* '.' */
	}
	return parts == 4 ? "invalid IPv4 address"
			  : "not a full dotted IPv4 address (four numbers, as in 127.0.0.1)";
}

/* "[ADDR]:PORT[/PROTO]", "ADDR" or "[IPV6]" alone: ADDR empty or '*' (any),
 * IPv4, or IPv6 in brackets; PROTO in any case. */
/* [ADDR]:PORT[/PROTO] into *q, and the protocols its suffix names (0: none). */
static int parse_local(const char *arg, struct whosock_local *q, unsigned *protos_out, char *err,
		       size_t errlen)
{
	static const struct {
		const char *name;
		unsigned protos;
	} suffixes[] = {
		{ "tcp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) },
		{ "udp", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) },
		{ "udplite", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) },
		{ "raw", WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) },
	};
	char buf[128], why[64], *slash, *addr, *port = NULL;
	unsigned protos = 0;

	*q = (struct whosock_local){ 0 };
	*protos_out = 0;

	if (strlen(arg) >= sizeof(buf))
		return fail(err, errlen, "invalid address '%.40s...'", arg);
	strcpy(buf, arg);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (strcasecmp(slash, suffixes[i].name) == 0)
				protos = suffixes[i].protos;
		if (!protos)
			return fail(err, errlen, "invalid protocol '%.40s' in '%.40s': expected tcp, udp, "
				    "udplite or raw", slash, arg);
	}
	addr = buf;
	if (*addr == '[') {
		char *close = strchr(addr, ']');

		if (!close)
			return fail(err, errlen, "invalid address in '%.40s': no ']' after the IPv6 "
				    "address", arg);
		*close = '\0';
		addr++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return fail(err, errlen, "invalid argument '%.40s': expected [ADDR]:PORT", arg);
		if (inet_pton(AF_INET6, addr, q->addr) != 1)
			return fail(err, errlen, "invalid IPv6 address '%.50s' in '%.40s'", addr, arg);
		q->family = AF_INET6;
	} else {
		char *colon = strrchr(buf, ':');

		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		if (!port && addr[strspn(addr, "0123456789")] == '\0' && *addr)
			return fail(err, errlen, "invalid argument '%.40s': a port goes after a colon "
				    "(:%.10s)", arg, addr);
		if (*addr == '\0' || strcmp(addr, "*") == 0) {
			if (!port)
				return fail(err, errlen, "invalid argument '%.40s': expected "
					    "[ADDR]:PORT[/PROTO]", arg);
		} else if (inet_pton(AF_INET, addr, q->addr) == 1) {
			q->family = AF_INET;
		} else {
			return fail(err, errlen, "invalid address '%.50s' in '%.40s': %s", addr, arg,
				    ipv4_why(addr, why, sizeof(why)));
		}
	}
	/* A service name is looked up for the protocol asked for: "domain/udp". */
	if (port && parse_port(port, strlen(port),
			       protos == WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) ? "tcp"
			       : protos & WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) ? "udp" : NULL,
			       &q->port, err, errlen) < 0)
		return -EINVAL;
	*protos_out = protos;
	return 0;
}

static int parse_query(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	struct whosock_local q;
	unsigned protos;
	int r = parse_local(arg, &q, &protos, err, errlen);

	if (r < 0)
		return r;
	cli->filter.protos |= protos;
	if (append(&cli->locals, &cli->filter.n_locals, sizeof(q), &q) < 0)
		return nomem(err, errlen);
	return 0;
}

/* --service [ADDR]:PORT: the server side of deps (TCP and UDP alike). */
static int parse_service(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	struct whosock_local q;
	unsigned protos;
	int r = parse_local(arg, &q, &protos, err, errlen);

	if (r == 0 && !q.port)
		r = fail(err, errlen, "--service '%.40s': a port is needed", arg);
	if (r < 0)
		return r;
	if (append(&cli->services, &cli->n_services, sizeof(q), &q) < 0)
		return nomem(err, errlen);
	return 0;
}

static int parse_by(const char *arg, int *by, char *err, size_t errlen)
{
	static const char *const names[] = { "process", "user", "container", "netns" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			*by = (int)i; /* enum whosock_deps_by, in this order */
			return 0;
		}
	return fail(err, errlen, "invalid --by '%.40s': expected process, user, container or netns",
		    arg);
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

/* Whether the command line narrows the sockets beyond their kinds and
 * families (what -K needs). */
static bool selects(const struct cli *cli)
{
	const struct whosock_filter *f = &cli->filter;

	return cli->expr || f->states || f->n_ports || f->n_locals || f->n_netns || f->n_pids ||
	       f->n_uids || f->n_comms || f->n_cmdlines || f->n_containers;
}

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
		return fail(err, errlen, "ambiguous option '--%.*s' (could be %s)",
			    (int)(len < 40 ? len : 40), name, list);
	return fail(err, errlen, "unknown option '%.40s' (try --help)", arg);
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
	cli->ports = NULL;
	cli->netns = NULL;
	cli->pids = NULL;
	cli->uids = NULL;
	cli->comms = cli->cmdlines = cli->containers = NULL;
}

/* Sockets that have ports: a port filter or query with none of them asked
 * for matches nothing. */
#define PORT_PROTOS                                                                              \
	(WHOSOCK_PROTOS_INET | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP) |                         \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP))

/* The checks once every option is read. */
static int check(struct cli *cli, int no_owners, char *err, size_t errlen)
{
	struct whosock_filter *f = &cli->filter;

	if (cli->opt.host_only && f->n_netns)
		return fail(err, errlen, "--host-only cannot be used with --netns");
	if (no_owners && (f->n_pids || f->n_uids || f->n_comms || f->n_cmdlines || f->n_containers))
		return fail(err, errlen, "--no-owners cannot be used with --pid, --user, --comm, "
			    "--cmdline or --container");
	if (f->protos && !(f->protos & PORT_PROTOS) && (f->n_ports || f->n_locals))
		return fail(err, errlen, "%s selects sockets with ports, and only UNIX sockets (-x) "
			    "are asked for", f->n_ports ? "--port" : "a [ADDR]:PORT query");
	return 0;
}

/* The listing's own options: what they cannot be combined with. */
static int check_listing(const struct cli *cli, int no_owners, bool format_given, char *err,
			 size_t errlen)
{
	const char *listing_only = cli->summary ? "--summary" : cli->pids_only ? "--pids" :
				   cli->n_sort ? "--sort" : cli->resolve ? "--resolve" :
				   cli->info ? "--info" : cli->memory ? "--memory" : NULL;

	if (cli->action != CLI_LIST && listing_only)
		return fail(err, errlen, "%s is not an option of 'whosock %s'", listing_only,
			    cli->action == CLI_TOP ? "top" : cli->action == CLI_WATCH ? "watch" : "deps");
	if (cli->summary && cli->pids_only)
		return fail(err, errlen, "--summary and --pids cannot be used together");
	if (cli->pids_only && format_given)
		return fail(err, errlen, "--pids prints pids only (no --output)");
	if (cli->pids_only && no_owners)
		return fail(err, errlen, "--pids needs owners (no --no-owners)");
	if (cli->summary && (cli->format == OUTPUT_NDJSON || cli->format == OUTPUT_CSV))
		return fail(err, errlen, "--summary prints a table or json");
	if (cli->summary && cli->n_sort)
		return fail(err, errlen, "--summary has an order of its own (no --sort)");
	return 0;
}

/* whosock top's view names (--by), in enum whosock_meter_by's order. */
const char *const cli_by_names[] = { "process", "connection", "remote", "container", "user",
				     "netns", NULL };

/* --by VIEW[,VIEW...]: the first is the live view's, -o prints them all. */
static int parse_top_by(const char *arg, struct cli *cli, char *err, size_t errlen)
{
	const char *p = arg;

	cli->top_by_set = 0;
	do {
		size_t len = strcspn(p, ",");
		int i;

		for (i = 0; cli_by_names[i]; i++)
			if (strlen(cli_by_names[i]) == len && strncmp(p, cli_by_names[i], len) == 0)
				break;
		if (!cli_by_names[i])
			return fail(err, errlen, "invalid --by '%.40s': expected process, connection, "
				    "remote, container, user or netns (or several, with commas)", arg);
		if (!cli->top_by_set)
			cli->top_by = i;
		cli->top_by_set |= 1u << i;
		p += len;
	} while (*p++ == ',');
	return 0;
}

/* What whosock top cannot do. */
static int check_top(const struct cli *cli, int no_owners, bool source_given, char *err,
		     size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (no_owners)
		return fail(err, errlen, "whosock top always looks for owners");
	if (f->states)
		return fail(err, errlen, "whosock top chooses the states itself (every "
			    "connection and bound socket)");
	if (f->protos & ~(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
			  WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE)))
		return fail(err, errlen, "whosock top counts TCP (-t) and UDP (-u) sockets only");
	if (source_given)
		return fail(err, errlen, "whosock top always reads netlink (no --source or "
			    "--owners-from)");
	if (cli->delay_ms && cli->format != OUTPUT_TABLE)
		return fail(err, errlen, "--delay is the live view's: with --output, use --interval");
	if (cli->header == 0 && cli->format != OUTPUT_CSV)
		return fail(err, errlen, "--no-header goes with -o csv in whosock top");
	return 0;
}

/* A value option given twice: one value makes sense, not a union. */
static int once(const char **seen, const char *name, char *err, size_t errlen)
{
	if (*seen)
		return fail(err, errlen, "%s given twice", name);
	*seen = name;
	return 0;
}

/* A serve option's text, copied into cli->strings. */
static int serve_string(struct cli *cli, int c, const char *arg, char *err, size_t errlen)
{
	const char **dst = c == OPT_LISTEN ? &cli->listen : c == OPT_TEXTFILE ? &cli->textfile
			   : &cli->web_config;
	char *copy;

	if (*dst)
		return fail(err, errlen, "%s given twice", c == OPT_LISTEN ? "--listen"
			    : c == OPT_TEXTFILE ? "--textfile" : "--web.config.file");
	if (!*arg)
		return fail(err, errlen, "%s needs a value", c == OPT_LISTEN ? "--listen"
			    : c == OPT_TEXTFILE ? "--textfile" : "--web.config.file");
	copy = strdup(arg);
	if (!copy || append(&cli->strings, &cli->n_strings, sizeof(copy), &copy) < 0) {
		free(copy);
		return nomem(err, errlen);
	}
	*dst = copy;
	return 0;
}

static int serve_number(struct cli *cli, int c, const char *arg, char *err, size_t errlen)
{
	const char *name = c == OPT_MAX_SERIES ? "--max-series" : c == OPT_MAX_CONNECTIONS
			   ? "--max-connections" : "--request-timeout";
	unsigned long long min = c == OPT_MAX_SERIES ? 2 : 1,
			   max = c == OPT_MAX_SERIES ? 1000000 : c == OPT_MAX_CONNECTIONS ? 1000
			   : 3600, v;

	if (parse_decimal(arg, strlen(arg), max, &v) < 0 || v < min)
		return fail(err, errlen, "%s takes a number from %llu to %llu, not '%.40s'", name,
			    min, max, arg);
	if (c == OPT_MAX_SERIES)
		cli->max_series = (unsigned)v;
	else if (c == OPT_MAX_CONNECTIONS)
		cli->max_connections = (unsigned)v;
	else
		cli->request_timeout_s = (unsigned)v;
	return 0;
}

/* whosock serve takes its filters per request (query parameters): on the
 * command line only --host-only and its own options. */
static int check_serve(struct cli *cli, int argc, char **argv, int no_owners, unsigned families,
		       bool format_given, char *err, size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (optind < argc)
		return fail(err, errlen, "whosock serve takes no arguments (filters are query "
			    "parameters of /api/v1/sockets): '%.40s'", argv[optind]);
	if (f->protos || f->states || f->n_ports || f->n_pids || f->n_uids || f->n_comms ||
	    f->n_cmdlines || f->n_containers || f->n_netns || families || no_owners ||
	    format_given || cli->kill || cli->summary || cli->pids_only || cli->n_sort ||
	    cli->info || cli->memory || cli->resolve || cli->extended || cli->connections ||
	    cli->count || cli->timeout_ms || cli->opt.source != WHOSOCK_SOURCE_AUTO)
		return fail(err, errlen, "whosock serve takes only --listen, --web.config.file, "
			    "--textfile, --interval, --expose-cmdline, --max-series, "
			    "--max-connections, --request-timeout, --host-only and --no-bpf "
			    "(filters are query parameters of /api/v1/sockets)");
	if (!cli->interval_ms)
		cli->interval_ms = 15000;
	if (!cli->max_series)
		cli->max_series = 2000;
	if (!cli->max_connections)
		cli->max_connections = 64;
	if (!cli->request_timeout_s)
		cli->request_timeout_s = 10;
	cli->opt.want = WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS;
	return 0;
}

static int parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen)
{
	struct whosock_filter *f = &cli->filter;
	const char *watch_only = NULL, *serve_only = NULL, *seen_format = NULL, *seen_source = NULL,
		   *seen_owners_from = NULL;
	const char *seen_interval = NULL, *seen_count = NULL, *seen_timeout = NULL;
	const char *seen_delay = NULL, *top_only = NULL;
	const char *deps_only = NULL, *seen_duration = NULL, *seen_by = NULL;
	unsigned families = 0;
	int c, r = 0, no_owners = 0;

	opterr = 0; /* our own one-line messages */
	optind = 0; /* restart getopt (tests parse several command lines) */
	cli->opt.want = WHOSOCK_WANT_OWNERS;
	if (argc > 1 && strcmp(argv[1], "capture") == 0) {
		cli->action = CLI_CAPTURE;
		return cli_capture_parse(cli, argc - 1, argv + 1, err, errlen);
	}
	/* "whosock watch ...": the same options plus the watch ones. */
	if (argc > 1 && (strcmp(argv[1], "watch") == 0 || strcmp(argv[1], "deps") == 0)) {
		cli->action = strcmp(argv[1], "watch") == 0 ? CLI_WATCH : CLI_DEPS;
		argv++;
		argc--;
	} else if (argc > 1 && strcmp(argv[1], "top") == 0) {
		cli->action = CLI_TOP;
		argv++;
		argc--;
	} else if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		cli->action = CLI_SERVE;
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
			r = each_item(cli, "--state", optarg, state_item, err, errlen);
			break;
		case OPT_PORT:
			r = each_item(cli, "--port", optarg, port_item, err, errlen);
			break;
		case 'o':
			r = once(&seen_format, "--output", err, errlen);
			if (r == 0)
				r = parse_format(optarg, cli->action == CLI_DEPS, &cli->format, err,
						 errlen);
			break;
		case OPT_NO_HEADER:
			cli->header = 0;
			break;
		case OPT_SOURCE:
			r = once(&seen_source, "--source", err, errlen);
			if (r == 0)
				r = parse_source(optarg, &cli->opt.source, err, errlen);
			break;
		case OPT_OWNERS_FROM:
			r = once(&seen_owners_from, "--owners-from", err, errlen);
			if (r == 0)
				r = parse_owners_from(optarg, &cli->opt.owner_source, err, errlen);
			break;
		case 'e':
			cli->extended = 1;
			break;
		case 'p': /* owners are shown anyway */
		case 'a': /* every state is listed anyway */
			break;
		case 'n':
			cli->resolve = 0;
			break;
		case 'r':
			cli->resolve = 1;
			break;
		case 'H':
			cli->header = 0;
			break;
		case 'i':
			cli->info = 1;
			break;
		case 'm':
			cli->memory = 1;
			break;
		case 's':
			cli->summary = 1;
			break;
		case OPT_TIMING:
			cli->timing = 1;
			break;
		case OPT_PIDS:
			cli->pids_only = 1;
			break;
		case OPT_SORT:
			r = parse_sort(cli, optarg, err, errlen);
			break;
		case OPT_COLOR:
			r = parse_color(optarg, &cli->color_mode, err, errlen);
			break;
		case OPT_PID:
			r = each_item(cli, "--pid", optarg, pid_item, err, errlen);
			break;
		case OPT_USER:
			r = each_item(cli, "--user", optarg, user_item, err, errlen);
			break;
		case OPT_COMM:
			r = each_item(cli, "--comm", optarg, comm_item, err, errlen);
			break;
		case OPT_CMDLINE:
			r = parse_cmdline(cli, optarg, err, errlen);
			break;
		case OPT_NO_OWNERS:
			no_owners = 1;
			break;
		case OPT_NO_BPF:
			cli->opt.flags |= WHOSOCK_FLAG_NO_BPF;
			break;
		case OPT_HOST_ONLY:
			cli->opt.host_only = true;
			break;
		case OPT_CONTAINER:
			r = each_item(cli, "--container", optarg, container_item, err, errlen);
			break;
		case OPT_CONNECTIONS:
			cli->connections = 1;
			watch_only = "--connections";
			break;
		case OPT_INTERVAL: {
			long ms = 0;

			r = once(&seen_interval, "--interval", err, errlen);
			if (r == 0)
				r = parse_duration(optarg, &ms, err, errlen);
			if (r == 0 && ms < 100)
				r = fail(err, errlen, "--interval must be at least 100 ms");
			cli->interval_ms = (unsigned)ms;
			if (cli->action != CLI_DEPS)
				watch_only = "--interval";
			break;
		}
		case OPT_DURATION:
			r = once(&seen_duration, "--duration", err, errlen);
			if (r == 0)
				r = parse_duration(optarg, &cli->duration_ms, err, errlen);
			if (r == 0 && cli->duration_ms == 0)
				r = fail(err, errlen, "--duration must be more than 0");
			deps_only = "--duration";
			break;
		case OPT_BY:
			r = once(&seen_by, "--by", err, errlen);
			if (r == 0 && cli->action == CLI_TOP)
				r = parse_top_by(optarg, cli, err, errlen);
			else if (r == 0)
				r = parse_by(optarg, &cli->deps_by, err, errlen);
			if (cli->action != CLI_TOP)
				deps_only = "--by";
			break;
		case OPT_SERVICE:
			r = parse_service(cli, optarg, err, errlen);
			deps_only = "--service";
			break;
		case OPT_EXCLUDE_LOOPBACK:
			cli->exclude_loopback = 1;
			deps_only = "--exclude-loopback";
			break;
		case OPT_COUNT:
			r = once(&seen_count, "--count", err, errlen);
			if (r == 0)
				r = parse_count(optarg, &cli->count, err, errlen);
			watch_only = "--count";
			break;
		case OPT_TIMEOUT:
			r = once(&seen_timeout, "--timeout", err, errlen);
			if (r == 0)
				r = parse_duration(optarg, &cli->timeout_ms, err, errlen);
			if (r == 0 && cli->timeout_ms == 0)
				r = fail(err, errlen, "--timeout must be more than 0");
			watch_only = "--timeout";
			break;
		case OPT_NETNS:
			r = each_item(cli, "--netns", optarg, netns_item, err, errlen);
			break;
		case 'd': {
			long ms = 0;

			r = once(&seen_delay, "--delay", err, errlen);
			if (r == 0)
				r = parse_duration(optarg, &ms, err, errlen);
			if (r == 0 && ms < 100)
				r = fail(err, errlen, "--delay must be at least 100 ms");
			cli->delay_ms = (unsigned)ms;
			top_only = "--delay";
			break;
		}
		case 'b': /* the last of -b and --bits counts */
			cli->bits = 0;
			top_only = "--bytes";
			break;
		case OPT_BITS:
			cli->bits = 1;
			top_only = "--bits";
			break;
		case 'K':
			cli->kill = 1;
			break;
		case OPT_DRY_RUN:
			cli->dry_run = 1;
			break;
		case OPT_LISTEN:
		case OPT_WEB_CONFIG:
		case OPT_TEXTFILE:
			r = serve_string(cli, c, optarg, err, errlen);
			serve_only = c == OPT_LISTEN ? "--listen" : c == OPT_TEXTFILE ? "--textfile"
				   : "--web.config.file";
			break;
		case OPT_EXPOSE_CMDLINE:
			cli->expose_cmdline = 1;
			serve_only = "--expose-cmdline";
			break;
		case OPT_MAX_SERIES:
		case OPT_MAX_CONNECTIONS:
		case OPT_REQUEST_TIMEOUT:
			r = serve_number(cli, c, optarg, err, errlen);
			serve_only = c == OPT_MAX_SERIES ? "--max-series" : c == OPT_MAX_CONNECTIONS
				   ? "--max-connections" : "--request-timeout";
			break;
		case 'h':
			cli->action = CLI_HELP;
			break;
		case 'V':
			cli->action = CLI_VERSION;
			break;
		case ':':
			return fail(err, errlen, "option '%.40s' needs a value", argv[optind - 1]);
		default:
			/* getopt_long sets optopt to the letter of an unknown short
			 * option, to the code of a long option given a value it does
			 * not take, and to 0 for an unknown or ambiguous long option. */
			if (optopt >= 0x100 || (optopt > 0 && strchr(SHORT_OPTIONS, optopt)))
				return fail(err, errlen, "option '%.40s' takes no value",
					    argv[optind - 1]);
			if (optopt)
				return fail(err, errlen, "unknown option '-%c' (try --help)", optopt);
			return unknown_long(argv[optind - 1], err, errlen);
		}
		if (r < 0)
			return r;
	}
	if (cli->action == CLI_SERVE && watch_only && strcmp(watch_only, "--interval") == 0)
		watch_only = NULL; /* serve's snapshots and textfile */
	if (watch_only && cli->action == CLI_TOP && strcmp(watch_only, "--connections") == 0)
		return fail(err, errlen, "whosock top always counts connections (no --connections)");
	if (watch_only && cli->action != CLI_WATCH && cli->action != CLI_TOP)
		return fail(err, errlen, "%s is an option of 'whosock watch'", watch_only);
	if (top_only && cli->action != CLI_TOP)
		return fail(err, errlen, "%s is an option of 'whosock top'", top_only);
	if (deps_only && strcmp(deps_only, "--by") == 0 && cli->action != CLI_DEPS)
		return fail(err, errlen, "--by is an option of 'whosock top' and 'whosock deps'");
	if (deps_only && cli->action != CLI_DEPS)
		return fail(err, errlen, "%s is an option of 'whosock deps'", deps_only);
	if (serve_only && cli->action != CLI_SERVE)
		return fail(err, errlen, "%s is an option of 'whosock serve'", serve_only);
	if (cli->action == CLI_SERVE)
		return check_serve(cli, argc, argv, no_owners, families, seen_format != NULL, err,
				   errlen);
	r = check_listing(cli, no_owners, seen_format != NULL, err, errlen);
	if (r < 0)
		return r;
	if (cli->action == CLI_TOP) {
		r = check_top(cli, no_owners, seen_source || seen_owners_from, err, errlen);
		if (r < 0)
			return r;
	}
	if (cli->action == CLI_DEPS) {
		if (no_owners)
			return fail(err, errlen, "whosock deps always looks for owners");
		if (f->states)
			return fail(err, errlen, "whosock deps follows connections (no states)");
		if (f->protos & ~(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				  WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				  WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE)))
			return fail(err, errlen, "whosock deps follows TCP and UDP connections (-t, -u)");
		if (cli->opt.source != WHOSOCK_SOURCE_AUTO || seen_owners_from)
			return fail(err, errlen, "whosock deps always reads netlink (no --source, "
				    "--owners-from)");
	}
	if (cli->action == CLI_WATCH) {
		if (cli->format == OUTPUT_JSON || cli->format == OUTPUT_CSV)
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
		if (cli->opt.source != WHOSOCK_SOURCE_AUTO)
			return fail(err, errlen, "whosock watch always reads netlink (no --source)");
		if (seen_owners_from)
			return fail(err, errlen, "--owners-from is not an option of 'whosock watch'");
	}
	if ((cli->opt.flags & WHOSOCK_FLAG_NO_BPF) && cli->opt.owner_source == WHOSOCK_OWNERS_BPF)
		return fail(err, errlen, "--no-bpf and --owners-from bpf contradict each other");
	/* [ADDR]:PORT queries: repeated, a union; then an expression. */
	for (; optind < argc && !cliexpr_starts(argv[optind]); optind++) {
		r = parse_query(cli, argv[optind], err, errlen);
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
	if (cli->dry_run && !cli->kill)
		return fail(err, errlen, "--dry-run goes with -K/--kill");
	if (cli->kill && cli->action != CLI_LIST)
		return fail(err, errlen, "whosock %s does not destroy sockets (no -K)",
			    cli->action == CLI_TOP ? "top" : cli->action == CLI_WATCH ? "watch" : "deps");
	if (cli->action == CLI_DEPS && (cli->query || cli->expr))
		return fail(err, errlen, "whosock deps takes no [ADDR]:PORT or expression (the "
			    "server side: --service ADDR:PORT)");
	if (cli->kill && !selects(cli))
		return fail(err, errlen, "-K/--kill needs a filter (an expression, [ADDR]:PORT, --port, "
			    "--state, -l, --pid, --user, --comm, --cmdline, --container or --netns): "
			    "it would destroy every socket");
	r = check(cli, no_owners, err, errlen);
	if (r < 0)
		return r;
	if (no_owners)
		cli->opt.want = 0;
	if (cli->extended || cli->format == OUTPUT_JSON || cli->format == OUTPUT_NDJSON ||
	    cli->format == OUTPUT_CSV)
		cli->opt.want |= no_owners ? 0 : WHOSOCK_WANT_PROCESS;
	if (cli->format == OUTPUT_JSON || cli->format == OUTPUT_NDJSON)
		cli->opt.want |= WHOSOCK_WANT_TCP_INFO | WHOSOCK_WANT_MEMINFO;
	/* (The table's and CSV's columns; JSON has them always.) */
	if (cli->info)
		cli->opt.want |= WHOSOCK_WANT_TCP_INFO;
	if (cli->memory)
		cli->opt.want |= WHOSOCK_WANT_MEMINFO;
	/* The summary counts containers: the owners' cgroups. */
	if (cli->summary && !no_owners)
		cli->opt.want |= WHOSOCK_WANT_PROCESS;
	/* --pid shows every socket the process holds, of every kind. */
	if (!f->protos)
		f->protos = f->n_pids ? WHOSOCK_PROTOS_ALL : WHOSOCK_PROTOS_INET;
	/* -4/-6 narrow the inet families; sockets of other families asked
	 * for (-x, -0, ...) stay. */
	if (families)
		f->families = families | 1u << AF_UNIX | 1u << AF_PACKET | 1u << AF_NETLINK;
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
