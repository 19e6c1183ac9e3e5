/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket dumps over NETLINK_SOCK_DIAG, with libmnl.
 *
 * One request per (protocol, family); the kernel answers with a multipart
 * dump that we parse straight into the snapshot. libmnl turns NLMSG_ERROR into
 * errno, checks sequence numbers and port ids, and reports a dump that a
 * concurrent change interrupted (NLM_F_DUMP_INTR) as EINTR: we then drop what
 * this dump pushed and redo it. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>

#include "kinds.h"
#include "filter.h"
#include "snapshot.h"
#include "sockdiag.h"
#include "sockdiag_kinds.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* The kernel fills at most 32 KiB per recvmsg() of a dump; a larger buffer
 * only guards against truncation. */
#define RECV_BUFFER_SIZE (64u * 1024u)
#define MAX_DUMP_RETRIES 8

int sockdiag_open(struct mnl_socket **out)
{
	return sockdiag_open_groups(0, out);
}

/* The receive queue of a socket subscribed to reports. */
#define DESTROY_QUEUE_BYTES (4 << 20)

int sockdiag_open_groups(unsigned groups, struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC | SOCK_NONBLOCK * !!groups);
	int r;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(nl);
		return r;
	}
	/* Reports come in bursts (a thousand short connections end at once):
	 * a deep queue loses fewer of them. Past rmem_max only with
	 * CAP_NET_ADMIN; either way best effort. */
	if (groups) {
		int size = DESTROY_QUEUE_BYTES;

		if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size,
			       sizeof(size)) < 0)
			setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	*out = nl;
	return 0;
}

void sockdiag_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

int sockdiag_ipproto(enum whosock_proto proto)
{
	switch (proto) {
	case WHOSOCK_PROTO_TCP:
		return IPPROTO_TCP;
	case WHOSOCK_PROTO_UDP:
		return IPPROTO_UDP;
	case WHOSOCK_PROTO_UDPLITE:
		return IPPROTO_UDPLITE;
	case WHOSOCK_PROTO_RAW:
		return IPPROTO_RAW;
	case WHOSOCK_PROTO_MPTCP:
		return IPPROTO_MPTCP;
	case WHOSOCK_PROTO_SCTP:
		return IPPROTO_SCTP;
	default:
		return -1;
	}
}

static int proto_socktype(enum whosock_proto proto)
{
	switch (proto) {
	case WHOSOCK_PROTO_TCP:
	case WHOSOCK_PROTO_MPTCP:
	case WHOSOCK_PROTO_SCTP:
		return SOCK_STREAM;
	case WHOSOCK_PROTO_RAW:
		return SOCK_RAW;
	default:
		return SOCK_DGRAM;
	}
}

