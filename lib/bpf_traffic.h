/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Payload bytes and packets per UDP and UDP-Lite socket, counted in the
 * kernel: the sock:sock_send_length and sock_recv_length programs of
 * lib/bpf/socklife.bpf.c, keyed by socket cookie (the cookie sock_diag
 * reports). Counting starts when bpf_traffic_open() returns: what a socket
 * carried before is not known (whosock_traffic.since_start is set in what
 * bpf_traffic_get() fills). Payload is what the application wrote and
 * read: what each send and receive call returned (each message of
 * sendmmsg/recvmmsg), a packet per call, a MSG_PEEK not counted, a
 * datagram that arrived but was never read not received. TCP is not
 * counted here: the kernel keeps its payload counts itself (tcp_info), and
 * a TCP call leaves the programs after a few loads, which keeps them cheap
 * under any TCP load (the cost is per call, not per packet).
 *
 * The counters live in an LRU hash of BPF_TRAFFIC_MAX_SOCKETS entries: the
 * kernel bounds it, evicting the sockets that went longest without a send
 * or receive. An entry outlives its socket's close (so the last bytes can be
 * read after the close is seen) until bpf_traffic_forget() or eviction.
 *
 * Everything is attached through bpf_links owned by the caller's process
 * (nothing pinned): closed by bpf_traffic_close(), or by the kernel when the
 * process dies, SIGKILL included. Several handles (in one process or in
 * several) count independently. Not thread-safe per handle; lookups on a
 * const handle may run in several threads at once. */
#ifndef WHOSOCK_BPF_TRAFFIC_H
#define WHOSOCK_BPF_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "whosock/whosock.h"

#define BPF_TRAFFIC_MAX_SOCKETS 65536u

struct bpf_traffic;

/* Load and attach the counters. Returns 0 and *out, or a negative errno,
 * *out untouched: -EOPNOTSUPP built without BPF, -EPERM refused (needs
 * CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN, or root), -ENOENT no kernel BTF
 * or no cgroup v2 mount, -ENOMEM, or what else the load gave. */
int bpf_traffic_open(struct bpf_traffic **out);

/* The counters of the socket with that cookie, since the handle was opened:
 * 0 and *out filled (since_start true), or -ENOENT when no call with
 * payload of it was counted (or its entry was forgotten or evicted), *out
 * untouched. */
int bpf_traffic_get(const struct bpf_traffic *bt, uint64_t cookie, struct whosock_traffic *out);

/* Drop the entry of a closed socket (its last counters were read). Returns
 * 0, or -ENOENT when there was none. */
int bpf_traffic_forget(struct bpf_traffic *bt, uint64_t cookie);

/* A TCP listener that was there before the handle was opened (its listen()
 * was not seen), so that the connections it accepts are named after p too:
 * added unless one on that namespace and port is known already. Returns 0
 * or a negative errno (-EEXIST: known). */
int bpf_traffic_add_listener(struct bpf_traffic *bt, uint64_t netns, uint16_t port, uint64_t cookie,
			     const struct whosock_process *p);

/* Detach and free. Accepts NULL. */
void bpf_traffic_close(struct bpf_traffic *bt);

/* Fill the traffic of every UDP and UDP-Lite socket of snap that has none
 * yet and that was counted. */
struct whosock_snapshot;
void bpf_traffic_fill(const struct bpf_traffic *bt, struct whosock_snapshot *snap);

/* ---- life events (the watcher's: lib/watch_bpf.c) ---- */

struct socklife_ev;
/* Called for each event; returning false stops the read after it. */
typedef bool bpf_traffic_event_fn(const struct socklife_ev *ev, void *data);

/* The counters and, with them, the life events of lib/bpf/socklife.bpf.c
 * (socket hooks on the cgroup v2 root and the inet_sock_set_state
 * tracepoint) into a ring buffer, read by bpf_traffic_read_events(), which
 * calls fn(ev, data). In this mode the kernel deletes a socket's counters
 * when it closes; the CLOSED event carries their last values. netns (an
 * inode; 0: every namespace): only that namespace's events go into the
 * ring (the counters count everywhere). Returns as bpf_traffic_open(). */
int bpf_traffic_open_events(uint64_t netns, bpf_traffic_event_fn *fn, void *data,
			    struct bpf_traffic **out);

/* An fd that polls readable when events wait (an epoll fd: it may go into
 * another epoll set); -1 without events. */
int bpf_traffic_events_fd(const struct bpf_traffic *bt);

/* Read the events waiting, without blocking, until fn returns false.
 * Returns how many were read, or a negative errno. */
int bpf_traffic_read_events(struct bpf_traffic *bt);

/* Events the kernel dropped so far because the ring buffer was full. */
uint64_t bpf_traffic_lost(const struct bpf_traffic *bt);

#endif
