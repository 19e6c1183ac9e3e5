/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture (capture.h): the loop, the hold queue and tagging; the
 * namespaces and their handles are in capture_ns.c.
 *
 * Tagging: a packet waits HOLD_MS in a bounded queue before it is tagged,
 * so the socket events that the kernel emitted around it (a connection's
 * client is known once the SYN-ACK is in) reach the index first. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture_int.h"
#include "timing.h"
#include "watch.h"
#include "whosock/watch.h"
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
	uint32_t id = capture_idb_of(c, h, i);

	/* Rendered once per cached tag, as the packets' options (reused). */
	if (e && !e->rendered) {
		const char *comments[MAX_COMMENTS];
		size_t starts[MAX_COMMENTS], n;

		e->comments.len = 0;
		e->comments.failed = false;
		e->opts.len = 0;
		e->opts.failed = false;
		c->scratch.failed = false;
		n = capture_render_comments(&e->comments, &c->scratch, v, starts, MAX_COMMENTS);
		for (size_t k = 0; !e->comments.failed && k < n; k++)
			comments[k] = e->comments.data + starts[k];
		if (!e->comments.failed)
			pcapng_options(&e->opts, comments, n);
		if (e->comments.failed || e->opts.failed)
			e->opts.len = 0;
		e->rendered = true;
	}
	pcapng_packet(&c->png, id, (uint64_t)q->hdr.ts.tv_sec * 1000000u + (uint64_t)q->hdr.ts.tv_usec,
		      q->data, q->hdr.caplen, q->hdr.len, e ? e->opts.data : NULL, e ? e->opts.len : 0);
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
	i = capture_iface_of(c, h, v.d.ifindex);
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
	q->data = NULL; /* its bytes are free once the head passes it */
}

static uint64_t ts_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/* Queue positions by the packets' timestamps, then by arrival: the handles
 * are read one after the other, the kernel's times interleave. */
static int cmp_due(const void *a, const void *b, void *data)
{
	const struct capture *c = data;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t tx = ts_us(&c->q[x].hdr.ts), ty = ts_us(&c->q[y].hdr.ts);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	/* (Positions wrap around the ring: their distance from the head.) */
	x = (x + QUEUE_MAX - c->q_head) % QUEUE_MAX;
	y = (y + QUEUE_MAX - c->q_head) % QUEUE_MAX;
	return x < y ? -1 : x > y;
}

/* Which queued packets were captured before a packet queued ahead of them
 * (q->ooo), counted in q_ooo; q_max_ts the latest capture time queued. */
static void recount_order(struct capture *c)
{
	uint64_t max = 0;

	c->q_ooo = 0;
	for (size_t i = 0; i < c->q_n; i++) {
		struct qpkt *q = &c->q[(c->q_head + i) % QUEUE_MAX];
		uint64_t ts = ts_us(&q->hdr.ts);

		if (!q->data)
			continue;
		q->ooo = ts < max;
		c->q_ooo += q->ooo;
		if (ts > max)
			max = ts;
	}
	c->q_max_ts = max;
}

/* Whether queued packet q is due: captured more than HOLD_MS ago (by the
 * kernel's clock, cut: every handle has handed over what it captured by
 * then, as each is read at least every BLOCK_MS), or arrived 3 HOLD_MS ago
 * (the realtime clock may step); all: every one; first: it is among the
 * oldest quarter by arrival (the queue is full). */
static bool due(const struct qpkt *q, uint64_t cut, uint64_t now, bool all, bool first)
{
	return all || first || ts_us(&q->hdr.ts) <= cut || q->at_ms + 3 * HOLD_MS <= now;
}

/* Tag the packets that are due, in time order. While no queued packet
 * came out of order (one handle: the kernel's order), those are the
 * queue's head. Else they are sorted; the scan stops where no later
 * arrival can be due (a handle hands packets over at most BLOCK_MS after
 * it captured them). A released packet's slot is free once the ones
 * before it are: the head moves past them. oldest: at least the oldest
 * quarter by arrival (the queue is full). */