int sockdiag_attr_cb(const struct nlattr *attr, void *data)
{
	struct sockdiag_attrs *t = data;
	unsigned type = mnl_attr_get_type(attr);

	/* Unknown (newer) attributes are skipped, not an error. */
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

/* Whether the peer's FIN is in tcpi_bytes_received (it counts as a byte).
 * A closed socket (a destroy report) usually got there through one; one
 * ended by a reset did not, and is then one byte short. */
static bool fin_received(const struct whosock_socket *s)
{
	switch (s->state) {
	case WHOSOCK_STATE_CLOSE_WAIT:
	case WHOSOCK_STATE_LAST_ACK:
	case WHOSOCK_STATE_CLOSING:
	case WHOSOCK_STATE_TIME_WAIT:
		return true;
	case WHOSOCK_STATE_CLOSE:
		return s->tcp.bytes_received > 0;
	default:
		return false;
	}
}

/* DESIGN.md's traffic from tcp_info: bytes sent once (bytes_sent counts
 * retransmissions again, and no SYN or FIN), bytes received less the FIN,
 * data segments likewise. */
static void tcp_traffic(const struct tcp_info *ti, struct whosock_socket *s)
{
	struct whosock_traffic *t = &s->traffic;

	t->sent_bytes = ti->tcpi_bytes_sent - ti->tcpi_bytes_retrans;
	t->received_bytes = ti->tcpi_bytes_received - (fin_received(s) ? 1 : 0);
	t->sent_packets = ti->tcpi_data_segs_out >= ti->tcpi_total_retrans
				  ? ti->tcpi_data_segs_out - ti->tcpi_total_retrans
				  : 0;
	t->received_packets = ti->tcpi_data_segs_in;
	s->known |= WHOSOCK_KNOWN_TRAFFIC;
}

static void parse_tcp_info(const struct nlattr *attr, struct whosock_socket *s)
{
	struct tcp_info ti;
	size_t len = mnl_attr_get_payload_len(attr);

	/* Older kernels send a shorter struct: use what is there. */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, mnl_attr_get_payload(attr), len < sizeof(ti) ? len : sizeof(ti));
	if (len >= offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans)) {
		s->tcp.rtt_us = ti.tcpi_rtt;
		s->tcp.retransmits = ti.tcpi_total_retrans;
		s->known |= WHOSOCK_KNOWN_TCP_INFO;
	}
	if (len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received)) {
		s->tcp.bytes_acked = ti.tcpi_bytes_acked;
		s->tcp.bytes_received = ti.tcpi_bytes_received;
		s->known |= WHOSOCK_KNOWN_TCP_BYTES;
	}
	if (len >= offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof(ti.tcpi_bytes_sent)) {
		s->tcp.bytes_sent = ti.tcpi_bytes_sent;
		s->known |= WHOSOCK_KNOWN_TCP_BYTES_SENT;
		tcp_traffic(&ti, s);
	}
	/* These are all in the struct since Linux 2.6 (tcpi_total_retrans is
	 * later than each of them). */
	if (s->known & WHOSOCK_KNOWN_TCP_INFO) {
		s->tcp.rttvar_us = ti.tcpi_rttvar;
		s->tcp.cwnd = ti.tcpi_snd_cwnd;
		s->tcp.mss = ti.tcpi_snd_mss;
		s->tcp.rto_us = ti.tcpi_rto;
		s->tcp.lost = ti.tcpi_lost;
		s->tcp.unacked = ti.tcpi_unacked;
		s->known |= WHOSOCK_KNOWN_TCP_CWND;
	}
	if (len >= offsetof(struct tcp_info, tcpi_delivery_rate) + sizeof(ti.tcpi_delivery_rate)) {
		s->tcp.delivery_rate = ti.tcpi_delivery_rate;
		s->known |= WHOSOCK_KNOWN_TCP_RATE;
	}
}

/* INET_DIAG_SKMEMINFO and UNIX_DIAG_MEMINFO: an array of u32 indexed by
 * SK_MEMINFO_*, as long as the kernel's (drops came in Linux 4.7). */
static void parse_meminfo(const struct nlattr *attr, struct whosock_socket *s)
{
	uint32_t v[SK_MEMINFO_VARS] = { 0 };
	size_t len = mnl_attr_get_payload_len(attr);

	if (len < (SK_MEMINFO_BACKLOG + 1) * sizeof(uint32_t))
		return;
	memcpy(v, mnl_attr_get_payload(attr), len < sizeof(v) ? len : sizeof(v));
	s->mem = (struct whosock_meminfo){
		.rmem_alloc = v[SK_MEMINFO_RMEM_ALLOC], .rcvbuf = v[SK_MEMINFO_RCVBUF],
		.wmem_alloc = v[SK_MEMINFO_WMEM_ALLOC], .sndbuf = v[SK_MEMINFO_SNDBUF],
		.fwd_alloc = v[SK_MEMINFO_FWD_ALLOC], .wmem_queued = v[SK_MEMINFO_WMEM_QUEUED],
		.optmem = v[SK_MEMINFO_OPTMEM], .backlog = v[SK_MEMINFO_BACKLOG],
		.drops = v[SK_MEMINFO_DROPS],
	};
	s->known |= WHOSOCK_KNOWN_MEMINFO;
}

