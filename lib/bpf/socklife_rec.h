/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What lib/bpf/socklife.bpf.c shares with the library: the counters kept
 * per socket cookie and the events written to the ring buffer. Fixed size,
 * native byte order, fixed-width types only (both sides include it). */
#ifndef WHOSOCK_BPF_SOCKLIFE_REC_H
#define WHOSOCK_BPF_SOCKLIFE_REC_H

/* The value of the counters map (key: the socket cookie, __u64). */
struct socklife_count {
	__u64 sent_bytes, received_bytes;     /* payload: no IP, TCP or UDP header */
	__u64 sent_packets, received_packets; /* packets with payload (GSO: segments) */
};

enum socklife_kind {
	SOCKLIFE_OPENED = 1, /* a TCP listener, a TCP connection established, a UDP bind */
	SOCKLIFE_CLOSED,     /* TCP: reached CLOSE; others: released (close()); UDP: with
			      * its owner, addresses and inode */
};

enum {
	SOCKLIFE_OWNER = 1u << 0,   /* pid, tid, uid, comm hold the socket's process */
	SOCKLIFE_TRAFFIC = 1u << 1, /* count holds the socket's final counters */
	SOCKLIFE_PASSIVE = 1u << 2, /* OPENED: accepted (the owner is the listener's) */
};

/* A process, as the procs (key: the socket cookie) and listeners maps
 * hold it. */
struct socklife_proc {
	__u64 cookie; /* listeners: the listening socket's */
	__u32 pid, tid, uid, pad;
	char comm[16];
};

/* The key of the listeners map: a TCP port listened on in a namespace (the
 * process that called listen() there names the connections it accepts).
 * The library adds the listeners that were there before it loaded. */
struct socklife_listen_key {
	__u64 netns;
	__u32 port;
	__u32 pad;
};

struct socklife_ev {
	__u32 kind;  /* enum socklife_kind */
	__u32 flags; /* SOCKLIFE_* */
	__u64 cookie;
	__u64 netns; /* inode of the socket's network namespace */
	__u64 inode; /* the socket's inode; 0 when it has none yet (accepted, not accept()ed) */
	__u32 pid, tid, uid;
	__u16 family;  /* AF_INET, AF_INET6 */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, ... */
	__u8 state;    /* the kernel's TCP_* state numbers (UDP bound: TCP_CLOSE) */
	__u8 laddr[16], raddr[16]; /* network order; IPv4 in the first 4 bytes */
	__u16 lport, rport;        /* host order */
	char comm[16];
	__u32 pad;
	struct socklife_count count; /* CLOSED with SOCKLIFE_TRAFFIC */
};

#endif
