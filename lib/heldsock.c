/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a socket held by another process is, asked of the socket itself: a
 * copy of the holder's fd (pidfd_getfd, which needs ptrace access), then
 * SIOCGSKNS for its namespace and getsockopt/getsockname for the rest. Used
 * for the sockets no dump listed: a family without a diag module (vsock,
 * XDP, AF_ALG, ...), or a namespace no process lives in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if_alg.h>
#include <linux/sockios.h>
#include <linux/vm_sockets.h>

#include "heldsock.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

/* A TCP socket bound to a port but neither listening nor connecting. */
static bool is_bound_inactive_tcp(int sfd, int protocol)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tcp_info ti;
	socklen_t ti_len = sizeof(ti);

	if (protocol != IPPROTO_TCP)
		return false;
	if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &ti_len) < 0 || ti.tcpi_state != TCP_CLOSE)
		return false;
	if (getsockname(sfd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_port != 0;
	return ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port != 0;
}

static int sockopt_int(int sfd, int name, int *out)
{
	socklen_t len = sizeof(*out);

	return getsockopt(sfd, SOL_SOCKET, name, out, &len) < 0 ? -errno : 0;
}

static void put_vsock_addr(char *buf, size_t len, unsigned cid, unsigned port)
{
	char c[16], p[16];

	/* VMADDR_CID_ANY and VMADDR_PORT_ANY print as ss does: '*'. */
	snprintf(c, sizeof(c), cid == VMADDR_CID_ANY ? "*" : "%u", cid);
	snprintf(p, sizeof(p), port == VMADDR_PORT_ANY ? "*" : "%u", port);
	snprintf(buf, len, "%s:%s", c, p);
}

/* The local address of a family no dump knows, as text; "" when none. */
static void local_text(int sfd, int family, struct heldsock *h)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_vm vm;
		struct sockaddr_alg alg;
		struct sockaddr_storage ss;
	} a;
	socklen_t len = sizeof(a);

	h->local[0] = '\0';
	memset(&a, 0, sizeof(a));
	if (getsockname(sfd, &a.sa, &len) < 0 || len < sizeof(sa_family_t) || a.sa.sa_family != family)
		return;
	if (family == AF_INET && len >= sizeof(a.in)) {
		memcpy(h->addr, &a.in.sin_addr, 4);
		h->port = ntohs(a.in.sin_port);
		h->has_addr = true;
	} else if (family == AF_INET6 && len >= sizeof(a.in6)) {
		memcpy(h->addr, &a.in6.sin6_addr, 16);
		h->port = ntohs(a.in6.sin6_port);
		h->has_addr = true;
	} else if (family == AF_VSOCK && len >= sizeof(a.vm)) {
		put_vsock_addr(h->local, sizeof(h->local), a.vm.svm_cid, a.vm.svm_port);
	} else if (family == AF_ALG && len >= sizeof(a.alg) && a.alg.salg_type[0]) {
		/* Bounded copies: the kernel's strings need not end in NUL. */
		snprintf(h->local, sizeof(h->local), "%.*s/%.*s", (int)sizeof(a.alg.salg_type),
			 (const char *)a.alg.salg_type, (int)sizeof(a.alg.salg_name),
			 (const char *)a.alg.salg_name);
	}
}

/* LISTEN (SO_ACCEPTCONN), ESTABLISHED (has a peer) or CLOSE ("UNCONN"). */
static int socket_state(int sfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int v = 0;

	if (sockopt_int(sfd, SO_ACCEPTCONN, &v) == 0 && v)
		return WHOSOCK_STATE_LISTEN;
	if (getpeername(sfd, (struct sockaddr *)&ss, &len) == 0)
		return WHOSOCK_STATE_ESTABLISHED;
	return WHOSOCK_STATE_CLOSE;
}

bool heldsock_family_dumped(int family, int protocol)
{
	switch (family) {
	case AF_INET:
	case AF_INET6:
		/* SCTP has no diag module here as a rule: rows of its own. */
		return protocol != IPPROTO_SCTP;
	case AF_UNIX:
	case AF_PACKET:
	case AF_NETLINK:
		return true;
	default:
		return false;
	}
}

