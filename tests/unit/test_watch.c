/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/watch.c and lib/portindex.c, against the live kernel.
 *
 * Neither needs root: sock_diag dumps of inet sockets are open to every
 * user, and the test's own fd table is readable by itself (without
 * CAP_NET_ADMIN the watcher sees closes at the next dump instead of from the
 * kernel's destroy reports). They skip only when the kernel refuses
 * sock_diag. Other processes may open and close sockets meanwhile (a
 * benchmark load on this machine): every assertion concerns only the
 * sockets this test opened, found by their port.
 *
 * Waits are bounded loops of whosock_watch_run(w, 100): at most
 * WAIT_ROUNDS x 100 ms for an event, never a fixed sleep asserted on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "whosock/watch.h"
#include "watch_clock.h"

#define WAIT_ROUNDS 50 /* x 100 ms */
#define MAX_SEEN 64
#define RING 65536 /* room for a concurrent benchmark's burst of events */

static const uint8_t LOOPBACK4[4] = { 127, 0, 0, 1 };

/* Allocation failures on demand (-Wl,--wrap): the library's malloc, calloc
 * or realloc (fail_fn) fails at its fail_in-th call from now; calls[]
 * counts the calls. */
enum { FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_COUNT };
static int fail_fn = -1;
static long fail_in = -1, calls[FN_COUNT];
static bool failed;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static bool fail_now(int fn)
{
	calls[fn]++;
	if (fn != fail_fn || fail_in < 0 || fail_in-- != 0)
		return false;
	failed = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now(FN_MALLOC) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now(FN_CALLOC) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now(FN_REALLOC) ? NULL : __real_realloc(p, n);
}

