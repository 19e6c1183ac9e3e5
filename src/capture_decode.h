/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture's packet decoder: a captured frame's link header
 * (Ethernet, Linux cooked SLL and SLL2, BSD loopback, raw IP), IPv4 or
 * IPv6 with its extension headers, and TCP or UDP, as far as the bytes
 * captured go; and the one-line description tcpdump -q -n would print. */
#ifndef WHOSOCK_CAPTURE_DECODE_H
#define WHOSOCK_CAPTURE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

/* How far a frame was decoded. */
enum decode_level {
	DECODE_NONE, /* an unknown link type, or a link header cut short */
	DECODE_LINK, /* the link header: ethertype known, not IP (or cut short) */
	DECODE_IP,   /* addresses and protocol; no ports (not TCP/UDP, a later fragment, cut short) */
	DECODE_L4,   /* TCP or UDP ports too */
};

/* Link-layer facts that the cooked headers give (SLL, SLL2). */
#define DECODE_PKTTYPE_UNKNOWN (-1)

struct decoded {
	enum decode_level level;
	uint16_t ethertype;  /* 0x0800, 0x86dd, ... (0 when the link has none) */
	int pkttype;         /* PACKET_HOST, PACKET_OUTGOING, ...; DECODE_PKTTYPE_UNKNOWN */
	uint16_t hatype;     /* ARPHRD_* of SLL/SLL2 (ARPHRD_LOOPBACK: lo); 0 unknown */
	uint32_t ifindex;    /* SLL2: the interface; 0 unknown */
	int family;          /* AF_INET, AF_INET6 (DECODE_IP and up) */
	uint8_t ipproto;     /* IPPROTO_TCP, IPPROTO_UDP, ... (the last next header) */
	uint8_t saddr[16], daddr[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport;        /* host order (DECODE_L4) */
	uint8_t tcp_flags;   /* TCP: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20 */
	uint32_t ip_len;     /* the IP packet's length by its header (not what was captured) */
	uint32_t payload;    /* TCP/UDP payload bytes by the headers' lengths */
};

/* Decode the frame data[0..caplen) of pcap link type linktype (DLT_*) into
 * *out. Never reads past caplen; what is cut short stays at the level
 * reached. */
void capture_decode(int linktype, const uint8_t *data, size_t caplen, struct decoded *out);

/* Whether the link type is one capture_decode() knows. */
bool capture_decode_knows(int linktype);

/* What tcpdump -q -n prints after the timestamp and interface:
 * "IP 127.0.0.1.40000 > 127.0.0.1.8080: tcp 100 [P.]", "IP6 ::1.53 >
 * ::1.40000: udp 32", "IP 10.0.0.1 > 10.0.0.2: ICMP, length 84",
 * "ethertype 0x0806, length 42" (len: the frame's length on the wire). */
void capture_describe(struct sbuf *b, const struct decoded *d, uint32_t len);

#endif
