/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layout of the public structs as the C compiler gives it, as one JSON
 * object {"struct": {"size": N, "member": OFFSET, ...}, ...}: test_python.py
 * compares it with the Python binding's ctypes mirrors. */
#include <stddef.h>
#include <stdio.h>

#include "whosock/watch.h"
#include "whosock/whosock.h"

static int first = 1;

#define NL offsetof(struct whosock_socket, netlink)

#define BEGIN(name, type)                                                          \
	do {                                                                       \
		typedef type cur_t;                                                \
		printf("%s\"%s\":{\"size\":%zu", first ? "{" : ",", name, sizeof(cur_t)); \
		first = 0;
#define M(member) printf(",\"%s\":%zu", #member, offsetof(cur_t, member));
#define END()                                                                      \
	printf("}");                                                               \
	}                                                                          \
	while (0)

int main(void)
{
	BEGIN("Endpoint", struct whosock_endpoint)
	M(addr) M(port) M(path) END();
	BEGIN("TcpInfo", struct whosock_tcp_info)
	M(rtt_us) M(retransmits) M(bytes_acked) M(bytes_received) M(bytes_sent) M(rttvar_us) M(cwnd)
	M(mss) M(rto_us) M(lost) M(unacked) M(delivery_rate) END();
	BEGIN("Meminfo", struct whosock_meminfo)
	M(rmem_alloc) M(rcvbuf) M(wmem_alloc) M(sndbuf) M(fwd_alloc) M(wmem_queued) M(optmem)
	M(backlog) M(drops) END();
	BEGIN("Traffic", struct whosock_traffic)
	M(sent_bytes) M(received_bytes) M(sent_packets) M(received_packets) M(since_start) END();
	BEGIN("Container", struct whosock_container)
	M(runtime) M(id) M(pod_uid) END();
	BEGIN("Process", struct whosock_process)
	M(pid) M(comm) M(cmdline) M(cmdline_truncated) M(uid_known) M(uid) M(user) M(cgroup)
	M(container) END();
	BEGIN("Owner", struct whosock_owner)
	M(proc) M(fd) M(tid) M(n_fds) M(fds) END();
	BEGIN("Socket", struct whosock_socket)
	M(netns) M(netns_name) M(inode) M(cookie) M(peer_inode) M(cgroup_id) M(local) M(remote)
	M(ifindex) M(uid) M(rqueue) M(wqueue) M(known) M(n_owners) M(proto) M(family) M(type)
	M(state) M(source) M(v6only) M(tcp) M(protocol) M(netlink) M(local_text) M(family_name)
	M(owners) M(peer) M(mem) M(traffic) END();
	/* The anonymous struct of whosock_socket.netlink. */
	printf(",\"NetlinkInfo\":{\"size\":%zu", sizeof(((struct whosock_socket *)0)->netlink));
	printf(",\"portid\":%zu", offsetof(struct whosock_socket, netlink.portid) - NL);
	printf(",\"groups\":%zu", offsetof(struct whosock_socket, netlink.groups) - NL);
	printf(",\"dst_portid\":%zu", offsetof(struct whosock_socket, netlink.dst_portid) - NL);
	printf(",\"dst_group\":%zu}", offsetof(struct whosock_socket, netlink.dst_group) - NL);
	BEGIN("Local", struct whosock_local)
	M(port) M(family) M(addr) END();
	BEGIN("Filter", struct whosock_filter)
	M(size) M(protos) M(families) M(states) M(ports) M(n_ports) M(locals) M(n_locals) M(netns)
	M(n_netns) M(pids) M(n_pids) M(uids) M(n_uids) M(comms) M(n_comms) M(cmdlines)
	M(n_cmdlines) M(containers) M(n_containers) M(expr) END();
	BEGIN("Options", struct whosock_options)
	M(size) M(proc_root) M(source) M(filter) M(want) M(host_only) M(flags) M(owner_source) END();
	BEGIN("Note", struct whosock_note)
	M(code) M(error) M(error2) M(count) M(netns) M(pidns) M(netns_name) M(proto) M(family)
	M(path) END();
	BEGIN("Timespec", struct timespec)
	M(tv_sec) M(tv_nsec) END();
	BEGIN("Event", struct whosock_event)
	M(type) M(ts) M(socket) M(lifetime_known) M(lifetime_ms) M(seq) END();
	BEGIN("WatchOptions", struct whosock_watch_options)
	M(size) M(filter) M(connections) M(host_only) M(interval_ms) M(want) M(ring_size)
	M(flags) M(unseen_closes) END();
	BEGIN("WatchStatus", struct whosock_watch_status)
	M(size) M(namespaces) M(unreachable) M(destroy_reports) M(failing) M(failing_error) M(bpf_events)
	M(bpf_error) END();
	printf("}\n");
	return 0;
}
