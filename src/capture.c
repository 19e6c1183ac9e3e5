/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture (capture.h).
 *
 * Handles: one per (namespace, interface); a namespace other than
 * whosock's own is entered by a short-lived thread that opens its handles
 * there and ends (a packet socket stays in the namespace it was made in),
 * so the main thread never changes namespace. The namespaces are looked at
 * again every second: one that is gone (no process lives in it, no name
 * holds it: only our sockets keep it) has its handles closed, a new one is
 * captured on with --netns all.
 *
 * Tagging: a packet waits HOLD_MS in a bounded queue before it is tagged,
 * so the socket events that the kernel emitted around it (a connection's
 * client is known once the SYN-ACK is in) reach the index first. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "netns.h"
#include "pcapng.h"
#include "snapshot.h"
#include "timing.h"
#include "watch.h"
#include "whosock/watch.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define HOLD_MS 100                   /* a packet waits this long to be tagged */
#define BLOCK_MS 50                   /* the kernel hands packets over at least this often */
#define QUEUE_MAX 16384               /* packets waiting to be tagged */
#define QUEUE_BYTES_MAX (64u << 20)   /* their bytes */
#define RESCAN_MS 1000                /* the namespaces looked at again */
#define BUFFER_BYTES (8 << 20)        /* each handle's kernel buffer */
#define MAX_COMMENTS 16

struct cap_iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint32_t idb;
	bool has_idb;
};

struct cap_ns;

struct cap_handle {
	pcap_t *p; /* NULL once closed */
	struct cap_ns *ns;
	char name[IF_NAMESIZE]; /* as asked: "any", "lo", ... */
	int linktype;
	bool loopback; /* a named loopback interface (both ends are local) */
	struct cap_iface *ifs; /* cooked (SLL2): the interfaces seen, by index */
	size_t n_ifs;
	struct cap_iface self; /* not cooked: the handle's own interface block */
};

struct cap_ns {
	uint64_t inode;
	char *name;
	bool own, gone;
	int ioctl_fd; /* a socket inside: interface names by index */
	struct cap_handle **h;
	size_t n_h;
};

struct qpkt {
	struct cap_handle *h;
	struct pcap_pkthdr hdr;
	uint8_t *data;
	uint64_t at_ms;
};

#define TAG_CACHE 4

struct tag_cache {
	bool used, rendered;
	struct whosock_packet_tuple t;
	struct whosock_packet_end src, dst;
	struct sbuf comments; /* NUL-separated, at starts[0..n) */
	size_t starts[MAX_COMMENTS], n;
};

struct capture {
	const struct cli *cli;
	void (*message)(const char *, const char *);
	uint64_t self_netns;
	struct cap_ns **ns;
	size_t n_ns;
	uint64_t *tried; /* namespaces --netns all tried and could not capture on */
	size_t n_tried;
	struct whosock_portindex *idx;
	struct whosock_process_filter *pf; /* NULL: every packet */
	bool owner_filter;
	struct qpkt *q;
	size_t q_head, q_n, q_bytes;
	struct sbuf out;
	struct tag_cache tc[TAG_CACHE];
	unsigned tc_next;
	struct sbuf scratch; /* the comments' escaping */
	struct pcapng png;
	bool writing;
	uint64_t captured, kept, tagged;
	bool done;
};

/* SIGINT, SIGTERM: stop (what was captured is still tagged and written). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ms(void)
{
	return timing_now() / 1000000u;
}

/* ---- handles ---- */

static void close_handle(struct cap_handle *h)
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

static void free_ns(struct cap_ns *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n_h; i++) {
		close_handle(ns->h[i]);
		free(ns->h[i]->ifs);
		free(ns->h[i]);
	}
	if (ns->ioctl_fd >= 0)
		close(ns->ioctl_fd);
	free(ns->h);
	free(ns->name);
	free(ns);
}

static void ns_label(const struct cap_ns *ns, char *text, size_t len)
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
	ns_label(ns, label, sizeof(label));
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
		free_ns(ns);
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

	ns_label(ns, label, sizeof(label));
	snprintf(text, sizeof(text), "network namespace %s is gone: its capture ended", label);
	c->message("note: ", text);
	for (size_t i = 0; i < ns->n_h; i++)
		close_handle(ns->h[i]);
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
static int rescan(struct capture *c, bool first)
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

