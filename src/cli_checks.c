/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line as a whole, once every option is read: which options
 * each subcommand takes (the listing, watch, top, deps, serve), which
 * cannot go together, and the defaults that follow (serve's limits, what
 * the snapshot collects, the kinds when none were given). See cli_int.h. */
#include <getopt.h>
#include <string.h>
#include <sys/socket.h>

#include "cli_int.h"

/* TCP and UDP (UDP-Lite with it): what top and deps follow. */
#define TCP_UDP_PROTOS                                                                           \
	(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP) |          \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDPLITE))

/* Sockets that have ports: a port filter or query with none of them asked
 * for matches nothing. */
#define PORT_PROTOS                                                                              \
	(WHOSOCK_PROTOS_INET | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_MPTCP) |                         \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_SCTP))

/* The subcommand's name, for the messages of those that are not the listing. */
static const char *action_name(const struct cli *cli)
{
	return cli->action == CLI_TOP ? "top" : cli->action == CLI_WATCH ? "watch" : "deps";
}

int cli_check_own_options(struct cli *cli, struct cli_given *g, char *err, size_t errlen)
{
	if (cli->action == CLI_SERVE && g->watch_only && strcmp(g->watch_only, "--interval") == 0)
		g->watch_only = NULL; /* serve's snapshots and textfile */
	if (g->watch_only && cli->action == CLI_TOP && strcmp(g->watch_only, "--connections") == 0)
		return cli_fail(err, errlen, "whosock top always counts connections (no --connections)");
	if (g->watch_only && cli->action != CLI_WATCH && cli->action != CLI_TOP)
		return cli_fail(err, errlen, "%s is an option of 'whosock watch'", g->watch_only);
	if (g->top_only && cli->action != CLI_TOP)
		return cli_fail(err, errlen, "%s is an option of 'whosock top'", g->top_only);
	if (g->deps_only && strcmp(g->deps_only, "--by") == 0 && cli->action != CLI_DEPS)
		return cli_fail(err, errlen, "--by is an option of 'whosock top' and 'whosock deps'");
	if (g->deps_only && cli->action != CLI_DEPS)
		return cli_fail(err, errlen, "%s is an option of 'whosock deps'", g->deps_only);
	if (g->serve_only && cli->action != CLI_SERVE)
		return cli_fail(err, errlen, "%s is an option of 'whosock serve'", g->serve_only);
	return 0;
}

/* whosock serve takes its filters per request (query parameters): on the
 * command line only --host-only and its own options. */
int cli_check_serve(struct cli *cli, const struct cli_given *g, int argc, char **argv,
		    char *err, size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (optind < argc)
		return cli_fail(err, errlen, "whosock serve takes no arguments (filters are query "
				"parameters of /api/v1/sockets): '%.40s'", argv[optind]);
	if (f->protos || f->states || f->n_ports || f->n_pids || f->n_uids || f->n_comms ||
	    f->n_cmdlines || f->n_containers || f->n_netns || g->families || g->no_owners ||
	    g->format || cli->kill || cli->summary || cli->pids_only || cli->n_sort ||
	    cli->info || cli->memory || cli->resolve || cli->extended || cli->connections ||
	    cli->count || cli->timeout_ms || cli->opt.source != WHOSOCK_SOURCE_AUTO)
		return cli_fail(err, errlen, "whosock serve takes only --listen, --web.config.file, "
				"--textfile, --interval, --expose-cmdline, --max-series, "
				"--max-connections, --request-timeout, --host-only and --no-bpf "
				"(filters are query parameters of /api/v1/sockets)");
	if (!cli->interval_ms)
		cli->interval_ms = 15000;
	if (!cli->max_series)
		cli->max_series = 2000;
	if (!cli->max_connections)
		cli->max_connections = 64;
	if (!cli->request_timeout_s)
		cli->request_timeout_s = 10;
	cli->opt.want = WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS;
	return 0;
}