static int count_fds(void)
{
	int n = 0;
	char path[64];

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void skip_if_refused(int r, const char *what)
{
	if (r == -EPERM || r == -EACCES || r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT) {
		print_message("%s: sock_diag refused here (%s): skipping\n", what, strerror(-r));
		skip();
	}
}

/* A TCP listener on addr (AF_INET: 4 bytes, AF_INET6: 16) port 0; its port
 * in *port. Returns the fd, or -1 when the family is unavailable. */
static int listener(int family, const void *addr, bool v6only, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		int on = v6only;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
			goto fail;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:
	close(fd);
	return -1;
}

static int listener4(uint16_t *port)
{
	int fd = listener(AF_INET, LOOPBACK4, false, port);

	assert_true(fd >= 0);
	return fd;
}

/* A port on 127.0.0.1 nobody holds right now (bound, then released). */
static uint16_t unused_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(&sin.sin_addr, LOOPBACK4, 4);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static long mono_ms(void);

/* ---- the watcher ---- */

struct seen {
	enum whosock_event_type type;
	uint16_t port;
	bool owned_by_me; /* an owner is (getpid(), fd) */
	int fd;
	bool lifetime_known;
	uint64_t lifetime_ms;
	struct timespec ts;
	uint64_t seq;
};

/* What the callback recorded about the test's own ports (TCP, 127.0.0.1). */
struct rec {
	uint16_t ports[8];
	size_t n_ports;
	struct seen v[MAX_SEEN];
	size_t n;
	size_t calls; /* every event, ours or not */
	uint64_t last_seq; /* of any event: each is one more than the last */
	bool seq_gap;
};

static bool is_ours(const struct rec *rec, const struct whosock_socket *s)
{
	if (s->proto != WHOSOCK_PROTO_TCP || s->family != AF_INET ||
	    memcmp(s->local.addr, LOOPBACK4, 4) != 0)
		return false;
	for (size_t i = 0; i < rec->n_ports; i++)
		if (rec->ports[i] == s->local.port)
			return true;
	return false;
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct rec *rec = data;
	const struct whosock_socket *s = ev->socket;
	struct seen *e;

	rec->calls++;
	if (ev->seq != rec->last_seq + 1)
		rec->seq_gap = true;
	rec->last_seq = ev->seq;
	if (!is_ours(rec, s))
		return;
	assert_true(rec->n < MAX_SEEN);
	e = &rec->v[rec->n++];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	e->port = s->local.port;
	e->fd = -1;
	e->lifetime_known = ev->lifetime_known;
	e->lifetime_ms = ev->lifetime_ms;
	e->ts = ev->ts;
	e->seq = ev->seq;
	for (uint32_t i = 0; i < s->n_owners; i++) {
		/* Each entry is a process with its fds, the lowest in fd. */
		assert_true(s->owners[i].n_fds >= 1);
		assert_int_equal(s->owners[i].fds[0], s->owners[i].fd);
		if (s->owners[i].proc->pid == getpid()) {
			e->owned_by_me = true;
			e->fd = s->owners[i].fd;
		}
	}
}

static void add_port(struct rec *rec, uint16_t port)
{
	assert_true(rec->n_ports < sizeof(rec->ports) / sizeof(rec->ports[0]));
	rec->ports[rec->n_ports++] = port;
}

static const struct seen *find_seen(const struct rec *rec, enum whosock_event_type type,
				    uint16_t port, size_t *count)
{
	const struct seen *found = NULL;

	*count = 0;
	for (size_t i = 0; i < rec->n; i++)
		if (rec->v[i].type == type && rec->v[i].port == port) {
			if (!found)
				found = &rec->v[i];
			(*count)++;
		}
	return found;
}

/* Run the watcher until the event (type, port) is recorded: at most
 * WAIT_ROUNDS x 100 ms. Fails the test if it never comes. */
static const struct seen *run_until(struct whosock_watch *w, struct rec *rec,
				    enum whosock_event_type type, uint16_t port)
{
	const struct seen *e = NULL;
	size_t count;

	for (int i = 0; i < WAIT_ROUNDS; i++) {
		int r = whosock_watch_run(w, 100);

		assert_true(r == 0 || r == -EINTR);
		e = find_seen(rec, type, port, &count);
		if (e)
			break;
	}
	if (!e)
		fail_msg("no %s event for 127.0.0.1:%u within %d ms",
			 type == WHOSOCK_EVENT_OPENED ? "OPENED" : "CLOSED", port, WAIT_ROUNDS * 100);
	return e;
}

static struct whosock_watch *new_watch_opts(struct rec *rec, size_t ring, unsigned interval_ms,
					    bool connections)
{
	struct whosock_watch_options opt;
	struct whosock_watch *w = NULL;
	int r;

	memset(&opt, 0, sizeof(opt));
	opt.size = sizeof(opt);
	opt.host_only = true;
	opt.interval_ms = interval_ms;
	opt.connections = connections;
	opt.ring_size = ring;
	r = whosock_watch_new(&opt, on_event, rec, &w);
	skip_if_refused(r, "whosock_watch_new");
	assert_int_equal(r, 0);
	assert_non_null(w);
	return w;
}

static struct whosock_watch *new_watch_ring(struct rec *rec, size_t ring)
{
	return new_watch_opts(rec, ring, 100, false);
}

static struct whosock_watch *new_watch(struct rec *rec)
{
	return new_watch_ring(rec, RING);
}

static void test_watch_opened_since_closed(void **state)
{
	static const struct whosock_event *got[RING];
	struct rec rec;
	struct whosock_watch *w;
	const struct seen *e;
	uint64_t since, missed = 1;
	size_t n, count;
	uint16_t port0, port1, port2;
	int fd0, fd1, fd2;
	bool saw1 = false, saw2 = false;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	/* Open before the watcher: the baseline, no OPENED event for it. */
	fd0 = listener4(&port0);
	add_port(&rec, port0);
	w = new_watch(&rec);
	assert_int_equal(rec.n, 0);

	fd1 = listener4(&port1);
	add_port(&rec, port1);
	e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port1);
	assert_true(e->owned_by_me);
	assert_int_equal(e->fd, fd1);
	assert_false(e->lifetime_known);
	find_seen(&rec, WHOSOCK_EVENT_OPENED, port0, &count);
	assert_int_equal(count, 0); /* the baseline socket stays silent */

	/* After the first one's event, the second listener: since_seq() from
	 * the next seq has it, not the first. */
	since = e->seq + 1;
	fd2 = listener4(&port2);
	add_port(&rec, port2);
	e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port2);
	assert_true(e->owned_by_me);
	assert_int_equal(e->fd, fd2);
	assert_true(e->seq >= since);

	n = whosock_watch_since_seq(w, since, got, RING, &missed);
	assert_true(n >= 1);
	assert_int_equal(missed, 0);
	assert_int_equal(got[0]->seq, since);
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = got[i]->socket;

		if (i)
			assert_int_equal(got[i]->seq, got[i - 1]->seq + 1); /* oldest first */
		if (!is_ours(&rec, s))
			continue;
		if (s->local.port == port1)
			saw1 = true;
		if (s->local.port == port2 && got[i]->type == WHOSOCK_EVENT_OPENED) {
			assert_false(saw2);
			saw2 = true;
			assert_int_equal(s->state, WHOSOCK_STATE_LISTEN);
			assert_true(s->n_owners >= 1);
		}
	}
	if (saw1)
		fail_msg("whosock_watch_since_seq(S) returned an event of 127.0.0.1:%u, opened before T",
			 port1);
	if (!saw2)
		fail_msg("whosock_watch_since_seq(S) lacks the OPENED event of 127.0.0.1:%u (%zu events)",
			 port2, n);
	/* A max of 0 returns nothing. */
	assert_int_equal(whosock_watch_since_seq(w, since, got, 0, NULL), 0);

	/* Closes: each reported once, with its lifetime; the baseline socket too. */
	close(fd2);
	e = run_until(w, &rec, WHOSOCK_EVENT_CLOSED, port2);
	assert_true(e->lifetime_known);
	close(fd1);
	e = run_until(w, &rec, WHOSOCK_EVENT_CLOSED, port1);
	assert_true(e->lifetime_known);
	close(fd0);
	e = run_until(w, &rec, WHOSOCK_EVENT_CLOSED, port0);
	assert_true(e->lifetime_known); /* seen open: in the baseline */
	assert_true(e->owned_by_me);
	/* One more round of dumps: nothing reported twice. */
	for (int i = 0; i < 3; i++)
		whosock_watch_run(w, 100);
	find_seen(&rec, WHOSOCK_EVENT_CLOSED, port0, &count);
	assert_int_equal(count, 1);
	find_seen(&rec, WHOSOCK_EVENT_CLOSED, port1, &count);
	assert_int_equal(count, 1);
	find_seen(&rec, WHOSOCK_EVENT_CLOSED, port2, &count);
	assert_int_equal(count, 1);
	find_seen(&rec, WHOSOCK_EVENT_OPENED, port1, &count);
	assert_int_equal(count, 1);
	find_seen(&rec, WHOSOCK_EVENT_OPENED, port2, &count);
	assert_int_equal(count, 1);
	find_seen(&rec, WHOSOCK_EVENT_OPENED, port0, &count);
	assert_int_equal(count, 0);

	/* since(T) now ends with port2's close after its open. */
	n = whosock_watch_since_seq(w, since, got, RING, NULL);
	saw2 = false;
	for (size_t i = 0; i < n; i++)
		if (is_ours(&rec, got[i]->socket) && got[i]->socket->local.port == port2) {
			if (got[i]->type == WHOSOCK_EVENT_OPENED)
				saw2 = true;
			else
				assert_true(saw2);
		}
	assert_true(saw2);
	assert_false(rec.seq_gap);
	whosock_watch_free(w);
}

