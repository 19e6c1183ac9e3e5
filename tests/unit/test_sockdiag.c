/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/sockdiag.c.
 *
 * The parsers run over netlink messages built here with libmnl, each copied
 * into a heap block of exactly nlmsg_len bytes so that AddressSanitizer sees
 * any read past the message. The live tests open a real NETLINK_SOCK_DIAG
 * socket (no privilege needed), create sockets of their own and check that
 * the dump reports them exactly; they skip when the kernel refuses sock_diag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>

#include "kinds.h"
#include "snapshot.h"
#include "sockdiag.h"
#include "sockdiag_kinds.h"
#include "whosock/whosock.h"

#define MSG_BUF_SIZE 8192

/* Room for one message under construction; aligned as netlink wants. */
static union {
	char data[MSG_BUF_SIZE];
	uint64_t align;
} msgbuf;

static struct nlmsghdr *new_msg(void)
{
	struct nlmsghdr *nlh;

	memset(&msgbuf, 0, sizeof(msgbuf));
	nlh = mnl_nlmsg_put_header(msgbuf.data);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 42;
	return nlh;
}

/* A heap copy of exactly nlmsg_len bytes (free it). */
static void *exact_copy(const struct nlmsghdr *nlh)
{
	void *p = malloc(nlh->nlmsg_len);

	assert_non_null(p);
	memcpy(p, nlh, nlh->nlmsg_len);
	return p;
}

/* ---- inet_diag messages ---- */

static struct inet_diag_msg *put_inet(struct nlmsghdr *nlh, int family, int state)
{
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	m->idiag_family = (uint8_t)family;
	m->idiag_state = (uint8_t)state;
	m->idiag_timer = 0;
	m->idiag_retrans = 0;
	m->id.idiag_sport = htons(8080);
	m->id.idiag_dport = htons(51234);
	m->id.idiag_if = 7;
	m->id.idiag_cookie[0] = 0x55667788u;
	m->id.idiag_cookie[1] = 0x11223344u;
	m->idiag_expires = 0;
	m->idiag_rqueue = 17;
	m->idiag_wqueue = 4096;
	m->idiag_uid = 1000;
	m->idiag_inode = 0xfedcba98u;
	return m;
}

static int parse_inet(const struct nlmsghdr *nlh, enum whosock_proto proto,
		      struct whosock_socket *out)
{
	void *copy = exact_copy(nlh);
	int r = sockdiag_parse_inet(copy, proto, out);

	free(copy);
	return r;
}

/* What every inet_diag message tells. */
static const unsigned known_base = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE |
				   WHOSOCK_KNOWN_QUEUES | WHOSOCK_KNOWN_IFINDEX;

static void check_common_inet(const struct whosock_socket *s)
{
	assert_int_equal(s->netns, 0);
	assert_null(s->netns_name);
	assert_int_equal(s->source, WHOSOCK_SOURCE_NETLINK);
	assert_int_equal(s->local.port, 8080);
	assert_int_equal(s->remote.port, 51234);
	assert_null(s->local.path);
	assert_null(s->remote.path);
	assert_int_equal(s->ifindex, 7);
	assert_int_equal(s->inode, 0xfedcba98u);
	assert_int_equal(s->uid, 1000);
	assert_true(s->cookie == 0x1122334455667788ull);
	assert_int_equal(s->rqueue, 17);
	assert_int_equal(s->wqueue, 4096);
	assert_int_equal(s->peer_inode, 0);
	assert_null(s->owners);
	assert_int_equal(s->n_owners, 0);
	assert_null(s->peer);
}

static void test_inet_ipv4_tcp(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct inet_diag_msg *m = put_inet(nlh, AF_INET, WHOSOCK_STATE_ESTABLISHED);
	struct whosock_socket s;
	static const uint8_t src[16] = { 10, 0, 0, 1 };
	static const uint8_t dst[16] = { 192, 168, 1, 254 };

	(void)state;
	memcpy(m->id.idiag_src, src, 4);
	memcpy(m->id.idiag_dst, dst, 4);
	/* Bytes beyond the IPv4 address are not part of it. */
	m->id.idiag_src[1] = m->id.idiag_src[2] = m->id.idiag_src[3] = 0xdeadbeefu;
	m->id.idiag_dst[1] = m->id.idiag_dst[2] = m->id.idiag_dst[3] = 0xdeadbeefu;

	memset(&s, 0xab, sizeof(s));
	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_TCP, &s), 0);
	check_common_inet(&s);
	assert_int_equal(s.proto, WHOSOCK_PROTO_TCP);
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.type, SOCK_STREAM);
	assert_int_equal(s.state, WHOSOCK_STATE_ESTABLISHED);
	assert_memory_equal(s.local.addr, src, 16);
	assert_memory_equal(s.remote.addr, dst, 16);
	assert_int_equal(s.known, known_base);
	assert_int_equal(s.tcp.rtt_us, 0);
	assert_int_equal(s.tcp.retransmits, 0);
	assert_int_equal(s.tcp.bytes_acked, 0);
	assert_int_equal(s.tcp.bytes_received, 0);
	assert_int_equal(s.tcp.bytes_sent, 0);
}

static void test_inet_ipv6_udp(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct inet_diag_msg *m = put_inet(nlh, AF_INET6, WHOSOCK_STATE_CLOSE);
	struct whosock_socket s;
	uint8_t src[16], dst[16];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", src), 1);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:1.2.3.4", dst), 1);
	memcpy(m->id.idiag_src, src, 16);
	memcpy(m->id.idiag_dst, dst, 16);

	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_UDP, &s), 0);
	check_common_inet(&s);
	assert_int_equal(s.proto, WHOSOCK_PROTO_UDP);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.type, SOCK_DGRAM);
	assert_int_equal(s.state, WHOSOCK_STATE_CLOSE);
	assert_memory_equal(s.local.addr, src, 16);
	assert_memory_equal(s.remote.addr, dst, 16);
	assert_int_equal(s.known, known_base);
}

static void test_inet_types_by_proto(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct whosock_socket s;

	(void)state;
	put_inet(nlh, AF_INET, WHOSOCK_STATE_CLOSE);
	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_UDPLITE, &s), 0);
	assert_int_equal(s.proto, WHOSOCK_PROTO_UDPLITE);
	assert_int_equal(s.type, SOCK_DGRAM);
	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_RAW, &s), 0);
	assert_int_equal(s.proto, WHOSOCK_PROTO_RAW);
	assert_int_equal(s.type, SOCK_RAW);
	/* RAW: the IP protocol number rides in the port, as the kernel sends it. */
	assert_int_equal(s.local.port, 8080);
}

