/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/output.c: snapshots built by hand (snapshot_new,
 * snapshot_push, snapshot_strndup) rendered as a table, JSON, NDJSON and CSV,
 * each compared with the exact expected text. The JSON texts are the
 * DESIGN.md contract written out.
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

#include "output.h"
#include "snapshot.h"
#include "whosock/whosock.h"

/* ---- building sockets ---- */

static struct whosock_snapshot *snap;

static int setup(void **state)
{
	(void)state;
	snap = snapshot_new();
	return snap ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	whosock_snapshot_free(snap);
	snap = NULL;
	return 0;
}

static struct whosock_socket inet_sock(enum whosock_proto proto, int family, int state,
				       const char *laddr, uint16_t lport, const char *raddr,
				       uint16_t rport)
{
	struct whosock_socket s;

	memset(&s, 0, sizeof(s));
	s.proto = proto;
	s.family = family;
	s.type = proto == WHOSOCK_PROTO_TCP ? SOCK_STREAM
		 : proto == WHOSOCK_PROTO_RAW ? SOCK_RAW
					      : SOCK_DGRAM;
	s.state = state;
	s.source = WHOSOCK_SOURCE_NETLINK;
	assert_int_equal(inet_pton(family, laddr, s.local.addr), 1);
	assert_int_equal(inet_pton(family, raddr, s.remote.addr), 1);
	s.local.port = lport;
	s.remote.port = rport;
	return s;
}

static struct whosock_socket unix_sock(int type, int state, const char *path, size_t path_len)
{
	struct whosock_socket s;

	memset(&s, 0, sizeof(s));
	s.proto = WHOSOCK_PROTO_UNIX;
	s.family = AF_UNIX;
	s.type = type;
	s.state = state;
	s.source = WHOSOCK_SOURCE_NETLINK;
	if (path) {
		s.local.path = snapshot_strndup(snap, path, path_len);
		assert_non_null(s.local.path);
	}
	return s;
}

#define UNIX_SOCK(type, state, lit) unix_sock(type, state, lit, sizeof(lit) - 1)

static void push(const struct whosock_socket *s)
{
	assert_int_equal(snapshot_push(snap, s), 0);
}

/* Render snap with format/header and compare with want. */
static void render_is(enum output_format format, int header, int extended, const char *want)
{
	struct cli cli;
	struct sbuf out = { 0 };
	bool same;
	int r;

	memset(&cli, 0, sizeof(cli));
	cli.format = format;
	cli.header = header;
	cli.extended = extended;
	r = output_render(&out, snap, &cli);
	same = !out.failed && out.len == strlen(want) &&
	       (out.len == 0 || memcmp(out.data, want, out.len) == 0);
	if (!same)
		print_error("rendered:\n%.*s\nwanted:\n%s\n", (int)out.len,
			    out.data ? out.data : "", want);
	sbuf_free(&out); /* before failing: a failed test leaks nothing */
	assert_int_equal(r, 0);
	assert_true(same);
}

static void json_socket_is(const struct whosock_socket *s, const char *want)
{
	struct sbuf out = { 0 };

	bool same;

	output_json_socket(&out, s);
	same = !out.failed && out.len == strlen(want) && (out.len == 0 || memcmp(out.data, want, out.len) == 0);
	if (!same)
		print_error("JSON:\n%.*s\nwanted:\n%s\n", (int)out.len, out.data ? out.data : "",
			    want);
	sbuf_free(&out);
	assert_true(same);
}

/* ---- processes that own sockets ---- */