/* The caller's own poll() loop drives the watcher: get_fd, get_timeout,
 * process (never blocking). */
static void poll_until(struct whosock_watch *w, struct rec *rec, enum whosock_event_type type,
		       uint16_t port)
{
	int fd = whosock_watch_get_fd(w);
	size_t count;

	assert_true(fd >= 0);
	for (int i = 0; i < 10 * WAIT_ROUNDS; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t t = UINT64_MAX;

		assert_int_equal(whosock_watch_get_timeout(w, &t), 0);
		assert_true(t <= 10000); /* a dump is due within the interval */
		assert_true(poll(&p, 1, t > 100 ? 100 : (int)t) >= 0);
		assert_int_equal(whosock_watch_process(w), 0);
		if (find_seen(rec, type, port, &count))
			return;
	}
	fail_msg("no %s event for 127.0.0.1:%u from the caller's poll() loop",
		 type == WHOSOCK_EVENT_OPENED ? "OPENED" : "CLOSED", port);
}

static void test_watch_own_poll_loop(void **state)
{
	struct rec rec;
	struct whosock_watch *w;
	const struct seen *e;
	uint16_t port;
	size_t count;
	int fd;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	w = new_watch(&rec);
	assert_int_equal(whosock_watch_get_fd(w), whosock_watch_get_fd(w));
	fd = listener4(&port);
	add_port(&rec, port);
	poll_until(w, &rec, WHOSOCK_EVENT_OPENED, port);
	e = find_seen(&rec, WHOSOCK_EVENT_OPENED, port, &count);
	assert_true(e->owned_by_me);
	close(fd);
	poll_until(w, &rec, WHOSOCK_EVENT_CLOSED, port);
	assert_false(rec.seq_gap);
	whosock_watch_free(w);
}

/* A wall clock that steps an hour back at every reading, as an NTP step or
 * an operator's date(1) would (once). */
static int stepping_calls;
static int stepping_clock(struct timespec *ts)
{
	int r = watch_clock_realtime(ts);

	ts->tv_sec -= 3600 * stepping_calls++;
	return r;
}

/* Read by seq, the ring loses and repeats nothing across a clock step (by
 * wall-clock time, the events after the step would come "before" the
 * first). */
