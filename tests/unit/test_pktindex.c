/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the packet index (whosock_portindex_open(), lib/pktindex.c)
 * against the live kernel, in the test's own namespace: both ends of a
 * loopback connection by their 4-tuple (the accepted socket, not the
 * listener), a listener for a packet from elsewhere, a remote end never
 * taken for a local listener, a reused UDP port naming its new socket,
 * and a closed connection answering for the grace period, then not.
 * Waits are bounded loops over the caller's poll loop; nothing depends
 * on how fast the machine is, only on the events arriving at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "whosock/watch.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define WAIT_MS 20000

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len), 0);
	return c;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static uint64_t self_netns(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	return (uint64_t)st.st_ino;
}

static struct whosock_portindex *open_index(unsigned grace_ms)
{
	struct whosock_portindex_options o = WHOSOCK_PORTINDEX_OPTIONS_INIT;
	struct whosock_portindex *idx = NULL;
	int r;

	o.host_only = true;
	o.grace_ms = grace_ms;
	r = whosock_portindex_open(&o, &idx);
	if (r == -EPERM || r == -EACCES) {
		print_message("sock_diag refused here: skipping\n");
		skip();
	}
	assert_int_equal(r, 0);
	return idx;
}

static void turn(struct whosock_portindex *idx)
{
	struct pollfd p = { .fd = whosock_portindex_get_fd(idx), .events = POLLIN };
	uint64_t t;

	assert_int_equal(whosock_portindex_get_timeout(idx, &t), 0);
	poll(&p, 1, t > 50 ? 50 : (int)t);
	assert_int_equal(whosock_portindex_process(idx), 0);
}

static struct whosock_packet_tuple tuple4(int proto, uint16_t sport, uint16_t dport, uint8_t ends)
{
	struct whosock_packet_tuple t = { .netns = self_netns(), .proto = (uint8_t)proto,
					  .family = AF_INET, .ends = ends, .sport = sport,
					  .dport = dport };

	inet_pton(AF_INET, "127.0.0.1", t.saddr);
	inet_pton(AF_INET, "127.0.0.1", t.daddr);
	return t;
}

/* Turn the loop until the packet's ends name these cookies (0: none). */
static bool wait_match(struct whosock_portindex *idx, const struct whosock_packet_tuple *t,
		       uint64_t src, uint64_t dst, struct whosock_packet_end *s,
		       struct whosock_packet_end *d)
{
	for (long end = mono_ms() + WAIT_MS; mono_ms() < end;) {
		assert_true(whosock_portindex_match(idx, t, s, d) >= 0);
		if ((s->socket ? s->socket->cookie : 0) == src && (d->socket ? d->socket->cookie : 0) == dst)
			return true;
		turn(idx);
	}
	return false;
}