int sockdiag_parse_inet(const void *buf, enum whosock_proto proto, struct whosock_socket *out)
{
	const struct nlmsghdr *nlh = buf;
	const struct inet_diag_msg *m;
	struct sockdiag_attrs t = { .max = INET_DIAG_MAX };
	struct whosock_socket s;
	size_t alen;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family == AF_INET)
		alen = 4;
	else if (m->idiag_family == AF_INET6)
		alen = 16;
	else
		return -EINVAL;
	if (m->idiag_state == 0 || m->idiag_state >= STATE_COUNT)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), sockdiag_attr_cb, &t) < 0)
		return -EINVAL;

	memset(&s, 0, sizeof(s));
	s.proto = proto;
	s.family = m->idiag_family;
	s.type = proto_socktype(proto);
	s.state = m->idiag_state;
	s.source = WHOSOCK_SOURCE_NETLINK;
	memcpy(s.local.addr, m->id.idiag_src, alen);
	memcpy(s.remote.addr, m->id.idiag_dst, alen);
	s.local.port = ntohs(m->id.idiag_sport);
	s.remote.port = ntohs(m->id.idiag_dport);
	s.ifindex = m->id.idiag_if;
	s.inode = m->idiag_inode;
	s.uid = m->idiag_uid;
	s.cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
	s.rqueue = m->idiag_rqueue;
	s.wqueue = m->idiag_wqueue;
	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_COOKIE | WHOSOCK_KNOWN_QUEUES |
		  WHOSOCK_KNOWN_IFINDEX;
	if (t.tb[INET_DIAG_SKV6ONLY]) {
		if (mnl_attr_validate(t.tb[INET_DIAG_SKV6ONLY], MNL_TYPE_U8) < 0)
			return -EINVAL;
		s.v6only = mnl_attr_get_u8(t.tb[INET_DIAG_SKV6ONLY]) != 0;
		s.known |= WHOSOCK_KNOWN_V6ONLY;
	}
	if (t.tb[INET_DIAG_CGROUP_ID]) {
		if (mnl_attr_validate(t.tb[INET_DIAG_CGROUP_ID], MNL_TYPE_U64) < 0)
			return -EINVAL;
		s.cgroup_id = mnl_attr_get_u64(t.tb[INET_DIAG_CGROUP_ID]);
		s.known |= WHOSOCK_KNOWN_CGROUP_ID;
	}
	if (proto == WHOSOCK_PROTO_TCP && t.tb[INET_DIAG_INFO])
		parse_tcp_info(t.tb[INET_DIAG_INFO], &s);
	if (t.tb[INET_DIAG_SKMEMINFO])
		parse_meminfo(t.tb[INET_DIAG_SKMEMINFO], &s);
	*out = s;
	return 0;
}

