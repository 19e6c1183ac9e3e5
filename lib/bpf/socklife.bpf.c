// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sockets as they live, in the kernel: UDP and UDP-Lite payload counters
 * per socket cookie (the sock:sock_send_length and sock_recv_length
 * tracepoints, per send and receive call) and the events of a
 * socket's life with its process, into a ring buffer (bpf_traffic.c,
 * bpf_events.c read them).
 *
 * Which hook gives the process, and when (what was found on Linux 6.x):
 *  - cgroup/sock_create, post_bind4/6, connect4/6, sendmsg4/6 and
 *    sock_release run in the calling process (socket(), bind(), connect(),
 *    sendto(), close()): there bpf_get_current_pid_tgid() is the socket's
 *    process. They keep it per cookie in procs.
 *  - sock:inet_sock_set_state (tp_btf, a typed socket pointer: its cookie
 *    can be had there) runs in the process for CLOSE->LISTEN (listen())
 *    and CLOSE->SYN_SENT (connect()), but SYN_SENT->ESTABLISHED and
 *    everything of the accepting side run in softirq, whose current task
 *    is whoever the CPU was running (on loopback often the peer). The
 *    accepted socket is a clone of the listener made in softirq
 *    (LISTEN->SYN_RECV, then SYN_RECV->ESTABLISHED) that no process has
 *    touched yet; accept() itself has no hook. So an accepted connection
 *    gets the process of its listener (kept per (namespace, port) in
 *    listeners when it went to LISTEN): the one that will accept it unless
 *    several processes share the listener (then the one that called
 *    listen()) or SO_REUSEPORT listeners share the port (then the last).
 *    An active connection gets the process that created or connected it.
 *
 * Bounded: every map is an LRU hash (the kernel evicts the longest unused
 * entry when full) and the entries of a socket are deleted when it closes
 * (TCP: on reaching CLOSE; others: sock_release), where the counters go
 * into the CLOSED event. The ring buffer drops events when full and counts
 * them in lost. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "socklife_rec.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136

#define MAX_SOCKETS 65536

/* A read-only typed view of the struct sock behind a cgroup sock program's
 * context (Linux >= 6.2): its namespace and inode. */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym;

static __always_inline struct sock *sock_of(struct bpf_sock *ctx)
{
	return bpf_rdonly_cast(ctx, bpf_core_type_id_kernel(struct sock));
}

static __always_inline __u64 inode_of(const struct sock *sk)
{
	struct socket *so = sk->sk_socket;

	return so && so->file ? so->file->f_inode->i_ino : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct socklife_count);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct socklife_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct socklife_listen_key);
	__type(value, struct socklife_proc);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* 4 MiB: 29,000 events, 1.4 s of 20,000 a second */
} events SEC(".maps");

/* Events the full ring buffer dropped (the library dumps soon when it moves). */
__u64 lost = 0;

/* Only the events of this network namespace (an inode; 0: of every one),
 * set before the load: a watcher of one namespace does not read, nor have
 * its ring filled by, the socket life of all the others. */
const volatile __u64 events_netns = 0;

/* ---- payload counters ---- */

#define MSG_PEEK 2
#define MSG_ERRQUEUE 0x2000

/* The payload counters of a UDP or UDP-Lite socket, counted per call as
 * the application makes it: sock:sock_send_length and sock_recv_length
 * fire in sock_sendmsg_nosec() and sock_recvmsg_nosec() with what the
 * call returned, for every send and receive of every socket (send, sendto,
 * sendmsg, each message of sendmmsg, write, splice and io_uring alike; the
 * receiving ones the same). A call costs a few loads for anything else
 * (TCP's payload is the kernel's own count, tcp_info, in every dump and in
 * the report of its close; a TCP stream at full speed moves 64 KiB or
 * more a call), a hash lookup and two atomic adds for UDP: the counters
 * cost what the syscalls are, not what the packets are. One call is one
 * "packet": a datagram, or what one call sent with UDP_SEGMENT (GSO). */