static void test_inet_states_accepted(void **state)
{
	(void)state;
	for (int st = 1; st < STATE_COUNT; st++) {
		struct nlmsghdr *nlh = new_msg();
		struct whosock_socket s;

		put_inet(nlh, AF_INET, st);
		assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_TCP, &s), 0);
		assert_int_equal(s.state, st);
	}
}

/* No inode (TIME_WAIT), no uid, cookie "none": still parsed as sent. */
static void test_inet_zero_and_max_values(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct inet_diag_msg *m = put_inet(nlh, AF_INET, WHOSOCK_STATE_TIME_WAIT);
	struct whosock_socket s;

	(void)state;
	m->idiag_inode = 0;
	m->idiag_uid = 0;
	m->id.idiag_cookie[0] = 0xffffffffu;
	m->id.idiag_cookie[1] = 0xffffffffu;
	m->id.idiag_sport = htons(65535);
	m->id.idiag_dport = htons(1);
	m->idiag_rqueue = 0xffffffffu;
	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_TCP, &s), 0);
	assert_int_equal(s.inode, 0);
	assert_int_equal(s.uid, 0);
	assert_true(s.cookie == UINT64_MAX);
	assert_int_equal(s.local.port, 65535);
	assert_int_equal(s.remote.port, 1);
	assert_int_equal(s.rqueue, 0xffffffffu);
	assert_int_equal(s.state, WHOSOCK_STATE_TIME_WAIT);
}

/* ---- INET_DIAG_INFO ---- */

static struct tcp_info sample_tcp_info(void)
{
	struct tcp_info ti;

	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = 1; /* TCP_ESTABLISHED */
	ti.tcpi_rtt = 41;
	ti.tcpi_total_retrans = 3;
	ti.tcpi_bytes_acked = 1200;
	ti.tcpi_bytes_received = 5310;
	ti.tcpi_bytes_sent = 1300;
	ti.tcpi_bytes_retrans = 100;
	ti.tcpi_data_segs_out = 20;
	ti.tcpi_data_segs_in = 30;
	return ti;
}

#define END_OF(field) (offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field))

static unsigned parse_in_state(size_t len, enum whosock_proto proto, int state,
			       struct whosock_socket *s)
{
	struct nlmsghdr *nlh = new_msg();
	unsigned char payload[sizeof(struct tcp_info) + 64];
	struct tcp_info ti = sample_tcp_info();

	memset(payload, 0x5a, sizeof(payload));
	memcpy(payload, &ti, sizeof(ti));
	assert_true(len <= sizeof(payload));
	put_inet(nlh, AF_INET, state);
	mnl_attr_put(nlh, INET_DIAG_INFO, len, payload);
	assert_int_equal(parse_inet(nlh, proto, s), 0);
	check_common_inet(s);
	return s->known & ~known_base;
}

static unsigned parse_with_info(size_t len, enum whosock_proto proto, struct whosock_socket *s)
{
	return parse_in_state(len, proto, WHOSOCK_STATE_ESTABLISHED, s);
}

/* traffic: the payload sent once (less the retransmitted bytes) and
 * received, less the peer's FIN once it came (CLOSE_WAIT, and a closed
 * socket's last report). */
static void test_inet_tcp_traffic(void **state)
{
	static const struct {
		int state;
		uint64_t received;
	} cases[] = { { WHOSOCK_STATE_ESTABLISHED, 5310 }, { WHOSOCK_STATE_FIN_WAIT2, 5310 },
		      { WHOSOCK_STATE_CLOSE_WAIT, 5309 }, { WHOSOCK_STATE_TIME_WAIT, 5309 },
		      { WHOSOCK_STATE_CLOSE, 5309 } };
	struct whosock_socket s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(parse_in_state(sizeof(struct tcp_info), WHOSOCK_PROTO_TCP, cases[i].state,
					   &s) & WHOSOCK_KNOWN_TRAFFIC);
		assert_int_equal(s.traffic.sent_bytes, 1200);
		assert_int_equal(s.traffic.received_bytes, cases[i].received);
		assert_int_equal(s.traffic.sent_packets, 17);
		assert_int_equal(s.traffic.received_packets, 30);
		assert_false(s.traffic.since_start);
	}
}