static void release_some(struct capture *c, bool all, bool oldest)
{
	struct timespec rt;
	uint64_t now = now_ms(), cut, stop;
	size_t k = 0, quarter = c->q_n / 4 + 1;
	bool sorted = c->q_ooo == 0;

	clock_gettime(CLOCK_REALTIME, &rt);
	cut = (uint64_t)rt.tv_sec * 1000000u + (uint64_t)rt.tv_nsec / 1000u - HOLD_MS * 1000u;
	stop = cut + BLOCK_MS * 1000u;
	for (size_t i = 0; i < c->q_n; i++) {
		size_t at = (c->q_head + i) % QUEUE_MAX;
		struct qpkt *q = &c->q[at];
		bool first = oldest && i < quarter;

		if (!q->data)
			continue;
		if (due(q, cut, now, all, first)) {
			if (sorted)
				release(c, q);
			else
				c->order[k++] = at;
		} else if (sorted || ts_us(&q->hdr.ts) > stop) {
			break;
		}
	}
	if (!sorted) {
		qsort_r(c->order, k, sizeof(*c->order), cmp_due, c);
		for (size_t i = 0; i < k; i++)
			release(c, &c->q[c->order[i]]);
	}
	while (c->q_n && !c->q[c->q_head].data) {
		c->q_head = (c->q_head + 1) % QUEUE_MAX;
		c->q_n--;
	}
	if (!sorted || !c->q_n)
		recount_order(c);
}

static void release_due(struct capture *c, bool all)
{
	release_some(c, all, false);
}

struct dispatch_ctx {
	struct capture *c;
	struct cap_handle *h;
	uint64_t now;
};

/* n bytes for a queued packet's copy from the arena, a ring of bytes in
 * arrival order: what is live runs from the head packet's bytes to the
 * tail (wrapping around), so bytes are freed as the head passes. NULL
 * when full. (The tail never catches up with the head: equal means empty.)
 * The tail goes back to the start past QUEUE_BYTES_SOFT when the head has
 * left room there: the bytes in use stay few pages, faulted in once and
 * warm in the cache, unless more is queued. */
