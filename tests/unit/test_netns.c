/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/netns.c over fake /proc trees and directories: the
 * namespace links parsed field by field, processes' namespaces found (the
 * first process seen kept as the way in), a stale file in a netns
 * directory not taken for a namespace, a real bind mount named (root, in a
 * mount namespace of the test's own), and a handle whose pid was reused
 * for another namespace refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/socket.h>

#include "netns.h"
#include "order.h"
#include "snapshot.h"

static char root[64];

static void mkdirs(const char *fmt, ...)
{
	char path[256], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (p = path + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

/* root/PID/ns/net -> target */
static void ns_link(const char *pid, const char *target)
{
	char path[256];

	mkdirs("%s/%s/ns", root, pid);
	snprintf(path, sizeof(path), "%s/%s/ns/net", root, pid);
	assert_int_equal(symlink(target, path), 0);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/whosock-netns-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_parse_link(void **state)
{
	static const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{ "net:[4026531840]", 4026531840ull },
		{ "net:[1]", 1 },
		{ "net:[18446744073709551615]", UINT64_MAX },
		{ "net:[18446744073709551616]", 0 }, /* overflows */
		{ "net:[]", 0 },
		{ "net:[12a]", 0 },
		{ "net:[-1]", 0 },
		{ "mnt:[4026531840]", 0 },
		{ "net:4026531840", 0 },
		{ "net:[4026531840", 0 },
		{ "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (netns_parse_link(cases[i].text, strlen(cases[i].text)) != cases[i].want)
			fail_msg("netns_parse_link(\"%s\") != %llu", cases[i].text,
				 (unsigned long long)cases[i].want);
}

/* Processes' namespaces from a fake /proc: each once, with the first
 * process seen; links that are not a net namespace, and entries that are
 * not processes, left out. */
static void test_discover_fake_proc(void **state)
{
	struct whosock_snapshot *arena = snapshot_new();
	struct netns_set set;
	const struct netns *a, *b;
	char path[256];

	(void)state;
	assert_non_null(arena);
	ns_link("100", "net:[5001]");
	ns_link("101", "net:[5001]");
	ns_link("102", "net:[5002]");
	ns_link("103", "garbage");
	ns_link("104", "mnt:[5003]");
	ns_link("self", "net:[5004]");
	mkdirs("%s/105/ns", root); /* no link: exited while read */
	snprintf(path, sizeof(path), "%s/106", root);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0); /* not a directory */
	netns_set_init(&set, arena);
	assert_int_equal(netns_discover(&set, root), 0);
	a = netns_set_find(&set, 5001);
	b = netns_set_find(&set, 5002);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->pid == 100 || a->pid == 101); /* readdir's order */
	assert_int_equal(b->pid, 102);
	assert_int_equal(a->fd, -1);
	assert_null(netns_set_find(&set, 5003));
	assert_null(netns_set_find(&set, 5004));
	for (size_t i = 0; i < set.n; i++)
		for (size_t j = i + 1; j < set.n; j++)
			assert_true(set.v[i].inode != set.v[j].inode);
	netns_set_free(&set);
	whosock_snapshot_free(arena);
}

/* A missing /proc root is an error, not an empty answer. */
static void test_discover_missing_root(void **state)
{
	struct netns_set set;

	(void)state;
	netns_set_init(&set, NULL);
	assert_int_equal(netns_discover(&set, "/nonexistent/proc"), -ENOENT);
	assert_int_equal(set.n, 0);
	netns_set_free(&set);
}

/* The set grows past its first allocation and keeps each inode once. */
static void test_set_growth(void **state)
{
	struct netns_set set;

	(void)state;
	netns_set_init(&set, NULL);
	for (uint64_t k = 0; k < 3; k++)
		for (uint64_t i = 1; i <= 100; i++)
			assert_non_null(netns_set_get(&set, i));
	assert_int_equal(set.n, 100);
	for (uint64_t i = 1; i <= 100; i++)
		assert_int_equal(netns_set_find(&set, i)->inode, i);
	assert_null(netns_set_find(&set, 101));
	netns_set_free(&set);
	netns_set_free(&set); /* twice: harmless */
}

/* A stale file in a netns directory (its bind mount gone) is no namespace;
 * a bind mount of a real one is, named. */
static void test_named_stale_and_real(void **state)
{
	struct whosock_snapshot *arena = snapshot_new();
	struct netns_set set;
	char dir[128], path[256];
	pid_t pid;
	int status;

	(void)state;
	assert_non_null(arena);
	snprintf(dir, sizeof(dir), "%s/netns", root);
	mkdirs("%s", dir);
	snprintf(path, sizeof(path), "%s/stale", dir);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0444)), 0);
	netns_set_init(&set, arena);
	assert_int_equal(netns_add_named(&set, dir), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(netns_add_named(&set, "/nonexistent/netns"), 0); /* missing: fine */
	netns_set_free(&set);
	if (geteuid() != 0) {
		whosock_snapshot_free(arena);
		skip(); /* a bind mount takes root */
	}
	/* In a child with a mount namespace of its own: nothing leaks out. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stat st;
		char live[256];
		int ok;

		snprintf(live, sizeof(live), "%s/live", dir);
		ok = unshare(CLONE_NEWNS) == 0 && mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
		     close(open(live, O_CREAT | O_WRONLY, 0444)) == 0 &&
		     mount("/proc/self/ns/net", live, "none", MS_BIND, NULL) == 0 &&
		     stat("/proc/self/ns/net", &st) == 0;
		netns_set_init(&set, arena);
		ok = ok && netns_add_named(&set, dir) == 0 && set.n == 1 &&
		     set.v[0].inode == (uint64_t)st.st_ino && set.v[0].name &&
		     strcmp(set.v[0].name, "live") == 0 && set.v[0].path &&
		     strcmp(set.v[0].path, live) == 0;
		umount(live);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	whosock_snapshot_free(arena);
}

/* A namespace reached through a pid that now lives elsewhere (reused, or
 * moved) is refused, not entered. */
static void test_reused_pid_refused(void **state)
{
	struct netns ns = { .inode = 1, .pid = getpid(), .fd = -1 }; /* not our inode */
	struct mnl_socket *nl = NULL;

	(void)state;
	assert_int_equal(netns_sockdiag_open("/proc", &ns, 0, true, &nl), -ESTALE);
	assert_null(nl);
}

/* order_rows(): rows in the documented order (namespace in the set, kind,
 * IPv4 first, then as they came), on rows in random order and on rows
 * in order but for a few at the end (the rows traced after the dumps). */
static size_t order_kind(enum whosock_proto proto)
{
	for (size_t i = 0; i < ORDER_N_KINDS; i++)
		if (order_kinds[i] == proto)
			return i;
	return ORDER_N_KINDS + (size_t)proto;
}

/* (namespace's place in set, kind, IPv6) of s. */
static void order_key(const struct netns_set *set, const struct whosock_socket *s, size_t key[3])
{
	const struct netns *ns = netns_set_find(set, s->netns);

	key[0] = ns ? (size_t)(ns - set->v) : set->n;
	key[1] = order_kind(s->proto);
	key[2] = s->family == AF_INET6;
}

static void test_order_rows(void **state)
{
	/* In order_kinds' order, so a row in order comes from a rising index. */
	static const enum whosock_proto protos[] = { WHOSOCK_PROTO_TCP, WHOSOCK_PROTO_UDP,
						     WHOSOCK_PROTO_RAW, WHOSOCK_PROTO_MPTCP,
						     WHOSOCK_PROTO_UNIX };
	unsigned seed = 12;

	for (int round = 0; round < 2000; round++) {
		struct whosock_snapshot *snap = snapshot_new();
		struct netns_set set;
		size_t n_ns = 1 + (size_t)rand_r(&seed) % 4, n = (size_t)rand_r(&seed) % 80;
		size_t in_order = round % 2 ? n - (n ? (size_t)rand_r(&seed) % (n < 4 ? n : 4) : 0) : 0;
		size_t at = 0; /* (namespace, kind, family) of the rows in order, as one number */
		bool *seen = calloc(n + 1, sizeof(*seen));

		assert_non_null(snap);
		assert_non_null(seen);
		netns_set_init(&set, snap);
		for (size_t i = 0; i < n_ns; i++)
			assert_non_null(netns_set_get(&set, 100 + i));
		for (size_t i = 0; i < n; i++) {
			/* inode: where the row was, 1-based */
			struct whosock_socket s = { .inode = i + 1 };
			size_t x = (size_t)rand_r(&seed) % ((n_ns + 1) * 5 * 2);

			if (i < in_order) {
				at += (size_t)rand_r(&seed) % 3 == 0;
				x = at < (n_ns + 1) * 10 ? at : (n_ns + 1) * 10 - 1;
			}
			s.netns = 100 + x / 10;
			s.proto = protos[x / 2 % 5];
			s.family = x % 2 ? AF_INET6 : AF_INET;
			assert_int_equal(snapshot_push(snap, &s), 0);
		}
		for (int twice = 0; twice < 2; twice++) {
			assert_int_equal(order_rows(snap, &set), 0);
			for (size_t i = 0; i < n; i++) {
				const struct whosock_socket *s = whosock_snapshot_get(snap, i);
				size_t key[3], prev[3], k = 0;

				assert_true(s->inode >= 1 && s->inode <= n);
				seen[s->inode] = twice == 0 ? !seen[s->inode] : seen[s->inode];
				assert_true(seen[s->inode]);
				if (i == 0)
					continue;
				order_key(&set, s, key);
				order_key(&set, whosock_snapshot_get(snap, i - 1), prev);
				while (k < 3 && key[k] == prev[k])
					k++;
				/* Rising key; the same key: as they came. */
				assert_true(k < 3 ? key[k] > prev[k]
						  : s->inode > whosock_snapshot_get(snap, i - 1)->inode);
			}
			/* The second time through, the rows are where they were put. */
			for (size_t i = 0; i < n; i++)
				snapshot_at(snap, i)->inode = i + 1;
		}
		free(seen);
		netns_set_free(&set);
		whosock_snapshot_free(snap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test_setup_teardown(test_discover_fake_proc, setup, teardown),
		cmocka_unit_test(test_discover_missing_root),
		cmocka_unit_test(test_set_growth),
		cmocka_unit_test_setup_teardown(test_named_stale_and_real, setup, teardown),
		cmocka_unit_test(test_reused_pid_refused),
		cmocka_unit_test(test_order_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
