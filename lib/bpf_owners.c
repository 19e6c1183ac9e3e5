/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners in one pass from the kernel (see bpf_owners.h): the iterators of
 * lib/bpf/owners.bpf.c loaded (from the per-boot cache of bpf_progcache.h,
 * else through the skeleton, which is then cached), each attached through a
 * link of this process, read to its end through an iterator fd, and
 * everything closed again. One load per call: nothing is shared between
 * calls or threads, so two snapshots (or two whosocks) never meet. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_owners.h"
#include "bpf_progcache.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The skeleton holds the BPF object as one long string literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "owners.skel.h"
#pragma GCC diagnostic pop

/* Enough for one read to take what the kernel's seq buffer holds. */
#define READ_CHUNK (64u * 1024u)
/* Every growable buffer has a maximum: 64 Mi records (2.5 GiB) is far
 * beyond what 2^22 tasks with their fd limits can show on a real machine. */
#define MAX_RECORDS (64u * 1024u * 1024u)

/* The library never prints: libbpf's messages are dropped. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

struct recbuf {
	struct owners_rec *v;
	size_t n, cap;
};

/* Read the iterator program prog_fd to its end, appending its records to b. */
static int run_iter(int prog_fd, struct recbuf *b)
{
	int link = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, NULL);
	size_t partial = 0; /* bytes of a record cut by a read, at the end of b */
	int fd, r = 0;

	if (link < 0)
		return -errno;
	fd = bpf_iter_create(link);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t got;

		if ((b->cap - b->n) * sizeof(*b->v) - partial < READ_CHUNK) {
			size_t cap = b->cap ? b->cap * 2 : READ_CHUNK / sizeof(*b->v) * 4;
			struct owners_rec *v;

			if (cap > MAX_RECORDS) {
				r = -E2BIG;
				break;
			}
			v = realloc(b->v, cap * sizeof(*v));
			if (!v) {
				r = -ENOMEM;
				break;
			}
			b->v = v;
			b->cap = cap;
		}
		got = read(fd, (char *)(b->v + b->n) + partial, READ_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* EAGAIN: the kernel restarts a read cut by a signal. */
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		partial += (size_t)got;
		b->n += partial / sizeof(*b->v);
		partial %= sizeof(*b->v);
	}
	if (r == 0 && partial)
		r = -EIO; /* the program writes whole records only */
	close(fd);
out:
	close(link);
	return r;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct owners_rec *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* The iterators, by the bit of what that asks for each. */
enum { PROG_TASKS, PROG_FILES, N_PROGS };
static const char *const prog_names[N_PROGS] = { "owners_tasks", "owners_files" };
static const unsigned prog_bits[N_PROGS] = { BPF_OWNERS_TASKS, BPF_OWNERS_FILES };

/* Load what the cache lacks of what through the skeleton (libbpf parses
 * the kernel's BTF for it), into fds[] (fds of their own: the skeleton is
 * gone on return), and cache each. */
static int load_skeleton(unsigned what, const struct progcache_key *key, int fds[N_PROGS])
{
	struct owners_bpf *skel = owners_bpf__open();
	struct bpf_program *progs[N_PROGS];
	int r;

	if (!skel)
		return -errno;
	progs[PROG_TASKS] = skel->progs.owners_tasks;
	progs[PROG_FILES] = skel->progs.owners_files;
	for (size_t k = 0; k < N_PROGS; k++)
		bpf_program__set_autoload(progs[k], (what & prog_bits[k]) && fds[k] < 0);
	r = owners_bpf__load(skel);
	for (size_t k = 0; r == 0 && k < N_PROGS; k++) {
		if (!(what & prog_bits[k]) || fds[k] >= 0)
			continue;
		fds[k] = fcntl(bpf_program__fd(progs[k]), F_DUPFD_CLOEXEC, 3);
		if (fds[k] < 0)
			r = -errno;
		else
			progcache_store(key, progs[k]);
	}
	owners_bpf__destroy(skel);
	return r;
}

int bpf_owners_read(unsigned what, struct owners_rec **out, size_t *n)
{
	libbpf_print_fn_t saved = libbpf_set_print(quiet);
	struct progcache_key key = { .dir = PROGCACHE_DIR, .license = "GPL" };
	int fds[N_PROGS] = { -1, -1 };
	struct recbuf b = { 0 };
	bool missed = false;
	size_t obj_len;
	const void *obj = owners_bpf__elf_bytes(&obj_len);
	int r = 0;

	key.obj_hash = progcache_hash(obj, obj_len);
	for (size_t k = 0; k < N_PROGS; k++)
		if (what & prog_bits[k]) {
			fds[k] = progcache_load(&key, prog_names[k]);
			missed |= fds[k] < 0;
		}
	if (missed)
		r = load_skeleton(what, &key, fds);
	/* Namespaces first: the records' order within a process. */
	for (size_t k = 0; r == 0 && k < N_PROGS; k++)
		if (what & prog_bits[k])
			r = run_iter(fds[k], &b);
	if (r < 0)
		goto out;
	/* Each iterator gives tasks in tid order; a process's threads with
	 * tables of their own come apart from it, so sort by process. */
	if (b.n)
		qsort(b.v, b.n, sizeof(*b.v), cmp_rec);
	*out = b.v;
	*n = b.n;
	b.v = NULL;
out:
	for (size_t k = 0; k < N_PROGS; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	libbpf_set_print(saved);
	free(b.v);
	/* libbpf gives -errno, sometimes its own codes above 4000: keep them
	 * as they are (a negative number), the caller only reports them. */
	return r < 0 ? r : 0;
}

#else

int bpf_owners_read(unsigned what, struct owners_rec **out, size_t *n)
{
	return -EOPNOTSUPP;
}

#endif
