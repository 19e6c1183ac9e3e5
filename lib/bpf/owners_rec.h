/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The records the owner iterators (owners.bpf.c) write and bpf_owners.c
 * reads: fixed size, native byte order, shared by the BPF program and the
 * library (so only fixed-width types from either side's headers). */
#ifndef WHOSOCK_BPF_OWNERS_REC_H
#define WHOSOCK_BPF_OWNERS_REC_H

enum owners_rec_kind {
	OWNERS_REC_SOCKET = 1, /* fd is a socket */
	OWNERS_REC_NETNS_FD,   /* fd holds a network namespace open (nsfs) */
	OWNERS_REC_TASK_NS,    /* the network namespace a task lives in (fd -1) */
};

struct owners_rec {
	__u32 kind;     /* enum owners_rec_kind */
	__u32 tgid;     /* the process (thread group id), in the initial PID namespace */
	__u32 tid;      /* the task when it is not its group's leader, else 0 */
	__s32 fd;       /* -1 for OWNERS_REC_TASK_NS */
	__u64 inode;    /* the socket's inode (SOCKET), the namespace's (NETNS_FD, TASK_NS) */
	__u64 netns;    /* SOCKET: the socket's namespace; TASK_NS: the task's */
	__u64 cookie;   /* SOCKET: the socket cookie (sock_diag's), 0 while none was given yet */
	__u16 family;   /* SOCKET: AF_* */
	__u16 type;     /* SOCKET: SOCK_* */
	__u16 protocol; /* SOCKET: IPPROTO_*, ETH_P_*, NETLINK_* */
	__u16 pad;
};

#endif