static void test_watch_seq_across_clock_step(void **state)
{
	static const struct whosock_event *got[RING];
	struct rec rec;
	struct whosock_watch *w;
	const struct seen *first, *e;
	uint16_t port[3];
	int fd[3];
	size_t n;
	uint64_t missed = 1;
	bool saw[3] = { false, false, false };

	(void)state;
	memset(&rec, 0, sizeof(rec));
	w = new_watch(&rec);
	stepping_calls = 0;
	watch_realtime = stepping_clock;
	fd[0] = listener4(&port[0]);
	add_port(&rec, port[0]);
	first = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port[0]);
	for (int i = 1; i < 3; i++) {
		fd[i] = listener4(&port[i]);
		add_port(&rec, port[i]);
		e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port[i]);
		assert_true(e->seq > first->seq);
		assert_true(e->ts.tv_sec < first->ts.tv_sec); /* the clock went back */
	}
	watch_realtime = watch_clock_realtime;
	n = whosock_watch_since_seq(w, first->seq, got, RING, &missed);
	assert_int_equal(missed, 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i]->seq, first->seq + i);
		for (int k = 0; k < 3; k++)
			if (is_ours(&rec, got[i]->socket) && got[i]->socket->local.port == port[k]) {
				assert_false(saw[k]); /* once each */
				saw[k] = true;
			}
	}
	assert_true(saw[0] && saw[1] && saw[2]);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	whosock_watch_free(w);
}

/* A ring of 2 that saw 4 events says how many of them it dropped. */
static void test_watch_ring_says_missed(void **state)
{
	const struct whosock_event *got[4];
	struct rec rec;
	struct whosock_watch *w;
	uint64_t since = 0, missed = 0;
	uint16_t port[4];
	int fd[4];
	size_t n;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	w = new_watch_ring(&rec, 2);
	for (int i = 0; i < 4; i++) {
		const struct seen *e;

		fd[i] = listener4(&port[i]);
		add_port(&rec, port[i]);
		e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port[i]);
		if (i == 0)
			since = e->seq;
	}
	n = whosock_watch_since_seq(w, since, got, 4, &missed);
	assert_true(n >= 1 && n <= 2);
	assert_true(missed >= 2);
	assert_int_equal(got[0]->seq, since + missed);
	assert_int_equal(got[n - 1]->seq, rec.last_seq);
	/* since 0: what the ring has, nothing said missing. */
	assert_int_equal(whosock_watch_since_seq(w, 0, got, 4, &missed), n);
	assert_int_equal(missed, 0);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	whosock_watch_free(w);
}

static int failing_dump(struct mnl_socket *nl, struct whosock_snapshot *snap,
			enum whosock_proto proto, int family, const struct whosock_filter *f,
			unsigned ext)
{
	(void)nl, (void)snap, (void)proto, (void)family, (void)f, (void)ext;
	return -EIO;
}

/* A dump that fails is said in the status (not swallowed), and holds the
 * namespace's sockets as they were: nothing reported closed for it. */
static void test_watch_dump_failure_reported(void **state)
{
	struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;
	int (*real)(struct mnl_socket *, struct whosock_snapshot *, enum whosock_proto, int,
		    const struct whosock_filter *, unsigned) = watch_dump;
	struct rec rec;
	struct whosock_watch *w;
	uint16_t port, port2;
	size_t count;
	int fd, fd2;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	fd = listener4(&port);
	add_port(&rec, port);
	w = new_watch(&rec);
	assert_int_equal(whosock_watch_status(w, &st), 0);
	assert_int_equal(st.failing, 0);
	watch_dump = failing_dump;
	for (int i = 0; i < 5; i++)
		whosock_watch_run(w, 100);
	assert_int_equal(whosock_watch_status(w, &st), 0);
	assert_int_equal(st.failing, 1);
	assert_int_equal(st.failing_error, EIO);
	find_seen(&rec, WHOSOCK_EVENT_CLOSED, port, &count);
	assert_int_equal(count, 0); /* still open, and held so */
	watch_dump = real;
	fd2 = listener4(&port2);
	add_port(&rec, port2);
	run_until(w, &rec, WHOSOCK_EVENT_OPENED, port2);
	assert_int_equal(whosock_watch_status(w, &st), 0);
	assert_int_equal(st.failing, 0);
	find_seen(&rec, WHOSOCK_EVENT_CLOSED, port, &count);
	assert_int_equal(count, 0);
	/* A status struct without its size is refused. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(whosock_watch_status(w, &st), -EINVAL);
	close(fd);
	close(fd2);
	whosock_watch_free(w);
}

/* A subscriber of its own to the kernel's reports of closed IPv4 TCP
 * sockets (-1 when refused): the kernel sends each report to every
 * subscriber at once, so when this one has them all, the watcher has too. */
static int destroy_subscriber(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = 1u << (SKNLGRP_INET_TCP_DESTROY - 1) };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Wait until fd has had n reports (or 10 s). */
static void wait_reports(int fd, int n)
{
	char buf[8192];

	for (long end = mono_ms() + 10000; n > 0 && mono_ms() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) == 1 && recv(fd, buf, sizeof(buf), 0) > 0)
			n--; /* one report a datagram */
	}
}

