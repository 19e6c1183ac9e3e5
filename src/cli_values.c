/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line's values: one option argument (a number, a duration, a
 * port, [ADDR]:PORT, a format, sort keys, kinds, --by) into what struct cli
 * holds, or a message that quotes it (see cli_int.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cli_int.h"
#include "textesc.h"
#include "whosock/deps.h"

/* Messages quote what the user typed: it goes through the terminal escaping
 * (a control byte shows as \xNN, as everywhere else). The templates hold no
 * byte that escaping changes. */
int cli_fail(char *err, size_t errlen, const char *fmt, ...)
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

int cli_nomem(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int cli_parse_decimal(const char *s, size_t len, unsigned long long max, unsigned long long *v)
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

int cli_parse_number(const char *name, const char *arg, unsigned long long min,
		     unsigned long long max, unsigned *out, char *err, size_t errlen)
{
	unsigned long long v;

	if (cli_parse_decimal(arg, strlen(arg), max, &v) < 0 || v < min)
		return cli_fail(err, errlen, "%s takes a number from %llu to %llu, not '%.40s'", name,
				min, max, arg);
	*out = (unsigned)v;
	return 0;
}

/* Digits, an optional fraction, an optional unit; nothing else (no sign,
 * space, exponent or hex). */
int cli_parse_duration(const char *arg, long *ms, char *err, size_t errlen)
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
	    cli_parse_decimal(arg, n_int, millis ? 86400000 : 86400, &whole) < 0)
		goto bad;
	/* The fraction's first three digits are milliseconds (of seconds). */
	for (size_t i = 0; !millis && i < 3; i++)
		frac = frac * 10 + (i < n_frac ? (unsigned long long)(arg[n_int + 1 + i] - '0') : 0);
	*ms = millis ? (long)whole : (long)(whole * 1000 + frac);
	if (*ms > 86400000)
		goto bad;
	return 0;
bad:
	return cli_fail(err, errlen, "invalid duration '%.40s': expected seconds (1, 0.5, 2s) or "
			"milliseconds (250ms), at most a day",
			arg);
}

int cli_parse_count(const char *arg, long *n, char *err, size_t errlen)
{
	unsigned long long v;

	if (cli_parse_decimal(arg, strlen(arg), LONG_MAX, &v) < 0 || v == 0)
		return cli_fail(err, errlen, "invalid count '%.40s': expected a positive number", arg);
	*n = (long)v;
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

int cli_parse_port(const char *v, size_t len, const char *proto, int *port, char *err,
		   size_t errlen)
{
	unsigned long long x;

	if (service_like(v, len)) {
		struct servent se, *res = NULL;
		char name[65], buf[1024];

		memcpy(name, v, len);
		name[len] = '\0';
		if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || !res)
			return cli_fail(err, errlen, "unknown service '%s'%s%s: not in /etc/services",
					name, proto ? " for " : "", proto ? proto : "");
		*port = ntohs((uint16_t)res->s_port);
		return 0;
	}
	if (cli_parse_decimal(v, len, 65535, &x) < 0 || x == 0)
		return cli_fail(err, errlen, "invalid port '%.*s': expected 1-65535 or a service name",
				(int)(len < 40 ? len : 40), v);
	*port = (int)x;
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
		if (cli_parse_decimal(p, n, 999, &v) < 0 || v > 255) {
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
int cli_parse_local(const char *arg, struct whosock_local *q, unsigned *protos_out, char *err,
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
		return cli_fail(err, errlen, "invalid address '%.40s...'", arg);
	strcpy(buf, arg);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (strcasecmp(slash, suffixes[i].name) == 0)
				protos = suffixes[i].protos;
		if (!protos)
			return cli_fail(err, errlen, "invalid protocol '%.40s' in '%.40s': expected tcp, "
					"udp, udplite or raw", slash, arg);
	}
	addr = buf;
	if (*addr == '[') {
		char *close = strchr(addr, ']');

		if (!close)
			return cli_fail(err, errlen, "invalid address in '%.40s': no ']' after the IPv6 "
					"address", arg);
		*close = '\0';
		addr++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return cli_fail(err, errlen, "invalid argument '%.40s': expected [ADDR]:PORT",
					arg);
		if (inet_pton(AF_INET6, addr, q->addr) != 1)
			return cli_fail(err, errlen, "invalid IPv6 address '%.50s' in '%.40s'", addr, arg);
		q->family = AF_INET6;
	} else {
		char *colon = strrchr(buf, ':');

		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		if (!port && addr[strspn(addr, "0123456789")] == '\0' && *addr)
			return cli_fail(err, errlen, "invalid argument '%.40s': a port goes after a colon "
					"(:%.10s)", arg, addr);
		if (*addr == '\0' || strcmp(addr, "*") == 0) {
			if (!port)
				return cli_fail(err, errlen, "invalid argument '%.40s': expected "
						"[ADDR]:PORT[/PROTO]", arg);
		} else if (inet_pton(AF_INET, addr, q->addr) == 1) {
			q->family = AF_INET;
		} else {
			return cli_fail(err, errlen, "invalid address '%.50s' in '%.40s': %s", addr, arg,
					ipv4_why(addr, why, sizeof(why)));
		}
	}
	/* A service name is looked up for the protocol asked for: "domain/udp". */
	if (port && cli_parse_port(port, strlen(port),
				   protos == WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) ? "tcp"
				   : protos & WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) ? "udp" : NULL,
				   &q->port, err, errlen) < 0)
		return -EINVAL;
	*protos_out = protos;
	return 0;
}

