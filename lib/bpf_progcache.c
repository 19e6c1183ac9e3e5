/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BPF programs kept per boot (see bpf_progcache.h). One file per program,
 * DIR/NAME.prog: a header saying what it was made from, then the
 * instructions. Written to a temporary name and renamed into place, so a
 * reader sees a whole file or none; two whosocks storing at once both
 * write the same thing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_progcache.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAGIC "WSBPFPRG"
#define FORMAT 1
#define BOOT_ID_LEN 36
/* Far more than any program of whosock's (a few hundred). */
#define MAX_INSNS (1u << 16)

struct header {
	char magic[8];
	uint32_t format;
	uint32_t libbpf_version;
	char boot_id[40];
	uint64_t obj_hash;
	char name[16]; /* BPF_OBJ_NAME_LEN: what the kernel keeps of it */
	uint32_t prog_type, attach_type, attach_btf_id, insn_cnt;
};

uint64_t progcache_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* This boot's id ("xxxxxxxx-xxxx-..."), or false. */
static bool boot_id(char out[40])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	memset(out, 0, 40);
	n = read(fd, out, BOOT_ID_LEN);
	close(fd);
	return n == BOOT_ID_LEN;
}

/* The header that a file for name must have (insn_cnt and the program's
 * type and target aside), or false. */
static bool expected_header(const struct progcache_key *key, const char *name, struct header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MAGIC, sizeof(h->magic));
	h->format = FORMAT;
	h->libbpf_version = libbpf_major_version() << 16 | libbpf_minor_version();
	h->obj_hash = key->obj_hash;
	snprintf(h->name, sizeof(h->name), "%s", name);
	return boot_id(h->boot_id);
}

/* Whether fd (the directory or a file in it) is this user's alone to write. */
static bool owned(int fd, bool dir)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) &&
	       st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && !owned(fd, true)) {
		close(fd);
		return -EPERM;
	}
	return fd < 0 ? -errno : fd;
}

static void file_name(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s.prog", name);
}

/* Whether the instructions stand on their own: a 64-bit load of anything
 * but a plain constant (a map's fd or value, a kernel symbol's BTF id, a
 * subprogram's address) holds what only this process's load means (an fd
 * number here is another fd in the next process), so a program with one is
 * not kept. whosock's iterators use none; this keeps a later one from
 * being cached wrongly. */
static bool self_contained(const struct bpf_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && insns[i].src_reg != 0)
			return false;
	return true;
}

/* Read the whole file for name into *h and a malloc'd *insns. */
static int read_file(const struct progcache_key *key, const char *name, struct header *h,
		     struct bpf_insn **insns)
{
	char file[64];
	struct header want;
	struct stat st;
	size_t size;
	ssize_t got;
	int dfd, fd, r = -ESTALE;

	if (!expected_header(key, name, &want))
		return -ENOENT;
	dfd = open_dir(key->dir);
	if (dfd < 0)
		return dfd;
	file_name(file, sizeof(file), name);
	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -errno;
	if (!owned(fd, false) || fstat(fd, &st) < 0) {
		close(fd);
		return -EPERM;
	}
	if (read(fd, h, sizeof(*h)) != (ssize_t)sizeof(*h))
		goto out;
	/* The program's own part of the header is not part of the key. */
	want.prog_type = h->prog_type;
	want.attach_type = h->attach_type;
	want.attach_btf_id = h->attach_btf_id;
	want.insn_cnt = h->insn_cnt;
	if (memcmp(h, &want, sizeof(want)) != 0 || h->insn_cnt == 0 || h->insn_cnt > MAX_INSNS)
		goto out;
	size = (size_t)h->insn_cnt * sizeof(**insns);
	if ((size_t)st.st_size != sizeof(*h) + size)
		goto out;
	*insns = malloc(size);
	if (!*insns) {
		r = -ENOMEM;
		goto out;
	}
	got = read(fd, *insns, size);
	if (got == (ssize_t)size && self_contained(*insns, h->insn_cnt)) {
		r = 0;
	} else {
		free(*insns);
		*insns = NULL;
	}
out:
	close(fd);
	return r;
}

/* This process's own copies, so that a long-running whosock (serve, top)
 * that may not write the directory (a service's dynamic user) still loads
 * each program through libbpf only once: one per program name, kept for
 * the process's life (a few hundred bytes each; the boot cannot change
 * under a running process). */
#define MEMO_MAX 4

static struct memo {
	struct header h;
	struct bpf_insn *insns;
} memo[MEMO_MAX];
static size_t n_memo;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static int memo_get(const struct progcache_key *key, const char *name, struct header *h,
		    struct bpf_insn **insns)
{
	int r = -ENOENT;

