/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* packet_diag and netlink_diag requests and answers (sockdiag.c runs them). */
#ifndef WHOSOCK_SOCKDIAG_KINDS_H
#define WHOSOCK_SOCKDIAG_KINDS_H

#include "whosock/whosock.h"

struct nlmsghdr;

/* Put the dump request of WHOSOCK_PROTO_PACKET or WHOSOCK_PROTO_NETLINK
 * after nlh's header (type, flags and seq are the caller's). */
void sockdiag_put_kind_request(struct nlmsghdr *nlh, enum whosock_proto proto);

/* Parse one packet_diag / netlink_diag answer into *out (netns and strings
 * left zero). Exposed for tests and fuzzers. Returns 0 or -EINVAL. */
int sockdiag_parse_packet(const void *nlh, struct whosock_socket *out);
int sockdiag_parse_netlink(const void *nlh, struct whosock_socket *out);

#endif
