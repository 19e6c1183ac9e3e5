/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parsers of the kinds beyond inet and UNIX: lib/sockdiag_kinds.c
 * sockdiag_parse_packet() and sockdiag_parse_netlink() over one netlink
 * message (header included, kept within the input as in fuzz_sockdiag.c),
 * and lib/procnet.c procnet_parse_packet_line() and
 * procnet_parse_netlink_line() over the input as a C string.
 */
#include <errno.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "fuzz.h"
#include "procnet.h"
#include "sockdiag_kinds.h"
#include "whosock/whosock.h"

static void check(int r, const struct whosock_socket *s, const struct whosock_socket *before,
		  enum whosock_proto proto, int family)
{
	if (r == 0) {
		FUZZ_CHECK(s->proto == proto && s->family == family);
		FUZZ_CHECK(s->state == WHOSOCK_STATE_CLOSE || s->state == WHOSOCK_STATE_ESTABLISHED);
		FUZZ_CHECK(s->type == SOCK_RAW || s->type == SOCK_DGRAM ||
			   (family == AF_NETLINK && s->type == 0));
		FUZZ_CHECK(s->owners == NULL && s->local.path == NULL && s->local_text == NULL);
		FUZZ_CHECK(s->known & WHOSOCK_KNOWN_PROTOCOL);
		if (proto == WHOSOCK_PROTO_NETLINK)
			FUZZ_CHECK(s->protocol <= 255);
		else
			FUZZ_CHECK(s->protocol <= 0xffff);
	} else {
		FUZZ_CHECK(r == -EINVAL);
		FUZZ_CHECK(memcmp(s, before, sizeof(*s)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct whosock_socket s, before;
	char *text = fuzz_strdup(data, size);
	size_t msize = size & ~(size_t)(NLMSG_ALIGNTO - 1);

	memset(&s, 0xa5, sizeof(s));
	before = s;
	check(procnet_parse_packet_line(text, &s), &s, &before, WHOSOCK_PROTO_PACKET, AF_PACKET);
	memset(&s, 0xa5, sizeof(s));
	check(procnet_parse_netlink_line(text, &s), &s, &before, WHOSOCK_PROTO_NETLINK, AF_NETLINK);
	free(text);

	if (msize >= NLMSG_HDRLEN) {
		char *buf = fuzz_dup(data, msize);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		if (nlh->nlmsg_len > msize)
			nlh->nlmsg_len = (uint32_t)msize;
		if (nlh->nlmsg_len < NLMSG_HDRLEN)
			nlh->nlmsg_len = NLMSG_HDRLEN;
		memset(&s, 0xa5, sizeof(s));
		check(sockdiag_parse_packet(nlh, &s), &s, &before, WHOSOCK_PROTO_PACKET, AF_PACKET);
		memset(&s, 0xa5, sizeof(s));
		check(sockdiag_parse_netlink(nlh, &s), &s, &before, WHOSOCK_PROTO_NETLINK, AF_NETLINK);
		free(buf);
	}
	return 0;
}
