/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/container.c: container_from_cgroup() over a cgroup path. The input is
 * the path (without "0::" and the newline), copied into exactly len bytes.
 */
#include <errno.h>

#include "container.h"
#include "fuzz.h"

static bool lower_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const runtimes[] = { "docker", "containerd", "cri-o",
						"podman", "lxc",	"systemd-nspawn" };
	char *path = fuzz_dup(data, size);
	struct container_ref ref, before;
	bool known = false;
	int r;

	memset(&ref, 0xa5, sizeof(ref));
	before = ref;
	FUZZ_CHECK(container_from_cgroup(NULL, size, &ref) == -EINVAL);
	FUZZ_CHECK(container_from_cgroup(path, size, NULL) == -EINVAL);
	r = container_from_cgroup(path, size, &ref);
	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 0) {
		FUZZ_CHECK(memcmp(&ref, &before, sizeof(ref)) == 0);
		free(path);
		return 0;
	}
	FUZZ_CHECK(size > 0 && path[0] == '/');
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		known |= ref.runtime == runtimes[i] || strcmp(ref.runtime, runtimes[i]) == 0;
	FUZZ_CHECK(known);
	FUZZ_CHECK(ref.id_len > 0 && fuzz_within(path, size, ref.id, ref.id_len));
	/* An ID is a whole path component or a piece of one: no '/' inside. */
	FUZZ_CHECK(memchr(ref.id, '/', ref.id_len) == NULL);
	if (strcmp(ref.runtime, "lxc") != 0 && strcmp(ref.runtime, "systemd-nspawn") != 0)
		FUZZ_CHECK(ref.id_len == 64 && lower_hex(ref.id, ref.id_len));
	else
		FUZZ_CHECK(!(ref.id_len == 1 && ref.id[0] == '.') &&
			   !(ref.id_len == 2 && memcmp(ref.id, "..", 2) == 0));
	if (ref.pod_uid) {
		FUZZ_CHECK(ref.pod_uid_len > 0 && ref.pod_uid_len <= 64);
		FUZZ_CHECK(fuzz_within(path, size, ref.pod_uid, ref.pod_uid_len));
		FUZZ_CHECK(memchr(ref.pod_uid, '/', ref.pod_uid_len) == NULL);
	} else {
		FUZZ_CHECK(ref.pod_uid_len == 0);
	}
	free(path);
	return 0;
}
