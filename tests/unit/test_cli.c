/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/cli.c: cli_parse() over many command lines, called
 * repeatedly in one process (it restarts getopt itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"

#define MAX_ARGS 24

static char err[256];

/* Every parse that succeeded, freed when the tests are done (a copy of a
 * struct cli shares its lists). */
static struct cli made[1024];
static size_t n_made;

static int free_made(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_made; i++)
		cli_free(&made[i]);
	n_made = 0;
	return 0;
}

/* Allocation failures on demand: cli.c's (and sbuf.c's) allocations go
 * through these (-Wl,--wrap); fail_in counts down to the one that fails. */
static long fail_in = -1;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static bool fail_now(void)
{
	return fail_in >= 0 && fail_in-- == 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

/* cli_parse over "whosock" followed by the NULL-terminated arguments; fails
 * the test unless it succeeds. */
static struct cli parse_ok(const char *first, ...)
{
	struct cli cli;
	va_list ap;
	int r;

	memset(&cli, 0x5a, sizeof(cli));
	if (!first) {
		char *argv[] = { (char *)"whosock", NULL };

		r = cli_parse(1, argv, &cli, err, sizeof(err));
	} else {
		char *argv[MAX_ARGS + 2];
		int argc = 0;
		const char *a = first;

		argv[argc++] = (char *)"whosock";
		va_start(ap, first);
		while (a) {
			assert_true(argc <= MAX_ARGS);
			argv[argc++] = (char *)a;
			a = va_arg(ap, const char *);
		}
		va_end(ap);
		argv[argc] = NULL;
		memset(err, 0, sizeof(err));
		r = cli_parse(argc, argv, &cli, err, sizeof(err));
	}
	if (r != 0)
		fail_msg("cli_parse(%s, ...) = %d (%s), want 0", first ? first : "", r, err);
	assert_true(n_made < sizeof(made) / sizeof(made[0]));
	made[n_made++] = cli;
	return cli;
}

/* Expect -EINVAL, *cli untouched, and a one-line message holding each
 * NULL-terminated word in must (after the arguments' NULL). */
static void parse_fails(const char *const *args, const char *const *must)
{
	struct cli cli, before;
	char *argv[MAX_ARGS + 2];
	int argc = 0, r;

	argv[argc++] = (char *)"whosock";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memset(&cli, 0xa5, sizeof(cli));
	before = cli;
	memset(err, 0, sizeof(err));
	r = cli_parse(argc, argv, &cli, err, sizeof(err));
	if (r != -EINVAL)
		fail_msg("cli_parse(%s ...) = %d, want -EINVAL", argc > 1 ? argv[1] : "", r);
	assert_memory_equal(&cli, &before, sizeof(cli));
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("control byte 0x%02x in message \"%s\"", (unsigned char)*p, err);
	for (; must && *must; must++)
		if (!strstr(err, *must))
			fail_msg("message \"%s\" does not mention \"%s\"", err, *must);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define MUST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const unsigned all_states_none = 0;
#define P(x) WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_##x)
#define S(x) WHOSOCK_STATE_BIT(WHOSOCK_STATE_##x)

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok(NULL);
	assert_int_equal(c.action, CLI_LIST);
	assert_int_equal(c.format, OUTPUT_TABLE);
	assert_int_equal(c.header, 1);
	assert_int_equal(c.extended, 0);
	assert_int_equal(c.query, 0);
	assert_null(c.opt.proc_root);
	assert_int_equal(c.opt.source, WHOSOCK_SOURCE_AUTO);
	assert_int_equal(c.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(c.filter.families, 0);
	assert_int_equal(c.filter.states, all_states_none);
	assert_int_equal(c.filter.n_ports, 0);
	assert_int_equal(c.filter.n_locals, 0);
	assert_int_equal(c.filter.n_netns, 0);
	assert_int_equal(c.filter.n_pids, 0);
	assert_int_equal(c.filter.n_uids, 0);
	assert_int_equal(c.filter.n_comms, 0);
	assert_int_equal(c.filter.n_cmdlines, 0);
	assert_int_equal(c.filter.n_containers, 0);
	/* The table shows owners; tcp_info is for JSON only. */
	assert_true(c.opt.want & WHOSOCK_WANT_OWNERS);
	assert_false(c.opt.want & WHOSOCK_WANT_TCP_INFO);
}

/* ---- protocols ---- */

/* -A/--query and the kind options, as ss takes them; --pid: every kind. */
static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-A", "all", NULL).filter.protos, WHOSOCK_PROTOS_ALL);
	assert_int_equal(parse_ok("-A", "inet", NULL).filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(parse_ok("--query=packet,netlink", NULL).filter.protos,
			 P(PACKET) | P(NETLINK));
	assert_int_equal(parse_ok("-A", "TCP,udp", "-A", "unix", NULL).filter.protos,
			 P(TCP) | P(UDP) | P(UNIX));
	assert_int_equal(parse_ok("-A", "mptcp,sctp,vsock,xdp,other,udplite,raw", NULL)
				 .filter.protos,
			 P(MPTCP) | P(SCTP) | P(VSOCK) | P(XDP) | P(OTHER) | P(UDPLITE) | P(RAW));
	assert_int_equal(parse_ok("-0", NULL).filter.protos, P(PACKET));
	assert_int_equal(parse_ok("--packet", "--netlink", NULL).filter.protos,
			 P(PACKET) | P(NETLINK));
	assert_int_equal(parse_ok("-M", NULL).filter.protos, P(MPTCP));
	assert_int_equal(parse_ok("--mptcp", "-S", NULL).filter.protos, P(MPTCP) | P(SCTP));
	assert_int_equal(parse_ok("--vsock", "--xdp", NULL).filter.protos, P(VSOCK) | P(XDP));
	assert_int_equal(parse_ok("--pid", "1", NULL).filter.protos, WHOSOCK_PROTOS_ALL);
	assert_int_equal(parse_ok("--pid", "1", "-t", NULL).filter.protos, P(TCP));
	/* The default: the inet kinds, MPTCP included. */
	assert_true(parse_ok(NULL).filter.protos & P(MPTCP));
	assert_false(parse_ok(NULL).filter.protos & (P(PACKET) | P(NETLINK) | P(UNIX)));
	parse_fails(ARGS("-A", "bogus"), MUST("unknown socket kind 'bogus'"));
	parse_fails(ARGS("-A", "tcp,"), MUST("unknown socket kind ''"));
	parse_fails(ARGS("-A", ""), MUST("unknown socket kind"));
	parse_fails(ARGS("-A"), MUST("-A"));
}

static void test_protocols(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-t", NULL).filter.protos, P(TCP));
	assert_int_equal(parse_ok("--tcp", NULL).filter.protos, P(TCP));
	assert_int_equal(parse_ok("-u", NULL).filter.protos, P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("--udp", NULL).filter.protos, P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("-w", NULL).filter.protos, P(RAW));
	assert_int_equal(parse_ok("--raw", NULL).filter.protos, P(RAW));
	assert_int_equal(parse_ok("-x", NULL).filter.protos, P(UNIX));
	assert_int_equal(parse_ok("--unix", NULL).filter.protos, P(UNIX));
	assert_int_equal(parse_ok("-tu", NULL).filter.protos, P(TCP) | P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("-t", "-x", NULL).filter.protos, P(TCP) | P(UNIX));
	assert_int_equal(parse_ok("-wx", NULL).filter.protos, P(RAW) | P(UNIX));
	assert_int_equal(parse_ok("-tuwx", NULL).filter.protos,
			 P(TCP) | P(UDP) | P(UDPLITE) | P(RAW) | P(UNIX));
	assert_int_equal(parse_ok("-t", "-t", NULL).filter.protos, P(TCP));
	/* Protocol flags do not touch families or states. */
	assert_int_equal(parse_ok("-tuwx", NULL).filter.families, 0);
	assert_int_equal(parse_ok("-tuwx", NULL).filter.states, 0);
}

/* ---- states ---- */

static void test_listening(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok("-l", NULL);
	assert_int_equal(c.filter.states, S(LISTEN) | S(CLOSE));
	assert_int_equal(c.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(parse_ok("--listening", NULL).filter.states, S(LISTEN) | S(CLOSE));
	c = parse_ok("-tl", NULL);
	assert_int_equal(c.filter.states, S(LISTEN) | S(CLOSE));
	assert_int_equal(c.filter.protos, P(TCP));
	/* -l adds to --state. */
	assert_int_equal(parse_ok("-l", "--state", "established", NULL).filter.states,
			 S(LISTEN) | S(CLOSE) | S(ESTABLISHED));
}

static void test_state_option(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("--state", "listen", NULL).filter.states, S(LISTEN));
	assert_int_equal(parse_ok("--state=ESTABLISHED", NULL).filter.states, S(ESTABLISHED));
	assert_int_equal(parse_ok("--state", "listen,established", NULL).filter.states,
			 S(LISTEN) | S(ESTABLISHED));
	assert_int_equal(parse_ok("--state", "time-wait", "--state", "syn-recv", NULL)
				 .filter.states,
			 S(TIME_WAIT) | S(SYN_RECV));
	assert_int_equal(parse_ok("--state", "estab,unconn,connected", NULL).filter.states,
			 S(ESTABLISHED) | S(CLOSE));
	assert_int_equal(parse_ok("--state", "listening", "--state=fin-wait-1,close_wait", NULL)
				 .filter.states,
			 S(LISTEN) | S(FIN_WAIT1) | S(CLOSE_WAIT));
}

static void test_state_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("--state", "bogus"), MUST("bogus"));
	parse_fails(ARGS("--state", "listen,bogus"), MUST("bogus"));
	parse_fails(ARGS("--state", "listen", "--state", "nope"), MUST("nope"));
	parse_fails(ARGS("--state", ""), MUST("--state"));
	parse_fails(ARGS("--state=listenx"), MUST("listenx"));
}

