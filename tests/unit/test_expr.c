/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/expr.c (filter expressions: parser, matcher, inet_diag
 * bytecode), their use in lib/filter.c, and lib/destroy.c's request.
 * The bytecode is checked three ways: byte by byte for a few shapes, by a
 * rewrite of the kernel's audit and interpreter (fuzz/bcrun.h) against the
 * matcher, and by the kernel itself in a network namespace of our own
 * (root only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "kinds.h"
#include "../../fuzz/bcrun.h"
#include "destroy.h"
#include "sockdiag.h"
#include "whosock/whosock.h"

static struct whosock_socket inet(int family, const char *la, uint16_t lp, const char *ra,
				  uint16_t rp, int state)
{
	struct whosock_socket s;

	memset(&s, 0, sizeof(s));
	s.family = (uint8_t)family;
	s.proto = WHOSOCK_PROTO_TCP;
	s.state = (uint8_t)state;
	assert_int_equal(inet_pton(family, la, s.local.addr), 1);
	assert_int_equal(inet_pton(family, ra, s.remote.addr), 1);
	s.local.port = lp;
	s.remote.port = rp;
	return s;
}

static struct whosock_expr *parse_ok(const char *text)
{
	struct whosock_expr *e = NULL;
	struct whosock_expr_error err;
	int r = whosock_expr_parse(text, &e, &err);

	if (r != 0)
		fail_msg("'%s' did not parse: %s at %zu", text, err.message, err.offset);
	return e;
}

/* The sockets every matching test runs over. */
enum { S_V4_EST, S_V4_LISTEN_ANY, S_V6_EST, S_V6_LISTEN_ANY, S_MAPPED, S_V4_TW, S_FAR, S_UNIX, N_S };

static void make(struct whosock_socket *v)
{
	v[S_V4_EST] = inet(AF_INET, "127.0.0.1", 7000, "127.0.0.5", 40001, WHOSOCK_STATE_ESTABLISHED);
	v[S_V4_LISTEN_ANY] = inet(AF_INET, "0.0.0.0", 22, "0.0.0.0", 0, WHOSOCK_STATE_LISTEN);
	v[S_V6_EST] = inet(AF_INET6, "::1", 7003, "::1", 40003, WHOSOCK_STATE_ESTABLISHED);
	v[S_V6_LISTEN_ANY] = inet(AF_INET6, "::", 7004, "::", 0, WHOSOCK_STATE_LISTEN);
	v[S_MAPPED] = inet(AF_INET6, "::ffff:127.0.0.1", 7004, "::ffff:10.9.8.7", 40005,
			   WHOSOCK_STATE_ESTABLISHED);
	v[S_V4_TW] = inet(AF_INET, "10.1.2.3", 40006, "192.168.7.1", 443, WHOSOCK_STATE_TIME_WAIT);
	v[S_FAR] = inet(AF_INET6, "2001:db8::5", 1024, "2001:db8:1::9", 1023, WHOSOCK_STATE_SYN_SENT);
	memset(&v[S_UNIX], 0, sizeof(v[S_UNIX]));
	v[S_UNIX].family = AF_UNIX;
	v[S_UNIX].proto = WHOSOCK_PROTO_UNIX;
	v[S_UNIX].state = WHOSOCK_STATE_ESTABLISHED;
}

#define B(i) (1u << (i))

/* Expressions and the sockets of make() each one selects. */
static const struct {
	const char *text;
	unsigned want;
} cases[] = {
	{ "", B(N_S) - 1 },
	{ "state established", B(S_V4_EST) | B(S_V6_EST) | B(S_MAPPED) | B(S_UNIX) },
	{ "state listening", B(S_V4_LISTEN_ANY) | B(S_V6_LISTEN_ANY) },
	{ "state connected", B(N_S) - 1 - B(S_V4_LISTEN_ANY) - B(S_V6_LISTEN_ANY) },
	{ "state synchronized", B(N_S) - 1 - B(S_V4_LISTEN_ANY) - B(S_V6_LISTEN_ANY) - B(S_FAR) },
	{ "state bucket", B(S_V4_TW) },
	{ "exclude listening exclude time-wait", B(N_S) - 1 - B(S_V4_LISTEN_ANY) -
						  B(S_V6_LISTEN_ANY) - B(S_V4_TW) },
	{ "sport = :7000", B(S_V4_EST) },
	{ "sport :7000", B(S_V4_EST) },
	{ "sport == 7000", B(S_V4_EST) },
	{ "sport eq :ssh", B(S_V4_LISTEN_ANY) },
	{ "dport = :https", B(S_V4_TW) },
	{ "sport != :7000", B(N_S) - 1 - B(S_V4_EST) },            /* UNIX too: not (false) */
	{ "sport >= :7003 and sport <= :7004", B(S_V6_EST) | B(S_V6_LISTEN_ANY) | B(S_MAPPED) },
	{ "sport > :7003", B(S_V6_LISTEN_ANY) | B(S_MAPPED) | B(S_V4_TW) | B(S_UNIX) },
	{ "sport lt :1025 && sport ge :1", B(S_V4_LISTEN_ANY) | B(S_FAR) },
	{ "dport le :1023", B(S_V4_LISTEN_ANY) | B(S_V6_LISTEN_ANY) | B(S_V4_TW) | B(S_FAR) },
	{ "src 127.0.0.1", B(S_V4_EST) | B(S_MAPPED) },           /* v4-mapped, as the kernel */
	{ "src [::ffff:127.0.0.1]", B(S_MAPPED) },
	{ "src 127.0.0.0/8", B(S_V4_EST) | B(S_MAPPED) },
	{ "dst 10.0.0.0/8", B(S_MAPPED) },
	{ "src 10.0.0.0/7", B(S_V4_TW) },
	{ "src 0.0.0.0/0", B(S_V4_EST) | B(S_V4_LISTEN_ANY) | B(S_V4_TW) | B(S_MAPPED) },
	{ "src ::/0", B(S_V6_EST) | B(S_V6_LISTEN_ANY) | B(S_MAPPED) | B(S_FAR) },
	{ "src ::1", B(S_V6_EST) },
	{ "src [::1]:7003", B(S_V6_EST) },
	{ "src [::1]:7004", 0 },
	{ "dst 2001:db8::/32", B(S_FAR) },
	{ "dst 2001:db8::/48", 0 },
	{ "dst [2001:db8::/47]:1023", B(S_FAR) },
	{ "src 127.0.0.1/32:7000", B(S_V4_EST) },
	{ "src *:22", B(S_V4_LISTEN_ANY) },
	{ "src :22", B(S_V4_LISTEN_ANY) },
	{ "src = 10.1.2.3 dst != 192.168.7.1", 0 },
	{ "src = 10.1.2.3 dst != 192.168.7.2", B(S_V4_TW) },
	{ "sport = 127.0.0.1:7000", B(S_V4_EST) },
	{ "not src 127.0.0.1", B(N_S) - 1 - B(S_V4_EST) - B(S_MAPPED) },
	{ "! ( src 127.0.0.1 or src [::1] )", B(N_S) - 1 - B(S_V4_EST) - B(S_MAPPED) - B(S_V6_EST) },
	/* ss: and and or bind equally, from the left: (a or b) and c */
	{ "sport = :7000 or sport = :22 and dport = :0", B(S_V4_LISTEN_ANY) },
	{ "sport = :7000 or ( sport = :22 and dport = :0 )", B(S_V4_EST) | B(S_V4_LISTEN_ANY) },
	{ "sport = :7000 || sport = :22 || dst 10.9.8.7", B(S_V4_EST) | B(S_V4_LISTEN_ANY) | B(S_MAPPED) },
	{ "(sport = :7000)or(sport = :22)", B(S_V4_EST) | B(S_V4_LISTEN_ANY) },
	{ "state established ( dport = :7000 or sport = :7000 )", B(S_V4_EST) },
	{ "( state listening or dport = :443 )", B(S_V4_LISTEN_ANY) | B(S_V6_LISTEN_ANY) | B(S_V4_TW) },
	{ "not not not sport = :7000", B(N_S) - 1 - B(S_V4_EST) },
};

static void test_match(void **state)
{
	struct whosock_socket v[N_S];

	(void)state;
	make(v);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct whosock_expr *e = parse_ok(cases[c].text);
		unsigned got = 0;

		for (int i = 0; i < N_S; i++)
			got |= whosock_expr_match(e, &v[i]) ? B(i) : 0;
		if (got != cases[c].want)
			fail_msg("'%s': got %#x, want %#x", cases[c].text, got, cases[c].want);
		whosock_expr_free(e);
	}
}

