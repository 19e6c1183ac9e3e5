/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for whosock capture's packet decoder (src/capture_decode.c)
 * and pcapng writer (src/pcapng.c): hand-made frames of every link type
 * it knows, every cut-short length of them (the decoder never reads past
 * what was captured: ASan and valgrind run this too), and a file written
 * and walked block by block as a reader would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture_decode.h"
#include "pcapng.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* IPv4 127.0.0.1:40000 > 127.0.0.1:8080, TCP [P.] with 100 bytes. */
static size_t ipv4_tcp(uint8_t *p)
{
	static const uint8_t ip[] = { 0x45, 0, 0, 140, 0, 1, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1,
				      127, 0, 0, 1 };
	static const uint8_t tcp[] = { 0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18,
				       0xff, 0xff, 0, 0, 0, 0 };

	memcpy(p, ip, sizeof(ip));
	memcpy(p + 20, tcp, sizeof(tcp));
	memset(p + 40, 'x', 100);
	return 140;
}

/* IPv6 ::1:53 > ::1:40000 with a hop-by-hop header, UDP with 32 bytes. */
static size_t ipv6_udp(uint8_t *p)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = 0;
	p[5] = 8 + 8 + 32; /* payload length */
	p[6] = IPPROTO_HOPOPTS;
	p[7] = 64;
	p[23] = 1;
	p[39] = 1;
	memset(p + 40, 0, 8);
	p[40] = IPPROTO_UDP; /* next */
	p[41] = 0;           /* 8 bytes */
	p[48] = 0;
	p[49] = 53;
	p[50] = 0x9c;
	p[51] = 0x40;
	p[52] = 0;
	p[53] = 40;
	memset(p + 56, 'y', 32);
	return 88;
}

static void check_v4_tcp(const struct decoded *d)
{
	uint8_t lo[4] = { 127, 0, 0, 1 };

	assert_int_equal(d->level, DECODE_L4);
	assert_int_equal(d->family, AF_INET);
	assert_int_equal(d->ipproto, IPPROTO_TCP);
	assert_memory_equal(d->saddr, lo, 4);
	assert_memory_equal(d->daddr, lo, 4);
	assert_int_equal(d->sport, 40000);
	assert_int_equal(d->dport, 8080);
	assert_int_equal(d->tcp_flags, 0x18);
	assert_int_equal(d->payload, 100);
	assert_int_equal(d->ip_len, 140);
}

static void test_ethernet_ipv4_tcp(void **state)
{
	uint8_t f[200] = { [12] = 0x08, [13] = 0x00 };
	struct decoded d;
	size_t n = 14 + ipv4_tcp(f + 14);

	(void)state;
	capture_decode(DLT_EN10MB, f, n, &d);
	check_v4_tcp(&d);
	assert_int_equal(d.pkttype, DECODE_PKTTYPE_UNKNOWN);
	/* Two VLAN tags before the type. */
	memset(f, 0, sizeof(f));
	f[12] = 0x88, f[13] = 0xa8, f[16] = 0x81, f[17] = 0x00, f[20] = 0x08, f[21] = 0x00;
	n = 22 + ipv4_tcp(f + 22);
	capture_decode(DLT_EN10MB, f, n, &d);
	check_v4_tcp(&d);
}