/* A list with no state name in it is as empty as "". */
static void test_state_only_commas(void **state)
{
	(void)state;
	parse_fails(ARGS("--state", ","), MUST("--state"));
	parse_fails(ARGS("--state", ",,"), NULL);
}

/* ---- families ---- */

static void test_families(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-4", NULL).filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("--ipv4", NULL).filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-6", NULL).filter.families,
			 (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("--ipv6", NULL).filter.families,
			 (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-46", NULL).filter.families,
			 (1u << AF_INET) | (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-4", "-x", NULL).filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-4x", NULL).filter.protos, P(UNIX));
}

/* ---- port ---- */

static void test_port_ok(void **state)
{
	(void)state;
	struct cli c;

	assert_int_equal(parse_ok("--port", "1", NULL).filter.ports[0], 1);
	assert_int_equal(parse_ok("--port", "65535", NULL).filter.ports[0], 65535);
	c = parse_ok("--port=443", NULL);
	assert_int_equal(c.filter.n_ports, 1);
	assert_int_equal(c.filter.ports[0], 443);
	/* Repeated or listed: every one of them (defect 1: only the last one was kept). */
	c = parse_ok("--port", "22", "--port", "80,443", NULL);
	assert_int_equal(c.filter.n_ports, 3);
	assert_int_equal(c.filter.ports[0], 22);
	assert_int_equal(c.filter.ports[1], 80);
	assert_int_equal(c.filter.ports[2], 443);
}

static void test_port_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("--port", "0"), MUST("'0'"));
	parse_fails(ARGS("--port", "65536"), MUST("65536"));
	parse_fails(ARGS("--port", "-1"), MUST("-1"));
	parse_fails(ARGS("--port", "12x"), MUST("12x"));
	parse_fails(ARGS("--port", ""), NULL);
	parse_fails(ARGS("--port", "+80"), MUST("+80"));
	parse_fails(ARGS("--port", "0x50"), MUST("0x50"));
	parse_fails(ARGS("--port", "99999999999999999999999"), NULL);
	parse_fails(ARGS("--port", "18446744073709551617"), NULL);
	parse_fails(ARGS("--port=nosuchservice"), MUST("unknown service 'nosuchservice'"));
	assert_int_equal(parse_ok("--port=http", NULL).filter.ports[0], 80);
	/* Plain decimal numbers only: no spaces on either side. */
	parse_fails(ARGS("--port", " 80"), MUST(" 80"));
	parse_fails(ARGS("--port", "80 "), MUST("80 "));
	parse_fails(ARGS("--port", "80,"), MUST("empty", "--port"));
	parse_fails(ARGS("--port", ",80"), MUST("empty"));
	parse_fails(ARGS("--port", "80,,443"), MUST("empty"));
}

/* ---- output ---- */