int heldsock_inspect(int pid, int fd, uint64_t sock_inode, unsigned what, struct heldsock *out)
{
	struct heldsock h = { .ns_fd = -1 };
	int pidfd, sfd, nsfd, r;
	struct stat st;
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	r = sfd < 0 ? -errno : 0;
	close(pidfd);
	if (r < 0)
		return r;
	if (fstat(sfd, &st) < 0 || (uint64_t)st.st_ino != sock_inode) {
		r = -ESTALE;
		goto out;
	}
	r = sockopt_int(sfd, SO_DOMAIN, &h.family);
	if (r == 0)
		r = sockopt_int(sfd, SO_TYPE, &h.type);
	if (r < 0)
		goto out;
	/* Not every family answers SO_PROTOCOL; 0 then. */
	if (sockopt_int(sfd, SO_PROTOCOL, &h.protocol) == 0)
		h.protocol_known = true;
	if (getsockopt(sfd, SOL_SOCKET, SO_COOKIE, &cookie, &clen) == 0 && clen == sizeof(cookie)) {
		h.cookie = cookie;
		h.cookie_known = true;
	}
	if (what & HELDSOCK_BOUND)
		h.bound_inactive = is_bound_inactive_tcp(sfd, h.protocol);
	if (what & HELDSOCK_DETAILS) {
		local_text(sfd, h.family, &h);
		h.state = socket_state(sfd);
	}
	nsfd = ioctl(sfd, SIOCGSKNS);
	if (nsfd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(nsfd, &st) < 0) {
		r = -errno;
		close(nsfd);
		goto out;
	}
	h.ns_inode = (uint64_t)st.st_ino;
	h.ns_fd = nsfd;
	*out = h;
	r = 0;
out:
	close(sfd);
	return r;
}

static int cmp_unlisted(const void *a, const void *b)
{
	const struct owners_unlisted *x = a, *y = b;

	if (x->inode != y->inode)
		return (x->inode > y->inode) - (x->inode < y->inode);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->fd > y->fd) - (x->fd < y->fd);
}

size_t heldsock_unique(struct owners_unlisted *u, size_t n, int self_pid)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	/* The scan gives them in no order, and one socket once per holder. */
	qsort(u, n, sizeof(*u), cmp_unlisted);
	for (size_t i = 0; i < n; i++) {
		/* Our own sockets (the dumps' netlink sockets, opened after
		 * them) are whosock's, not the machine's. */
		if (u[i].pid == self_pid)
			continue;
		if (k && u[k - 1].inode == u[i].inode)
			continue;
		u[k++] = u[i];
	}
	return k;
}

static enum whosock_proto family_proto(int family, int type, int protocol)
{
	switch (family) {
	case AF_INET:
	case AF_INET6:
		/* Those the dumps leave out: not bound, or created since. */
		switch (protocol) {
		case IPPROTO_TCP:
			return WHOSOCK_PROTO_TCP;
		case IPPROTO_UDP:
			return WHOSOCK_PROTO_UDP;
		case IPPROTO_UDPLITE:
			return WHOSOCK_PROTO_UDPLITE;
		case IPPROTO_SCTP:
			return WHOSOCK_PROTO_SCTP;
		case 262: /* IPPROTO_MPTCP */
			return WHOSOCK_PROTO_MPTCP;
		default:
			return type == SOCK_RAW ? WHOSOCK_PROTO_RAW : WHOSOCK_PROTO_OTHER;
		}
	case AF_UNIX:
		return WHOSOCK_PROTO_UNIX;
	case AF_PACKET:
		return WHOSOCK_PROTO_PACKET;
	case AF_NETLINK:
		return WHOSOCK_PROTO_NETLINK;
	case AF_VSOCK:
		return WHOSOCK_PROTO_VSOCK;
	case AF_XDP:
		return WHOSOCK_PROTO_XDP;
	default:
		return WHOSOCK_PROTO_OTHER;
	}
}

void heldsock_to_socket(const struct heldsock *h, uint64_t inode, struct whosock_socket *out)
{
	struct whosock_socket s;

	memset(&s, 0, sizeof(s));
	s.proto = family_proto(h->family, h->type, h->protocol);
	s.family = (uint8_t)h->family;
	s.type = (uint8_t)h->type;
	s.state = h->state ? (uint8_t)h->state : WHOSOCK_STATE_CLOSE;
	s.inode = inode;
	s.netns = h->ns_inode;
	/* The socket itself, not a dump, said so: /proc is what names it. */
	s.source = WHOSOCK_SOURCE_PROC;
	if (h->cookie_known) {
		s.cookie = h->cookie;
		s.known |= WHOSOCK_KNOWN_COOKIE;
	}
	if (h->protocol_known) {
		s.protocol = (uint32_t)h->protocol;
		s.known |= WHOSOCK_KNOWN_PROTOCOL;
	}
	if (h->has_addr) {
		memcpy(s.local.addr, h->addr, sizeof(s.local.addr));
		s.local.port = h->port;
	}
	if (h->local[0])
		s.known |= WHOSOCK_KNOWN_LOCAL;
	s.family_name = whosock_family_name(h->family);
	*out = s;
}
