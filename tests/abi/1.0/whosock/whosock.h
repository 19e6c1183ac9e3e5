/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwhosock: who owns this socket?
 *
 * Take a snapshot of the machine's sockets, walk it, free it:
 *
 *     struct whosock_snapshot *snap;
 *     int r = whosock_snapshot_take(NULL, &snap);
 *     if (r < 0)
 *             return r;          // negative errno, nothing allocated
 *     for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
 *             const struct whosock_socket *s = whosock_snapshot_get(snap, i);
 *             ...
 *     }
 *     whosock_snapshot_free(snap);
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; output parameters are untouched on failure; the library
 * never prints, never exits and never runs another program. Every pointer
 * reachable from a snapshot is owned by the snapshot and stays valid until
 * whosock_snapshot_free().
 *
 * ABI (LIBWHOSOCK_1, libwhosock.so.1): structs the caller fills
 * (whosock_options, whosock_filter, whosock_watch_options,
 * whosock_watch_status) start with their size: start them from the _INIT
 * macros. Structs the library allocates (whosock_socket, whosock_process,
 * whosock_note, whosock_event) may gain members at their end: reach them
 * only through the library's pointers. whosock_owner and whosock_local
 * (arrays) and the structs embedded in others never change.
 *
 * Threads: functions that take no object (names, escaping, versions,
 * whosock_note_text(), the resolvers) and whosock_snapshot_take() may be
 * called from any number of threads at once. A snapshot and a process
 * filter never change once made: any number of threads may read them at
 * once (and one frees them when all are done). A watcher and a port index
 * change as they are used: one thread at a time (they take no lock), and
 * their callbacks run on that thread, inside the call. The library starts
 * short-lived threads of its own (to enter namespaces, to dump several at
 * once) unless WHOSOCK_FLAG_NO_THREADS says not to; it changes no signal
 * disposition, never changes the caller's namespace, and opens every fd
 * O_CLOEXEC.
 */
#ifndef WHOSOCK_WHOSOCK_H
#define WHOSOCK_WHOSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers; whosock_version() gives the library's at
 * run time (a newer library keeps every LIBWHOSOCK_1 symbol and layout). */
#define WHOSOCK_VERSION_MAJOR 1
#define WHOSOCK_VERSION_MINOR 0
#define WHOSOCK_VERSION_PATCH 0
#define WHOSOCK_VERSION "1.0.0"
/* One number to compare: 10000 * major + 100 * minor + patch. */
#define WHOSOCK_VERSION_NUMBER                                                   \
	(10000 * WHOSOCK_VERSION_MAJOR + 100 * WHOSOCK_VERSION_MINOR + WHOSOCK_VERSION_PATCH)

/* What the shared library exports: only whosock_* (lib/libwhosock.map). */
#if defined(__GNUC__)
#define WHOSOCK_EXPORT __attribute__((visibility("default")))
#else
#define WHOSOCK_EXPORT
#endif

/* The library's version as "MAJOR.MINOR.PATCH", and as WHOSOCK_VERSION_NUMBER
 * would give it. Static strings. */
WHOSOCK_EXPORT const char *whosock_version(void);
WHOSOCK_EXPORT unsigned whosock_version_number(void);

/* Kinds of socket. The JSON names are "tcp", "udp", "udplite", "raw", "unix",
 * "mptcp", "sctp", "packet", "netlink", "vsock", "xdp" and "other" (a family
 * whosock does not know: whosock_socket.family says which). */
enum whosock_proto {
	WHOSOCK_PROTO_TCP = 0,
	WHOSOCK_PROTO_UDP,
	WHOSOCK_PROTO_UDPLITE,
	WHOSOCK_PROTO_RAW,
	WHOSOCK_PROTO_UNIX,
	WHOSOCK_PROTO_MPTCP,
	WHOSOCK_PROTO_SCTP,
	WHOSOCK_PROTO_PACKET,
	WHOSOCK_PROTO_NETLINK,
	WHOSOCK_PROTO_VSOCK,
	WHOSOCK_PROTO_XDP,
	WHOSOCK_PROTO_OTHER,
	/* A newer library may add kinds: treat an unknown value as "other". */
};

/* Bit of a protocol in whosock_filter.protos. */
#define WHOSOCK_PROTO_BIT(p) (1u << (p))
/* The inet kinds (ss -A inet): TCP, UDP, UDP-Lite, RAW, MPTCP and SCTP. */
#define WHOSOCK_PROTOS_INET                                                      \
	(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) | \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) | \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP))
/* Every kind, "other" included, and any a newer library adds (ss -A all,
 * and what a filter of 0 means). */
#define WHOSOCK_PROTOS_ALL 0xffffffffu

/* Socket states: the kernel's own numbers (include/net/tcp_states.h), used by
 * every protocol. UDP and RAW are WHOSOCK_STATE_CLOSE ("UNCONN") unless
 * connected; UNIX sockets are LISTEN, ESTABLISHED ("CONNECTED"), SYN_SENT or
 * CLOSE ("UNCONN"). */