static void test_output_formats(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(parse_ok("-o", "table", NULL).format, OUTPUT_TABLE);
	c = parse_ok("-o", "json", NULL);
	assert_int_equal(c.format, OUTPUT_JSON);
	assert_true(c.opt.want & WHOSOCK_WANT_TCP_INFO);
	c = parse_ok("--output", "ndjson", NULL);
	assert_int_equal(c.format, OUTPUT_NDJSON);
	assert_true(c.opt.want & WHOSOCK_WANT_TCP_INFO);
	c = parse_ok("--output=csv", NULL);
	assert_int_equal(c.format, OUTPUT_CSV);
	assert_false(c.opt.want & WHOSOCK_WANT_TCP_INFO);
	assert_int_equal(parse_ok("-ojson", NULL).format, OUTPUT_JSON);
	assert_int_equal(parse_ok("-tojson", NULL).format, OUTPUT_JSON);
	assert_int_equal(parse_ok("-tojson", NULL).filter.protos, P(TCP));
	/* One format: a second -o is refused (defect 1: the last one won). */
	parse_fails(ARGS("-o", "json", "-o", "csv"), MUST("--output", "twice"));
	parse_fails(ARGS("-ojson", "--output=json"), MUST("twice"));
}

static void test_output_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("-o", "xml"), MUST("xml"));
	parse_fails(ARGS("--output=yaml"), MUST("yaml"));
	parse_fails(ARGS("-o", ""), NULL);
	parse_fails(ARGS("-o", "jsonx"), MUST("jsonx"));
}

static void test_no_header(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok("--no-header", NULL);
	assert_int_equal(c.header, 0);
	assert_int_equal(c.format, OUTPUT_TABLE);
	c = parse_ok("-o", "csv", "--no-header", NULL);
	assert_int_equal(c.header, 0);
	assert_int_equal(c.format, OUTPUT_CSV);
}

static void test_source(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("--source", "auto", NULL).opt.source, WHOSOCK_SOURCE_AUTO);
	assert_int_equal(parse_ok("--source", "netlink", NULL).opt.source, WHOSOCK_SOURCE_NETLINK);
	assert_int_equal(parse_ok("--source=proc", NULL).opt.source, WHOSOCK_SOURCE_PROC);
	parse_fails(ARGS("--source", "kernel"), MUST("kernel"));
	parse_fails(ARGS("--source", ""), NULL);
	parse_fails(ARGS("--source", "proc", "--source", "netlink"), MUST("--source", "twice"));
}

static void test_owners_from(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(NULL).opt.owner_source, WHOSOCK_OWNERS_AUTO);
	assert_int_equal(parse_ok("--owners-from", "auto", NULL).opt.owner_source, WHOSOCK_OWNERS_AUTO);
	assert_int_equal(parse_ok("--owners-from", "bpf", NULL).opt.owner_source, WHOSOCK_OWNERS_BPF);
	assert_int_equal(parse_ok("--owners-from=proc", NULL).opt.owner_source, WHOSOCK_OWNERS_PROC);
	/* With --no-owners it still chooses where the namespaces come from. */
	assert_int_equal(parse_ok("--no-owners", "--owners-from", "proc", NULL).opt.owner_source,
			 WHOSOCK_OWNERS_PROC);
	parse_fails(ARGS("--owners-from", "kernel"), MUST("kernel", "bpf"));
	parse_fails(ARGS("--owners-from", ""), NULL);
	parse_fails(ARGS("--owners-from", "bpf", "--owners-from", "proc"),
		    MUST("--owners-from", "twice"));
	parse_fails(ARGS("watch", "--owners-from", "bpf"), MUST("--owners-from", "watch"));
}

/* ---- help, version ---- */

static void test_help_version(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-h", NULL).action, CLI_HELP);
	assert_int_equal(parse_ok("--help", NULL).action, CLI_HELP);
	assert_int_equal(parse_ok("-V", NULL).action, CLI_VERSION);
	assert_int_equal(parse_ok("--version", NULL).action, CLI_VERSION);
	assert_int_equal(parse_ok("-t", "-h", NULL).action, CLI_HELP);
	/* Help and version whatever else is given (was: "--summary is not an
	 * option of 'whosock deps'"); an unknown option is still an error. */
	assert_int_equal(parse_ok("-h", "-s", NULL).action, CLI_HELP);
	assert_int_equal(parse_ok("-V", "-K", NULL).action, CLI_VERSION);
	assert_int_equal(parse_ok("deps", "-h", "--service", ":80", NULL).action, CLI_HELP);
	parse_fails(ARGS("-h", "--bogus"), MUST("--bogus"));
}

static void test_help_text(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	cli_help(f);
	assert_int_equal(fclose(f), 0);
	/* Every long option is documented. */
	assert_non_null(strstr(text, "Usage: whosock"));
	assert_non_null(strstr(text, "--tcp"));
	assert_non_null(strstr(text, "--udp"));
	assert_non_null(strstr(text, "--raw"));
	assert_non_null(strstr(text, "--unix"));
	assert_non_null(strstr(text, "--listening"));
	assert_non_null(strstr(text, "--ipv4"));
	assert_non_null(strstr(text, "--ipv6"));
	assert_non_null(strstr(text, "--state"));
	assert_non_null(strstr(text, "--port"));
	assert_non_null(strstr(text, "--output"));
	assert_non_null(strstr(text, "--no-header"));
	assert_non_null(strstr(text, "--source"));
	assert_non_null(strstr(text, "--owners-from"));
	assert_non_null(strstr(text, "--help"));
	assert_non_null(strstr(text, "--version"));
	assert_int_equal(text[len - 1], '\n');
	free(text);
}

/* ---- bad options ---- */

/* whosock watch refuses what it cannot follow instead of watching nothing. */
static void test_watch_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("watch", "-x"), MUST("UNIX", "-x"));
	parse_fails(ARGS("watch", "-w"), MUST("RAW", "-w"));
	parse_fails(ARGS("watch", "-t", "-x"), MUST("-x"));
	parse_fails(ARGS("watch", "--source", "proc"), MUST("--source"));
	parse_fails(ARGS("watch", "-l"), MUST("states"));
	parse_fails(ARGS("watch", "--no-owners"), MUST("owners"));
	parse_fails(ARGS("watch", "-o", "json"), MUST("ndjson"));
}

