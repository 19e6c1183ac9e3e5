/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/summary.c (-s, --pids) and src/sort.c (--sort):
 * snapshots built by hand, the exact text expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "snapshot.h"
#include "sort.h"
#include "summary.h"

static struct whosock_snapshot *snap;

static const int fds_3[] = { 3 };
static const struct whosock_process p_web = {
	.pid = 300, .comm = "web", .container = { "docker", "4a6361282bd2aaaaaaaaaaaa", NULL }
};
static const struct whosock_process p_db = { .pid = 20, .comm = "db" };
static const struct whosock_process p_side = {
	.pid = 301, .comm = "side", .container = { "docker", "4a6361282bd2aaaaaaaaaaaa", NULL }
};
static const struct whosock_owner o_web_side[] = { { &p_web, 3, 0, 1, fds_3 },
						   { &p_side, 3, 0, 1, fds_3 } };
static const struct whosock_owner o_db[] = { { &p_db, 3, 0, 1, fds_3 } };
static const struct whosock_owner o_db_web[] = { { &p_db, 3, 0, 1, fds_3 },
						 { &p_web, 3, 0, 1, fds_3 } };

static void push(uint64_t netns, const char *name, int proto, int state, uint16_t port,
		 uint32_t rq, const struct whosock_owner *owners, uint32_t n_owners)
{
	struct whosock_socket s;

	memset(&s, 0, sizeof(s));
	s.netns = netns;
	s.netns_name = name;
	s.proto = (uint8_t)proto;
	s.family = AF_INET;
	s.state = (uint8_t)state;
	s.local.port = port;
	s.rqueue = rq;
	s.owners = owners;
	s.n_owners = n_owners;
	assert_int_equal(snapshot_push(snap, &s), 0);
}

