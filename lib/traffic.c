/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Traffic accounting on a watcher's tracker: at each dump, every tracked
 * socket's payload counters less what was counted of it already; at each
 * close, its final counts (the kernel's report) less the same; closes of
 * sockets no dump saw open, in full. Each delta goes to the socket's group
 * in every grouping (trafgroup.c); the interval ends with the dump. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "whosock/traffic.h"
#include "abi.h"
#include "bpf_traffic.h"
#include "filter.h"
#include "sockcopy.h"
#include "trafgroup.h"
#include "tracker.h"
#include "watch_clock.h"
#include "watch_hooks.h"

/* Sockets the first dump listed without a holder: their counts at the start. */
struct start_count {
	uint64_t netns, cookie, sent, received;
};

/* Sockets reported closed by a dump that no longer listed them: the
 * kernel's report may still come, with the bytes after that dump. */
#define LATE_CLOSES 256
struct late_close {
	struct whosock_socket *sock; /* a copy, traffic as counted */
};

/* Closes of sockets no dump saw, held until the interval's dump: the
 * listener a socket was accepted from may be new too, and only that dump
 * finds who holds it. Beyond PENDING_MAX they count at once. */
#define PENDING_MAX 65536
struct pending_close {
	struct whosock_socket *sock; /* a copy */
	uint64_t sent0, received0;
};

struct whosock_meter {
	struct whosock_meter_options opt;
	struct whosock_filter base;             /* opt.filter's copy */
	struct whosock_process_filter *base_pf; /* its owner members, NULL when none */
	struct whosock_filter extra;            /* whosock_meter_set_filter()'s */
	bool has_extra;
	struct whosock_process_filter *extra_pf;
	struct whosock_watch *w;
	struct tgroups g;
	struct whosock_meter_row *rows[WHOSOCK_BY_COUNT];
	size_t n_rows[WHOSOCK_BY_COUNT];
	struct pending_close *pending;
	size_t n_pending, cap_pending;
	struct start_count *starts;
	size_t n_starts, cap_starts;
	struct late_close late[LATE_CLOSES];
	size_t n_late; /* ever: the ring holds the last LATE_CLOSES */
	struct whosock_note notes[WHOSOCK_PROTO_OTHER + 2];
	size_t n_notes;
	uint64_t uncounted[WHOSOCK_PROTO_OTHER + 1]; /* this interval's sockets not counted, by proto */
	uint64_t no_owner;                           /* closes counted without a process */
	int bpf_error; /* why the kernel's counters do not run (the watcher's status) */
	int error;                                   /* a failure inside a callback (-ENOMEM) */
	bool ended, any_interval;
	struct timespec ts;
	uint64_t interval_ms, last_end_ms;
	uint64_t next_end_ms; /* on the grid of intervals from the start (CLOCK_MONOTONIC) */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool addr_any(const struct whosock_socket *s)
{
	static const uint8_t zero[16];

	return memcmp(s->local.addr, zero, s->family == AF_INET ? 4 : 16) == 0;
}

/* The process of a TCP socket no holder was seen for: the one holding the
 * listener it was accepted from (its local port is that listener's), when a
 * single process holds that listener. */
static const struct whosock_process *listener_holder(struct tracker *tk,
						     const struct whosock_socket *s)
{
	const struct whosock_process *found = NULL;

	for (size_t i = 0; i < tk->cap; i++) {
		const struct whosock_socket *l = tk->map[i].sock;

		if (!tk->map[i].netns || tk->map[i].netns != s->netns || l->proto != WHOSOCK_PROTO_TCP ||
		    l->state != WHOSOCK_STATE_LISTEN || l->local.port != s->local.port || !l->n_owners)
			continue;
		if (!addr_any(l) && (l->family != s->family ||
				     memcmp(l->local.addr, s->local.addr, l->family == AF_INET ? 4 : 16)))
			continue;
		for (uint32_t k = 0; k < l->n_owners; k++) {
			if (found && found->pid != l->owners[k].proc->pid)
				return NULL; /* several processes: which one accepted is unknown */
			found = l->owners[k].proc;
		}
	}
	return found;
}

static const struct whosock_process *holder(struct tracker *tk, const struct whosock_socket *s)
{
	if (s->n_owners)
		return s->owners[0].proc;
	return s->proto == WHOSOCK_PROTO_TCP ? listener_holder(tk, s) : NULL;
}

static bool counts(const struct whosock_meter *m, const struct whosock_socket *s,
		   const struct whosock_process *p)
{
	if (!filter_match(&m->base, s))
		return false;
	if (m->base_pf && !(p && whosock_filter_match_process(m->base_pf, p)))
		return false;
	if (m->has_extra && !filter_match(&m->extra, s))
		return false;
	return !m->extra_pf || (p && whosock_filter_match_process(m->extra_pf, p));
}

static uint64_t minus(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* Count s's bytes beyond (sent0, received0) in each of its groups. open: it
 * is open at the interval's end; closed: it closed during it. */
static void account(struct whosock_meter *m, const struct whosock_socket *s,
		    const struct whosock_process *p, uint64_t sent0, uint64_t received0, bool open,
		    bool closed)
{
	uint64_t sent = minus(s->traffic.sent_bytes, sent0),
		 received = minus(s->traffic.received_bytes, received0);

	if (!counts(m, s, p))
		return;
	if (!open && !sent && !received)
		return;
	if (closed && !p && (sent || received))
		m->no_owner++;
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		struct tgkey k;
		struct tgroup *t;

		tgkey_make(&k, (enum whosock_meter_by)by, s, p);
		t = tgroups_get(&m->g, &k, s, p);
		if (!t) {
			m->error = -ENOMEM;
			continue;
		}
		tgroup_add(t, s, sent, received, open, closed);
	}
}

static void on_event(const struct whosock_event *ev, void *data)
{
	struct whosock_meter *m = data;
	const struct whosock_socket *s = ev->socket;
	struct tracker *tk = watch_tracker(m->w);
	struct tracked *t;
	struct late_close *late;

	if (ev->type != WHOSOCK_EVENT_CLOSED || !(s->known & WHOSOCK_KNOWN_TRAFFIC))
		return;
	t = tracker_find(tk, s->netns, s->cookie);
	if (!t)
		return;
	account(m, s, holder(tk, s), t->sent_counted, t->received_counted, false, true);
	if (watch_close_is_final(m->w) || s->proto != WHOSOCK_PROTO_TCP)
		return;
	/* Not final: remember it for the report that may follow. */
	late = &m->late[m->n_late % LATE_CLOSES];
	free(late->sock);
	late->sock = sockcopy(s);
	if (late->sock)
		m->n_late++;
}

static void orphan_at_start(void *data, const struct whosock_socket *s)
{
	struct whosock_meter *m = data;

	if (!(s->known & WHOSOCK_KNOWN_TRAFFIC))
		return;
	if (m->n_starts == m->cap_starts) {
		size_t cap = m->cap_starts ? m->cap_starts * 2 : 64;
		struct start_count *v = realloc(m->starts, cap * sizeof(*v));

		if (!v) {
			m->error = -ENOMEM;
			return;
		}
		m->starts = v;
		m->cap_starts = cap;
	}
	m->starts[m->n_starts++] = (struct start_count){ s->netns, s->cookie, s->traffic.sent_bytes,
							 s->traffic.received_bytes };
}

static void closed_unseen(void *data, struct tracker *tk, const struct whosock_socket *s, bool late)
{
	struct whosock_meter *m = data;
	uint64_t sent0 = 0, received0 = 0;

	if (!(s->known & WHOSOCK_KNOWN_TRAFFIC))
		return; /* not TCP: the report has no counters */
	if (late) {
		size_t n = m->n_late < LATE_CLOSES ? m->n_late : LATE_CLOSES;

		for (size_t i = 0; i < n; i++) {
			struct late_close *l = &m->late[i];
			struct whosock_socket *c = l->sock;

			if (!c || c->netns != s->netns || c->cookie != s->cookie)
				continue;
			sent0 = c->traffic.sent_bytes;
			received0 = c->traffic.received_bytes;
			c->traffic = s->traffic;
			/* Already counted as closed: only the bytes. */
			account(m, c, holder(tk, c), sent0, received0, false, false);
			free(c);
			l->sock = NULL;
			return;
		}
		return;
	}
	for (size_t i = 0; i < m->n_starts; i++) {
		if (m->starts[i].netns != s->netns || m->starts[i].cookie != s->cookie)
			continue;
		sent0 = m->starts[i].sent;
		received0 = m->starts[i].received;
		m->starts[i] = m->starts[--m->n_starts];
		break;
	}
	if (m->n_pending == m->cap_pending && m->cap_pending < PENDING_MAX) {
		size_t cap = m->cap_pending ? m->cap_pending * 2 : 64;
		struct pending_close *v = realloc(m->pending, cap * sizeof(*v));

		if (v) {
			m->pending = v;
			m->cap_pending = cap;
		}
	}
	if (m->n_pending < m->cap_pending) {
		struct whosock_socket *copy = sockcopy(s);

		if (copy) {
			m->pending[m->n_pending++] = (struct pending_close){ copy, sent0, received0 };
			return;
		}
	}
	account(m, s, holder(tk, s), sent0, received0, false, true);
}

/* The closes held for this dump, attributed now. */
static void account_pending(struct whosock_meter *m, struct tracker *tk)
{
	for (size_t i = 0; i < m->n_pending; i++) {
		struct pending_close *p = &m->pending[i];

		account(m, p->sock, holder(tk, p->sock), p->sent0, p->received0, false, true);
		free(p->sock);
	}
	m->n_pending = 0;
}

static void add_notes(struct whosock_meter *m)
{
	m->n_notes = 0;
	for (int p = 0; p <= WHOSOCK_PROTO_OTHER; p++) {
		if (m->uncounted[p])
			m->notes[m->n_notes++] = (struct whosock_note){
				.code = WHOSOCK_NOTE_TRAFFIC_UNCOUNTED, .count = m->uncounted[p],
				.error = p == WHOSOCK_PROTO_TCP ? 0 : m->bpf_error, .proto = p,
				.family = AF_UNSPEC };
		m->uncounted[p] = 0;
	}
	if (m->no_owner)
		m->notes[m->n_notes++] = (struct whosock_note){ .code = WHOSOCK_NOTE_TRAFFIC_NO_OWNER,
								.count = m->no_owner,
								.family = AF_UNSPEC };
	m->no_owner = 0;
}

/* The interval ends: the rows are the groups as they stand. */
static void end_interval(struct whosock_meter *m)
{
	uint64_t now = mono_ms();

	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		free(m->rows[by]);
		m->rows[by] = NULL;
		m->n_rows[by] = 0;
	}
	tgroups_sweep(&m->g);
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		long n = tgroups_rows(&m->g, (enum whosock_meter_by)by, &m->rows[by]);

		if (n < 0)
			m->error = (int)n;
		else
			m->n_rows[by] = (size_t)n;
	}
	tgroups_next(&m->g);
	add_notes(m);
	watch_realtime(&m->ts);
	m->interval_ms = now - m->last_end_ms;
	m->last_end_ms = now;
	/* The next end on the grid: slow dumps do not shift it, a stall
	 * (longer than an interval) starts it again from now. */
	m->next_end_ms += m->opt.interval_ms;
	if (m->next_end_ms <= now)
		m->next_end_ms = now + m->opt.interval_ms;
	m->ended = true;
	m->any_interval = true;
}