static uint8_t *arena_alloc(struct capture *c, size_t n)
{
	size_t head, at;

	if (!c->q_n) {
		c->a_tail = n;
		return c->arena;
	}
	head = (size_t)(c->q[c->q_head].data - c->arena);
	if (c->a_tail >= head && c->a_tail + n > QUEUE_BYTES_SOFT && head > n)
		at = 0;
	else if (c->a_tail >= head && QUEUE_BYTES_MAX - c->a_tail >= n)
		at = c->a_tail;
	else if (c->a_tail >= head && head > n)
		at = 0;
	else if (c->a_tail < head && head - c->a_tail > n)
		at = c->a_tail;
	else
		return NULL;
	c->a_tail = at + n;
	return c->arena + at;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct dispatch_ctx *x = (struct dispatch_ctx *)user;
	struct capture *c = x->c;
	uint8_t *data;
	struct qpkt *q;

	c->captured++;
	/* Full: the oldest are tagged now (their events are likely in). */
	while (c->q_n == QUEUE_MAX || !(data = arena_alloc(c, hdr->caplen ? hdr->caplen : 1)))
		release_some(c, false, true);
	memcpy(data, bytes, hdr->caplen);
	q = &c->q[(c->q_head + c->q_n) % QUEUE_MAX];
	q->data = data;
	q->h = x->h;
	q->hdr = *hdr;
	q->at_ms = x->now;
	q->ooo = ts_us(&hdr->ts) < c->q_max_ts;
	if (q->ooo)
		c->q_ooo++;
	else
		c->q_max_ts = ts_us(&hdr->ts);
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

				capture_ns_label(h->ns, label, sizeof(label));
				snprintf(text, sizeof(text), "capture on %s in network namespace %s "
					 "ended: %s", h->name, label, pcap_geterr(h->p));
				c->message("note: ", text);
				capture_close_handle(h);
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

static bool bpf_events(const struct whosock_portindex *idx)
{
	struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;

	return whosock_portindex_status(idx, &st) == 0 && st.bpf_events;
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
	/* With the kernel's socket events every open and close reaches the
	 * index as it happens: the dumps only mend what the events lost (the
	 * status says when), and each walks the kernel's whole TCP table,
	 * every namespace's sockets. Without the events they are how sockets
	 * are found: then at the watcher's usual interval. */
	if (!(o.flags & WHOSOCK_FLAG_NO_BPF))
		o.interval_ms = EVENTS_DUMP_MS;
	r = whosock_portindex_open(&o, &c->idx);
	if (r == 0 && o.interval_ms && !bpf_events(c->idx)) {
		whosock_portindex_free(c->idx);
		c->idx = NULL;
		o.interval_ms = 0;
		r = whosock_portindex_open(&o, &c->idx);
	}
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
			capture_free_ns(c->ns[i]);
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

/* The loop wakes about once per kernel block, as tcpdump: when a handle
 * hands one over (full, or BLOCK_MS after its first packet), or when the
 * queue or the index has work due. The index's fd is not polled: it is
 * readable at every socket event of the namespaces captured (a connection
 * makes several), and those need only be in before the packets around
 * them are tagged, HOLD_MS later; each turn reads them first (catch_up()).
 * The queue is looked at at most every RELEASE_MS: a packet is tagged
 * between HOLD_MS and HOLD_MS + BLOCK_MS after it was captured. */
static void run(struct capture *c)
{
	struct whosock_watch_status noted = { .size = sizeof(noted), .destroy_reports = true };
	uint64_t next_rescan = now_ms() + RESCAN_MS, last_release = 0;
	size_t cap = 0;
	struct pollfd *fds = NULL;

	while (!stop_signal && !c->done && open_handles(c)) {
		struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;
		uint64_t timeout = 0, now;
		size_t n = 0, want = open_handles(c);

		if (want > cap) {
			struct pollfd *v = realloc(fds, want * sizeof(*fds));

			if (!v)
				break;
			fds = v;
			cap = want;
		}
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
		/* The handles' buffers, the index's events and the queue are
		 * looked at at least every BLOCK_MS: no wake-up of its own for
		 * a packet's HOLD_MS. */
		if (timeout > BLOCK_MS)
			timeout = BLOCK_MS;
		if (poll(fds, n, (int)timeout) < 0 && errno != EINTR)
			break;
		read_handles(c);
		if (catch_up(c) == 0 && whosock_portindex_status(c->idx, &st) == 0)
			watch_note_status(&st, &noted, c->message);
		if (now_ms() >= last_release + RELEASE_MS) {
			release_due(c, false);
			last_release = now_ms();
		}
		if (now_ms() >= next_rescan) {
			capture_rescan(c, false);
			reap_gone(c);
			capture_refilter(c);
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
	c.order = malloc(QUEUE_MAX * sizeof(*c.order));
	c.arena = malloc(QUEUE_BYTES_MAX);
	if (!c.q || !c.order || !c.arena) {
		free(c.q);
		free(c.order);
		free(c.arena);
		message("", "out of memory");
		return EXIT_TROUBLE;
	}
	/* The index first: a socket opened while the handles open is known. */
	if (open_index(&c) < 0 || capture_rescan(&c, true) < 0 || open_output(&c, &fd) < 0)
		goto out;
	if (!open_handles(&c)) {
		message("", "nothing to capture on");
		goto out;
	}
	capture_refilter(&c);
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
		capture_free_ns(c.ns[i]);
	free(c.ns);
	free(c.tried);
	free(c.q);
	free(c.order);
	free(c.arena);
	sbuf_free(&c.out);
	for (size_t i = 0; i < TAG_CACHE; i++) {
		sbuf_free(&c.tc[i].comments);
		sbuf_free(&c.tc[i].opts);
	}
	sbuf_free(&c.scratch);
	whosock_process_filter_free(c.pf);
	whosock_portindex_free(c.idx);
	return status;
}