/* The index of arg in names[0..n) (entries may be NULL), or -1. */
/* The index in names (n of them; NULL gaps never match) of the word p[0..len),
 * in any case with nocase, or -1. */
static int word_index_n(const char *p, size_t len, const char *const *names, size_t n,
			bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len &&
		    (nocase ? strncasecmp(p, names[i], len) : strncmp(p, names[i], len)) == 0)
			return (int)i;
	return -1;
}

#define N_NAMES(names) (sizeof(names) / sizeof(names[0]))
#define WORD_INDEX(arg, names) word_index_n(arg, strlen(arg), names, N_NAMES(names), false)

int cli_parse_format(const char *arg, bool deps, enum output_format *fmt, char *err,
		     size_t errlen)
{
	static const char *const names[] = { [OUTPUT_TABLE] = "table", [OUTPUT_JSON] = "json",
					     [OUTPUT_NDJSON] = "ndjson", [OUTPUT_CSV] = "csv",
					     [OUTPUT_DOT] = "dot" };
	int i = WORD_INDEX(arg, names);

	if (i >= 0 && (deps || i != OUTPUT_DOT)) {
		*fmt = (enum output_format)i;
		return 0;
	}
	if (deps)
		return cli_fail(err, errlen, "invalid output format '%.40s': expected table, json, "
				"ndjson, csv or dot", arg);
	return cli_fail(err, errlen, "invalid output format '%.40s': expected table, json, ndjson "
			"or csv%s", arg, strcmp(arg, "dot") == 0 ? " (dot is for 'whosock deps')" : "");
}

int cli_parse_source(const char *arg, enum whosock_source *src, char *err, size_t errlen)
{
	static const char *const names[] = { [WHOSOCK_SOURCE_AUTO] = "auto",
					     [WHOSOCK_SOURCE_NETLINK] = "netlink",
					     [WHOSOCK_SOURCE_PROC] = "proc" };
	int i = WORD_INDEX(arg, names);

	if (i < 0)
		return cli_fail(err, errlen, "invalid source '%.40s': expected auto, netlink or proc",
				arg);
	*src = (enum whosock_source)i;
	return 0;
}

int cli_parse_owners_from(const char *arg, enum whosock_owner_source *src, char *err,
			  size_t errlen)
{
	static const char *const names[] = { [WHOSOCK_OWNERS_AUTO] = "auto",
					     [WHOSOCK_OWNERS_BPF] = "bpf",
					     [WHOSOCK_OWNERS_PROC] = "proc" };
	int i = WORD_INDEX(arg, names);

	if (i < 0)
		return cli_fail(err, errlen, "invalid owner source '%.40s': expected auto, bpf or "
				"proc", arg);
	*src = (enum whosock_owner_source)i;
	return 0;
}

