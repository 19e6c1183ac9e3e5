/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture's namespaces and handles (capture_int.h): one handle per
 * (namespace, interface); a namespace other than whosock's own is entered
 * by a short-lived thread that opens its handles there and ends (a packet
 * socket stays in the namespace it was made in), so the main thread never
 * changes namespace. The namespaces are looked at again every second: one
 * that is gone (no process lives in it, no name holds it: only our
 * sockets keep it) has its handles closed, a new one is captured on with
 * --netns all. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_int.h"
#include "netns.h"
#include "snapshot.h"

/* ---- handles ---- */

void capture_close_handle(struct cap_handle *h)
{
	if (h->p)
		pcap_close(h->p);
	h->p = NULL;
}

/* Open the handle of interface name in the calling thread's namespace,
 * with the filter expression. Returns it or NULL with why in err. */
static struct cap_handle *open_handle(struct capture *c, struct cap_ns *ns, const char *name,
				      char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct cap_handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ns = ns;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->p = pcap_create(name, ebuf);
	if (!h->p) {
		snprintf(err, errlen, "%s: %s", name, ebuf);
		free(h);
		return NULL;
	}
	pcap_set_snaplen(h->p, c->cli->capture.snaplen);
	pcap_set_promisc(h->p, 0);
	pcap_set_timeout(h->p, BLOCK_MS);
	pcap_set_buffer_size(h->p, BUFFER_BYTES);
	r = pcap_activate(h->p);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", name,
			 r == PCAP_ERROR ? pcap_geterr(h->p) : pcap_statustostr(r));
		goto fail;
	}
	/* "any" in SLL2: each packet names its interface. */
	if (strcmp(name, "any") == 0)
		(void)pcap_set_datalink(h->p, DLT_LINUX_SLL2);
	h->linktype = pcap_datalink(h->p);
	if (c->cli->capture.expr) {
		if (pcap_compile(h->p, &prog, c->cli->capture.expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "%s: %s", name, pcap_geterr(h->p));
			goto fail;
		}
		r = pcap_setfilter(h->p, &prog);
		pcap_freecode(&prog);
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", name, pcap_geterr(h->p));
			goto fail;
		}
	}
	if (pcap_setnonblock(h->p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", name, ebuf);
		goto fail;
	}
	if (strcmp(name, "any") != 0 && ns->ioctl_fd >= 0) {
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		h->loopback = ioctl(ns->ioctl_fd, SIOCGIFFLAGS, &ifr) == 0 &&
			      (ifr.ifr_flags & IFF_LOOPBACK);
	}
	snprintf(h->self.name, sizeof(h->self.name), "%s", name);
	return h;
fail:
	pcap_close(h->p);
	free(h);
	return NULL;
}

/* Every asked-for interface of ns, in the calling thread's namespace.
 * Returns 0, or -1 with why in err (the handles opened so far stay). */
static int open_ns_handles(struct capture *c, struct cap_ns *ns, char *err, size_t errlen)
{
	static const char *const any[] = { "any" };
	const char *const *names = any;
	size_t n = 1;

	if (c->cli->capture.n_ifaces) {
		names = (const char *const *)c->cli->capture.ifaces;
		n = c->cli->capture.n_ifaces;
	}
	ns->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ns->h = calloc(n, sizeof(*ns->h));
	if (!ns->h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct cap_handle *h = open_handle(c, ns, names[i], err, errlen);

		if (!h)
			return -1;
		ns->h[ns->n_h++] = h;
	}
	return 0;
}

struct enter_job {
	struct capture *c;
	struct cap_ns *ns;
	int nsfd;
	int result;
	char err[PCAP_ERRBUF_SIZE + 64];
};

/* This thread lives only for this: it takes its namespace with it. */
static void *enter_main(void *data)
{
	struct enter_job *j = data;

	if (setns(j->nsfd, CLONE_NEWNET) < 0) {
		snprintf(j->err, sizeof(j->err), "cannot enter it: %s", strerror(errno));
		j->result = -1;
		return NULL;
	}
	j->result = open_ns_handles(j->c, j->ns, j->err, sizeof(j->err));
	return NULL;
}

