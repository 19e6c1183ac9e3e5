/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners, the scan: one pass over /proc/PID/fd finding every socket inode a
 * process holds and the fds it holds each through (the process's details are
 * read and stored once). owners_join.c gives them to the snapshot's sockets.
 *
 * The scan is shared out between worker threads: each takes the next pid
 * from a common counter and keeps what it finds in its own part, so the scan
 * can run while the sockets are still being dumped. The parts are joined to
 * the snapshot's sockets by inode afterwards (owners_join.c). A process without socket fds
 * costs one directory walk and nothing more.
 *
 * A thread cloned without CLONE_FILES has a fd table of its own: we find such
 * threads with kcmp(KCMP_FILES) when /proc/PID/task says there is more than
 * one thread, and walk only those tables. Processes that exit, fds that close
 * and pids that are reused during the scan are skipped: every read goes
 * through the /proc/PID directory fd opened first, which stops answering once
 * that process is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "owners.h"
#include "bpf_owners.h"
#include "container.h"
#include "dirscan.h"
#include "filter.h"
#include "netns.h"
#include "procinfo.h"
#include "snapshot.h"

#include "owners_scan.h"


/* Only these say that a process is gone; any other error (EMFILE, ENFILE,
 * ENOMEM, EIO, ...) leaves a process unread that may hold sockets. */
static bool gone(int err)
{
	return err == ENOENT || err == ESRCH;
}

static void add_unread(struct part *pt, int err)
{
	if (!pt->unread++)
		pt->unread_error = err;
}

static int add_found(struct part *pt, uint64_t inode, int fd, int tid)
{
	if (pt->n_found == pt->cap_found) {
		size_t cap = pt->cap_found ? pt->cap_found * 2 : 1024;
		struct found *f = realloc(pt->found, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		pt->found = f;
		pt->cap_found = cap;
	}
	pt->found[pt->n_found++] = (struct found){
		.inode = inode, .proc = (uint32_t)pt->n_procs, .fd = fd, .tid = tid
	};
	return 0;
}

/* Remember namespace inode (once per part: the first way to reach it wins,
 * a process living in it before an fd holding it). */
static int add_ns(struct part *pt, uint64_t inode, int pid, int fd)
{
	for (size_t i = 0; i < pt->n_ns; i++)
		if (pt->ns[i].inode == inode) {
			if (pt->ns[i].fd >= 0 && fd < 0)
				pt->ns[i] = (struct nsref){ inode, pid, fd };
			return 0;
		}
	if (pt->n_ns == pt->cap_ns) {
		size_t cap = pt->cap_ns ? pt->cap_ns * 2 : 16;
		struct nsref *v = realloc(pt->ns, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pt->ns = v;
		pt->cap_ns = cap;
	}
	pt->ns[pt->n_ns++] = (struct nsref){ inode, pid, fd };
	return 0;
}

/* The namespace dirfd/"ns/net" lives in (0 when unreadable). */
static uint64_t read_ns(int dirfd)
{
	char link[64];
	ssize_t n = readlinkat(dirfd, "ns/net", link, sizeof(link));

	return n > 0 ? netns_parse_link(link, (size_t)n) : 0;
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
static int walk_fds(struct part *pt, int dirfd, int pid, int tid)
{
	int fdd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirscan d;
	const char *name;
	int found = 0, r = 0;

	if (fdd < 0)
		return -errno;
	dirscan_init(&d, fdd);
	while ((name = dirscan_next(&d))) {
		char link[64];
		ssize_t n;
		uint64_t ino;
		int fd;

		n = readlinkat(fdd, name, link, sizeof(link));
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			/* Listing is allowed but reading links is not (ptrace
			 * access denied): the whole table is hidden from us. */
			r = found ? found : -EACCES;
			goto out;
		}
		if (n <= 0)
			continue; /* closed meanwhile */
		ino = socket_inode(link, n);
		fd = parse_int(name);
		if (fd < 0)
			continue;
		if (!ino) {
			/* A namespace kept alive by an open fd. */
			uint64_t ns = link[0] == 'n' ? netns_parse_link(link, (size_t)n) : 0;

			if (ns && add_ns(pt, ns, pid, fd) < 0) {
				r = -ENOMEM;
				goto out;
			}
			continue;
		}
		r = add_found(pt, ino, fd, tid);
		if (r < 0)
			goto out;
		found++;
	}
	r = found;
out:
	close(fdd);
	return r;
}

/* Threads whose fd table is not the process's own. */
static int walk_thread_tables(struct part *pt, int pfd, int pid)
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
		return gone(errno) ? 0 : -errno;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		int tid = parse_int(de->d_name), thfd, r;
		uint64_t ns;

		if (tid <= 0 || tid == pid)
			continue;
		thfd = openat(tfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (thfd < 0 && !gone(errno)) {
			r = -errno;
			closedir(d);
			return r;
		}
		if (thfd < 0)
			continue;
		/* A thread may live in a namespace of its own. */
		ns = read_ns(thfd);
		if (ns && add_ns(pt, ns, tid, -1) < 0) {
			close(thfd);
			closedir(d);
			return -ENOMEM;
		}
		/* 0: same table. Where kcmp is refused, walk it anyway: duplicates
		 * are merged later. */
		if (syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0) == 0) {
			close(thfd);
			continue;
		}
		r = walk_fds(pt, thfd, pid, tid);
		close(thfd);
		if (r < 0 && r != -EACCES && r != -EPERM && !gone(-r)) {
			closedir(d);
			return r;
		}
		if (r > 0)
			found += r;
	}
	closedir(d);
	return found;
}

