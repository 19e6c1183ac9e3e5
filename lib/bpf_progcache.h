/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BPF programs kept as libbpf last loaded them on this boot, so that the
 * next run loads them without libbpf.
 *
 * Loading a CO-RE program through libbpf parses the kernel's whole BTF
 * (/sys/kernel/btf/vmlinux, 5.5 MB: about 10 ms of one run of whosock) to
 * relocate a few field offsets and find the attach target. The result,
 * the final instructions and the target's BTF id, is the same for the
 * same object on the same running kernel: it is kept in a file per
 * program and loaded from there with one bpf() call. A file counts only
 * when everything it was made from is unchanged: the boot (the kernel's
 * boot_id, new at every boot and kexec, so the kernel is the same one),
 * the BPF object (a hash of its bytes), libbpf's version and the program's
 * name; and only when it and its directory belong to this user and nobody
 * else may write them. Anything else (no file, another boot, a file cut
 * short, the kernel refusing the program) is a miss: the caller loads
 * through libbpf as before and stores the result for the next time. The
 * process also keeps what it stored in memory, for its next snapshot when
 * the directory is not writable. The verifier checks a cached program as
 * any other. */
#ifndef WHOSOCK_BPF_PROGCACHE_H
#define WHOSOCK_BPF_PROGCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Where the files are: a root-only directory that a reboot makes stale
 * (the boot_id check), whether or not /run is a tmpfs. */
#define PROGCACHE_DIR "/run/whosock"

struct bpf_program;

/* What a cached program must match. */
struct progcache_key {
	const char *dir;     /* PROGCACHE_DIR, or a test's own */
	uint64_t obj_hash;   /* progcache_hash() of the BPF object's ELF bytes */
	const char *license; /* the object's */
};

/* FNV-1a over len bytes. */
uint64_t progcache_hash(const void *data, size_t len);

/* Load the program `name` from the cache: its fd (close it), or a negative
 * errno for a miss (the reason only matters to tests). */
int progcache_load(const struct progcache_key *key, const char *name);

/* Keep prog, loaded by libbpf, for the next progcache_load(); best effort
 * (nothing is said when the directory cannot be written). */
void progcache_store(const struct progcache_key *key, const struct bpf_program *prog);

#endif