int sockdiag_parse_unix(const void *buf, struct whosock_socket *out, const char **path,
			size_t *path_len)
{
	const struct nlmsghdr *nlh = buf;
	const struct unix_diag_msg *m;
	struct sockdiag_attrs t = { .max = UNIX_DIAG_MAX };
	struct whosock_socket s;
	const char *name = NULL;
	size_t name_len = 0;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->udiag_family != AF_UNIX)
		return -EINVAL;
	if (m->udiag_state == 0 || m->udiag_state >= STATE_COUNT)
		return -EINVAL;
	if (m->udiag_type != SOCK_STREAM && m->udiag_type != SOCK_DGRAM &&
	    m->udiag_type != SOCK_SEQPACKET)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), sockdiag_attr_cb, &t) < 0)
		return -EINVAL;

	memset(&s, 0, sizeof(s));
	s.proto = WHOSOCK_PROTO_UNIX;
	s.family = AF_UNIX;
	s.type = m->udiag_type;
	s.state = m->udiag_state;
	s.source = WHOSOCK_SOURCE_NETLINK;
	s.inode = m->udiag_ino;
	s.cookie = (uint64_t)m->udiag_cookie[0] | (uint64_t)m->udiag_cookie[1] << 32;
	s.known = WHOSOCK_KNOWN_COOKIE;
	if (t.tb[UNIX_DIAG_NAME]) {
		name = mnl_attr_get_payload(t.tb[UNIX_DIAG_NAME]);
		name_len = mnl_attr_get_payload_len(t.tb[UNIX_DIAG_NAME]);
		/* The kernel sends sun_path without a terminator; a pathname
		 * socket may still carry one. */
		if (name_len && name[0] != '\0')
			name_len = strnlen(name, name_len);
		if (name_len == 0)
			name = NULL;
	}
	if (t.tb[UNIX_DIAG_PEER]) {
		if (mnl_attr_validate(t.tb[UNIX_DIAG_PEER], MNL_TYPE_U32) < 0)
			return -EINVAL;
		s.peer_inode = mnl_attr_get_u32(t.tb[UNIX_DIAG_PEER]);
		s.known |= WHOSOCK_KNOWN_PEER;
	}
	if (t.tb[UNIX_DIAG_RQLEN]) {
		const struct unix_diag_rqlen *q;

		if (mnl_attr_get_payload_len(t.tb[UNIX_DIAG_RQLEN]) < sizeof(*q))
			return -EINVAL;
		q = mnl_attr_get_payload(t.tb[UNIX_DIAG_RQLEN]);
		s.rqueue = q->udiag_rqueue;
		s.wqueue = q->udiag_wqueue;
		s.known |= WHOSOCK_KNOWN_QUEUES;
	}
	if (t.tb[UNIX_DIAG_UID]) {
		if (mnl_attr_validate(t.tb[UNIX_DIAG_UID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		s.uid = mnl_attr_get_u32(t.tb[UNIX_DIAG_UID]);
		s.known |= WHOSOCK_KNOWN_UID;
	}
	if (t.tb[UNIX_DIAG_MEMINFO])
		parse_meminfo(t.tb[UNIX_DIAG_MEMINFO], &s);
	*out = s;
	*path = name;
	*path_len = name_len;
	return 0;
}

struct dump_ctx {
	struct whosock_snapshot *snap;
	const struct whosock_filter *filter;
	enum whosock_proto proto;
	uint16_t msg_type; /* of the answers: SOCK_DIAG_BY_FAMILY or TCPDIAG_GETSOCK */
	int pushed;
	int error; /* first error from the snapshot (ENOMEM) */
	int done_error; /* error carried by NLMSG_DONE */
	unsigned malformed;
};

/* Copy a UNIX name into the snapshot: abstract names get their '@'. */
static const char *store_unix_path(struct whosock_snapshot *snap, const char *name, size_t len)
{
	const char *p;
	char *tmp;

	if (name[0] != '\0')
		return snapshot_strndup(snap, name, len);
	tmp = malloc(len);
	if (!tmp)
		return NULL;
	memcpy(tmp, name, len);
	tmp[0] = '@';
	p = snapshot_strndup(snap, tmp, len);
	free(tmp);
	return p;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct whosock_socket s;
	const char *path = NULL;
	size_t path_len = 0;
	int r;

	if (nlh->nlmsg_type != ctx->msg_type)
		return MNL_CB_OK;
	if (ctx->proto == WHOSOCK_PROTO_UNIX)
		r = sockdiag_parse_unix(nlh, &s, &path, &path_len);
	else if (ctx->proto == WHOSOCK_PROTO_PACKET)
		r = sockdiag_parse_packet(nlh, &s);
	else if (ctx->proto == WHOSOCK_PROTO_NETLINK)
		r = sockdiag_parse_netlink(nlh, &s);
	else
		r = sockdiag_parse_inet(nlh, ctx->proto, &s);
	if (r < 0) {
		ctx->malformed++;
		return MNL_CB_OK;
	}
	if (!filter_match(ctx->filter, &s))
		return MNL_CB_OK;
	if (path) {
		s.local.path = store_unix_path(ctx->snap, path, path_len);
		if (!s.local.path)
			goto nomem;
	}
	r = snapshot_push(ctx->snap, &s);
	if (r < 0) {
		ctx->error = r;
		return MNL_CB_ERROR;
	}
	ctx->pushed++;
	return MNL_CB_OK;
nomem:
	ctx->error = -ENOMEM;
	return MNL_CB_ERROR;
}

/* A dump the kernel cannot do (raw_diag not loaded, say) ends with an
 * NLMSG_DONE that carries the error; libmnl's default handler ignores it. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err;

		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0)
			ctx->done_error = err;
	}
	return MNL_CB_STOP;
}

/* A refused or impossible request ends in NLMSG_ERROR. With a control
 * table of our own, libmnl no longer decodes it: do what its default does. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	err = mnl_nlmsg_get_payload(nlh);
	if (err->error == 0)
		return MNL_CB_STOP; /* an acknowledgement */
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

static int overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

/* The answers carry the request's message type. */
static uint16_t request_type(enum whosock_proto proto, int family)
{
	return proto == WHOSOCK_PROTO_TCP && family == AF_UNSPEC ? TCPDIAG_GETSOCK
								 : SOCK_DIAG_BY_FAMILY;
}

/* The inet_diag extensions ext asks for (TCP details only from TCP). */
static uint8_t inet_ext(enum whosock_proto proto, unsigned ext)
{
	uint8_t bits = 0;

	if ((ext & SOCKDIAG_EXT_TCP_INFO) && proto == WHOSOCK_PROTO_TCP)
		bits |= 1u << (INET_DIAG_INFO - 1);
	if (ext & SOCKDIAG_EXT_MEMINFO)
		bits |= 1u << (INET_DIAG_SKMEMINFO - 1);
	return bits;
}

static void put_request(struct nlmsghdr *nlh, unsigned seq, enum whosock_proto proto, int family,
			const struct whosock_filter *f, unsigned ext)
{
	unsigned states = filter_kernel_states(proto, filter_states(f));
	const void *bc = NULL;
	int bc_len = f->expr ? whosock_expr_bytecode(f->expr, &bc) : 0;

	nlh->nlmsg_type = request_type(proto, family);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (nlh->nlmsg_type == TCPDIAG_GETSOCK) {
		/* The older request: the only one that dumps both families
		 * in one walk of the (machine-wide) TCP hash table. */
		struct inet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->idiag_family = AF_UNSPEC;
		req->idiag_states = states;
		req->idiag_ext = inet_ext(proto, ext);
	} else if (proto == WHOSOCK_PROTO_PACKET || proto == WHOSOCK_PROTO_NETLINK) {
		sockdiag_put_kind_request(nlh, proto);
	} else if (proto == WHOSOCK_PROTO_UNIX) {
		struct unix_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		req->sdiag_family = AF_UNIX;
		req->udiag_states = states;
		req->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
				  UDIAG_SHOW_UID | (ext & SOCKDIAG_EXT_MEMINFO ? UDIAG_SHOW_MEMINFO : 0);
	} else {
		struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		int ipproto = sockdiag_ipproto(proto);

		req->sdiag_family = (uint8_t)family;
		req->idiag_states = states;
		req->idiag_ext = inet_ext(proto, ext);
		/* A protocol past 255 (MPTCP) goes in an attribute, which the
		 * kernel reads instead of sdiag_protocol. */
		if (ipproto > 255)
			mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, (uint32_t)ipproto);
		else
			req->sdiag_protocol = (uint8_t)ipproto;
	}
	/* The expression, for the kernel to skip what it rejects (both inet
	 * requests read it); dump_cb checks every socket again. */
	if (bc_len > 0 && proto != WHOSOCK_PROTO_UNIX && proto != WHOSOCK_PROTO_PACKET &&
	    proto != WHOSOCK_PROTO_NETLINK)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (size_t)bc_len, bc);
}