/* Defect 15: a flood of closes is read a bounded amount per call, so a
 * caller's timeout and signals are never starved; what is left keeps the fd
 * readable, and later calls report the rest, each close once. */
static void test_watch_close_flood_bounded(void **state)
{
	enum { N = 64 }; /* reports that fit the kernel's queue: none lost */
	struct whosock_watch_status st = WHOSOCK_WATCH_STATUS_INIT;
	static int fds[N];
	struct rec rec;
	struct whosock_watch *w;
	size_t closed, first_turn, turns = 0;
	struct pollfd p;
	int sub;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	for (int i = 0; i < N; i++) {
		uint16_t port;

		fds[i] = listener4(&port);
	}
	/* Tracked from the start (the baseline); no dump due for a minute,
	 * and none sooner (with connections, counters are not peeked at):
	 * the closes can only come from the kernel's reports. */
	w = new_watch_opts(&rec, RING, 60000, true);
	assert_int_equal(whosock_watch_status(w, &st), 0);
	if (!st.destroy_reports)
		skip(); /* closes come from dumps here: nothing to flood */
	sub = destroy_subscriber();
	assert_true(sub >= 0); /* the watcher's own subscription was allowed */
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* The kernel reports a close when the socket is freed (from a work
	 * queue, which a busy machine runs late): all of them pile up first. */
	wait_reports(sub, N);
	close(sub);
	p = (struct pollfd){ .fd = whosock_watch_get_fd(w), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(whosock_watch_process(w), 0);
	first_turn = rec.calls;
	assert_true(first_turn < N); /* bounded: not all in one call */
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 1); /* the rest still waits */
	closed = first_turn;
	for (long end = mono_ms() + 10000; closed < N && mono_ms() < end; turns++) {
		p.revents = 0;
		poll(&p, 1, 100);
		assert_int_equal(whosock_watch_process(w), 0);
		closed = rec.calls;
	}
	print_message("%d closes: %zu in the first call, the rest in %zu more\n", N, first_turn,
		      turns);
	assert_true(closed >= N);
	whosock_watch_free(w);
}

/* Options from headers that knew fewer members (a smaller size) work; a
 * newer member this library does not know, set, is refused; size 0 (never
 * set) is refused. */
static void test_watch_options_size(void **state)
{
	struct {
		struct whosock_watch_options opt;
		uint64_t newer_member;
	} big;
	struct whosock_watch_options opt;
	struct rec rec;
	struct whosock_watch *w = NULL;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	memset(&opt, 0, sizeof(opt));
	assert_int_equal(whosock_watch_new(&opt, on_event, &rec, &w), -EINVAL);
	assert_null(w);
	memset(&big, 0, sizeof(big));
	big.opt.size = sizeof(big);
	big.opt.host_only = true;
	big.newer_member = 1;
	assert_int_equal(whosock_watch_new(&big.opt, on_event, &rec, &w), -E2BIG);
	big.newer_member = 0; /* unset: fine */
	assert_int_equal(whosock_watch_new(&big.opt, on_event, &rec, &w), 0);
	whosock_watch_free(w);
	w = NULL;
	opt.size = offsetof(struct whosock_watch_options, connections); /* size, filter */
	assert_int_equal(whosock_watch_new(&opt, on_event, &rec, &w), 0);
	whosock_watch_free(w);
}

/* A process that closes a listener and opens another right away keeps its
 * fd count (the new socket even gets the same fd number): the new listener
 * must still be reported with its owner, every time. */
static void test_watch_replaced_listener_owner(void **state)
{
	struct rec rec;
	struct whosock_watch *w;
	const struct seen *e;
	uint16_t port, old;
	int fd, fd2;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	w = new_watch(&rec);
	fd = listener4(&port);
	add_port(&rec, port);
	e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port);
	assert_true(e->owned_by_me);
	for (int round = 1; round <= 3; round++) {
		old = port;
		close(fd);
		fd2 = listener4(&port);
		assert_int_equal(fd2, fd); /* the lowest free fd: the same one */
		fd = fd2;
		rec.n_ports = 0;
		rec.n = 0;
		add_port(&rec, port);
		e = run_until(w, &rec, WHOSOCK_EVENT_OPENED, port);
		if (!e->owned_by_me || e->fd != fd)
			fail_msg("round %d: 127.0.0.1:%u (opened at fd %d right after 127.0.0.1:%u closed "
				 "there) reported without this process as its owner (%s fd %d)",
				 round, port, fd, old, e->owned_by_me ? "owner" : "no owner", e->fd);
	}
	close(fd);
	whosock_watch_free(w);
}

