/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sentences of the library's notes: the library says what (a code and
 * numbers), the command says it in words. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "notes.h"

/* At most this many namespaces are named in one grouped line. */
#define NOTES_MAX_NAMED 64

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

static void plural(struct sbuf *b, uint64_t n, const char *one, const char *many)
{
	sbuf_u64(b, n);
	sbuf_putc(b, ' ');
	sbuf_puts(b, n == 1 ? one : many);
}

static void error_text(struct sbuf *b, int error)
{
	sbuf_puts(b, strerror(error));
	if (error == EPERM || error == EACCES)
		sbuf_puts(b, ", needs CAP_SYS_ADMIN");
}

static void kind(struct sbuf *b, const struct whosock_note *n)
{
	sbuf_puts(b, whosock_proto_name(n->proto));
	sbuf_putc(b, ' ');
	sbuf_puts(b, family_text(n->family));
	sbuf_puts(b, "sockets");
}

static void netns_label(struct sbuf *b, const struct whosock_note *n)
{
	if (n->netns_name)
		sbuf_puts(b, n->netns_name);
	else
		sbuf_u64(b, n->netns);
}

void notes_word(struct sbuf *b, const struct whosock_note *n)
{
	switch (n->code) {
	case WHOSOCK_NOTE_NETLINK_UNAVAILABLE:
		sbuf_puts(b, "netlink sock_diag unavailable (");
		sbuf_puts(b, strerror(n->error));
		sbuf_puts(b, "): read ");
		sbuf_puts(b, n->path ? n->path : "/proc");
		sbuf_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_PROC_FALLBACK:
		sbuf_puts(b, "netlink refused the ");
		sbuf_puts(b, whosock_proto_name(n->proto));
		sbuf_putc(b, ' ');
		sbuf_puts(b, family_text(n->family));
		sbuf_puts(b, "dump (");
		sbuf_puts(b, strerror(n->error));
		sbuf_puts(b, "): read ");
		sbuf_puts(b, n->path ? n->path : "/proc");
		sbuf_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_NOT_LISTED:
		kind(b, n);
		sbuf_puts(b, " not listed: netlink: ");
		sbuf_puts(b, n->error ? strerror(n->error) : "not used");
		if (n->path) {
			sbuf_puts(b, "; ");
			sbuf_puts(b, n->path);
			sbuf_puts(b, ": ");
			sbuf_puts(b, strerror(n->error2));
		} else {
			sbuf_puts(b, " (--source auto would read /proc/net)");
		}
		break;
	case WHOSOCK_NOTE_FILE_TOO_LARGE:
		sbuf_puts(b, n->path ? n->path : "a /proc file");
		sbuf_puts(b, ": larger than ");
		sbuf_u64(b, n->count);
		sbuf_puts(b, " MiB, the rest was skipped");
		break;
	case WHOSOCK_NOTE_MALFORMED_LINES:
		sbuf_puts(b, n->path ? n->path : "a /proc file");
		sbuf_puts(b, ": ");
		plural(b, n->count, "malformed line", "malformed lines");
		sbuf_puts(b, " skipped");
		break;
	case WHOSOCK_NOTE_MALFORMED_MESSAGES:
		sbuf_puts(b, "netlink ");
		sbuf_puts(b, whosock_proto_name(n->proto));
		sbuf_puts(b, " dump: ");
		plural(b, n->count, "malformed message", "malformed messages");
		sbuf_puts(b, " skipped");
		break;
	case WHOSOCK_NOTE_OWNERS_HIDDEN:
		sbuf_puts(b, "owners not shown for ");
		plural(b, n->count, "process whose fd table is", "processes whose fd tables are");
		sbuf_puts(b, " not readable (other users' or not dumpable): run as root, or grant "
			     "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
		break;
	case WHOSOCK_NOTE_OWNERS_REFUSED:
		sbuf_puts(b, "owners not shown for ");
		plural(b, n->count, "process", "processes");
		sbuf_puts(b, n->count == 1 ? ": the kernel refused access to its fd table"
					   : ": the kernel refused access to their fd tables");
		sbuf_puts(b, " even with CAP_SYS_PTRACE (a security module?)");
		break;
	case WHOSOCK_NOTE_NETNS_NOT_ENTERED:
		sbuf_puts(b, "network namespace ");
		netns_label(b, n);
		sbuf_puts(b, " not listed: cannot enter it (");
		error_text(b, n->error);
		sbuf_putc(b, ')');
		break;
	case WHOSOCK_NOTE_NETNS_READ_PROC:
		sbuf_puts(b, "network namespace ");
		netns_label(b, n);
		sbuf_puts(b, ": cannot enter it (");
		error_text(b, n->error);
		sbuf_puts(b, "): read ");
		sbuf_puts(b, n->path ? n->path : "/proc/PID/net");
		sbuf_puts(b, " instead");
		break;
	case WHOSOCK_NOTE_UNTRACED:
		plural(b, n->count, "held socket was", "held sockets were");
		sbuf_puts(b, " not traced to their network namespace");
		if (!n->error) {
			sbuf_puts(b, " (too many)");
		} else {
			sbuf_puts(b, ": ");
			sbuf_puts(b, strerror(n->error));
			if (n->error == EPERM)
				sbuf_puts(b, " (SIOCGSKNS needs CAP_NET_ADMIN): namespaces that only "
					     "held sockets keep alive are left out");
		}
		break;
	case WHOSOCK_NOTE_NO_TCP_INFO:
		sbuf_puts(b, "TCP details (rtt, bytes) come only from netlink, not ");
		sbuf_puts(b, n->path ? n->path : "/proc");
		sbuf_puts(b, "/net");
		break;
	case WHOSOCK_NOTE_NETNS_NOT_FOUND:
		sbuf_puts(b, "network namespace ");
		sbuf_u64(b, n->netns);
		sbuf_puts(b, " not found: no process lives in it, and no bind mount, open fd or "
			     "socket whosock could read holds it");
		break;
	case WHOSOCK_NOTE_OWNERS_UNREAD:
		sbuf_puts(b, "owners may be missing: ");
		plural(b, n->count, "process was", "processes were");
		sbuf_puts(b, " not read (");
		sbuf_puts(b, strerror(n->error));
		sbuf_putc(b, ')');
		break;
	case WHOSOCK_NOTE_OUTSIDE_PIDNS:
		sbuf_puts(b, "no owner shown for ");
		plural(b, n->count, "socket", "sockets");
		sbuf_puts(b, ": ");
		sbuf_puts(b, n->path ? n->path : "/proc");
		sbuf_puts(b, " shows only the processes of PID namespace ");
		sbuf_u64(b, n->pidns);
		sbuf_puts(b, n->count == 1 ? ", and none of them holds it" : ", and none of them holds them");
		sbuf_puts(b, " (run whosock in the initial PID namespace to see holders outside it)");
		break;
	case WHOSOCK_NOTE_NETNS_NO_PROCESS:
		sbuf_puts(b, "network namespace ");
		netns_label(b, n);
		sbuf_puts(b, " not dumped: no process lives in it, so it has no /proc/PID/net to read "
			     "(--source proc; netlink, the default, lists it); only the sockets processes "
			     "hold there are shown");
		break;
	case WHOSOCK_NOTE_BPF_OWNERS_FALLBACK:
		sbuf_puts(b, "BPF owner pass not used (");
		if (n->error == EOPNOTSUPP)
			sbuf_puts(b, "this whosock was built without BPF");
		else if (n->error == EXDEV) {
			sbuf_puts(b, "not in the initial PID namespace");
			if (n->pidns) {
				sbuf_puts(b, ": /proc shows PID namespace ");
				sbuf_u64(b, n->pidns);
			}
		} else {
			sbuf_puts(b, strerror(n->error));
			if (n->error == EPERM || n->error == EACCES)
				sbuf_puts(b, ", needs CAP_BPF and CAP_PERFMON");
			else if (n->error == ENOENT)
				sbuf_puts(b, ": no kernel BTF (/sys/kernel/btf/vmlinux)?");
		}
		sbuf_puts(b, "): read /proc/PID/fd and /proc/PID/ns/net instead");
		break;
	case WHOSOCK_NOTE_DROPPED:
		sbuf_puts(b, "... and ");
		plural(b, n->count, "more note", "more notes");
		break;
	default:
		sbuf_puts(b, "something was not seen (note code ");
		sbuf_u64(b, (uint64_t)n->code);
		sbuf_puts(b, " of a newer libwhosock)");
		break;
	}
}

/* Notes about one namespace each that are otherwise alike are said once. */
static bool groupable(const struct whosock_note *n)
{
	return n->code == WHOSOCK_NOTE_NETNS_NOT_ENTERED || n->code == WHOSOCK_NOTE_NETNS_NO_PROCESS;
}

static bool same_group(const struct whosock_note *a, const struct whosock_note *b)
{
	return a->code == b->code && a->error == b->error;
}

static void word_group(struct sbuf *b, const struct whosock_snapshot *snap, size_t first,
		       size_t count)
{
	const struct whosock_note *n = whosock_snapshot_note(snap, first);
	size_t named = 0;

	plural(b, count, "network namespace", "network namespaces");
	if (n->code == WHOSOCK_NOTE_NETNS_NO_PROCESS) {
		sbuf_puts(b, " not dumped: no process lives in them, so they have no /proc/PID/net to "
			     "read (--source proc; netlink, the default, lists them; only the sockets "
			     "processes hold there are shown): ");
	} else {
		sbuf_puts(b, " not listed: cannot enter them (");
		error_text(b, n->error);
		sbuf_puts(b, "): ");
	}
	for (size_t i = first; i < whosock_snapshot_note_count(snap); i++) {
		const struct whosock_note *m = whosock_snapshot_note(snap, i);

		if (!same_group(n, m))
			continue;
		if (named == NOTES_MAX_NAMED) {
			sbuf_puts(b, " and ");
			sbuf_u64(b, count - named);
			sbuf_puts(b, " more");
			break;
		}
		if (named++)
			sbuf_puts(b, ", ");
		netns_label(b, m);
	}
}

void notes_print(const struct whosock_snapshot *snap, void (*say)(const char *, const char *))
{
	size_t n = whosock_snapshot_note_count(snap);

	for (size_t i = 0; i < n; i++) {
		const struct whosock_note *note = whosock_snapshot_note(snap, i);
		struct sbuf b = { 0 };
		size_t alike = 1;
		bool seen = false;

		if (groupable(note)) {
			for (size_t j = 0; j < i && !seen; j++)
				seen = same_group(note, whosock_snapshot_note(snap, j));
			if (seen)
				continue;
			for (size_t j = i + 1; j < n; j++)
				alike += same_group(note, whosock_snapshot_note(snap, j));
		}
		if (alike > 1)
			word_group(&b, snap, i, alike);
		else
			notes_word(&b, note);
		sbuf_putc(&b, '\0');
		if (!b.failed)
			say("note: ", b.data);
		sbuf_free(&b);
	}
}
