/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock serve's pieces without HTTP: the metrics model and its rendering
 * (src/metrics.c), the web config file (src/webconfig.c), the edges of
 * /api/v1/deps grouped again (src/serveviews.c). */
#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "serveviews.h"
#include "webconfig.h"

static struct whosock_process procs[4];
static struct whosock_owner owners[4];

/* A listening TCP socket on 127.0.0.1:port in netns, held by procs[i]. */
static struct whosock_socket listener(uint64_t netns, int port, int i)
{
	struct whosock_socket s;
	static const int fds[] = { 3 };

	memset(&s, 0, sizeof(s));
	s.netns = netns;
	s.netns_name = "blue";
	s.cookie = (uint64_t)port * 7 + 1;
	s.inode = (uint64_t)port;
	s.proto = WHOSOCK_PROTO_TCP;
	s.family = AF_INET;
	s.state = WHOSOCK_STATE_LISTEN;
	s.local.port = port;
	s.local.addr[0] = 127;
	s.local.addr[3] = 1;
	owners[i].proc = &procs[i];
	owners[i].fd = 3;
	owners[i].n_fds = 1;
	owners[i].fds = fds;
	s.owners = &owners[i];
	s.n_owners = 1;
	return s;
}

static void event(struct metrics *m, const struct whosock_socket *s, enum whosock_event_type t)
{
	struct whosock_event ev = { .type = t, .socket = s, .seq = 1 };

	assert_int_equal(metrics_event(m, &ev), 0);
}

static char *render(struct metrics *m, bool om)
{
	struct sbuf b = { 0 };

	assert_int_equal(metrics_render(m, &b, om), 0);
	sbuf_putc(&b, '\0');
	assert_false(b.failed);
	return b.data;
}

static void test_live_set(void **state)
{
	struct metrics *m = NULL;
	struct whosock_socket a, b;
	char *text;

	(void)state;
	procs[0] = (struct whosock_process){ .pid = 42, .comm = "we\"ird\\\nname\xff", .user = "alice",
					     .uid_known = true, .uid = 1000,
					     .cmdline = "srv --password=hunter2" };
	procs[1] = (struct whosock_process){ .pid = 43, .comm = "other", .uid_known = true,
					     .uid = 1001 };
	assert_int_equal(metrics_new(100, &m), 0);
	a = listener(4026531840u, 8080, 0);
	b = listener(4026531840u, 9090, 1);
	event(m, &a, WHOSOCK_EVENT_OPENED);
	event(m, &a, WHOSOCK_EVENT_OPENED); /* seen twice: once in the set */
	event(m, &b, WHOSOCK_EVENT_OPENED);
	text = render(m, false);
	/* Escaped as the text format wants; the invalid byte as \xff. */
	assert_non_null(strstr(text, "whosock_listening_socket_info{netns=\"4026531840\","
				     "netns_name=\"blue\",proto=\"tcp\",addr=\"127.0.0.1\","
				     "port=\"8080\",comm=\"we\\\"ird\\\\\\nname\\\\xff\","
				     "user=\"alice\",container=\"\",pod=\"\"} 1\n"));
	/* No user name: the uid. */
	assert_non_null(strstr(text, "comm=\"other\",user=\"1001\""));
	assert_non_null(strstr(text, "whosock_listening_sockets 2\n"));
	assert_non_null(strstr(text, "# TYPE whosock_listening_socket_info gauge\n"));
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "pid="));
	assert_null(strstr(text, "# EOF"));
	assert_non_null(strstr(text, "whosock_watch_events_total{type=\"opened\"} 3\n"));
	free(text);
	event(m, &a, WHOSOCK_EVENT_CLOSED);
	text = render(m, true);
	assert_null(strstr(text, "port=\"8080\""));
	assert_non_null(strstr(text, "port=\"9090\""));
	assert_non_null(strstr(text, "# TYPE whosock_listening_socket info\n"));
	assert_non_null(strstr(text, "# TYPE whosock_watch_events counter\n"));
	assert_non_null(strstr(text, "whosock_watch_events_total{type=\"closed\"} 1\n"));
	assert_int_equal(strcmp(text + strlen(text) - 6, "# EOF\n"), 0);
	free(text);
	metrics_free(m);
}