enum whosock_state {
	WHOSOCK_STATE_ESTABLISHED = 1,
	WHOSOCK_STATE_SYN_SENT,
	WHOSOCK_STATE_SYN_RECV,
	WHOSOCK_STATE_FIN_WAIT1,
	WHOSOCK_STATE_FIN_WAIT2,
	WHOSOCK_STATE_TIME_WAIT,
	WHOSOCK_STATE_CLOSE,
	WHOSOCK_STATE_CLOSE_WAIT,
	WHOSOCK_STATE_LAST_ACK,
	WHOSOCK_STATE_LISTEN,
	WHOSOCK_STATE_CLOSING,
	WHOSOCK_STATE_NEW_SYN_RECV,
	WHOSOCK_STATE_BOUND_INACTIVE,
	/* A newer kernel may add states: whosock_state_name() says "UNKNOWN". */
};
#define WHOSOCK_STATE_BIT(s) (1u << (s))
/* Every state, those a newer kernel adds included. */
#define WHOSOCK_STATES_ALL 0xffffffffu

/* Where a socket's record came from. */
enum whosock_source {
	WHOSOCK_SOURCE_AUTO = 0, /* options only: netlink, /proc where netlink is refused */
	WHOSOCK_SOURCE_NETLINK,
	WHOSOCK_SOURCE_PROC,
	/* Records only: a watcher's socket named by the kernel's BPF socket
	 * events as it opened (bound, listening, connected), before any dump
	 * listed it. */
	WHOSOCK_SOURCE_BPF,
};

/* One end of a socket. */
struct whosock_endpoint {
	/* inet: the address in network byte order; IPv4 uses the first 4 bytes. */
	uint8_t addr[16];
	/* inet: host byte order. RAW sockets carry their IP protocol number here,
	 * as the kernel does. */
	uint16_t port;
	/* UNIX only: the bound path, abstract names start with '@' (the kernel's
	 * leading NUL); NULL when unnamed. May hold any byte but NUL. */
	const char *path;
};

/* Bits of whosock_socket.known: which optional fields hold a value. */
enum {
	WHOSOCK_KNOWN_UID = 1u << 0,
	WHOSOCK_KNOWN_COOKIE = 1u << 1,
	WHOSOCK_KNOWN_QUEUES = 1u << 2,
	WHOSOCK_KNOWN_PEER = 1u << 3,          /* UNIX peer_inode */
	WHOSOCK_KNOWN_TCP_INFO = 1u << 4,      /* tcp.rtt_us and tcp.retransmits */
	WHOSOCK_KNOWN_TCP_BYTES = 1u << 5,     /* tcp.bytes_acked, bytes_received */
	WHOSOCK_KNOWN_TCP_BYTES_SENT = 1u << 6, /* tcp.bytes_sent (Linux >= 4.19) */
	WHOSOCK_KNOWN_IFINDEX = 1u << 7,       /* inet: ifindex (not in /proc/net) */
	WHOSOCK_KNOWN_V6ONLY = 1u << 8,        /* inet6: v6only (not in /proc/net) */
	WHOSOCK_KNOWN_CGROUP_ID = 1u << 9,     /* inet: cgroup_id (Linux >= 5.7, netlink) */
	WHOSOCK_KNOWN_PROTOCOL = 1u << 10,     /* protocol (SO_PROTOCOL, packet and netlink) */
	WHOSOCK_KNOWN_NL_GROUPS = 1u << 11,    /* netlink.groups (not for held-only rows) */
	WHOSOCK_KNOWN_LOCAL = 1u << 12,        /* held-only rows: local_text (getsockname) */
	WHOSOCK_KNOWN_TCP_CWND = 1u << 13,     /* tcp.rttvar_us, cwnd, mss, rto_us, lost, unacked */
	WHOSOCK_KNOWN_TCP_RATE = 1u << 14,     /* tcp.delivery_rate (Linux >= 4.9) */
	WHOSOCK_KNOWN_MEMINFO = 1u << 15,      /* whosock_socket.mem (netlink, WHOSOCK_WANT_MEMINFO) */
	WHOSOCK_KNOWN_TRAFFIC = 1u << 16       /* whosock_socket.traffic */
};

struct whosock_tcp_info {
	uint32_t rtt_us;
	uint32_t retransmits; /* total retransmitted segments (tcpi_total_retrans) */
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint64_t bytes_sent;
	/* With WHOSOCK_KNOWN_TCP_CWND (appended: older callers' layout stays). */
	uint32_t rttvar_us;
	uint32_t cwnd;        /* congestion window, in segments (tcpi_snd_cwnd) */
	uint32_t mss;         /* sender's maximum segment size, bytes (tcpi_snd_mss) */
	uint32_t rto_us;      /* retransmission timeout */
	uint32_t lost;        /* segments thought lost now (tcpi_lost) */
	uint32_t unacked;     /* segments sent and not yet acknowledged (tcpi_unacked) */
	/* With WHOSOCK_KNOWN_TCP_RATE: the most recent delivery rate, bytes per
	 * second (tcpi_delivery_rate). */
	uint64_t delivery_rate;
};

/* A socket's memory, in bytes, as the kernel accounts it (SK_MEMINFO_*,
 * what ss -m shows): with WHOSOCK_KNOWN_MEMINFO. */
