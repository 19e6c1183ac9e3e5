/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock top's live view (ncursesw): the meter's rows redrawn at every
 * --delay, keys for views, sorting, filtering, a process's sockets, pause
 * and help. The terminal is given back on every way out: q, SIGINT,
 * SIGTERM, SIGHUP (the loop ends), exit() (atexit) and a crash (the
 * handler restores it, then dies of the same signal). */
#include <stdio.h>
#include <stdlib.h>

#include "top.h"

#if !HAVE_NCURSES
int top_view_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	(void)cli;
	message("", "this whosock was built without ncursesw: no live view; use -o ndjson, json "
		"or csv");
	return EXIT_TROUBLE;
}
#else
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "top.h"
#include "top_model.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t screen_on;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void restore_terminal(void)
{
	if (screen_on) {
		screen_on = 0;
		endwin();
	}
}

/* A crash: give the terminal back, then die of the signal as before. */
static void on_crash(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

struct view {
	const struct cli *cli;
	struct whosock_meter *m;
	struct top_model model;
	int by;
	size_t sort_col;
	bool reverse, paused, help, bits, color, ready;
	int only_pid;         /* the sockets of this process (Enter), 0: all */
	char only_name[64];
	size_t selected, first; /* the highlighted row and the first one shown */
	char status[256];     /* the bottom line's message, "" for the keys */
	char filter_text[256];
	struct cli filter_cli; /* the '/' filter's parsed options (its lists) */
	bool has_filter;
	uint64_t said;
};

/* Put UTF-8 text (escaped: printable, no control bytes) at (y, x) within
 * width cells, right-aligned when right; cut at a character boundary. */
static void put_cell(int y, int x, int width, const char *text, bool right)
{
	wchar_t wbuf[256];
	int used = 0;
	size_t n = 0;
	mbstate_t st;
	const char *p = text ? text : "-";

	memset(&st, 0, sizeof(st));
	while (*p && n < sizeof(wbuf) / sizeof(wbuf[0]) - 1) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, p, strlen(p), &st);
		int w;

		if (k == 0 || k == (size_t)-1 || k == (size_t)-2) {
			wc = L'?'; /* escaped text is valid UTF-8: not reached */
			k = 1;
			memset(&st, 0, sizeof(st));
		}
		w = wcwidth(wc);
		if (w < 0)
			w = 1;
		if (used + w > width)
			break;
		wbuf[n++] = wc;
		used += w;
		p += k;
	}
	wbuf[n] = 0;
	if (right && used < width)
		x += width - used;
	mvaddnwstr(y, x, wbuf, (int)n);
}

static void draw_header(struct view *v, int cols)
{
	char line[512], sent[16], recv[16], when[16];
	const char *unit = v->bits ? "b/s" : "B/s";
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	top_human(sent, sizeof(sent), v->model.sent_rate, v->bits);
	top_human(recv, sizeof(recv), v->model.received_rate, v->bits);
	snprintf(line, sizeof(line), "whosock top%s - %s - by %s%s%s%s - sent %s%s received %s%s - %llu conns",
		 v->paused ? " PAUSED" : "", when, v->only_pid ? "connection" : cli_by_names[v->by],
		 v->only_pid ? " of " : "", v->only_pid ? v->only_name : "",
		 v->has_filter ? " (filtered)" : "", sent, unit, recv, unit,
		 (unsigned long long)v->model.sockets);
	if (v->color)
		attron(A_BOLD | COLOR_PAIR(1));
	put_cell(0, 0, cols, line, false);
	if (v->color)
		attroff(A_BOLD | COLOR_PAIR(1));
}

/* The columns' x positions at this width: the last takes the rest. */
static void layout(const struct top_model *mo, int cols, int *x, int *w)
{
	int at = 0;

	for (size_t i = 0; i < mo->n_cols; i++) {
		x[i] = at;
		w[i] = mo->cols[i].width;
		if (i + 1 == mo->n_cols || at + w[i] + 1 > cols)
			w[i] = cols - at > 0 ? cols - at : 0;
		at += w[i] + 1;
	}
}