static void test_overflow(void **state)
{
	struct metrics *m = NULL;
	struct whosock_socket s[5];
	char *text, *p;
	int n = 0;

	(void)state;
	procs[2] = (struct whosock_process){ .pid = 50, .comm = "many" };
	assert_int_equal(metrics_new(3, &m), 0);
	for (int i = 0; i < 5; i++) {
		s[i] = listener(1, 1000 + i, 2);
		event(m, &s[i], WHOSOCK_EVENT_OPENED);
	}
	text = render(m, false);
	for (p = text; (p = strstr(p, "\nwhosock_listening_socket_info{")); p++)
		n++;
	assert_int_equal(n, 3); /* two kept, one overflow */
	assert_non_null(strstr(text, "whosock_listening_socket_info{netns=\"__overflow__\","
				     "netns_name=\"__overflow__\",proto=\"__overflow__\","
				     "addr=\"__overflow__\",port=\"__overflow__\",comm=\"__overflow__\","
				     "user=\"__overflow__\",container=\"__overflow__\","
				     "pod=\"__overflow__\"} 1\n"));
	assert_non_null(strstr(text, "whosock_series_overflow{metric=\"whosock_listening_socket_info\"} 3\n"));
	/* The two kept are the first in label order. */
	assert_non_null(strstr(text, "port=\"1000\""));
	assert_non_null(strstr(text, "port=\"1001\""));
	assert_null(strstr(text, "port=\"1002\""));
	free(text);
	metrics_free(m);
}

/* A TCP edge from comm (uid 0, netns 1) to 10.0.0.<host>:port, its
 * server on this machine (comm "srv"). */
static struct whosock_edge edge(const char *comm, int host, int port, uint64_t conns)
{
	struct whosock_edge e;

	memset(&e, 0, sizeof(e));
	e.known = WHOSOCK_EDGE_KNOWN_PROCESS | WHOSOCK_EDGE_KNOWN_USER | WHOSOCK_EDGE_KNOWN_NETNS |
		  WHOSOCK_EDGE_KNOWN_CONTAINER | WHOSOCK_EDGE_KNOWN_BYTES | WHOSOCK_EDGE_KNOWN_SERVER;
	e.client.netns = 1;
	e.client.comm = comm;
	e.client.user = "root";
	e.server.proto = WHOSOCK_PROTO_TCP;
	e.server.family = AF_INET;
	e.server.addr.addr[0] = 10;
	e.server.addr.addr[3] = (uint8_t)host;
	e.server.addr.port = (uint16_t)port;
	e.server.netns = 1;
	e.server.comm = "srv";
	e.connections = conns;
	e.sent_bytes = 100 * conns;
	e.received_bytes = 10 * conns;
	e.first_seen.tv_sec = 1000 + (time_t)conns;
	e.last_seen.tv_sec = 2000 + (time_t)conns;
	return e;
}

/* The dependency counters keep their series as they came: a label set
 * sorting first, coming later, goes to __overflow__ and pushes no one out;
 * a cumulative value never goes back. */