/* The bytecode passes the kernel's audit and runs as the matcher decides
 * (the state clauses are not in it: the socket is put in one of them). */
static void test_bytecode_replica(void **state)
{
	struct whosock_socket v[N_S];
	unsigned compiled = 0;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct whosock_expr *e = parse_ok(cases[c].text);
		unsigned states = whosock_expr_states(e);
		const void *code = NULL;
		int len = whosock_expr_bytecode(e, &code);

		make(v);
		if (len == -EOPNOTSUPP) {
			assert_non_null(strstr(cases[c].text, "( state"));
			whosock_expr_free(e);
			continue;
		}
		assert_true(len >= 0);
		if (len == 0) {
			whosock_expr_free(e);
			continue;
		}
		compiled++;
		if (bc_audit(code, len) != 0)
			fail_msg("'%s': the kernel's audit refuses the bytecode", cases[c].text);
		for (int i = 0; i < N_S; i++) {
			for (int st = 1; states && st < STATE_COUNT; st++)
				if (states & WHOSOCK_STATE_BIT(st)) {
					v[i].state = (uint8_t)st;
					break;
				}
			if (v[i].family != AF_UNIX && bc_run(code, len, &v[i]) != whosock_expr_match(e, &v[i]))
				fail_msg("'%s': bytecode and matcher differ on socket %d", cases[c].text, i);
		}
		whosock_expr_free(e);
	}
	assert_true(compiled >= 35);
}