static const struct whosock_process p_sshd = {
	.pid = 812,
	.comm = "sshd",
	.cmdline = "sshd: /usr/sbin/sshd -D",
	.uid_known = true,
	.uid = 0,
	.user = "root",
	.cgroup = "/system.slice/ssh.service",
};
static const struct whosock_process p_nginx1 = {
	.pid = 100, .comm = "nginx", .cmdline = "nginx: worker", .uid_known = true, .uid = 33,
};
static const struct whosock_process p_nginx2 = {
	.pid = 101, .comm = "nginx", .cmdline = "nginx: worker", .uid_known = true, .uid = 33,
	.user = "www-data",
};
static const struct whosock_process p_dbus = { .pid = 5, .comm = "dbus-daemon" };
static const struct whosock_process p_systemd = {
	.pid = 1, .comm = "systemd", .cmdline = "", .uid_known = true, .uid = 0, .user = "root",
	.cgroup = "/init.scope",
};
static const struct whosock_process p_app = {
	.pid = 42, .comm = "app", .cmdline = NULL, .uid_known = false,
};
static const struct whosock_process p_evil = {
	.pid = 66, .comm = "ev\"il,\x1b", .cmdline = "a\\b\nc", .uid_known = true, .uid = 1000,
};

/* One entry per process (and per thread with an fd table of its own), with
 * every fd through which it holds the socket. */
static const int fds_3_7[] = { 3, 7 }, fds_4[] = { 4 }, fds_6[] = { 6 }, fds_9[] = { 9 };
static const int fds_30[] = { 30 }, fds_7[] = { 7 }, fds_1[] = { 1 };
static const struct whosock_owner o_sshd[] = { { &p_sshd, 3, 0, 2, fds_3_7 },
					       { &p_sshd, 4, 815, 1, fds_4 } };
static const struct whosock_owner o_nginx[] = { { &p_nginx1, 6, 0, 1, fds_6 },
						{ &p_nginx2, 6, 0, 1, fds_6 } };
static const struct whosock_owner o_dbus[] = { { &p_dbus, 9, 0, 1, fds_9 } };
static const struct whosock_owner o_systemd[] = { { &p_systemd, 30, 0, 1, fds_30 } };
static const struct whosock_owner o_app[] = { { &p_app, 7, 0, 1, fds_7 } };
static const struct whosock_owner o_evil[] = { { &p_evil, 1, 0, 1, fds_1 } };

/* ---- table ---- */

static void push_inet_table_rows(void)
{
	struct whosock_socket s;

	s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET, WHOSOCK_STATE_LISTEN, "0.0.0.0", 22, "0.0.0.0", 0);
	s.owners = o_sshd;
	s.n_owners = 2;
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET6, WHOSOCK_STATE_LISTEN, "::1", 8080, "::", 0);
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET6, WHOSOCK_STATE_ESTABLISHED, "::ffff:127.0.0.1", 80,
		      "::ffff:127.0.0.1", 51000);
	s.owners = o_nginx;
	s.n_owners = 2;
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET, WHOSOCK_STATE_CLOSE, "127.0.0.53", 53, "0.0.0.0",
		      0);
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET, WHOSOCK_STATE_ESTABLISHED, "10.0.0.1", 0,
		      "10.0.0.2", 9);
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_RAW, AF_INET6, WHOSOCK_STATE_CLOSE, "::", 58, "::", 0);
	push(&s);
	/* Bound to an interface that does not exist: its number is shown. */
	s = inet_sock(WHOSOCK_PROTO_UDPLITE, AF_INET, WHOSOCK_STATE_CLOSE, "0.0.0.0", 5000,
		      "0.0.0.0", 0);
	s.ifindex = 999999;
	s.known |= WHOSOCK_KNOWN_IFINDEX;
	push(&s);
}

static void test_table_inet(void **state)
{
	(void)state;
	push_inet_table_rows();
	render_is(OUTPUT_TABLE, 1, 0,
		  "PROTO    STATE        LOCAL                  REMOTE                    PROCESS\n"
		  "tcp      LISTEN       *:22                   *:*                       sshd(812)\n"
		  "tcp6     LISTEN       [::1]:8080             *:*                       \n"
		  "tcp6     ESTABLISHED  [::ffff:127.0.0.1]:80  [::ffff:127.0.0.1]:51000  "
		  "nginx(100),nginx(101)\n"
		  "udp      UNCONN       127.0.0.53:53          *:*                       \n"
		  "udp      ESTABLISHED  10.0.0.1:*             10.0.0.2:9                \n"
		  "raw6     UNCONN       *:58                   *:*                       \n"
		  "udplite  UNCONN       *%if999999:5000        *:*                       \n");
}

