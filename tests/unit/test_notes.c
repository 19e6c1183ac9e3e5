/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's notes are codes and numbers; src/notes.c words them: one
 * line per note, one line for many namespaces that could not be entered,
 * "... and N more notes" for those beyond the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "notes.h"
#include "snapshot.h"

static char lines[8][4096];
static size_t n_lines;

static void say(const char *prefix, const char *msg)
{
	assert_true(n_lines < 8);
	snprintf(lines[n_lines++], sizeof(lines[0]), "%s%s", prefix, msg);
}

static void print(const struct whosock_snapshot *snap)
{
	n_lines = 0;
	notes_print(snap, say);
}

static void test_codes_worded(void **state)
{
	struct whosock_snapshot *snap = snapshot_new();

	(void)state;
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_MALFORMED_LINES, .count = 1,
			      .path = "/proc/net/tcp"), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_OWNERS_HIDDEN, .count = 3), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_PROC_FALLBACK, .error = EPERM,
			      .proto = WHOSOCK_PROTO_UDP, .family = AF_INET6, .path = "/proc/net"), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_UNTRACED, .count = 2, .error = EPERM), 0);
	assert_int_equal(NOTE(snap, .code = 9999), 0);
	print(snap);
	assert_int_equal(n_lines, 5);
	assert_string_equal(lines[0], "note: /proc/net/tcp: 1 malformed line skipped");
	assert_non_null(strstr(lines[1], "owners not shown for 3 processes whose fd tables are not readable"));
	assert_string_equal(lines[2], "note: netlink refused the udp IPv6 dump (Operation not "
				      "permitted): read /proc/net instead");
	assert_non_null(strstr(lines[3], "2 held sockets were not traced"));
	assert_non_null(strstr(lines[3], "CAP_NET_ADMIN"));
	assert_non_null(strstr(lines[4], "note code 9999"));
	whosock_snapshot_free(snap);
}

/* The library's own wording: snprintf's contract, whatever the buffer. */
static void test_note_text_bounded(void **state)
{
	char path[2000], buf[64], *whole;
	struct whosock_note n = { .code = WHOSOCK_NOTE_MALFORMED_LINES, .count = 3, .path = path };
	size_t len;

	(void)state;
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	len = whosock_note_text(&n, NULL, 0);
	assert_true(len > sizeof(path));
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(whosock_note_text(&n, buf, sizeof(buf)), len);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	whole = malloc(len + 1);
	assert_non_null(whole);
	assert_int_equal(whosock_note_text(&n, whole, len + 1), len);
	assert_int_equal(strlen(whole), len);
	assert_non_null(strstr(whole, ": 3 malformed lines skipped"));
	free(whole);
	n = (struct whosock_note){ .code = WHOSOCK_NOTE_NO_MEMINFO, .path = "/proc" };
	whosock_note_text(&n, buf, sizeof(buf));
	assert_string_equal(buf, "socket memory (-m) comes only from netlink, not /proc/net");
	n = (struct whosock_note){ .code = WHOSOCK_NOTE_BPF_EVENTS_UNAVAILABLE, .error = EPERM };
	whosock_note_text(&n, path, sizeof(path));
	assert_non_null(strstr(path, "BPF socket events and byte counters not loaded (Operation not "
				     "permitted, needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN): "));
	n.error = ENOENT;
	whosock_note_text(&n, path, sizeof(path));
	assert_non_null(strstr(path, "no kernel BTF or no cgroup v2 mount?"));
	/* Traffic not counted: UDP says why BPF does not count it, TCP not. */
	n = (struct whosock_note){ .code = WHOSOCK_NOTE_TRAFFIC_UNCOUNTED, .count = 2,
				   .proto = WHOSOCK_PROTO_UDP };
	whosock_note_text(&n, path, sizeof(path));
	assert_string_equal(path, "2 udp sockets are not counted: nothing counts their bytes without "
				  "BPF (--no-bpf)");
	n.error = EOPNOTSUPP;
	whosock_note_text(&n, path, sizeof(path));
	assert_non_null(strstr(path, "(this whosock was built without BPF)"));
	n.error = EPERM;
	n.count = 1;
	whosock_note_text(&n, path, sizeof(path));
	assert_string_equal(path, "1 udp socket is not counted: nothing counts their bytes without "
				  "BPF (not loaded: Operation not permitted, needs CAP_BPF, "
				  "CAP_PERFMON and CAP_NET_ADMIN)");
	n = (struct whosock_note){ .code = WHOSOCK_NOTE_TRAFFIC_UNCOUNTED, .count = 3,
				   .proto = WHOSOCK_PROTO_TCP };
	whosock_note_text(&n, path, sizeof(path));
	assert_string_equal(path, "3 tcp sockets are not counted: no dump gave their counters yet");
	n.code = 9999; /* from a newer library */
	assert_true(whosock_note_text(&n, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "9999"));
}