static void draw_table(struct view *v, int rows, int cols)
{
	const struct top_model *mo = &v->model;
	int x[TOP_MAX_COLS], w[TOP_MAX_COLS], body = rows - 3;

	layout(mo, cols, x, w);
	attron(A_REVERSE);
	mvhline(1, 0, ' ', cols);
	for (size_t i = 0; i < mo->n_cols; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s%s", mo->cols[i].name,
			 i == v->sort_col ? (v->reverse ? "^" : "v") : "");
		put_cell(1, x[i], w[i], name, mo->cols[i].number);
	}
	attroff(A_REVERSE);
	if (v->selected >= mo->n_rows)
		v->selected = mo->n_rows ? mo->n_rows - 1 : 0;
	if (v->selected < v->first)
		v->first = v->selected;
	if (body > 0 && v->selected >= v->first + (size_t)body)
		v->first = v->selected - (size_t)body + 1;
	for (int y = 0; y < body && v->first + (size_t)y < mo->n_rows; y++) {
		const struct top_vrow *r = &mo->rows[v->first + (size_t)y];
		bool sel = v->first + (size_t)y == v->selected;

		if (sel)
			attron(v->color ? A_REVERSE | A_BOLD : A_REVERSE);
		if (sel)
			mvhline(2 + y, 0, ' ', cols);
		for (size_t i = 0; i < mo->n_cols; i++) {
			char num[32];

			if (i < TOP_NUM_COLS) {
				if (i == 4)
					snprintf(num, sizeof(num), "%llu", (unsigned long long)r->num[i]);
				else
					top_human(num, sizeof(num), r->num[i], v->bits && i < 2);
				put_cell(2 + y, x[i], w[i], num, true);
			} else {
				put_cell(2 + y, x[i], w[i], r->text[i], false);
			}
		}
		if (sel)
			attroff(v->color ? A_REVERSE | A_BOLD : A_REVERSE);
	}
	if (!mo->n_rows && body > 0)
		put_cell(2, 0, cols, v->ready ? "(no traffic)" : "(counting: the first interval...)", false);
}

static const char *const help_lines[] = {
	"whosock top: bytes per second each group sends and receives (payload).",
	"",
	"  1 process  2 connection  3 remote  4 container  5 user  6 netns  Tab next",
	"  < >        sort by the column on the left/right    r  reverse the order",
	"  Up Down    select a row    Enter  a process's sockets (again: back)",
	"  /          filter with whosock's options: --port 80 --comm nginx",
	"             --pid 42 --user alice --container ID --netns NAME :443",
	"             (empty: no filter; the totals start again)",
	"  p          pause (counting goes on)    b  bits/bytes",
	"  ?          this help    q  quit",
	"",
	"Any key returns.",
};

static void draw(struct view *v)
{
	int rows, cols;

	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < 4 || cols < 20) {
		put_cell(0, 0, cols, "whosock top: the terminal is too small", false);
		refresh();
		return;
	}
	draw_header(v, cols);
	if (v->help) {
		for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]) && (int)i + 2 < rows; i++)
			put_cell((int)i + 2, 0, cols, help_lines[i], false);
	} else {
		draw_table(v, rows, cols);
	}
	if (v->color && !v->status[0])
		attron(A_DIM);
	put_cell(rows - 1, 0, cols, v->status[0] ? v->status :
		 "q quit  ? help  1-6 views  < > sort  / filter  Enter sockets  p pause", false);
	if (v->color && !v->status[0])
		attroff(A_DIM);
	refresh();
}

static void rebuild(struct view *v)
{
	if (top_model_build(&v->model, v->m, v->only_pid ? WHOSOCK_BY_CONNECTION : v->by,
			    v->only_pid) < 0) {
		snprintf(v->status, sizeof(v->status), "out of memory");
		return;
	}
	top_model_sort(&v->model, v->sort_col, v->reverse);
}

static void note_status(const char *prefix, const char *text);
static struct view *note_view;

static void note_status(const char *prefix, const char *text)
{
	if (note_view)
		snprintf(note_view->status, sizeof(note_view->status), "%.16s%.200s", prefix, text);
}

