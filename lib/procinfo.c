/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procinfo.h"
#include "snapshot.h"
#include "whosock/whosock.h"

ssize_t procinfo_read_at(int dirfd, const char *name, char *buf, size_t cap, bool *truncated)
{
	size_t len = 0;
	int fd, r = 0;

	if (cap == 0)
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* /proc files hand over all they have in one read: a short one
		 * is the end, and saves a read per file over a whole scan. */
		if ((size_t)n < cap - 1 - (len - (size_t)n))
			break;
	}
	if (r == 0 && truncated) {
		char extra;

		*truncated = len == cap - 1 && read(fd, &extra, 1) == 1;
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	return (ssize_t)len;
}

int procinfo_parse_stat(const char *buf, size_t len, int *pid, const char **comm,
			size_t *comm_len)
{
	const char *open = memchr(buf, '(', len), *close = NULL;
	long v = 0;

	if (!open || open == buf)
		return -EINVAL;
	for (const char *p = buf; p < open; p++) {
		if (*p == ' ' && p + 1 == open)
			break;
		if (*p < '0' || *p > '9' || v > 4194304)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (open[-1] != ' ' || v <= 0)
		return -EINVAL;
	for (const char *p = buf + len; p > open; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	/* The name is followed by " STATE ": anything else is not a stat line. */
	if (!close || buf + len - close < 3 || close[1] != ' ')
		return -EINVAL;
	*pid = (int)v;
	*comm = open + 1;
	*comm_len = (size_t)(close - open - 1);
	return 0;
}

int procinfo_parse_status_uid(const char *buf, size_t len, uint32_t *euid)
{
	const char *end = buf + len;

	for (const char *line = buf; line && line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if ((size_t)(end - line) > 4 && memcmp(line, "Uid:", 4) == 0) {
			const char *p = line + 4;
			uint64_t v[2] = { 0, 0 };

			/* "Uid:\treal\teffective\tsaved\tfs": digits within the buffer only. */
			for (int i = 0; i < 2; i++) {
				while (p < end && (*p == '\t' || *p == ' '))
					p++;
				if (p >= end || *p < '0' || *p > '9')
					return -EINVAL;
				for (; p < end && *p >= '0' && *p <= '9'; p++) {
					v[i] = v[i] * 10 + (uint64_t)(*p - '0');
					if (v[i] > UINT32_MAX)
						return -EINVAL;
				}
			}
			*euid = (uint32_t)v[1];
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -EINVAL;
}

size_t procinfo_cmdline_join(char *buf, size_t len)
{
	while (len && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return len;
}

int procinfo_parse_cgroup(const char *buf, size_t len, const char **path, size_t *path_len)
{
	const char *first = NULL;
	size_t first_len = 0;

	for (const char *line = buf; line < buf + len;) {
		const char *end = memchr(line, '\n', (size_t)(buf + len - line));
		const char *c1, *c2;

		if (!end)
			end = buf + len;
		/* "ID:CONTROLLERS:PATH"; the path may itself hold ':'. */
		c1 = memchr(line, ':', (size_t)(end - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (!c2 || c1 == line)
			return -EINVAL;
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
			*path = c2 + 1;
			*path_len = (size_t)(end - c2 - 1);
			return 0;
		}
		if (!first) {
			first = c2 + 1;
			first_len = (size_t)(end - c2 - 1);
		}
		line = end + 1;
	}
	if (!first)
		return -ENOENT;
	*path = first;
	*path_len = first_len;
	return 0;
}

struct usercache {
	struct whosock_snapshot *arena;
	struct user_entry {
		uint32_t uid;
		const char *name; /* in the arena; NULL: no such user */
	} *entries;
	size_t n;
};

struct usercache *usercache_new(struct whosock_snapshot *arena)
{
	struct usercache *c = calloc(1, sizeof(struct usercache));

	if (c)
		c->arena = arena;
	return c;
}

void usercache_free(struct usercache *c)
{
	if (!c)
		return;
	free(c->entries);
	free(c);
}

const char *usercache_name(struct usercache *c, uint32_t uid)
{
	struct user_entry *e;
	struct passwd pw, *res = NULL;
	char buf[4096];

	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i].uid == uid)
			return c->entries[i].name;
	e = realloc(c->entries, (c->n + 1) * sizeof(*e));
	if (!e)
		return NULL;
	c->entries = e;
	e = &c->entries[c->n];
	e->uid = uid;
	e->name = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
		e->name = snapshot_strndup(c->arena, res->pw_name, strlen(res->pw_name));
	c->n++;
	return e->name;
}

int procinfo_parse_status_tgid(const char *buf, size_t len, int *tgid)
{
	const char *end = buf + len;

	for (const char *line = buf; line && line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if ((size_t)(end - line) > 5 && memcmp(line, "Tgid:", 5) == 0) {
			const char *p = line + 5;
			long v = 0;

			while (p < end && (*p == '\t' || *p == ' '))
				p++;
			if (p >= end || *p < '0' || *p > '9')
				return -EINVAL;
			for (; p < end && *p >= '0' && *p <= '9'; p++) {
				v = v * 10 + (*p - '0');
				if (v > 1 << 30)
					return -EINVAL;
			}
			if (v == 0)
				return -EINVAL;
			*tgid = (int)v;
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -EINVAL;
}

/* /proc/ID answers for a thread id too (it is only left out of the
 * listing): its status names the thread group. */
int procinfo_tgid_at(int procfd, int id)
{
	char name[32], buf[1024] = { 0 }; /* (zeroed for the analyzer, which cannot see read() fill it) */
	ssize_t n;
	int tgid;

	if (id <= 0)
		return -ESRCH;
	snprintf(name, sizeof(name), "%d/status", id);
	n = procinfo_read_at(procfd, name, buf, sizeof(buf), NULL);
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	if (procinfo_parse_status_tgid(buf, (size_t)n, &tgid) < 0)
		return -ESRCH; /* exiting (a zombie's status has no Tgid) */
	return tgid;
}

int whosock_pid_resolve(const char *proc_root, int id, int *pid)
{
	int fd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = procinfo_tgid_at(fd, id);
	close(fd);
	if (r < 0)
		return r;
	*pid = r;
	return 0;
}