void capture_free_ns(struct cap_ns *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n_h; i++) {
		capture_close_handle(ns->h[i]);
		free(ns->h[i]->ifs);
		free(ns->h[i]);
	}
	if (ns->ioctl_fd >= 0)
		close(ns->ioctl_fd);
	free(ns->h);
	free(ns->filter);
	free(ns->name);
	free(ns);
}

void capture_ns_label(const struct cap_ns *ns, char *text, size_t len)
{
	if (ns->name)
		snprintf(text, len, "%s (%llu)", ns->name, (unsigned long long)ns->inode);
	else
		snprintf(text, len, "%llu", (unsigned long long)ns->inode);
}

/* Capture on namespace e (from a discovery). Returns 0, or -1 after saying
 * why (its handles are closed). */
static int add_ns(struct capture *c, const struct netns *e, bool own)
{
	struct enter_job j = { .c = c, .nsfd = -1 };
	struct cap_ns *ns = calloc(1, sizeof(*ns)), **v;
	pthread_t thread;
	char label[320], text[800];

	if (!ns)
		return -1;
	ns->inode = e->inode;
	ns->own = own;
	ns->ioctl_fd = -1;
	ns->name = e->name ? strdup(e->name) : NULL;
	j.ns = ns;
	capture_ns_label(ns, label, sizeof(label));
	if (own) {
		j.result = open_ns_handles(c, ns, j.err, sizeof(j.err));
	} else {
		j.nsfd = netns_open("/proc", e);
		if (j.nsfd < 0) {
			snprintf(j.err, sizeof(j.err), "cannot open it: %s", strerror(-j.nsfd));
			j.result = -1;
		} else if ((errno = pthread_create(&thread, NULL, enter_main, &j)) != 0) {
			snprintf(j.err, sizeof(j.err), "cannot start a thread: %s", strerror(errno));
			j.result = -1;
		} else {
			pthread_join(thread, NULL);
		}
		if (j.nsfd >= 0)
			close(j.nsfd);
	}
	v = j.result == 0 ? realloc(c->ns, (c->n_ns + 1) * sizeof(*v)) : NULL;
	if (!v) {
		snprintf(text, sizeof(text), "cannot capture in network namespace %s: %s%s", label,
			 j.result == 0 ? "out of memory" : j.err,
			 strstr(j.err, "permission") ? " (needs CAP_NET_RAW, as tcpdump)" : "");
		c->message("", text);
		capture_free_ns(ns);
		return -1;
	}
	c->ns = v;
	c->ns[c->n_ns++] = ns;
	return 0;
}

static struct cap_ns *find_ns(const struct capture *c, uint64_t inode)
{
	for (size_t i = 0; i < c->n_ns; i++)
		if (c->ns[i]->inode == inode)
			return c->ns[i];
	return NULL;
}

static bool was_tried(const struct capture *c, uint64_t inode)
{
	for (size_t i = 0; i < c->n_tried; i++)
		if (c->tried[i] == inode)
			return true;
	return false;
}

static void remember_tried(struct capture *c, uint64_t inode)
{
	uint64_t *v;

	/* Bounded: past the cap a failing namespace is tried again. */
	if (c->n_tried >= 4096)
		c->n_tried = 0;
	v = realloc(c->tried, (c->n_tried + 1) * sizeof(*v));

	if (v) {
		c->tried = v;
		c->tried[c->n_tried++] = inode;
	}
}

static bool wanted(const struct capture *c, uint64_t inode)
{
	const struct whosock_filter *f = &c->cli->filter;

	if (c->cli->capture.all_netns)
		return true;
	if (!f->n_netns)
		return inode == c->self_netns;
	for (size_t i = 0; i < f->n_netns; i++)
		if (f->netns[i] == inode)
			return true;
	return false;
}

static void ns_gone(struct capture *c, struct cap_ns *ns)
{
	char label[320], text[400];

	capture_ns_label(ns, label, sizeof(label));
	snprintf(text, sizeof(text), "network namespace %s is gone: its capture ended", label);
	c->message("note: ", text);
	for (size_t i = 0; i < ns->n_h; i++)
		capture_close_handle(ns->h[i]);
	ns->gone = true;
}

