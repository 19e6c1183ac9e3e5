/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher's side of the kernel's socket life events (bpf_traffic.h):
 * an event turned into the socket it names, with the process the kernel
 * gave, for lib/watch.c to track and report. */
#ifndef WHOSOCK_WATCH_BPF_H
#define WHOSOCK_WATCH_BPF_H

#include <stdbool.h>

#include "whosock/whosock.h"

struct socklife_ev;

/* The socket of one event with its one owner; self-contained (point s at
 * owner, owner at proc, proc at comm): watch_bpf_socket() links them. */
struct watch_bpf_sock {
	struct whosock_socket s;
	struct whosock_owner owner;
	struct whosock_process proc;
	char comm[17];
};

/* Fill *out from ev: protocol, family, state, addresses, namespace, cookie,
 * inode (0 when the socket has none yet) and, when the kernel named it, the
 * process as its one owner (pid, comm, uid; the fd is not known: fd -1, no
 * fds, until /proc shows it). Returns false for an event of a protocol the
 * watcher does not follow. */
bool watch_bpf_socket(const struct socklife_ev *ev, struct watch_bpf_sock *out);

/* The final counters a CLOSED event carries (not TCP's: tcp_info counts
 * those from the socket's start) into s. */
void watch_bpf_take_traffic(const struct socklife_ev *ev, struct whosock_socket *s);

#endif