static void test_unknown_short(void **state)
{
	(void)state;
	parse_fails(ARGS("-z"), MUST("-z"));
	parse_fails(ARGS("-tz"), MUST("-z"));
	parse_fails(ARGS("-t", "-Q"), MUST("-Q"));
	parse_fails(ARGS("-?"), MUST("-?"));
}

static void test_unknown_long(void **state)
{
	(void)state;
	parse_fails(ARGS("--bogus"), MUST("--bogus"));
	parse_fails(ARGS("-t", "--tcpx"), MUST("--tcpx"));
	parse_fails(ARGS("--bogus=1"), MUST("--bogus"));
}

/* An option that takes no value given one with '=': the message names the
 * option the user typed. */
static void test_long_option_with_unwanted_value(void **state)
{
	(void)state;
	parse_fails(ARGS("--tcp=1"), MUST("--tcp"));
	parse_fails(ARGS("--help=x"), MUST("--help"));
}

/* The same for an option without a short form: getopt's optopt then holds
 * the option's internal code (0x100 and up), which is not a character. */
static void test_long_only_option_with_unwanted_value(void **state)
{
	(void)state;
	parse_fails(ARGS("--no-header=yes"), MUST("--no-header"));
	parse_fails(ARGS("--no-owners=1"), MUST("--no-owners"));
}

static void test_missing_value(void **state)
{
	(void)state;
	parse_fails(ARGS("-o"), MUST("-o", "value"));
	parse_fails(ARGS("-t", "-o"), MUST("-o"));
	parse_fails(ARGS("--output"), MUST("--output"));
	parse_fails(ARGS("--state"), MUST("--state"));
	parse_fails(ARGS("--port"), MUST("--port"));
	parse_fails(ARGS("--source"), MUST("--source"));
}

/* ---- positional arguments: [ADDR]:PORT[/PROTO] ---- */

static const struct whosock_local *one_query(const struct cli *c)
{
	assert_int_equal(c->query, 1);
	assert_int_equal(c->filter.n_locals, 1);
	return &c->filter.locals[0];
}

static void test_query(void **state)
{
	const struct whosock_local *q;
	struct cli c;
	uint8_t want[16];
	static const uint8_t zero[16];

	(void)state;
	c = parse_ok(":8080", NULL);
	q = one_query(&c);
	assert_int_equal(q->port, 8080);
	assert_int_equal(q->family, 0);
	assert_memory_equal(q->addr, zero, 16);
	assert_int_equal(c.filter.n_ports, 0);
	assert_int_equal(c.filter.protos, WHOSOCK_PROTOS_INET);

	c = parse_ok(":53/udp", NULL);
	assert_int_equal(one_query(&c)->port, 53);
	assert_int_equal(c.filter.protos, P(UDP) | P(UDPLITE));

	c = parse_ok("127.0.0.1:8080", NULL);
	q = one_query(&c);
	assert_int_equal(q->family, AF_INET);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", want), 1);
	assert_memory_equal(q->addr, want, 4);

	c = parse_ok("-t", "[::1]:631", NULL);
	q = one_query(&c);
	assert_int_equal(q->family, AF_INET6);
	assert_int_equal(q->port, 631);
	assert_int_equal(inet_pton(AF_INET6, "::1", want), 1);
	assert_memory_equal(q->addr, want, 16);
	assert_int_equal(c.filter.protos, P(TCP));

	c = parse_ok("*:22/tcp", NULL);
	q = one_query(&c);
	assert_int_equal(q->port, 22);
	assert_int_equal(q->family, 0);

	/* Options may follow the argument (getopt permutes). */
	c = parse_ok(":22", "-t", NULL);
	assert_int_equal(one_query(&c)->port, 22);
	assert_int_equal(c.filter.protos, P(TCP));
}

/* Defect 8: the protocol in any case, as --state; an address alone. */
static void test_query_case_and_address_alone(void **state)
{
	const struct whosock_local *q;
	struct cli c;
	uint8_t want[16];

	(void)state;
	c = parse_ok(":7000/TCP", NULL);
	assert_int_equal(one_query(&c)->port, 7000);
	assert_int_equal(c.filter.protos, P(TCP));
	assert_int_equal(parse_ok(":53/Udp", NULL).filter.protos, P(UDP) | P(UDPLITE));
	c = parse_ok("[::1]", NULL);
	q = one_query(&c);
	assert_int_equal(q->family, AF_INET6);
	assert_int_equal(q->port, 0);
	assert_int_equal(inet_pton(AF_INET6, "::1", want), 1);
	assert_memory_equal(q->addr, want, 16);
	c = parse_ok("10.1.2.3", NULL);
	q = one_query(&c);
	assert_int_equal(q->family, AF_INET);
	assert_int_equal(q->port, 0);
	c = parse_ok("[::ffff:127.0.0.1]:7000", NULL);
	q = one_query(&c);
	assert_int_equal(q->family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", want), 1);
	assert_memory_equal(q->addr, want, 16);
}

static void test_query_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("foo"), MUST("foo"));
	parse_fails(ARGS("8080"), MUST("8080", ":8080"));
	parse_fails(ARGS(":0"), NULL);
	parse_fails(ARGS(":65536"), NULL);
	parse_fails(ARGS(":80/sctp"), MUST("sctp"));
	parse_fails(ARGS("::1:80"), MUST("brackets"));
	parse_fails(ARGS("[::1:80"), MUST("]"));
	parse_fails(ARGS("[1.2.3.4]:80"), MUST("IPv6"));
	parse_fails(ARGS("300.1.1.1:80"), NULL);
	parse_fails(ARGS("*"), MUST("PORT"));
	parse_fails(ARGS(""), NULL);
	parse_fails(ARGS("1.2.3.4:"), MUST("port"));
	parse_fails(ARGS("[::1]x"), NULL);
}

/* Defect 8: each bad address says what is wrong with it, not "(IPv6 goes
 * in brackets)" for all. */
static void test_query_messages(void **state)
{
	(void)state;
	parse_fails(ARGS("localhost:7000"), MUST("localhost", "host names are not resolved"));
	parse_fails(ARGS("127.1:7000"), MUST("127.1", "not a full dotted IPv4 address"));
	parse_fails(ARGS("1.2.3.4.5:80"), MUST("not a full dotted"));
	parse_fails(ARGS("1..3.4:80"), MUST("not a full dotted"));
	parse_fails(ARGS("300.1.1.1:80"), MUST("'300'", "out of range"));
	parse_fails(ARGS("1.2.3.256:80"), MUST("'256'", "out of range"));
	parse_fails(ARGS("01.2.3.4:80"), MUST("'01'", "leading zero"));
	parse_fails(ARGS("fe80::1:80"), MUST("brackets"));
	parse_fails(ARGS("[::g]:80"), MUST("invalid IPv6 address '::g'"));
	/* An address alone is fine: "[::1]" is no longer "invalid port '1]'". */
	parse_ok("[::1]", NULL);
}