/* A socket other than TCP: its payload as the kernel's counters have it now
 * (none counted yet: none, or what was taken before). */
static void take_bpf(const struct bpf_traffic *bt, struct whosock_socket *s)
{
	struct whosock_traffic tr = { .since_start = true };

	if (s->known & WHOSOCK_KNOWN_TRAFFIC)
		tr = s->traffic;
	bpf_traffic_get(bt, s->cookie, &tr);
	s->traffic = tr;
	s->known |= WHOSOCK_KNOWN_TRAFFIC;
}

static void dumped(void *data, struct tracker *tk, const struct bpf_traffic *bt, bool baseline)
{
	struct whosock_meter *m = data;
	/* Only the interval's last dump counts the connections open at its
	 * end: an early one (a namespace appeared) adds bytes, or every open
	 * socket would count once per dump. */
	bool ending = !baseline && mono_ms() >= m->next_end_ms;

	if (!baseline)
		account_pending(m, tk);
	for (size_t i = 0; i < tk->cap; i++) {
		struct tracked *t = &tk->map[i];
		struct whosock_socket *s = t->sock;

		if (!t->netns || s->state == WHOSOCK_STATE_LISTEN)
			continue;
		/* The tracked copy keeps them: its closed event (a dump that no
		 * longer listed it) reports them, the kernel's release the
		 * final ones. */
		if (bt && s->proto != WHOSOCK_PROTO_TCP)
			take_bpf(bt, s);
		if (!(s->known & WHOSOCK_KNOWN_TRAFFIC)) {
			if (!baseline && counts(m, s, holder(tk, s)))
				m->uncounted[s->proto <= WHOSOCK_PROTO_OTHER ? s->proto : WHOSOCK_PROTO_OTHER]++;
			continue;
		}
		if (!baseline)
			account(m, s, holder(tk, s), t->sent_counted, t->received_counted, ending, false);
		t->sent_counted = s->traffic.sent_bytes;
		t->received_counted = s->traffic.received_bytes;
	}
	/* Dumps come early too (a namespace appeared): their bytes count in
	 * the interval, which ends at its own time. */
	if (baseline) {
		m->last_end_ms = mono_ms();
		m->next_end_ms = m->last_end_ms + m->opt.interval_ms;
	} else if (ending) {
		end_interval(m);
	}
}

