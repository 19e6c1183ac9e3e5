/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Notes in words: a plain English sentence for each code, for callers that
 * do not word them themselves. Strings inside (paths, namespace names) are
 * as the kernel gave them: escape before printing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "whosock/whosock.h"

/* snprintf's contract over a caller's buffer: len counts every byte,
 * written or not. */
struct text {
	char *buf;
	size_t cap, len;
};

static void text_put(struct text *b, const char *s, size_t n)
{
	if (b->len < b->cap) {
		size_t room = b->cap - 1 - b->len;

		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

static void text_puts(struct text *b, const char *s)
{
	text_put(b, s, strlen(s));
}

static void text_putc(struct text *b, char c)
{
	text_put(b, &c, 1);
}

static void text_u64(struct text *b, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	text_puts(b, num);
}

static const char *family_text(int family)
{
	switch (family) {
	case AF_INET:
		return "IPv4 ";
	case AF_INET6:
		return "IPv6 ";
	case AF_UNSPEC:
		return "IPv4 and IPv6 ";
	default:
		return "";
	}
}

static void plural(struct text *b, uint64_t n, const char *one, const char *many)
{
	text_u64(b, n);
	text_putc(b, ' ');
	text_puts(b, n == 1 ? one : many);
}

static void error_text(struct text *b, int error)
{
	text_puts(b, strerror(error));
	if (error == EPERM || error == EACCES)
		text_puts(b, ", needs CAP_SYS_ADMIN");
}

static void kind(struct text *b, const struct whosock_note *n)
{
	text_puts(b, whosock_proto_name(n->proto));
	text_putc(b, ' ');
	text_puts(b, family_text(n->family));
	text_puts(b, "sockets");
}

static void netns_label(struct text *b, const struct whosock_note *n)
{
	if (n->netns_name)
		text_puts(b, n->netns_name);
	else
		text_u64(b, n->netns);
}

/* Why the watcher's BPF socket events and byte counters did not load. */
static void bpf_events_why(struct text *b, int error)
{
	text_puts(b, strerror(error));
	if (error == EPERM || error == EACCES)
		text_puts(b, ", needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
	else if (error == ENOENT)
		text_puts(b, ": no kernel BTF or no cgroup v2 mount?");
}

static void word(struct text *b, const struct whosock_note *n)
{
	switch (n->code) {
	case WHOSOCK_NOTE_NETLINK_UNAVAILABLE:
		text_puts(b, "netlink sock_diag unavailable (");
		text_puts(b, strerror(n->error));
		text_puts(b, "): read ");
		text_puts(b, n->path ? n->path : "/proc");
		text_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_PROC_FALLBACK:
		text_puts(b, "netlink refused the ");
		text_puts(b, whosock_proto_name(n->proto));
		text_putc(b, ' ');
		text_puts(b, family_text(n->family));
		text_puts(b, "dump (");
		text_puts(b, strerror(n->error));
		text_puts(b, "): read ");
		text_puts(b, n->path ? n->path : "/proc");
		text_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_NOT_LISTED:
		kind(b, n);
		text_puts(b, " not listed: netlink: ");
		text_puts(b, n->error ? strerror(n->error) : "not used");
		if (n->path) {
			text_puts(b, "; ");
			text_puts(b, n->path);
			text_puts(b, ": ");
			text_puts(b, strerror(n->error2));
		} else {
			text_puts(b, " (--source auto would read /proc/net)");
		}
		break;
	case WHOSOCK_NOTE_FILE_TOO_LARGE:
		text_puts(b, n->path ? n->path : "a /proc file");
		text_puts(b, ": larger than ");
		text_u64(b, n->count);
		text_puts(b, " MiB, the rest was skipped");
		break;
	case WHOSOCK_NOTE_MALFORMED_LINES:
		text_puts(b, n->path ? n->path : "a /proc file");
		text_puts(b, ": ");
		plural(b, n->count, "malformed line", "malformed lines");
		text_puts(b, " skipped");
		break;
	case WHOSOCK_NOTE_MALFORMED_MESSAGES:
		text_puts(b, "netlink ");
		text_puts(b, whosock_proto_name(n->proto));
		text_puts(b, " dump: ");
		plural(b, n->count, "malformed message", "malformed messages");
		text_puts(b, " skipped");
		break;
	case WHOSOCK_NOTE_OWNERS_HIDDEN:
		text_puts(b, "owners not shown for ");
		plural(b, n->count, "process whose fd table is", "processes whose fd tables are");
		text_puts(b, " not readable (other users' or not dumpable): run as root, or grant "
			     "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
		break;
	case WHOSOCK_NOTE_OWNERS_REFUSED:
		text_puts(b, "owners not shown for ");
		plural(b, n->count, "process", "processes");
		text_puts(b, n->count == 1 ? ": the kernel refused access to its fd table"
					   : ": the kernel refused access to their fd tables");
		text_puts(b, " even with CAP_SYS_PTRACE (a security module?)");
		break;
	case WHOSOCK_NOTE_NETNS_NOT_ENTERED:
		text_puts(b, "network namespace ");
		netns_label(b, n);
		text_puts(b, " not listed: cannot enter it (");
		error_text(b, n->error);
		text_putc(b, ')');
		break;
	case WHOSOCK_NOTE_NETNS_READ_PROC:
		text_puts(b, "network namespace ");
		netns_label(b, n);
		text_puts(b, ": cannot enter it (");
		error_text(b, n->error);
		text_puts(b, "): read ");
		text_puts(b, n->path ? n->path : "/proc/PID/net");
		text_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_UNTRACED:
		plural(b, n->count, "held socket was", "held sockets were");
		text_puts(b, " not traced to their network namespace");
		if (!n->error) {
			text_puts(b, " (too many)");
		} else {
			text_puts(b, ": ");
			text_puts(b, strerror(n->error));
			if (n->error == EPERM)
				text_puts(b, " (SIOCGSKNS needs CAP_NET_ADMIN): namespaces that only "
					     "held sockets keep alive are left out");
		}
		break;
	case WHOSOCK_NOTE_TRAFFIC_UNCOUNTED:
		text_u64(b, n->count);
		text_puts(b, " ");
		text_puts(b, whosock_proto_name((enum whosock_proto)n->proto));
		text_puts(b, n->count == 1 ? " socket is" : " sockets are");
		if (n->proto == WHOSOCK_PROTO_TCP) {
			/* Seen only in the kernel's events, or in a state
			 * without tcp_info. */
			text_puts(b, " not counted: no dump gave their counters yet");
			break;
		}
		text_puts(b, " not counted: nothing counts their bytes without BPF (");
		if (!n->error) {
			text_puts(b, "--no-bpf");
		} else if (n->error == EOPNOTSUPP) {
			text_puts(b, "this whosock was built without BPF");
		} else {
			text_puts(b, "not loaded: ");
			bpf_events_why(b, n->error);
		}
		text_putc(b, ')');
		break;
	case WHOSOCK_NOTE_TRAFFIC_NO_OWNER:
		text_u64(b, n->count);
		text_puts(b, n->count == 1 ? " socket" : " sockets");
		text_puts(b, " closed before whosock saw who held them: their bytes count without "
			     "a process");
		break;
	case WHOSOCK_NOTE_NO_MEMINFO:
		text_puts(b, "socket memory (-m) comes only from netlink, not ");
		text_puts(b, n->path ? n->path : "/proc");
		text_puts(b, "/net");
		break;
	case WHOSOCK_NOTE_NO_TCP_INFO:
		text_puts(b, "TCP details (rtt, bytes) come only from netlink, not ");
		text_puts(b, n->path ? n->path : "/proc");
		text_puts(b, "/net");
		break;
	case WHOSOCK_NOTE_NETNS_NOT_FOUND:
		text_puts(b, "network namespace ");
		text_u64(b, n->netns);
		text_puts(b, " not found: no process lives in it, and no bind mount, open fd or "
			     "socket whosock could read holds it");
		break;
	case WHOSOCK_NOTE_OWNERS_UNREAD:
		text_puts(b, "owners may be missing: ");
		plural(b, n->count, "process was", "processes were");
		text_puts(b, " not read (");
		text_puts(b, strerror(n->error));
		text_putc(b, ')');
		break;
	case WHOSOCK_NOTE_OUTSIDE_PIDNS:
		text_puts(b, "no owner shown for ");
		plural(b, n->count, "socket", "sockets");
		text_puts(b, ": ");
		text_puts(b, n->path ? n->path : "/proc");
		text_puts(b, " shows only the processes of PID namespace ");
		text_u64(b, n->pidns);
		text_puts(b, n->count == 1 ? ", and none of them holds it" : ", and none of them holds them");
		text_puts(b, " (run whosock in the initial PID namespace to see holders outside it)");
		break;
	case WHOSOCK_NOTE_NETNS_NO_PROCESS:
		text_puts(b, "network namespace ");
		netns_label(b, n);
		text_puts(b, " not dumped: no process lives in it, so it has no /proc/PID/net to read "
			     "(--source proc; netlink, the default, lists it); only the sockets processes "
			     "hold there are shown");
		break;
	case WHOSOCK_NOTE_BPF_OWNERS_FALLBACK:
		text_puts(b, "BPF owner pass not used (");
		if (n->error == EOPNOTSUPP) {
			text_puts(b, "this whosock was built without BPF");
		} else if (n->error == EXDEV) {
			text_puts(b, "not in the initial PID namespace");
			if (n->pidns) {
				text_puts(b, ": /proc shows PID namespace ");
				text_u64(b, n->pidns);
			}
		} else {
			text_puts(b, strerror(n->error));
			if (n->error == EPERM || n->error == EACCES)
				text_puts(b, ", needs CAP_BPF and CAP_PERFMON");
			else if (n->error == ENOENT)
				text_puts(b, ": no kernel BTF (/sys/kernel/btf/vmlinux)?");
		}
		text_puts(b, "): read /proc/PID/fd and /proc/PID/ns/net instead");
		break;
	case WHOSOCK_NOTE_BPF_EVENTS_UNAVAILABLE:
		text_puts(b, "BPF socket events and byte counters not loaded (");
		bpf_events_why(b, n->error);
		text_puts(b, "): opens and closes are seen at the dumps only (connections "
			     "shorter than the interval are missed), owners come from /proc, "
			     "UDP sockets have no traffic");
		break;
	case WHOSOCK_NOTE_DROPPED:
		text_puts(b, "... and ");
		plural(b, n->count, "more note", "more notes");
		break;
	default:
		text_puts(b, "something was not seen (note code ");
		text_u64(b, (uint64_t)n->code);
		text_puts(b, " of a newer libwhosock)");
		break;
	}
}

size_t whosock_note_text(const struct whosock_note *n, char *buf, size_t cap)
{
	struct text b = { .buf = buf, .cap = cap };

	word(&b, n);
	if (cap)
		buf[b.len < cap ? b.len : cap - 1] = '\0';
	return b.len;
}