static __always_inline void count(const struct sock *sk, int ret, bool sent)
{
	struct socklife_count *c, zero = {};
	__u64 cookie;

	if (ret <= 0 || (sk->sk_protocol != IPPROTO_UDP && sk->sk_protocol != IPPROTO_UDPLITE) ||
	    sk->sk_type != SOCK_DGRAM ||
	    (sk->__sk_common.skc_family != AF_INET && sk->__sk_common.skc_family != AF_INET6))
		return; /* an error, nothing moved, or not UDP (a raw socket of protocol 17 neither) */
	cookie = bpf_get_socket_cookie((void *)sk);
	if (!cookie)
		return;
	c = bpf_map_lookup_elem(&counters, &cookie);
	if (!c) {
		bpf_map_update_elem(&counters, &cookie, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counters, &cookie);
		if (!c)
			return;
	}
	if (sent) {
		__sync_fetch_and_add(&c->sent_bytes, ret);
		__sync_fetch_and_add(&c->sent_packets, 1);
	} else {
		__sync_fetch_and_add(&c->received_bytes, ret);
		__sync_fetch_and_add(&c->received_packets, 1);
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(count_sent, struct sock *sk, int ret, int flags)
{
	count(sk, ret, true);
	return 0;
}

/* A receive with MSG_PEEK leaves the datagram queued for the next one, one
 * with MSG_ERRQUEUE reads the error queue (ICMP errors, timestamps, zero
 * copy completions), not a datagram: nothing is counted. With MSG_TRUNC
 * UDP returns the datagram's length even where the buffer was shorter:
 * that length is counted. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(count_received, struct sock *sk, int ret, int flags)
{
	if (!(flags & (MSG_PEEK | MSG_ERRQUEUE)))
		count(sk, ret, false);
	return 0;
}

/* ---- events ---- */

static __always_inline void current_proc(struct socklife_proc *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	p->pid = id >> 32;
	p->tid = (__u32)id;
	p->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(p->comm, sizeof(p->comm));
}

/* Remember the process that is using the socket now (a map write only when
 * it changed: sendmsg runs for every datagram). */
static __always_inline void note_proc(__u64 cookie)
{
	struct socklife_proc *old = bpf_map_lookup_elem(&procs, &cookie), p = {};

	if (old && old->pid == (__u32)(bpf_get_current_pid_tgid() >> 32))
		return;
	current_proc(&p);
	p.cookie = cookie;
	bpf_map_update_elem(&procs, &cookie, &p, BPF_ANY);
}

static __always_inline struct socklife_ev *reserve(__u32 kind, __u64 cookie, __u64 netns)
{
	struct socklife_ev *e;

	if (events_netns && netns != events_netns)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->cookie = cookie;
	return e;
}

static __always_inline void set_owner(struct socklife_ev *e, const struct socklife_proc *p)
{
	e->flags |= SOCKLIFE_OWNER;
	e->pid = p->pid;
	e->tid = p->tid;
	e->uid = p->uid;
	__builtin_memcpy(e->comm, p->comm, sizeof(e->comm));
}

/* The final counters into e, and the socket's entries gone. */
static __always_inline void take_counters(struct socklife_ev *e, __u64 cookie)
{
	struct socklife_count *c = bpf_map_lookup_elem(&counters, &cookie);

	if (c) {
		e->flags |= SOCKLIFE_TRAFFIC;
		e->count.sent_bytes = c->sent_bytes;
		e->count.received_bytes = c->received_bytes;
		e->count.sent_packets = c->sent_packets;
		e->count.received_packets = c->received_packets;
	}
}

static __always_inline void forget(__u64 cookie)
{
	bpf_map_delete_elem(&counters, &cookie);
	bpf_map_delete_elem(&procs, &cookie);
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	note_proc(bpf_get_socket_cookie(sk));
	return 1;
}

/* A UDP socket bound: opened (TCP opens when it listens or connects). */
static __always_inline void bound(struct bpf_sock *sk, bool v6)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct socklife_ev *e;
	struct socklife_proc p = {};

	note_proc(cookie);
	if (sk->protocol != IPPROTO_UDP && sk->protocol != IPPROTO_UDPLITE)
		return;
	e = reserve(SOCKLIFE_OPENED, cookie, sock_of(sk)->__sk_common.skc_net.net->ns.inum);
	if (!e)
		return;
	current_proc(&p);
	set_owner(e, &p);
	e->netns = sock_of(sk)->__sk_common.skc_net.net->ns.inum;
	e->inode = inode_of(sock_of(sk));
	e->family = v6 ? AF_INET6 : AF_INET;
	e->protocol = sk->protocol;
	e->state = TCP_CLOSE;
	e->lport = (__u16)sk->src_port;
	if (v6) {
		__u32 *a = (__u32 *)e->laddr;

		a[0] = sk->src_ip6[0];
		a[1] = sk->src_ip6[1];
		a[2] = sk->src_ip6[2];
		a[3] = sk->src_ip6[3];
	} else {
		*(__u32 *)e->laddr = sk->src_ip4;
	}
	bpf_ringbuf_submit(e, 0);
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *sk)
{
	bound(sk, false);
	return 1;
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *sk)
{
	bound(sk, true);
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	note_proc(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	note_proc(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	note_proc(bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	note_proc(bpf_get_socket_cookie(ctx));
	return 1;
}

static __always_inline void addresses(struct socklife_ev *e, const struct sock *sk)
{
	e->family = sk->__sk_common.skc_family;
	e->lport = sk->__sk_common.skc_num;
	e->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		*(__u32 *)e->laddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->raddr = sk->__sk_common.skc_daddr;
	}
}

/* close() of a socket other than TCP (whose end is its CLOSE state). A UDP
 * socket's event is complete (owner, addresses, inode, final counters): one
 * that opened and closed between two dumps, or never bound explicitly (no
 * post_bind: connect() and sendto() bind it themselves), is known from it
 * alone, with the process that used it (else the one closing it). */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct socklife_ev *e;

	if (sk->protocol == IPPROTO_TCP)
		return 1;
	if (sk->protocol == IPPROTO_UDP || sk->protocol == IPPROTO_UDPLITE) {
		e = reserve(SOCKLIFE_CLOSED, cookie, sock_of(sk)->__sk_common.skc_net.net->ns.inum);
		if (e) {
			const struct sock *s = sock_of(sk);
			struct socklife_proc *p = bpf_map_lookup_elem(&procs, &cookie), me = {};

			if (p)
				me = *p;
			else
				current_proc(&me);
			set_owner(e, &me);
			e->netns = s->__sk_common.skc_net.net->ns.inum;
			e->inode = inode_of(s);
			addresses(e, s);
			e->protocol = sk->protocol;
			e->state = TCP_CLOSE;
			take_counters(e, cookie);
			bpf_ringbuf_submit(e, 0);
		}
	}
	forget(cookie);
	return 1;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct socklife_listen_key lk = {};
	struct socklife_ev *e;
	struct socklife_proc *p, me = {};
	__u64 cookie;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	lk.netns = sk->__sk_common.skc_net.net->ns.inum;
	lk.port = sk->__sk_common.skc_num;
	if (newstate == TCP_LISTEN) {
		/* listen(): the caller's context. */
		current_proc(&me);
		me.cookie = cookie;
		bpf_map_update_elem(&listeners, &lk, &me, BPF_ANY);
		e = reserve(SOCKLIFE_OPENED, cookie, lk.netns);
		if (!e)
			return 0;
		set_owner(e, &me);
	} else if (newstate == TCP_ESTABLISHED &&
		   (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV)) {
		e = reserve(SOCKLIFE_OPENED, cookie, lk.netns);
		if (!e)
			return 0;
		if (oldstate == TCP_SYN_RECV) {
			e->flags |= SOCKLIFE_PASSIVE;
			p = bpf_map_lookup_elem(&listeners, &lk);
		} else {
			p = bpf_map_lookup_elem(&procs, &cookie);
		}
		if (p)
			set_owner(e, p);
	} else if (newstate == TCP_CLOSE) {
		if (oldstate == TCP_LISTEN) {
			p = bpf_map_lookup_elem(&listeners, &lk);
			if (p && p->cookie == cookie)
				bpf_map_delete_elem(&listeners, &lk);
		}
		e = reserve(SOCKLIFE_CLOSED, cookie, lk.netns);
		if (e)
			take_counters(e, cookie);
		forget(cookie);
		if (!e)
			return 0;
	} else {
		return 0;
	}
	e->netns = lk.netns;
	e->inode = inode_of(sk);
	e->protocol = IPPROTO_TCP;
	e->state = (__u8)newstate;
	addresses(e, sk);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
