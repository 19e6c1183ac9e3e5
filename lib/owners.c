/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners: one pass over /proc/PID/fd joining socket inodes to every (pid, fd)
 * that holds them.
 *
 * Only inodes already in the snapshot are looked for, so a process whose
 * sockets were all filtered out costs one directory walk and nothing more.
 * A thread cloned without CLONE_FILES has a fd table of its own: we find
 * such threads with kcmp(KCMP_FILES) when /proc/PID/task says there is more
 * than one thread, and walk only those tables. Processes that exit, fds that
 * close and pids that are reused during the scan are skipped: every read goes
 * through the /proc/PID directory fd opened first, which stops answering once
 * that process is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "owners.h"
#include "procinfo.h"
#include "snapshot.h"

/* inode → socket index, open addressing. */
struct inode_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;
};

static size_t hash_inode(uint64_t inode)
{
	return (size_t)(inode * 0x9E3779B97F4A7C15ull >> 17);
}

static int inode_map_init(struct inode_map *m, struct whosock_snapshot *snap)
{
	size_t n = whosock_snapshot_count(snap), cap = 64;

	while (cap < n * 2)
		cap *= 2;
	m->mask = cap - 1;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = malloc(cap * sizeof(*m->vals));
	if (!m->keys || !m->vals)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t ino = whosock_snapshot_get(snap, i)->inode;
		size_t h;

		if (ino == 0)
			continue;
		for (h = hash_inode(ino) & m->mask; m->keys[h] && m->keys[h] != ino; h = (h + 1) & m->mask)
			;
		m->keys[h] = ino;
		m->vals[h] = (uint32_t)i;
	}
	return 0;
}

static long inode_map_get(const struct inode_map *m, uint64_t ino)
{
	for (size_t h = hash_inode(ino) & m->mask; m->keys[h]; h = (h + 1) & m->mask)
		if (m->keys[h] == ino)
			return m->vals[h];
	return -1;
}

static void inode_map_free(struct inode_map *m)
{
	free(m->keys);
	free(m->vals);
}

struct entry {
	uint32_t sock; /* index in the snapshot */
	uint32_t proc; /* index in scan.procs */
	int fd;
	int tid;
};

struct scan {
	struct whosock_snapshot *snap;
	const struct whosock_filter *filter;
	unsigned want;
	struct inode_map map;
	struct entry *entries;
	size_t n_entries, cap_entries;
	struct whosock_process *procs;
	size_t n_procs, cap_procs;
	struct usercache *users;
	regex_t cmdline_re;
	bool have_re;
	size_t hidden;
	char buf[WHOSOCK_CMDLINE_MAX + 1];
};

