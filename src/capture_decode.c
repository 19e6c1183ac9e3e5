/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every length is checked against what was captured before it is read: a
 * frame comes from the network, its headers say what their senders chose. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>
#include <sys/socket.h>

#include "capture_decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TCP or UDP at p (n bytes captured), l4len bytes long by the IP header. */
static void decode_l4(const uint8_t *p, size_t n, uint32_t l4len, struct decoded *d)
{
	if (d->ipproto == IPPROTO_TCP && n >= 20) {
		uint32_t hl = (uint32_t)(p[12] >> 4) * 4;

		d->sport = be16(p);
		d->dport = be16(p + 2);
		d->tcp_flags = p[13] & 0x3f;
		d->payload = l4len > hl ? l4len - hl : 0;
		d->level = DECODE_L4;
	} else if ((d->ipproto == IPPROTO_UDP || d->ipproto == IPPROTO_UDPLITE) && n >= 8) {
		d->sport = be16(p);
		d->dport = be16(p + 2);
		d->payload = l4len > 8 ? l4len - 8 : 0;
		d->level = DECODE_L4;
	}
}

static void decode_ipv4(const uint8_t *p, size_t n, struct decoded *d)
{
	size_t hl;
	uint32_t total;

	if (n < 20 || p[0] >> 4 != 4)
		return;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (hl < 20)
		return;
	d->family = AF_INET;
	d->ipproto = p[9];
	memcpy(d->saddr, p + 12, 4);
	memcpy(d->daddr, p + 16, 4);
	/* TSO/GSO frames on loopback may say 0: the frame is the packet. */
	d->ip_len = total ? total : (uint32_t)n;
	d->level = DECODE_IP;
	/* A later fragment carries no ports. */
	if (be16(p + 6) & 0x1fff || n < hl)
		return;
	decode_l4(p + hl, n - hl, d->ip_len > hl ? d->ip_len - (uint32_t)hl : 0, d);
}

static void decode_ipv6(const uint8_t *p, size_t n, struct decoded *d)
{
	size_t off = 40;
	uint8_t next;
	uint32_t plen;

	if (n < 40 || p[0] >> 4 != 6)
		return;
	d->family = AF_INET6;
	next = p[6];
	plen = be16(p + 4);
	memcpy(d->saddr, p + 8, 16);
	memcpy(d->daddr, p + 24, 16);
	d->ip_len = 40 + plen;
	d->level = DECODE_IP;
	/* Extension headers, as many as were captured (a bounded walk: each
	 * is at least 8 bytes). */
	for (;;) {
		d->ipproto = next;
		if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
			if (n < off + 8)
				return;
			next = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
		} else if (next == IPPROTO_FRAGMENT) {
			if (n < off + 8 || be16(p + off + 2) & 0xfff8)
				return; /* cut short, or a later fragment */
			next = p[off];
			off += 8;
		} else {
			break;
		}
	}
	if (n < off)
		return;
	decode_l4(p + off, n - off, d->ip_len > off ? d->ip_len - (uint32_t)off : 0, d);
}

static void decode_ether(uint16_t type, const uint8_t *p, size_t n, struct decoded *d)
{
	d->ethertype = type;
	d->level = DECODE_LINK;
	if (type == ETH_IPV4)
		decode_ipv4(p, n, d);
	else if (type == ETH_IPV6)
		decode_ipv6(p, n, d);
}

/* By the IP version nibble (raw IP links). */
static void decode_raw(const uint8_t *p, size_t n, struct decoded *d)
{
	d->level = DECODE_LINK;
	if (n && p[0] >> 4 == 4)
		decode_ether(ETH_IPV4, p, n, d);
	else if (n && p[0] >> 4 == 6)
		decode_ether(ETH_IPV6, p, n, d);
}