/* Two namespaces, one container holding sockets in the second. */
static int setup(void **state)
{
	(void)state;
	snap = snapshot_new();
	if (!snap)
		return -1;
	push(100, NULL, WHOSOCK_PROTO_TCP, WHOSOCK_STATE_LISTEN, 22, 0, o_db, 1);
	push(100, NULL, WHOSOCK_PROTO_TCP, WHOSOCK_STATE_ESTABLISHED, 22, 5, o_db, 1);
	push(100, NULL, WHOSOCK_PROTO_UDP, WHOSOCK_STATE_CLOSE, 53, 0, NULL, 0);
	push(200, "blue", WHOSOCK_PROTO_TCP, WHOSOCK_STATE_LISTEN, 80, 0, o_web_side, 2);
	push(200, "blue", WHOSOCK_PROTO_TCP, WHOSOCK_STATE_ESTABLISHED, 80, 9, o_db_web, 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	whosock_snapshot_free(snap);
	snap = NULL;
	return 0;
}

static void render_is(struct cli *cli, const char *want)
{
	struct sbuf out = { 0 };
	bool same;
	int r = summary_render(&out, snap, cli);

	same = !out.failed && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
	if (!same)
		print_error("rendered:\n%.*s\nwanted:\n%s\n", (int)out.len, out.data ? out.data : "",
			    want);
	sbuf_free(&out);
	assert_int_equal(r, 0);
	assert_true(same);
}

static void test_summary_table(void **state)
{
	struct cli cli = { .format = OUTPUT_TABLE, .header = 1 };

	(void)state;
	/* The container counts a socket two of its processes hold once. */
	render_is(&cli, "Total: 5 sockets in 2 network namespaces, 1 container\n"
			"\n"
			"PROTO  TOTAL  STATES\n"
			"tcp    4      ESTABLISHED 2, LISTEN 2\n"
			"udp    1      UNCONN 1\n"
			"\n"
			"NETNS  PROTO  TOTAL  STATES\n"
			"100    tcp    2      ESTABLISHED 1, LISTEN 1\n"
			"100    udp    1      UNCONN 1\n"
			"blue   tcp    2      ESTABLISHED 1, LISTEN 1\n"
			"\n"
			"CONTAINER            PROTO  TOTAL  STATES\n"
			"docker:4a6361282bd2  tcp    2      ESTABLISHED 1, LISTEN 1\n");
}

static void test_summary_json(void **state)
{
	struct cli cli = { .format = OUTPUT_JSON, .header = 1 };

	(void)state;
	render_is(&cli,
		  "{\"total\":5,\"protos\":{\"tcp\":{\"total\":4,\"states\":{\"ESTABLISHED\":2,"
		  "\"LISTEN\":2}},\"udp\":{\"total\":1,\"states\":{\"UNCONN\":1}}},\"netns\":[\n"
		  "{\"netns\":100,\"netns_name\":null,\"total\":3,\"protos\":{\"tcp\":{\"total\":2,"
		  "\"states\":{\"ESTABLISHED\":1,\"LISTEN\":1}},\"udp\":{\"total\":1,\"states\":"
		  "{\"UNCONN\":1}}}},\n"
		  "{\"netns\":200,\"netns_name\":\"blue\",\"total\":2,\"protos\":{\"tcp\":{\"total\":2,"
		  "\"states\":{\"ESTABLISHED\":1,\"LISTEN\":1}}}}],\"containers\":[\n"
		  "{\"runtime\":\"docker\",\"id\":\"4a6361282bd2aaaaaaaaaaaa\",\"pod_uid\":null,"
		  "\"total\":2,\"protos\":{\"tcp\":{\"total\":2,\"states\":{\"ESTABLISHED\":1,"
		  "\"LISTEN\":1}}}}]}\n");
}

static void test_summary_empty(void **state)
{
	struct cli cli = { .format = OUTPUT_TABLE, .header = 1 };

	(void)state;
	snapshot_truncate(snap, 0);
	render_is(&cli, "Total: 0 sockets in 0 network namespaces, 0 containers\n");
	cli.format = OUTPUT_JSON;
	render_is(&cli, "{\"total\":0,\"protos\":{},\"netns\":[],\"containers\":[]}\n");
}

static void test_pids(void **state)
{
	struct sbuf out = { 0 };

	(void)state;
	assert_int_equal(pids_render(&out, snap), 3);
	assert_int_equal(out.len, strlen("20\n300\n301\n"));
	assert_memory_equal(out.data, "20\n300\n301\n", out.len);
	sbuf_free(&out);
	snapshot_truncate(snap, 0);
	assert_int_equal(pids_render(&out, snap), 0);
	assert_int_equal(out.len, 0);
	sbuf_free(&out);
}

/* The ports of the rows in the order --sort gives. */
static const char *sorted_ports(struct cli *cli)
{
	static char buf[128];
	const struct whosock_socket **rows;
	size_t len = 0;

	assert_int_equal(sort_rows(snap, NULL, whosock_snapshot_count(snap), cli, &rows), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u", i ? " " : "",
					rows[i]->local.port);
	free(rows);
	return buf;
}

static void test_sort(void **state)
{
	struct cli cli = { .n_sort = 1, .sort = { SORT_PORT } };

	(void)state;
	/* Stable: equal keys keep the snapshot's order. */
	assert_string_equal(sorted_ports(&cli), "22 22 53 80 80");
	cli.sort[0] = SORT_QUEUES;
	assert_string_equal(sorted_ports(&cli), "80 22 22 53 80");
	cli.sort[0] = SORT_PID; /* 20, 20, none, 300, 20: none last */
	assert_string_equal(sorted_ports(&cli), "22 22 80 80 53");
	cli.sort[0] = SORT_STATE;
	cli.sort[1] = SORT_PORT;
	cli.n_sort = 2;
	assert_string_equal(sorted_ports(&cli), "22 80 22 80 53");
	cli.n_sort = 0;
	assert_string_equal(sorted_ports(&cli), "22 22 53 80 80");
	snapshot_truncate(snap, 0);
	{
		const struct whosock_socket **rows = (void *)1;

		assert_int_equal(sort_rows(snap, NULL, whosock_snapshot_count(snap), &cli, &rows), 0);
		assert_null(rows);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_summary_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
