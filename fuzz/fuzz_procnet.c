/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/procnet.c: the /proc/net/{tcp,udp,raw,unix,...} parsers.
 *
 * Input: byte 0 picks the table (proto and family: tables[byte % 9]) and,
 * with bit 7, a socket filter; the rest is the text. The text goes to
 * procnet_parse_endpoint() (both families, exactly sized),
 * procnet_parse_inet_line() and procnet_parse_unix_line() (as a C string),
 * and procnet_collect() (as the whole file, written to a temporary
 * directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kinds.h"
#include "fuzz.h"
#include "procnet.h"
#include "snapshot.h"
#include "whosock/whosock.h"

static const struct {
	enum whosock_proto proto;
	int family;
	const char *file;
} tables[] = {
	{ WHOSOCK_PROTO_TCP, AF_INET, "tcp" },	       { WHOSOCK_PROTO_TCP, AF_INET6, "tcp6" },
	{ WHOSOCK_PROTO_UDP, AF_INET, "udp" },	       { WHOSOCK_PROTO_UDP, AF_INET6, "udp6" },
	{ WHOSOCK_PROTO_UDPLITE, AF_INET, "udplite" }, { WHOSOCK_PROTO_UDPLITE, AF_INET6, "udplite6" },
	{ WHOSOCK_PROTO_RAW, AF_INET, "raw" },	       { WHOSOCK_PROTO_RAW, AF_INET6, "raw6" },
	{ WHOSOCK_PROTO_UNIX, AF_UNIX, "unix" },
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* One directory per process, made on first use and removed at exit. */
static char tmpdir[] = "/tmp/whosock-fuzz-procnet-XXXXXX";
static bool have_tmpdir;

static void remove_tmpdir(void)
{
	char path[sizeof(tmpdir) + 16];

	for (size_t i = 0; i < N_TABLES; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tables[i].file);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void write_table(const char *file, const char *data, size_t len)
{
	char path[sizeof(tmpdir) + 16];
	int fd;

	if (!have_tmpdir) {
		FUZZ_CHECK(mkdtemp(tmpdir) != NULL);
		have_tmpdir = true;
		atexit(remove_tmpdir);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(n > 0);
		data += n;
		len -= (size_t)n;
	}
	close(fd);
}

static void check_endpoint(const char *text, size_t len, int family)
{
	struct whosock_endpoint ep, before;

	memset(&ep, 0xa5, sizeof(ep));
	before = ep;
	if (procnet_parse_endpoint(text, len, family, &ep) == 0) {
		FUZZ_CHECK(len == (family == AF_INET ? 13u : 37u));
		FUZZ_CHECK(ep.path == before.path); /* only addr and port are filled */
	} else {
		FUZZ_CHECK(memcmp(&ep, &before, sizeof(ep)) == 0);
	}
}

static void check_inet_line(const char *line, enum whosock_proto proto, int family)
{
	struct whosock_socket s, before;

	memset(&s, 0xa5, sizeof(s));
	before = s;
	if (procnet_parse_inet_line(line, proto, family, &s) == 0) {
		FUZZ_CHECK(s.proto == proto && s.family == family);
		FUZZ_CHECK(s.state >= 1 && s.state < STATE_COUNT);
		FUZZ_CHECK(s.local.path == NULL && s.remote.path == NULL);
		FUZZ_CHECK(s.owners == NULL && s.n_owners == 0 && s.netns_name == NULL);
	} else {
		FUZZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
	}
}

static void check_unix_line(const char *line)
{
	struct whosock_socket s, before;
	const char *path = (const char *)&s, *path0 = path;
	size_t path_len = 12345, line_len = strcspn(line, "\n");

	memset(&s, 0xa5, sizeof(s));
	before = s;
	if (procnet_parse_unix_line(line, &s, &path, &path_len) == 0) {
		FUZZ_CHECK(s.proto == WHOSOCK_PROTO_UNIX && s.family == AF_UNIX);
		FUZZ_CHECK(s.type == SOCK_STREAM || s.type == SOCK_DGRAM || s.type == SOCK_SEQPACKET);
		FUZZ_CHECK(s.state >= 1 && s.state < STATE_COUNT);
		if (path) {
			/* The path is the rest of the line: inside it, no newline. */
			FUZZ_CHECK(path_len > 0 && fuzz_within(line, line_len, path, path_len));
			FUZZ_CHECK(path + path_len == line + line_len);
		} else {
			FUZZ_CHECK(path_len == 0);
		}
	} else {
		FUZZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0);
		FUZZ_CHECK(path == path0 && path_len == 12345);
	}
}

static void check_collect(unsigned sel, const char *data, size_t len)
{
	const unsigned t = sel % N_TABLES;
	static const uint16_t port22 = 22;
	struct whosock_filter filter = { .size = sizeof(struct whosock_filter) }, *f = NULL;
	struct whosock_snapshot *snap = snapshot_new();
	size_t lines = 0;
	int r;

	FUZZ_CHECK(snap != NULL);
	if (sel & 0x80) {
		/* Listening sockets on port 22 or the unix table's UNCONN ones. */
		filter.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN) |
				WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
		filter.ports = &port22;
		filter.n_ports = (sel & 0x40) ? 1 : 0;
		f = &filter;
	}
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	write_table(tables[t].file, data, len);
	r = procnet_collect(snap, tmpdir, tables[t].proto, tables[t].family, f);
	FUZZ_CHECK(r >= 0);
	/* The header line holds no socket. */
	FUZZ_CHECK((size_t)r <= lines);
	FUZZ_CHECK((size_t)r == whosock_snapshot_count(snap));
	for (size_t i = 0; i < (size_t)r; i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		FUZZ_CHECK(s->proto == tables[t].proto && s->source == WHOSOCK_SOURCE_PROC);
		FUZZ_CHECK(s->state >= 1 && s->state < STATE_COUNT);
		FUZZ_CHECK(!f || whosock_filter_match(f, s));
		if (s->local.path) {
			size_t n = strlen(s->local.path);

			FUZZ_CHECK(tables[t].proto == WHOSOCK_PROTO_UNIX);
			FUZZ_CHECK(n > 0 && n < len);
		}
	}
	whosock_snapshot_free(snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	char *text, *exact;
	size_t len;

	if (size < 1)
		return 0;
	sel = data[0];
	len = size - 1;
	text = fuzz_strdup(data + 1, len);
	exact = fuzz_dup(data + 1, len);

	/* The endpoint parser takes a length: it must not read past it. */
	check_endpoint(exact, len, AF_INET);
	check_endpoint(exact, len, AF_INET6);
	/* The line parsers take a C string: they must stop at its NUL. */
	check_inet_line(text, tables[sel % N_TABLES].proto == WHOSOCK_PROTO_UNIX
				      ? WHOSOCK_PROTO_TCP
				      : tables[sel % N_TABLES].proto,
			tables[sel % N_TABLES].family == AF_UNIX ? AF_INET6
								  : tables[sel % N_TABLES].family);
	check_unix_line(text);
	/* The same text as a whole file, NUL bytes and all. */
	check_collect(sel, (const char *)data + 1, len);
	free(exact);
	free(text);
	return 0;
}
