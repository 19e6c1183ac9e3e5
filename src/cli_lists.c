/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line's lists: options whose values add up (--state, --port,
 * --pid, --user, --comm, --cmdline, --container, --netns, the [ADDR]:PORT
 * queries, --service), each value checked and appended to an array struct
 * cli owns, and the copies of strings it keeps (see cli_int.h). */
#include <errno.h>
#include <pwd.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

/* Append the size bytes at val to the array *arr_ptr (any object pointer)
 * of *n elements. */
static int append(void *arr_ptr, size_t *n, size_t size, const void *val)
{
	void *arr;

	memcpy(&arr, arr_ptr, sizeof(arr));
	arr = realloc(arr, (*n + 1) * size);
	if (!arr)
		return -ENOMEM;
	memcpy((char *)arr + *n * size, val, size);
	memcpy(arr_ptr, &arr, sizeof(arr));
	(*n)++;
	return 0;
}

char *cli_keep_string(struct cli *cli, const char *s, size_t len)
{
	char *copy = strndup(s, len);

	if (!copy || append(&cli->strings, &cli->n_strings, sizeof(copy), &copy) < 0) {
		free(copy);
		return NULL;
	}
	return copy;
}

/* A copy of s[0..len) kept by cli, appended to the string list *arr. */
static int append_string(struct cli *cli, const char ***arr, size_t *n, const char *s, size_t len)
{
	char *copy = cli_keep_string(cli, s, len);

	if (!copy || append(arr, n, sizeof(copy), &copy) < 0)
		return -ENOMEM;
	return 0;
}

/* Call item(value, len) for each comma-separated value of arg; an empty one
 * (",", "a,,b", "") is an error naming the option. */
typedef int item_fn(struct cli *cli, const char *v, size_t len, char *err, size_t errlen);

static int each_item(struct cli *cli, const char *opt, const char *arg, item_fn *item, char *err,
		     size_t errlen)
{
	const char *p = arg;

	for (;;) {
		size_t len = strcspn(p, ",");
		int r;

		if (len == 0)
			return *arg ? cli_fail(err, errlen, "empty value in %s '%.60s'", opt, arg)
				    : cli_fail(err, errlen, "%s needs a value", opt);
		r = item(cli, p, len, err, errlen);
		if (r < 0)
			return r;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int state_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	char name[32];
	int st = -EINVAL;

	/* No state name is this long: it is unknown without looking. */
	if (len < sizeof(name)) {
		memcpy(name, v, len);
		name[len] = '\0';
		st = whosock_state_parse(name);
	}
	if (st < 0)
		return cli_fail(err, errlen, "unknown state '%.*s' (try --help)",
				(int)(len < 40 ? len : 40), v);
	cli->filter.states |= WHOSOCK_STATE_BIT(st);
	return 0;
}

static int port_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	int port;
	uint16_t p;

	if (cli_parse_port(v, len, NULL, &port, err, errlen) < 0)
		return -EINVAL;
	p = (uint16_t)port;
	return append(&cli->ports, &cli->filter.n_ports, sizeof(p), &p) < 0 ? cli_nomem(err, errlen)
										  : 0;
}

/* A pid must name a live process or thread: a thread stands for its process
 * (the thread group), as the library has it. */
static int pid_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	unsigned long long x;
	int pid, r;

	if (cli_parse_decimal(v, len, 4194304, &x) < 0 || x == 0)
		return cli_fail(err, errlen, "invalid pid '%.*s': expected a process or thread id",
				(int)(len < 40 ? len : 40), v);
	r = whosock_pid_resolve(NULL, (int)x, &pid);
	if (r == -ESRCH)
		return cli_fail(err, errlen, "no process or thread %llu (--pid)", x);
	if (r < 0)
		return cli_fail(err, errlen, "cannot look up process %llu: %s", x, strerror(-r));
	return append(&cli->pids, &cli->filter.n_pids, sizeof(pid), &pid) < 0
		       ? cli_nomem(err, errlen)
		       : 0;
}

