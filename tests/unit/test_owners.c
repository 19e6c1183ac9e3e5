/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the owner join (lib/owners.c) over a fake /proc tree made
 * by the test: whosock_snapshot_take() with proc_root pointing at it and
 * source /proc reads one TCP listener from its net/tcp, and the fd links of
 * its processes. Checked: one owner per process with every fd, sorted, and
 * the lowest in fd; a thread with an fd table of its own gets an entry with
 * tid for the fds the process's table does not hold, its copies of the
 * process's fds are left out; details are shared by every entry of a
 * process (also in an event's deep copy); sockets nobody holds have no
 * owner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockcopy.h"
#include "whosock/whosock.h"

/* Pids that no live process is likely to have (pid_max is 4194304): kcmp on
 * them fails, so every thread table is walked, as where kcmp is refused. */
#define PID_A 4193001
#define TID_A 4193002
#define PID_B 4193010

#define LISTENER_INODE 4242
#define LONELY_INODE 4343

static char root[64];

static void put_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void put_link(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void fake_process(int pid, const char *comm)
{
	char rel[64], text[128];

	snprintf(rel, sizeof(rel), "%d", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%d/task", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%d/task/%d", pid, pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S 1 %d %d 0 -1 4194560 0 0 0 0\n", pid, comm, pid, pid);
	put_file(rel, text);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	snprintf(text, sizeof(text), "Name:\t%s\nTgid:\t%d\nPid:\t%d\n", comm, pid, pid);
	put_file(rel, text);
}

static void fake_fd(const char *dir, int fd, unsigned long inode)
{
	char rel[96], target[40];

	snprintf(rel, sizeof(rel), "%s/%d", dir, fd);
	snprintf(target, sizeof(target), "socket:[%lu]", inode);
	put_link(rel, target);
}

static int setup(void **state)
{
	static const char tcp[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
		"timeout inode\n"
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
		"        0 4242 1 0000000000000000 100 0 0 10 0\n"
		"   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
		"        0 4343 1 0000000000000000 100 0 0 10 0\n";
	char dir[64];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/whosock-owners-XXXXXX");
	assert_non_null(mkdtemp(root));
	put_dir("net");
	put_file("net/tcp", tcp);
	put_file("net/tcp6",
		 "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
		 "timeout inode\n");

	/* A: the listener at fds 9, 3, 7 (listed out of order), and a thread
	 * with a table of its own holding copies of 3 and 7 plus fd 12. */
	fake_process(PID_A, "srv");
	snprintf(dir, sizeof(dir), "%d/fd", PID_A);
	fake_fd(dir, 9, LISTENER_INODE);
	fake_fd(dir, 3, LISTENER_INODE);
	fake_fd(dir, 7, LISTENER_INODE);
	snprintf(dir, sizeof(dir), "%d/task/%d", PID_A, TID_A);
	put_dir(dir);
	snprintf(dir, sizeof(dir), "%d/task/%d/fd", PID_A, TID_A);
	put_dir(dir);
	fake_fd(dir, 3, LISTENER_INODE);
	fake_fd(dir, 7, LISTENER_INODE);
	fake_fd(dir, 12, LISTENER_INODE);
	/* B: the listener once, at fd 5. */
	fake_process(PID_B, "worker");
	snprintf(dir, sizeof(dir), "%d/fd", PID_B);
	fake_fd(dir, 5, LISTENER_INODE);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct whosock_socket *find_inode(const struct whosock_snapshot *snap, uint64_t ino)
{
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		if (whosock_snapshot_get(snap, i)->inode == ino)
			return whosock_snapshot_get(snap, i);
	return NULL;
}

static void assert_fds(const struct whosock_owner *o, const int *want, size_t n)
{
	if (o->n_fds != n || memcmp(o->fds, want, n * sizeof(*want)) != 0) {
		char got[128] = "";
		size_t len = 0;

		for (uint32_t i = 0; i < o->n_fds && len < sizeof(got) - 16; i++)
			len += (size_t)snprintf(got + len, sizeof(got) - len, " %d", o->fds[i]);
		fail_msg("pid %d tid %d: fds [%s ], want %zu fds from %d", o->proc->pid, o->tid, got, n,
			 want[0]);
	}
	assert_int_equal(o->fd, want[0]);
}

static void test_one_owner_per_process(void **state)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter,
				       .proc_root = root, .source = WHOSOCK_SOURCE_PROC,
				       .want = WHOSOCK_WANT_OWNERS };
	static const int a_fds[] = { 3, 7, 9 }, t_fds[] = { 12 }, b_fds[] = { 5 };
	struct whosock_snapshot *snap = NULL;
	const struct whosock_socket *s;

	(void)state;
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
	filter.families = 1u << AF_INET;
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	s = find_inode(snap, LISTENER_INODE);
	assert_non_null(s);
	assert_int_equal(s->n_owners, 3);
	/* The process's own table, then its thread's, then the next process. */
	assert_int_equal(s->owners[0].proc->pid, PID_A);
	assert_int_equal(s->owners[0].tid, 0);
	assert_fds(&s->owners[0], a_fds, 3);
	assert_int_equal(s->owners[1].proc->pid, PID_A);
	assert_int_equal(s->owners[1].tid, TID_A);
	assert_fds(&s->owners[1], t_fds, 1);
	assert_int_equal(s->owners[2].proc->pid, PID_B);
	assert_int_equal(s->owners[2].tid, 0);
	assert_fds(&s->owners[2], b_fds, 1);
	/* One process, one record of its details. */
	assert_ptr_equal(s->owners[0].proc, s->owners[1].proc);
	assert_string_equal(s->owners[0].proc->comm, "srv");
	assert_string_equal(s->owners[2].proc->comm, "worker");
	/* A socket nobody holds has no owner (and no note: this is no PID
	 * namespace's /proc). */
	s = find_inode(snap, LONELY_INODE);
	assert_non_null(s);
	assert_int_equal(s->n_owners, 0);
	assert_null(s->owners);
	for (size_t i = 0; i < whosock_snapshot_note_count(snap); i++)
		assert_int_not_equal(whosock_snapshot_note(snap, i)->code, WHOSOCK_NOTE_OUTSIDE_PIDNS);
	whosock_snapshot_free(snap);
}

/* An owner filter keeps the process's entries whole (every fd, its thread). */
static void test_pid_filter_keeps_every_fd(void **state)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter,
				       .proc_root = root, .source = WHOSOCK_SOURCE_PROC,
				       .want = WHOSOCK_WANT_OWNERS };
	static const int a_fds[] = { 3, 7, 9 }, pid_a = PID_A;
	struct whosock_snapshot *snap = NULL;
	const struct whosock_socket *s;

	(void)state;
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
	filter.families = 1u << AF_INET;
	filter.pids = &pid_a;
	filter.n_pids = 1;
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	assert_int_equal(whosock_snapshot_count(snap), 1);
	s = whosock_snapshot_get(snap, 0);
	assert_int_equal(s->inode, LISTENER_INODE);
	assert_int_equal(s->n_owners, 2);
	assert_fds(&s->owners[0], a_fds, 3);
	assert_int_equal(s->owners[1].tid, TID_A);
	whosock_snapshot_free(snap);
}

/* An event's deep copy (lib/sockcopy.c) keeps one copy of each process,
 * shared by its entries, and every fd. */
static void test_copy_keeps_processes_once(void **state)
{
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = { .size = sizeof(opt), .filter = &filter,
				       .proc_root = root, .source = WHOSOCK_SOURCE_PROC,
				       .want = WHOSOCK_WANT_OWNERS };
	struct whosock_snapshot *snap = NULL;
	const struct whosock_socket *s;
	struct whosock_socket *c;

	(void)state;
	filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
	filter.families = 1u << AF_INET;
	assert_int_equal(whosock_snapshot_take(&opt, &snap), 0);
	s = find_inode(snap, LISTENER_INODE);
	assert_non_null(s);
	c = sockcopy(s);
	assert_non_null(c);
	whosock_snapshot_free(snap); /* the copy stands alone */
	assert_int_equal(c->n_owners, 3);
	assert_ptr_equal(c->owners[0].proc, c->owners[1].proc);
	assert_ptr_not_equal(c->owners[1].proc, c->owners[2].proc);
	assert_string_equal(c->owners[0].proc->comm, "srv");
	assert_string_equal(c->owners[2].proc->comm, "worker");
	assert_int_equal(c->owners[0].n_fds, 3);
	assert_int_equal(c->owners[0].fds[0], 3);
	assert_int_equal(c->owners[0].fds[2], 9);
	assert_int_equal(c->owners[1].fds[0], 12);
	assert_int_equal(c->owners[2].fds[0], 5);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_owner_per_process),
		cmocka_unit_test(test_pid_filter_keeps_every_fd),
		cmocka_unit_test(test_copy_keeps_processes_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