static void test_inet_tcp_info_full(void **state)
{
	struct whosock_socket s;

	(void)state;
	assert_int_equal(parse_with_info(sizeof(struct tcp_info), WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES |
				 WHOSOCK_KNOWN_TCP_BYTES_SENT | WHOSOCK_KNOWN_TCP_CWND |
				 WHOSOCK_KNOWN_TCP_RATE | WHOSOCK_KNOWN_TRAFFIC);
	assert_int_equal(s.tcp.rtt_us, 41);
	assert_int_equal(s.tcp.retransmits, 3);
	assert_int_equal(s.tcp.bytes_acked, 1200);
	assert_int_equal(s.tcp.bytes_received, 5310);
	assert_int_equal(s.tcp.bytes_sent, 1300);
}

/* A newer kernel's longer struct: the known prefix is used, the rest ignored. */
static void test_inet_tcp_info_longer(void **state)
{
	struct whosock_socket s;

	(void)state;
	assert_int_equal(parse_with_info(sizeof(struct tcp_info) + 64, WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES |
				 WHOSOCK_KNOWN_TCP_BYTES_SENT | WHOSOCK_KNOWN_TCP_CWND |
				 WHOSOCK_KNOWN_TCP_RATE | WHOSOCK_KNOWN_TRAFFIC);
	assert_int_equal(s.tcp.rtt_us, 41);
	assert_int_equal(s.tcp.bytes_sent, 1300);
}

static void test_inet_tcp_info_truncated(void **state)
{
	struct whosock_socket s;

	(void)state;
	/* Up to tcpi_bytes_sent but not all of it: no bytes_sent. */
	assert_int_equal(parse_with_info(END_OF(tcpi_bytes_sent) - 1, WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES | WHOSOCK_KNOWN_TCP_CWND |
				 WHOSOCK_KNOWN_TCP_RATE);
	assert_int_equal(s.tcp.rtt_us, 41);
	assert_int_equal(s.tcp.retransmits, 3);
	assert_int_equal(s.tcp.bytes_acked, 1200);
	assert_int_equal(s.tcp.bytes_received, 5310);
	assert_int_equal(s.tcp.bytes_sent, 0);

	/* Exactly through tcpi_bytes_received (Linux 4.1 .. 4.18 size region). */
	assert_int_equal(parse_with_info(END_OF(tcpi_bytes_received), WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES | WHOSOCK_KNOWN_TCP_CWND);
	assert_int_equal(s.tcp.bytes_received, 5310);
	assert_int_equal(s.tcp.bytes_sent, 0);

	/* One byte short of bytes_received: rtt and retransmits only. */
	assert_int_equal(parse_with_info(END_OF(tcpi_bytes_received) - 1, WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_CWND);
	assert_int_equal(s.tcp.rtt_us, 41);
	assert_int_equal(s.tcp.retransmits, 3);
	assert_int_equal(s.tcp.bytes_acked, 0);
	assert_int_equal(s.tcp.bytes_received, 0);
	assert_int_equal(s.tcp.bytes_sent, 0);

	/* Exactly through tcpi_total_retrans. */
	assert_int_equal(parse_with_info(END_OF(tcpi_total_retrans), WHOSOCK_PROTO_TCP, &s),
			 WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_CWND);
	assert_int_equal(s.tcp.retransmits, 3);

	/* One byte short of total_retrans: nothing known, nothing filled. */
	assert_int_equal(parse_with_info(END_OF(tcpi_total_retrans) - 1, WHOSOCK_PROTO_TCP, &s), 0);
	assert_int_equal(s.tcp.rtt_us, 0);
	assert_int_equal(s.tcp.retransmits, 0);

	/* Tiny and empty attributes. */
	assert_int_equal(parse_with_info(8, WHOSOCK_PROTO_TCP, &s), 0);
	assert_int_equal(s.tcp.rtt_us, 0);
	assert_int_equal(parse_with_info(0, WHOSOCK_PROTO_TCP, &s), 0);
	assert_int_equal(s.tcp.rtt_us, 0);
}

/* INET_DIAG_INFO means struct tcp_info only for TCP. */
static void test_inet_tcp_info_ignored_for_udp(void **state)
{
	struct whosock_socket s;

	(void)state;
	assert_int_equal(parse_with_info(sizeof(struct tcp_info), WHOSOCK_PROTO_UDP, &s), 0);
	assert_int_equal(s.tcp.rtt_us, 0);
	assert_int_equal(s.tcp.bytes_sent, 0);
}

/* Attributes the parser does not know (newer kernels) are skipped. */
static void test_inet_unknown_attributes(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct tcp_info ti = sample_tcp_info();
	struct whosock_socket s;
	uint32_t junk = 0xffffffffu;

	(void)state;
	put_inet(nlh, AF_INET, WHOSOCK_STATE_LISTEN);
	mnl_attr_put(nlh, INET_DIAG_MAX + 5, sizeof(junk), &junk);
	mnl_attr_put(nlh, INET_DIAG_TOS, 1, &junk);
	mnl_attr_put(nlh, INET_DIAG_INFO, sizeof(ti), &ti);
	mnl_attr_put(nlh, 0x3fff, 3, &junk);
	assert_int_equal(parse_inet(nlh, WHOSOCK_PROTO_TCP, &s), 0);
	check_common_inet(&s);
	assert_int_equal(s.state, WHOSOCK_STATE_LISTEN);
	assert_true(s.known & WHOSOCK_KNOWN_TCP_BYTES_SENT);
	assert_int_equal(s.tcp.bytes_sent, 1300);
}

/* ---- malformed inet messages ---- */

static void expect_inet_einval(const struct nlmsghdr *nlh, enum whosock_proto proto)
{
	struct whosock_socket s, before;

	memset(&s, 0xab, sizeof(s));
	before = s;
	assert_int_equal(parse_inet(nlh, proto, &s), -EINVAL);
	/* Output untouched on failure. */
	assert_memory_equal(&s, &before, sizeof(s));
}

static void test_inet_short_message(void **state)
{
	struct nlmsghdr *nlh;

	(void)state;
	nlh = new_msg(); /* header only */
	expect_inet_einval(nlh, WHOSOCK_PROTO_TCP);

	nlh = new_msg();
	put_inet(nlh, AF_INET, WHOSOCK_STATE_LISTEN);
	nlh->nlmsg_len -= 1;
	expect_inet_einval(nlh, WHOSOCK_PROTO_TCP);

	nlh = new_msg();
	put_inet(nlh, AF_INET, WHOSOCK_STATE_LISTEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct inet_diag_msg) - 4;
	expect_inet_einval(nlh, WHOSOCK_PROTO_UDP);
}

static void test_inet_bad_family(void **state)
{
	static const int bad[] = { 0, AF_UNIX, AF_PACKET, AF_NETLINK, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh = new_msg();

		put_inet(nlh, bad[i], WHOSOCK_STATE_LISTEN);
		expect_inet_einval(nlh, WHOSOCK_PROTO_TCP);
	}
}

static void test_inet_bad_state(void **state)
{
	static const int bad[] = { 0, STATE_COUNT, STATE_COUNT + 1, 100, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh = new_msg();

		put_inet(nlh, AF_INET6, bad[i]);
		expect_inet_einval(nlh, WHOSOCK_PROTO_TCP);
	}
}

/* An attribute that claims more bytes than the message has is never read
 * past the message (ASan checks that): the message is either refused or
 * parsed without it. */
static void test_inet_attribute_overrun(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct tcp_info ti = sample_tcp_info();
	struct nlattr *a;
	struct whosock_socket s;
	int r;

	(void)state;
	put_inet(nlh, AF_INET, WHOSOCK_STATE_ESTABLISHED);
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put(nlh, INET_DIAG_INFO, sizeof(ti), &ti);
	a->nla_len = (uint16_t)(a->nla_len + 200);
	r = parse_inet(nlh, WHOSOCK_PROTO_TCP, &s);
	assert_true(r == 0 || r == -EINVAL);
	if (r == 0)
		assert_int_equal(s.known & WHOSOCK_KNOWN_TCP_INFO, 0);
}

/* ---- unix_diag messages ---- */

static struct unix_diag_msg *put_unix(struct nlmsghdr *nlh, int type, int state)
{
	struct unix_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	m->udiag_family = AF_UNIX;
	m->udiag_type = (uint8_t)type;
	m->udiag_state = (uint8_t)state;
	m->udiag_ino = 123456789u;
	m->udiag_cookie[0] = 0xcafef00du;
	m->udiag_cookie[1] = 0x00000002u;
	return m;
}

struct unix_result {
	int r;
	struct whosock_socket s;
	const char *path;
	size_t path_len;
	char path_copy[256]; /* the name's bytes, copied before the message is freed */
	ptrdiff_t path_off;  /* where the name points inside the message */
};

static void parse_unix(const struct nlmsghdr *nlh, struct unix_result *res)
{
	char *copy = exact_copy(nlh);

	memset(res, 0, sizeof(*res));
	memset(&res->s, 0xab, sizeof(res->s));
	res->path = (const char *)0x1; /* must be overwritten on success */
	res->path_len = 0xdead;
	res->r = sockdiag_parse_unix(copy, &res->s, &res->path, &res->path_len);
	if (res->r == 0 && res->path) {
		assert_true(res->path >= copy && res->path + res->path_len <= copy + nlh->nlmsg_len);
		assert_true(res->path_len <= sizeof(res->path_copy));
		memcpy(res->path_copy, res->path, res->path_len);
		res->path_off = res->path - copy;
	}
	free(copy);
}

static void check_common_unix(const struct whosock_socket *s)
{
	assert_int_equal(s->netns, 0);
	assert_null(s->netns_name);
	assert_int_equal(s->proto, WHOSOCK_PROTO_UNIX);
	assert_int_equal(s->family, AF_UNIX);
	assert_int_equal(s->source, WHOSOCK_SOURCE_NETLINK);
	assert_int_equal(s->inode, 123456789u);
	assert_true(s->cookie == 0x2cafef00dull);
	assert_null(s->local.path);
	assert_null(s->remote.path);
	assert_int_equal(s->local.port, 0);
	assert_int_equal(s->remote.port, 0);
	assert_int_equal(s->ifindex, 0);
	assert_null(s->owners);
	assert_int_equal(s->n_owners, 0);
	assert_null(s->peer);
	assert_int_equal(s->tcp.rtt_us, 0);
}

static void test_unix_minimal(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;
	static const uint8_t zero[16];

	(void)state;
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	check_common_unix(&res.s);
	assert_int_equal(res.s.type, SOCK_STREAM);
	assert_int_equal(res.s.state, WHOSOCK_STATE_LISTEN);
	assert_int_equal(res.s.known, WHOSOCK_KNOWN_COOKIE);
	assert_int_equal(res.s.uid, 0);
	assert_int_equal(res.s.peer_inode, 0);
	assert_int_equal(res.s.rqueue, 0);
	assert_int_equal(res.s.wqueue, 0);
	assert_memory_equal(res.s.local.addr, zero, 16);
	assert_memory_equal(res.s.remote.addr, zero, 16);
	assert_null(res.path);
	assert_int_equal(res.path_len, 0);
}

static void test_unix_all_attributes(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_diag_rqlen q = { .udiag_rqueue = 5, .udiag_wqueue = 212992 };
	static const char name[] = "/run/whosock/test.sock";
	struct unix_result res;

	(void)state;
	put_unix(nlh, SOCK_SEQPACKET, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, strlen(name), name);
	mnl_attr_put_u32(nlh, UNIX_DIAG_PEER, 987654u);
	mnl_attr_put(nlh, UNIX_DIAG_RQLEN, sizeof(q), &q);
	mnl_attr_put_u32(nlh, UNIX_DIAG_UID, 4242u);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	check_common_unix(&res.s);
	assert_int_equal(res.s.type, SOCK_SEQPACKET);
	assert_int_equal(res.s.state, WHOSOCK_STATE_ESTABLISHED);
	assert_int_equal(res.s.known, WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_PEER |
					      WHOSOCK_KNOWN_QUEUES | WHOSOCK_KNOWN_UID);
	assert_int_equal(res.s.peer_inode, 987654u);
	assert_int_equal(res.s.rqueue, 5);
	assert_int_equal(res.s.wqueue, 212992);
	assert_int_equal(res.s.uid, 4242u);
	assert_non_null(res.path);
	assert_int_equal(res.path_len, strlen(name));
	assert_memory_equal(res.path_copy, name, strlen(name));
	/* The name points into the message, right after its attribute header. */
	assert_int_equal(res.path_off, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct unix_diag_msg)) +
					       NLA_HDRLEN);
}

static void test_unix_types(void **state)
{
	static const int ok[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct nlmsghdr *nlh = new_msg();
		struct unix_result res;

		put_unix(nlh, ok[i], WHOSOCK_STATE_CLOSE);
		parse_unix(nlh, &res);
		assert_int_equal(res.r, 0);
		assert_int_equal(res.s.type, ok[i]);
		assert_int_equal(res.s.state, WHOSOCK_STATE_CLOSE);
	}
}

static void test_unix_name_with_terminator(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;
	static const char name[] = "/tmp/a.sock\0garbage";

	(void)state;
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, sizeof(name), name);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.path_len, strlen("/tmp/a.sock"));
	assert_memory_equal(res.path_copy, "/tmp/a.sock", res.path_len);
}

static void test_unix_abstract_name(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;
	static const char name[] = "\0whosock\0abstract"; /* NULs are part of the name */

	(void)state;
	put_unix(nlh, SOCK_DGRAM, WHOSOCK_STATE_CLOSE);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, sizeof(name) - 1, name);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	check_common_unix(&res.s);
	assert_non_null(res.path);
	assert_int_equal(res.path_len, sizeof(name) - 1);
	assert_memory_equal(res.path_copy, name, sizeof(name) - 1);
	assert_int_equal(res.path_copy[0], '\0');
}