static void test_bytecode_shapes(void **state)
{
	struct whosock_expr *e;
	const void *code;
	const uint8_t *b;
	struct inet_diag_bc_op op;
	struct inet_diag_hostcond hc;

	(void)state;
	/* One comparison: the op, then the port in a second op's "no". */
	e = parse_ok("sport >= :1024");
	assert_int_equal(whosock_expr_bytecode(e, &code), 8);
	b = code;
	memcpy(&op, b, 4);
	assert_int_equal(op.code, INET_DIAG_BC_S_GE);
	assert_int_equal(op.yes, 8);
	assert_int_equal(op.no, 12); /* past the end + 4: rejected */
	memcpy(&op, b + 4, 4);
	assert_int_equal(op.no, 1024);
	whosock_expr_free(e);
	/* A port alone: a host condition of no family. */
	e = parse_ok("dst :22");
	assert_int_equal(whosock_expr_bytecode(e, &code), 12);
	b = code;
	memcpy(&op, b, 4);
	memcpy(&hc, b + 4, sizeof(hc));
	assert_int_equal(op.code, INET_DIAG_BC_D_COND);
	assert_int_equal(op.yes, 12);
	assert_int_equal(op.no, 16);
	assert_int_equal(hc.family, AF_UNSPEC);
	assert_int_equal(hc.port, 22);
	assert_int_equal(hc.prefix_len, 0);
	whosock_expr_free(e);
	/* not: the condition, then a jump to "rejected" when it held. */
	e = parse_ok("not src 10.0.0.0/8");
	assert_int_equal(whosock_expr_bytecode(e, &code), 20);
	b = code;
	memcpy(&op, b, 4);
	memcpy(&hc, b + 4, sizeof(hc));
	assert_int_equal(op.code, INET_DIAG_BC_S_COND);
	assert_int_equal(op.no, 20); /* false: the end, accepted */
	assert_int_equal(hc.family, AF_INET);
	assert_int_equal(hc.prefix_len, 8);
	assert_int_equal(hc.port, -1);
	assert_int_equal(b[12], 10);
	memcpy(&op, b + 16, 4);
	assert_int_equal(op.code, INET_DIAG_BC_JMP);
	assert_int_equal(op.no, 8); /* 16 + 8 = 24 = past the end + 4 */
	whosock_expr_free(e);
	/* Nothing to compile; "state" inside cannot be. */
	e = parse_ok("state listening");
	assert_int_equal(whosock_expr_bytecode(e, &code), 0);
	assert_int_equal(whosock_expr_states(e), WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN));
	whosock_expr_free(e);
	e = parse_ok("src 1.2.3.4 or state listening");
	assert_int_equal(whosock_expr_bytecode(e, &code), -EOPNOTSUPP);
	assert_int_equal(whosock_expr_states(e), 0);
	whosock_expr_free(e);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		size_t offset, length;
	} v[] = {
		{ "sport = :ssh or dport nosuch", 22, 6 },
		{ "src 10.0.0.0/33", 4, 11 },
		{ "src [::1", 4, 4 },
		{ "src host.example", 4, 12 },
		{ "src", 0, 3 },
		{ "src 1.2.3.4 )", 12, 1 },
		{ "( src 1.2.3.4", 13, 0 },
		{ "( src 1.2.3.4 src", 14, 3 },
		{ "state sleepy", 6, 6 },
		{ "state listening exclude listening", 16, 7 },
		{ "sport > *", 8, 1 },
		{ "sport = :70000", 8, 6 },
		{ "sport =", 0, 5 },
		{ "dev eth0", 0, 3 },
		{ "src 1.2.3.4 and", 15, 0 },
		{ "src 1.2.3.4 or or src 1.2.3.5", 15, 2 },
		{ "src 1.2.3.4 exclude listening", 12, 7 },
		{ "hello", 0, 5 },
		{ "!", 1, 0 },
		{ "src 1.2.3.4:no!such", 4, 15 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct whosock_expr *e = (struct whosock_expr *)(uintptr_t)1;
		struct whosock_expr_error err;
		int r = whosock_expr_parse(v[i].text, &e, &err);

		if (r != -EINVAL)
			fail_msg("'%s': got %d, want -EINVAL", v[i].text, r);
		assert_ptr_equal(e, (struct whosock_expr *)(uintptr_t)1);
		assert_true(err.message[0] != '\0');
		if (err.offset != v[i].offset || err.length != v[i].length)
			fail_msg("'%s': error at %zu+%zu (%s), want %zu+%zu", v[i].text, err.offset,
				 err.length, err.message, v[i].offset, v[i].length);
	}
}