struct whosock_meminfo {
	uint32_t rmem_alloc;  /* receive queue memory in use */
	uint32_t rcvbuf;      /* its limit (SO_RCVBUF) */
	uint32_t wmem_alloc;  /* send memory in flight */
	uint32_t sndbuf;      /* its limit (SO_SNDBUF) */
	uint32_t fwd_alloc;   /* reserved ahead, not yet used */
	uint32_t wmem_queued; /* send queue memory (not yet sent or not acked) */
	uint32_t optmem;      /* options and filters */
	uint32_t backlog;     /* packets waiting for the socket's lock */
	uint32_t drops;       /* packets dropped (Linux >= 4.7; 0 before) */
};

/* The payload a socket carried (what the application wrote and read, not
 * headers), with WHOSOCK_KNOWN_TRAFFIC. TCP's come from tcp_info and count
 * from the socket's start; counters whosock keeps itself (BPF) count from
 * when it began counting: then since_start is set. */
struct whosock_traffic {
	uint64_t sent_bytes;
	uint64_t received_bytes;
	uint64_t sent_packets;     /* packets with payload */
	uint64_t received_packets;
	bool since_start;          /* counted since whosock started, not the socket */
};

/* The container a process runs in, named from its cgroup path; all NULL when
 * none is recognised (the raw cgroup path is still in whosock_process). */
struct whosock_container {
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "lxc", "systemd-nspawn" */
	const char *id;      /* 64-hex container ID, or the name (lxc, systemd-nspawn) */
	const char *pod_uid; /* Kubernetes pod UID, or NULL */
};

/* A process that holds sockets. Strings are the exact bytes the kernel
 * gave (they are chosen by the process: escape before printing). */
struct whosock_process {
	int pid;
	const char *comm;       /* never NULL */
	const char *cmdline;    /* arguments joined by spaces; "" for kernel threads;
				   NULL when not collected or unreadable */
	bool cmdline_truncated; /* longer than WHOSOCK_CMDLINE_MAX */
	bool uid_known;
	uint32_t uid;           /* effective uid */
	const char *user;       /* name from the user database, NULL if none */
	const char *cgroup;     /* cgroup v2 path (or the first v1 path), NULL if unknown */
	struct whosock_container container;
};

#define WHOSOCK_CMDLINE_MAX (32u * 1024u)

/* One holder of a socket: a process, and every fd through which it holds
 * the socket. The process details are shared: every owner entry of one
 * process, in every socket of the snapshot, points to the same
 * whosock_process, and fds points into an array the snapshot owns.
 *
 * fd numbers mean something only in one fd table. A thread that has a table
 * of its own (unshare(CLONE_FILES), or cloned without CLONE_FILES) and holds
 * the socket through fds that the process's table does not hold with the
 * same number gets an owner entry of its own, with tid set and those fds,
 * right after the process's entry (same proc). A copy of the process's fd
 * (same number, same socket, as unshare(CLONE_FILES) makes) is not listed
 * again. */
struct whosock_owner {
	const struct whosock_process *proc;
	int fd;          /* the lowest of fds */
	int tid;         /* the thread whose own fd table this is; 0: the process's */
	uint32_t n_fds;  /* entries in fds, at least 1 */
	const int *fds;  /* every fd of that table holding the socket, ascending */
};

/* One socket. Laid out small: a snapshot may hold hundreds of thousands. */
struct whosock_socket {
	uint64_t netns;           /* inode of the network namespace */
	const char *netns_name;   /* its `ip netns` name, or NULL */
	uint64_t inode;           /* 0 for sockets without one (TIME_WAIT, SYN_RECV) */
	uint64_t cookie;
	uint64_t peer_inode;      /* UNIX: inode of the connected peer, 0 when none */
	uint64_t cgroup_id;       /* inet: the cgroup v2 id of the socket's creator */
	struct whosock_endpoint local, remote;
	uint32_t ifindex;         /* inet: bound device, 0 when none */
	uint32_t uid;
	uint32_t rqueue, wqueue;
	uint32_t known;           /* WHOSOCK_KNOWN_* */
	uint32_t n_owners;        /* entries in owners (processes) */
	uint8_t proto;            /* enum whosock_proto */
	uint8_t family;           /* AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK, ... */
	uint8_t type;             /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET or SOCK_RAW */
	uint8_t state;            /* enum whosock_state */
	uint8_t source;           /* enum whosock_source */
	bool v6only;              /* inet6: IPV6_V6ONLY (no IPv4 through a :: socket) */
	struct whosock_tcp_info tcp;
	/* Kinds beyond inet and UNIX (one block). protocol: SO_PROTOCOL as the
	 * kernel gives it (packet: the ETH_P_* number in host order, netlink:
	 * NETLINK_*, vsock/xdp/other: SO_PROTOCOL), with WHOSOCK_KNOWN_PROTOCOL.
	 * Packet sockets keep their bound interface in ifindex (0: every one). */
	uint32_t protocol;
	struct {
		uint32_t portid; /* the socket's port id (0: not bound yet) */
		uint32_t groups; /* the first 32 multicast groups joined (bits) */
		uint32_t dst_portid; /* connected peer, 0 when none */
		uint32_t dst_group;
	} netlink;
	/* Sockets no dump lists (vsock, xdp, other; held-only rows): the
	 * family's local address as text ("cid:port" for vsock, "type/name"
	 * for alg), NULL when it has none; and the kernel's family name for
	 * "other" ("alg", "can", ...). */
	const char *local_text;
	const char *family_name;
	/* Every process holding this socket, one entry each (and one per
	 * thread with an fd table of its own: see whosock_owner), sorted by
	 * pid then tid; none when no holder is visible (or owners were not
	 * collected). */
	const struct whosock_owner *owners;
	/* UNIX: the connected peer when it is in this snapshot, else NULL. */
	const struct whosock_socket *peer;
	/* Socket memory, with WHOSOCK_KNOWN_MEMINFO (inet and UNIX sockets
	 * from netlink, when WHOSOCK_WANT_MEMINFO asked for it). */
	struct whosock_meminfo mem;
	/* Payload carried: TCP with WHOSOCK_WANT_TCP_INFO from netlink. */
	struct whosock_traffic traffic;
};

