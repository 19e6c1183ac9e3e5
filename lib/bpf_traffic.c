/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-socket counters and life events from the kernel (see bpf_traffic.h):
 * the skeleton of lib/bpf/socklife.bpf.c loaded, its programs attached to
 * the cgroup v2 root (and the tracepoints) through links of this process,
 * the counters map read by cookie, the ring buffer read through libbpf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "bpf_traffic.h"
#include "snapshot.h"

#if HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/socklife_rec.h"

/* The skeleton holds the BPF object as one long string literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "socklife.skel.h"
#pragma GCC diagnostic pop

#define MAX_LINKS 16
/* A mount point in /proc/self/mountinfo, escapes decoded. */
#define MOUNTINFO_LINE_MAX 8192

struct bpf_traffic {
	struct socklife_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	int counters_fd, listeners_fd;
	struct ring_buffer *rb;
	bpf_traffic_event_fn *fn;
	void *data;
	bool stop; /* fn asked to stop this read */
};

/* The library never prints: libbpf's messages are dropped. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* An fd of the cgroup v2 root as this process sees it: the first cgroup2
 * mount of /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified
 * on a hybrid setup). Programs attached there see every socket of its
 * subtree: every process's, in every network namespace. */
static int open_cgroup_root(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = malloc(MOUNTINFO_LINE_MAX);
	int r = -ENOENT;

	if (!f || !line) {
		r = f ? -ENOMEM : -errno;
		goto out;
	}
	while (fgets(line, MOUNTINFO_LINE_MAX, f)) {
		/* id parent major:minor root mountpoint options [optional...] - fstype ... */
		char *sep = strstr(line, " - "), *fields[5], *save = NULL, *tok = line;
		int n = 0;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		while (n < 5 && (fields[n] = strtok_r(tok, " ", &save)) != NULL) {
			tok = NULL;
			n++;
		}
		if (n < 5)
			continue;
		unescape(fields[4]);
		r = open(fields[4], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = r < 0 ? -errno : r;
		break;
	}
out:
	if (f)
		fclose(f);
	free(line);
	return r;
}

static int add_link(struct bpf_traffic *bt, struct bpf_link *link)
{
	if (!link)
		return errno ? -errno : -EINVAL;
	if (bt->n_links == MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	bt->links[bt->n_links++] = link;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_traffic *bt = ctx;

	if (size < sizeof(struct socklife_ev))
		return 0; /* not ours: skip */
	if (!bt->fn(data, bt->data)) {
		bt->stop = true;
		return -EINTR; /* libbpf stops after this one */
	}
	return 0;
}

static int open_mode(bool events, uint64_t netns, bpf_traffic_event_fn *fn, void *data,
		     struct bpf_traffic **out)
{
	libbpf_print_fn_t saved = libbpf_set_print(quiet);
	struct bpf_traffic *bt = calloc(1, sizeof(*bt));
	struct socklife_bpf *skel = NULL;
	int cg = -1, r;

	if (!bt) {
		r = -ENOMEM;
		goto out;
	}
	bt->fn = fn;
	bt->data = data;
	skel = socklife_bpf__open();
	if (!skel) {
		r = -errno;
		goto out;
	}
	bt->skel = skel;
	skel->rodata->events_netns = netns;
	if (!events) {
		struct bpf_program *p;

		/* Counters only: the hooks stay unloaded, the ring is small. */
		bpf_object__for_each_program(p, skel->obj)
			bpf_program__set_autoload(p, p == skel->progs.count_sent ||
							     p == skel->progs.count_received);
		bpf_map__set_max_entries(skel->maps.events, (uint32_t)sysconf(_SC_PAGESIZE));
	}
	r = socklife_bpf__load(skel);
	if (r < 0)
		goto out;
	/* The socket hooks attach to the cgroup v2 root; the counters are
	 * tracepoints, which need none. */
	if (events) {
		cg = open_cgroup_root();
		if (cg < 0) {
			r = cg;
			goto out;
		}
	}
	{
		struct bpf_program *p;

		bpf_object__for_each_program(p, skel->obj) {
			if (!bpf_program__autoload(p))
				continue;
			errno = 0;
			if (bpf_program__type(p) == BPF_PROG_TYPE_TRACING)
				r = add_link(bt, bpf_program__attach(p));
			else
				r = add_link(bt, bpf_program__attach_cgroup(p, cg));
			if (r < 0)
				goto out;
		}
	}
	bt->counters_fd = bpf_map__fd(skel->maps.counters);
	bt->listeners_fd = bpf_map__fd(skel->maps.listeners);
	if (events) {
		errno = 0;
		bt->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_sample, bt, NULL);
		if (!bt->rb) {
			r = errno ? -errno : -ENOMEM;
			goto out;
		}
	}
	*out = bt;
	bt = NULL;
	r = 0;
out:
	if (cg >= 0)
		close(cg);
	bpf_traffic_close(bt);
	libbpf_set_print(saved);
	/* libbpf gives -errno, sometimes its own codes above 4000: kept. */
	return r < 0 ? r : 0;
}

int bpf_traffic_open(struct bpf_traffic **out)
{
	return open_mode(false, 0, NULL, NULL, out);
}

int bpf_traffic_open_events(uint64_t netns, bpf_traffic_event_fn *fn, void *data,
			    struct bpf_traffic **out)
{
	if (!fn)
		return -EINVAL;
	return open_mode(true, netns, fn, data, out);
}

int bpf_traffic_get(const struct bpf_traffic *bt, uint64_t cookie, struct whosock_traffic *out)
{
	struct socklife_count c;
	__u64 key = cookie;

	if (bpf_map_lookup_elem(bt->counters_fd, &key, &c) < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	out->sent_bytes = c.sent_bytes;
	out->received_bytes = c.received_bytes;
	out->sent_packets = c.sent_packets;
	out->received_packets = c.received_packets;
	out->since_start = true;
	return 0;
}

int bpf_traffic_forget(struct bpf_traffic *bt, uint64_t cookie)
{
	__u64 key = cookie;

	return bpf_map_delete_elem(bt->counters_fd, &key) < 0 ? -errno : 0;
}

int bpf_traffic_add_listener(struct bpf_traffic *bt, uint64_t netns, uint16_t port, uint64_t cookie,
			     const struct whosock_process *p)
{
	struct socklife_listen_key key = { .netns = netns, .port = port };
	struct socklife_proc v = { .cookie = cookie, .pid = (__u32)p->pid, .tid = (__u32)p->pid,
				   .uid = p->uid };

	memcpy(v.comm, p->comm, strnlen(p->comm, sizeof(v.comm) - 1));
	if (!bt->listeners_fd)
		return -ENOENT;
	return bpf_map_update_elem(bt->listeners_fd, &key, &v, BPF_NOEXIST) < 0 ? -errno : 0;
}

void bpf_traffic_fill(const struct bpf_traffic *bt, struct whosock_snapshot *snap)
{
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		struct whosock_socket *s = snapshot_at(snap, i);

		if (!(s->known & WHOSOCK_KNOWN_TRAFFIC) && (s->known & WHOSOCK_KNOWN_COOKIE) &&
		    bpf_traffic_get(bt, s->cookie, &s->traffic) == 0)
			s->known |= WHOSOCK_KNOWN_TRAFFIC;
	}
}

int bpf_traffic_events_fd(const struct bpf_traffic *bt)
{
	return bt->rb ? ring_buffer__epoll_fd(bt->rb) : -1;
}

int bpf_traffic_read_events(struct bpf_traffic *bt)
{
	int r;

	if (!bt->rb)
		return 0;
	bt->stop = false;
	r = ring_buffer__consume(bt->rb);
	if (r == -EINTR && bt->stop)
		return 1;
	return r;
}

uint64_t bpf_traffic_lost(const struct bpf_traffic *bt)
{
	return __atomic_load_n(&bt->skel->bss->lost, __ATOMIC_RELAXED);
}

void bpf_traffic_close(struct bpf_traffic *bt)
{
	if (!bt)
		return;
	ring_buffer__free(bt->rb);
	for (size_t i = 0; i < bt->n_links; i++)
		bpf_link__destroy(bt->links[i]);
	socklife_bpf__destroy(bt->skel);
	free(bt);
}

#else

int bpf_traffic_open(struct bpf_traffic **out)
{
	return -EOPNOTSUPP;
}

int bpf_traffic_open_events(uint64_t netns, bpf_traffic_event_fn *fn, void *data,
			    struct bpf_traffic **out)
{
	return -EOPNOTSUPP;
}

int bpf_traffic_get(const struct bpf_traffic *bt, uint64_t cookie, struct whosock_traffic *out)
{
	return -ENOENT;
}

int bpf_traffic_forget(struct bpf_traffic *bt, uint64_t cookie)
{
	return -ENOENT;
}

int bpf_traffic_add_listener(struct bpf_traffic *bt, uint64_t netns, uint16_t port, uint64_t cookie,
			     const struct whosock_process *p)
{
	return -ENOENT;
}

void bpf_traffic_fill(const struct bpf_traffic *bt, struct whosock_snapshot *snap)
{
}

int bpf_traffic_events_fd(const struct bpf_traffic *bt)
{
	return -1;
}

int bpf_traffic_read_events(struct bpf_traffic *bt)
{
	return 0;
}

uint64_t bpf_traffic_lost(const struct bpf_traffic *bt)
{
	return 0;
}

void bpf_traffic_close(struct bpf_traffic *bt)
{
}

#endif