/* Defect 18 and its kind: wherever an allocation fails while a watcher
 * starts and dumps (the /proc walk of changed_pids, the owner scan, the
 * tracker, the ring), it fails cleanly: an error or a working watcher,
 * never a crash, and no fd (a DIR, a netlink socket) or memory (valgrind)
 * left behind. Each function's calls are swept, at most ~60 points each. */
static void test_watch_allocation_failures(void **state)
{
	struct whosock_watch_options opt = WHOSOCK_WATCH_OPTIONS_INIT;
	long total[FN_COUNT];
	int fds0;

	(void)state;
	opt.host_only = true;
	opt.interval_ms = 100;
	opt.connections = true;
	/* Once without failures: how many calls there are to sweep. */
	for (int pass = 0; pass < 2; pass++) {
		struct whosock_watch *w = NULL;
		struct rec rec;

		memset(&rec, 0, sizeof(rec));
		memset(calls, 0, sizeof(calls));
		skip_if_refused(whosock_watch_new(&opt, on_event, &rec, &w), "whosock_watch_new");
		assert_int_equal(whosock_watch_process(w), 0);
		whosock_watch_free(w);
		memcpy(total, calls, sizeof(total));
	}
	fds0 = count_fds();
	for (int fn = 0; fn < FN_COUNT; fn++) {
		long step = total[fn] / 60 + 1;

		for (long k = 0; k <= total[fn]; k += step) {
			struct whosock_watch *w = NULL;
			struct rec rec;
			int r;

			memset(&rec, 0, sizeof(rec));
			failed = false;
			fail_fn = fn;
			fail_in = k;
			r = whosock_watch_new(&opt, on_event, &rec, &w);
			if (r == 0) {
				assert_non_null(w);
				r = whosock_watch_process(w);
				assert_true(r == 0 || r == -ENOMEM);
			} else {
				assert_int_equal(r, -ENOMEM);
				assert_null(w);
			}
			fail_fn = -1;
			whosock_watch_free(w);
			if (count_fds() != fds0)
				fail_msg("allocation %ld of function %d failed: %d fds open, %d before", k,
					 fn, count_fds(), fds0);
		}
	}
	print_message("swept %ld malloc, %ld calloc, %ld realloc calls\n", total[FN_MALLOC],
		      total[FN_CALLOC], total[FN_REALLOC]);
}

static void test_watch_free_null(void **state)
{
	(void)state;
	whosock_watch_free(NULL);
	whosock_portindex_free(NULL);
	assert_int_equal(whosock_portindex_refreshes(NULL), 0);
}

static void test_watch_new_needs_callback(void **state)
{
	struct whosock_watch *w = (struct whosock_watch *)&w;

	(void)state;
	assert_int_equal(whosock_watch_new(NULL, NULL, NULL, &w), -EINVAL);
	assert_ptr_equal(w, (struct whosock_watch *)&w); /* untouched on failure */
}

/* ---- the port index ---- */

static struct whosock_portindex *new_index(unsigned refresh_ms)
{
	struct whosock_portindex *idx = NULL;
	int r = whosock_portindex_new(refresh_ms, &idx);

	skip_if_refused(r, "whosock_portindex_new");
	assert_int_equal(r, 0);
	assert_non_null(idx);
	assert_int_equal(whosock_portindex_refreshes(idx), 1);
	return idx;
}

static int lookup4(struct whosock_portindex *idx, enum whosock_proto proto, const char *addr,
		   uint16_t port, const struct whosock_process **p)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	return whosock_portindex_lookup(idx, proto, AF_INET, &a, port, p);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Driven by the caller's loop, the index follows sockets as they open:
 * found without a refresh, with its owner. */