/* "Who owns this local address and port": one [ADDR]:PORT query. */
struct whosock_local {
	int port;         /* local port, 1-65535; 0 = any port (an address alone) */
	int family;       /* AF_INET or AF_INET6 with addr; 0 = any address */
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};

/* What to collect: the snapshot holds only sockets matching every member
 * that is set (members AND together); a list member matches when one of its
 * values does (values OR together); an empty list (count 0) matches
 * everything. An all-zero filter matches everything.
 *
 * The lists are arrays the caller owns: they are read, never copied or
 * freed, and must stay valid while the call using the filter runs (for
 * whosock_snapshot_take(), during the call; for a watcher, until
 * whosock_watch_free(); for a process filter, until
 * whosock_process_filter_free()). */
struct whosock_filter {
	/* sizeof(struct whosock_filter) as the caller was built: set it (or
	 * start from WHOSOCK_FILTER_INIT). The library reads only that much and
	 * takes members added since as unset; a filter from newer headers with
	 * a newer member set is refused (-E2BIG) by an older library. */
	size_t size;
	unsigned protos;   /* WHOSOCK_PROTO_BIT()s; 0 = every kind */
	unsigned families; /* bits (1u << AF_INET) | (1u << AF_INET6) | (1u << AF_UNIX); 0 = all */
	unsigned states;   /* WHOSOCK_STATE_BIT()s; 0 = all */
	/* Local or remote port (sockets with ports only: inet). */
	const uint16_t *ports;
	size_t n_ports;
	/* Local queries: a socket matches one when its local port is that port
	 * and a packet for that address would reach it: its exact address, or
	 * the wildcard of its family; an IPv4 (or v4-mapped IPv6) address also
	 * reaches an IPv6 socket bound to :: that is not IPV6_V6ONLY, or to
	 * that v4-mapped address. Sockets without ports (UNIX) never match. */
	const struct whosock_local *locals;
	size_t n_locals;
	/* Network namespaces (inodes). */
	const uint64_t *netns;
	size_t n_netns;
	/* Owner members: a socket matches when one of its owners matches all
	 * that are set (whosock_filter_match_process()). Setting any of them
	 * implies collecting owners. */
	const int *pids;         /* processes; a thread id stands for its process */
	size_t n_pids;
	const uint32_t *uids;    /* effective uids */
	size_t n_uids;
	const char *const *comms; /* exact process names */
	size_t n_comms;
	/* Command lines: one matches a pattern when it contains it, or when the
	 * pattern as a POSIX extended regex matches it. An invalid regex makes
	 * whosock_snapshot_take() and whosock_process_filter_new() fail with
	 * -EINVAL. */
	const char *const *cmdlines;
	size_t n_cmdlines;
	/* Processes in a container whose ID (or name) starts with one of these. */
	const char *const *containers;
	size_t n_containers;
	/* A filter expression in ss's syntax (whosock_expr_parse()), or NULL.
	 * Its leading state clauses narrow states (both must hold); the rest
	 * is sent to the kernel as inet_diag bytecode where it compiles, and
	 * always checked on every socket. Owned by the caller, who keeps it
	 * as long as the lists above. */
	const struct whosock_expr *expr;
};

/* Bits of whosock_options.want: what to collect beyond the sockets. */
enum {
	WHOSOCK_WANT_OWNERS = 1u << 0,   /* pid, fd, comm of every holder */
	WHOSOCK_WANT_PROCESS = 1u << 1,  /* also cmdline, uid, user, cgroup */
	WHOSOCK_WANT_TCP_INFO = 1u << 2, /* struct whosock_tcp_info (netlink only) */
	WHOSOCK_WANT_MEMINFO = 1u << 3,  /* struct whosock_meminfo (netlink only) */
};
/* Everything, what a newer library adds included. */
#define WHOSOCK_WANT_ALL 0xffffffffu