static int make_pf(const struct whosock_filter *f, struct whosock_process_filter **out)
{
	*out = NULL;
	return filter_has_owner_members(f) ? whosock_process_filter_new(f, out) : 0;
}

int whosock_meter_new(const struct whosock_meter_options *options, struct whosock_meter **out)
{
	struct whosock_watch_options wo = WHOSOCK_WATCH_OPTIONS_INIT;
	struct watch_hooks hooks = { .dumped = dumped, .orphan_at_start = orphan_at_start,
				     .closed_unseen = closed_unseen };
	struct whosock_meter *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	r = options ? abi_copy(&m->opt, sizeof(m->opt), options) : 0;
	if (r == 0)
		r = abi_filter(&m->base, m->opt.filter);
	if (r < 0) {
		free(m);
		return r;
	}
	m->opt.filter = &m->base;
	if (!m->base.protos)
		m->base.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) |
				 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |
				 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE);
	m->base.states = 0; /* the watcher decides which states it follows */
	if (!m->opt.interval_ms)
		m->opt.interval_ms = 1000;
	if (m->opt.interval_ms < 100)
		m->opt.interval_ms = 100;
	r = make_pf(&m->base, &m->base_pf);
	if (r < 0) {
		free(m);
		return r;
	}
	wo.filter = &m->base;
	wo.connections = true;
	wo.host_only = m->opt.host_only;
	wo.interval_ms = m->opt.interval_ms;
	wo.want = WHOSOCK_WANT_PROCESS;
	wo.ring_size = 1; /* replays are not used */
	wo.flags = m->opt.flags;
	hooks.data = m;
	r = watch_new_hooked(&wo, on_event, m, &hooks, &m->w);
	if (r == 0)
		r = m->error;
	if (r == 0) {
		struct whosock_watch_status st = { .size = sizeof(st) };

		r = whosock_watch_status(m->w, &st);
		m->bpf_error = st.bpf_error;
	}
	if (r < 0) {
		whosock_meter_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int whosock_meter_get_fd(const struct whosock_meter *m)
{
	return whosock_watch_get_fd(m->w);
}

int whosock_meter_get_timeout(const struct whosock_meter *m, uint64_t *timeout_ms)
{
	uint64_t now = mono_ms(), due = m->next_end_ms, t;

	whosock_watch_get_timeout(m->w, &t);
	if (due <= now)
		t = 0;
	else if (due - now < t)
		t = due - now;
	*timeout_ms = t;
	return 0;
}

int whosock_meter_process(struct whosock_meter *m)
{
	int r;

	/* The interval's end is a dump of its own, whatever the watcher's
	 * schedule (early dumps moved it). */
	if (mono_ms() >= m->next_end_ms)
		watch_dump_now(m->w);
	r = whosock_watch_process(m->w);

	if (r == 0 && m->error)
		r = m->error;
	m->error = 0;
	if (r < 0)
		return r;
	if (!m->ended)
		return 0;
	m->ended = false;
	return 1;
}

int whosock_meter_interval(const struct whosock_meter *m, struct timespec *ts, uint64_t *interval_ms)
{
	if (!m->any_interval)
		return -EAGAIN;
	*ts = m->ts;
	*interval_ms = m->interval_ms;
	return 0;
}

size_t whosock_meter_row_count(const struct whosock_meter *m, enum whosock_meter_by by)
{
	return (unsigned)by < WHOSOCK_BY_COUNT ? m->n_rows[by] : 0;
}

const struct whosock_meter_row *whosock_meter_row(const struct whosock_meter *m,
						  enum whosock_meter_by by, size_t i)
{
	if ((unsigned)by >= WHOSOCK_BY_COUNT || i >= m->n_rows[by])
		return NULL;
	return &m->rows[by][i];
}

int whosock_meter_set_filter(struct whosock_meter *m, const struct whosock_filter *f)
{
	struct whosock_filter copy;
	struct whosock_process_filter *pf = NULL;
	int r = abi_filter(&copy, f);

	if (r == 0 && f)
		r = make_pf(&copy, &pf);
	if (r < 0)
		return r;
	whosock_process_filter_free(m->extra_pf);
	m->extra = copy;
	m->extra.states = 0;
	m->has_extra = f != NULL;
	m->extra_pf = pf;
	/* The totals start again: the rows (and their groups) go. */
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++) {
		free(m->rows[by]);
		m->rows[by] = NULL;
		m->n_rows[by] = 0;
	}
	tgroups_free(&m->g);
	return 0;
}

size_t whosock_meter_note_count(const struct whosock_meter *m)
{
	return m->n_notes;
}

const struct whosock_note *whosock_meter_note(const struct whosock_meter *m, size_t i)
{
	return i < m->n_notes ? &m->notes[i] : NULL;
}

void whosock_meter_free(struct whosock_meter *m)
{
	if (!m)
		return;
	whosock_watch_free(m->w);
	for (int by = 0; by < WHOSOCK_BY_COUNT; by++)
		free(m->rows[by]);
	tgroups_free(&m->g);
	for (size_t i = 0; i < LATE_CLOSES; i++)
		free(m->late[i].sock);
	for (size_t i = 0; i < m->n_pending; i++)
		free(m->pending[i].sock);
	free(m->pending);
	free(m->starts);
	whosock_process_filter_free(m->base_pf);
	whosock_process_filter_free(m->extra_pf);
	free(m);
}