/* '/': read the filter on the bottom line and give it to the meter. */
static void ask_filter(struct view *v)
{
	char text[256] = "", err[512];
	char *argv[64], *save = NULL, copy[256];
	int argc = 0, rows, cols, r;
	struct cli parsed;

	getmaxyx(stdscr, rows, cols);
	(void)cols;
	move(rows - 1, 0);
	clrtoeol();
	addstr("filter: ");
	echo();
	curs_set(1);
	nodelay(stdscr, FALSE); /* typing waits for the keys */
	r = getnstr(text, (int)sizeof(text) - 1);
	nodelay(stdscr, TRUE);
	noecho();
	curs_set(0);
	if (r == ERR)
		return;
	snprintf(copy, sizeof(copy), "%s", text);
	argv[argc++] = (char *)"whosock";
	argv[argc++] = (char *)"top";
	for (char *tok = strtok_r(copy, " \t", &save); tok && argc < 63; tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 2) {
		whosock_meter_set_filter(v->m, NULL);
		if (v->has_filter)
			cli_free(&v->filter_cli);
		v->has_filter = false;
		v->status[0] = '\0';
		return;
	}
	if (cli_parse(argc, argv, &parsed, err, sizeof(err)) < 0) {
		snprintf(v->status, sizeof(v->status), "filter: %.200s", err);
		return;
	}
	r = whosock_meter_set_filter(v->m, &parsed.filter);
	if (r < 0) {
		snprintf(v->status, sizeof(v->status), "filter: %s", strerror(-r));
		cli_free(&parsed);
		return;
	}
	if (v->has_filter)
		cli_free(&v->filter_cli);
	v->filter_cli = parsed;
	v->has_filter = true;
	snprintf(v->filter_text, sizeof(v->filter_text), "%s", text);
	snprintf(v->status, sizeof(v->status), "filter: %.200s (counting again)", text);
	v->ready = false;
	top_model_free(&v->model);
}

/* Enter: the selected process's sockets, or back. */
static void toggle_sockets(struct view *v)
{
	if (v->only_pid) {
		v->only_pid = 0;
	} else if (v->by == WHOSOCK_BY_PROCESS && v->selected < v->model.n_rows &&
		   v->model.rows[v->selected].pid) {
		const struct top_vrow *r = &v->model.rows[v->selected];

		v->only_pid = r->pid;
		snprintf(v->only_name, sizeof(v->only_name), "%s", r->text[5] ? r->text[5] : "?");
	} else {
		snprintf(v->status, sizeof(v->status), "Enter shows a process's sockets (view 1)");
		return;
	}
	v->selected = v->first = 0;
	v->sort_col = 0;
	rebuild(v);
}

static void set_view(struct view *v, int by)
{
	v->by = by;
	v->only_pid = 0;
	v->sort_col = 0;
	v->selected = v->first = 0;
	rebuild(v);
}

/* One key. Returns false to quit. */
static bool key(struct view *v, int ch)
{
	if (v->help && ch != KEY_RESIZE) {
		v->help = false;
		return true;
	}
	if (ch != KEY_RESIZE && ch != ERR)
		v->status[0] = '\0';
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case '1': case '2': case '3': case '4': case '5': case '6':
		set_view(v, ch - '1');
		break;
	case '\t':
		set_view(v, (v->by + 1) % WHOSOCK_BY_COUNT);
		break;
	case '<':
		if (v->sort_col > 0)
			v->sort_col--;
		top_model_sort(&v->model, v->sort_col, v->reverse);
		break;
	case '>':
		if (v->sort_col + 1 < v->model.n_cols)
			v->sort_col++;
		top_model_sort(&v->model, v->sort_col, v->reverse);
		break;
	case 'r':
		v->reverse = !v->reverse;
		top_model_sort(&v->model, v->sort_col, v->reverse);
		break;
	case 'p':
	case ' ':
		v->paused = !v->paused;
		if (!v->paused)
			rebuild(v);
		break;
	case 'b':
		v->bits = !v->bits;
		break;
	case '?':
	case 'h':
		v->help = true;
		break;
	case '/':
		ask_filter(v);
		break;
	case KEY_UP:
		if (v->selected)
			v->selected--;
		break;
	case KEY_DOWN:
		if (v->selected + 1 < v->model.n_rows)
			v->selected++;
		break;
	case KEY_ENTER:
	case '\n':
	case '\r':
		toggle_sockets(v);
		break;
	default:
		break;
	}
	return true;
}