/* Bits of whosock_options.flags. */
enum {
	/* Create no thread: the calling thread does all the work, and enters
	 * each network namespace itself (setns), returning to its own before
	 * the call returns. Slower; for callers that may not start threads. */
	WHOSOCK_FLAG_NO_THREADS = 1u << 0,
	/* Load no BPF program: a watcher follows sockets through dumps and the
	 * kernel's destroy reports only (no socket life events, no UDP byte
	 * counters); a snapshot's owners come from the /proc walk, as with
	 * WHOSOCK_OWNERS_PROC. */
	WHOSOCK_FLAG_NO_BPF = 1u << 1,
	/* A watcher's sockets that the kernel's events report opened take as
	 * their owner the process that opened them (pid, comm, uid; with
	 * WHOSOCK_WANT_PROCESS its details as /proc showed them for a socket
	 * it opened less than a second before, when there was one), fd -1,
	 * without a /proc read per socket: for callers that count processes,
	 * not fds (whosock deps). Other holders are not looked for. */
	WHOSOCK_FLAG_KERNEL_OWNERS = 1u << 2,
};

/* Where the owners (and the namespaces processes live in) come from. */
enum whosock_owner_source {
	/* A BPF iterator pass when it loads (built with BPF, CAP_BPF and
	 * CAP_PERFMON, kernel BTF, the initial PID namespace, the live
	 * /proc), else the /proc walk, with a note unless BPF was not built
	 * in. A few processes asked for by pid are read from /proc. */
	WHOSOCK_OWNERS_AUTO = 0,
	/* The BPF pass; where it cannot run, the /proc walk and a note. */
	WHOSOCK_OWNERS_BPF,
	/* One readlink() per /proc/PID/fd entry, /proc/PID/ns/net per process. */
	WHOSOCK_OWNERS_PROC,
};

/* How to take a snapshot. Start from WHOSOCK_OPTIONS_INIT (or set size):
 * as with whosock_filter, the library reads only size bytes. */
struct whosock_options {
	size_t size;                        /* sizeof(struct whosock_options) */
	const char *proc_root;              /* default "/proc" */
	enum whosock_source source;         /* default WHOSOCK_SOURCE_AUTO */
	const struct whosock_filter *filter; /* NULL: every socket; read during the call only */
	unsigned want;                      /* WHOSOCK_WANT_* */
	bool host_only;                     /* only the caller's network namespace */
	unsigned flags;                     /* WHOSOCK_FLAG_* */
	enum whosock_owner_source owner_source; /* default WHOSOCK_OWNERS_AUTO */
};

#define WHOSOCK_FILTER_INIT { .size = sizeof(struct whosock_filter) }
#define WHOSOCK_OPTIONS_INIT { .size = sizeof(struct whosock_options) }

struct whosock_snapshot;

/*
 * Collect every socket that matches opt->filter (opt may be NULL: everything,
 * from netlink with /proc fallback, WHOSOCK_WANT_ALL), in every network
 * namespace unless opt->host_only: those processes and threads live in,
 * those bind-mounted under /run/netns, those held open by an fd, and those of
 * sockets processes hold (found through the sockets themselves). Namespaces
 * are entered by short-lived threads; the caller's thread never changes
 * namespace.
 * On success *out owns a new snapshot (free with whosock_snapshot_free()) and
 * 0 is returned. A protocol the kernel refuses over netlink is read from
 * /proc instead and a note says so (whosock_snapshot_note()). Returns a
 * negative errno (and leaves *out untouched) only when nothing can be
 * collected at all or memory runs out.
 */
WHOSOCK_EXPORT int whosock_snapshot_take(const struct whosock_options *opt, struct whosock_snapshot **out);

/* Frees the snapshot and everything it owns. Accepts NULL. */
WHOSOCK_EXPORT void whosock_snapshot_free(struct whosock_snapshot *snap);

/* Number of sockets in the snapshot. */
WHOSOCK_EXPORT size_t whosock_snapshot_count(const struct whosock_snapshot *snap);

/* The i-th socket (i < whosock_snapshot_count()), owned by the snapshot. */
WHOSOCK_EXPORT const struct whosock_socket *whosock_snapshot_get(const struct whosock_snapshot *snap, size_t i);

/* What a note is about (whosock_note.code), and which of its members hold a
 * value. The library gives codes and numbers; whosock_note_text() words
 * one, or the caller words them itself. A newer library may give codes this
 * list does not have yet: treat them as "something was not seen". The
 * numbers are fixed: a code keeps its number in every LIBWHOSOCK_1. */
