/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Traffic groups (lib/trafgroup.c) and the live view's model and units
 * (src/top_model.c), without a kernel: sockets and processes made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "top_model.h"
#include "trafgroup.h"

static struct whosock_process proc_a = { .pid = 42, .comm = "alpha", .uid_known = true, .uid = 1000,
					 .user = "alice" };
static struct whosock_process proc_b = { .pid = 43, .comm = "\x1b[31mevil", .uid_known = true,
					 .uid = 1000, .user = "alice",
					 .container = { .runtime = "docker", .id = "3f2a" } };

static struct whosock_socket sock(uint64_t netns, uint64_t cookie, uint16_t rport)
{
	struct whosock_socket s = { .netns = netns, .cookie = cookie, .proto = WHOSOCK_PROTO_TCP,
				    .family = AF_INET, .state = WHOSOCK_STATE_ESTABLISHED };

	s.remote.addr[0] = 127;
	s.remote.addr[3] = 1;
	s.remote.port = rport;
	return s;
}

static void add(struct tgroups *g, const struct whosock_socket *s, const struct whosock_process *p,
		uint64_t sent, uint64_t received, bool open, bool closed)
{
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		struct tgkey k;
		struct tgroup *t;

		tgkey_make(&k, (enum whosock_meter_by)by, s, p);
		t = tgroups_get(g, &k, s, p);
		assert_non_null(t);
		tgroup_add(t, s, sent, received, open, closed);
	}
}

static const struct whosock_meter_row *find_pid(struct whosock_meter_row *rows, long n, int pid)
{
	for (long i = 0; i < n; i++)
		if ((pid == 0 && !rows[i].process) || (rows[i].process && rows[i].process->pid == pid))
			return &rows[i];
	return NULL;
}

static void test_groups(void **state)
{
	struct tgroups g = { 0 };
	struct whosock_socket s1 = sock(1, 10, 80), s2 = sock(1, 11, 80), s3 = sock(2, 12, 443);
	struct whosock_meter_row *rows;
	const struct whosock_meter_row *r;
	long n;

	(void)state;
	add(&g, &s1, &proc_a, 100, 10, true, false);
	add(&g, &s2, &proc_a, 50, 5, false, true);
	add(&g, &s3, &proc_b, 7, 0, true, false);
	add(&g, &s3, NULL, 3, 1, false, true); /* a close no dump saw: no process */

	n = tgroups_rows(&g, WHOSOCK_BY_PROCESS, &rows);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].process->pid, 42); /* most bytes first */
	r = find_pid(rows, n, 42);
	assert_int_equal(r->sent_bytes, 150);
	assert_int_equal(r->received_bytes, 15);
	assert_int_equal(r->connections, 1);
	assert_int_equal(r->closed, 1);
	assert_int_equal(r->netns, 1);
	assert_string_equal(r->process->comm, "alpha");
	r = find_pid(rows, n, 0);
	assert_non_null(r);
	assert_int_equal(r->sent_bytes, 3);
	free(rows);

	n = tgroups_rows(&g, WHOSOCK_BY_USER, &rows);
	assert_int_equal(n, 2); /* uid 1000, and the unknown */
	assert_true(rows[0].uid_known);
	assert_int_equal(rows[0].uid, 1000);
	assert_string_equal(rows[0].user, "alice");
	assert_int_equal(rows[0].sent_bytes, 157);
	assert_int_equal(rows[0].netns, 0); /* sockets in two namespaces */
	assert_false(rows[1].uid_known);
	free(rows);

	n = tgroups_rows(&g, WHOSOCK_BY_REMOTE, &rows);
	assert_int_equal(n, 2); /* (1, :80) and (2, :443) */
	assert_int_equal(rows[0].remote.port, 80);
	assert_int_equal(rows[0].sent_bytes, 150);
	free(rows);

	n = tgroups_rows(&g, WHOSOCK_BY_CONTAINER, &rows);
	assert_int_equal(n, 3); /* the host, docker:3f2a, no process */
	free(rows);

	n = tgroups_rows(&g, WHOSOCK_BY_CONNECTION, &rows);
	assert_int_equal(n, 3);
	for (long i = 0; i < n; i++)
		assert_non_null(rows[i].socket);
	free(rows);

	/* Next interval: only s1 moves; totals go on, the rest is forgotten. */
	tgroups_next(&g);
	add(&g, &s1, &proc_a, 1, 0, true, false);
	tgroups_sweep(&g);
	n = tgroups_rows(&g, WHOSOCK_BY_PROCESS, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].sent_bytes, 1);
	assert_int_equal(rows[0].sent_total, 151);
	assert_int_equal(rows[0].received_total, 15);
	free(rows);
	n = tgroups_rows(&g, WHOSOCK_BY_NETNS, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].netns, 1);
	free(rows);
	tgroups_free(&g);
	tgroups_free(&g); /* twice: harmless */
}

static void test_human(void **state)
{
	char b[16];

	(void)state;
	top_human(b, sizeof(b), 0, false);
	assert_string_equal(b, "0");
	top_human(b, sizeof(b), 1000, false);
	assert_string_equal(b, "1000");
	top_human(b, sizeof(b), 1024 * 1024 + 100 * 1024, false);
	assert_string_equal(b, "1.1M");
	top_human(b, sizeof(b), 1000, true); /* 8000 bits */
	assert_string_equal(b, "8.0K");
	top_human(b, sizeof(b), 50ull << 30, false);
	assert_string_equal(b, "50G");
	top_human(b, sizeof(b), UINT64_MAX, false);
	assert_true(strlen(b) <= 6);
}

static void test_model_columns(void **state)
{
	(void)state;
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		size_t n, width = 0;
		const struct top_col *c = top_columns(by, &n);

		assert_true(n > TOP_NUM_COLS && n <= TOP_MAX_COLS);
		assert_string_equal(c[0].name, "SENT/s");
		/* At 80 columns the sort mark still fits the numbers. */
		for (size_t i = 0; i < TOP_NUM_COLS; i++)
			assert_true(strlen(c[i].name) < (size_t)c[i].width);
		/* The numbers and the two columns after them fit 80 columns
		 * (the rest is cut where it does not). */
		for (size_t i = 0; i < TOP_NUM_COLS + 2 && i + 1 < n; i++)
			width += (size_t)c[i].width + 1;
		assert_true(width < 80);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_model_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