/* Name the container from the cgroup file in pt->buf: the v2 path first; on
 * hybrid hosts the v2 line may be the runtime's service while a v1 line
 * names the container, so those are tried next. */
static int name_container(struct part *pt, size_t len, struct whosock_container *c)
{
	struct container_ref ref;
	const char *v2 = NULL, *line = pt->buf, *end = pt->buf + len;
	size_t v2_len = 0;
	int found = 0;

	if (procinfo_parse_cgroup(pt->buf, len, &v2, &v2_len) == 0)
		found = container_from_cgroup(v2, v2_len, &ref) == 1;
	while (!found && line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *path = memchr(line, ':', (size_t)((nl ? nl : end) - line));

		path = path ? memchr(path + 1, ':', (size_t)((nl ? nl : end) - path - 1)) : NULL;
		if (path)
			found = container_from_cgroup(path + 1, (size_t)((nl ? nl : end) - path - 1),
						      &ref) == 1;
		line = nl ? nl + 1 : end;
	}
	if (!found)
		return 0;
	c->runtime = ref.runtime;
	c->id = snapshot_strndup(pt->arena, ref.id, ref.id_len);
	if (!c->id)
		return -ENOMEM;
	if (ref.pod_uid && ref.pod_uid_len < 64) {
		char uid[64];

		/* The systemd driver spells the UID with '_' for '-'. */
		for (size_t i = 0; i < ref.pod_uid_len; i++)
			uid[i] = ref.pod_uid_underscored && ref.pod_uid[i] == '_' ? '-' : ref.pod_uid[i];
		c->pod_uid = snapshot_strndup(pt->arena, uid, ref.pod_uid_len);
		if (!c->pod_uid)
			return -ENOMEM;
	}
	return 0;
}

/* Read what is wanted of the process and check the owner filters. Returns 1
 * to keep it, 0 to skip it (gone, or filtered out), or a negative errno
 * (-ENOMEM, or the error that kept its stat from being read). */
static int read_process(const struct owners_scan *sc, struct part *pt, int pfd, int pid,
			struct whosock_process *p)
{
	const struct whosock_filter *f = sc->filter;
	bool process = sc->want & WHOSOCK_WANT_PROCESS;
	const char *comm, *cg;
	size_t comm_len, cg_len;
	ssize_t n;
	int stat_pid;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	n = procinfo_read_at(pfd, "stat", pt->buf, 4096, NULL);
	if (n < 0 && !gone((int)-n))
		return (int)n; /* not read: the caller says so */
	if (n < 0 || procinfo_parse_stat(pt->buf, (size_t)n, &stat_pid, &comm, &comm_len) < 0 ||
	    stat_pid != pid)
		return 0;
	if (!filter_match_comm(f, comm, comm_len))
		return 0;
	p->comm = snapshot_strndup(pt->arena, comm, comm_len);
	if (!p->comm)
		return -ENOMEM;

