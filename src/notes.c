/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's notes as the command says them: one sentence per note
 * (whosock_note_text()), and notes that differ only in their namespace said
 * once, naming every namespace. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "notes.h"

/* At most this many namespaces are named in one grouped line. */
#define NOTES_MAX_NAMED 64

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

static void netns_label(struct sbuf *b, const struct whosock_note *n)
{
	if (n->netns_name)
		sbuf_puts(b, n->netns_name);
	else
		sbuf_u64(b, n->netns);
}

void notes_word(struct sbuf *b, const struct whosock_note *n)
{
	char small[512];
	size_t len = whosock_note_text(n, small, sizeof(small));
	char *big;

	if (len < sizeof(small)) {
		sbuf_add(b, small, len);
		return;
	}
	/* A long path in it: the whole sentence, in a buffer of its size. */
	if (!sbuf_reserve(b, len + 1))
		return;
	big = b->data + b->len;
	b->len += whosock_note_text(n, big, len + 1);
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