static void test_cooked_and_loopback(void **state)
{
	uint8_t f[200] = { 0 };
	struct decoded d;
	size_t n;

	(void)state;
	/* SLL2: protocol, reserved, ifindex 7, ARPHRD_LOOPBACK (772), HOST. */
	f[0] = 0x86, f[1] = 0xdd, f[7] = 7, f[8] = 0x03, f[9] = 0x04, f[10] = 0;
	n = 20 + ipv6_udp(f + 20);
	capture_decode(DLT_LINUX_SLL2, f, n, &d);
	assert_int_equal(d.level, DECODE_L4);
	assert_int_equal(d.ifindex, 7);
	assert_int_equal(d.hatype, 772);
	assert_int_equal(d.pkttype, 0);
	assert_int_equal(d.family, AF_INET6);
	assert_int_equal(d.ipproto, IPPROTO_UDP);
	assert_int_equal(d.sport, 53);
	assert_int_equal(d.dport, 40000);
	assert_int_equal(d.payload, 32);
	/* SLL: OUTGOING (4), then the protocol at 14. */
	memset(f, 0, sizeof(f));
	f[1] = 4, f[14] = 0x08, f[15] = 0x00;
	n = 16 + ipv4_tcp(f + 16);
	capture_decode(DLT_LINUX_SLL, f, n, &d);
	check_v4_tcp(&d);
	assert_int_equal(d.pkttype, 4);
	/* BSD loopback: AF_INET in the host's order (DLT_NULL), network order (DLT_LOOP). */
	memset(f, 0, sizeof(f));
	f[0] = 2;
	n = 4 + ipv4_tcp(f + 4);
	capture_decode(DLT_NULL, f, n, &d);
	check_v4_tcp(&d);
	f[0] = 0, f[3] = 2;
	capture_decode(DLT_LOOP, f, n, &d);
	check_v4_tcp(&d);
	/* Raw IP. */
	n = ipv4_tcp(f);
	capture_decode(DLT_RAW, f, n, &d);
	check_v4_tcp(&d);
	capture_decode(12345, f, n, &d);
	assert_int_equal(d.level, DECODE_NONE);
	assert_false(capture_decode_knows(12345));
	assert_true(capture_decode_knows(DLT_LINUX_SLL2));
}

/* A frame cut at every length: the level only grows with the length, and
 * the full length decodes completely. */
static void test_every_cut(void **state)
{
	static const int links[] = { DLT_EN10MB, DLT_LINUX_SLL2, DLT_RAW };
	uint8_t f[200] = { 0 };

	(void)state;
	for (size_t l = 0; l < sizeof(links) / sizeof(links[0]); l++) {
		size_t n;
		enum decode_level last = DECODE_NONE;

		memset(f, 0, sizeof(f));
		if (links[l] == DLT_EN10MB) {
			f[12] = 0x86, f[13] = 0xdd;
			n = 14 + ipv6_udp(f + 14);
		} else if (links[l] == DLT_LINUX_SLL2) {
			f[0] = 0x08;
			n = 20 + ipv4_tcp(f + 20);
		} else {
			n = ipv6_udp(f);
		}
		for (size_t cut = 0; cut <= n; cut++) {
			/* A copy of exactly cut bytes: ASan sees any read past it. */
			uint8_t *copy = malloc(cut ? cut : 1);
			struct decoded d;

			memcpy(copy, f, cut);
			capture_decode(links[l], copy, cut, &d);
			assert_true(d.level >= last);
			last = d.level;
			free(copy);
		}
		assert_int_equal(last, DECODE_L4);
	}
}

static void test_fragment_has_no_ports(void **state)
{
	uint8_t f[200];
	struct decoded d;
	size_t n = ipv4_tcp(f);

	(void)state;
	f[6] = 0x00, f[7] = 0x10; /* offset 16 x 8 bytes: a later fragment */
	capture_decode(DLT_RAW, f, n, &d);
	assert_int_equal(d.level, DECODE_IP);
	/* The header lies about its length: no payload past the packet. */
	n = ipv4_tcp(f);
	f[2] = 0, f[3] = 30; /* shorter than IP + TCP headers */
	capture_decode(DLT_RAW, f, n, &d);
	assert_int_equal(d.level, DECODE_L4);
	assert_int_equal(d.payload, 0);
}

static void describe_is(int linktype, const uint8_t *f, size_t n, const char *want)
{
	struct sbuf b = { 0 };
	struct decoded d;

	capture_decode(linktype, f, n, &d);
	capture_describe(&b, &d, (uint32_t)n);
	sbuf_putc(&b, '\0');
	assert_false(b.failed);
	assert_string_equal(b.data, want);
	sbuf_free(&b);
}

static void test_describe(void **state)
{
	uint8_t f[200] = { 0 };
	size_t n;

	(void)state;
	n = ipv4_tcp(f);
	describe_is(DLT_RAW, f, n, "IP 127.0.0.1.40000 > 127.0.0.1.8080: tcp 100 [P.]");
	n = ipv6_udp(f);
	describe_is(DLT_RAW, f, n, "IP6 ::1.53 > ::1.40000: udp 32");
	memset(f, 0, sizeof(f));
	f[12] = 0x08, f[13] = 0x06;
	describe_is(DLT_EN10MB, f, 42, "ethertype 0x0806, length 42");
	n = ipv4_tcp(f);
	f[9] = IPPROTO_ICMP;
	describe_is(DLT_RAW, f, n, "IP 127.0.0.1 > 127.0.0.1: ICMP, length 140");
}