static void test_table_no_header(void **state)
{
	(void)state;
	push_inet_table_rows();
	/* Widths still count the header, so columns line up with and without it. */
	render_is(OUTPUT_TABLE, 0, 0,
		  "tcp      LISTEN       *:22                   *:*                       sshd(812)\n"
		  "tcp6     LISTEN       [::1]:8080             *:*                       \n"
		  "tcp6     ESTABLISHED  [::ffff:127.0.0.1]:80  [::ffff:127.0.0.1]:51000  "
		  "nginx(100),nginx(101)\n"
		  "udp      UNCONN       127.0.0.53:53          *:*                       \n"
		  "udp      ESTABLISHED  10.0.0.1:*             10.0.0.2:9                \n"
		  "raw6     UNCONN       *:58                   *:*                       \n"
		  "udplite  UNCONN       *%if999999:5000        *:*                       \n");
}

static void push_unix_rows(void)
{
	struct whosock_socket s;
	size_t a, b;

	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, "/tmp/a\x1b[31mb");
	s.owners = o_dbus;
	s.n_owners = 1;
	push(&s);
	s = unix_sock(SOCK_DGRAM, WHOSOCK_STATE_CLOSE, NULL, 0);
	push(&s);
	s = UNIX_SOCK(SOCK_SEQPACKET, WHOSOCK_STATE_ESTABLISHED, "@abs\nname");
	s.owners = o_app;
	s.n_owners = 1;
	s.inode = 5000;
	s.peer_inode = 5001;
	s.uid = 1000;
	s.cookie = 77;
	s.netns = 4026531840u;
	s.known = WHOSOCK_KNOWN_PEER | WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE |
		  WHOSOCK_KNOWN_QUEUES;
	a = whosock_snapshot_count(snap);
	push(&s);
	s = unix_sock(SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED, NULL, 0);
	s.owners = o_systemd;
	s.n_owners = 1;
	s.inode = 5001;
	s.peer_inode = 5000;
	s.known = WHOSOCK_KNOWN_PEER;
	b = whosock_snapshot_count(snap);
	push(&s);
	snapshot_at(snap, a)->peer = snapshot_at(snap, b);
	snapshot_at(snap, b)->peer = snapshot_at(snap, a);
}

static void test_table_unix(void **state)
{
	(void)state;
	push_unix_rows();
	/* Rows from two namespaces: the NETNS column appears. */
	render_is(OUTPUT_TABLE, 1, 0,
		  "NETNS       PROTO  STATE      LOCAL            REMOTE          PROCESS\n"
		  "0           u_str  LISTEN     /tmp/a\\x1b[31mb  *               dbus-daemon(5)\n"
		  "0           u_dgr  UNCONN     *                *               \n"
		  "4026531840  u_seq  CONNECTED  @abs\\x0aname     * [systemd(1)]  app(42)\n"
		  "0           u_str  CONNECTED  *                * [app(42)]     systemd(1)\n");
}

static void test_table_extended_and_escaped_owner(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET, WHOSOCK_STATE_LISTEN, "0.0.0.0", 22, "0.0.0.0", 0);
	s.owners = o_sshd;
	s.n_owners = 2;
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET, WHOSOCK_STATE_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	s.owners = o_nginx;
	s.n_owners = 2;
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET, WHOSOCK_STATE_CLOSE, "0.0.0.0", 9, "0.0.0.0", 0);
	s.owners = o_app;
	s.n_owners = 1;
	push(&s);
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET, WHOSOCK_STATE_CLOSE, "0.0.0.0", 7, "0.0.0.0", 0);
	s.owners = o_evil;
	s.n_owners = 1;
	push(&s);
	/* -e: queues, uid, inode and cookie columns ('-' where unknown). */
	render_is(OUTPUT_TABLE, 1, 1,
		  "PROTO  STATE   RECV-Q  SEND-Q  LOCAL  REMOTE  UID  INODE  COOKIE  PROCESS\n"
		  "tcp    LISTEN  -       -       *:22   *:*     -    -      -       sshd(812,root)\n"
		  "tcp    LISTEN  -       -       *:80   *:*     -    -      -       "
		  "nginx(100,33),nginx(101,www-data)\n"
		  "udp    UNCONN  -       -       *:9    *:*     -    -      -       app(42,?)\n"
		  "udp    UNCONN  -       -       *:7    *:*     -    -      -       ev\"il,\\x1b(66,1000)\n");
}

