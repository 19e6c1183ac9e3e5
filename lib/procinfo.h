/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A process's details from /proc/PID/{stat,status,cmdline,cgroup}. Every read
 * goes through the process's /proc/PID directory fd, so a pid reused by a new
 * process after the old one exited cannot answer for it. Every buffer is
 * bounded: the contents are chosen by the process. */
#ifndef WHOSOCK_PROCINFO_H
#define WHOSOCK_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read at most cap - 1 bytes of dirfd/name into buf and NUL-terminate it.
 * Returns the length read or a negative errno. *truncated (may be NULL) is
 * set when the file held more. */
ssize_t procinfo_read_at(int dirfd, const char *name, char *buf, size_t cap, bool *truncated);

/* Parse /proc/PID/stat: "PID (COMM) STATE ...". The name may hold any byte,
 * ')' and newlines included: it ends at the last ')'. Sets *comm and
 * *comm_len to point into buf. Returns 0 or -EINVAL. */
int procinfo_parse_stat(const char *buf, size_t len, int *pid, const char **comm,
			size_t *comm_len);

/* Find the effective uid on the "Uid:" line of /proc/PID/status. Returns 0
 * or -EINVAL. */
int procinfo_parse_status_uid(const char *buf, size_t len, uint32_t *euid);

/* Find the thread group id on the "Tgid:" line of /proc/PID/status.
 * Returns 0 or -EINVAL. */
int procinfo_parse_status_tgid(const char *buf, size_t len, int *tgid);

/* The process (thread group id) that process or thread id belongs to, read
 * from procfd (a /proc directory fd)/ID/status. Returns it, or -ESRCH when
 * no such process or thread lives, or another negative errno. */
int procinfo_tgid_at(int procfd, int id);

/* Turn the NUL-separated /proc/PID/cmdline into one line in place: inner NULs
 * become spaces, trailing NULs are dropped. Returns the new length. */
size_t procinfo_cmdline_join(char *buf, size_t len);

/* Pick the cgroup path from /proc/PID/cgroup: the v2 line "0::PATH", else the
 * first v1 line's path. Points into buf. Returns 0 or -ENOENT/-EINVAL. */
int procinfo_parse_cgroup(const char *buf, size_t len, const char **path, size_t *path_len);

/* User names by uid, looked up once each through the system's user database
 * and kept in a snapshot's string arena. */
struct whosock_snapshot;
struct usercache;
struct usercache *usercache_new(struct whosock_snapshot *arena);
void usercache_free(struct usercache *c);
/* The name of uid, or NULL when it has none (or memory ran out). Owned by the
 * arena snapshot. */
const char *usercache_name(struct usercache *c, uint32_t uid);

#endif