/* --color's choice for the view: none with NO_COLOR, on a dumb terminal, or one without colours. */
static bool want_color(const struct cli *cli)
{
	const char *no_color = getenv("NO_COLOR");

	if (cli->color_mode == COLOR_NEVER)
		return false;
	if (cli->color_mode == COLOR_AUTO && no_color && *no_color)
		return false;
	return has_colors();
}

static void handle_signals(void)
{
	struct sigaction stop = { .sa_handler = on_stop }, crash = { .sa_handler = on_crash };
	static const int crashes[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

	sigemptyset(&stop.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &stop, NULL);
	sigemptyset(&crash.sa_mask);
	crash.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++)
		sigaction(crashes[i], &crash, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run(struct view *v)
{
	/* Redrawn at each interval's end (the interval is --delay), at each
	 * key, and at least every second (the clock). */
	uint64_t next_draw = 0, delay = 1000;

	while (!stop_signal) {
		struct pollfd p[2] = { { .fd = whosock_meter_get_fd(v->m), .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = POLLIN } };
		uint64_t wait, now = now_ms();
		int ch, r;

		if (now >= next_draw) {
			draw(v);
			next_draw = now + delay;
		}
		whosock_meter_get_timeout(v->m, &wait);
		if (wait > next_draw - now)
			wait = next_draw - now;
		if (wait > INT_MAX)
			wait = INT_MAX;
		if (poll(p, 2, (int)wait) < 0 && errno != EINTR)
			return -errno;
		r = whosock_meter_process(v->m);
		if (r < 0)
			return r;
		if (r > 0) {
			v->ready = true;
			top_notes(v->m, &v->said, note_status);
			if (!v->paused) {
				rebuild(v);
				next_draw = 0;
			}
		}
		/* Keys (and KEY_RESIZE after SIGWINCH) without waiting. */
		while ((ch = getch()) != ERR) {
			if (!key(v, ch))
				return 0;
			draw(v);
		}
	}
	return 0;
}

int top_view_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	struct whosock_meter_options opt = top_meter_options(cli);
	struct view v = { .cli = cli, .by = cli->top_by, .bits = cli->bits };

	if (cli->delay_ms)
		opt.interval_ms = cli->delay_ms;
	const char *term = getenv("TERM");
	SCREEN *scr;
	int r;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		message("", "the live view needs a terminal: for scripts, use -o ndjson, json or csv");
		return EXIT_TROUBLE;
	}
	if (!term || !*term || strcmp(term, "dumb") == 0) {
		message("", "the live view needs a terminal that can move the cursor (TERM is dumb "
			"or unset): use -o ndjson, json or csv");
		return EXIT_TROUBLE;
	}
	setlocale(LC_ALL, "");
	r = whosock_meter_new(&opt, &v.m);
	if (r < 0) {
		message("cannot count traffic: ", strerror(-r));
		return EXIT_TROUBLE;
	}
	handle_signals();
	atexit(restore_terminal);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		whosock_meter_free(v.m);
		message("", "cannot start the live view on this terminal (TERM): use -o ndjson");
		return EXIT_TROUBLE;
	}
	screen_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	v.color = want_color(cli);
	if (v.color) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
	}
	note_view = &v;
	r = run(&v);
	note_view = NULL;
	restore_terminal();
	delscreen(scr);
	top_model_free(&v.model);
	if (v.has_filter)
		cli_free(&v.filter_cli);
	whosock_meter_free(v.m);
	if (r < 0) {
		message("traffic counting failed: ", strerror(-r));
		return EXIT_TROUBLE;
	}
	return EXIT_SUCCESS;
}
#endif