static void test_unix_name_with_newline(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;
	static const char name[] = "/tmp/evil\nname\x1b[31m";

	(void)state;
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, strlen(name), name);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.path_len, strlen(name));
	assert_memory_equal(res.path_copy, name, strlen(name));
}

/* An empty name, or one that is only a terminator, is no name. */
static void test_unix_empty_name(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;

	(void)state;
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, 0, "");
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	assert_null(res.path);
	assert_int_equal(res.path_len, 0);
}

static void test_unix_unknown_attributes(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct unix_result res;
	unsigned char junk[24];

	(void)state;
	memset(junk, 0xee, sizeof(junk));
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	mnl_attr_put(nlh, UNIX_DIAG_MEMINFO, sizeof(junk), junk);
	mnl_attr_put(nlh, UNIX_DIAG_MAX + 3, 2, junk);
	mnl_attr_put(nlh, INET_DIAG_MAX + 3, 2, junk); /* beyond both tables */
	mnl_attr_put_u32(nlh, UNIX_DIAG_UID, 0);
	parse_unix(nlh, &res);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.s.known, WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_UID);
	assert_int_equal(res.s.uid, 0);
}

/* ---- malformed unix messages ---- */

static void expect_unix_einval(const struct nlmsghdr *nlh)
{
	struct unix_result res;
	struct whosock_socket before;

	memset(&before, 0xab, sizeof(before));
	parse_unix(nlh, &res);
	assert_int_equal(res.r, -EINVAL);
	/* Output parameters untouched on failure. */
	assert_memory_equal(&res.s, &before, sizeof(before));
	assert_ptr_equal(res.path, (const char *)0x1);
	assert_int_equal(res.path_len, 0xdead);
}