enum whosock_note_code {
	/* No sock_diag socket could be opened (error): path was read instead. */
	WHOSOCK_NOTE_NETLINK_UNAVAILABLE = 1,
	/* The kernel refused the (proto, family) dump (error): path read instead. */
	WHOSOCK_NOTE_PROC_FALLBACK,
	/* (proto, family) sockets not listed: netlink failed with error (0: not
	 * used); path (NULL: not tried, --source netlink) failed with error2. */
	WHOSOCK_NOTE_NOT_LISTED,
	/* path is larger than count MiB: the rest was skipped. */
	WHOSOCK_NOTE_FILE_TOO_LARGE,
	/* count malformed lines of path were skipped. */
	WHOSOCK_NOTE_MALFORMED_LINES,
	/* count malformed messages of the proto dump were skipped. */
	WHOSOCK_NOTE_MALFORMED_MESSAGES,
	/* Owners not shown for count processes whose fd tables are not readable
	 * (other users' or not dumpable; needs CAP_SYS_PTRACE and
	 * CAP_DAC_READ_SEARCH). */
	WHOSOCK_NOTE_OWNERS_HIDDEN,
	/* Owners not shown for count processes: the kernel refused their fd
	 * tables even with those capabilities (a security module). */
	WHOSOCK_NOTE_OWNERS_REFUSED,
	/* Namespace netns (netns_name) could not be entered (error): not listed. */
	WHOSOCK_NOTE_NETNS_NOT_ENTERED,
	/* Namespace netns could not be entered (error): path was read instead. */
	WHOSOCK_NOTE_NETNS_READ_PROC,
	/* count held sockets were not traced to their namespace: error (EPERM:
	 * SIOCGSKNS needs CAP_NET_ADMIN), 0 when there were too many. */
	WHOSOCK_NOTE_UNTRACED,
	/* TCP details come only from netlink, not from path (the /proc root). */
	WHOSOCK_NOTE_NO_TCP_INFO,
	/* Namespace netns (--netns) was not found. */
	WHOSOCK_NOTE_NETNS_NOT_FOUND,
	/* count further notes were not kept (at most a few hundred are). */
	WHOSOCK_NOTE_DROPPED,
	/* Owners may be missing: count processes were not read (error: EMFILE,
	 * ENOMEM, ...; not because they exited). */
	WHOSOCK_NOTE_OWNERS_UNREAD,
	/* No owner shown for count sockets: path (the /proc root) shows only
	 * the processes of PID namespace pidns, and none of them holds them. */
	WHOSOCK_NOTE_OUTSIDE_PIDNS,
	/* Namespace netns (netns_name) not dumped: read from /proc only
	 * (WHOSOCK_SOURCE_PROC), and no process lives in it (the sockets held
	 * there are still read through their holders). */
	WHOSOCK_NOTE_NETNS_NO_PROCESS,
	/* The BPF owner pass was wanted but not used (error: EOPNOTSUPP not
	 * built in, EPERM refused (needs CAP_BPF and CAP_PERFMON), ENOENT no
	 * kernel BTF, EXDEV not in the initial PID namespace (pidns set then),
	 * ...): the /proc walk was used instead. */
	WHOSOCK_NOTE_BPF_OWNERS_FALLBACK,
	/* Socket memory (WHOSOCK_WANT_MEMINFO) comes only from netlink, not
	 * from path (the /proc root). */
	WHOSOCK_NOTE_NO_MEMINFO,
	/* Traffic accounting (whosock_meter): count sockets of proto are not
	 * counted (nothing counts their bytes: UDP without BPF; TCP: no dump
	 * gave their counters yet). Not TCP: error says why BPF does not
	 * count them: 0 WHOSOCK_FLAG_NO_BPF asked for none,
	 * EOPNOTSUPP built without BPF, EPERM refused (needs CAP_BPF,
	 * CAP_PERFMON and CAP_NET_ADMIN), ENOENT no kernel BTF or no cgroup
	 * v2 mount, ... */
	WHOSOCK_NOTE_TRAFFIC_UNCOUNTED,
	/* Traffic accounting: count sockets closed before whosock saw who held
	 * them (opened and closed between two dumps): their bytes count in a
	 * group without a process (and without a user or container). */
	WHOSOCK_NOTE_TRAFFIC_NO_OWNER,
	/* A watcher's BPF socket events and byte counters could not be loaded
	 * (error: EPERM refused (needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN),
	 * ENOENT no kernel BTF or no cgroup v2 mount, ...): opens and closes
	 * come from dumps and destroy reports only (connections that open and
	 * close between two dumps are not seen, the process of a socket is
	 * found in /proc), and UDP sockets have no traffic. */
	WHOSOCK_NOTE_BPF_EVENTS_UNAVAILABLE,
};

/* One note: what could not be seen and why. Read only the members its code
 * names; the others are zero. Owned by the snapshot. */
struct whosock_note {
	int code;               /* enum whosock_note_code */
	int error, error2;      /* positive errno values, 0 when none */
	uint64_t count;
	uint64_t netns;         /* network namespace inode, 0 when none */
	uint64_t pidns;         /* PID namespace inode, 0 when none */
	const char *netns_name; /* its `ip netns` name, or NULL */
	int proto;              /* enum whosock_proto */
	int family;             /* AF_INET, AF_INET6, AF_UNSPEC (both) or AF_UNIX */
	const char *path;       /* a file or directory, or NULL; any byte but NUL */
};

/* The note in plain English, as one line without a newline ("netlink
 * refused the udp IPv6 dump (Operation not permitted): read /proc/net
 * instead"), snprintf-like: writes at most cap - 1 bytes and a NUL into buf
 * (nothing when cap is 0) and returns the whole length. Paths and names in
 * it are as the kernel gave them: escape them (whosock_escape_term())
 * before printing. A code this library does not know gets a generic line. */
WHOSOCK_EXPORT size_t whosock_note_text(const struct whosock_note *n, char *buf, size_t cap);

/* The notes about what could not be seen and why (a fallback to /proc, a
 * refused request), i < whosock_snapshot_note_count(), in the order they
 * arose; identical notes are kept once. NULL when i is out of range. */
WHOSOCK_EXPORT size_t whosock_snapshot_note_count(const struct whosock_snapshot *snap);
WHOSOCK_EXPORT const struct whosock_note *whosock_snapshot_note(const struct whosock_snapshot *snap, size_t i);