/* Defect 1 for queries: each one adds to the others. */
static void test_query_repeated(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok(":8080", "[::1]:9090", "127.0.0.1:53/udp", NULL);
	assert_int_equal(c.query, 1);
	assert_int_equal(c.filter.n_locals, 3);
	assert_int_equal(c.filter.locals[0].port, 8080);
	assert_int_equal(c.filter.locals[1].port, 9090);
	assert_int_equal(c.filter.locals[1].family, AF_INET6);
	assert_int_equal(c.filter.locals[2].port, 53);
	assert_int_equal(c.filter.locals[2].family, AF_INET);
	parse_fails(ARGS("-t", ":1", "extra"), MUST("extra"));
}

/* ---- repeated parsing ---- */

static void test_repeated_parse(void **state)
{
	struct cli c;

	(void)state;
	/* A failure in the middle of a command line leaves getopt mid-way... */
	parse_fails(ARGS("-t", "-z", "-u"), MUST("-z"));
	parse_fails(ARGS("-tz"), MUST("-z"));
	/* ...and the next parse starts from the beginning all the same. */
	c = parse_ok("-u", NULL);
	assert_int_equal(c.filter.protos, P(UDP) | P(UDPLITE));
	c = parse_ok("-x", "-l", NULL);
	assert_int_equal(c.filter.protos, P(UNIX));
	assert_int_equal(c.filter.states, S(LISTEN) | S(CLOSE));
	/* Nothing carries over from an earlier parse. */
	c = parse_ok(NULL);
	assert_int_equal(c.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(c.filter.states, 0);
	assert_int_equal(c.filter.families, 0);
	assert_int_equal(c.header, 1);
	for (int i = 0; i < 50; i++) {
		c = parse_ok("-t", "--port", "22", NULL);
		assert_int_equal(c.filter.n_ports, 1);
		assert_int_equal(c.filter.ports[0], 22);
		assert_int_equal(c.filter.protos, P(TCP));
	}
}

/* A small error buffer gets a truncated, terminated message. */
static void test_small_error_buffer(void **state)
{
	char small[8];
	char *argv[] = { (char *)"whosock", (char *)"--state", (char *)"bogusbogusbogus", NULL };
	struct cli c;

	(void)state;
	memset(small, 'X', sizeof(small));
	assert_int_equal(cli_parse(3, argv, &c, small, sizeof(small)), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* ---- owners ---- */

static void test_owner_options(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok("--pid", "1", NULL);
	assert_int_equal(c.filter.n_pids, 1);
	assert_int_equal(c.filter.pids[0], 1);
	c = parse_ok("--user", "root", NULL);
	assert_int_equal(c.filter.n_uids, 1);
	assert_int_equal(c.filter.uids[0], 0);
	c = parse_ok("--user", "12345", NULL);
	assert_int_equal(c.filter.n_uids, 1);
	assert_int_equal(c.filter.uids[0], 12345);
	c = parse_ok("--comm", "sshd", "--cmdline", "-D$", NULL);
	assert_int_equal(c.filter.n_comms, 1);
	assert_string_equal(c.filter.comms[0], "sshd");
	assert_int_equal(c.filter.n_cmdlines, 1);
	assert_string_equal(c.filter.cmdlines[0], "-D$");
	c = parse_ok("-e", NULL);
	assert_int_equal(c.extended, 1);
	assert_true(c.opt.want & WHOSOCK_WANT_PROCESS);
	c = parse_ok("--no-owners", NULL);
	assert_int_equal(c.opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS), 0);

	parse_fails(ARGS("--pid", "0"), NULL);
	parse_fails(ARGS("--pid", "-5"), NULL);
	parse_fails(ARGS("--pid", "12ab"), MUST("12ab"));
	parse_fails(ARGS("--pid", " 1"), MUST(" 1"));
	parse_fails(ARGS("--pid", "+1"), MUST("+1"));
	parse_fails(ARGS("--user", "no-such-user-whosock"), MUST("no-such-user-whosock"));
	parse_fails(ARGS("--user", " 0"), MUST(" 0"));
	parse_fails(ARGS("--no-owners", "--pid", "1"), MUST("--no-owners"));
}

/* Defect 1: repeated owner options are a union, and comma lists work. */
static void test_owner_lists(void **state)
{
	char self[16], both[40];
	struct cli c;

	(void)state;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	snprintf(both, sizeof(both), "1,%s", self);
	c = parse_ok("--pid", "1", "--pid", self, NULL);
	assert_int_equal(c.filter.n_pids, 2);
	assert_int_equal(c.filter.pids[0], 1);
	assert_int_equal(c.filter.pids[1], getpid());
	c = parse_ok("--pid", both, NULL);
	assert_int_equal(c.filter.n_pids, 2);
	assert_int_equal(c.filter.pids[1], getpid());
	c = parse_ok("--comm", "a", "--comm", "b,c", NULL);
	assert_int_equal(c.filter.n_comms, 3);
	assert_string_equal(c.filter.comms[0], "a");
	assert_string_equal(c.filter.comms[1], "b");
	assert_string_equal(c.filter.comms[2], "c");
	c = parse_ok("--user", "root,12345", "--user", "7", NULL);
	assert_int_equal(c.filter.n_uids, 3);
	assert_int_equal(c.filter.uids[1], 12345);
	assert_int_equal(c.filter.uids[2], 7);
	/* A pattern may hold commas ({1,3}): --cmdline is repeated, not split. */
	c = parse_ok("--cmdline", "x{1,3}", "--cmdline", "y", NULL);
	assert_int_equal(c.filter.n_cmdlines, 2);
	assert_string_equal(c.filter.cmdlines[0], "x{1,3}");
	assert_string_equal(c.filter.cmdlines[1], "y");
	c = parse_ok("--container", "ab,cd", "--container", "ef", NULL);
	assert_int_equal(c.filter.n_containers, 3);
	assert_string_equal(c.filter.containers[2], "ef");
	/* Namespaces by inode number (resolved without looking). */
	c = parse_ok("--netns", "4026531840,4026532000", "--netns", "4026532001", NULL);
	assert_int_equal(c.filter.n_netns, 3);
	assert_true(c.filter.netns[0] == 4026531840ull);
	assert_true(c.filter.netns[2] == 4026532001ull);
	parse_fails(ARGS("--comm", "a,,b"), MUST("empty", "--comm"));
	parse_fails(ARGS("--netns", "1,"), MUST("empty", "--netns"));
}

static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thread_cond = PTHREAD_COND_INITIALIZER;
static pid_t thread_tid;
static bool thread_done;

static void *thread_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&thread_lock);
	thread_tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&thread_cond);
	while (!thread_done)
		pthread_cond_wait(&thread_cond, &thread_lock);
	pthread_mutex_unlock(&thread_lock);
	return NULL;
}