static void test_unix_short_message(void **state)
{
	struct nlmsghdr *nlh;

	(void)state;
	nlh = new_msg();
	expect_unix_einval(nlh);
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct unix_diag_msg) - 1;
	expect_unix_einval(nlh);
}

static void test_unix_bad_header(void **state)
{
	struct nlmsghdr *nlh;
	struct unix_diag_msg *m;
	static const int bad_types[] = { 0, SOCK_RAW, SOCK_RDM, 4, 6, 10, 255 };
	static const int bad_states[] = { 0, STATE_COUNT, 200, 255 };

	(void)state;
	nlh = new_msg();
	m = put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	m->udiag_family = AF_INET;
	expect_unix_einval(nlh);

	nlh = new_msg();
	m = put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	m->udiag_family = 0;
	expect_unix_einval(nlh);

	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		nlh = new_msg();
		put_unix(nlh, bad_types[i], WHOSOCK_STATE_LISTEN);
		expect_unix_einval(nlh);
	}
	for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		nlh = new_msg();
		put_unix(nlh, SOCK_DGRAM, bad_states[i]);
		expect_unix_einval(nlh);
	}
}

static void test_unix_bad_attribute_lengths(void **state)
{
	struct nlmsghdr *nlh;
	uint64_t big = 0x0102030405060708ull;
	uint16_t small = 7;
	uint32_t four = 4;

	(void)state;
	/* UNIX_DIAG_PEER of 2 bytes. */
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_PEER, sizeof(small), &small);
	expect_unix_einval(nlh);

	/* UNIX_DIAG_PEER of 8 bytes. */
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_PEER, sizeof(big), &big);
	expect_unix_einval(nlh);

	/* UNIX_DIAG_RQLEN shorter than struct unix_diag_rqlen. */
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_RQLEN, sizeof(four), &four);
	expect_unix_einval(nlh);

	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_RQLEN, 0, &four);
	expect_unix_einval(nlh);

	/* UNIX_DIAG_UID of 2 bytes. */
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_UID, sizeof(small), &small);
	expect_unix_einval(nlh);

	/* A good attribute before a bad one does not leak into the output. */
	nlh = new_msg();
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_ESTABLISHED);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, 5, "/tmp/");
	mnl_attr_put_u32(nlh, UNIX_DIAG_PEER, 99);
	mnl_attr_put(nlh, UNIX_DIAG_UID, 1, &small);
	expect_unix_einval(nlh);
}

static void test_unix_attribute_overrun(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct nlattr *a;
	struct unix_result res;

	(void)state;
	put_unix(nlh, SOCK_STREAM, WHOSOCK_STATE_LISTEN);
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put(nlh, UNIX_DIAG_NAME, 8, "/tmp/abc");
	a->nla_len = (uint16_t)(a->nla_len + 100);
	parse_unix(nlh, &res);
	assert_true(res.r == 0 || res.r == -EINVAL);
	if (res.r == 0)
		assert_null(res.path);
}


/* ---- packet_diag and netlink_diag messages ---- */

static void test_packet_message(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct packet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	struct packet_diag_info info = { .pdi_index = 7 };
	uint32_t mem[SK_MEMINFO_VARS] = { [SK_MEMINFO_RMEM_ALLOC] = 11, [SK_MEMINFO_WMEM_ALLOC] = 22 };
	struct whosock_socket s, before;
	void *copy;

	(void)state;
	m->pdiag_family = AF_PACKET;
	m->pdiag_type = SOCK_DGRAM;
	m->pdiag_num = 0x86dd;
	m->pdiag_ino = 4242;
	m->pdiag_cookie[0] = 5;
	m->pdiag_cookie[1] = 1;
	mnl_attr_put(nlh, PACKET_DIAG_INFO, sizeof(info), &info);
	mnl_attr_put_u32(nlh, PACKET_DIAG_UID, 1000);
	mnl_attr_put(nlh, PACKET_DIAG_MEMINFO, sizeof(mem), mem);
	mnl_attr_put_u32(nlh, 200, 1); /* unknown attribute: skipped */
	copy = exact_copy(nlh);
	assert_int_equal(sockdiag_parse_packet(copy, &s), 0);
	free(copy);
	assert_int_equal(s.proto, WHOSOCK_PROTO_PACKET);
	assert_int_equal(s.family, AF_PACKET);
	assert_int_equal(s.type, SOCK_DGRAM);
	assert_int_equal(s.state, WHOSOCK_STATE_CLOSE);
	assert_int_equal(s.protocol, 0x86dd);
	assert_int_equal(s.inode, 4242);
	assert_int_equal(s.cookie, 5ull | 1ull << 32);
	assert_int_equal(s.ifindex, 7);
	assert_int_equal(s.uid, 1000);
	assert_int_equal(s.rqueue, 11);
	assert_int_equal(s.wqueue, 22);
	assert_int_equal(s.known, WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_PROTOCOL | WHOSOCK_KNOWN_IFINDEX |
				  WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_QUEUES);

	/* Bad family, bad type, short info, short message: -EINVAL, *out untouched. */
	memset(&s, 0x5a, sizeof(s));
	before = s;
	m->pdiag_family = AF_NETLINK;
	assert_int_equal(sockdiag_parse_packet(nlh, &s), -EINVAL);
	m->pdiag_family = AF_PACKET;
	m->pdiag_type = SOCK_STREAM;
	assert_int_equal(sockdiag_parse_packet(nlh, &s), -EINVAL);
	nlh = new_msg();
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->pdiag_family = AF_PACKET;
	m->pdiag_type = SOCK_RAW;
	mnl_attr_put(nlh, PACKET_DIAG_INFO, 2, &info);
	assert_int_equal(sockdiag_parse_packet(nlh, &s), -EINVAL);
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*m) - 1;
	assert_int_equal(sockdiag_parse_packet(nlh, &s), -EINVAL);
	assert_memory_equal(&s, &before, sizeof(s));
}

