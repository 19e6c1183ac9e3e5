/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Predicates over sockets. */
#include <sys/socket.h>

#include "whosock/whosock.h"

bool whosock_filter_match(const struct whosock_filter *f, const struct whosock_socket *s)
{
	unsigned protos = f->protos ? f->protos : WHOSOCK_PROTOS_ALL;

	if (!(protos & WHOSOCK_PROTO_BIT(s->proto)))
		return false;
	if (f->families && !(f->families & (1u << s->family)))
		return false;
	if (f->states && (s->state <= 0 || s->state >= WHOSOCK_STATE_MAX ||
			  !(f->states & WHOSOCK_STATE_BIT(s->state))))
		return false;
	if (f->port > 0) {
		if (s->family == AF_UNIX)
			return false;
		if (s->local.port != f->port && s->remote.port != f->port)
			return false;
	}
	return true;
}