static struct cap_iface *iface_of(struct capture *c, struct cap_handle *h, uint32_t ifindex)
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
static uint32_t idb_of(struct capture *c, struct cap_handle *h, struct cap_iface *i)
{
	char desc[320], label[300];

	if (!i->has_idb) {
		ns_label(h->ns, label, sizeof(label));
		snprintf(desc, sizeof(desc), "netns %s", label);
		i->idb = pcapng_interface(&c->png, (uint16_t)h->linktype,
					  (uint32_t)c->cli->capture.snaplen, i->name, desc);
		i->has_idb = true;
	}
	return i->idb;
}

/* ---- tagging ---- */

/* Which ends may be local, as the capture tells. */
static uint8_t local_ends(const struct cap_handle *h, const struct decoded *d)
{
	if (h->loopback || d->hatype == ARPHRD_LOOPBACK)
		return WHOSOCK_PACKET_SRC_LOCAL | WHOSOCK_PACKET_DST_LOCAL;
	switch (d->pkttype) {
	case PACKET_OUTGOING:
		return WHOSOCK_PACKET_SRC_LOCAL;
	case PACKET_HOST:
	case PACKET_BROADCAST:
	case PACKET_MULTICAST:
		return WHOSOCK_PACKET_DST_LOCAL;
	case DECODE_PKTTYPE_UNKNOWN:
		return 0;
	default:
		return 0xff; /* another host's (promiscuous): neither */
	}
}

/* The last few packets' tags, by their tuple: a flow's packets come in
 * runs. Valid until the index next does its work (catch_up() empties it:
 * the sockets it points to may go then). */
static struct tag_cache *cached_tag(struct capture *c, const struct whosock_packet_tuple *t)
{
	struct tag_cache *e;

	for (size_t i = 0; i < TAG_CACHE; i++)
		if (c->tc[i].used && memcmp(&c->tc[i].t, t, sizeof(*t)) == 0)
			return &c->tc[i];
	e = &c->tc[c->tc_next++ % TAG_CACHE];
	e->used = true;
	e->rendered = false;
	e->t = *t;
	(void)whosock_portindex_match(c->idx, t, &e->src, &e->dst);
	return e;
}

static struct tag_cache *tag(struct capture *c, const struct cap_handle *h, struct capture_view *v)
{
	const struct decoded *d = &v->d;
	struct whosock_packet_tuple t;
	uint8_t ends = local_ends(h, d);
	struct tag_cache *e;

	if (d->level != DECODE_L4 || ends == 0xff)
		return NULL;
	/* Zeroed whole: the cache compares tuples as bytes. */
	memset(&t, 0, sizeof(t));
	t.netns = h->ns->inode;
	t.family = (uint8_t)d->family;
	t.proto = d->ipproto == IPPROTO_TCP ? WHOSOCK_PROTO_TCP
		  : d->ipproto == IPPROTO_UDP ? WHOSOCK_PROTO_UDP : WHOSOCK_PROTO_UDPLITE;
	t.ends = ends;
	t.sport = d->sport;
	t.dport = d->dport;
	memcpy(t.saddr, d->saddr, sizeof(t.saddr));
	memcpy(t.daddr, d->daddr, sizeof(t.daddr));
	e = cached_tag(c, &t);
	v->src = e->src;
	v->dst = e->dst;
	return e;
}

static bool has_owner(const struct whosock_packet_end *e)
{
	return e->socket && e->socket->n_owners;
}

/* --pid, --user, --comm, --container: one end's owners match. */
static bool keep(const struct capture *c, const struct capture_view *v)
{
	if (!c->owner_filter)
		return true;
	return (has_owner(&v->src) && whosock_filter_match_owners(c->pf, v->src.socket)) ||
	       (has_owner(&v->dst) && whosock_filter_match_owners(c->pf, v->dst.socket));
}

static void write_packet(struct capture *c, struct cap_handle *h, struct cap_iface *i,
			 const struct qpkt *q, const struct capture_view *v, struct tag_cache *e)
{
	const char *comments[MAX_COMMENTS];
	size_t n = 0;
	uint32_t id = idb_of(c, h, i);

	/* Rendered once per cached tag, in its own buffer (reused). */
	if (e && !e->rendered) {
		e->comments.len = 0;
		e->comments.failed = false;
		c->scratch.failed = false;
		e->n = capture_render_comments(&e->comments, &c->scratch, v, e->starts, MAX_COMMENTS);
		if (e->comments.failed)
			e->n = 0;
		e->rendered = true;
	}
	for (; e && n < e->n; n++)
		comments[n] = e->comments.data + e->starts[n];
	pcapng_packet(&c->png, id, (uint64_t)q->hdr.ts.tv_sec * 1000000u + (uint64_t)q->hdr.ts.tv_usec,
		      q->data, q->hdr.caplen, q->hdr.len, comments, n);
}