static void test_netlink_message(void **state)
{
	struct nlmsghdr *nlh = new_msg();
	struct netlink_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	unsigned long groups[2] = { 0x15, 0 };
	struct whosock_socket s, before;
	void *copy;

	(void)state;
	m->ndiag_family = AF_NETLINK;
	m->ndiag_type = SOCK_RAW;
	m->ndiag_protocol = 9;
	m->ndiag_state = 1;
	m->ndiag_portid = 777;
	m->ndiag_dst_portid = 0;
	m->ndiag_dst_group = 1;
	m->ndiag_ino = 99;
	mnl_attr_put(nlh, NETLINK_DIAG_GROUPS, sizeof(groups), groups);
	copy = exact_copy(nlh);
	assert_int_equal(sockdiag_parse_netlink(copy, &s), 0);
	free(copy);
	assert_int_equal(s.proto, WHOSOCK_PROTO_NETLINK);
	assert_int_equal(s.type, SOCK_RAW);
	assert_int_equal(s.protocol, 9);
	assert_int_equal(s.state, WHOSOCK_STATE_ESTABLISHED);
	assert_int_equal(s.netlink.portid, 777);
	assert_int_equal(s.netlink.dst_group, 1);
	assert_int_equal(s.netlink.groups, 0x15);
	assert_int_equal(s.inode, 99);
	assert_true(s.known & WHOSOCK_KNOWN_NL_GROUPS);
	assert_false(s.known & WHOSOCK_KNOWN_QUEUES);

	memset(&s, 0x5a, sizeof(s));
	before = s;
	m->ndiag_type = SOCK_STREAM;
	assert_int_equal(sockdiag_parse_netlink(nlh, &s), -EINVAL);
	m->ndiag_type = SOCK_DGRAM;
	m->ndiag_family = AF_PACKET;
	assert_int_equal(sockdiag_parse_netlink(nlh, &s), -EINVAL);
	nlh = new_msg();
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->ndiag_family = AF_NETLINK;
	m->ndiag_type = SOCK_DGRAM;
	mnl_attr_put(nlh, NETLINK_DIAG_GROUPS, 4, groups); /* shorter than a long */
	assert_int_equal(sockdiag_parse_netlink(nlh, &s), -EINVAL);
	mnl_attr_put(nlh, NETLINK_DIAG_MEMINFO, 4, groups);
	assert_int_equal(sockdiag_parse_netlink(nlh, &s), -EINVAL);
	assert_memory_equal(&s, &before, sizeof(s));
}

/* The live kernel: a netlink socket of ours and a packet socket (root). */
static void test_live_packet_netlink(void **state)
{
	struct whosock_filter f = { .size = sizeof(struct whosock_filter) };
	struct whosock_snapshot *snap = snapshot_new();
	struct mnl_socket *nl = NULL;
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);
	struct stat st;
	int fd, pfd = -1, n;
	bool found = false;

	(void)state;
	assert_non_null(snap);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(sockdiag_open(&nl), 0);
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_NETLINK, AF_UNSPEC, &f, false);
	assert_true(n > 0);
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		if (s->inode != (uint64_t)st.st_ino)
			continue;
		found = true;
		assert_int_equal(s->protocol, NETLINK_ROUTE);
		assert_int_equal(s->netlink.portid, sa.nl_pid);
		assert_int_equal(s->netlink.groups, 1);
	}
	assert_true(found);
	if (geteuid() == 0) {
		pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(0x88b5));
		assert_true(pfd >= 0);
		assert_int_equal(fstat(pfd, &st), 0);
		found = false;
		assert_true(sockdiag_dump(nl, snap, WHOSOCK_PROTO_PACKET, AF_UNSPEC, &f, false) > 0);
		for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
			const struct whosock_socket *s = whosock_snapshot_get(snap, i);

			if (s->inode == (uint64_t)st.st_ino && s->proto == WHOSOCK_PROTO_PACKET) {
				found = true;
				assert_int_equal(s->protocol, 0x88b5);
				assert_int_equal(s->type, SOCK_DGRAM);
			}
		}
		assert_true(found);
		close(pfd);
	}
	sockdiag_close(nl);
	close(fd);
	whosock_snapshot_free(snap);
}

/* ---- live kernel ---- */

static struct mnl_socket *open_or_skip(void)
{
	struct mnl_socket *nl = NULL;
	int r = sockdiag_open(&nl);

	if (r == -EPERM || r == -EACCES || r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT) {
		print_message("sock_diag unavailable here (%s): skipping\n", strerror(-r));
		skip();
	}
	assert_int_equal(r, 0);
	assert_non_null(nl);
	return nl;
}

static uint64_t fd_inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static const struct whosock_socket *find_inode(const struct whosock_snapshot *snap, size_t from,
					       uint64_t inode)
{
	const struct whosock_socket *found = NULL;

	for (size_t i = from; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		if (s->inode == inode) {
			assert_null(found); /* reported once */
			found = s;
		}
	}
	return found;
}

static int tcp_listener(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	assert_true(*port != 0);
	return fd;
}

static void test_live_tcp_listen(void **state)
{
	struct mnl_socket *nl;
	struct whosock_snapshot *snap;
	struct whosock_filter f;
	const struct whosock_socket *s;
	static const uint8_t loopback[16] = { 127, 0, 0, 1 };
	static const uint8_t zero[16];
	uint16_t port;
	int fd, n;

	(void)state;
	nl = open_or_skip();
	fd = tcp_listener(&port);
	snap = snapshot_new();
	assert_non_null(snap);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);

	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_TCP, AF_INET, &f, false);
	assert_true(n >= 1);
	assert_int_equal((size_t)n, whosock_snapshot_count(snap));
	s = find_inode(snap, 0, fd_inode(fd));
	assert_non_null(s);
	assert_int_equal(s->proto, WHOSOCK_PROTO_TCP);
	assert_int_equal(s->family, AF_INET);
	assert_int_equal(s->type, SOCK_STREAM);
	assert_int_equal(s->state, WHOSOCK_STATE_LISTEN);
	assert_int_equal(s->source, WHOSOCK_SOURCE_NETLINK);
	assert_int_equal(s->local.port, port);
	assert_int_equal(s->remote.port, 0);
	assert_memory_equal(s->local.addr, loopback, 16);
	assert_memory_equal(s->remote.addr, zero, 16);
	assert_int_equal(s->uid, geteuid());
	assert_true((s->known & known_base) == known_base);
	assert_int_equal(s->known & WHOSOCK_KNOWN_TCP_INFO, 0); /* not asked for */
	assert_true(s->cookie != 0);
	/* Every socket in an AF_INET TCP dump is IPv4 TCP with a valid state. */
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *t = whosock_snapshot_get(snap, i);

		assert_int_equal(t->family, AF_INET);
		assert_int_equal(t->proto, WHOSOCK_PROTO_TCP);
		assert_true(t->state > 0 && t->state < STATE_COUNT);
	}

	whosock_snapshot_free(snap);
	close(fd);
	sockdiag_close(nl);
}

