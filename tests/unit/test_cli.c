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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"

#define MAX_ARGS 16

static char err[256];

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
	static const uint8_t zero[16];

	(void)state;
	c = parse_ok(NULL);
	assert_int_equal(c.action, CLI_LIST);
	assert_int_equal(c.format, OUTPUT_TABLE);
	assert_int_equal(c.header, 1);
	assert_int_equal(c.extended, 0);
	assert_int_equal(c.query, 0);
	assert_null(c.opt.proc_root);
	assert_int_equal(c.opt.source, WHOSOCK_SOURCE_AUTO);
	assert_int_equal(c.opt.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(c.opt.filter.families, 0);
	assert_int_equal(c.opt.filter.states, all_states_none);
	assert_int_equal(c.opt.filter.port, -1);
	assert_int_equal(c.opt.filter.local_port, 0);
	assert_int_equal(c.opt.filter.local_family, 0);
	assert_memory_equal(c.opt.filter.local_addr, zero, 16);
	assert_int_equal(c.opt.filter.pid, 0);
	assert_false(c.opt.filter.uid_set);
	assert_null(c.opt.filter.comm);
	assert_null(c.opt.filter.cmdline);
	/* The table shows owners; tcp_info is for JSON only. */
	assert_true(c.opt.want & WHOSOCK_WANT_OWNERS);
	assert_false(c.opt.want & WHOSOCK_WANT_TCP_INFO);
}

/* ---- protocols ---- */

/* -A/--query and the kind options, as ss takes them; --pid: every kind. */
static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-A", "all", NULL).opt.filter.protos, WHOSOCK_PROTOS_ALL);
	assert_int_equal(parse_ok("-A", "inet", NULL).opt.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(parse_ok("--query=packet,netlink", NULL).opt.filter.protos,
			 P(PACKET) | P(NETLINK));
	assert_int_equal(parse_ok("-A", "TCP,udp", "-A", "unix", NULL).opt.filter.protos,
			 P(TCP) | P(UDP) | P(UNIX));
	assert_int_equal(parse_ok("-A", "mptcp,sctp,vsock,xdp,other,udplite,raw", NULL)
				 .opt.filter.protos,
			 P(MPTCP) | P(SCTP) | P(VSOCK) | P(XDP) | P(OTHER) | P(UDPLITE) | P(RAW));
	assert_int_equal(parse_ok("-0", NULL).opt.filter.protos, P(PACKET));
	assert_int_equal(parse_ok("--packet", "--netlink", NULL).opt.filter.protos,
			 P(PACKET) | P(NETLINK));
	assert_int_equal(parse_ok("-M", NULL).opt.filter.protos, P(MPTCP));
	assert_int_equal(parse_ok("--mptcp", "-S", NULL).opt.filter.protos, P(MPTCP) | P(SCTP));
	assert_int_equal(parse_ok("--vsock", "--xdp", NULL).opt.filter.protos, P(VSOCK) | P(XDP));
	assert_int_equal(parse_ok("--pid", "1", NULL).opt.filter.protos, WHOSOCK_PROTOS_ALL);
	assert_int_equal(parse_ok("--pid", "1", "-t", NULL).opt.filter.protos, P(TCP));
	/* The default: the inet kinds, MPTCP included. */
	assert_true(parse_ok(NULL).opt.filter.protos & P(MPTCP));
	assert_false(parse_ok(NULL).opt.filter.protos & (P(PACKET) | P(NETLINK) | P(UNIX)));
	parse_fails(ARGS("-A", "bogus"), MUST("unknown socket kind 'bogus'"));
	parse_fails(ARGS("-A", "tcp,"), MUST("unknown socket kind ''"));
	parse_fails(ARGS("-A", ""), MUST("unknown socket kind"));
	parse_fails(ARGS("-A"), MUST("-A"));
}