static int user_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096], name[256];
	unsigned long long x;
	uint32_t uid;

	if (len < sizeof(name)) {
		memcpy(name, v, len);
		name[len] = '\0';
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0)
			res = NULL;
	}
	if (res)
		uid = res->pw_uid;
	else if (cli_parse_decimal(v, len, UINT32_MAX - 1, &x) == 0)
		uid = (uint32_t)x;
	else
		return cli_fail(err, errlen, "unknown user '%.*s'", (int)(len < 40 ? len : 40), v);
	return append(&cli->uids, &cli->filter.n_uids, sizeof(uid), &uid) < 0
		       ? cli_nomem(err, errlen)
		       : 0;
}

static int comm_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	if (append_string(cli, &cli->comms, &cli->filter.n_comms, v, len) < 0)
		return cli_nomem(err, errlen);
	return 0;
}

static int container_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	if (append_string(cli, &cli->containers, &cli->filter.n_containers, v, len) < 0)
		return cli_nomem(err, errlen);
	return 0;
}

static int netns_item(struct cli *cli, const char *v, size_t len, char *err, size_t errlen)
{
	unsigned long long x;
	char spec[256];
	uint64_t inode;
	int r;

	if (len >= sizeof(spec))
		return cli_fail(err, errlen, "unknown network namespace '%.40s...'", v);
	memcpy(spec, v, len);
	spec[len] = '\0';
	/* pid:PID takes a plain number, as every other numeric value. */
	if (strncmp(spec, "pid:", 4) == 0 &&
	    (cli_parse_decimal(spec + 4, len - 4, 4194304, &x) < 0 || x == 0))
		return cli_fail(err, errlen, "invalid pid in network namespace '%.40s'", spec);
	r = whosock_netns_resolve(spec, &inode);
	if (r < 0)
		return cli_fail(err, errlen, "unknown network namespace '%.40s': %s", spec,
				strerror(-r));
	return append(&cli->netns, &cli->filter.n_netns, sizeof(inode), &inode) < 0
		       ? cli_nomem(err, errlen)
		       : 0;
}

int cli_state_option(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	return each_item(cli, "--state", arg, state_item, err, errlen);
}

int cli_port_option(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	return each_item(cli, "--port", arg, port_item, err, errlen);
}

int cli_owner_option(struct cli *cli, const char *option, const char *arg, char *err,
		     size_t errlen)
{
	static const struct {
		const char *name;
		item_fn *item;
	} options[] = { { "--pid", pid_item },   { "--user", user_item },
			{ "--comm", comm_item }, { "--container", container_item },
			{ "--netns", netns_item } };

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(option, options[i].name) == 0)
			return each_item(cli, option, arg, options[i].item, err, errlen);
	return cli_fail(err, errlen, "unknown option '%.40s'", option);
}

/* A command line pattern: contained, or matching as an extended regex; an
 * invalid regex is refused with the compiler's reason. */
int cli_cmdline_option(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	char why[128];
	regex_t re;
	int e;

	if (!*arg)
		return cli_fail(err, errlen, "--cmdline needs a pattern");
	e = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
	if (e == REG_ESPACE)
		return cli_nomem(err, errlen);
	if (e != 0) {
		regerror(e, &re, why, sizeof(why));
		return cli_fail(err, errlen, "invalid --cmdline regex '%.60s': %s", arg, why);
	}
	regfree(&re);
	if (append_string(cli, &cli->cmdlines, &cli->filter.n_cmdlines, arg, strlen(arg)) < 0)
		return cli_nomem(err, errlen);
	return 0;
}

int cli_query_arg(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	struct whosock_local q;
	unsigned protos;
	int r = cli_parse_local(arg, &q, &protos, err, errlen);

	if (r < 0)
		return r;
	cli->filter.protos |= protos;
	if (append(&cli->locals, &cli->filter.n_locals, sizeof(q), &q) < 0)
		return cli_nomem(err, errlen);
	return 0;
}

/* The server side of deps (TCP and UDP alike): a port is needed. */
int cli_service_option(struct cli *cli, const char *arg, char *err, size_t errlen)
{
	struct whosock_local q;
	unsigned protos;
	int r = cli_parse_local(arg, &q, &protos, err, errlen);

	if (r == 0 && !q.port)
		r = cli_fail(err, errlen, "--service '%.40s': a port is needed", arg);
	if (r < 0)
		return r;
	if (append(&cli->services, &cli->n_services, sizeof(q), &q) < 0)
		return cli_nomem(err, errlen);
	return 0;
}
