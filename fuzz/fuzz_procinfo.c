/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/procinfo.c: the /proc/PID/{stat,status,cmdline,cgroup} parsers.
 *
 * The whole input is each file in turn. The parsers take (buf, len), so they
 * get a heap copy of exactly len bytes, except procinfo_parse_status_uid()
 * (see check_status()).
 */
#include <errno.h>

#include "container.h"
#include "fuzz.h"
#include "procinfo.h"

static void check_stat(const char *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	const char *comm = (const char *)&size, *comm0 = comm;
	size_t comm_len = 777;
	int pid = -7;

	if (procinfo_parse_stat(buf, size, &pid, &comm, &comm_len) == 0) {
		FUZZ_CHECK(pid > 0);
		FUZZ_CHECK(fuzz_within(buf, size, comm, comm_len));
		/* "PID (COMM) S": the name sits between the first '(' and the
		 * last ')', which a blank follows. */
		FUZZ_CHECK(comm > buf && comm[-1] == '(');
		FUZZ_CHECK(comm + comm_len < buf + size && comm[comm_len] == ')');
		FUZZ_CHECK(comm + comm_len + 1 < buf + size && comm[comm_len + 1] == ' ');
		FUZZ_CHECK(memchr(comm + comm_len + 1, ')', (size_t)(buf + size - comm - comm_len - 1)) ==
			   NULL);
	} else {
		FUZZ_CHECK(pid == -7 && comm == comm0 && comm_len == 777);
	}
	free(buf);
}

/* procinfo_parse_status_uid() takes (buf, len) but reads the numbers with
 * strtoul(), which stops only at a non-digit: with "Uid:\t1" as the last
 * bytes it reads past len. Its caller passes procinfo_read_at()'s
 * NUL-terminated buffer, so the harness does too (the terminator is outside
 * len); an exactly sized buffer finds that over-read at once (reproducer in
 * fuzz/crashes/procinfo/). Set FUZZ_STATUS_EXACT to fuzz the strict contract. */
static void check_status(const char *data, size_t size)
{
#ifdef FUZZ_STATUS_EXACT
	char *buf = fuzz_dup(data, size);
#else
	char *buf = fuzz_strdup(data, size);
#endif
	uint32_t euid = 0xdeadbeef;

	if (procinfo_parse_status_uid(buf, size, &euid) == 0) {
		/* Only a "Uid:" line that starts the buffer or follows a newline. */
		FUZZ_CHECK(size > 4 && (memcmp(buf, "Uid:", 4) == 0 || memmem(buf, size, "\nUid:", 5)));
	} else {
		FUZZ_CHECK(euid == 0xdeadbeef);
	}
	free(buf);
}

static void check_cmdline(const char *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	size_t n = procinfo_cmdline_join(buf, size);

	FUZZ_CHECK(n <= size);
	FUZZ_CHECK(n == 0 || buf[n - 1] != '\0');
	FUZZ_CHECK(memchr(buf, '\0', n) == NULL);
	/* Only NULs changed: inner ones to blanks, trailing ones dropped. */
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(buf[i] == data[i] || (data[i] == '\0' && buf[i] == ' '));
	for (size_t i = n; i < size; i++)
		FUZZ_CHECK(data[i] == '\0');
	free(buf);
}

static void check_cgroup(const char *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	const char *path = (const char *)&size, *path0 = path;
	size_t path_len = 777;
	int r = procinfo_parse_cgroup(buf, size, &path, &path_len);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOENT);
	if (r == 0) {
		struct container_ref ref;

		FUZZ_CHECK(fuzz_within(buf, size, path, path_len));
		/* The path is the rest of one line, after "ID:CONTROLLERS:". */
		FUZZ_CHECK(path > buf && path[-1] == ':');
		FUZZ_CHECK(memchr(path, '\n', path_len) == NULL);
		FUZZ_CHECK(path + path_len == buf + size || path[path_len] == '\n');
		/* As the owner scan does next. */
		if (container_from_cgroup(path, path_len, &ref) == 1)
			FUZZ_CHECK(fuzz_within(path, path_len, ref.id, ref.id_len));
	} else {
		FUZZ_CHECK(path == path0 && path_len == 777);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	check_stat(text, size);
	check_status(text, size);
	check_cmdline(text, size);
	check_cgroup(text, size);
	return 0;
}