static int tcp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static int udp_bound(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void test_bad_arguments(void **state)
{
	struct whosock_portindex_options o = WHOSOCK_PORTINDEX_OPTIONS_INIT;
	struct whosock_packet_tuple t = tuple4(WHOSOCK_PROTO_TCP, 1, 2, 0);
	struct whosock_packet_end s, d;
	struct whosock_portindex *old = NULL;

	(void)state;
	assert_int_equal(whosock_portindex_match(NULL, &t, &s, &d), -EINVAL);
	o.size = 0;
	assert_int_equal(whosock_portindex_open(&o, NULL), -EINVAL);
	/* An index from whosock_portindex_new() is not a packet index. */
	if (whosock_portindex_new(60000, &old) == 0) {
		assert_int_equal(whosock_portindex_match(old, &t, &s, &d), -EINVAL);
		assert_int_equal(whosock_portindex_size(old), 0);
		whosock_portindex_free(old);
	}
	whosock_portindex_free(NULL);
}

/* Both ends of a connection by its 4-tuple; a packet from elsewhere to the
 * listener's port is the listener's; a remote end is never matched. */
static void test_connection_ends(void **state)
{
	struct whosock_portindex *idx;
	struct whosock_packet_end s, d;
	struct whosock_packet_tuple t;
	int l, c, a;
	uint16_t lp, cp;

	(void)state;
	l = tcp_listener();
	lp = port_of(l);
	idx = open_index(0);
	c = connect_to(lp);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	cp = port_of(c);
	t = tuple4(WHOSOCK_PROTO_TCP, cp, lp, WHOSOCK_PACKET_SRC_LOCAL | WHOSOCK_PACKET_DST_LOCAL);
	assert_true(wait_match(idx, &t, cookie_of(c), cookie_of(a), &s, &d));
	assert_true(s.exact && d.exact && !s.closed && !d.closed);
	assert_true(s.socket->n_owners >= 1);
	assert_int_equal(s.socket->owners[0].proc->pid, getpid());
	/* From 10.9.9.9 to the listener's port: the listener's. */
	inet_pton(AF_INET, "10.9.9.9", t.saddr);
	t.ends = WHOSOCK_PACKET_DST_LOCAL;
	assert_int_equal(whosock_portindex_match(idx, &t, &s, &d), 1);
	assert_null(s.socket);
	assert_int_equal(d.socket->cookie, cookie_of(l));
	assert_false(d.exact);
	/* From 10.9.9.9:LP (a remote server on the listener's port) to a local
	 * client: the remote end is not the local listener. */
	t.sport = lp;
	t.dport = 1;
	t.ends = WHOSOCK_PACKET_DST_LOCAL;
	assert_int_equal(whosock_portindex_match(idx, &t, &s, &d), 0);
	assert_true(whosock_portindex_size(idx) >= 3);
	close(a);
	close(c);
	close(l);
	whosock_portindex_free(idx);
}

/* A UDP port reused by a new socket names the new one. */
static void test_reused_port(void **state)
{
	struct whosock_portindex *idx = open_index(0);
	struct whosock_packet_end s, d;
	struct whosock_packet_tuple t;
	int u1, u2;
	uint16_t port;
	uint64_t first;

	(void)state;
	u1 = udp_bound(0);
	port = port_of(u1);
	first = cookie_of(u1);
	t = tuple4(WHOSOCK_PROTO_UDP, 9, port, WHOSOCK_PACKET_DST_LOCAL);
	assert_true(wait_match(idx, &t, 0, first, &s, &d));
	close(u1);
	u2 = udp_bound(port);
	assert_true(wait_match(idx, &t, 0, cookie_of(u2), &s, &d));
	assert_false(d.closed);
	assert_int_equal(d.socket->owners[0].proc->pid, getpid());
	close(u2);
	whosock_portindex_free(idx);
}

/* Two sockets bound to one port (SO_REUSEPORT): the older answers; once
 * it is closed, the other. */
static void test_shared_port(void **state)
{
	struct whosock_portindex *idx = open_index(0);
	struct whosock_packet_end s, d;
	struct whosock_packet_tuple t;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1, u1, u2;

	(void)state;
	u1 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(setsockopt(u1, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(u2, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	assert_int_equal(bind(u1, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(u1, (struct sockaddr *)&a, &len), 0);
	t = tuple4(WHOSOCK_PROTO_UDP, 9, ntohs(a.sin_port), WHOSOCK_PACKET_DST_LOCAL);
	assert_true(wait_match(idx, &t, 0, cookie_of(u1), &s, &d));
	assert_int_equal(bind(u2, (struct sockaddr *)&a, sizeof(a)), 0);
	/* u2 is indexed too (a dump or its event), yet u1 answers. */
	for (long end = mono_ms() + 1500; mono_ms() < end;)
		turn(idx);
	assert_true(wait_match(idx, &t, 0, cookie_of(u1), &s, &d));
	close(u1);
	assert_true(wait_match(idx, &t, 0, cookie_of(u2), &s, &d));
	close(u2);
	whosock_portindex_free(idx);
}

/* A closed connection still answers, marked closed, then is swept. */
static void test_grace(void **state)
{
	struct whosock_portindex *idx;
	struct whosock_packet_end s, d;
	struct whosock_packet_tuple t;
	bool seen_closed = false;
	int l, c, a;
	uint16_t lp;
	uint64_t cc, ac;

	(void)state;
	l = tcp_listener();
	lp = port_of(l);
	idx = open_index(300);
	c = connect_to(lp);
	a = accept(l, NULL, NULL);
	cc = cookie_of(c);
	ac = cookie_of(a);
	t = tuple4(WHOSOCK_PROTO_TCP, port_of(c), lp, 0);
	assert_true(wait_match(idx, &t, cc, ac, &s, &d));
	close(c);
	close(a);
	/* Closed: the client's end answers marked closed until the grace
	 * ends, then not at all (the server end falls back to the listener). */
	for (long end = mono_ms() + WAIT_MS; mono_ms() < end;) {
		assert_true(whosock_portindex_match(idx, &t, &s, &d) >= 0);
		if (s.socket && s.socket->cookie == cc && s.closed)
			seen_closed = true;
		if (!s.socket)
			break;
		turn(idx);
	}
	assert_true(seen_closed);
	assert_null(s.socket);
	assert_true(d.socket && d.socket->cookie == cookie_of(l));
	close(l);
	whosock_portindex_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_connection_ends),
		cmocka_unit_test(test_reused_port),
		cmocka_unit_test(test_shared_port),
		cmocka_unit_test(test_grace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
