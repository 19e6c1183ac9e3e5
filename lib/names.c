/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of protocols and states, and address text. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "kinds.h"
#include "whosock/whosock.h"

static const char *const proto_names[PROTO_COUNT] = {
	[WHOSOCK_PROTO_TCP] = "tcp",       [WHOSOCK_PROTO_UDP] = "udp",
	[WHOSOCK_PROTO_UDPLITE] = "udplite", [WHOSOCK_PROTO_RAW] = "raw",
	[WHOSOCK_PROTO_UNIX] = "unix",     [WHOSOCK_PROTO_MPTCP] = "mptcp",
	[WHOSOCK_PROTO_SCTP] = "sctp",     [WHOSOCK_PROTO_PACKET] = "packet",
	[WHOSOCK_PROTO_NETLINK] = "netlink", [WHOSOCK_PROTO_VSOCK] = "vsock",
	[WHOSOCK_PROTO_XDP] = "xdp",       [WHOSOCK_PROTO_OTHER] = "other",
};

static const char *const state_names[STATE_COUNT] = {
	[WHOSOCK_STATE_ESTABLISHED] = "ESTABLISHED",
	[WHOSOCK_STATE_SYN_SENT] = "SYN_SENT",
	[WHOSOCK_STATE_SYN_RECV] = "SYN_RECV",
	[WHOSOCK_STATE_FIN_WAIT1] = "FIN_WAIT1",
	[WHOSOCK_STATE_FIN_WAIT2] = "FIN_WAIT2",
	[WHOSOCK_STATE_TIME_WAIT] = "TIME_WAIT",
	[WHOSOCK_STATE_CLOSE] = "CLOSE",
	[WHOSOCK_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
	[WHOSOCK_STATE_LAST_ACK] = "LAST_ACK",
	[WHOSOCK_STATE_LISTEN] = "LISTEN",
	[WHOSOCK_STATE_CLOSING] = "CLOSING",
	[WHOSOCK_STATE_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[WHOSOCK_STATE_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

const char *whosock_proto_name(enum whosock_proto proto)
{
	return (unsigned)proto < PROTO_COUNT ? proto_names[proto] : "unknown";
}

const char *whosock_state_name(enum whosock_proto proto, int state)
{
	if (state <= 0 || state >= STATE_COUNT)
		return "UNKNOWN";
	if (state == WHOSOCK_STATE_CLOSE && proto != WHOSOCK_PROTO_TCP)
		return "UNCONN";
	if (proto == WHOSOCK_PROTO_UNIX) {
		if (state == WHOSOCK_STATE_ESTABLISHED)
			return "CONNECTED";
		if (state == WHOSOCK_STATE_SYN_SENT)
			return "CONNECTING";
	}
	return state_names[state];
}

/* Compare a user's spelling with a canonical name: case and '-'/'_' don't matter. */
static bool name_eq(const char *user, const char *canon)
{
	for (; *user && *canon; user++, canon++) {
		char a = *user == '-' ? '_' : *user;

		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (a != *canon)
			return false;
	}
	return *user == '\0' && *canon == '\0';
}

int whosock_state_parse(const char *name)
{
	static const struct {
		const char *name;
		int state;
	} aliases[] = {
		{ "ESTAB", WHOSOCK_STATE_ESTABLISHED },
		{ "CONNECTED", WHOSOCK_STATE_ESTABLISHED },
		{ "CONNECTING", WHOSOCK_STATE_SYN_SENT },
		{ "UNCONN", WHOSOCK_STATE_CLOSE },
		{ "CLOSED", WHOSOCK_STATE_CLOSE },
		{ "LISTENING", WHOSOCK_STATE_LISTEN },
		{ "TIMEWAIT", WHOSOCK_STATE_TIME_WAIT },
		{ "FIN_WAIT_1", WHOSOCK_STATE_FIN_WAIT1 },
		{ "FIN_WAIT_2", WHOSOCK_STATE_FIN_WAIT2 },
	};

	if (!name)
		return -EINVAL;
	for (int s = 1; s < STATE_COUNT; s++)
		if (name_eq(name, state_names[s]))
			return s;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (name_eq(name, aliases[i].name))
			return aliases[i].state;
	return -EINVAL;
}

/* IPv4 dotted quad without inet_ntop's generality: this runs once per socket. */
static char *format_ipv4(const uint8_t *a, char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return buf;
}

char *whosock_addr_format(int family, const struct whosock_endpoint *ep, char *buf, size_t len)
{
	if (len < INET6_ADDRSTRLEN) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (family == AF_INET)
		return format_ipv4(ep->addr, buf);
	if (family == AF_INET6 && inet_ntop(AF_INET6, ep->addr, buf, (socklen_t)len))
		return buf;
	buf[0] = '\0';
	return buf;
}

/* The kernel's own names (include/linux/socket.h AF_*), lowercase. */
static const char *const family_names[] = {
	[AF_UNSPEC] = "unspec", [AF_UNIX] = "unix", [AF_INET] = "inet", [3] = "ax25",
	[4] = "ipx", [5] = "appletalk", [6] = "netrom", [7] = "bridge", [8] = "atmpvc",
	[9] = "x25", [AF_INET6] = "inet6", [11] = "rose", [12] = "decnet", [13] = "netbeui",
	[14] = "security", [15] = "key", [AF_NETLINK] = "netlink", [AF_PACKET] = "packet",
	[18] = "ash", [19] = "econet", [20] = "atmsvc", [21] = "rds", [22] = "sna",
	[23] = "irda", [24] = "pppox", [25] = "wanpipe", [26] = "llc", [27] = "ib",
	[28] = "mpls", [29] = "can", [30] = "tipc", [31] = "bluetooth", [32] = "iucv",
	[33] = "rxrpc", [34] = "isdn", [35] = "phonet", [36] = "ieee802154", [37] = "caif",
	[38] = "alg", [39] = "nfc", [40] = "vsock", [41] = "kcm", [42] = "qipcrtr",
	[43] = "smc", [44] = "xdp", [45] = "mctp",
};

const char *whosock_family_name(int family)
{
	if (family < 0 || (size_t)family >= sizeof(family_names) / sizeof(family_names[0]))
		return NULL;
	return family_names[family];
}

/* include/uapi/linux/netlink.h NETLINK_*, named as ss and iproute2 do
 * without their abbreviations. */
static const char *const netlink_names[] = {
	[0] = "route", [1] = "unused", [2] = "usersock", [3] = "firewall",
	[4] = "sock_diag", [5] = "nflog", [6] = "xfrm", [7] = "selinux",
	[8] = "iscsi", [9] = "audit", [10] = "fib_lookup", [11] = "connector",
	[12] = "netfilter", [13] = "ip6_fw", [14] = "dnrtmsg", [15] = "kobject_uevent",
	[16] = "generic", [18] = "scsitransport", [19] = "ecryptfs", [20] = "rdma",
	[21] = "crypto", [22] = "smc",
};

const char *whosock_netlink_proto_name(int protocol)
{
	if (protocol < 0 || (size_t)protocol >= sizeof(netlink_names) / sizeof(netlink_names[0]))
		return NULL;
	return netlink_names[protocol];
}

/* include/uapi/linux/if_ether.h ETH_P_*, the ones packet sockets use. */
const char *whosock_eth_proto_name(int protocol)
{
	static const struct {
		int value;
		const char *name;
	} names[] = {
		{ 0x0000, "none" },    { 0x0001, "802_3" },    { 0x0003, "all" },
		{ 0x0004, "802_2" },   { 0x0800, "ip" },       { 0x0806, "arp" },
		{ 0x8035, "rarp" },    { 0x8100, "8021q" },    { 0x86dd, "ipv6" },
		{ 0x8847, "mpls_uc" }, { 0x8848, "mpls_mc" },  { 0x8863, "pppoe_disc" },
		{ 0x8864, "pppoe_ses" }, { 0x888e, "pae" },    { 0x88a8, "8021ad" },
		{ 0x88cc, "lldp" },    { 0x88e5, "macsec" },   { 0x88f7, "1588" },
		{ 0x8906, "fcoe" },    { 0x8137, "ipx" },      { 0x9000, "loop" },
		{ 0x0005, "snap" },    { 0x00f6, "ieee802154" },
		{ 0x000c, "can" },     { 0x000d, "canfd" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].value == protocol)
			return names[i].name;
	return NULL;
}