/* Read what is left of an interrupted dump so the next request starts clean. */
static int drain(struct mnl_socket *nl, char *buf, unsigned seq, unsigned portid)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_BUFFER_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0 && errno == EINTR)
			continue; /* a signal, not the dump: read on */
		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (!mnl_nlmsg_seq_ok(nlh, seq) || !mnl_nlmsg_portid_ok(nlh, portid))
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				return 0;
		}
	}
}

/* One request and its whole answer. Returns 0, -EINTR for an interrupted
 * dump (already drained), or another negative errno. */
static int dump_once(struct mnl_socket *nl, char *buf, struct dump_ctx *ctx, int family,
		     unsigned ext)
{
	static unsigned seq_counter;
	unsigned portid = mnl_socket_get_portid(nl);
	unsigned seq = (unsigned)time(NULL) + __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb,
					    [NLMSG_DONE] = done_cb,
					    [NLMSG_OVERRUN] = overrun_cb };
	int r;

	put_request(nlh, seq, ctx->proto, family, ctx->filter, ext);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_BUFFER_SIZE);

		/* A signal interrupting the read is not an interrupted dump
		 * (NLM_F_DUMP_INTR, below): the answer is still coming. */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r = mnl_cb_run2(buf, (size_t)n, seq, portid, dump_cb, ctx, ctl_cb, NLMSG_MIN_TYPE);
		if (r == MNL_CB_STOP)
			return ctx->done_error;
		if (r < 0) {
			if (ctx->error)
				return ctx->error;
			r = -errno;
			if (r == -EINTR && drain(nl, buf, seq, portid) < 0)
				return -EIO;
			return r ? r : -EIO;
		}
	}
}

