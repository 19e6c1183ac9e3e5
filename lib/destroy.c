/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Destroying sockets (ss -K): one SOCK_DESTROY request per socket, over a
 * sock_diag socket opened in the socket's own network namespace. The
 * kernel finds the socket by its exact addresses, ports and device, and
 * refuses when the cookie says it is another one that reused them. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "destroy.h"
#include "netns.h"
#include "snapshot.h"
#include "sockdiag.h"

int destroy_request(void *buf, size_t cap, unsigned seq, const struct whosock_socket *s)
{
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	int ipproto = sockdiag_ipproto(s->proto);
	size_t alen = s->family == AF_INET ? 4 : 16;

	if (ipproto < 0 || (s->family != AF_INET && s->family != AF_INET6))
		return -EOPNOTSUPP;
	if (cap < MNL_NLMSG_HDRLEN + sizeof(*req) + MNL_ATTR_HDRLEN + 4)
		return -ENOBUFS;
	memset(buf, 0, MNL_NLMSG_HDRLEN + sizeof(*req) + MNL_ATTR_HDRLEN + 4);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = s->family;
	if (ipproto > 255) {
		mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, (uint32_t)ipproto);
	} else if (ipproto == IPPROTO_RAW) {
		/* raw_diag finds the socket by its own protocol, which the
		 * dumps give as the local port. */
		struct inet_diag_req_raw *raw = (struct inet_diag_req_raw *)req;

		raw->sdiag_protocol = IPPROTO_RAW;
		raw->sdiag_raw_protocol = (uint8_t)s->local.port;
	} else {
		req->sdiag_protocol = (uint8_t)ipproto;
	}
	req->id.idiag_sport = htons(s->proto == WHOSOCK_PROTO_RAW ? 0 : s->local.port);
	req->id.idiag_dport = htons(s->remote.port);
	memcpy(req->id.idiag_src, s->local.addr, alen);
	memcpy(req->id.idiag_dst, s->remote.addr, alen);
	req->id.idiag_if = s->ifindex;
	/* Without a cookie (read from /proc) the kernel takes the socket
	 * that has these addresses now. */
	if (s->known & WHOSOCK_KNOWN_COOKIE) {
		req->id.idiag_cookie[0] = (uint32_t)s->cookie;
		req->id.idiag_cookie[1] = (uint32_t)(s->cookie >> 32);
	} else {
		req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
	return (int)nlh->nlmsg_len;
}

/* Send the request and read its acknowledgement (or error). */
static int destroy_over(struct mnl_socket *nl, const struct whosock_socket *s)
{
	static unsigned seq_counter;
	char buf[8192];
	unsigned seq = (unsigned)time(NULL) + __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	unsigned portid = mnl_socket_get_portid(nl);
	int len = destroy_request(buf, sizeof(buf), seq, s);

	if (len < 0)
		return len;
	if (mnl_socket_sendto(nl, buf, (size_t)len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* libmnl turns NLMSG_ERROR into errno and stops at the ack. */
		r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0)
			return errno ? -errno : -EIO;
	}
}

/* A sock_diag socket in the namespace of inode (found among the named
 * ones, else those processes live in). */
static int open_in(uint64_t inode, struct mnl_socket **nl)
{
	struct whosock_snapshot *arena = snapshot_new();
	struct netns_set set;
	const struct netns *ns;
	int r;

	if (!arena)
		return -ENOMEM;
	netns_set_init(&set, arena);
	r = netns_add_named(&set, "/run/netns");
	if (r == 0)
		r = netns_add_named(&set, "/var/run/netns");
	ns = r == 0 ? netns_set_find(&set, inode) : NULL;
	if (r == 0 && !ns) {
		r = netns_discover(&set, "/proc");
		ns = r == 0 ? netns_set_find(&set, inode) : NULL;
	}
	if (r == 0)
		r = ns ? netns_sockdiag_open("/proc", ns, 0, false, nl) : -ENOENT;
	netns_set_free(&set);
	whosock_snapshot_free(arena);
	return r;
}

int whosock_socket_destroy(const struct whosock_socket *s)
{
	struct mnl_socket *nl = NULL;
	int r;

	if (sockdiag_ipproto(s->proto) < 0 || (s->family != AF_INET && s->family != AF_INET6))
		return -EOPNOTSUPP;
	if (!s->netns || s->netns == netns_current())
		r = sockdiag_open(&nl);
	else
		r = open_in(s->netns, &nl);
	if (r < 0)
		return r;
	r = destroy_over(nl, s);
	sockdiag_close(nl);
	return r;
}