/* Without --netns all, while each namespace captured on still has its name
 * (its bind mount, the same inode), nothing can be gone: no walk of /proc
 * (a readlink per process) is needed. */
static bool names_hold(const struct capture *c)
{
	if (c->cli->capture.all_netns)
		return false;
	for (size_t i = 0; i < c->n_ns; i++) {
		const struct cap_ns *ns = c->ns[i];
		char path[PATH_MAX];
		struct stat st;

		if (ns->own || ns->gone)
			continue;
		if (!ns->name)
			return false;
		snprintf(path, sizeof(path), "/run/netns/%s", ns->name);
		if (stat(path, &st) < 0 || (uint64_t)st.st_ino != ns->inode)
			return false;
	}
	return true;
}

/* Look at the namespaces: the gone ones end, new ones (--netns all) start.
 * first: every one asked for must open (returns -1 when one does not). */
int capture_rescan(struct capture *c, bool first)
{
	struct whosock_snapshot *arena;
	struct netns_set set;
	int r = 0;

	if (!first && names_hold(c))
		return 0;
	arena = snapshot_new();
	if (!arena)
		return first ? -1 : 0;
	netns_set_init(&set, arena);
	if (netns_discover(&set, "/proc") < 0) {
		r = first ? -1 : 0;
		goto out;
	}
	for (size_t i = 0; i < c->n_ns; i++)
		if (!c->ns[i]->own && !c->ns[i]->gone && !netns_set_find(&set, c->ns[i]->inode))
			ns_gone(c, c->ns[i]);
	for (size_t i = 0; i < set.n; i++) {
		const struct netns *e = &set.v[i];

		if (!wanted(c, e->inode) || find_ns(c, e->inode) || was_tried(c, e->inode))
			continue;
		if (add_ns(c, e, e->inode == c->self_netns) < 0) {
			if (first && !c->cli->capture.all_netns) {
				r = -1;
				goto out;
			}
			remember_tried(c, e->inode);
		}
	}
	/* --netns NAME: it must exist at the start. */
	for (size_t i = 0; first && i < c->cli->filter.n_netns; i++) {
		if (!find_ns(c, c->cli->filter.netns[i])) {
			char text[96];

			snprintf(text, sizeof(text), "network namespace %llu not found",
				 (unsigned long long)c->cli->filter.netns[i]);
			c->message("", text);
			r = -1;
		}
	}
out:
	netns_set_free(&set);
	whosock_snapshot_free(arena);
	return r;
}

/* ---- interfaces ---- */

struct cap_iface *capture_iface_of(struct capture *c, struct cap_handle *h, uint32_t ifindex)
{
	struct cap_iface *v;

	if (h->linktype != DLT_LINUX_SLL2 || !ifindex)
		return &h->self;
	for (size_t i = 0; i < h->n_ifs; i++)
		if (h->ifs[i].ifindex == ifindex)
			return &h->ifs[i];
	/* Bounded: interfaces past the cap share the handle's block. */
	if (h->n_ifs >= 4096 || !(v = realloc(h->ifs, (h->n_ifs + 1) * sizeof(*v))))
		return &h->self;
	h->ifs = v;
	v = &h->ifs[h->n_ifs++];
	*v = (struct cap_iface){ .ifindex = ifindex };
	if (h->ns->ioctl_fd >= 0) {
		struct ifreq ifr = { .ifr_ifindex = (int)ifindex };

		if (ioctl(h->ns->ioctl_fd, SIOCGIFNAME, &ifr) == 0)
			snprintf(v->name, sizeof(v->name), "%s", ifr.ifr_name);
	}
	if (!v->name[0])
		snprintf(v->name, sizeof(v->name), "if%u", ifindex);
	return v;
}

/* The pcapng block of the interface, written before its first packet. */
uint32_t capture_idb_of(struct capture *c, struct cap_handle *h, struct cap_iface *i)
{
	char desc[320], label[300];

	if (!i->has_idb) {
		capture_ns_label(h->ns, label, sizeof(label));
		snprintf(desc, sizeof(desc), "netns %s", label);
		i->idb = pcapng_interface(&c->png, (uint16_t)h->linktype,
					  (uint32_t)c->cli->capture.snaplen, i->name, desc);
		i->has_idb = true;
	}
	return i->idb;
}