static void test_live_tcp_filters_and_info(void **state)
{
	struct mnl_socket *nl;
	struct whosock_snapshot *snap;
	struct whosock_filter f;
	const struct whosock_socket *s, *c;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint16_t port;
	uint64_t cookie;
	size_t before;
	int lfd, cfd, afd, n;

	(void)state;
	nl = open_or_skip();
	lfd = tcp_listener(&port);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(cfd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(afd >= 0);
	assert_int_equal(write(cfd, "hello", 5), 5);
	{
		/* Wait until the data has arrived, and leave it queued. */
		char peek[5];

		assert_int_equal(recv(afd, peek, sizeof(peek), MSG_PEEK | MSG_WAITALL), 5);
	}

	snap = snapshot_new();
	assert_non_null(snap);

	/* Port filter, with tcp_info. */
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.ports = (const uint16_t[]){ (uint16_t)port };
	f.n_ports = 1;
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_TCP, AF_INET, &f, true);
	assert_true(n >= 3); /* listener, client, accepted (and any stranger on that port) */
	assert_int_equal((size_t)n, whosock_snapshot_count(snap));
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *t = whosock_snapshot_get(snap, i);

		assert_true(t->local.port == port || t->remote.port == port);
		assert_true(t->known & WHOSOCK_KNOWN_TCP_INFO);
	}
	s = find_inode(snap, 0, fd_inode(lfd));
	assert_non_null(s);
	assert_int_equal(s->state, WHOSOCK_STATE_LISTEN);
	c = find_inode(snap, 0, fd_inode(cfd));
	assert_non_null(c);
	assert_int_equal(c->state, WHOSOCK_STATE_ESTABLISHED);
	assert_int_equal(c->remote.port, port);
	assert_true(c->local.port != 0);
	assert_true(c->known & WHOSOCK_KNOWN_TCP_BYTES);
	assert_true(c->known & WHOSOCK_KNOWN_TCP_BYTES_SENT);
	assert_int_equal(c->tcp.bytes_sent, 5);
	/* The SYN counts as one byte; the data's ACK may still be on its way. */
	assert_true(c->tcp.bytes_acked >= 1 && c->tcp.bytes_acked <= 6);
	cookie = c->cookie;
	s = find_inode(snap, 0, fd_inode(afd));
	assert_non_null(s);
	assert_int_equal(s->state, WHOSOCK_STATE_ESTABLISHED);
	assert_int_equal(s->local.port, port);
	assert_int_equal(s->remote.port, c->local.port);
	assert_int_equal(s->tcp.bytes_received, 5);
	assert_int_equal(s->rqueue, 5); /* not read yet */

	/* State filter (done by the kernel): LISTEN only, appended after. */
	before = whosock_snapshot_count(snap);
	f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN);
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_TCP, AF_INET, &f, false);
	assert_true(n >= 1);
	assert_int_equal(whosock_snapshot_count(snap), before + (size_t)n);
	s = find_inode(snap, before, fd_inode(lfd));
	assert_non_null(s);
	assert_int_equal(s->known & WHOSOCK_KNOWN_TCP_INFO, 0);
	assert_null(find_inode(snap, before, fd_inode(cfd)));
	for (size_t i = before; i < whosock_snapshot_count(snap); i++)
		assert_int_equal(whosock_snapshot_get(snap, i)->state, WHOSOCK_STATE_LISTEN);

	/* ESTABLISHED only: the two ends, the same cookie as before. */
	before = whosock_snapshot_count(snap);
	f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_ESTABLISHED);
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_TCP, AF_INET, &f, false);
	assert_true(n >= 2);
	assert_null(find_inode(snap, before, fd_inode(lfd)));
	assert_non_null(find_inode(snap, before, fd_inode(afd)));
	c = find_inode(snap, before, fd_inode(cfd));
	assert_non_null(c);
	assert_true(c->cookie == cookie);

	/* The IPv6 dump does not hold these IPv4 sockets. */
	before = whosock_snapshot_count(snap);
	f.states = 0;
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_TCP, AF_INET6, &f, false);
	assert_true(n >= 0);
	assert_int_equal(whosock_snapshot_count(snap), before + (size_t)n);
	assert_null(find_inode(snap, before, fd_inode(lfd)));
	assert_null(find_inode(snap, before, fd_inode(cfd)));
	for (size_t i = before; i < whosock_snapshot_count(snap); i++)
		assert_int_equal(whosock_snapshot_get(snap, i)->family, AF_INET6);

	whosock_snapshot_free(snap);
	close(afd);
	close(cfd);
	close(lfd);
	sockdiag_close(nl);
}

static void test_live_udp(void **state)
{
	struct mnl_socket *nl;
	struct whosock_snapshot *snap;
	struct whosock_filter f;
	const struct whosock_socket *s;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, n;

	(void)state;
	nl = open_or_skip();
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);

	snap = snapshot_new();
	assert_non_null(snap);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.ports = (const uint16_t[]){ ntohs(sin.sin_port) };
	f.n_ports = 1;
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_UDP, AF_INET, &f, true);
	assert_true(n >= 1);
	s = find_inode(snap, 0, fd_inode(fd));
	assert_non_null(s);
	assert_int_equal(s->proto, WHOSOCK_PROTO_UDP);
	assert_int_equal(s->type, SOCK_DGRAM);
	assert_int_equal(s->state, WHOSOCK_STATE_CLOSE);
	assert_int_equal(s->local.port, ntohs(sin.sin_port));
	assert_int_equal(s->known & WHOSOCK_KNOWN_TCP_INFO, 0);

	whosock_snapshot_free(snap);
	close(fd);
	sockdiag_close(nl);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Defect 16: a signal that interrupts a read in the middle of a dump is not
 * an interrupted dump. Under a storm of signals (no SA_RESTART: every one
 * can end a recv with EINTR), a dump of 300 UDP sockets still lists each
 * once, as it does without them. */
static void test_live_dump_under_signals(void **state)
{
	enum { N = 300 };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval storm = { { 0, 500 }, { 0, 500 } }, off = { { 0, 0 }, { 0, 0 } };
	static int fds[N];
	struct mnl_socket *nl;
	struct whosock_filter f;
	size_t found = 0, total = 0;

	(void)state;
	nl = open_or_skip();
	for (int i = 0; i < N; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &storm, NULL), 0);
	for (int round = 0; round < 10; round++) {
		struct whosock_snapshot *snap = snapshot_new();

		assert_non_null(snap);
		assert_true(sockdiag_dump(nl, snap, WHOSOCK_PROTO_UDP, AF_INET, &f, false) >= 0);
		for (int i = 0; i < N; i++)
			found += find_inode(snap, 0, fd_inode(fds[i])) != NULL;
		total += N;
		whosock_snapshot_free(snap);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	/* A signal still pending (valgrind delivers late) must not kill us. */
	signal(SIGALRM, SIG_IGN);
	(void)old;
	print_message("%d signals during 10 dumps\n", (int)alarms);
	assert_true(alarms > 0);
	assert_int_equal(found, total);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	sockdiag_close(nl);
}