/* Why the BPF owner pass was not used: the errno, and its usual causes in words. */
static void test_bpf_fallback(void **state)
{
	struct whosock_snapshot *snap = snapshot_new();

	(void)state;
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_BPF_OWNERS_FALLBACK, .error = EPERM), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_BPF_OWNERS_FALLBACK, .error = EOPNOTSUPP), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_BPF_OWNERS_FALLBACK, .error = EXDEV,
			      .pidns = 4026532500u), 0);
	assert_int_equal(NOTE(snap, .code = WHOSOCK_NOTE_BPF_OWNERS_FALLBACK, .error = ENOENT), 0);
	print(snap);
	assert_int_equal(n_lines, 4);
	assert_string_equal(lines[0], "note: BPF owner pass not used (Operation not permitted, needs "
				      "CAP_BPF and CAP_PERFMON): read /proc/PID/fd and /proc/PID/ns/net "
				      "instead");
	assert_non_null(strstr(lines[1], "built without BPF"));
	assert_non_null(strstr(lines[2], "not in the initial PID namespace: /proc shows PID namespace "
					 "4026532500"));
	assert_non_null(strstr(lines[3], "no kernel BTF"));
	whosock_snapshot_free(snap);
}

static void test_identical_kept_once(void **state)
{
	struct whosock_snapshot *snap = snapshot_new();
	char path[] = "/proc/1/net";

	(void)state;
	NOTE(snap, .code = WHOSOCK_NOTE_NO_TCP_INFO, .path = path);
	path[6] = '2'; /* the note keeps its own copy */
	NOTE(snap, .code = WHOSOCK_NOTE_NO_TCP_INFO, .path = "/proc/1/net");
	NOTE(snap, .code = WHOSOCK_NOTE_NO_TCP_INFO, .path = path);
	assert_int_equal(whosock_snapshot_note_count(snap), 2);
	assert_string_equal(whosock_snapshot_note(snap, 0)->path, "/proc/1/net");
	assert_null(whosock_snapshot_note(snap, 2));
	whosock_snapshot_free(snap);
}

/* 30 namespaces that cannot be entered are one line naming each. */
static void test_namespaces_grouped(void **state)
{
	struct whosock_snapshot *snap = snapshot_new();

	(void)state;
	for (uint64_t i = 0; i < 30; i++)
		NOTE(snap, .code = WHOSOCK_NOTE_NETNS_NOT_ENTERED, .error = EPERM, .netns = 4026532000 + i,
		     .netns_name = i == 7 ? "blue" : NULL);
	NOTE(snap, .code = WHOSOCK_NOTE_NETNS_NOT_ENTERED, .error = ENOENT, .netns = 5);
	print(snap);
	assert_int_equal(n_lines, 2);
	assert_non_null(strstr(lines[0], "30 network namespaces not listed: cannot enter them "
					 "(Operation not permitted, needs CAP_SYS_ADMIN): 4026532000, "));
	assert_non_null(strstr(lines[0], ", blue, "));
	assert_non_null(strstr(lines[0], ", 4026532029"));
	assert_non_null(strstr(lines[1], "network namespace 5 not listed"));
	whosock_snapshot_free(snap);
}

static void test_dropped_shown(void **state)
{
	struct whosock_snapshot *snap = snapshot_new(), *other = snapshot_new();

	(void)state;
	for (unsigned i = 0; i < SNAPSHOT_MAX_NOTES + 5; i++)
		NOTE(snap, .code = WHOSOCK_NOTE_MALFORMED_LINES, .count = i + 1, .path = "x");
	assert_int_equal(whosock_snapshot_note_count(snap), SNAPSHOT_MAX_NOTES + 1);
	assert_int_equal(whosock_snapshot_note(snap, SNAPSHOT_MAX_NOTES)->code, WHOSOCK_NOTE_DROPPED);
	assert_int_equal(whosock_snapshot_note(snap, SNAPSHOT_MAX_NOTES)->count, 5);
	/* Merged snapshots keep the count. */
	assert_int_equal(snapshot_merge(other, snap), 0);
	assert_int_equal(whosock_snapshot_note(other, SNAPSHOT_MAX_NOTES)->count, 5);
	n_lines = 0;
	{
		struct sbuf b = { 0 };

		notes_word(&b, whosock_snapshot_note(other, SNAPSHOT_MAX_NOTES));
		sbuf_putc(&b, '\0');
		assert_string_equal(b.data, "... and 5 more notes");
		sbuf_free(&b);
	}
	whosock_snapshot_free(snap);
	whosock_snapshot_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_worded),
		cmocka_unit_test(test_note_text_bounded),
		cmocka_unit_test(test_bpf_fallback),
		cmocka_unit_test(test_identical_kept_once),
		cmocka_unit_test(test_namespaces_grouped),
		cmocka_unit_test(test_dropped_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
