/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners in one pass from the kernel (see bpf_owners.h): the skeleton of
 * lib/bpf/owners.bpf.c opened and loaded, each iterator attached through a
 * link of this process, read to its end through an iterator fd, and
 * everything closed again. One load per call: nothing is shared between
 * calls or threads, so two snapshots (or two whosocks) never meet. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_owners.h"

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

/* Read one iterator to its end, appending its records to b. */
static int run_iter(struct bpf_program *prog, struct recbuf *b)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	size_t partial = 0; /* bytes of a record cut by a read, at the end of b */
	int fd, r = 0;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
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
	bpf_link__destroy(link);
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

int bpf_owners_read(unsigned what, struct owners_rec **out, size_t *n)
{
	libbpf_print_fn_t saved = libbpf_set_print(quiet);
	struct recbuf b = { 0 };
	struct owners_bpf *skel;
	int r;

	skel = owners_bpf__open();
	if (!skel) {
		r = -errno;
		goto out;
	}
	bpf_program__set_autoload(skel->progs.owners_files, (what & BPF_OWNERS_FILES) != 0);
	bpf_program__set_autoload(skel->progs.owners_tasks, (what & BPF_OWNERS_TASKS) != 0);
	r = owners_bpf__load(skel);
	if (r < 0)
		goto out;
	if (what & BPF_OWNERS_TASKS)
		r = run_iter(skel->progs.owners_tasks, &b);
	if (r == 0 && (what & BPF_OWNERS_FILES))
		r = run_iter(skel->progs.owners_files, &b);
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
	owners_bpf__destroy(skel);
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