static int add_entry(struct scan *sc, uint32_t sock, int fd, int tid)
{
	if (sc->n_entries == sc->cap_entries) {
		size_t cap = sc->cap_entries ? sc->cap_entries * 2 : 4096;
		struct entry *e = realloc(sc->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		sc->entries = e;
		sc->cap_entries = cap;
	}
	sc->entries[sc->n_entries++] = (struct entry){
		.sock = sock, .proc = (uint32_t)sc->n_procs, .fd = fd, .tid = tid
	};
	return 0;
}

/* "socket:[12345]" → 12345; 0 for anything else. */
static uint64_t socket_inode(const char *link, ssize_t len)
{
	uint64_t v = 0;

	if (len < 10 || memcmp(link, "socket:[", 8) != 0 || link[len - 1] != ']')
		return 0;
	for (ssize_t i = 8; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > UINT64_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v;
}

static int parse_int(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1 << 30)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* Walk one fd table (dirfd/"fd"). Returns the number of sockets found, or a
 * negative errno: -EACCES when not readable, -ENOENT/-ESRCH when gone. */
static int walk_fds(struct scan *sc, int dirfd, int tid)
{
	int fdd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int found = 0, r;

	if (fdd < 0)
		return -errno;
	d = fdopendir(fdd);
	if (!d) {
		r = -errno;
		close(fdd);
		return r;
	}
	while ((de = readdir(d))) {
		char link[64];
		ssize_t n;
		uint64_t ino;
		long sock;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(fdd, de->d_name, link, sizeof(link));
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			/* Listing is allowed but reading links is not (ptrace
			 * access denied): the whole table is hidden from us. */
			closedir(d);
			return found ? found : -EACCES;
		}
		if (n <= 0)
			continue; /* closed meanwhile */
		ino = socket_inode(link, n);
		if (!ino || (sock = inode_map_get(&sc->map, ino)) < 0)
			continue;
		fd = parse_int(de->d_name);
		if (fd < 0)
			continue;
		r = add_entry(sc, (uint32_t)sock, fd, tid);
		if (r < 0) {
			closedir(d);
			return r;
		}
		found++;
	}
	closedir(d);
	return found;
}

/* Threads whose fd table is not the process's own. */
static int walk_thread_tables(struct scan *sc, int pfd, int pid)
{
	struct stat st;
	struct dirent *de;
	int tfd, found = 0;
	DIR *d;

	/* /proc/PID/task has 2 + (number of threads) links. */
	if (fstatat(pfd, "task", &st, 0) < 0 || st.st_nlink <= 3)
		return 0;
	tfd = openat(pfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return 0;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return 0;
	}
	while ((de = readdir(d))) {
		int tid = parse_int(de->d_name), thfd, r;

		if (tid <= 0 || tid == pid)
			continue;
		/* 0: same table. Where kcmp is refused, walk it anyway: duplicates
		 * are merged later. */
		if (syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0) == 0)
			continue;
		thfd = openat(tfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (thfd < 0)
			continue;
		r = walk_fds(sc, thfd, tid);
		close(thfd);
		if (r == -ENOMEM) {
			closedir(d);
			return r;
		}
		if (r > 0)
			found += r;
	}
	closedir(d);
	return found;
}

static bool cmdline_matches(struct scan *sc, const char *cmdline)
{
	const char *pat = sc->filter->cmdline;

	if (!pat)
		return true;
	if (!cmdline)
		return false;
	if (strstr(cmdline, pat))
		return true;
	return sc->have_re && regexec(&sc->cmdline_re, cmdline, 0, NULL, 0) == 0;
}

/* Read what is wanted of the process and check the owner filters. Returns 1
 * to keep it, 0 to skip it (gone, or filtered out), or -ENOMEM. */
static int read_process(struct scan *sc, int pfd, int pid, struct whosock_process *p)
{
	const struct whosock_filter *f = sc->filter;
	bool process = sc->want & WHOSOCK_WANT_PROCESS;
	const char *comm, *cg;
	size_t comm_len, cg_len;
	ssize_t n;
	int stat_pid;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	n = procinfo_read_at(pfd, "stat", sc->buf, 4096, NULL);
	if (n < 0 || procinfo_parse_stat(sc->buf, (size_t)n, &stat_pid, &comm, &comm_len) < 0 ||
	    stat_pid != pid)
		return 0;
	if (f->comm && (strlen(f->comm) != comm_len || memcmp(f->comm, comm, comm_len) != 0))
		return 0;
	p->comm = snapshot_strndup(sc->snap, comm, comm_len);
	if (!p->comm)
		return -ENOMEM;

	if (process || f->uid_set) {
		n = procinfo_read_at(pfd, "status", sc->buf, 8192, NULL);
		if (n >= 0 && procinfo_parse_status_uid(sc->buf, (size_t)n, &p->uid) == 0)
			p->uid_known = true;
		if (f->uid_set && (!p->uid_known || p->uid != f->uid))
			return 0;
		if (process && p->uid_known)
			p->user = usercache_name(sc->users, p->uid);
	}
	if (process || f->cmdline) {
		n = procinfo_read_at(pfd, "cmdline", sc->buf, sizeof(sc->buf), &p->cmdline_truncated);
		if (n >= 0) {
			size_t len = procinfo_cmdline_join(sc->buf, (size_t)n);

			sc->buf[len] = '\0';
			if (!cmdline_matches(sc, sc->buf))
				return 0;
			p->cmdline = snapshot_strndup(sc->snap, sc->buf, len);
			if (!p->cmdline)
				return -ENOMEM;
		} else if (f->cmdline) {
			return 0;
		}
	}
	if (process) {
		n = procinfo_read_at(pfd, "cgroup", sc->buf, 8192, NULL);
		if (n >= 0 && procinfo_parse_cgroup(sc->buf, (size_t)n, &cg, &cg_len) == 0) {
			p->cgroup = snapshot_strndup(sc->snap, cg, cg_len);
			if (!p->cgroup)
				return -ENOMEM;
		}
	}
	return 1;
}

static int scan_process(struct scan *sc, int procfd, const char *name, int pid)
{
	size_t mark = sc->n_entries;
	struct whosock_process p;
	int pfd, r, found;

	pfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return 0; /* exited */
	found = walk_fds(sc, pfd, 0);
	if (found == -EACCES || found == -EPERM) {
		sc->hidden++;
		found = 0;
	}
	if (found == -ENOMEM) {
		r = found;
		goto out;
	}
	r = walk_thread_tables(sc, pfd, pid);
	if (r < 0)
		goto out;
	if (found <= 0 && r == 0) {
		r = 0;
		goto out;
	}
	r = read_process(sc, pfd, pid, &p);
	if (r <= 0) {
		sc->n_entries = mark;
		goto out;
	}
	if (sc->n_procs == sc->cap_procs) {
		size_t cap = sc->cap_procs ? sc->cap_procs * 2 : 256;
		struct whosock_process *np = realloc(sc->procs, cap * sizeof(*np));

		if (!np) {
			r = -ENOMEM;
			goto out;
		}
		sc->procs = np;
		sc->cap_procs = cap;
	}
	sc->procs[sc->n_procs++] = p;
	r = 0;
out:
	close(pfd);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sock != y->sock)
		return x->sock < y->sock ? -1 : 1;
	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Hand the owners to the sockets: one array for all, owned by the snapshot. */
static int attach(struct scan *sc)
{
	struct whosock_process *procs = NULL;
	struct whosock_owner *owners = NULL;
	size_t n = 0;

	qsort(sc->entries, sc->n_entries, sizeof(*sc->entries), cmp_entry);
	if (sc->n_procs) {
		procs = snapshot_adopt(sc->snap, sc->procs);
		if (!procs)
			return -ENOMEM;
		sc->procs = NULL;
	}
	if (sc->n_entries) {
		owners = snapshot_adopt(sc->snap, malloc(sc->n_entries * sizeof(*owners)));
		if (!owners)
			return -ENOMEM;
	}
	for (size_t i = 0; i < sc->n_entries; i++) {
		const struct entry *e = &sc->entries[i];
		struct whosock_socket *s = snapshot_at(sc->snap, e->sock);

		/* The same (pid, fd) seen in the process's table and in a thread's
		 * copy of it is one owner. */
		if (i && e->sock == e[-1].sock && e->proc == e[-1].proc && e->fd == e[-1].fd)
			continue;
		owners[n] = (struct whosock_owner){ .proc = &procs[e->proc], .fd = e->fd, .tid = e->tid };
		if (!s->owners)
			s->owners = &owners[n];
		s->n_owners++;
		n++;
	}
	return 0;
}

static bool filters_owners(const struct whosock_filter *f)
{
	return f->pid > 0 || f->uid_set || f->comm || f->cmdline;
}

int owners_collect(struct whosock_snapshot *snap, const char *proc_root,
		   const struct whosock_filter *filter, unsigned want)
{
	struct scan *sc;
	struct dirent *de;
	DIR *d = NULL;
	int procfd = -1, r;

	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->snap = snap;
	sc->filter = filter;
	sc->want = want;
	r = inode_map_init(&sc->map, snap);
	if (r < 0)
		goto out;
	sc->users = usercache_new(snap);
	if (!sc->users) {
		r = -ENOMEM;
		goto out;
	}
	if (filter->cmdline)
		sc->have_re = regcomp(&sc->cmdline_re, filter->cmdline, REG_EXTENDED | REG_NOSUB) == 0;

	procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		r = -errno;
		goto out;
	}
	if (filter->pid > 0) {
		char name[16];

		snprintf(name, sizeof(name), "%d", filter->pid);
		r = scan_process(sc, procfd, name, filter->pid);
	} else {
		int dupfd = fcntl(procfd, F_DUPFD_CLOEXEC, 0);

		d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
		if (!d) {
			r = -errno;
			if (dupfd >= 0)
				close(dupfd);
			goto out;
		}
		while ((de = readdir(d))) {
			int pid = parse_int(de->d_name);

			if (pid <= 0)
				continue;
			r = scan_process(sc, procfd, de->d_name, pid);
			if (r < 0)
				goto out;
		}
	}
	if (r < 0)
		goto out;
	r = attach(sc);
	if (r < 0)
		goto out;
	snapshot_set_hidden(snap, sc->hidden);
	if (filters_owners(filter))
		snapshot_keep_owned(snap);
out:
	if (d)
		closedir(d);
	if (procfd >= 0)
		close(procfd);
	if (sc->have_re)
		regfree(&sc->cmdline_re);
	usercache_free(sc->users);
	inode_map_free(&sc->map);
	free(sc->entries);
	free(sc->procs);
	free(sc);
	return r;
}
