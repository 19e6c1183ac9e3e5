/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/sockdiag.c parsers as sockdiag_dump() drives them: the input is one
 * recvmsg() buffer of a dump, several netlink messages back to back, run
 * through libmnl's mnl_cb_run2() (which walks them with mnl_nlmsg_ok() and
 * mnl_nlmsg_next(), handles NLMSG_ERROR, NLMSG_DONE and NLM_F_DUMP_INTR).
 * Each SOCK_DIAG_BY_FAMILY message goes to the inet or the unix parser by
 * its family byte, as a dump of that family would. The kernel sends whole
 * 4-byte units, so the input is cut to size & ~3 (an exactly sized copy).
 */
#include <errno.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "fuzz.h"
#include "sockdiag.h"
#include "whosock/whosock.h"

struct ctx {
	const char *buf;
	size_t size;
	unsigned parsed, seen;
	enum whosock_proto proto;
	int done_error;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctx *c = data;
	const uint8_t *family = mnl_nlmsg_get_payload(nlh);
	struct whosock_socket s;
	const char *path = NULL;
	size_t path_len = 0;

	/* mnl_nlmsg_ok() let it through: it lies within the buffer. */
	FUZZ_CHECK(nlh->nlmsg_len >= NLMSG_HDRLEN);
	FUZZ_CHECK(fuzz_within(c->buf, c->size, nlh, NLMSG_ALIGN(nlh->nlmsg_len)));
	c->seen++;
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (nlh->nlmsg_len > NLMSG_HDRLEN && *family == AF_UNIX) {
		if (sockdiag_parse_unix(nlh, &s, &path, &path_len) == 0) {
			FUZZ_CHECK(!path || fuzz_within(nlh, NLMSG_ALIGN(nlh->nlmsg_len), path, path_len));
			c->parsed++;
		}
	} else if (sockdiag_parse_inet(nlh, c->proto, &s) == 0) {
		FUZZ_CHECK(s.family == AF_INET || s.family == AF_INET6);
		c->parsed++;
	}
	return MNL_CB_OK;
}

/* As sockdiag.c's done_cb(): NLMSG_DONE may carry the dump's error. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctx *c = data;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&c->done_error, mnl_nlmsg_get_payload(nlh), sizeof(c->done_error));
	return MNL_CB_STOP;
}

/* libmnl 1.0.4's mnl_nlmsg_ok() compares (int)nlmsg_len with the bytes left,
 * so a length of 2^31 or more passes as negative and mnl_nlmsg_next() then
 * jumps gigabytes ahead (reproducer in fuzz/crashes/sockdiag_stream/). The
 * kernel never sends such a length; the harness clamps every message's
 * length to the bytes left, as it does for one message in fuzz_sockdiag.c. */
static void clamp_lengths(char *buf, size_t size)
{
	size_t off = 0;

	while (size - off >= NLMSG_HDRLEN) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);

		if (nlh->nlmsg_len > size - off)
			nlh->nlmsg_len = (uint32_t)(size - off);
		if (nlh->nlmsg_len < NLMSG_HDRLEN)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mnl_cb_t ctl_cb[NLMSG_DONE + 1] = { [NLMSG_DONE] = done_cb };
	struct ctx c = { 0 };
	char *buf;
	int r;

	size &= ~(size_t)(NLMSG_ALIGNTO - 1);
	if (size < NLMSG_HDRLEN)
		return 0;
	buf = fuzz_dup(data, size);
	clamp_lengths(buf, size);
	c.buf = buf;
	c.size = size;
	/* Like the dump request: TCP (with TCP_INFO) unless the first
	 * message's sequence number says otherwise. */
	c.proto = (enum whosock_proto)(((const struct nlmsghdr *)buf)->nlmsg_seq % 4);
	/* seq 0 and portid 0: libmnl skips those checks (the dump sets them). */
	r = mnl_cb_run2(buf, size, 0, 0, data_cb, &c, ctl_cb, NLMSG_DONE + 1);
	FUZZ_CHECK(r == MNL_CB_OK || r == MNL_CB_STOP || r == MNL_CB_ERROR);
	FUZZ_CHECK(c.parsed <= c.seen && c.seen <= size / NLMSG_HDRLEN);
	free(buf);
	return 0;
}