static void test_table_empty(void **state)
{
	(void)state;
	render_is(OUTPUT_TABLE, 1, 0, "PROTO  STATE  LOCAL  REMOTE  PROCESS\n");
	render_is(OUTPUT_TABLE, 0, 0, "");
}

/* A wide character counts one column per code point, invalid bytes four. */
static void test_table_utf8_alignment(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, "/run/caf\xc3\xa9");
	push(&s);
	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, "/run/\xff");
	push(&s);
	render_is(OUTPUT_TABLE, 1, 0,
		  "PROTO  STATE   LOCAL      REMOTE  PROCESS\n"
		  "u_str  LISTEN  /run/caf\xc3\xa9  *       \n"
		  "u_str  LISTEN  /run/\\xff  *       \n");
}

/* ---- JSON ---- */

#define SSHD_OWNER_3                                                                         \
	"{\"pid\":812,\"fd\":3,\"fds\":[3,7],\"comm\":\"sshd\",\"cmdline\":\"sshd: /usr/sbin/sshd -D\",\"cmdline_truncated\":false,"  \
	"\"uid\":0,\"user\":\"root\",\"cgroup\":\"/system.slice/ssh.service\","             \
	"\"container\":null}"
#define SSHD_OWNER_4                                                                         \
	"{\"pid\":812,\"fd\":4,\"fds\":[4],\"tid\":815,\"comm\":\"sshd\","                              \
	"\"cmdline\":\"sshd: /usr/sbin/sshd -D\",\"cmdline_truncated\":false,\"uid\":0,\"user\":\"root\","               \
	"\"cgroup\":\"/system.slice/ssh.service\",\"container\":null}"