static void test_portindex_follows_events(void **state)
{
	const struct whosock_process *p = NULL;
	struct whosock_portindex *idx = new_index(100);
	uint16_t port;
	int fd, r = 0;

	(void)state;
	assert_true(whosock_portindex_get_fd(idx) >= 0);
	fd = listener4(&port);
	for (long end = mono_ms() + 3000; mono_ms() < end;) {
		struct pollfd pfd = { .fd = whosock_portindex_get_fd(idx), .events = POLLIN };
		uint64_t t;

		assert_int_equal(whosock_portindex_get_timeout(idx, &t), 0);
		poll(&pfd, 1, t > 100 ? 100 : (int)t);
		assert_int_equal(whosock_portindex_process(idx), 0);
	}
	r = lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p);
	assert_int_equal(r, 1);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(whosock_portindex_refreshes(idx), 1); /* from the events alone */
	close(fd);
	for (long end = mono_ms() + 1000; mono_ms() < end;) {
		sleep_ms(100);
		assert_int_equal(whosock_portindex_process(idx), 0);
	}
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 0);
	whosock_portindex_free(idx);
}

static void test_portindex_hits_without_refresh(void **state)
{
	static const uint8_t any4[4], any6[16];
	const struct whosock_process *p = NULL;
	struct whosock_portindex *idx;
	uint16_t pl, pw, pd = 0, pn, free_port;
	int fl, fw, fd6, fn;

	(void)state;
	fl = listener4(&pl);
	fw = listener(AF_INET, any4, false, &pw); /* 0.0.0.0 */
	assert_true(fw >= 0);
	fd6 = listener(AF_INET6, any6, false, &pd); /* [::], dual-stack */
	free_port = unused_port();
	idx = new_index(60000);

	/* Exact address. */
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pl, &p), 1);
	assert_non_null(p);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(whosock_portindex_refreshes(idx), 1);

	/* Bound to 0.0.0.0: any local address matches. */
	p = NULL;
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.2", pw, &p), 1);
	assert_int_equal(p->pid, getpid());
	p = NULL;
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "10.11.12.13", pw, &p), 1);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(whosock_portindex_refreshes(idx), 1);

	/* A dual-stack [::] listener answers for IPv4 and IPv6 addresses. */
	if (fd6 >= 0) {
		struct in6_addr v6;

		p = NULL;
		assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pd, &p), 1);
		assert_int_equal(p->pid, getpid());
		assert_int_equal(inet_pton(AF_INET6, "::1", &v6), 1);
		p = NULL;
		assert_int_equal(whosock_portindex_lookup(idx, WHOSOCK_PROTO_TCP, AF_INET6, &v6, pd, &p),
				 1);
		assert_int_equal(p->pid, getpid());
		assert_int_equal(whosock_portindex_refreshes(idx), 1);
	} else {
		print_message("no IPv6 here: the dual-stack lookup is not checked\n");
	}

	/* Misses within the 60 s period: 0, *out untouched, no new snapshot. */
	p = (const struct whosock_process *)&p;
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", free_port, &p), 0);
	assert_ptr_equal(p, (const struct whosock_process *)&p);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_UDP, "127.0.0.1", pl, &p), 0); /* TCP only */
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.2", pl, &p), 0); /* 127.0.0.1 only */
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", free_port, &p), 0);
	assert_int_equal(whosock_portindex_refreshes(idx), 1);

	/* A listener opened after the snapshot stays unknown until the period ends. */
	fn = listener4(&pn);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pn, &p), 0);
	assert_int_equal(whosock_portindex_refreshes(idx), 1);

	/* Bad arguments. */
	assert_int_equal(whosock_portindex_lookup(idx, WHOSOCK_PROTO_TCP, AF_UNIX, LOOPBACK4, pl, &p),
			 -EINVAL);
	assert_int_equal(whosock_portindex_lookup(idx, WHOSOCK_PROTO_TCP, AF_INET, NULL, pl, &p),
			 -EINVAL);
	assert_int_equal(whosock_portindex_refreshes(idx), 1);

	whosock_portindex_free(idx);
	close(fn);
	if (fd6 >= 0)
		close(fd6);
	close(fw);
	close(fl);
}

/* A child process holding a TCP listener on 127.0.0.1:port (0: any), until
 * killed. Returns its pid; the port it bound in *bound. */
static pid_t port_holder(uint16_t port, uint16_t *bound)
{
	int ready[2];
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
		socklen_t len = sizeof(sin);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
		uint16_t got = 0;

		memcpy(&sin.sin_addr, LOOPBACK4, 4);
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
		    bind(fd, (struct sockaddr *)&sin, len) == 0 && listen(fd, 4) == 0 &&
		    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
			got = ntohs(sin.sin_port);
		if (write(ready[1], &got, sizeof(got)) != sizeof(got) || !got)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], bound, sizeof(*bound)), sizeof(*bound));
	close(ready[0]);
	if (!*bound) {
		waitpid(pid, NULL, 0);
		fail_msg("the holder could not bind 127.0.0.1:%u", port);
	}
	return pid;
}