static void test_parse_limits(void **state)
{
	char *text = malloc(WHOSOCK_EXPR_MAX + 2);
	struct whosock_expr *e = NULL;
	struct whosock_expr_error err;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	/* Too long. */
	memset(text, ' ', WHOSOCK_EXPR_MAX + 1);
	text[WHOSOCK_EXPR_MAX + 1] = '\0';
	assert_int_equal(whosock_expr_parse(text, &e, &err), -EINVAL);
	/* Too deep. */
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(text + n, "( ");
	sprintf(text + n, "src 1.2.3.4");
	assert_int_equal(whosock_expr_parse(text, &e, &err), -EINVAL);
	assert_non_null(strstr(err.message, "deep"));
	/* Long but fine: a thousand alternatives, compiled. */
	n = 0;
	for (int i = 1; i <= 1000; i++)
		n += (size_t)sprintf(text + n, "%ssport = :%d", i > 1 ? " or " : "", i);
	e = parse_ok(text);
	{
		const void *code;
		int len = whosock_expr_bytecode(e, &code);
		struct whosock_socket s = inet(AF_INET, "1.2.3.4", 999, "1.2.3.5", 5, 1);

		assert_true(len > 0);
		assert_int_equal(bc_audit(code, len), 0);
		assert_true(bc_run(code, len, &s) && whosock_expr_match(e, &s));
		s.local.port = 1001;
		assert_false(bc_run(code, len, &s) || whosock_expr_match(e, &s));
	}
	whosock_expr_free(e);
	whosock_expr_free(NULL);
	free(text);
}

/* In a filter: the state clauses narrow the filter's states. */
static void test_filter(void **state)
{
	struct whosock_socket v[N_S];
	struct whosock_filter f = WHOSOCK_FILTER_INIT;
	struct whosock_expr *e = parse_ok("state listening state established src 127.0.0.1");

	(void)state;
	make(v);
	f.expr = e;
	assert_true(whosock_filter_match(&f, &v[S_V4_EST]));
	assert_false(whosock_filter_match(&f, &v[S_V4_LISTEN_ANY]));
	f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN);
	assert_false(whosock_filter_match(&f, &v[S_V4_EST]));
	f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_TIME_WAIT); /* nothing in common */
	for (int i = 0; i < N_S; i++)
		assert_false(whosock_filter_match(&f, &v[i]));
	whosock_expr_free(e);
}