	pthread_mutex_lock(&memo_lock);
	for (size_t i = 0; i < n_memo && r == -ENOENT; i++) {
		size_t size = memo[i].h.insn_cnt * sizeof(**insns);

		if (memo[i].h.obj_hash != key->obj_hash || strcmp(memo[i].h.name, name) != 0)
			continue;
		*insns = malloc(size);
		if (!*insns) {
			r = -ENOMEM;
			break;
		}
		memcpy(*insns, memo[i].insns, size);
		*h = memo[i].h;
		r = 0;
	}
	pthread_mutex_unlock(&memo_lock);
	return r;
}

static void memo_put(const struct header *h, const struct bpf_insn *insns)
{
	size_t i, size = h->insn_cnt * sizeof(*insns);
	struct bpf_insn *copy = malloc(size);

	if (!copy)
		return;
	memcpy(copy, insns, size);
	pthread_mutex_lock(&memo_lock);
	for (i = 0; i < n_memo && strcmp(memo[i].h.name, h->name) != 0; i++)
		;
	if (i < MEMO_MAX) {
		if (i == n_memo)
			n_memo++;
		free(memo[i].insns);
		memo[i] = (struct memo){ .h = *h, .insns = copy };
		copy = NULL;
	}
	pthread_mutex_unlock(&memo_lock);
	free(copy);
}

int progcache_load(const struct progcache_key *key, const char *name)
{
	struct bpf_insn *insns = NULL;
	struct header h;
	int r = memo_get(key, name, &h, &insns);

	if (r == -ENOENT)
		r = read_file(key, name, &h, &insns);

	if (r == 0) {
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = h.attach_type,
			    .attach_btf_id = h.attach_btf_id);

		r = bpf_prog_load(h.prog_type, h.name, key->license, insns, h.insn_cnt, &o);
		if (r < 0)
			r = -errno;
	}
	free(insns);
	return r;
}

/* Whether the program's attach target (if any) is in the kernel's own BTF,
 * which a load finds without an fd; a module's would need one. */
static bool target_in_vmlinux(const struct bpf_prog_info *info)
{
	struct bpf_btf_info btf = { 0 };
	char name[16] = "";
	__u32 len = sizeof(btf);
	int fd;
	bool vmlinux;

	if (!info->attach_btf_obj_id)
		return info->attach_btf_id == 0;
	fd = bpf_btf_get_fd_by_id(info->attach_btf_obj_id);
	if (fd < 0)
		return false;
	btf.name = (__u64)(uintptr_t)name;
	btf.name_len = sizeof(name);
	vmlinux = bpf_obj_get_info_by_fd(fd, &btf, &len) == 0 && btf.kernel_btf &&
		  strcmp(name, "vmlinux") == 0;
	close(fd);
	return vmlinux;
}

static bool write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

void progcache_store(const struct progcache_key *key, const struct bpf_program *prog)
{
	const struct bpf_insn *insns = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char file[64], tmp[96];
	struct header h;
	int dfd, fd;
	bool ok;

	if (!insns || n == 0 || n > MAX_INSNS || !self_contained(insns, n) ||
	    strlen(bpf_program__name(prog)) >= sizeof(h.name) ||
	    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) < 0 ||
	    !target_in_vmlinux(&info) || !expected_header(key, bpf_program__name(prog), &h))
		return;
	h.prog_type = (uint32_t)bpf_program__type(prog);
	h.attach_type = (uint32_t)bpf_program__expected_attach_type(prog);
	h.attach_btf_id = info.attach_btf_id;
	h.insn_cnt = (uint32_t)n;
	memo_put(&h, insns);
	if (mkdir(key->dir, 0700) < 0 && errno != EEXIST)
		return;
	dfd = open_dir(key->dir);
	if (dfd < 0)
		return;
	file_name(file, sizeof(file), h.name);
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%ld", file, (long)getpid(), (long)gettid());
	unlinkat(dfd, tmp, 0); /* left by a run that died here with this pid */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return;
	}
	ok = write_all(fd, &h, sizeof(h)) && write_all(fd, insns, n * sizeof(*insns));
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, file) < 0)
		unlinkat(dfd, tmp, 0);
	close(dfd);
}

#else

uint64_t progcache_hash(const void *data, size_t len)
{
	return 0;
}

int progcache_load(const struct progcache_key *key, const char *name)
{
	return -EOPNOTSUPP;
}

void progcache_store(const struct progcache_key *key, const struct bpf_program *prog)
{
}

#endif