	if (process || f->n_uids) {
		n = procinfo_read_at(pfd, "status", pt->buf, 8192, NULL);
		if (n >= 0 && procinfo_parse_status_uid(pt->buf, (size_t)n, &p->uid) == 0)
			p->uid_known = true;
		if (!filter_match_uid(f, p->uid_known, p->uid))
			return 0;
		if (process && p->uid_known)
			p->user = usercache_name(pt->users, p->uid);
	}
	if (process || f->n_cmdlines) {
		n = procinfo_read_at(pfd, "cmdline", pt->buf, sizeof(pt->buf), &p->cmdline_truncated);
		if (n >= 0) {
			size_t len = procinfo_cmdline_join(pt->buf, (size_t)n);

			pt->buf[len] = '\0';
			if (!filter_match_cmdline(sc->match, pt->buf))
				return 0;
			p->cmdline = snapshot_strndup(pt->arena, pt->buf, len);
			if (!p->cmdline)
				return -ENOMEM;
		} else if (f->n_cmdlines) {
			return 0;
		}
	}
	if (process || f->n_containers) {
		n = procinfo_read_at(pfd, "cgroup", pt->buf, 8192, NULL);
		if (n >= 0 && procinfo_parse_cgroup(pt->buf, (size_t)n, &cg, &cg_len) == 0) {
			p->cgroup = snapshot_strndup(pt->arena, cg, cg_len);
			if (!p->cgroup)
				return -ENOMEM;
			if (name_container(pt, (size_t)n, &p->container) < 0)
				return -ENOMEM;
		}
		if (!filter_match_container(f, &p->container))
			return 0;
	}
	return 1;
}

/* Kernel threads hold no fds: an unreadable table of theirs hides nothing.
 * /proc/PID/stat is readable by everyone; field 9 holds the task flags. */
static bool is_kernel_thread(struct part *pt, int pfd)
{
	const char *comm, *p;
	size_t comm_len;
	ssize_t n = procinfo_read_at(pfd, "stat", pt->buf, 4096, NULL);
	unsigned long flags;
	int pid;

	if (n < 0 || procinfo_parse_stat(pt->buf, (size_t)n, &pid, &comm, &comm_len) < 0)
		return false;
	p = comm + comm_len + 1; /* " STATE PPID PGRP SESSION TTY TPGID FLAGS" */
	for (int field = 3; field < 9; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return false;
	}
	flags = strtoul(p + 1, NULL, 10);
	return flags & 0x00200000; /* PF_KTHREAD */
}

/* Keep the process (open as pfd) whose socket fds are pt->found[mark..]:
 * read what is wanted of it and store it, or (none found, gone, filtered
 * out) drop those fds. Returns 0 or -ENOMEM. */