static void test_destroy_request(void **state)
{
	struct whosock_socket s = inet(AF_INET6, "::1", 7000, "::1", 40001, 1);
	char buf[512];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct inet_diag_req_v2 *req;
	int len;

	(void)state;
	s.cookie = 0x1122334455667788ull;
	s.known = WHOSOCK_KNOWN_COOKIE;
	s.ifindex = 3;
	len = destroy_request(buf, sizeof(buf), 42, &s);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_type, SOCK_DESTROY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 42);
	req = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(req->sdiag_family, AF_INET6);
	assert_int_equal(req->sdiag_protocol, IPPROTO_TCP);
	assert_int_equal(ntohs(req->id.idiag_sport), 7000);
	assert_int_equal(ntohs(req->id.idiag_dport), 40001);
	assert_memory_equal(req->id.idiag_src, s.local.addr, 16);
	assert_int_equal(req->id.idiag_if, 3);
	assert_int_equal(req->id.idiag_cookie[0], 0x55667788u);
	assert_int_equal(req->id.idiag_cookie[1], 0x11223344u);
	/* No cookie known (/proc): any socket with these addresses. */
	s.known = 0;
	assert_true(destroy_request(buf, sizeof(buf), 1, &s) > 0);
	assert_int_equal(req->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
	/* RAW: by its protocol. */
	s.proto = WHOSOCK_PROTO_RAW;
	s.local.port = IPPROTO_ICMPV6;
	assert_true(destroy_request(buf, sizeof(buf), 1, &s) > 0);
	assert_int_equal(((const struct inet_diag_req_raw *)req)->sdiag_raw_protocol, IPPROTO_ICMPV6);
	assert_int_equal(req->id.idiag_sport, 0);
	/* Not inet. */
	s.family = AF_UNIX;
	s.proto = WHOSOCK_PROTO_UNIX;
	assert_int_equal(destroy_request(buf, sizeof(buf), 1, &s), -EOPNOTSUPP);
	assert_int_equal(whosock_socket_destroy(&s), -EOPNOTSUPP);
}

/* ---- the kernel runs the bytecode ---- */

struct kdump {
	struct whosock_socket v[64];
	size_t n;
};

static int kdump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kdump *d = data;

	if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY && d->n < 64 &&
	    sockdiag_parse_inet(nlh, WHOSOCK_PROTO_TCP, &d->v[d->n]) == 0)
		d->n++;
	return MNL_CB_OK;
}

/* Every TCP socket of family that the kernel's run of code accepts. */
static void kernel_dump(int family, const void *code, int len, struct kdump *d)
{
	static char buf[65536];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	unsigned portid;
	int r;

	assert_non_null(nl);
	assert_int_equal(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 7;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0u;
	if (len > 0)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (size_t)len, code);
	assert_true(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) > 0);
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		assert_true(n > 0);
		r = mnl_cb_run(buf, (size_t)n, 7, portid, kdump_cb, d);
		if (r < 0)
			fail_msg("the kernel refused the dump: %s", strerror(errno));
	} while (r > 0);
	mnl_socket_close(nl);
}

static int tcp_listen(int family, const char *addr, uint16_t port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void test_bytecode_kernel(void **state)
{
	static const struct {
		int family;
		const char *addr;
		uint16_t port;
	} ls[] = {
		{ AF_INET, "127.0.0.1", 7000 }, { AF_INET, "127.0.0.2", 7001 },
		{ AF_INET, "0.0.0.0", 22 },     { AF_INET6, "::1", 7003 },
		{ AF_INET6, "::", 7004 },       { AF_INET6, "::ffff:127.0.0.9", 1023 },
	};
	int fds[sizeof(ls) / sizeof(ls[0])];
	struct ifreq ifr;
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0)
		skip(); /* needs root: a network namespace of our own */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++)
		fds[i] = tcp_listen(ls[i].family, ls[i].addr, ls[i].port);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct whosock_expr *e = parse_ok(cases[c].text);
		const void *code = NULL;
		int len = whosock_expr_bytecode(e, &code);

		if (len > 0 && !whosock_expr_states(e)) {
			for (int family = AF_INET; family <= AF_INET6; family += AF_INET6 - AF_INET) {
				struct kdump all = { .n = 0 }, kept = { .n = 0 };
				size_t want = 0;

				kernel_dump(family, NULL, 0, &all);
				kernel_dump(family, code, len, &kept);
				assert_true(all.n >= 2);
				for (size_t i = 0; i < all.n; i++)
					want += whosock_expr_match(e, &all.v[i]);
				if (kept.n != want)
					fail_msg("'%s' (family %d): the kernel kept %zu, want %zu",
						 cases[c].text, family, kept.n, want);
				for (size_t i = 0; i < kept.n; i++)
					assert_true(whosock_expr_match(e, &kept.v[i]));
			}
		}
		whosock_expr_free(e);
	}
	for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_bytecode_replica),
		cmocka_unit_test(test_bytecode_shapes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_destroy_request),
		cmocka_unit_test(test_bytecode_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