static void test_protocols(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("-t", NULL).opt.filter.protos, P(TCP));
	assert_int_equal(parse_ok("--tcp", NULL).opt.filter.protos, P(TCP));
	assert_int_equal(parse_ok("-u", NULL).opt.filter.protos, P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("--udp", NULL).opt.filter.protos, P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("-w", NULL).opt.filter.protos, P(RAW));
	assert_int_equal(parse_ok("--raw", NULL).opt.filter.protos, P(RAW));
	assert_int_equal(parse_ok("-x", NULL).opt.filter.protos, P(UNIX));
	assert_int_equal(parse_ok("--unix", NULL).opt.filter.protos, P(UNIX));
	assert_int_equal(parse_ok("-tu", NULL).opt.filter.protos, P(TCP) | P(UDP) | P(UDPLITE));
	assert_int_equal(parse_ok("-t", "-x", NULL).opt.filter.protos, P(TCP) | P(UNIX));
	assert_int_equal(parse_ok("-wx", NULL).opt.filter.protos, P(RAW) | P(UNIX));
	assert_int_equal(parse_ok("-tuwx", NULL).opt.filter.protos,
			 P(TCP) | P(UDP) | P(UDPLITE) | P(RAW) | P(UNIX));
	assert_int_equal(parse_ok("-t", "-t", NULL).opt.filter.protos, P(TCP));
	/* Protocol flags do not touch families or states. */
	assert_int_equal(parse_ok("-tuwx", NULL).opt.filter.families, 0);
	assert_int_equal(parse_ok("-tuwx", NULL).opt.filter.states, 0);
}

/* ---- states ---- */