/* One (proto, family) dump, redone while interrupted. On failure nothing
 * stays pushed. */
static int dump_family(struct mnl_socket *nl, char *buf, struct whosock_snapshot *snap,
		       enum whosock_proto proto, int family, const struct whosock_filter *f,
		       unsigned ext, unsigned *malformed)
{
	size_t start = whosock_snapshot_count(snap);
	struct dump_ctx ctx;
	int r = -EINTR;

	for (int attempt = 0; attempt < MAX_DUMP_RETRIES && r == -EINTR; attempt++) {
		ctx = (struct dump_ctx){ .snap = snap, .filter = f, .proto = proto,
					 .msg_type = request_type(proto, family) };
		r = dump_once(nl, buf, &ctx, family, ext);
		if (r < 0)
			snapshot_truncate(snap, start);
	}
	if (r == -EINTR)
		return -EAGAIN;
	if (r < 0)
		return r;
	*malformed += ctx.malformed;
	return ctx.pushed;
}

/* The sockets of snap from start on, IPv4 first, in their order otherwise:
 * IPv4 ones move down in place, IPv6 ones wait in a buffer of their own. */
static int ipv4_first(struct whosock_snapshot *snap, size_t start)
{
	size_t n = whosock_snapshot_count(snap) - start, n6 = 0, k = 0;
	struct whosock_socket *tmp;

	for (size_t i = 0; i < n; i++)
		n6 += snapshot_at(snap, start + i)->family != AF_INET;
	if (n6 == 0 || n6 == n)
		return 0;
	tmp = malloc(n6 * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	n6 = 0;
	for (size_t i = 0; i < n; i++) {
		struct whosock_socket *s = snapshot_at(snap, start + i);

		if (s->family == AF_INET)
			*snapshot_at(snap, start + k++) = *s;
		else
			tmp[n6++] = *s;
	}
	for (size_t i = 0; i < n6; i++)
		*snapshot_at(snap, start + k + i) = tmp[i];
	free(tmp);
	return 0;
}

int sockdiag_dump(struct mnl_socket *nl, struct whosock_snapshot *snap, enum whosock_proto proto,
		  int family, const struct whosock_filter *f, unsigned ext)
{
	size_t start = whosock_snapshot_count(snap);
	unsigned malformed = 0;
	char *buf;
	int r;

	if (proto == WHOSOCK_PROTO_UNIX || proto == WHOSOCK_PROTO_PACKET ||
	    proto == WHOSOCK_PROTO_NETLINK)
		family = proto == WHOSOCK_PROTO_UNIX ? AF_UNIX :
			 proto == WHOSOCK_PROTO_PACKET ? AF_PACKET : AF_NETLINK;
	else if (sockdiag_ipproto(proto) < 0)
		return -EINVAL;
	buf = malloc(RECV_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	if (family != AF_UNSPEC) {
		r = dump_family(nl, buf, snap, proto, family, f, ext, &malformed);
	} else {
		r = -EOPNOTSUPP;
		if (proto == WHOSOCK_PROTO_TCP) {
			r = dump_family(nl, buf, snap, proto, AF_UNSPEC, f, ext, &malformed);
			if (r >= 0)
				r = ipv4_first(snap, start);
		}
		/* No single request for both families (UDP, RAW; a kernel
		 * without the older TCP request): one dump each. */
		if (r < 0 && r != -ENOMEM && r != -EPERM && r != -EACCES) {
			r = dump_family(nl, buf, snap, proto, AF_INET, f, ext, &malformed);
			if (r >= 0)
				r = dump_family(nl, buf, snap, proto, AF_INET6, f, ext,
						&malformed);
			if (r < 0)
				snapshot_truncate(snap, start);
		}
	}
	free(buf);
	if (r < 0)
		return r;
	if (malformed)
		NOTE(snap, .code = WHOSOCK_NOTE_MALFORMED_MESSAGES, .count = malformed,
		     .proto = proto, .family = family);
	return (int)(whosock_snapshot_count(snap) - start);
}