static int keep_process(const struct owners_scan *sc, struct part *pt, int pfd, int pid,
			size_t mark)
{
	struct whosock_process p;
	int r;

	if (pt->n_found == mark)
		return 0; /* no sockets: nothing more to read */
	r = read_process(sc, pt, pfd, pid, &p);
	if (r < 0 && r != -ENOMEM) {
		add_unread(pt, -r);
		r = 0;
	}
	if (r <= 0) {
		pt->n_found = mark;
		return r;
	}
	if (pt->n_procs == pt->cap_procs) {
		size_t cap = pt->cap_procs ? pt->cap_procs * 2 : 64;
		struct whosock_process *np = realloc(pt->procs, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		pt->procs = np;
		pt->cap_procs = cap;
	}
	pt->procs[pt->n_procs++] = p;
	return 0;
}

static int scan_process(const struct owners_scan *sc, struct part *pt, int pid)
{
	size_t mark = pt->n_found;
	char name[16];
	uint64_t ns;
	int pfd, r, found;

	snprintf(name, sizeof(name), "%d", pid);
	pfd = openat(sc->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		if (errno == ENOMEM)
			return -ENOMEM;
		if (!gone(errno))
			add_unread(pt, errno);
		return 0; /* exited, or counted */
	}
	ns = read_ns(pfd);
	if (ns && add_ns(pt, ns, pid, -1) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (!sc->want_owners) {
		r = 0;
		goto out; /* namespaces only */
	}
	found = walk_fds(pt, pfd, pid, 0);
	if ((found == -EACCES || found == -EPERM) && !is_kernel_thread(pt, pfd))
		pt->hidden++;
	if (found == -ENOMEM) {
		r = found;
		goto out;
	}
	if (found < 0 && found != -EACCES && found != -EPERM && !gone(-found))
		add_unread(pt, -found);
	r = walk_thread_tables(pt, pfd, pid);
	if (r == -ENOMEM)
		goto out;
	if (r < 0 && found >= 0)
		add_unread(pt, -r); /* its own table is read; a thread's was not */
	r = keep_process(sc, pt, pfd, pid, mark);
out:
	close(pfd);
	return r;
}

/* The same for process sc->pids[i] of the BPF pass: its socket fds are
 * the pass's records; /proc/PID gives the rest. */
static int scan_process_bpf(const struct owners_scan *sc, struct part *pt, size_t i)
{
	size_t mark = pt->n_found;
	int pid = sc->pids[i], pfd, r = 0;
	char name[16];

	snprintf(name, sizeof(name), "%d", pid);
	pfd = openat(sc->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		if (errno == ENOMEM)
			return -ENOMEM;
		if (!gone(errno))
			add_unread(pt, errno);
		return 0; /* exited since the pass, or counted */
	}
	for (size_t k = sc->ranges[2 * i]; r == 0 && k < sc->ranges[2 * i + 1]; k++) {
		const struct owners_rec *rec = &sc->recs[k];

		if (rec->kind == OWNERS_REC_SOCKET)
			r = add_found(pt, rec->inode, rec->fd, (int)rec->tid);
	}
	if (r == 0)
		r = keep_process(sc, pt, pfd, pid, mark);
	close(pfd);
	return r;
}

static void part_free(struct part *pt)
{
	if (!pt)
		return;
	whosock_snapshot_free(pt->arena);
	usercache_free(pt->users);
	free(pt->found);
	free(pt->procs);
	free(pt->ns);
	free(pt);
}

int owners_read_one(int pid, struct whosock_snapshot *arena, struct whosock_process *out)
{
	static const struct whosock_filter none = WHOSOCK_FILTER_INIT;
	struct owners_scan sc = { .filter = &none, .want = WHOSOCK_WANT_PROCESS };
	struct part *pt = calloc(1, sizeof(*pt));
	char name[32];
	int pfd, r;

	if (!pt)
		return -ENOMEM;
	pt->arena = arena;
	pt->users = usercache_new(arena);
	r = pt->users ? whosock_process_filter_new(&none, &sc.match) : -ENOMEM;
	snprintf(name, sizeof(name), "/proc/%d", pid);
	pfd = r < 0 ? -1 : open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r == 0)
		r = pfd < 0 ? (gone(errno) ? 0 : -errno) : read_process(&sc, pt, pfd, pid, out);
	if (pfd >= 0)
		close(pfd);
	whosock_process_filter_free(sc.match);
	usercache_free(pt->users);
	free(pt);
	return r;
}

static int list_pids(struct owners_scan *sc);
static int list_filter_pids(struct owners_scan *sc);

/* Whether pid is among the filter's processes (sc->pids, a few). */
static bool wanted_pid(const struct owners_scan *sc, int pid)
{
	if (!sc->filter->n_pids)
		return true;
	for (size_t i = 0; i < sc->n_pids; i++)
		if (sc->pids[i] == pid)
			return true;
	return false;
}

/* The BPF pass: the namespaces go to a part of their own (sc->bpf_part),
 * the processes with sockets become sc->pids with their ranges of
 * records. When the pass fails, the /proc walk's pids are listed instead
 * and why is kept for the note. Returns 0 or -ENOMEM. */
static int bpf_pass(struct owners_scan *sc)
{
	unsigned what = BPF_OWNERS_TASKS | (sc->want_owners ? BPF_OWNERS_FILES : 0);
	struct owners_rec *recs;
	size_t n, n_pids = 0, *ranges;
	struct part *pt;
	int *pids, r;

	r = sc->filter->n_pids ? list_filter_pids(sc) : 0;
	if (r < 0)
		return r;
	r = bpf_owners_read(what, &recs, &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		sc->bpf_error = -r;
		sc->bpf_noted = sc->owner_source == WHOSOCK_OWNERS_BPF || r != -EOPNOTSUPP;
		return sc->filter->n_pids ? 0 : list_pids(sc);
	}
	sc->recs = recs;
	sc->n_recs = n;
	pt = sc->bpf_part = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pids = malloc((n ? n : 1) * sizeof(*pids));
	ranges = malloc((n ? n : 1) * 2 * sizeof(*ranges));
	if (!pids || !ranges) {
		free(pids);
		free(ranges);
		return -ENOMEM;
	}
	for (size_t i = 0, j; i < n; i = j) {
		int tgid = (int)recs[i].tgid;
		bool keep = wanted_pid(sc, tgid), sockets = false;

		for (j = i; j < n && recs[j].tgid == recs[i].tgid; j++) {
			const struct owners_rec *rec = &recs[j];

			if (!keep)
				continue;
			if (rec->kind == OWNERS_REC_TASK_NS)
				r = add_ns(pt, rec->inode, rec->tid ? (int)rec->tid : tgid, -1);
			else if (rec->kind == OWNERS_REC_NETNS_FD)
				r = add_ns(pt, rec->inode, tgid, rec->fd);
			else
				sockets = true;
			if (r < 0) {
				free(pids);
				free(ranges);
				return r;
			}
		}
		if (!keep || !sockets)
			continue;
		pids[n_pids] = tgid;
		ranges[2 * n_pids] = i;
		ranges[2 * n_pids + 1] = j;
		n_pids++;
	}
	free(sc->pids);
	sc->pids = pids;
	sc->n_pids = n_pids;
	sc->ranges = ranges;
	sc->bpf = true;
	return 0;
}

/* Run the BPF pass if it is still to run: waiting for the worker that
 * runs it (wait), or else leaving it to that one. */
static void run_bpf_pass(struct owners_scan *sc, bool wait)
{
	if (!__atomic_load_n(&sc->bpf_pending, __ATOMIC_ACQUIRE))
		return;
	if (wait)
		pthread_mutex_lock(&sc->bpf_lock);
	else if (pthread_mutex_trylock(&sc->bpf_lock) != 0)
		return;
	if (sc->bpf_pending) {
		sc->bpf_status = bpf_pass(sc);
		__atomic_store_n(&sc->bpf_pending, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sc->bpf_lock);
}

void owners_scan_start(struct owners_scan *sc, size_t w)
{
	run_bpf_pass(sc, false);
}

void owners_scan_work(struct owners_scan *sc, size_t w)
{
	struct part *pt;

	if (w >= sc->n_parts || sc->parts[w])
		return;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return; /* the pids it would have taken are scanned by the others */
	pt->arena = snapshot_new();
	pt->users = usercache_new(pt->arena);
	if (!pt->arena || !pt->users) {
		part_free(pt);
		return;
	}
	sc->parts[w] = pt;
	/* The others wait here: their dumps are done, and the pids they are
	 * to take come from the pass. */
	run_bpf_pass(sc, true);
	if (sc->bpf_status < 0) {
		pt->error = sc->bpf_status;
		return;
	}
	for (;;) {
		size_t i = __atomic_fetch_add(&sc->next, 1, __ATOMIC_RELAXED);

		if (i >= sc->n_pids)
			break;
		pt->error = sc->bpf ? scan_process_bpf(sc, pt, i) : scan_process(sc, pt, sc->pids[i]);
		if (pt->error < 0)
			break;
	}
}

/* The processes of the filter's pids: a thread id stands for its process
 * (which walk_thread_tables() then visits with every thread's own table);
 * one that does not live (any longer) has no sockets. */
static int list_filter_pids(struct owners_scan *sc)
{
	const struct whosock_filter *f = sc->filter;

	sc->pids = malloc(f->n_pids * sizeof(*sc->pids));
	if (!sc->pids)
		return -ENOMEM;
	for (size_t i = 0; i < f->n_pids; i++) {
		int pid = procinfo_tgid_at(sc->procfd, f->pids[i]);
		bool seen = false;

		if (pid == -ENOMEM)
			return pid;
		for (size_t k = 0; pid > 0 && k < sc->n_pids && !seen; k++)
			seen = sc->pids[k] == pid;
		if (pid > 0 && !seen)
			sc->pids[sc->n_pids++] = pid;
	}
	return 0;
}

/* The pids to scan: those of the filter, or every numeric entry of proc_root. */
static int list_pids(struct owners_scan *sc)
{
	size_t cap = 0;
	struct dirent *de;
	int dupfd, r = 0;
	DIR *d;

	if (sc->filter->n_pids)
		return list_filter_pids(sc);
	dupfd = fcntl(sc->procfd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	d = fdopendir(dupfd);
	if (!d) {
		r = -errno;
		close(dupfd);
		return r;
	}
	while ((de = readdir(d))) {
		int pid = parse_int(de->d_name);

		if (pid <= 0)
			continue;
		if (sc->n_pids == cap) {
			int *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(sc->pids, cap * sizeof(*p));
			if (!p) {
				r = -ENOMEM;
				break;
			}
			sc->pids = p;
		}
		sc->pids[sc->n_pids++] = pid;
	}
	closedir(d);
	return r;
}

/* The PID namespace whose processes procfd shows: its pid 1's (that of a
 * /proc mounted by a PID namespace's process is that namespace's init), or
 * where that is not readable, the caller's own as seen there. 0 when
 * neither is (a captured /proc tree). */
static uint64_t proc_pidns(int procfd)
{
	struct stat st;

	if (fstatat(procfd, "1/ns/pid", &st, 0) == 0 || fstatat(procfd, "self/ns/pid", &st, 0) == 0)
		return (uint64_t)st.st_ino;
	return 0;
}

/* Why the BPF pass cannot stand in for the walk of the live /proc, as a
 * positive errno, or 0: its iterators give the kernel's task ids and visit
 * the tasks of the caller's PID namespace, so both the caller and the
 * /proc read must be in the initial one. */
static int bpf_unusable(const struct owners_scan *sc)
{
	struct stat st;

	if (sc->pidns != INITIAL_PIDNS_INODE || fstatat(sc->procfd, "self/ns/pid", &st, 0) < 0 ||
	    st.st_ino != INITIAL_PIDNS_INODE)
		return EXDEV;
	return 0;
}

int owners_scan_new(const char *proc_root, const struct whosock_filter *filter, unsigned want,
		    unsigned owner_source, size_t workers, const int *pids, size_t n_pids,
		    struct owners_scan **out)
{
	struct owners_scan *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	pthread_mutex_init(&sc->bpf_lock, NULL);
	sc->owner_source = owner_source;
	sc->filter = filter;
	sc->want = want;
	sc->want_owners = want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS);
	sc->n_parts = workers < 1 ? 1 : workers > MAX_WORKERS ? MAX_WORKERS : workers;
	sc->procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sc->procfd < 0) {
		r = -errno;
		pthread_mutex_destroy(&sc->bpf_lock);
		free(sc);
		return r;
	}
	sc->pidns = proc_pidns(sc->procfd);
	r = whosock_process_filter_new(filter, &sc->match);
	if (r < 0) {
		close(sc->procfd);
		pthread_mutex_destroy(&sc->bpf_lock);
		free(sc);
		return r;
	}
	/* A list of pids (a watcher's few) and, unless BPF is asked for by
	 * name, the filter's few processes are cheaper read from /proc; a
	 * captured /proc tree is what is to be read. */
	if (owner_source != WHOSOCK_OWNERS_PROC && !pids && strcmp(proc_root, "/proc") == 0 &&
	    (owner_source == WHOSOCK_OWNERS_BPF || !filter->n_pids)) {
		sc->bpf_error = bpf_unusable(sc);
		sc->bpf_noted = sc->bpf_error != 0;
		sc->bpf_pending = !sc->bpf_error;
	}
	if (pids) {
		sc->pids = malloc((n_pids ? n_pids : 1) * sizeof(*pids));
		r = sc->pids ? 0 : -ENOMEM;
		if (r == 0 && n_pids)
			memcpy(sc->pids, pids, n_pids * sizeof(*pids));
		sc->n_pids = n_pids;
	} else if (!sc->bpf_pending) {
		r = list_pids(sc);
	}
	if (r < 0) {
		owners_scan_free(sc);
		return r;
	}
	*out = sc;
	return 0;
}

void owners_scan_free(struct owners_scan *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_parts; i++)
		part_free(sc->parts[i]);
	whosock_process_filter_free(sc->match);
	if (sc->procfd >= 0)
		close(sc->procfd);
	pthread_mutex_destroy(&sc->bpf_lock);
	part_free(sc->bpf_part);
	free(sc->recs);
	free(sc->ranges);
	free(sc->pids);
	free(sc);
}

size_t owners_scan_processes(const struct owners_scan *sc)
{
	return sc ? sc->n_pids : 0;
}