#define JSON_TCP_FULL                                                                        \
	"{\"netns\":4026531840,\"netns_name\":\"blue\",\"proto\":\"tcp\",\"family\":\"inet6\"," \
	"\"type\":\"stream\",\"state\":\"LISTEN\",\"local\":{\"addr\":\"::\",\"port\":22},"   \
	"\"remote\":{\"addr\":\"::\",\"port\":0},\"peer_inode\":null,\"ifindex\":0,\"cgroup_id\":null,\"inode\":23817,\"uid\":0,"    \
	"\"cookie\":4099,\"rqueue\":0,\"wqueue\":128,\"source\":\"netlink\","                \
	"\"owners\":[" SSHD_OWNER_3 "," SSHD_OWNER_4 "],"                                    \
	"\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":{\"rtt_us\":41,\"retransmits\":2,\"bytes_acked\":1200,"                      \
	"\"bytes_received\":5310,\"bytes_sent\":1300," \
	"\"rttvar_us\":null,\"cwnd\":null,\"mss\":null,\"rto_us\":null,\"lost\":null,\"unacked\":null,\"delivery_rate\":null},\"memory\":null,\"traffic\":null}"

#define JSON_TCP_UNKNOWN                                                                     \
	"{\"netns\":null,\"netns_name\":null,\"proto\":\"tcp\",\"family\":\"inet\","         \
	"\"type\":\"stream\",\"state\":\"ESTABLISHED\","                                     \
	"\"local\":{\"addr\":\"127.0.0.1\",\"port\":8080},"                                  \
	"\"remote\":{\"addr\":\"10.1.2.3\",\"port\":51000},\"peer_inode\":null,\"ifindex\":null,\"cgroup_id\":null,\"inode\":0,"     \
	"\"uid\":null,\"cookie\":null,\"rqueue\":1,\"wqueue\":2,\"source\":\"proc\","         \
	"\"owners\":[],\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":null,\"memory\":null,\"traffic\":null}"

#define JSON_UNIX_ABSTRACT                                                                   \
	"{\"netns\":4026531840,\"netns_name\":null,\"proto\":\"unix\",\"family\":\"unix\","  \
	"\"type\":\"seqpacket\",\"state\":\"CONNECTED\",\"local\":{\"path\":\"@abs\\nname\"}," \
	"\"remote\":{\"path\":null},\"peer_inode\":5001,\"ifindex\":null,\"cgroup_id\":null,\"inode\":5000,\"uid\":1000,"         \
	"\"cookie\":77,\"rqueue\":0,\"wqueue\":0,\"source\":\"netlink\","                    \
	"\"owners\":[{\"pid\":42,\"fd\":7,\"fds\":[7],\"comm\":\"app\",\"cmdline\":null,\"cmdline_truncated\":false,\"uid\":null,"   \
	"\"user\":null,\"cgroup\":null,\"container\":null}],"                                \
	"\"peer_owners\":[{\"pid\":1,\"fd\":30,\"fds\":[30],\"comm\":\"systemd\",\"cmdline\":\"\",\"cmdline_truncated\":false,"       \
	"\"uid\":0,\"user\":\"root\",\"cgroup\":\"/init.scope\",\"container\":null}],"  \
	"\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":null,\"memory\":null,\"traffic\":null}"

static struct whosock_socket tcp_full(void)
{
	struct whosock_socket s =
		inet_sock(WHOSOCK_PROTO_TCP, AF_INET6, WHOSOCK_STATE_LISTEN, "::", 22, "::", 0);

	s.netns = 4026531840u;
	s.netns_name = snapshot_strndup(snap, "blue", 4);
	s.inode = 23817;
	s.uid = 0;
	s.cookie = 4099;
	s.wqueue = 128;
	s.tcp.rtt_us = 41;
	s.tcp.retransmits = 2;
	s.tcp.bytes_acked = 1200;
	s.tcp.bytes_received = 5310;
	s.tcp.bytes_sent = 1300;
	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_QUEUES |
		  WHOSOCK_KNOWN_IFINDEX | WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES |
		  WHOSOCK_KNOWN_TCP_BYTES_SENT;
	s.owners = o_sshd;
	s.n_owners = 2;
	return s;
}

static struct whosock_socket tcp_unknown(void)
{
	struct whosock_socket s = inet_sock(WHOSOCK_PROTO_TCP, AF_INET, WHOSOCK_STATE_ESTABLISHED,
					    "127.0.0.1", 8080, "10.1.2.3", 51000);

	s.source = WHOSOCK_SOURCE_PROC;
	s.uid = 1234;   /* not known: must not show */
	s.cookie = 999; /* not known: must not show */
	s.rqueue = 1;
	s.wqueue = 2;
	s.tcp.rtt_us = 5; /* not known: must not show */
	s.known = WHOSOCK_KNOWN_QUEUES;
	return s;
}

static void test_json_socket_tcp_full(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_full();
	json_socket_is(&s, JSON_TCP_FULL);
}

static void test_json_socket_tcp_unknown(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_unknown();
	json_socket_is(&s, JSON_TCP_UNKNOWN);
}

/* tcp_info from an old kernel: the byte counters it lacks are null. */
static void test_json_socket_tcp_partial_info(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_full();
	s.owners = NULL;
	s.n_owners = 0;
	s.known &= ~(unsigned)(WHOSOCK_KNOWN_TCP_BYTES | WHOSOCK_KNOWN_TCP_BYTES_SENT);
	json_socket_is(
		&s,
		"{\"netns\":4026531840,\"netns_name\":\"blue\",\"proto\":\"tcp\",\"family\":\"inet6\","
		"\"type\":\"stream\",\"state\":\"LISTEN\",\"local\":{\"addr\":\"::\",\"port\":22},"
		"\"remote\":{\"addr\":\"::\",\"port\":0},\"peer_inode\":null,\"ifindex\":0,\"cgroup_id\":null,\"inode\":23817,\"uid\":0,"
		"\"cookie\":4099,\"rqueue\":0,\"wqueue\":128,\"source\":\"netlink\",\"owners\":[],"
		"\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":{\"rtt_us\":41,\"retransmits\":2,\"bytes_acked\":null,"
		"\"bytes_received\":null,\"bytes_sent\":null,"
		"\"rttvar_us\":null,\"cwnd\":null,\"mss\":null,\"rto_us\":null,\"lost\":null,\"unacked\":null,\"delivery_rate\":null},\"memory\":null,\"traffic\":null}");
}

/* Only TCP has a "tcp" member. */
static void test_json_socket_udp(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET6, WHOSOCK_STATE_CLOSE, "::ffff:1.2.3.4", 53, "::", 0);
	s.inode = 7;
	s.uid = 101;
	s.cookie = 18446744073709551615ull;
	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_QUEUES |
		  WHOSOCK_KNOWN_IFINDEX | WHOSOCK_KNOWN_TCP_INFO;
	s.ifindex = 3;
	json_socket_is(
		&s,
		"{\"netns\":null,\"netns_name\":null,\"proto\":\"udp\",\"family\":\"inet6\","
		"\"type\":\"dgram\",\"state\":\"UNCONN\","
		"\"local\":{\"addr\":\"::ffff:1.2.3.4\",\"port\":53},"
		"\"remote\":{\"addr\":\"::\",\"port\":0},\"peer_inode\":null,\"ifindex\":3,\"cgroup_id\":null,\"inode\":7,\"uid\":101,"
		"\"cookie\":18446744073709551615,\"rqueue\":0,\"wqueue\":0,\"source\":\"netlink\","
		"\"owners\":[],\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":null,\"memory\":null,\"traffic\":null}");
}

static void test_json_socket_unix_abstract(void **state)
{
	(void)state;
	push_unix_rows();
	json_socket_is(whosock_snapshot_get(snap, 2), JSON_UNIX_ABSTRACT);
}

static void test_json_socket_escaped_owner(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = UNIX_SOCK(SOCK_DGRAM, WHOSOCK_STATE_CLOSE, "/tmp/\xff\"q");
	s.owners = o_evil;
	s.n_owners = 1;
	json_socket_is(
		&s,
		"{\"netns\":null,\"netns_name\":null,\"proto\":\"unix\",\"family\":\"unix\","
		"\"type\":\"dgram\",\"state\":\"UNCONN\",\"local\":{\"path\":\"/tmp/\\udcff\\\"q\"},"
		"\"remote\":{\"path\":null},\"peer_inode\":null,\"ifindex\":null,\"cgroup_id\":null,\"inode\":0,\"uid\":null,"
		"\"cookie\":null,\"rqueue\":null,\"wqueue\":null,\"source\":\"netlink\","
		"\"owners\":[{\"pid\":66,\"fd\":1,\"fds\":[1],\"comm\":\"ev\\\"il,\\u001b\","
		"\"cmdline\":\"a\\\\b\\nc\",\"cmdline_truncated\":false,\"uid\":1000,\"user\":null,\"cgroup\":null,"
		"\"container\":null}],\"peer_owners\":[],\"protocol\":null,\"packet\":null,\"netlink\":null,\"tcp\":null,\"memory\":null,\"traffic\":null}");
}

static void test_json_array(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_full();
	push(&s);
	s = tcp_unknown();
	push(&s);
	render_is(OUTPUT_JSON, 1, 0, "[\n" JSON_TCP_FULL ",\n" JSON_TCP_UNKNOWN "\n]\n");
	/* The header flag does not change JSON. */
	render_is(OUTPUT_JSON, 0, 0, "[\n" JSON_TCP_FULL ",\n" JSON_TCP_UNKNOWN "\n]\n");
}

static void test_json_array_unix(void **state)
{
	(void)state;
	push_unix_rows();
	snapshot_truncate(snap, 3);
	{
		struct sbuf out = { 0 };
		struct cli cli;
		const char *third;
		bool ok;

		memset(&cli, 0, sizeof(cli));
		cli.format = OUTPUT_JSON;
		assert_int_equal(output_render(&out, snap, &cli), 0);
		assert_true(out.len > strlen(JSON_UNIX_ABSTRACT) + 4);
		/* The last element, then the closing bracket. */
		third = out.data + out.len - strlen(JSON_UNIX_ABSTRACT "\n]\n");
		ok = memcmp(third, JSON_UNIX_ABSTRACT "\n]\n", strlen(JSON_UNIX_ABSTRACT "\n]\n")) ==
			     0 &&
		     memcmp(third - 2, ",\n", 2) == 0 && memcmp(out.data, "[\n{", 3) == 0;
		if (!ok)
			print_error("rendered:\n%.*s\n", (int)out.len, out.data);
		sbuf_free(&out);
		assert_true(ok);
	}
}

static void test_json_empty(void **state)
{
	(void)state;
	render_is(OUTPUT_JSON, 1, 0, "[]\n");
	render_is(OUTPUT_NDJSON, 1, 0, "");
}

static void test_ndjson(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_full();
	push(&s);
	s = tcp_unknown();
	push(&s);
	render_is(OUTPUT_NDJSON, 1, 0, JSON_TCP_FULL "\n" JSON_TCP_UNKNOWN "\n");
}

/* A name with a newline stays on its line in NDJSON. */
static void test_ndjson_unix_one_line_each(void **state)
{
	struct sbuf out = { 0 };
	struct cli cli;
	size_t lines = 0;

	(void)state;
	push_unix_rows();
	memset(&cli, 0, sizeof(cli));
	cli.format = OUTPUT_NDJSON;
	assert_int_equal(output_render(&out, snap, &cli), 0);
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] == '\n') {
			lines++;
			if (i + 1 < out.len)
				assert_int_equal(out.data[i + 1], '{');
			assert_int_equal(out.data[i - 1], '}');
		}
		assert_true((unsigned char)out.data[i] >= 0x20 || out.data[i] == '\n');
	}
	assert_int_equal(lines, whosock_snapshot_count(snap));
	assert_int_equal(out.data[0], '{');
	sbuf_free(&out);
}