/* ---- pcapng ---- */

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void test_pcapng_blocks(void **state)
{
	static const char *const comments[] = { "pid=42 comm=a end=src", "pid=43 comm=b end=dst" };
	struct pcapng w;
	struct sbuf opts = { 0 };
	uint8_t pkt[141], buf[4096];
	FILE *f = tmpfile();
	size_t len, off = 0, n_epb = 0;
	uint32_t id;

	(void)state;
	assert_non_null(f);
	memset(pkt, 0xab, sizeof(pkt));
	pcapng_open(&w, fileno(f), "whosock test");
	id = pcapng_interface(&w, DLT_LINUX_SLL2, 262144, "lo", "netns blue (4026532177)");
	assert_int_equal(id, 0);
	pcapng_options(&opts, comments, 2);
	assert_false(opts.failed);
	pcapng_packet(&w, id, 1700000000123456ull, pkt, sizeof(pkt), 200, opts.data, opts.len);
	sbuf_free(&opts);
	pcapng_packet(&w, id, 1700000000123457ull, pkt, 60, 60, NULL, 0);
	assert_int_equal(pcapng_close(&w), 0);
	len = (size_t)lseek(fileno(f), 0, SEEK_END);
	assert_true(len < sizeof(buf));
	assert_int_equal(pread(fileno(f), buf, len, 0), (ssize_t)len);
	fclose(f);
	/* Walk the blocks: each length a multiple of 4, repeated at its end. */
	while (off < len) {
		uint32_t type = u32_at(buf + off), total = u32_at(buf + off + 4);

		assert_true(total >= 12 && total % 4 == 0 && off + total <= len);
		assert_int_equal(u32_at(buf + off + total - 4), total);
		if (off == 0) {
			assert_int_equal(type, 0x0A0D0D0A);
			assert_int_equal(u32_at(buf + 8), 0x1A2B3C4D);
		} else if (type == 1) {
			assert_int_equal(u16_at(buf + off + 8), DLT_LINUX_SLL2);
			assert_int_equal(u32_at(buf + off + 12), 262144);
			assert_int_equal(u16_at(buf + off + 16), 2); /* if_name */
			assert_int_equal(u16_at(buf + off + 18), 2);
			assert_memory_equal(buf + off + 20, "lo", 2);
		} else {
			uint32_t cap = u32_at(buf + off + 20);
			size_t o = off + 28 + ((cap + 3) & ~3u);

			assert_int_equal(type, 6);
			assert_int_equal(u32_at(buf + off + 8), 0);
			if (n_epb == 0) {
				uint64_t ts = (uint64_t)u32_at(buf + off + 12) << 32 | u32_at(buf + off + 16);

				assert_int_equal(ts, 1700000000123456ull);
				assert_int_equal(cap, 141);
				assert_int_equal(u32_at(buf + off + 24), 200);
				for (int k = 0; k < 2; k++) {
					uint16_t olen = u16_at(buf + o + 2);

					assert_int_equal(u16_at(buf + o), 1); /* opt_comment */
					assert_int_equal(olen, strlen(comments[k]));
					assert_memory_equal(buf + o + 4, comments[k], olen);
					o += 4 + ((olen + 3u) & ~3u);
				}
				assert_int_equal(u32_at(buf + o), 0); /* end of options */
			} else {
				assert_int_equal(cap, 60);
				assert_int_equal(o, off + total - 4); /* no options */
			}
			n_epb++;
		}
		off += total;
	}
	assert_int_equal(off, len);
	assert_int_equal(n_epb, 2);
}

/* A failed write is reported, not lost. */
static void test_pcapng_write_error(void **state)
{
	struct pcapng w;
	uint8_t pkt[64] = { 0 };
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	pcapng_open(&w, fds[1], "whosock test");
	pcapng_packet(&w, 0, 0, pkt, sizeof(pkt), sizeof(pkt), NULL, 0);
	assert_true(pcapng_close(&w) < 0);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_cooked_and_loopback),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_fragment_has_no_ports),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_pcapng_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