/* Defect 4: a thread id stands for its process. */
static void test_pid_of_thread(void **state)
{
	pthread_t th;
	char tid[16];
	struct cli c;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, thread_main, NULL), 0);
	pthread_mutex_lock(&thread_lock);
	while (!thread_tid)
		pthread_cond_wait(&thread_cond, &thread_lock);
	pthread_mutex_unlock(&thread_lock);
	assert_int_not_equal(thread_tid, getpid());
	snprintf(tid, sizeof(tid), "%d", (int)thread_tid);
	c = parse_ok("--pid", tid, NULL);
	assert_int_equal(c.filter.n_pids, 1);
	assert_int_equal(c.filter.pids[0], getpid());
	pthread_mutex_lock(&thread_lock);
	thread_done = true;
	pthread_cond_broadcast(&thread_cond);
	pthread_mutex_unlock(&thread_lock);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/* Defect 10: meaningless input is refused with a word. */
static void test_meaningless(void **state)
{
	(void)state;
	/* A port with only UNIX sockets asked for. */
	parse_fails(ARGS(":7000", "-x"), MUST("-x"));
	parse_fails(ARGS("-x", "--port", "7000"), MUST("--port", "-x"));
	parse_ok("-tx", "--port", "7000", NULL);
	/* pids are below pid_max (at most 2^22): this one never lives. */
	parse_fails(ARGS("--pid", "4194304"), MUST("no process", "4194304"));
	parse_fails(ARGS("--comm", ""), MUST("--comm"));
	parse_fails(ARGS("--cmdline", ""), MUST("--cmdline"));
	parse_fails(ARGS("--container", ""), MUST("--container"));
	parse_fails(ARGS("--user", ""), MUST("--user"));
	parse_fails(ARGS("--netns", ""), MUST("--netns"));
	parse_fails(ARGS("--netns", "pid: 1"), MUST("pid: 1"));
}

/* Defect 10: durations and counts are plain decimal numbers with an
 * optional unit, nothing around them. */
static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("watch", "--interval", "1", NULL).interval_ms, 1000);
	assert_int_equal(parse_ok("watch", "--interval", "0.5", NULL).interval_ms, 500);
	assert_int_equal(parse_ok("watch", "--interval", "2s", NULL).interval_ms, 2000);
	assert_int_equal(parse_ok("watch", "--interval", "1.25s", NULL).interval_ms, 1250);
	assert_int_equal(parse_ok("watch", "--interval", "250ms", NULL).interval_ms, 250);
	assert_int_equal(parse_ok("watch", "--timeout", "86400", NULL).timeout_ms, 86400000);
	assert_int_equal(parse_ok("watch", "--count", "3", NULL).count, 3);
	parse_fails(ARGS("watch", "--interval", "1e1"), MUST("1e1"));
	parse_fails(ARGS("watch", "--interval", "0x10"), MUST("0x10"));
	parse_fails(ARGS("watch", "--interval", " 1"), MUST(" 1"));
	parse_fails(ARGS("watch", "--interval", "1 "), MUST("1 "));
	parse_fails(ARGS("watch", "--interval", "inf"), MUST("inf"));
	parse_fails(ARGS("watch", "--interval", "nan"), MUST("nan"));
	parse_fails(ARGS("watch", "--interval", "+1"), MUST("+1"));
	parse_fails(ARGS("watch", "--interval", "1."), MUST("1."));
	parse_fails(ARGS("watch", "--interval", ".5"), MUST(".5"));
	parse_fails(ARGS("watch", "--interval", "1 ms"), MUST("1 ms"));
	parse_fails(ARGS("watch", "--interval", "4294967.346"), NULL);
	parse_fails(ARGS("watch", "--timeout", "86401"), NULL);
	parse_fails(ARGS("watch", "--timeout", "0"), MUST("--timeout"));
	parse_fails(ARGS("watch", "--count", " 5"), MUST(" 5"));
	parse_fails(ARGS("watch", "--count", "+5"), MUST("+5"));
	parse_fails(ARGS("watch", "--count", "5 "), MUST("5 "));
	parse_fails(ARGS("watch", "--count", "99999999999999999999"), NULL);
	/* One value each: a repeat is refused. */
	parse_fails(ARGS("watch", "--interval", "1", "--interval", "2"), MUST("twice"));
	parse_fails(ARGS("watch", "--count", "1", "--count", "2"), MUST("twice"));
	parse_fails(ARGS("watch", "--timeout", "1", "--timeout", "2"), MUST("twice"));
}

/* Defect 17: an invalid regex is an error with the compiler's reason, not
 * a quiet substring. */
static void test_cmdline_regex(void **state)
{
	char why[128];
	regex_t re;
	int e;

	(void)state;
	e = regcomp(&re, "(", REG_EXTENDED | REG_NOSUB);
	assert_int_not_equal(e, 0);
	regerror(e, &re, why, sizeof(why));
	/* The compiler's reason, as escaped for the terminal (a '\' doubles). */
	why[strcspn(why, "\\")] = '\0';
	parse_fails(ARGS("--cmdline", "("), MUST("--cmdline", "regex", why));
	parse_fails(ARGS("--cmdline", "[x"), MUST("[x"));
	parse_fails(ARGS("--cmdline", "ok", "--cmdline", "a{2,1}"), MUST("a{2,1}"));
	parse_ok("--cmdline", "python3? -m http\\.server", NULL);
}

