/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/sockdiag.c: sockdiag_parse_inet() and sockdiag_parse_unix() over one
 * netlink message.
 *
 * The input is the message, header included. The real caller only passes
 * messages that libmnl's mnl_nlmsg_ok() checked against the received length,
 * and the kernel sends whole 4-byte units; so the harness keeps the input's
 * first size & ~3 bytes (an exactly sized copy) and sets nlmsg_len to at
 * most that and at least NLMSG_HDRLEN. Anything else in the message is the
 * fuzzer's choice.
 */
#include <errno.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include "kinds.h"
#include "fuzz.h"
#include "sockdiag.h"
#include "whosock/whosock.h"

static void check_inet(const struct nlmsghdr *nlh, enum whosock_proto proto)
{
	struct whosock_socket s, before;

	memset(&s, 0xa5, sizeof(s));
	before = s;
	if (sockdiag_parse_inet(nlh, proto, &s) == 0) {
		FUZZ_CHECK(nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(struct inet_diag_msg));
		FUZZ_CHECK(s.family == AF_INET || s.family == AF_INET6);
		FUZZ_CHECK(s.proto == proto && s.source == WHOSOCK_SOURCE_NETLINK);
		FUZZ_CHECK(s.state >= 1 && s.state < STATE_COUNT);
		FUZZ_CHECK(s.local.path == NULL && s.remote.path == NULL && s.owners == NULL);
		if (s.family == AF_INET) {
			static const uint8_t zero[12];

			FUZZ_CHECK(memcmp(s.local.addr + 4, zero, 12) == 0);
			FUZZ_CHECK(memcmp(s.remote.addr + 4, zero, 12) == 0);
		}
		if (proto != WHOSOCK_PROTO_TCP)
			FUZZ_CHECK(!(s.known & (WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES |
						WHOSOCK_KNOWN_TCP_BYTES_SENT)));
	} else {
		FUZZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
	}
}

static void check_unix(const struct nlmsghdr *nlh)
{
	struct whosock_socket s, before;
	const char *path = (const char *)&s, *path0 = path;
	size_t path_len = 777;

	memset(&s, 0xa5, sizeof(s));
	before = s;
	if (sockdiag_parse_unix(nlh, &s, &path, &path_len) == 0) {
		FUZZ_CHECK(s.family == AF_UNIX && s.proto == WHOSOCK_PROTO_UNIX);
		FUZZ_CHECK(s.type == SOCK_STREAM || s.type == SOCK_DGRAM || s.type == SOCK_SEQPACKET);
		FUZZ_CHECK(s.state >= 1 && s.state < STATE_COUNT);
		FUZZ_CHECK(s.local.path == NULL);
		if (path) {
			FUZZ_CHECK(path_len > 0);
			/* libmnl parses attributes up to NLMSG_ALIGN(nlmsg_len)
			 * (the kernel's lengths are aligned; the harness keeps
			 * that within the buffer). */
			FUZZ_CHECK(fuzz_within(nlh, NLMSG_ALIGN(nlh->nlmsg_len), path, path_len));
			/* A pathname stops at its first NUL; an abstract name
			 * starts with one and keeps every byte. */
			if (path[0] != '\0')
				FUZZ_CHECK(memchr(path, '\0', path_len) == NULL);
		} else {
			FUZZ_CHECK(path_len == 0);
		}
	} else {
		FUZZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
		FUZZ_CHECK(path == path0 && path_len == 777);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum whosock_proto other[] = { WHOSOCK_PROTO_UDP, WHOSOCK_PROTO_UDPLITE,
						    WHOSOCK_PROTO_RAW, WHOSOCK_PROTO_UNIX };
	struct nlmsghdr *nlh;
	char *buf;

	size &= ~(size_t)(NLMSG_ALIGNTO - 1);
	if (size < NLMSG_HDRLEN)
		return 0;
	buf = fuzz_dup(data, size);
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_len > size)
		nlh->nlmsg_len = (uint32_t)size;
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		nlh->nlmsg_len = NLMSG_HDRLEN;

	check_inet(nlh, WHOSOCK_PROTO_TCP);
	/* The proto only decides TCP_INFO and the socket type; UNIX is not an
	 * inet proto and must not upset the parser either. */
	check_inet(nlh, other[nlh->nlmsg_seq % 4]);
	check_unix(nlh);
	free(buf);
	return 0;
}