static void test_listening(void **state)
{
	struct cli c;

	(void)state;
	c = parse_ok("-l", NULL);
	assert_int_equal(c.opt.filter.states, S(LISTEN) | S(CLOSE));
	assert_int_equal(c.opt.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(parse_ok("--listening", NULL).opt.filter.states, S(LISTEN) | S(CLOSE));
	c = parse_ok("-tl", NULL);
	assert_int_equal(c.opt.filter.states, S(LISTEN) | S(CLOSE));
	assert_int_equal(c.opt.filter.protos, P(TCP));
	/* -l adds to --state. */
	assert_int_equal(parse_ok("-l", "--state", "established", NULL).opt.filter.states,
			 S(LISTEN) | S(CLOSE) | S(ESTABLISHED));
}

static void test_state_option(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("--state", "listen", NULL).opt.filter.states, S(LISTEN));
	assert_int_equal(parse_ok("--state=ESTABLISHED", NULL).opt.filter.states, S(ESTABLISHED));
	assert_int_equal(parse_ok("--state", "listen,established", NULL).opt.filter.states,
			 S(LISTEN) | S(ESTABLISHED));
	assert_int_equal(parse_ok("--state", "time-wait", "--state", "syn-recv", NULL)
				 .opt.filter.states,
			 S(TIME_WAIT) | S(SYN_RECV));
	assert_int_equal(parse_ok("--state", "estab,unconn,connected", NULL).opt.filter.states,
			 S(ESTABLISHED) | S(CLOSE));
	assert_int_equal(parse_ok("--state", "listening", "--state=fin-wait-1,close_wait", NULL)
				 .opt.filter.states,
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
	assert_int_equal(parse_ok("-4", NULL).opt.filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("--ipv4", NULL).opt.filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-6", NULL).opt.filter.families,
			 (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("--ipv6", NULL).opt.filter.families,
			 (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-46", NULL).opt.filter.families,
			 (1u << AF_INET) | (1u << AF_INET6) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-4", "-x", NULL).opt.filter.families,
			 (1u << AF_INET) | (1u << AF_UNIX) | (1u << AF_PACKET) | (1u << AF_NETLINK));
	assert_int_equal(parse_ok("-4x", NULL).opt.filter.protos, P(UNIX));
}

/* ---- port ---- */

static void test_port_ok(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("--port", "1", NULL).opt.filter.port, 1);
	assert_int_equal(parse_ok("--port", "65535", NULL).opt.filter.port, 65535);
	assert_int_equal(parse_ok("--port=443", NULL).opt.filter.port, 443);
	assert_int_equal(parse_ok("--port", "22", "--port", "80", NULL).opt.filter.port, 80);
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
	parse_fails(ARGS("--port=http"), MUST("http"));
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
	assert_int_equal(parse_ok("-tojson", NULL).opt.filter.protos, P(TCP));
	/* The last one wins. */
	assert_int_equal(parse_ok("-o", "json", "-o", "csv", NULL).format, OUTPUT_CSV);
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

static void test_query(void **state)
{
	struct cli c;
	uint8_t want[16];
	static const uint8_t zero[16];

	(void)state;
	c = parse_ok(":8080", NULL);
	assert_int_equal(c.query, 1);
	assert_int_equal(c.opt.filter.local_port, 8080);
	assert_int_equal(c.opt.filter.local_family, 0);
	assert_memory_equal(c.opt.filter.local_addr, zero, 16);
	assert_int_equal(c.opt.filter.port, -1);
	assert_int_equal(c.opt.filter.protos, WHOSOCK_PROTOS_INET);

	c = parse_ok(":53/udp", NULL);
	assert_int_equal(c.opt.filter.local_port, 53);
	assert_int_equal(c.opt.filter.protos, P(UDP) | P(UDPLITE));

	c = parse_ok("127.0.0.1:8080", NULL);
	assert_int_equal(c.opt.filter.local_family, AF_INET);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", want), 1);
	assert_memory_equal(c.opt.filter.local_addr, want, 4);

	c = parse_ok("-t", "[::1]:631", NULL);
	assert_int_equal(c.opt.filter.local_family, AF_INET6);
	assert_int_equal(c.opt.filter.local_port, 631);
	assert_int_equal(inet_pton(AF_INET6, "::1", want), 1);
	assert_memory_equal(c.opt.filter.local_addr, want, 16);
	assert_int_equal(c.opt.filter.protos, P(TCP));

	c = parse_ok("*:22/tcp", NULL);
	assert_int_equal(c.opt.filter.local_port, 22);
	assert_int_equal(c.opt.filter.local_family, 0);

	/* Options may follow the argument (getopt permutes). */
	c = parse_ok(":22", "-t", NULL);
	assert_int_equal(c.opt.filter.local_port, 22);
	assert_int_equal(c.opt.filter.protos, P(TCP));
}

static void test_query_bad(void **state)
{
	(void)state;
	parse_fails(ARGS("foo"), MUST("foo"));
	parse_fails(ARGS("8080"), MUST("8080"));
	parse_fails(ARGS(":0"), NULL);
	parse_fails(ARGS(":65536"), NULL);
	parse_fails(ARGS(":80/sctp"), MUST("sctp"));
	parse_fails(ARGS("::1:80"), NULL);
	parse_fails(ARGS("[::1:80"), NULL);
	parse_fails(ARGS("[1.2.3.4]:80"), NULL);
	parse_fails(ARGS("300.1.1.1:80"), NULL);
}

static void test_unexpected_argument(void **state)
{
	(void)state;
	parse_fails(ARGS(":8080", ":9090"), MUST(":9090"));
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
	assert_int_equal(c.opt.filter.protos, P(UDP) | P(UDPLITE));
	c = parse_ok("-x", "-l", NULL);
	assert_int_equal(c.opt.filter.protos, P(UNIX));
	assert_int_equal(c.opt.filter.states, S(LISTEN) | S(CLOSE));
	/* Nothing carries over from an earlier parse. */
	c = parse_ok(NULL);
	assert_int_equal(c.opt.filter.protos, WHOSOCK_PROTOS_INET);
	assert_int_equal(c.opt.filter.states, 0);
	assert_int_equal(c.opt.filter.families, 0);
	assert_int_equal(c.header, 1);
	for (int i = 0; i < 50; i++) {
		c = parse_ok("-t", "--port", "22", NULL);
		assert_int_equal(c.opt.filter.port, 22);
		assert_int_equal(c.opt.filter.protos, P(TCP));
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
	assert_int_equal(c.opt.filter.pid, 1);
	c = parse_ok("--user", "root", NULL);
	assert_true(c.opt.filter.uid_set);
	assert_int_equal(c.opt.filter.uid, 0);
	c = parse_ok("--user", "12345", NULL);
	assert_true(c.opt.filter.uid_set);
	assert_int_equal(c.opt.filter.uid, 12345);
	c = parse_ok("--comm", "sshd", "--cmdline", "-D$", NULL);
	assert_string_equal(c.opt.filter.comm, "sshd");
	assert_string_equal(c.opt.filter.cmdline, "-D$");
	c = parse_ok("-e", NULL);
	assert_int_equal(c.extended, 1);
	assert_true(c.opt.want & WHOSOCK_WANT_PROCESS);
	c = parse_ok("--no-owners", NULL);
	assert_int_equal(c.opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS), 0);

	parse_fails(ARGS("--pid", "0"), NULL);
	parse_fails(ARGS("--pid", "-5"), NULL);
	parse_fails(ARGS("--pid", "12ab"), MUST("12ab"));
	parse_fails(ARGS("--user", "no-such-user-whosock"), MUST("no-such-user-whosock"));
	parse_fails(ARGS("--no-owners", "--pid", "1"), MUST("--no-owners"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_unknown_short),
		cmocka_unit_test(test_unknown_long),
		cmocka_unit_test(test_long_option_with_unwanted_value),
		cmocka_unit_test(test_long_only_option_with_unwanted_value),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_bad),
		cmocka_unit_test(test_unexpected_argument),
		cmocka_unit_test(test_repeated_parse),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_owner_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