/* Defect 8: an ambiguous prefix is named as such, with its candidates. */
static void test_ambiguous_option(void **state)
{
	(void)state;
	parse_fails(ARGS("--no"), MUST("ambiguous option '--no'", "--no-header", "--no-owners"));
	parse_fails(ARGS("--co", "x"), MUST("ambiguous", "--comm", "--container", "--connections",
					   "--count"));
	parse_fails(ARGS("--c=1"), MUST("ambiguous option '--c'"));
	/* A unique prefix is fine, an unknown name stays unknown. */
	assert_int_equal(parse_ok("--ipv4", NULL).filter.families & (1u << AF_INET),
			 1u << AF_INET);
	assert_int_equal(parse_ok("--tc", NULL).filter.protos, P(TCP));
	parse_fails(ARGS("--nope"), MUST("unknown option '--nope'"));
}

/* Defect 8: what the user typed is echoed with the terminal escaping. */
static void test_message_escaping(void **state)
{
	(void)state;
	parse_fails(ARGS("--state", "\x1b[31mred"), MUST("'\\x1b[31mred'"));
	parse_fails(ARGS("--comm", "a", "--port", "8\x07"), MUST("8\\x07"));
	parse_fails(ARGS("bad\\name:1"), MUST("bad\\\\name"));
	parse_fails(ARGS("--bogus\x1b"), MUST("--bogus\\x1b"));
}

/* Defect 18: every failure says why, out of memory included: each
 * allocation of a parse fails in turn. */
/* ---- filter expressions and -K ---- */

static void test_expression(void **state)
{
	struct cli c;

	(void)state;
	/* Queries first, then everything from the first keyword on. */
	c = parse_ok(":7000", "sport", "=", ":7000", "or", "dst 10.0.0.0/8", NULL);
	assert_int_equal(c.query, 1);
	assert_int_equal(c.filter.n_locals, 1);
	assert_non_null(c.expr);
	assert_ptr_equal(c.filter.expr, c.expr);
	assert_string_equal(c.expr_text, "sport = :7000 or dst 10.0.0.0/8");
	c = parse_ok("-t", "state", "established", "( dport = :ssh or sport = :ssh )", NULL);
	assert_int_equal(c.query, 0);
	assert_int_equal(whosock_expr_states(c.expr), S(ESTABLISHED));
	c = parse_ok("(src 127.0.0.1)", NULL);
	assert_non_null(c.expr);
	c = parse_ok("!", "src", "127.0.0.1", NULL);
	assert_non_null(c.expr);
	c = parse_ok(":80", NULL);
	assert_null(c.expr);
	assert_null(c.filter.expr);
}

/* A parse error: the reason, the expression, a caret under the token. */
static void test_expression_error(void **state)
{
	char *argv[] = { (char *)"whosock", (char *)"sport", (char *)"=", (char *)":22", (char *)"or",
			 (char *)"dport", (char *)"nosuch\x1b", NULL };
	struct cli c, before;
	const char *line2, *line3;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	before = c;
	assert_int_equal(cli_parse(7, argv, &c, err, sizeof(err)), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_non_null(strstr(err, "invalid filter expression: expected a port number or service name\n"));
	line2 = strchr(err, '\n') + 1;
	line3 = strchr(line2, '\n');
	assert_non_null(line3);
	line3++;
	/* The control byte is escaped in the text and the caret still lines up. */
	assert_memory_equal(line2, "  sport = :22 or dport nosuch\\x1b\n", 34);
	assert_string_equal(line3, "                       ^^^^^^^");
}

static void test_kill_options(void **state)
{
	struct cli c;

	(void)state;
	parse_fails(ARGS("-K"), MUST("needs a filter"));
	parse_fails(ARGS("-t", "-4", "--kill"), MUST("needs a filter"));
	parse_fails(ARGS("--dry-run", ":80"), MUST("-K"));
	parse_fails(ARGS("watch", "-K", ":80"), MUST("watch"));
	c = parse_ok("-K", ":80", NULL);
	assert_int_equal(c.kill, 1);
	assert_int_equal(c.dry_run, 0);
	c = parse_ok("-K", "--dry-run", "dst", "10.0.0.0/8", NULL);
	assert_int_equal(c.dry_run, 1);
	c = parse_ok("-K", "--state", "established", NULL);
	c = parse_ok("-K", "--netns", "1", NULL);
	assert_int_equal(c.kill, 1);
}

static void test_out_of_memory(void **state)
{
	char *argv[] = { (char *)"whosock", (char *)"--state", (char *)"listen,established",
			 (char *)"--pid", (char *)"1", (char *)"--comm", (char *)"a,b",
			 (char *)"--port", (char *)"80", (char *)"--cmdline", (char *)"x",
			 (char *)":7000", (char *)"--state", (char *)"bogus", NULL };
	const int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	bool saw_enomem = false;

	(void)state;
	for (long n = 0; n < 500; n++) {
		struct cli c, before;
		int r;

		memset(&c, 0xa5, sizeof(c));
		before = c;
		memset(err, 0, sizeof(err));
		fail_in = n;
		r = cli_parse(argc, argv, &c, err, sizeof(err));
		fail_in = -1;
		assert_memory_equal(&c, &before, sizeof(c));
		if (r == -EINVAL) {
			assert_non_null(strstr(err, "bogus"));
			break; /* every allocation before it succeeded */
		}
		assert_int_equal(r, -ENOMEM);
		assert_string_equal(err, "out of memory");
		saw_enomem = true;
	}
	assert_true(saw_enomem);
	/* The states alone (parse_states failed without a word). */
	for (long n = 0; n < 10; n++) {
		char *av[] = { (char *)"whosock", (char *)"--state", (char *)"listen", NULL };
		struct cli c;
		int r;

		memset(err, 0, sizeof(err));
		fail_in = n;
		r = cli_parse(3, av, &c, err, sizeof(err));
		fail_in = -1;
		if (r == 0) {
			cli_free(&c);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_true(err[0] != '\0');
	}
}

/* ---- ss habits (issue 17) ---- */

/* -p, -n, -a change nothing: -tulpn parses to what -tul does. */
static void test_ss_habits(void **state)
{
	struct cli a, b;

	(void)state;
	a = parse_ok("-tulpn", NULL);
	b = parse_ok("-tul", NULL);
	assert_int_equal(a.filter.protos, b.filter.protos);
	assert_int_equal(a.filter.states, b.filter.states);
	assert_int_equal(a.opt.want, b.opt.want);
	assert_int_equal(a.resolve, 0);
	assert_int_equal(parse_ok("-a", NULL).filter.states, 0);
	assert_int_equal(parse_ok("-H", NULL).header, 0);
	assert_int_equal(parse_ok("-r", NULL).resolve, 1);
	assert_int_equal(parse_ok("-r", "-n", NULL).resolve, 0);
	assert_int_equal(parse_ok("-n", "--resolve", NULL).resolve, 1);
	assert_true(parse_ok("-i", NULL).opt.want & WHOSOCK_WANT_TCP_INFO);
	assert_false(parse_ok("-i", NULL).opt.want & WHOSOCK_WANT_MEMINFO);
	assert_true(parse_ok("-m", NULL).opt.want & WHOSOCK_WANT_MEMINFO);
	assert_true(parse_ok("-o", "json", NULL).opt.want & WHOSOCK_WANT_MEMINFO);
	assert_true(parse_ok("-s", NULL).opt.want & WHOSOCK_WANT_PROCESS);
	assert_int_equal(parse_ok("-s", "-o", "json", NULL).summary, 1);
	assert_int_equal(parse_ok("--pids", ":80", NULL).pids_only, 1);
	assert_int_equal(parse_ok("--timing", NULL).timing, 1);
	parse_fails(ARGS("-s", "-o", "csv"), MUST("--summary"));
	parse_fails(ARGS("-s", "--pids"), MUST("--summary", "--pids"));
	parse_fails(ARGS("--pids", "-o", "json"), MUST("--pids"));
	parse_fails(ARGS("--pids", "--no-owners"), MUST("--pids"));
	parse_fails(ARGS("watch", "-s"), MUST("--summary", "watch"));
	parse_fails(ARGS("watch", "--sort", "port"), MUST("--sort", "watch"));
}

/* whosock top's units: -b/--bytes (the default) and --bits, the last counts;
 * --no-bpf goes to the meter. */
static void test_top_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("top", "-o", "ndjson", NULL).bits, 0);
	assert_int_equal(parse_ok("top", "-o", "ndjson", "--bits", NULL).bits, 1);
	assert_int_equal(parse_ok("top", "-o", "ndjson", "--bits", "-b", NULL).bits, 0);
	assert_int_equal(parse_ok("top", "-o", "ndjson", "-b", "--bits", NULL).bits, 1);
	assert_int_equal(parse_ok("top", "-o", "ndjson", "--bytes", NULL).bits, 0);
	assert_true(parse_ok("top", "-o", "ndjson", "--no-bpf", NULL).opt.flags & WHOSOCK_FLAG_NO_BPF);
	parse_fails(ARGS("--bits"), MUST("--bits", "whosock top"));
	parse_fails(ARGS("watch", "-b"), MUST("--bytes", "whosock top"));
}

