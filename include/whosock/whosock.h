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
 */
#ifndef WHOSOCK_WHOSOCK_H
#define WHOSOCK_WHOSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WHOSOCK_VERSION "0.1.0"

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
	WHOSOCK_PROTO_COUNT
};

/* Bit of a protocol in whosock_filter.protos. */
#define WHOSOCK_PROTO_BIT(p) (1u << (p))
#define WHOSOCK_PROTOS_INET                                                      \
	(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) | \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW))
#define WHOSOCK_PROTOS_ALL (WHOSOCK_PROTOS_INET | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX))

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
	WHOSOCK_STATE_MAX
};
#define WHOSOCK_STATE_BIT(s) (1u << (s))
#define WHOSOCK_STATES_ALL ((1u << WHOSOCK_STATE_MAX) - 2u)

/* Where a socket's record came from. */
enum whosock_source {
	WHOSOCK_SOURCE_AUTO = 0, /* options only: netlink, /proc where netlink is refused */
	WHOSOCK_SOURCE_NETLINK,
	WHOSOCK_SOURCE_PROC,
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
	WHOSOCK_KNOWN_CGROUP_ID = 1u << 9      /* inet: cgroup_id (Linux >= 5.7, netlink) */
};

struct whosock_tcp_info {
	uint32_t rtt_us;
	uint32_t retransmits; /* total retransmitted segments (tcpi_total_retrans) */
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint64_t bytes_sent;
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

/* One holder of a socket: a (pid, fd) pair. */
struct whosock_owner {
	const struct whosock_process *proc;
	int fd;
	int tid; /* the thread whose own fd table holds it; 0 for the process's table */
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
	uint32_t n_owners;        /* entries in owners */
	uint8_t proto;            /* enum whosock_proto */
	uint8_t family;           /* AF_INET, AF_INET6 or AF_UNIX */
	uint8_t type;             /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET or SOCK_RAW */
	uint8_t state;            /* enum whosock_state */
	uint8_t source;           /* enum whosock_source */
	bool v6only;              /* inet6: IPV6_V6ONLY (no IPv4 through a :: socket) */
	struct whosock_tcp_info tcp;
	/* Every (pid, fd) holding this socket, sorted by pid then fd; none when
	 * no holder is visible (or owners were not collected). */
	const struct whosock_owner *owners;
	/* UNIX: the connected peer when it is in this snapshot, else NULL. */
	const struct whosock_socket *peer;
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
};

/* Bits of whosock_options.want: what to collect beyond the sockets. */
enum {
	WHOSOCK_WANT_OWNERS = 1u << 0,   /* pid, fd, comm of every holder */
	WHOSOCK_WANT_PROCESS = 1u << 1,  /* also cmdline, uid, user, cgroup */
	WHOSOCK_WANT_TCP_INFO = 1u << 2, /* struct whosock_tcp_info (netlink only) */
	WHOSOCK_WANT_ALL = 7u,
};

struct whosock_options {
	const char *proc_root;       /* default "/proc" */
	enum whosock_source source;  /* default WHOSOCK_SOURCE_AUTO */
	struct whosock_filter filter;
	unsigned want;               /* WHOSOCK_WANT_* */
	bool host_only;              /* only the caller's network namespace */
};

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
int whosock_snapshot_take(const struct whosock_options *opt, struct whosock_snapshot **out);

/* Frees the snapshot and everything it owns. Accepts NULL. */
void whosock_snapshot_free(struct whosock_snapshot *snap);

/* Number of sockets in the snapshot. */
size_t whosock_snapshot_count(const struct whosock_snapshot *snap);

/* The i-th socket (i < whosock_snapshot_count()), owned by the snapshot. */
const struct whosock_socket *whosock_snapshot_get(const struct whosock_snapshot *snap, size_t i);

/* Human-readable notes about what could not be seen and why (a fallback to
 * /proc, a refused request), i < whosock_snapshot_note_count(). Owned by the
 * snapshot. */
size_t whosock_snapshot_note_count(const struct whosock_snapshot *snap);
const char *whosock_snapshot_note(const struct whosock_snapshot *snap, size_t i);

/* True when the socket matches the socket members of f (protos, families,
 * states, ports, locals, netns); the owner members are applied while
 * collecting. */
bool whosock_filter_match(const struct whosock_filter *f, const struct whosock_socket *s);

/* The owner members of a filter made ready to match processes, for callers
 * that get sockets and owners elsewhere (a watcher's events): the command
 * line patterns are compiled once. f and its lists must outlive the result.
 * Returns 0 and *out, -EINVAL when a command line pattern is not a valid
 * extended regex, or -ENOMEM. */
struct whosock_process_filter;
int whosock_process_filter_new(const struct whosock_filter *f, struct whosock_process_filter **out);

/* True when p matches every owner member that is set (pids, uids, comms,
 * cmdlines, containers): a member the process does not show (an unknown uid,
 * an unreadable command line, no container) does not match. */
bool whosock_filter_match_process(const struct whosock_process_filter *pf,
				  const struct whosock_process *p);

/* True when no owner member is set, or one of the socket's owners matches. */
bool whosock_filter_match_owners(const struct whosock_process_filter *pf,
				 const struct whosock_socket *s);

/* Accepts NULL. */
void whosock_process_filter_free(struct whosock_process_filter *pf);

/* The process that id (a process or a thread id) belongs to, from
 * proc_root (NULL: "/proc"): 0 and *pid (the thread group id), or -ESRCH
 * when there is no such process or thread, or another negative errno. */
int whosock_pid_resolve(const char *proc_root, int id, int *pid);

/* Processes whose sockets could not be seen (their fd tables were not
 * readable: another user's, without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH). */
size_t whosock_snapshot_hidden_processes(const struct whosock_snapshot *snap);

/* Resolve a namespace as a user names it: an `ip netns` name, an inode
 * number, or "pid:PID" (the namespace that process lives in). Returns 0 and
 * *inode, or -ENOENT (no such name or process), -EACCES, -EINVAL. */
int whosock_netns_resolve(const char *spec, uint64_t *inode);

/* Static names: "tcp"/"udp"/...; "LISTEN"/"ESTABLISHED"/... as the JSON
 * contract spells them for that protocol ("UNCONN" for unconnected UDP, RAW and
 * UNIX, "CONNECTED" for connected UNIX). Unknown values give "UNKNOWN". */
const char *whosock_proto_name(enum whosock_proto proto);
const char *whosock_state_name(enum whosock_proto proto, int state);

/* Parse a state name as accepted by whosock_state_name() (case-insensitive,
 * '-' and '_' alike; also "connected", "unconn", "syn-recv"). Returns the
 * state or -EINVAL. */
int whosock_state_parse(const char *name);

/* Write the endpoint's address as text ("127.0.0.1", "::1", "::ffff:1.2.3.4")
 * into buf (at least 46 bytes). Returns buf. */
char *whosock_addr_format(int family, const struct whosock_endpoint *ep, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
