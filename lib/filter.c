/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Predicates over sockets. */
#include <string.h>
#include <sys/socket.h>

#include "whosock/whosock.h"

/* Would a packet for (f->local_family, f->local_addr) reach socket s? Its
 * exact address, its family's wildcard, and for IPv4 an IPv6 socket bound to
 * :: or to the v4-mapped address (dual-stack). */
static bool local_addr_serves(const struct whosock_filter *f, const struct whosock_socket *s)
{
	static const uint8_t any[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == f->local_family) {
		size_t alen = s->family == AF_INET ? 4 : 16;

		return memcmp(s->local.addr, f->local_addr, alen) == 0 ||
		       memcmp(s->local.addr, any, alen) == 0;
	}
	if (f->local_family == AF_INET && s->family == AF_INET6)
		return (memcmp(s->local.addr, any, 16) == 0 &&
			!((s->known & WHOSOCK_KNOWN_V6ONLY) && s->v6only)) ||
		       (memcmp(s->local.addr, mapped, 12) == 0 &&
			memcmp(s->local.addr + 12, f->local_addr, 4) == 0);
	return false;
}

/* A bound but inactive TCP socket is reported in state CLOSE: it matches
 * either name. */
static bool state_matches(unsigned states, const struct whosock_socket *s)
{
	if (s->state <= 0 || s->state >= WHOSOCK_STATE_MAX)
		return false;
	if (s->proto == WHOSOCK_PROTO_TCP && s->state == WHOSOCK_STATE_CLOSE &&
	    (states & WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE)))
		return true;
	return states & WHOSOCK_STATE_BIT(s->state);
}

bool whosock_filter_match(const struct whosock_filter *f, const struct whosock_socket *s)
{
	unsigned protos = f->protos ? f->protos : ~0u; /* 0: every kind */

	if (!(protos & WHOSOCK_PROTO_BIT(s->proto)))
		return false;
	/* families has bits for family numbers below 32 (inet, UNIX, packet,
	 * netlink); the higher ones (vsock, XDP, ...) are not narrowed by it. */
	if (f->families && s->family < 32 && !(f->families & (1u << s->family)))
		return false;
	if (f->states && !state_matches(f->states, s))
		return false;
	if (f->port > 0) {
		if (s->family == AF_UNIX)
			return false;
		if (s->local.port != f->port && s->remote.port != f->port)
			return false;
	}
	if (f->local_port > 0) {
		if (s->family == AF_UNIX || s->local.port != f->local_port)
			return false;
		if (f->local_family && !local_addr_serves(f, s))
			return false;
	}
	return true;
}