/* How long one phase of whosock_snapshot_take() took, for explaining a slow
 * machine. phase is a static name:
 *   "dump"       one (proto, family) dump of one namespace (netns, proto,
 *                family: AF_UNSPEC for both inet families); count: sockets;
 *   "owners"     the /proc scan for owners (count: processes read); its time
 *                is the wall time the scanning threads took, they overlap
 *                with dumps;
 *   "trace"      tracing held sockets no dump listed to their namespace,
 *                and the dumps that takes (count: held sockets not listed);
 *   "join"       joining sockets to owners and UNIX peers (count: sockets).
 * Phases run on several threads at once: their times do not add up to the
 * total, which is the "total" phase (count: sockets in the snapshot).
 * Members a phase does not use are 0 (proto and family -1). */
struct whosock_timing {
	const char *phase;
	uint64_t netns;      /* "dump": the namespace's inode */
	const char *netns_name; /* its `ip netns` name, or NULL */
	int proto;           /* "dump": enum whosock_proto, else -1 */
	int family;          /* "dump": AF_INET, AF_INET6, AF_UNSPEC (both), ... else -1 */
	uint64_t elapsed_ns;
	uint64_t count;
};

/* The timings of the snapshot's phases, i < whosock_snapshot_timing_count(),
 * in the order the phases ended (dumps of the caller's namespace first);
 * NULL when i is out of range. Owned by the snapshot. */
size_t whosock_snapshot_timing_count(const struct whosock_snapshot *snap);
const struct whosock_timing *whosock_snapshot_timing(const struct whosock_snapshot *snap, size_t i);

/* True when the socket matches the socket members of f (protos, families,
 * states, ports, locals, netns); the owner members are applied while
 * collecting. */
WHOSOCK_EXPORT bool whosock_filter_match(const struct whosock_filter *f, const struct whosock_socket *s);

/* The owner members of a filter made ready to match processes, for callers
 * that get sockets and owners elsewhere (a watcher's events): the command
 * line patterns are compiled once. f and its lists must outlive the result.
 * Returns 0 and *out, -EINVAL when a command line pattern is not a valid
 * extended regex, or -ENOMEM. */
struct whosock_process_filter;
WHOSOCK_EXPORT int whosock_process_filter_new(const struct whosock_filter *f, struct whosock_process_filter **out);

/* True when p matches every owner member that is set (pids, uids, comms,
 * cmdlines, containers): a member the process does not show (an unknown uid,
 * an unreadable command line, no container) does not match. */
WHOSOCK_EXPORT bool whosock_filter_match_process(const struct whosock_process_filter *pf,
				  const struct whosock_process *p);

/* True when no owner member is set, or one of the socket's owners matches. */
WHOSOCK_EXPORT bool whosock_filter_match_owners(const struct whosock_process_filter *pf,
				 const struct whosock_socket *s);

/* Accepts NULL. */
WHOSOCK_EXPORT void whosock_process_filter_free(struct whosock_process_filter *pf);

/* The process that id (a process or a thread id) belongs to, from
 * proc_root (NULL: "/proc"): 0 and *pid (the thread group id), or -ESRCH
 * when there is no such process or thread, or another negative errno. */
WHOSOCK_EXPORT int whosock_pid_resolve(const char *proc_root, int id, int *pid);

/* Processes whose sockets could not be seen (their fd tables were not
 * readable: another user's, without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH). */
WHOSOCK_EXPORT size_t whosock_snapshot_hidden_processes(const struct whosock_snapshot *snap);

/* Resolve a namespace as a user names it: an `ip netns` name, an inode
 * number, or "pid:PID" (the namespace that process lives in). Returns 0 and
 * *inode, or -ENOENT (no such name or process), -EACCES, -EINVAL. */
WHOSOCK_EXPORT int whosock_netns_resolve(const char *spec, uint64_t *inode);

/* Static names: "tcp"/"udp"/...; "LISTEN"/"ESTABLISHED"/... as the JSON
 * contract spells them for that protocol ("UNCONN" for unconnected UDP, RAW and
 * UNIX, "CONNECTED" for connected UNIX). Unknown values give "UNKNOWN". */
WHOSOCK_EXPORT const char *whosock_proto_name(enum whosock_proto proto);

/* The kernel's name of an address family, lowercase without "AF_" ("inet",
 * "inet6", "unix", "packet", "netlink", "vsock", "xdp", "alg", "can",
 * "bluetooth", ...); NULL for a number it does not know. */
WHOSOCK_EXPORT const char *whosock_family_name(int family);

/* Names of netlink protocols ("route", "sock_diag", "audit", ...) and of
 * packet socket protocols (ETH_P_*: "all", "ip", "arp", "ipv6", ...); NULL
 * for a number without a name (print the number). */
WHOSOCK_EXPORT const char *whosock_netlink_proto_name(int protocol);
WHOSOCK_EXPORT const char *whosock_eth_proto_name(int protocol);
WHOSOCK_EXPORT const char *whosock_state_name(enum whosock_proto proto, int state);

/* Parse a state name as accepted by whosock_state_name() (case-insensitive,
 * '-' and '_' alike; also "connected", "unconn", "syn-recv"). Returns the
 * state or -EINVAL. */
WHOSOCK_EXPORT int whosock_state_parse(const char *name);

