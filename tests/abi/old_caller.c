/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program built against the 1.0 headers (tests/abi/1.0/, frozen at the
 * release) and run with today's library: whatever fields the library's
 * structs have gained since, this one's option structs are the size they
 * were, and it still takes a snapshot that finds its own listener and
 * drives a watcher from its own poll() loop that sees a listener open.
 * Exits 0, or 1 after a FAIL line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "whosock/watch.h"
#include "whosock/whosock.h"

static int fail(const char *what, int r)
{
	printf("FAIL: %s: %s\n", what, r < 0 ? strerror(-r) : "no");
	return 1;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

struct seen {
	uint16_t port;
	int opened;
};

static void on_event(const struct whosock_event *ev, void *data)
{
	struct seen *seen = data;

	if (ev->type == WHOSOCK_EVENT_OPENED && ev->socket->local.port == seen->port &&
	    ev->socket->n_owners && ev->socket->owners[0].proc->pid == getpid())
		seen->opened++;
}

int main(void)
{
	struct whosock_local q = { 0 };
	struct whosock_filter filter = WHOSOCK_FILTER_INIT;
	struct whosock_options opt = WHOSOCK_OPTIONS_INIT;
	struct whosock_watch_options wopt = WHOSOCK_WATCH_OPTIONS_INIT;
	struct whosock_snapshot *snap;
	struct whosock_watch *w;
	struct seen seen = { 0 };
	uint16_t port;
	int found = 0, r, fd = listener(&port);

	if (fd < 0)
		return fail("listen on 127.0.0.1", -errno);
	if (whosock_version_number() < WHOSOCK_VERSION_NUMBER)
		return fail("the library is older than the headers this was built with", 0);
	q.port = port;
	filter.locals = &q;
	filter.n_locals = 1;
	opt.filter = &filter;
	opt.want = WHOSOCK_WANT_OWNERS;
	opt.host_only = true;
	r = whosock_snapshot_take(&opt, &snap);
	if (r < 0)
		return fail("whosock_snapshot_take", r);
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		found += s->local.port == port && s->n_owners && s->owners[0].proc->pid == getpid();
	}
	whosock_snapshot_free(snap);
	if (found != 1)
		return fail("the snapshot lists this program's listener with its owner", 0);

	wopt.host_only = true;
	wopt.interval_ms = 100;
	r = whosock_watch_new(&wopt, on_event, &seen, &w);
	if (r < 0)
		return fail("whosock_watch_new", r);
	close(fd);
	fd = listener(&seen.port);
	if (fd < 0)
		return fail("listen on 127.0.0.1", -errno);
	for (int i = 0; i < 100 && !seen.opened; i++) {
		struct pollfd p = { .fd = whosock_watch_get_fd(w), .events = POLLIN };
		uint64_t t;

		whosock_watch_get_timeout(w, &t);
		poll(&p, 1, t > 100 ? 100 : (int)t);
		r = whosock_watch_process(w);
		if (r < 0)
			return fail("whosock_watch_process", r);
	}
	whosock_watch_free(w);
	close(fd);
	if (seen.opened != 1)
		return fail("the watcher reports the listener opened, once, with its owner", 0);
	printf("ok: built against libwhosock %s headers, ran with %s\n", WHOSOCK_VERSION,
	       whosock_version());
	return 0;
}