static void test_sort_and_color(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok("--sort", "port,PID", "--sort", "queues", NULL);
	assert_int_equal(c.n_sort, 3);
	assert_int_equal(c.sort[0], SORT_PORT);
	assert_int_equal(c.sort[1], SORT_PID);
	assert_int_equal(c.sort[2], SORT_QUEUES);
	parse_fails(ARGS("--sort", "bogus"), MUST("unknown sort key 'bogus'"));
	parse_fails(ARGS("--sort", "port,"), MUST("unknown sort key ''"));
	parse_fails(ARGS("--sort", "a,b,c,d,e,f,g,h,i"), MUST("unknown sort key 'a'"));
	parse_fails(ARGS("--sort", "port,port,port,port,port,port,port,port,port"),
		    MUST("at most 8"));
	parse_fails(ARGS("-s", "--sort", "port"), MUST("--sort"));
	assert_int_equal(parse_ok(NULL).color_mode, COLOR_AUTO);
	assert_int_equal(parse_ok("--color", NULL).color_mode, COLOR_ALWAYS);
	assert_int_equal(parse_ok("--color=never", NULL).color_mode, COLOR_NEVER);
	assert_int_equal(parse_ok("--color=auto", NULL).color_mode, COLOR_AUTO);
	parse_fails(ARGS("--color=sometimes"), MUST("sometimes", "auto, always or never"));
}

/* Ports by service name, for the query's protocol (/etc/services). */
static void test_service_names(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(":http", NULL).locals[0].port, 80);
	assert_int_equal(parse_ok(":ssh/tcp", NULL).locals[0].port, 22);
	assert_int_equal(parse_ok("127.0.0.1:domain/udp", NULL).locals[0].port, 53);
	assert_int_equal(parse_ok("--port", "https,22", NULL).ports[0], 443);
	parse_fails(ARGS(":nosuchservice"), MUST("unknown service 'nosuchservice'"));
	/* ntp is UDP only in /etc/services. */
	parse_fails(ARGS(":ntp/tcp"), MUST("unknown service 'ntp' for tcp"));
	parse_fails(ARGS(":ht\x01tp"), MUST("invalid port"));
	parse_fails(ARGS(":0"), MUST("invalid port '0'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ss_habits),
		cmocka_unit_test(test_top_units),
		cmocka_unit_test(test_sort_and_color),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_listening),
		cmocka_unit_test(test_state_option),
		cmocka_unit_test(test_state_bad),
		cmocka_unit_test(test_watch_bad),
		cmocka_unit_test(test_state_only_commas),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_port_ok),
		cmocka_unit_test(test_port_bad),
		cmocka_unit_test(test_output_formats),
		cmocka_unit_test(test_output_bad),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_owners_from),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_unknown_short),
		cmocka_unit_test(test_unknown_long),
		cmocka_unit_test(test_long_option_with_unwanted_value),
		cmocka_unit_test(test_long_only_option_with_unwanted_value),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_bad),
		cmocka_unit_test(test_query_case_and_address_alone),
		cmocka_unit_test(test_query_messages),
		cmocka_unit_test(test_query_repeated),
		cmocka_unit_test(test_repeated_parse),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_owner_options),
		cmocka_unit_test(test_owner_lists),
		cmocka_unit_test(test_pid_of_thread),
		cmocka_unit_test(test_meaningless),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_cmdline_regex),
		cmocka_unit_test(test_ambiguous_option),
		cmocka_unit_test(test_message_escaping),
		cmocka_unit_test(test_expression),
		cmocka_unit_test(test_expression_error),
		cmocka_unit_test(test_kill_options),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, free_made);
}