/*
 * Escape text chosen by other users (process names, command lines, paths,
 * user names) before printing it, as whosock's table does:
 *   - valid, printable UTF-8 stays as it is;
 *   - a backslash becomes "\\";
 *   - control bytes (0x00-0x1f, 0x7f) and every byte that is not part of
 *     valid UTF-8 become "\xNN" (two lowercase hex digits);
 *   - C1 controls (U+0080-U+009F), U+2028, U+2029, bidi marks and overrides
 *     (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and U+FEFF become
 *     "\u{XXXX}".
 * The result holds no control byte and is valid UTF-8; the escapes undo to
 * the exact bytes. Writes the escaped src[0..len) into dst, at most cap - 1
 * bytes and a NUL (nothing when cap is 0; dst may then be NULL); when it does
 * not fit, it stops before the first escape or sequence that does not fit
 * whole. Returns the length of the whole escaped text, without the NUL: the
 * text was cut when that is >= cap. WHOSOCK_ESCAPE_TERM_MAX(len) bytes always
 * suffice. Never fails, never allocates.
 */
WHOSOCK_EXPORT size_t whosock_escape_term(char *dst, size_t cap, const char *src, size_t len);
#define WHOSOCK_ESCAPE_TERM_MAX(len) (4 * (size_t)(len) + 1)

/*
 * Filter expressions, in ss's syntax (ss(8) FILTER):
 *
 *     [state STATE | exclude STATE]... [EXPRESSION]
 *
 * EXPRESSION is made of conditions joined by "and" ("&", "&&"), "or" ("|",
 * "||"), "not" ("!") and parentheses; two conditions side by side are
 * joined by "and"; "and" and "or" bind equally, from left to right, as in
 * ss. Conditions: "src HOST", "dst HOST" (also "src = HOST", "src != HOST"),
 * "sport OP PORT", "dport OP PORT" with OP one of = == eq != ne neq < lt
 * > gt <= le leq >= ge geq (none: =), and "state STATE". HOST is ADDR,
 * ADDR/LEN, ADDR:PORT, ADDR/LEN:PORT, [ADDR], [ADDR/LEN]:PORT, :PORT or
 * *:PORT (IPv4 or IPv6; an IPv4 prefix also matches v4-mapped IPv6
 * addresses, as in the kernel); PORT a number, a service name from the
 * services database (tcp, else udp) or '*'. STATE is a state name
 * (whosock_state_parse()) or one of ss's groups: all, connected,
 * synchronized, bucket, big. Tokens are separated by blanks; parentheses
 * need none. Address and port conditions are false for sockets without
 * addresses (UNIX, packet, netlink, ...).
 */
struct whosock_expr;

/* Where and why text is not an expression. */
struct whosock_expr_error {
	size_t offset;     /* byte offset of the bad token in text */
	size_t length;     /* its length; 0 at the end of the text */
	char message[128]; /* why, in English, without the token's bytes */
};

/* Parse text (NUL-terminated, at most WHOSOCK_EXPR_MAX bytes). Returns 0
 * and *out (free with whosock_expr_free()), -EINVAL with *err filled (err
 * may be NULL), or -ENOMEM. An empty text is an expression that matches
 * everything. */
int whosock_expr_parse(const char *text, struct whosock_expr **out, struct whosock_expr_error *err);
#define WHOSOCK_EXPR_MAX 16384u

/* Accepts NULL. */
void whosock_expr_free(struct whosock_expr *e);

/* True when s matches the whole expression (its state clauses included). */
bool whosock_expr_match(const struct whosock_expr *e, const struct whosock_socket *s);

/* The states the leading state clauses allow (WHOSOCK_STATE_BIT()s), 0 when
 * there are none (every state). */
unsigned whosock_expr_states(const struct whosock_expr *e);

/* The expression (without its state clauses) as inet_diag bytecode
 * (INET_DIAG_REQ_BYTECODE): its length, with *code pointing into e (valid
 * until whosock_expr_free()); 0 when the expression has no such part
 * (matches every socket), -EOPNOTSUPP when it cannot be compiled ("state"
 * inside the expression, or longer than a netlink attribute holds). */
int whosock_expr_bytecode(const struct whosock_expr *e, const void **code);

/*
 * Destroy a socket, as `ss -K`: a SOCK_DESTROY request for its exact
 * addresses, ports, device and cookie, sent in its own network namespace
 * (entered by a short-lived thread, never the caller's). TCP sockets are
 * reset (the peer gets a RST), others closed with ECONNABORTED. s comes
 * from a snapshot (netns 0 or the caller's: the caller's namespace).
 * Returns 0, or -EPERM (needs CAP_NET_ADMIN), -EOPNOTSUPP (not an inet
 * socket, or a kernel without CONFIG_INET_DIAG_DESTROY for that protocol),
 * -ENOENT (gone meanwhile, or its namespace is no longer reachable), or
 * another negative errno.
 */
int whosock_socket_destroy(const struct whosock_socket *s);

/* Write the endpoint's address as text ("127.0.0.1", "::1", "::ffff:1.2.3.4")
 * into buf (at least 46 bytes). Returns buf. */
WHOSOCK_EXPORT char *whosock_addr_format(int family, const struct whosock_endpoint *ep, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