/* ---- CSV ---- */

#define CSV_HEADER                                                                           \
	"netns,proto,family,type,state,local_addr,local_port,local_path,remote_addr,remote_port," \
	"remote_path,inode,uid,cookie,rqueue,wqueue,peer_inode,owners,protocol,ifindex,netlink_portid,netlink_groups\n"

static void test_csv(void **state)
{
	struct whosock_socket s;

	(void)state;
	s = tcp_full();
	push(&s);
	s = tcp_unknown();
	s.owners = o_nginx;
	s.n_owners = 2;
	push(&s);
	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, "/run/a,b \"q\"\n");
	s.inode = 5000;
	s.uid = 1000;
	s.cookie = 77;
	s.peer_inode = 5001;
	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_QUEUES |
		  WHOSOCK_KNOWN_PEER;
	s.owners = o_evil;
	s.n_owners = 1;
	push(&s);
	s = unix_sock(SOCK_DGRAM, WHOSOCK_STATE_CLOSE, NULL, 0);
	s.owners = o_sshd; /* the process and a thread of it: listed once */
	s.n_owners = 2;
	push(&s);

	render_is(OUTPUT_CSV, 1, 0,
		  CSV_HEADER
		  "4026531840,tcp,inet6,stream,LISTEN,::,22,,::,0,,23817,0,4099,0,128,,812:sshd,,0,,\n"
		  ",tcp,inet,stream,ESTABLISHED,127.0.0.1,8080,,10.1.2.3,51000,,0,,,1,2,,"
		  "100:nginx 101:nginx,,,,\n"
		  ",unix,unix,stream,LISTEN,,,\"/run/a,b \"\"q\"\"\\x0a\",,,,5000,1000,77,0,0,5001,"
		  "\"66:ev\"\"il,\\x1b\",,,,\n"
		  ",unix,unix,dgram,UNCONN,,,,,,,0,,,,,,812:sshd,,,,\n");
	render_is(OUTPUT_CSV, 0, 0,
		  "4026531840,tcp,inet6,stream,LISTEN,::,22,,::,0,,23817,0,4099,0,128,,812:sshd,,0,,\n"
		  ",tcp,inet,stream,ESTABLISHED,127.0.0.1,8080,,10.1.2.3,51000,,0,,,1,2,,"
		  "100:nginx 101:nginx,,,,\n"
		  ",unix,unix,stream,LISTEN,,,\"/run/a,b \"\"q\"\"\\x0a\",,,,5000,1000,77,0,0,5001,"
		  "\"66:ev\"\"il,\\x1b\",,,,\n"
		  ",unix,unix,dgram,UNCONN,,,,,,,0,,,,,,812:sshd,,,,\n");
}

