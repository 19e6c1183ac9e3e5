/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line: parsed into one struct, no globals (src/cli.c; its
 * modules share src/cli_int.h). */
#ifndef WHOSOCK_CLI_H
#define WHOSOCK_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "whosock/whosock.h"

enum output_format { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_NDJSON, OUTPUT_CSV, OUTPUT_DOT };

enum cli_action { CLI_LIST, CLI_WATCH, CLI_DEPS, CLI_TOP, CLI_SERVE, CLI_CAPTURE, CLI_HELP,
		  CLI_VERSION };

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* --sort keys, applied in the order given. */
enum sort_key { SORT_NETNS, SORT_PROTO, SORT_STATE, SORT_PORT, SORT_RPORT, SORT_PID,
		SORT_QUEUES, SORT_INODE };
#define CLI_MAX_SORT 8

struct cli {
	enum cli_action action;
	struct whosock_options opt; /* opt.filter is NULL: cli_options() points it at filter */
	struct whosock_filter filter;
	enum output_format format;
	int header;   /* print the table/CSV header line */
	int extended; /* -e: UID, INODE, COOKIE, RECV-Q and SEND-Q columns, owners' user names */
	int info;     /* -i: TCP details as columns */
	int memory;   /* -m: socket memory columns */
	int resolve;  /* -r: addresses and ports as names */
	int summary;  /* -s: counts instead of the list */
	int timing;   /* --timing: how long each phase took, on stderr */
	int pids_only; /* --pids: the owners' pids, one per line */
	enum color_mode color_mode; /* --color */
	int color;    /* colour the table: decided by main from color_mode */
	enum sort_key sort[CLI_MAX_SORT]; /* --sort */
	size_t n_sort;
	int query;    /* a [ADDR]:PORT[/PROTO] argument was given: exit 1 when nothing matches */
	int kill;     /* -K: destroy the sockets selected */
	int dry_run;  /* --dry-run: with -K, only list what it would destroy */
	/* The filter expression (opt.filter.expr points to it) and its text,
	 * the trailing arguments joined by spaces; owned by this struct. */
	struct whosock_expr *expr;
	char *expr_text;
	/* whosock watch */
	int connections;      /* also TCP connections and connected UDP */
	unsigned interval_ms; /* between dumps */
	long count;           /* stop after this many events; 0: never */
	long timeout_ms;      /* stop after this long; 0: never */
	/* whosock top (interval_ms, count and timeout_ms too: count intervals) */
	int top_by;           /* --by: enum whosock_meter_by (the first given) */
	unsigned top_by_set;  /* every --by given (-o: rows of each), 1u << by; 0: top_by's */
	int bits;             /* --bits: rates in bits (-b/--bytes: in bytes, the default) */
	unsigned delay_ms;    /* -d/--delay: the live view's refresh (interval_ms when 0) */
	/* whosock deps (interval_ms: how often to print, 0: once at the end) */
	long duration_ms;     /* observe this long, then print; 0: until a signal */
	int deps_by;          /* enum whosock_deps_by */
	struct whosock_local *services; /* --service: the server side */
	size_t n_services;
	int exclude_loopback;
	/* whosock serve (the strings are copies kept in strings) */
	const char *listen;     /* --listen ADDR:PORT or "none"; NULL: SERVE_DEFAULT_LISTEN */
	const char *web_config; /* --web.config.file */
	const char *textfile;   /* --textfile FILE */
	int expose_cmdline;     /* --expose-cmdline: command lines in the API */
	unsigned max_series;    /* --max-series: per metric */
	unsigned max_connections;   /* --max-connections */
	unsigned request_timeout_s; /* --request-timeout: idle connections closed after */
	/* whosock capture (its own options: src/capture_cli.c); the
	 * namespaces of --netns are in filter.netns, the owner filters
	 * (--pid, --user, --comm, --container) in filter too. Owned. */
	struct {
		char **ifaces;     /* -i: interfaces ("any" when none) */
		size_t n_ifaces;
		bool all_netns;    /* --netns all */
		long count;        /* -c: stop after this many packets; 0: never */
		char *write;       /* -w FILE: pcapng */
		int snaplen;       /* -s: bytes kept of each packet */
		char *expr;        /* the pcap filter expression, or NULL */
	} capture;
	/* The arrays opt.filter's lists point to, owned by this struct
	 * (cli_free()); a copy of the struct shares them. */
	struct whosock_local *locals;
	uint16_t *ports;
	uint64_t *netns;
	int *pids;
	uint32_t *uids;
	const char **comms, **cmdlines, **containers;
	char **strings; /* the copies comms, cmdlines and containers point to */
	size_t n_strings;
};

/* Exit statuses, as grep: 1 = nothing matched (queries), 2 = error. */
enum { EXIT_NOMATCH = 1, EXIT_TROUBLE = 2 };

/* Parse argv into *cli (free it with cli_free()). On a bad flag or value,
 * writes a one-line message (without newline, what the user typed escaped
 * for the terminal) into err and returns -EINVAL; for a filter expression
 * that does not parse, three lines: the reason, the expression, carets
 * under the bad token. Out of memory, the same with -ENOMEM. *cli is
 * untouched on failure. */
int cli_parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen);

/* The snapshot options of cli, pointing at its filter: valid while cli is. */
struct whosock_options cli_options(const struct cli *cli);

/* Free what cli_parse() allocated. Accepts NULL. */
void cli_free(struct cli *cli);

/* whosock top's view names (--by), indexed by enum whosock_meter_by; NULL-terminated. */
extern const char *const cli_by_names[];

/* whosock capture's command line (argv[0] is "capture"): into cli, as
 * cli_parse() (src/capture_cli.c). */
int cli_capture_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen);

/* For the parsers of subcommands with options of their own too: a message
 * as cli_parse() writes them (what the user typed escaped), returning
 * -EINVAL (-ENOMEM when out of memory; src/cli_values.c); and one --pid,
 * --user, --comm, --container or --netns value (comma-separated lists)
 * into cli's filter (src/cli_lists.c). */
int cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cli_owner_option(struct cli *cli, const char *option, const char *arg, char *err,
		     size_t errlen);

/* The --help text. */
void cli_help(FILE *f);

#endif
