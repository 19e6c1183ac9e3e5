/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* packet_diag and netlink_diag: the requests and the parsers of their
 * answers. The exchange itself (send, receive, retry on NLM_F_DUMP_INTR) is
 * sockdiag.c's, shared with inet and UNIX. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include "sockdiag.h"
#include "sockdiag_kinds.h"

_Static_assert(PACKET_DIAG_MAX <= INET_DIAG_MAX && NETLINK_DIAG_MAX <= INET_DIAG_MAX,
	       "struct sockdiag_attrs holds every packet and netlink diag attribute");

/* SK_MEMINFO_RMEM_ALLOC and SK_MEMINFO_WMEM_ALLOC of a meminfo array. */
static int parse_meminfo(const struct nlattr *attr, struct whosock_socket *s)
{
	const uint32_t *v = mnl_attr_get_payload(attr);
	uint32_t mem[SK_MEMINFO_VARS];

	if (mnl_attr_get_payload_len(attr) < (SK_MEMINFO_WMEM_ALLOC + 1) * sizeof(uint32_t))
		return -EINVAL;
	memcpy(mem, v, (SK_MEMINFO_WMEM_ALLOC + 1) * sizeof(uint32_t));
	s->rqueue = mem[SK_MEMINFO_RMEM_ALLOC];
	s->wqueue = mem[SK_MEMINFO_WMEM_ALLOC];
	s->known |= WHOSOCK_KNOWN_QUEUES;
	return 0;
}

void sockdiag_put_kind_request(struct nlmsghdr *nlh, enum whosock_proto proto)
{
	if (proto == WHOSOCK_PROTO_PACKET) {
		struct packet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->sdiag_family = AF_PACKET;
		req->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO;
	} else {
		struct netlink_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->sdiag_family = AF_NETLINK;
		req->sdiag_protocol = NDIAG_PROTO_ALL;
		req->ndiag_show = NDIAG_SHOW_GROUPS | NDIAG_SHOW_MEMINFO;
	}
}

int sockdiag_parse_packet(const void *buf, struct whosock_socket *out)
{
	const struct nlmsghdr *nlh = buf;
	const struct packet_diag_msg *m;
	struct sockdiag_attrs t = { .max = PACKET_DIAG_MAX };
	struct whosock_socket s;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->pdiag_family != AF_PACKET || (m->pdiag_type != SOCK_RAW && m->pdiag_type != SOCK_DGRAM))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), sockdiag_attr_cb, &t) < 0)
		return -EINVAL;

	memset(&s, 0, sizeof(s));
	s.proto = WHOSOCK_PROTO_PACKET;
	s.family = AF_PACKET;
	s.type = m->pdiag_type;
	/* A packet socket has no connection: ss says UNCONN. */
	s.state = WHOSOCK_STATE_CLOSE;
	s.source = WHOSOCK_SOURCE_NETLINK;
	s.inode = m->pdiag_ino;
	s.cookie = (uint64_t)m->pdiag_cookie[0] | (uint64_t)m->pdiag_cookie[1] << 32;
	/* pdiag_num is the ETH_P_* protocol, already in host order. */
	s.protocol = m->pdiag_num;
	s.known = WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_PROTOCOL;
	if (t.tb[PACKET_DIAG_INFO]) {
		const struct packet_diag_info *info;

		if (mnl_attr_get_payload_len(t.tb[PACKET_DIAG_INFO]) < sizeof(*info))
			return -EINVAL;
		info = mnl_attr_get_payload(t.tb[PACKET_DIAG_INFO]);
		s.ifindex = info->pdi_index;
		s.known |= WHOSOCK_KNOWN_IFINDEX;
	}
	if (t.tb[PACKET_DIAG_UID]) {
		if (mnl_attr_validate(t.tb[PACKET_DIAG_UID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		s.uid = mnl_attr_get_u32(t.tb[PACKET_DIAG_UID]);
		s.known |= WHOSOCK_KNOWN_UID;
	}
	if (t.tb[PACKET_DIAG_MEMINFO] && parse_meminfo(t.tb[PACKET_DIAG_MEMINFO], &s) < 0)
		return -EINVAL;
	*out = s;
	return 0;
}

int sockdiag_parse_netlink(const void *buf, struct whosock_socket *out)
{
	const struct nlmsghdr *nlh = buf;
	const struct netlink_diag_msg *m;
	struct sockdiag_attrs t = { .max = NETLINK_DIAG_MAX };
	struct whosock_socket s;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->ndiag_family != AF_NETLINK || (m->ndiag_type != SOCK_RAW && m->ndiag_type != SOCK_DGRAM))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), sockdiag_attr_cb, &t) < 0)
		return -EINVAL;

	memset(&s, 0, sizeof(s));
	s.proto = WHOSOCK_PROTO_NETLINK;
	s.family = AF_NETLINK;
	s.type = m->ndiag_type;
	/* NETLINK_CONNECTED (1): connect()ed to a peer port or group. */
	s.state = m->ndiag_state == 1 ? WHOSOCK_STATE_ESTABLISHED : WHOSOCK_STATE_CLOSE;
	s.source = WHOSOCK_SOURCE_NETLINK;
	s.inode = m->ndiag_ino;
	s.cookie = (uint64_t)m->ndiag_cookie[0] | (uint64_t)m->ndiag_cookie[1] << 32;
	s.protocol = m->ndiag_protocol;
	s.netlink.portid = m->ndiag_portid;
	s.netlink.dst_portid = m->ndiag_dst_portid;
	s.netlink.dst_group = m->ndiag_dst_group;
	s.known = WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_PROTOCOL;
	if (t.tb[NETLINK_DIAG_GROUPS]) {
		/* A bitmap of unsigned longs; the first 32 groups are the
		 * first 4 bytes on a little-endian machine, and the low half of
		 * the first word in any case. */
		const void *p = mnl_attr_get_payload(t.tb[NETLINK_DIAG_GROUPS]);
		size_t len = mnl_attr_get_payload_len(t.tb[NETLINK_DIAG_GROUPS]);

		if (len >= sizeof(unsigned long)) {
			unsigned long w;

			memcpy(&w, p, sizeof(w));
			s.netlink.groups = (uint32_t)w;
		} else if (len != 0) {
			return -EINVAL;
		}
		s.known |= WHOSOCK_KNOWN_NL_GROUPS;
	}
	if (t.tb[NETLINK_DIAG_MEMINFO] && parse_meminfo(t.tb[NETLINK_DIAG_MEMINFO], &s) < 0)
		return -EINVAL;
	*out = s;
	return 0;
}