/* Tag one queued packet and put it out; frees its data. */
static void release(struct capture *c, struct qpkt *q)
{
	struct cap_handle *h = q->h;
	struct capture_view v = { .ts = q->hdr.ts, .len = q->hdr.len, .caplen = q->hdr.caplen,
				  .netns = h->ns->inode, .netns_name = h->ns->name,
				  .own_netns = h->ns->own };
	struct cap_iface *i;
	struct tag_cache *e;

	capture_decode(h->linktype, q->data, q->hdr.caplen, &v.d);
	i = iface_of(c, h, v.d.ifindex);
	v.ifname = i->name[0] ? i->name : NULL;
	e = tag(c, h, &v);
	if (!c->done && keep(c, &v)) {
		c->kept++;
		if (has_owner(&v.src) || has_owner(&v.dst))
			c->tagged++;
		if (c->writing)
			write_packet(c, h, i, q, &v, e);
		if (c->cli->format == OUTPUT_NDJSON)
			capture_render_json(&c->out, &v);
		else if (!c->writing)
			capture_render_text(&c->out, &v);
		sbuf_maybe_flush(&c->out);
		if (c->cli->capture.count && c->kept >= (uint64_t)c->cli->capture.count)
			c->done = true;
	}
	c->q_bytes -= q->hdr.caplen;
	free(q->data);
	q->data = NULL;
}

static void release_oldest(struct capture *c)
{
	release(c, &c->q[c->q_head]);
	c->q_head = (c->q_head + 1) % QUEUE_MAX;
	c->q_n--;
}

/* Tag what has waited long enough (everything: all). */
static void release_due(struct capture *c, bool all)
{
	uint64_t now = now_ms();

	while (c->q_n && (all || c->q[c->q_head].at_ms + HOLD_MS <= now))
		release_oldest(c);
}

struct dispatch_ctx {
	struct capture *c;
	struct cap_handle *h;
	uint64_t now;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct dispatch_ctx *x = (struct dispatch_ctx *)user;
	struct capture *c = x->c;
	struct qpkt *q;

	c->captured++;
	/* Full: the oldest is tagged now (its events are likely in). */
	while (c->q_n && (c->q_n == QUEUE_MAX || c->q_bytes + hdr->caplen > QUEUE_BYTES_MAX))
		release_oldest(c);
	q = &c->q[(c->q_head + c->q_n) % QUEUE_MAX];
	q->data = malloc(hdr->caplen ? hdr->caplen : 1);
	if (!q->data)
		return; /* counted captured, not kept */
	memcpy(q->data, bytes, hdr->caplen);
	q->h = x->h;
	q->hdr = *hdr;
	q->at_ms = x->now;
	c->q_bytes += hdr->caplen;
	c->q_n++;
}

/* Read what each open handle has. A handle that fails (its interface went
 * away) ends with a note. */
static void read_handles(struct capture *c)
{
	struct dispatch_ctx x = { .c = c, .now = now_ms() };

	for (size_t i = 0; i < c->n_ns; i++) {
		for (size_t k = 0; k < c->ns[i]->n_h; k++) {
			struct cap_handle *h = c->ns[i]->h[k];
			int r;

			if (!h->p)
				continue;
			x.h = h;
			r = pcap_dispatch(h->p, 1024, on_packet, (u_char *)&x);
			if (r == PCAP_ERROR) {
				char text[PCAP_ERRBUF_SIZE + 400], label[320];

				ns_label(h->ns, label, sizeof(label));
				snprintf(text, sizeof(text), "capture on %s in network namespace %s "
					 "ended: %s", h->name, label, pcap_geterr(h->p));
				c->message("note: ", text);
				close_handle(h);
			}
		}
	}
}

static size_t open_handles(const struct capture *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_ns; i++)
		for (size_t k = 0; k < c->ns[i]->n_h; k++)
			n += c->ns[i]->h[k]->p != NULL;
	return n;
}

/* ---- the command ---- */

/* A bad expression is the user's: refused before anything starts, with
 * libpcap's reason. */