/* Alone, --color means always, as ls and grep have it. */
int cli_parse_color(const char *arg, enum color_mode *mode, char *err, size_t errlen)
{
	static const char *const names[] = { [COLOR_AUTO] = "auto", [COLOR_ALWAYS] = "always",
					     [COLOR_NEVER] = "never" };
	int i = arg ? WORD_INDEX(arg, names) : COLOR_ALWAYS;

	if (i < 0)
		return cli_fail(err, errlen, "invalid --color '%.40s': expected auto, always or never",
				arg);
	*mode = (enum color_mode)i;
	return 0;
}

/* Later keys break ties of earlier ones; given again, the keys add up. */
int cli_parse_sort(const char *arg, enum sort_key *sort, size_t *n, char *err, size_t errlen)
{
	static const char *const names[] = {
		[SORT_NETNS] = "netns", [SORT_PROTO] = "proto", [SORT_STATE] = "state",
		[SORT_PORT] = "port",   [SORT_RPORT] = "rport", [SORT_PID] = "pid",
		[SORT_QUEUES] = "queues", [SORT_INODE] = "inode",
	};
	const char *p = arg;

	do {
		size_t len = strcspn(p, ",");
		int i = word_index_n(p, len, names, N_NAMES(names), true);

		if (i < 0)
			return cli_fail(err, errlen, "unknown sort key '%.*s': expected netns, proto, "
					"state, port, rport, pid, queues or inode",
					(int)(len > 40 ? 40 : len), p);
		if (*n == CLI_MAX_SORT)
			return cli_fail(err, errlen, "--sort: at most %d keys", CLI_MAX_SORT);
		sort[(*n)++] = (enum sort_key)i;
		p += len;
	} while (*p++ == ',');
	return 0;
}

/* As ss -A takes them. */
int cli_parse_query_kinds(const char *arg, unsigned *protos, char *err, size_t errlen)
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
			return cli_fail(err, errlen, "unknown socket kind '%.*s' in -A: expected all, "
					"inet, tcp, udp, udplite, raw, mptcp, sctp, unix, packet, "
					"netlink, vsock, xdp or other", (int)(len > 40 ? 40 : len), p);
		bits |= kinds[i].bits;
		p += len;
	} while (*p++ == ',');
	*protos |= bits;
	return 0;
}

/* whosock top's view names (--by), in enum whosock_meter_by's order. */
const char *const cli_by_names[] = { "process", "connection", "remote", "container", "user",
				     "netns", NULL };

/* The first view is the live view's, -o prints them all. */
int cli_parse_top_by(const char *arg, int *by, unsigned *set, char *err, size_t errlen)
{
	const char *p = arg;

	*set = 0;
	do {
		size_t len = strcspn(p, ",");
		/* (Less its NULL end.) */
		int i = word_index_n(p, len, cli_by_names, N_NAMES(cli_by_names) - 1, false);

		if (i < 0)
			return cli_fail(err, errlen, "invalid --by '%.40s': expected process, "
					"connection, remote, container, user or netns (or several, "
					"with commas)", arg);
		if (!*set)
			*by = i;
		*set |= 1u << i;
		p += len;
	} while (*p++ == ',');
	return 0;
}

int cli_parse_deps_by(const char *arg, int *by, char *err, size_t errlen)
{
	static const char *const names[] = { [WHOSOCK_DEPS_BY_PROCESS] = "process",
					     [WHOSOCK_DEPS_BY_USER] = "user",
					     [WHOSOCK_DEPS_BY_CONTAINER] = "container",
					     [WHOSOCK_DEPS_BY_NETNS] = "netns" };
	int i = WORD_INDEX(arg, names);

	if (i < 0)
		return cli_fail(err, errlen, "invalid --by '%.40s': expected process, user, container "
				"or netns", arg);
	*by = i;
	return 0;
}