/* Every CSV record has as many fields as the header. */
static void test_csv_field_count(void **state)
{
	struct sbuf out = { 0 };
	struct cli cli;
	struct whosock_socket s;
	size_t fields = 0, header_fields = 0;
	bool in_quotes = false, in_header = true;

	(void)state;
	push_inet_table_rows();
	push_unix_rows();
	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, ",\",\"\n,");
	push(&s);
	memset(&cli, 0, sizeof(cli));
	cli.format = OUTPUT_CSV;
	cli.header = 1;
	assert_int_equal(output_render(&out, snap, &cli), 0);
	for (size_t i = 0; i < out.len; i++) {
		char c = out.data[i];

		if (c == '"') {
			in_quotes = !in_quotes;
		} else if (c == ',' && !in_quotes) {
			fields++;
		} else if (c == '\n') {
			assert_false(in_quotes);
			fields++;
			if (in_header)
				header_fields = fields;
			else
				assert_int_equal(fields, header_fields);
			in_header = false;
			fields = 0;
		}
	}
	assert_int_equal(header_fields, 22);
	assert_int_equal(fields, 0);
	sbuf_free(&out);
}

static void test_csv_empty(void **state)
{
	(void)state;
	render_is(OUTPUT_CSV, 1, 0, CSV_HEADER);
	render_is(OUTPUT_CSV, 0, 0, "");
}