static int check_expr(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct bpf_program prog;
	pcap_t *p;
	char text[PCAP_ERRBUF_SIZE + 320];
	int r = 0;

	if (!cli->capture.expr)
		return 0;
	p = pcap_open_dead(DLT_LINUX_SLL2, cli->capture.snaplen);
	if (!p)
		return 0; /* the real handles compile it again */
	if (pcap_compile(p, &prog, cli->capture.expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(text, sizeof(text), "invalid filter expression '%.200s': %s",
			 cli->capture.expr, pcap_geterr(p));
		message("", text);
		r = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return r;
}

static int open_index(struct capture *c)
{
	struct whosock_portindex_options o = WHOSOCK_PORTINDEX_OPTIONS_INIT;
	const struct whosock_filter *f = &c->cli->filter;
	int r;

	o.host_only = !c->cli->capture.all_netns && !f->n_netns;
	/* --netns NS...: only their sockets are followed. */
	if (!c->cli->capture.all_netns && f->n_netns) {
		o.netns = f->netns;
		o.n_netns = f->n_netns;
	}
	o.want = WHOSOCK_WANT_PROCESS;
	/* Processes, not fds: the process the kernel named, no /proc read per
	 * socket (the events keep up with short connections). */
	o.flags = c->cli->opt.flags | WHOSOCK_FLAG_KERNEL_OWNERS;
	r = whosock_portindex_open(&o, &c->idx);
	if (r < 0) {
		c->message("cannot follow sockets: ", strerror(-r));
		return -1;
	}
	c->owner_filter = f->n_pids || f->n_uids || f->n_comms || f->n_containers;
	if (c->owner_filter && whosock_process_filter_new(f, &c->pf) < 0) {
		c->message("", "cannot make the process filter: out of memory");
		return -1;
	}
	return 0;
}

static int open_output(struct capture *c, int *fd)
{
	const char *path = c->cli->capture.write;
	char appl[64];

	sbuf_set_sink(&c->out, STDOUT_FILENO);
	if (!path)
		return 0;
	*fd = strcmp(path, "-") == 0 ? dup(STDOUT_FILENO)
				     : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0) {
		c->message(path, strerror(errno));
		return -1;
	}
	snprintf(appl, sizeof(appl), "whosock %s", whosock_version());
	pcapng_open(&c->png, *fd, appl);
	c->writing = true;
	return 0;
}

static void print_stats(struct capture *c)
{
	unsigned long long dropped = 0;
	char text[256];

	for (size_t i = 0; i < c->n_ns; i++) {
		for (size_t k = 0; k < c->ns[i]->n_h; k++) {
			struct pcap_stat st;

			if (c->ns[i]->h[k]->p && pcap_stats(c->ns[i]->h[k]->p, &st) == 0)
				dropped += st.ps_drop;
		}
	}
	snprintf(text, sizeof(text), "%llu packets captured, %llu kept, %llu tagged with a process, "
		 "%llu dropped by the kernel", (unsigned long long)c->captured,
		 (unsigned long long)c->kept, (unsigned long long)c->tagged, dropped);
	c->message("", text);
}

/* The index's work, until its fd has nothing more (a bounded number of
 * turns: each reads a bounded amount): the events of the packets just read
 * are in before they are tagged. Returns as whosock_portindex_process(). */
static int catch_up(struct capture *c)
{
	int r = 0;

	for (size_t i = 0; i < TAG_CACHE; i++)
		c->tc[i].used = false;

	for (int turn = 0; turn < 16 && r == 0; turn++) {
		struct pollfd p = { .fd = whosock_portindex_get_fd(c->idx), .events = POLLIN };

		r = whosock_portindex_process(c->idx);
		if (poll(&p, 1, 0) <= 0)
			break;
	}
	return r;
}

/* Free the namespaces that are gone (memory stays bounded however many
 * come and go): what is queued is tagged first, as its packets point to
 * their handles. */
static void reap_gone(struct capture *c)
{
	size_t k = 0;
	bool any = false;

	for (size_t i = 0; i < c->n_ns; i++)
		any |= c->ns[i]->gone;
	if (!any)
		return;
	release_due(c, true);
	for (size_t i = 0; i < c->n_ns; i++) {
		if (c->ns[i]->gone)
			free_ns(c->ns[i]);
		else
			c->ns[k++] = c->ns[i];
	}
	c->n_ns = k;
}

/* At the end: the kernel hands a block of packets over when it is full or
 * its timeout (BLOCK_MS) passes, so what was captured before the signal is
 * read for two timeouts more; then what is queued is tagged at once. */
static void drain(struct capture *c)
{
	uint64_t until = now_ms() + 2 * BLOCK_MS;

	while (!c->done && now_ms() < until) {
		read_handles(c);
		catch_up(c);
		release_due(c, false);
		usleep(10000);
	}
	read_handles(c);
	catch_up(c);
	release_due(c, true);
	sbuf_flush(&c->out);
}

static void run(struct capture *c)
{
	struct whosock_watch_status noted = { .size = sizeof(noted), .destroy_reports = true };
	uint64_t next_rescan = now_ms() + RESCAN_MS;
	size_t cap = 0;
	struct pollfd *fds = NULL;

	while (!stop_signal && !c->done && open_handles(c)) {
		struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;
		uint64_t timeout = 0, now;
		size_t n = 0, want = 1 + open_handles(c);

		if (want > cap) {
			struct pollfd *v = realloc(fds, want * sizeof(*fds));

			if (!v)
				break;
			fds = v;
			cap = want;
		}
		fds[n++] = (struct pollfd){ .fd = whosock_portindex_get_fd(c->idx), .events = POLLIN };
		for (size_t i = 0; i < c->n_ns; i++)
			for (size_t k = 0; k < c->ns[i]->n_h; k++)
				if (c->ns[i]->h[k]->p)
					fds[n++] = (struct pollfd){
						.fd = pcap_get_selectable_fd(c->ns[i]->h[k]->p),
						.events = POLLIN
					};
		whosock_portindex_get_timeout(c->idx, &timeout);
		now = now_ms();
		if (next_rescan > now && next_rescan - now < timeout)
			timeout = next_rescan - now;
		if (c->q_n) {
			uint64_t due = c->q[c->q_head].at_ms + HOLD_MS;

			timeout = due <= now ? 0 : due - now < timeout ? due - now : timeout;
		}
		/* The handles' buffers are read at least every BLOCK_MS. */
		if (timeout > BLOCK_MS)
			timeout = BLOCK_MS;
		if (poll(fds, n, (int)timeout) < 0 && errno != EINTR)
			break;
		read_handles(c);
		if (catch_up(c) == 0 && whosock_portindex_status(c->idx, &st) == 0)
			watch_note_status(&st, &noted, c->message);
		release_due(c, false);
		if (now_ms() >= next_rescan) {
			rescan(c, false);
			reap_gone(c);
			next_rescan = now_ms() + RESCAN_MS;
		}
		if (c->out.sink_error)
			break;
		sbuf_flush(&c->out);
	}
	free(fds);
	drain(c);
}

int capture_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct capture c = { .cli = cli, .message = message };
	struct stat st;
	int fd = -1, status = EXIT_TROUBLE;

	if (check_expr(cli, message) < 0)
		return EXIT_TROUBLE;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c.self_netns = stat("/proc/thread-self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
	c.q = calloc(QUEUE_MAX, sizeof(*c.q));
	if (!c.q) {
		message("", "out of memory");
		return EXIT_TROUBLE;
	}
	/* The index first: a socket opened while the handles open is known. */
	if (open_index(&c) < 0 || rescan(&c, true) < 0 || open_output(&c, &fd) < 0)
		goto out;
	if (!open_handles(&c)) {
		message("", "nothing to capture on");
		goto out;
	}
	/* As tcpdump's "listening on": from now on packets are seen. */
	{
		char text[128];

		snprintf(text, sizeof(text), "capturing on %zu interface%s in %zu network namespace%s",
			 open_handles(&c), open_handles(&c) == 1 ? "" : "s", c.n_ns,
			 c.n_ns == 1 ? "" : "s");
		message("", text);
	}
	run(&c);
	print_stats(&c);
	status = EXIT_SUCCESS;
	if (c.writing && pcapng_close(&c.png) < 0) {
		message("cannot write ", cli->capture.write);
		status = EXIT_TROUBLE;
		c.writing = false;
	}
	if (sbuf_flush(&c.out) < 0 && c.out.sink_error != EPIPE) {
		message("cannot write output: ", strerror(c.out.sink_error));
		status = EXIT_TROUBLE;
	}
out:
	if (c.writing)
		pcapng_close(&c.png);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < c.n_ns; i++)
		free_ns(c.ns[i]);
	free(c.ns);
	free(c.tried);
	while (c.q_n) {
		free(c.q[c.q_head].data);
		c.q_head = (c.q_head + 1) % QUEUE_MAX;
		c.q_n--;
	}
	free(c.q);
	sbuf_free(&c.out);
	for (size_t i = 0; i < TAG_CACHE; i++)
		sbuf_free(&c.tc[i].comments);
	sbuf_free(&c.scratch);
	whosock_process_filter_free(c.pf);
	whosock_portindex_free(c.idx);
	return status;
}