static void test_dep_counters(void **state)
{
	struct metrics *m = NULL;
	struct whosock_edge v[3] = { edge("b", 1, 80, 2), edge("c", 1, 80, 1) };
	char *text;

	(void)state;
	assert_int_equal(metrics_new(3, &m), 0);
	assert_int_equal(metrics_deps(m, v, 2, 0), 0);
	v[0].connections = 3;
	v[1].connections = 0; /* never smaller than it was */
	v[2] = edge("a", 1, 80, 5);
	assert_int_equal(metrics_deps(m, v, 3, 7), 0);
	text = render(m, false);
	assert_non_null(strstr(text, "whosock_dependency_connections_total{client_comm=\"b\","
				     "client_container=\"\",proto=\"tcp\",server_addr=\"10.0.0.1\","
				     "server_port=\"80\",server_comm=\"srv\"} 3\n"));
	assert_non_null(strstr(text, "whosock_dependency_connections_total{client_comm=\"c\","
				     "client_container=\"\",proto=\"tcp\",server_addr=\"10.0.0.1\","
				     "server_port=\"80\",server_comm=\"srv\"} 1\n"));
	assert_null(strstr(text, "client_comm=\"a\""));
	assert_non_null(strstr(text, "whosock_dependency_connections_total{client_comm=\"__overflow__\","
				     "client_container=\"__overflow__\",proto=\"__overflow__\","
				     "server_addr=\"__overflow__\",server_port=\"__overflow__\","
				     "server_comm=\"__overflow__\"} 5\n"));
	assert_non_null(strstr(text, "whosock_dependency_sent_bytes_total{client_comm=\"b\","));
	assert_non_null(strstr(text, "whosock_series_overflow{metric=\"whosock_dependency_connections_total\"} 1\n"));
	assert_non_null(strstr(text, "whosock_dependency_edges_dropped 7\n"));
	assert_null(strstr(text, "whosock_traffic_sent_bytes_total")); /* no meter yet */
	free(text);
	text = render(m, true);
	assert_non_null(strstr(text, "# TYPE whosock_dependency_connections counter\n"));
	free(text);
	metrics_free(m);
}

static char *deps_json(const struct whosock_edge *v, size_t n, const struct cli *q)
{
	struct sbuf b = { 0 };
	char err[256];

	assert_int_equal(serveview_deps(&b, v, n, q, err, sizeof(err)), 0);
	sbuf_putc(&b, '\0');
	assert_false(b.failed);
	return b.data;
}

/* /api/v1/deps: by-process edges grouped again by user or namespace (the
 * client fields that grouping leaves out unset, the counts added), to a
 * service, from the clients the filter takes. */
static void test_deps_view(void **state)
{
	struct whosock_edge v[3] = { edge("a", 1, 80, 2), edge("b", 1, 80, 3), edge("a", 2, 443, 1) };
	static const char *const comms[] = { "b" };
	struct whosock_local svc = { .family = 0, .port = 443 }; /* :443 */
	struct cli q;
	char *text, err[256];

	(void)state;
	memset(&q, 0, sizeof(q));
	q.filter = (struct whosock_filter)WHOSOCK_FILTER_INIT;
	q.format = OUTPUT_JSON;
	q.deps_by = WHOSOCK_DEPS_BY_PROCESS;
	text = deps_json(v, 3, &q);
	assert_non_null(strstr(text, "\"comm\":\"a\""));
	assert_non_null(strstr(text, "\"connections\":3,"));
	free(text);
	q.deps_by = WHOSOCK_DEPS_BY_USER;
	text = deps_json(v, 3, &q);
	/* a and b to 10.0.0.1:80: one edge of root's, 5 connections; the
	 * first seen of the two, the last seen of the two. */
	assert_non_null(strstr(text, "{\"client\":{\"netns\":null,\"netns_name\":null,\"comm\":null,"
				     "\"user\":\"root\",\"uid\":0,\"container\":null,\"pids\":null},"
				     "\"server\":{\"proto\":\"tcp\",\"addr\":\"10.0.0.1\",\"port\":80,"));
	assert_non_null(strstr(text, "\"connections\":5,\"sent_bytes\":500,\"received_bytes\":50,"));
	assert_non_null(strstr(text, "\"connections\":1,"));
	assert_null(strstr(text, "\"connections\":2,"));
	free(text);
	q.deps_by = WHOSOCK_DEPS_BY_NETNS;
	q.services = &svc;
	q.n_services = 1;
	text = deps_json(v, 3, &q);
	assert_null(strstr(text, "\"port\":80,"));
	assert_non_null(strstr(text, "\"netns\":1,"));
	assert_non_null(strstr(text, "\"port\":443,"));
	free(text);
	q.n_services = 0;
	q.deps_by = WHOSOCK_DEPS_BY_PROCESS;
	q.filter.comms = comms;
	q.filter.n_comms = 1;
	text = deps_json(v, 3, &q);
	assert_null(strstr(text, "\"comm\":\"a\""));
	assert_non_null(strstr(text, "\"comm\":\"b\""));
	free(text);
	q.filter.n_comms = 0;
	q.filter.n_pids = 1;
	{
		struct sbuf b = { 0 };

		assert_int_equal(serveview_deps(&b, v, 3, &q, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "pid"));
		sbuf_free(&b);
	}
}

