/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of protocols and states, and address text. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "whosock/whosock.h"

static const char *const proto_names[WHOSOCK_PROTO_COUNT] = {
	[WHOSOCK_PROTO_TCP] = "tcp",       [WHOSOCK_PROTO_UDP] = "udp",
	[WHOSOCK_PROTO_UDPLITE] = "udplite", [WHOSOCK_PROTO_RAW] = "raw",
	[WHOSOCK_PROTO_UNIX] = "unix",     [WHOSOCK_PROTO_MPTCP] = "mptcp",
	[WHOSOCK_PROTO_SCTP] = "sctp",     [WHOSOCK_PROTO_PACKET] = "packet",
	[WHOSOCK_PROTO_NETLINK] = "netlink", [WHOSOCK_PROTO_VSOCK] = "vsock",
	[WHOSOCK_PROTO_XDP] = "xdp",       [WHOSOCK_PROTO_OTHER] = "other",
};

static const char *const state_names[WHOSOCK_STATE_MAX] = {
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
	return (unsigned)proto < WHOSOCK_PROTO_COUNT ? proto_names[proto] : "unknown";
}

const char *whosock_state_name(enum whosock_proto proto, int state)
{
	if (state <= 0 || state >= WHOSOCK_STATE_MAX)
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
	for (int s = 1; s < WHOSOCK_STATE_MAX; s++)
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