bool capture_decode_knows(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

void capture_decode(int linktype, const uint8_t *p, size_t n, struct decoded *d)
{
	memset(d, 0, sizeof(*d));
	d->pkttype = DECODE_PKTTYPE_UNKNOWN;
	switch (linktype) {
	case DLT_EN10MB: {
		size_t off = 12;
		uint16_t type;

		if (n < 14)
			return;
		type = be16(p + off);
		/* Up to two VLAN tags. */
		for (int i = 0; i < 2 && (type == ETH_VLAN || type == ETH_QINQ) && n >= off + 6; i++) {
			off += 4;
			type = be16(p + off);
		}
		decode_ether(type, p + off + 2, n - off - 2, d);
		return;
	}
	case DLT_LINUX_SLL:
		if (n < 16)
			return;
		d->pkttype = be16(p);
		d->hatype = be16(p + 2);
		decode_ether(be16(p + 14), p + 16, n - 16, d);
		return;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return;
		d->ifindex = be32(p + 4);
		d->hatype = be16(p + 8);
		d->pkttype = p[10];
		decode_ether(be16(p), p + 20, n - 20, d);
		return;
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t af;

		if (n < 4)
			return;
		/* DLT_NULL: the host's byte order (of the capturing host:
		 * either); DLT_LOOP: network order. */
		af = linktype == DLT_LOOP ? be32(p) : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
								(uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		if (linktype == DLT_NULL && af > 0xffff)
			af = be32(p);
		d->level = DECODE_LINK;
		if (af == 2)
			decode_ether(ETH_IPV4, p + 4, n - 4, d);
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			decode_ether(ETH_IPV6, p + 4, n - 4, d);
		return;
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		decode_raw(p, n, d);
		return;
	default:
		return;
	}
}

/* ---- the tcpdump -q -n line ---- */

static void put_addr(struct sbuf *b, const struct decoded *d, const uint8_t *a, uint16_t port,
		     bool ports)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(d->family, a, text, sizeof(text));
	sbuf_puts(b, text);
	if (ports) {
		sbuf_putc(b, '.');
		sbuf_u64(b, port);
	}
}

static void put_flags(struct sbuf *b, uint8_t f)
{
	static const struct {
		uint8_t bit;
		char c;
	} names[] = { { 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' }, { 0x08, 'P' }, { 0x20, 'U' } };

	sbuf_puts(b, " [");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			sbuf_putc(b, names[i].c);
	if (f & 0x10)
		sbuf_putc(b, '.');
	sbuf_putc(b, ']');
}

void capture_describe(struct sbuf *b, const struct decoded *d, uint32_t len)
{
	bool ports = d->level == DECODE_L4;

	if (d->level < DECODE_IP) {
		if (d->level == DECODE_LINK && d->ethertype) {
			char hex[8];
			static const char digits[] = "0123456789abcdef";

			for (int i = 0; i < 4; i++)
				hex[i] = digits[d->ethertype >> (12 - 4 * i) & 0xf];
			hex[4] = '\0';
			sbuf_puts(b, "ethertype 0x");
			sbuf_puts(b, hex);
		} else {
			sbuf_puts(b, "unknown");
		}
		sbuf_puts(b, ", length ");
		sbuf_u64(b, len);
		return;
	}
	sbuf_puts(b, d->family == AF_INET ? "IP " : "IP6 ");
	put_addr(b, d, d->saddr, d->sport, ports);
	sbuf_puts(b, " > ");
	put_addr(b, d, d->daddr, d->dport, ports);
	sbuf_puts(b, ": ");
	if (ports && d->ipproto == IPPROTO_TCP) {
		sbuf_puts(b, "tcp ");
		sbuf_u64(b, d->payload);
		put_flags(b, d->tcp_flags);
	} else if (ports) {
		sbuf_puts(b, d->ipproto == IPPROTO_UDP ? "udp " : "udplite ");
		sbuf_u64(b, d->payload);
	} else if (d->ipproto == IPPROTO_ICMP || d->ipproto == IPPROTO_ICMPV6) {
		sbuf_puts(b, d->ipproto == IPPROTO_ICMP ? "ICMP" : "ICMP6");
		sbuf_puts(b, ", length ");
		sbuf_u64(b, d->ip_len);
	} else {
		sbuf_puts(b, "ip-proto-");
		sbuf_u64(b, d->ipproto);
		sbuf_puts(b, ", length ");
		sbuf_u64(b, d->ip_len);
	}
}