static void test_accept(void **state)
{
	(void)state;
	assert_true(metrics_wants_openmetrics("application/openmetrics-text;version=1.0.0,"
					      "text/plain;version=0.0.4;q=0.5"));
	assert_false(metrics_wants_openmetrics("text/plain"));
	assert_false(metrics_wants_openmetrics(NULL));
}

static int parse(const char *text, struct webconfig *cfg, char *err, size_t errlen)
{
	return webconfig_parse(text, strlen(text), NULL, cfg, err, errlen);
}

static void test_webconfig(void **state)
{
	struct webconfig cfg;
	char err[256], cert[] = "/tmp/wstest-serve-cert-XXXXXX", yaml[512];
	char *hash, *salt;
	int fd;

	(void)state;
	/* Empty: no TLS, no users. */
	assert_int_equal(parse("", &cfg, err, sizeof(err)), 0);
	assert_null(cfg.cert);
	assert_int_equal(cfg.n_users, 0);
	webconfig_free(&cfg);
	/* Users, with a bcrypt hash made here. */
	salt = crypt_gensalt("$2b$", 4, NULL, 0);
	assert_non_null(salt);
	hash = strdup(crypt("s3cret", salt));
	assert_non_null(hash);
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: '%s'\n", hash);
	assert_int_equal(parse(yaml, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_users, 1);
	assert_true(webconfig_check(&cfg, "alice", "s3cret"));
	assert_false(webconfig_check(&cfg, "alice", "s3cre"));
	assert_false(webconfig_check(&cfg, "bob", "s3cret"));
	assert_false(webconfig_check(&cfg, "alice", NULL));
	webconfig_free(&cfg);
	free(hash);
	/* TLS files are read (absolute here). */
	fd = mkstemp(cert);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "PEM\n", 4), 4);
	close(fd);
	snprintf(yaml, sizeof(yaml), "tls_server_config:\n  cert_file: %s\n  key_file: %s\n", cert,
		 cert);
	assert_int_equal(parse(yaml, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cert, "PEM\n");
	assert_string_equal(cfg.key, "PEM\n");
	webconfig_free(&cfg);
	unlink(cert);
	/* Refused, each with a message naming why. */
	static const struct {
		const char *yaml, *says;
	} bad[] = {
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n",
		  "min_version" },
		{ "tls_server_config:\n  cert_file: a\n", "key_file" },
		{ "tls_server_config:\n  cert_file: /nonexistent/a\n  key_file: b\n", "cannot read" },
		{ "basic_auth_users:\n  alice: plain\n", "bcrypt" },
		{ "http_server_config:\n  http2: true\n", "not supported" },
		{ "basic_auth_users: [a, b]\n", "mapping" },
		{ "- a\n- b\n", "mapping" },
		{ "a: [\n", "line" },
		{ "basic_auth_users:\n  a: '$2y$04$x'\nbasic_auth_users:\n  b: '$2y$04$y'\n", "twice" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cfg, 0x5a, sizeof(cfg));
		err[0] = '\0';
		assert_true(parse(bad[i].yaml, &cfg, err, sizeof(err)) < 0);
		if (!strstr(err, bad[i].says))
			fail_msg("%s: message '%s' does not say '%s'", bad[i].yaml, err, bad[i].says);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_set),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_dep_counters),
		cmocka_unit_test(test_deps_view),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_webconfig),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
