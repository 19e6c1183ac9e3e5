/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The join core (take, owners, snapshot, filter) over a fake /proc tree that
 * each test lays out in a temporary directory: /proc/net tables, processes
 * with fd links, thread tables, hostile names. whosock_snapshot_take() with
 * that proc_root reads only the tree (source proc, no other namespace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "whosock/whosock.h"

static char root[64];

static void put(const char *rel, const char *data, size_t len)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void puts_file(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static void link_to(const char *rel, const char *target)
{
	char path[512], dir[512], *slash;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	for (char *p = strchr(dir + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
	assert_int_equal(symlink(target, path), 0);
}

/* A process: stat, status (uid), cmdline (NUL-separated), cgroup, ns/net,
 * and fd links "FD=TARGET;FD=TARGET". */
static void process(int pid, const char *comm, int stat_pid, unsigned uid, const char *cmdline,
		    size_t cmdline_len, const char *cgroup, const char *fds)
{
	char rel[128], text[512];
	char *list = strdup(fds), *save = NULL;

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S 1 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		 stat_pid, comm, pid, pid);
	puts_file(rel, text);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	snprintf(text, sizeof(text), "Name:\tx\nTgid:\t%d\nUid:\t%u\t%u\t%u\t%u\n", pid, uid, uid, uid, uid);
	puts_file(rel, text);
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	put(rel, cmdline, cmdline_len);
	snprintf(rel, sizeof(rel), "%d/cgroup", pid);
	snprintf(text, sizeof(text), "0::%s\n", cgroup);
	puts_file(rel, text);
	snprintf(rel, sizeof(rel), "%d/ns/net", pid);
	link_to(rel, "net:[4026531840]");
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	snprintf(text, sizeof(text), "%s/%s", root, rel);
	mkdir(text, 0500);
	for (char *e = strtok_r(list, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(e, '=');

		*eq = '\0';
		snprintf(rel, sizeof(rel), "%d/fd/%s", pid, e);
		link_to(rel, eq + 1);
	}
	free(list);
}

#define TCP_HDR "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define TCP_LINE(sl, local, remote, st, inode) \
	"   " #sl ": " local " " remote " " st " 00000000:00000000 00:00000000 00000000  1000        0 " #inode " 1 0000000000000000 100 0 0 10 0\n"

static const char docker_cg[] =
	"/system.slice/docker-6de102c1cecc011032305908295668eedad74d736c6d216e4c42f416ae84988f.scope";

static int setup(void **state)
{
	static const char hostile_cmd[] = "evil\0--pass\x1bword\0";

	(void)state;
	snprintf(root, sizeof(root), "/tmp/whosock-take-XXXXXX");
	assert_non_null(mkdtemp(root));
	puts_file("net/tcp", TCP_HDR
		  TCP_LINE(0, "0100007F:1F90", "00000000:0000", "0A", 1001)
		  TCP_LINE(1, "0100007F:1F90", "0100007F:D431", "01", 1002)
		  TCP_LINE(2, "0100007F:D431", "0100007F:1F90", "01", 1003)
		  TCP_LINE(3, "0100007F:0016", "00000000:0000", "0A", 1004));
	puts_file("net/tcp6", TCP_HDR);
	puts_file("net/udp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
	puts_file("net/udp6", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
	puts_file("net/raw", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
	puts_file("net/raw6", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
	puts_file("net/unix", "Num       RefCount Protocol Flags    Type St Inode Path\n"
			      "0000000000000000: 00000002 00000000 00010000 0001 01  2001 /run/x.sock\n");
	/* Two nginx processes share the listener; the worker also holds the
	 * accepted connection. */
	process(100, "nginx", 100, 33, "nginx: master\0", 14, docker_cg,
		"3=socket:[1001];4=socket:[2001];5=/dev/null;6=net:[4026532999]");
	process(101, "nginx", 101, 33, "nginx: worker\0", 14, docker_cg,
		"6=socket:[1001];7=socket:[1002]");
	/* A client whose name holds ')' and an escape byte; its command line
	 * is not text either. */
	process(200, "a) b\x1b", 200, 1000, hostile_cmd, sizeof(hostile_cmd), "/user.slice",
		"3=socket:[1003]");
	/* A stat that names another pid: the directory is not that process
	 * (never trusted). */
	process(300, "liar", 999, 0, "liar\0", 5, "/", "3=socket:[1004]");
	/* A thread with a table of its own (kcmp cannot compare fake pids: the
	 * table is walked, its duplicates of the process's fds merged). */
	process(500, "threads", 500, 0, "threads\0", 8, "/", "3=socket:[1001]");
	link_to("500/task/500/ns/net", "net:[4026531840]");
	link_to("500/task/501/ns/net", "net:[4026531840]");
	link_to("500/task/501/fd/3", "socket:[1001]");
	link_to("500/task/501/fd/9", "socket:[1002]");
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	chmod(root, 0755);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct whosock_snapshot *take(const struct whosock_filter *f)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter,
				       .proc_root = root, .source = WHOSOCK_SOURCE_PROC,
				       .want = WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS };
	struct whosock_snapshot *snap = NULL;

	if (f)
		filter = *f;
	filter.size = sizeof(filter);
	if (!filter.protos)
		filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				    WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX);
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	assert_non_null(snap);
	return snap;
}

static const struct whosock_socket *by_inode(const struct whosock_snapshot *snap, uint64_t inode)
{
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		if (whosock_snapshot_get(snap, i)->inode == inode)
			return whosock_snapshot_get(snap, i);
	return NULL;
}

/* "pid:fd[/tid] ..." of a socket's owners, in their order. */
static const char *owners_text(const struct whosock_socket *s)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < s->n_owners; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d:%d", i ? " " : "",
					s->owners[i].proc->pid, s->owners[i].fd);
	for (uint32_t i = 0; i < s->n_owners; i++)
		if (s->owners[i].tid)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " tid%d:%d",
						s->owners[i].tid, s->owners[i].fd);
	return buf;
}

static void test_every_socket_joined(void **state)
{
	struct whosock_snapshot *snap = take(NULL);
	const struct whosock_socket *s;

	(void)state;
	assert_int_equal(whosock_snapshot_count(snap), 5);
	s = by_inode(snap, 1001);
	assert_non_null(s);
	assert_int_equal(s->state, WHOSOCK_STATE_LISTEN);
	assert_int_equal(s->local.port, 8080);
	assert_string_equal(owners_text(s), "100:3 101:6 500:3");
	assert_string_equal(owners_text(by_inode(snap, 1002)), "101:7 500:9 tid501:9");
	assert_string_equal(owners_text(by_inode(snap, 2001)), "100:4");
	/* The process whose stat names another pid is nobody's owner. */
	assert_int_equal(by_inode(snap, 1004)->n_owners, 0);
	whosock_snapshot_free(snap);
}

static void test_process_details(void **state)
{
	struct whosock_snapshot *snap = take(NULL);
	const struct whosock_process *p = by_inode(snap, 1001)->owners[0].proc;
	const struct whosock_process *evil = by_inode(snap, 1003)->owners[0].proc;

	(void)state;
	assert_string_equal(p->comm, "nginx");
	assert_string_equal(p->cmdline, "nginx: master");
	assert_true(p->uid_known);
	assert_int_equal(p->uid, 33);
	assert_string_equal(p->cgroup, docker_cg);
	assert_string_equal(p->container.runtime, "docker");
	assert_string_equal(p->container.id,
			    "6de102c1cecc011032305908295668eedad74d736c6d216e4c42f416ae84988f");
	/* Names are the exact bytes: escaping is the printer's job. */
	assert_string_equal(evil->comm, "a) b\x1b");
	assert_string_equal(evil->cmdline, "evil --pass\x1bword");
	whosock_snapshot_free(snap);
}

static void test_owner_filters(void **state)
{
	static const int pid_101[] = { 101 }, pids_101_200[] = { 101, 200 };
	static const uint32_t uid_1000[] = { 1000 };
	static const char *const nginx[] = { "nginx" }, *const docker[] = { "6de102c1" };
	static const char *const worker[] = { "worker" };
	static const struct whosock_local port_8080[] = { { .port = 8080 } };
	struct whosock_filter f = { .size = sizeof(struct whosock_filter) };
	struct whosock_snapshot *snap;

	(void)state;
	f.pids = pid_101;
	f.n_pids = 1;
	snap = take(&f);
	assert_int_equal(whosock_snapshot_count(snap), 2);
	assert_string_equal(owners_text(by_inode(snap, 1001)), "101:6");
	assert_string_equal(owners_text(by_inode(snap, 1002)), "101:7");
	whosock_snapshot_free(snap);

	/* Values of one member: a union. */
	f.pids = pids_101_200;
	f.n_pids = 2;
	snap = take(&f);
	assert_int_equal(whosock_snapshot_count(snap), 3);
	assert_string_equal(owners_text(by_inode(snap, 1003)), "200:3");
	whosock_snapshot_free(snap);

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.uids = uid_1000;
	f.n_uids = 1;
	snap = take(&f);
	assert_int_equal(whosock_snapshot_count(snap), 1);
	assert_non_null(by_inode(snap, 1003));
	whosock_snapshot_free(snap);

	/* Members: all of them. */
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.comms = nginx;
	f.n_comms = 1;
	f.containers = docker;
	f.n_containers = 1;
	snap = take(&f);
	assert_int_equal(whosock_snapshot_count(snap), 3);
	assert_string_equal(owners_text(by_inode(snap, 1001)), "100:3 101:6");
	whosock_snapshot_free(snap);

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.cmdlines = worker;
	f.n_cmdlines = 1;
	f.locals = port_8080;
	f.n_locals = 1;
	snap = take(&f);
	assert_int_equal(whosock_snapshot_count(snap), 2);
	assert_string_equal(owners_text(by_inode(snap, 1001)), "101:6");
	whosock_snapshot_free(snap);
}

/* Owners not wanted: every socket, no owner, no process read. */
static void test_no_owners(void **state)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter,
				       .proc_root = root, .source = WHOSOCK_SOURCE_PROC };
	struct whosock_snapshot *snap = NULL;

	(void)state;
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	assert_int_equal(whosock_snapshot_count(snap), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(whosock_snapshot_get(snap, i)->n_owners, 0);
	whosock_snapshot_free(snap);
}

/* A process that vanishes (its directory removed) between runs is simply
 * not there; nothing else changes. */
static void test_vanished_process(void **state)
{
	struct whosock_snapshot *snap;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/200", root);
	assert_int_equal(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	snap = take(NULL);
	assert_int_equal(whosock_snapshot_count(snap), 5);
	assert_int_equal(by_inode(snap, 1003)->n_owners, 0);
	assert_string_equal(owners_text(by_inode(snap, 1001)), "100:3 101:6 500:3");
	whosock_snapshot_free(snap);
}

/* pthread_create, counted (linked with -Wl,--wrap=pthread_create). */
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
static unsigned threads_made;
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	threads_made++;
	return __real_pthread_create(t, a, fn, arg);
}

static uint64_t thread_netns(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

/* Whether a live snapshot (proc_root, flags) lists the UDP socket of a child
 * in a network namespace of its own. */
static bool sees_other_namespace(const char *proc_root, unsigned flags)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter, .flags = flags,
				       .proc_root = proc_root, .source = WHOSOCK_SOURCE_NETLINK };
	struct whosock_snapshot *snap = NULL;
	int ready[2], hold[2];
	uint64_t ns = 0, home = thread_netns();
	bool found = false;
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stat st;

		close(ready[0]);
		close(hold[1]);
		struct sockaddr_in any = { .sin_family = AF_INET };
		int fd;

		if (unshare(CLONE_NEWNET) == 0 && (fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0 &&
		    bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0 &&
		    stat("/proc/self/ns/net", &st) == 0) {
			uint64_t ino = st.st_ino;

			(void)!write(ready[1], &ino, sizeof(ino));
		}
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &ns, sizeof(ns)), sizeof(ns));
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP);
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		found |= whosock_snapshot_get(snap, i)->netns == ns;
	close(hold[1]);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	whosock_snapshot_free(snap);
	assert_int_equal(thread_netns(), home); /* the caller's thread came back */
	return found;
}

/* "/proc/" is the live /proc, other namespaces included (it used to be
 * taken for a captured tree: only whosock's own namespace). */
static void test_live_proc_root_with_slash(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* another namespace takes root to make */
	threads_made = 0;
	assert_true(sees_other_namespace("/proc/", 0));
	assert_true(threads_made > 0); /* namespaces are entered by threads */
}

/* WHOSOCK_FLAG_NO_THREADS: the same answer, not one thread made. */
static void test_no_threads(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	threads_made = 0;
	assert_true(sees_other_namespace("/proc", WHOSOCK_FLAG_NO_THREADS));
	assert_int_equal(threads_made, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_socket_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_process, setup, teardown),
		cmocka_unit_test(test_live_proc_root_with_slash),
		cmocka_unit_test(test_no_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