static void stop_holder(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* A port its owner closed and another process bound within the refresh
 * period: the hit is checked, found stale, and the index refreshed at once,
 * naming the new owner; a hit that holds takes no new snapshot. */
static void test_portindex_reused_port(void **state)
{
	const struct whosock_process *p = NULL;
	struct whosock_portindex *idx;
	uint16_t port, again;
	pid_t a, b;

	(void)state;
	a = port_holder(0, &port);
	idx = new_index(60000);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 1);
	assert_int_equal(p->pid, a);
	stop_holder(a);
	b = port_holder(port, &again);
	assert_int_equal(again, port);
	p = NULL;
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 1);
	if (p->pid != b) {
		stop_holder(b); /* no child left behind */
		fail_msg("127.0.0.1:%u: lookup names pid %d, which exited; pid %d holds it now", port,
			 p->pid, b);
	}
	assert_int_equal(whosock_portindex_refreshes(idx), 2);
	/* Checked and still held: no new snapshot. */
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 1);
	assert_int_equal(p->pid, b);
	assert_int_equal(whosock_portindex_refreshes(idx), 2);
	/* The owner gone and the port free: a miss at once (one refresh),
	 * then misses without snapshots until the period ends. */
	stop_holder(b);
	p = (const struct whosock_process *)&p;
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 0);
	assert_ptr_equal(p, (const struct whosock_process *)&p);
	assert_int_equal(whosock_portindex_refreshes(idx), 3);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", port, &p), 0);
	assert_int_equal(whosock_portindex_refreshes(idx), 3);
	whosock_portindex_free(idx);
}

static void test_portindex_miss_refreshes(void **state)
{
	const struct whosock_process *p = NULL;
	struct whosock_portindex *idx;
	uint16_t pn, pm, free_port = unused_port();
	long t0, took;
	int fn, fm, r;

	(void)state;
	/* A short period: a miss after it takes a new snapshot, which finds a
	 * listener opened after the first. */
	idx = new_index(1);
	fn = listener4(&pn);
	sleep_ms(5);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pn, &p), 1);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(whosock_portindex_refreshes(idx), 2);
	/* A hit never refreshes, however old the snapshot. */
	sleep_ms(5);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pn, &p), 1);
	assert_int_equal(whosock_portindex_refreshes(idx), 2);
	/* A miss after the period refreshes once (and still misses). */
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", free_port, &p), 0);
	assert_int_equal(whosock_portindex_refreshes(idx), 3);
	/* A closed socket is gone from the next snapshot. */
	close(fn);
	sleep_ms(5);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", free_port, &p), 0);
	assert_int_equal(whosock_portindex_refreshes(idx), 4);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pn, &p), 0);
	whosock_portindex_free(idx);

	/* Period 0 means 1000 ms: a miss within it does not refresh, one after
	 * it does. The period runs from the start of a snapshot: when the
	 * machine is so loaded that taking it took most of a second (a dump
	 * walks every namespace's sockets in the kernel's tables), the first
	 * check is left out. */
	t0 = mono_ms();
	idx = new_index(0);
	fm = listener4(&pm);
	r = lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pm, &p);
	took = mono_ms() - t0;
	if (took < 900) {
		assert_int_equal(r, 0);
		assert_int_equal(whosock_portindex_refreshes(idx), 1);
	} else {
		print_message("the first snapshot and a lookup took %ld ms: the no-refresh-within-"
			      "the-period check is left out\n", took);
		assert_true(whosock_portindex_refreshes(idx) <= 2);
	}
	sleep_ms(1100);
	assert_int_equal(lookup4(idx, WHOSOCK_PROTO_TCP, "127.0.0.1", pm, &p), 1);
	assert_int_equal(p->pid, getpid());
	assert_true(whosock_portindex_refreshes(idx) >= 2);
	whosock_portindex_free(idx);
	close(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_free_null),
		cmocka_unit_test(test_watch_allocation_failures),
		cmocka_unit_test(test_watch_new_needs_callback),
		cmocka_unit_test(test_watch_opened_since_closed),
		cmocka_unit_test(test_watch_replaced_listener_owner),
		cmocka_unit_test(test_watch_own_poll_loop),
		cmocka_unit_test(test_watch_seq_across_clock_step),
		cmocka_unit_test(test_watch_ring_says_missed),
		cmocka_unit_test(test_watch_options_size),
		cmocka_unit_test(test_watch_dump_failure_reported),
		cmocka_unit_test(test_watch_close_flood_bounded),
		cmocka_unit_test(test_portindex_follows_events),
		cmocka_unit_test(test_portindex_hits_without_refresh),
		cmocka_unit_test(test_portindex_miss_refreshes),
		cmocka_unit_test(test_portindex_reused_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