/* The listing's own options: what they cannot be combined with. */
static int check_listing(const struct cli *cli, const struct cli_given *g, char *err,
			 size_t errlen)
{
	const char *listing_only = cli->summary ? "--summary" : cli->pids_only ? "--pids" :
				   cli->n_sort ? "--sort" : cli->resolve ? "--resolve" :
				   cli->info ? "--info" : cli->memory ? "--memory" : NULL;

	if (cli->action != CLI_LIST && listing_only)
		return cli_fail(err, errlen, "%s is not an option of 'whosock %s'", listing_only,
				action_name(cli));
	if (cli->summary && cli->pids_only)
		return cli_fail(err, errlen, "--summary and --pids cannot be used together");
	if (cli->pids_only && g->format)
		return cli_fail(err, errlen, "--pids prints pids only (no --output)");
	if (cli->pids_only && g->no_owners)
		return cli_fail(err, errlen, "--pids needs owners (no --no-owners)");
	if (cli->summary && (cli->format == OUTPUT_NDJSON || cli->format == OUTPUT_CSV))
		return cli_fail(err, errlen, "--summary prints a table or json");
	if (cli->summary && cli->n_sort)
		return cli_fail(err, errlen, "--summary has an order of its own (no --sort)");
	return 0;
}

/* What whosock top cannot do. */
static int check_top(const struct cli *cli, const struct cli_given *g, char *err, size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (g->no_owners)
		return cli_fail(err, errlen, "whosock top always looks for owners");
	if (f->states)
		return cli_fail(err, errlen, "whosock top chooses the states itself (every "
				"connection and bound socket)");
	if (f->protos & ~TCP_UDP_PROTOS)
		return cli_fail(err, errlen, "whosock top counts TCP (-t) and UDP (-u) sockets only");
	if (g->source || g->owners_from)
		return cli_fail(err, errlen, "whosock top always reads netlink (no --source or "
				"--owners-from)");
	if (cli->delay_ms && cli->format != OUTPUT_TABLE)
		return cli_fail(err, errlen, "--delay is the live view's: with --output, use "
				"--interval");
	if (cli->header == 0 && cli->format != OUTPUT_CSV)
		return cli_fail(err, errlen, "--no-header goes with -o csv in whosock top");
	return 0;
}

/* What whosock deps cannot do. */
static int check_deps(const struct cli *cli, const struct cli_given *g, char *err,
		      size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (g->no_owners)
		return cli_fail(err, errlen, "whosock deps always looks for owners");
	if (f->states)
		return cli_fail(err, errlen, "whosock deps follows connections (no states)");
	if (f->protos & ~TCP_UDP_PROTOS)
		return cli_fail(err, errlen, "whosock deps follows TCP and UDP connections (-t, -u)");
	if (cli->opt.source != WHOSOCK_SOURCE_AUTO || g->owners_from)
		return cli_fail(err, errlen, "whosock deps always reads netlink (no --source, "
				"--owners-from)");
	return 0;
}

/* What whosock watch cannot do. */
static int check_watch(const struct cli *cli, const struct cli_given *g, char *err,
		       size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (cli->format == OUTPUT_JSON || cli->format == OUTPUT_CSV)
		return cli_fail(err, errlen, "whosock watch prints table or ndjson");
	if (g->no_owners)
		return cli_fail(err, errlen, "whosock watch always looks for owners");
	if (f->states)
		return cli_fail(err, errlen, "whosock watch chooses the states itself "
				"(listening; with --connections also connected)");
	if (f->protos & (WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_RAW) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UNIX)))
		return cli_fail(err, errlen, "whosock watch follows TCP and UDP sockets, not RAW "
				"(-w) or UNIX (-x)");
	if (cli->opt.source != WHOSOCK_SOURCE_AUTO)
		return cli_fail(err, errlen, "whosock watch always reads netlink (no --source)");
	if (g->owners_from)
		return cli_fail(err, errlen, "--owners-from is not an option of 'whosock watch'");
	return 0;
}