/* ---- out of memory ---- */

/* A buffer that already failed stays failed and unchanged (sbuf's contract:
 * further bytes are dropped); the render reports -ENOMEM. */
static void test_render_failed_buffer(void **state)
{
	static const enum output_format formats[] = { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_NDJSON,
						      OUTPUT_CSV };
	struct whosock_socket s;

	(void)state;
	s = inet_sock(WHOSOCK_PROTO_UDP, AF_INET, WHOSOCK_STATE_CLOSE, "0.0.0.0", 53, "0.0.0.0", 0);
	push(&s);
	s = UNIX_SOCK(SOCK_STREAM, WHOSOCK_STATE_LISTEN, "/run/x");
	push(&s);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct sbuf out = { 0 };
		struct cli cli;

		memset(&cli, 0, sizeof(cli));
		cli.format = formats[i];
		cli.header = 1;
		out.failed = true;
		assert_int_equal(output_render(&out, snap, &cli), -ENOMEM);
		assert_true(out.failed);
		if (out.len != 0)
			fail_msg("format %d: failed buffer's len changed to %zu", (int)formats[i],
				 out.len);
		sbuf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_inet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_no_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_unix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_extended_and_escaped_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_utf8_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_tcp_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_tcp_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_tcp_partial_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_unix_abstract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_socket_escaped_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_array, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_array_unix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ndjson, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ndjson_unix_one_line_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_field_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_failed_buffer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