static void test_live_unix(void **state)
{
	struct mnl_socket *nl;
	struct whosock_snapshot *snap;
	struct whosock_filter f;
	const struct whosock_socket *s, *a, *b;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[64];
	size_t nlen;
	int lfd, pair[2], n;

	(void)state;
	nl = open_or_skip();
	/* An abstract listener whose name holds a newline. */
	nlen = (size_t)snprintf(name, sizeof(name), "whosock-test\n%d", (int)getpid());
	memcpy(sun.sun_path + 1, name, nlen);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nlen)),
			 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
	assert_int_equal(write(pair[0], "abc", 3), 3);

	snap = snapshot_new();
	assert_non_null(snap);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_UNIX, AF_UNIX, &f, false);
	assert_true(n >= 3);
	assert_int_equal((size_t)n, whosock_snapshot_count(snap));

	s = find_inode(snap, 0, fd_inode(lfd));
	assert_non_null(s);
	assert_int_equal(s->proto, WHOSOCK_PROTO_UNIX);
	assert_int_equal(s->family, AF_UNIX);
	assert_int_equal(s->type, SOCK_SEQPACKET);
	assert_int_equal(s->state, WHOSOCK_STATE_LISTEN);
	assert_non_null(s->local.path);
	assert_int_equal(s->local.path[0], '@');
	assert_int_equal(strlen(s->local.path), 1 + nlen);
	assert_memory_equal(s->local.path + 1, name, nlen);
	assert_true(s->known & WHOSOCK_KNOWN_UID);
	assert_int_equal(s->uid, geteuid());

	a = find_inode(snap, 0, fd_inode(pair[0]));
	b = find_inode(snap, 0, fd_inode(pair[1]));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->type, SOCK_STREAM);
	assert_int_equal(a->state, WHOSOCK_STATE_ESTABLISHED);
	assert_null(a->local.path);
	assert_true(a->known & WHOSOCK_KNOWN_PEER);
	assert_int_equal(a->peer_inode, b->inode);
	assert_int_equal(b->peer_inode, a->inode);
	assert_true(b->known & WHOSOCK_KNOWN_QUEUES);
	assert_int_equal(b->rqueue, 3); /* bytes waiting to be read */

	/* Kernel-side state filter: LISTEN only. */
	whosock_snapshot_free(snap);
	snap = snapshot_new();
	assert_non_null(snap);
	f.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN);
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_UNIX, AF_UNIX, &f, false);
	assert_true(n >= 1);
	assert_non_null(find_inode(snap, 0, fd_inode(lfd)));
	assert_null(find_inode(snap, 0, fd_inode(pair[0])));
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		assert_int_equal(whosock_snapshot_get(snap, i)->state, WHOSOCK_STATE_LISTEN);

	/* A port filter never matches UNIX sockets. */
	whosock_snapshot_free(snap);
	snap = snapshot_new();
	assert_non_null(snap);
	f.states = 0;
	f.ports = (const uint16_t[]){ 22 };
	f.n_ports = 1;
	n = sockdiag_dump(nl, snap, WHOSOCK_PROTO_UNIX, AF_UNIX, &f, false);
	assert_int_equal(n, 0);
	assert_int_equal(whosock_snapshot_count(snap), 0);

	whosock_snapshot_free(snap);
	close(pair[0]);
	close(pair[1]);
	close(lfd);
	sockdiag_close(nl);
}

static void test_dump_bad_proto(void **state)
{
	struct mnl_socket *nl;
	struct whosock_snapshot *snap;
	struct whosock_filter f;

	(void)state;
	nl = open_or_skip();
	snap = snapshot_new();
	assert_non_null(snap);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	assert_int_equal(sockdiag_dump(nl, snap, PROTO_COUNT, AF_INET, &f, false), -EINVAL);
	assert_int_equal(whosock_snapshot_count(snap), 0);
	whosock_snapshot_free(snap);
	sockdiag_close(nl);
	sockdiag_close(NULL); /* destructors accept NULL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet_ipv4_tcp),
		cmocka_unit_test(test_inet_ipv6_udp),
		cmocka_unit_test(test_inet_types_by_proto),
		cmocka_unit_test(test_inet_states_accepted),
		cmocka_unit_test(test_inet_zero_and_max_values),
		cmocka_unit_test(test_inet_tcp_info_full),
		cmocka_unit_test(test_inet_tcp_traffic),
		cmocka_unit_test(test_inet_tcp_info_longer),
		cmocka_unit_test(test_inet_tcp_info_truncated),
		cmocka_unit_test(test_inet_tcp_info_ignored_for_udp),
		cmocka_unit_test(test_inet_unknown_attributes),
		cmocka_unit_test(test_inet_short_message),
		cmocka_unit_test(test_inet_bad_family),
		cmocka_unit_test(test_inet_bad_state),
		cmocka_unit_test(test_inet_attribute_overrun),
		cmocka_unit_test(test_unix_minimal),
		cmocka_unit_test(test_unix_all_attributes),
		cmocka_unit_test(test_unix_types),
		cmocka_unit_test(test_unix_name_with_terminator),
		cmocka_unit_test(test_unix_abstract_name),
		cmocka_unit_test(test_unix_name_with_newline),
		cmocka_unit_test(test_unix_empty_name),
		cmocka_unit_test(test_unix_unknown_attributes),
		cmocka_unit_test(test_unix_short_message),
		cmocka_unit_test(test_unix_bad_header),
		cmocka_unit_test(test_unix_bad_attribute_lengths),
		cmocka_unit_test(test_unix_attribute_overrun),
		cmocka_unit_test(test_packet_message),
		cmocka_unit_test(test_netlink_message),
		cmocka_unit_test(test_live_packet_netlink),
		cmocka_unit_test(test_live_tcp_listen),
		cmocka_unit_test(test_live_tcp_filters_and_info),
		cmocka_unit_test(test_live_udp),
		cmocka_unit_test(test_live_dump_under_signals),
		cmocka_unit_test(test_live_unix),
		cmocka_unit_test(test_dump_bad_proto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