int cli_check_options(const struct cli *cli, const struct cli_given *g, char *err,
		      size_t errlen)
{
	int r = check_listing(cli, g, err, errlen);

	if (r == 0 && cli->action == CLI_TOP)
		r = check_top(cli, g, err, errlen);
	if (r == 0 && cli->action == CLI_DEPS)
		r = check_deps(cli, g, err, errlen);
	if (r == 0 && cli->action == CLI_WATCH)
		r = check_watch(cli, g, err, errlen);
	if (r < 0)
		return r;
	if ((cli->opt.flags & WHOSOCK_FLAG_NO_BPF) && cli->opt.owner_source == WHOSOCK_OWNERS_BPF)
		return cli_fail(err, errlen, "--no-bpf and --owners-from bpf contradict each other");
	return 0;
}

/* Whether the command line narrows the sockets beyond their kinds and
 * families (what -K needs). */
static bool selects(const struct cli *cli)
{
	const struct whosock_filter *f = &cli->filter;

	return cli->expr || f->states || f->n_ports || f->n_locals || f->n_netns || f->n_pids ||
	       f->n_uids || f->n_comms || f->n_cmdlines || f->n_containers;
}

int cli_check_selection(const struct cli *cli, const struct cli_given *g, char *err,
			size_t errlen)
{
	const struct whosock_filter *f = &cli->filter;

	if (cli->dry_run && !cli->kill)
		return cli_fail(err, errlen, "--dry-run goes with -K/--kill");
	if (cli->kill && cli->action != CLI_LIST)
		return cli_fail(err, errlen, "whosock %s does not destroy sockets (no -K)",
				action_name(cli));
	if (cli->action == CLI_DEPS && (cli->query || cli->expr))
		return cli_fail(err, errlen, "whosock deps takes no [ADDR]:PORT or expression (the "
				"server side: --service ADDR:PORT)");
	if (cli->kill && !selects(cli))
		return cli_fail(err, errlen, "-K/--kill needs a filter (an expression, [ADDR]:PORT, "
				"--port, --state, -l, --pid, --user, --comm, --cmdline, --container or "
				"--netns): it would destroy every socket");
	if (cli->opt.host_only && f->n_netns)
		return cli_fail(err, errlen, "--host-only cannot be used with --netns");
	if (g->no_owners &&
	    (f->n_pids || f->n_uids || f->n_comms || f->n_cmdlines || f->n_containers))
		return cli_fail(err, errlen, "--no-owners cannot be used with --pid, --user, --comm, "
				"--cmdline or --container");
	if (f->protos && !(f->protos & PORT_PROTOS) && (f->n_ports || f->n_locals))
		return cli_fail(err, errlen, "%s selects sockets with ports, and only UNIX sockets "
				"(-x) are asked for", f->n_ports ? "--port" : "a [ADDR]:PORT query");
	return 0;
}

void cli_defaults(struct cli *cli, const struct cli_given *g)
{
	struct whosock_filter *f = &cli->filter;

	if (g->no_owners)
		cli->opt.want = 0;
	if (cli->extended || cli->format == OUTPUT_JSON || cli->format == OUTPUT_NDJSON ||
	    cli->format == OUTPUT_CSV)
		cli->opt.want |= g->no_owners ? 0 : WHOSOCK_WANT_PROCESS;
	if (cli->format == OUTPUT_JSON || cli->format == OUTPUT_NDJSON)
		cli->opt.want |= WHOSOCK_WANT_TCP_INFO | WHOSOCK_WANT_MEMINFO;
	/* (The table's and CSV's columns; JSON has them always.) */
	if (cli->info)
		cli->opt.want |= WHOSOCK_WANT_TCP_INFO;
	if (cli->memory)
		cli->opt.want |= WHOSOCK_WANT_MEMINFO;
	/* The summary counts containers: the owners' cgroups. */
	if (cli->summary && !g->no_owners)
		cli->opt.want |= WHOSOCK_WANT_PROCESS;
	/* --pid shows every socket the process holds, of every kind. */
	if (!f->protos)
		f->protos = f->n_pids ? WHOSOCK_PROTOS_ALL : WHOSOCK_PROTOS_INET;
	/* -4/-6 narrow the inet families; sockets of other families asked
	 * for (-x, -0, ...) stay. */
	if (g->families)
		f->families = g->families | 1u << AF_UNIX | 1u << AF_PACKET | 1u << AF_NETLINK;
}
