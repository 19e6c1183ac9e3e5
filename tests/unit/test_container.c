/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/container.c: container names from cgroup paths. Fake
 * /proc/PID/cgroup files live in tests/data/cgroup/ (the test runs with
 * tests/data as its working directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

/* Container IDs used below (sha256 of the runtime's name, so they look real). */
#define ID_A "2a759f8fac4d817ff2bc28c224d51c5030f915c0c14997110517984ca9aa8d0f"
#define ID_B "6de102c1cecc011032305908295668eedad74d736c6d216e4c42f416ae84988f"
#define ID_C "cc6ce3a8862188490f0ae060206f34d3ff2e1fb7564538c57b8db3f84d269eec"
#define ID_63 "2a759f8fac4d817ff2bc28c224d51c5030f915c0c14997110517984ca9aa8d0"
#define ID_65 ID_A "1"
#define ID_UPPER "2A759F8FAC4D817FF2BC28C224D51C5030F915C0C14997110517984CA9AA8D0F"
#define ID_NONHEX "2a759f8fac4d817ff2bc28c224d51c5030f915c0c14997110517984ca9aa8d0g"
#define UID_DASH "3b2e5e14-6d3d-4c3f-9d7a-2e1b1f5b7c2a"
#define UID_UNDER "3b2e5e14_6d3d_4c3f_9d7a_2e1b1f5b7c2a"
#define UID_STATIC "9c1d5d3c5e0e0f6b3b1d7f3f3a6f0e1b" /* static pods: config hash */

/* The last occurrence of needle in hay: the innermost one in a nested path. */
static const char *last_of(const char *hay, const char *needle)
{
	const char *found = NULL;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		found = p;
	return found;
}

/* Parse path[0..len) (copied to a buffer of exactly len bytes, so reading past
 * len is caught by ASan) and check every field. pod NULL: no pod expected. */
static void expect_n(const char *path, size_t len, const char *runtime, const char *id,
		     const char *pod, bool underscored)
{
	char *copy = malloc(len ? len : 1);
	struct container_ref r;

	assert_non_null(copy);
	memcpy(copy, path, len);
	memset(&r, 0, sizeof(r));
	if (container_from_cgroup(copy, len, &r) != 1)
		fail_msg("no container in %.*s", (int)len, path);
	assert_string_equal(r.runtime, runtime);
	/* Slices point into the path, at the innermost occurrence. */
	assert_int_equal(r.id_len, strlen(id));
	assert_ptr_equal(r.id, copy + (last_of(path, id) - path));
	if (pod) {
		assert_non_null(r.pod_uid);
		assert_int_equal(r.pod_uid_len, strlen(pod));
		assert_ptr_equal(r.pod_uid, copy + (last_of(path, pod) - path));
		assert_true(r.pod_uid_underscored == underscored);
	} else {
		assert_null(r.pod_uid);
		assert_int_equal(r.pod_uid_len, 0);
		assert_false(r.pod_uid_underscored);
	}
	free(copy);
}

static void expect(const char *path, const char *runtime, const char *id, const char *pod,
		   bool underscored)
{
	expect_n(path, strlen(path), runtime, id, pod, underscored);
}

/* No container: returns 0 and leaves out untouched. */
static void expect_none_n(const char *path, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct container_ref r, before;
	int rc;

	assert_non_null(copy);
	memcpy(copy, path, len);
	memset(&r, 0xa5, sizeof(r));
	memcpy(&before, &r, sizeof(r));
	rc = container_from_cgroup(copy, len, &r);
	if (rc != 0)
		fail_msg("rc %d for %.*s", rc, (int)len, path);
	assert_memory_equal(&r, &before, sizeof(r));
	free(copy);
}

static void expect_none(const char *path)
{
	expect_none_n(path, strlen(path));
}

/* Read cgroup/<name> and pick the v2 "0::" line's path, else the first line's
 * (after "N:controllers:"); with v1_only, the first line that is not "0::".
 * The path is copied into buf without its newline. Returns its length. */
static size_t load(const char *name, bool v1_only, char *buf, size_t cap)
{
	char fname[256], line[4096], first[4096] = "";
	bool have_first = false, have_v2 = false;
	FILE *f;

	/* meson runs unit tests in tests/data; by hand they may run from the top. */
	snprintf(fname, sizeof(fname), "cgroup/%s", name);
	f = fopen(fname, "re");
	if (!f) {
		snprintf(fname, sizeof(fname), "tests/data/cgroup/%s", name);
		f = fopen(fname, "re");
	}
	if (!f)
		fail_msg("cannot open cgroup/%s (run from tests/data)", name);
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		line[strcspn(line, "\n")] = '\0';
		if (!c2)
			fail_msg("%s: bad line %s", fname, line);
		if (!v1_only && strncmp(line, "0::", 3) == 0) {
			snprintf(first, sizeof(first), "%s", c2 + 1);
			have_v2 = true;
			break;
		}
		if (!have_first && strncmp(line, "0::", 3) != 0) {
			snprintf(first, sizeof(first), "%s", c2 + 1);
			have_first = true;
		}
	}
	fclose(f);
	assert_true(have_v2 || have_first);
	assert_true(strlen(first) < cap);
	memcpy(buf, first, strlen(first) + 1);
	return strlen(first);
}

/* ---- arguments ---- */

static void test_null(void **state)
{
	struct container_ref r;

	(void)state;
	assert_int_equal(container_from_cgroup(NULL, 5, &r), -EINVAL);
	assert_int_equal(container_from_cgroup("/docker/" ID_A, strlen("/docker/" ID_A), NULL),
			 -EINVAL);
	assert_int_equal(container_from_cgroup(NULL, 0, NULL), -EINVAL);
}

/* ---- captured /proc/PID/cgroup files ---- */

static void test_files(void **state)
{
	static const struct {
		const char *file;
		bool v1_only;
		const char *runtime; /* NULL: no container */
		const char *id, *pod;
		bool underscored;
	} v[] = {
		{ "docker-v1", false, "docker", ID_A, NULL, false },
		{ "docker-systemd-v2", false, "docker", ID_B, NULL, false },
		{ "docker-deleted", false, "docker", ID_A, NULL, false },
		{ "k8s-containerd-systemd", false, "containerd", ID_C, UID_UNDER, true },
		{ "k8s-containerd-cgroupfs", false, "containerd",
		  "b682343341ef1c4a6c977b0abfe273cf123c00bb53e2d3204c35d488a8166664",
		  "8f2a1c3e-5b7d-4e9f-a1b2-c3d4e5f60718", false },
		/* A hybrid host whose unified line stayed with the runtime's
		 * service: only the v1 lines name the container. */
		{ "hybrid-containerd", false, NULL, NULL, NULL, false },
		{ "hybrid-containerd", true, "containerd",
		  "b682343341ef1c4a6c977b0abfe273cf123c00bb53e2d3204c35d488a8166664",
		  "8f2a1c3e-5b7d-4e9f-a1b2-c3d4e5f60718", false },
		{ "crio", false, "cri-o",
		  "c64064614423cb790e88b3e5492ff5ccf673b25ae823089f7a60c65cda24d809",
		  "0c9d1e2f_3a4b_4c5d_8e6f_7a8b9c0d1e2f", true },
		{ "crio-conmon", false, NULL, NULL, NULL, false },
		{ "podman-rootless", false, "podman",
		  "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9", NULL, false },
		{ "lxc", false, "lxc", "web1", NULL, false },
		{ "lxc-monitor", false, NULL, NULL, NULL, false },
		{ "nspawn", false, "systemd-nspawn", "debian\\x2dtest", NULL, false },
		{ "host-session", false, NULL, NULL, NULL, false },
		{ "kind-in-docker", false, "containerd",
		  "0e10f4c893c58ffbcd950ab74e6b4ae8a7ebcf257897a02739254906984c6074",
		  "1e597579_417e_482f_bf65_5fe170c3aebd", true },
	};
	char buf[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = load(v[i].file, v[i].v1_only, buf, sizeof(buf));

		if (v[i].runtime)
			expect_n(buf, n, v[i].runtime, v[i].id, v[i].pod, v[i].underscored);
		else
			expect_none_n(buf, n);
	}
}

/* ---- docker ---- */

static void test_docker(void **state)
{
	(void)state;
	/* cgroupfs driver, v1 and v2 alike. */
	expect("/docker/" ID_A, "docker", ID_A, NULL, false);
	expect("/docker/" ID_A "/", "docker", ID_A, NULL, false);
	expect("//docker//" ID_A, "docker", ID_A, NULL, false);
	/* systemd (or anything else) running inside the container. */
	expect("/docker/" ID_A "/system.slice/nginx.service", "docker", ID_A, NULL, false);
	/* docker-in-docker: the innermost container. */
	expect("/docker/" ID_A "/docker/" ID_B, "docker", ID_B, NULL, false);
	/* systemd driver, rootful and rootless. */
	expect("/system.slice/docker-" ID_B ".scope", "docker", ID_B, NULL, false);
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" ID_B ".scope",
	       "docker", ID_B, NULL, false);
	expect("/system.slice/docker-" ID_B ".scope/init.scope", "docker", ID_B, NULL, false);
	/* The kubelet's dockershim / cri-dockerd with the systemd driver. */
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_UNDER
	       ".slice/docker-" ID_A ".scope",
	       "docker", ID_A, UID_UNDER, true);
	/* A broken inner ID still leaves the process inside the outer one. */
	expect("/docker/" ID_A "/docker/" ID_63, "docker", ID_A, NULL, false);
}

static void test_docker_malformed(void **state)
{
	(void)state;
	expect_none("/docker");
	expect_none("/docker/");
	expect_none("/docker/" ID_63);
	expect_none("/docker/" ID_65);
	expect_none("/docker/" ID_UPPER);
	expect_none("/docker/" ID_NONHEX);
	expect_none("/docker/" ID_A "x");
	expect_none("/dockerd/" ID_A);
	expect_none("/" ID_A); /* a bare ID means nothing without its parent */
	expect_none("/system.slice/docker-" ID_63 ".scope");
	expect_none("/system.slice/docker-" ID_65 ".scope");
	expect_none("/system.slice/docker-" ID_UPPER ".scope");
	expect_none("/system.slice/docker-" ID_NONHEX ".scope");
	expect_none("/system.slice/docker-hello.scope");
	expect_none("/system.slice/docker-.scope");
	expect_none("/system.slice/docker-" ID_A); /* systemd units end in .scope */
	expect_none("/system.slice/docker-" ID_A ".service");
	expect_none("/system.slice/docker-" ID_A ".scopex");
	expect_none("/system.slice/docker.service");
	expect_none("/system.slice/docker.socket");
	expect_none("/system.slice/xdocker-" ID_A ".scope");
}

/* ---- Kubernetes with containerd ---- */

static void test_k8s_systemd(void **state)
{
	(void)state;
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
	       ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, UID_UNDER, true);
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_UNDER
	       ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, UID_UNDER, true);
	/* Guaranteed pods sit right under kubepods.slice. */
	expect("/kubepods.slice/kubepods-pod" UID_UNDER ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, UID_UNDER, true);
	/* Static pods: the UID is a 32-hex hash. */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_STATIC
	       ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, UID_STATIC, true);
	/* kind: the kubelet's cgroup root is /kubelet. */
	expect("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	       "kubelet-kubepods-besteffort-pod" UID_UNDER ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, UID_UNDER, true);
	/* Not a pod slice: the container is still named, without a pod. */
	expect("/system.slice/system-getty.slice/cri-containerd-" ID_C ".scope", "containerd", ID_C,
	       NULL, false);
	expect("/kubepods.slice/kubepods-burstable.slice/xkubepods-burstable-pod" UID_UNDER
	       ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, NULL, false);
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_DASH
	       ".slice/cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, NULL, false);
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod.slice/"
	       "cri-containerd-" ID_C ".scope",
	       "containerd", ID_C, NULL, false);
	/* The pod alone is no container. */
	expect_none("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
		    ".slice");
	expect_none("/kubepods.slice/kubepods-burstable.slice");
	expect_none("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
		    ".slice/cri-containerd-" ID_63 ".scope");
	expect_none("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
		    ".slice/cri-containerd-" ID_C);
}

static void test_k8s_cgroupfs(void **state)
{
	(void)state;
	expect("/kubepods/burstable/pod" UID_DASH "/" ID_C, "containerd", ID_C, UID_DASH, false);
	expect("/kubepods/besteffort/pod" UID_DASH "/" ID_C, "containerd", ID_C, UID_DASH, false);
	expect("/kubepods/pod" UID_DASH "/" ID_C, "containerd", ID_C, UID_DASH, false);
	expect("/kubepods/pod" UID_STATIC "/" ID_C, "containerd", ID_C, UID_STATIC, false);
	/* Nested under another prefix (k3s in a CI job, a kind node). */
	expect("/actions_job/" ID_A "/kubepods/besteffort/pod" UID_DASH "/" ID_C, "containerd",
	       ID_C, UID_DASH, false);
	expect("/docker/" ID_A "/kubepods/burstable/pod" UID_DASH "/" ID_C, "containerd", ID_C,
	       UID_DASH, false);
	expect("/kubepods/burstable/pod" UID_DASH "/" ID_C "/init.scope", "containerd", ID_C,
	       UID_DASH, false);

	expect_none("/kubepods/burstable/pod" UID_DASH);
	expect_none("/kubepods/burstable");
	expect_none("/kubepods");
	expect_none("/kubepods/burstable/" ID_C);           /* no pod */
	expect_none("/kubepods/burstable/pod/" ID_C);       /* empty UID */
	expect_none("/kubepods/guaranteed/pod" UID_DASH "/" ID_C); /* no such QoS dir */
	expect_none("/foo/pod" UID_DASH "/" ID_C);          /* no kubepods */
	expect_none("/pod" UID_DASH "/" ID_C);
	expect_none("/kubepods/burstable/pod" UID_UNDER "/" ID_C); /* '_' is systemd's */
	expect_none("/kubepods/burstable/pod3B2E5E14-6D3D-4C3F-9D7A-2E1B1F5B7C2A/" ID_C);
	expect_none("/kubepods/burstable/pod" UID_DASH "/" ID_63);
	expect_none("/kubepods/burstable/pod" UID_DASH "/" ID_UPPER);
	expect_none("/kubepods/burstable/pod" UID_DASH "/pause");
}

/* runc's "slice:prefix:name" spec used verbatim as a directory. */
static void test_colon_form(void **state)
{
	(void)state;
	expect("/kubepods-besteffort-pod" UID_UNDER ".slice:cri-containerd:" ID_C, "containerd",
	       ID_C, UID_UNDER, true);
	expect("/system.slice/containerd.service/kubepods-burstable-pod" UID_UNDER
	       ".slice:cri-containerd:" ID_C,
	       "containerd", ID_C, UID_UNDER, true);
	expect("/kubepods-pod" UID_UNDER ".slice:crio:" ID_C, "cri-o", ID_C, UID_UNDER, true);
	expect("/system.slice:nerdctl:" ID_C, "containerd", ID_C, NULL, false);
	expect("/:cri-containerd:" ID_C, "containerd", ID_C, NULL, false);

	expect_none("/kubepods-besteffort-pod" UID_UNDER ".slice:runsc:" ID_C);
	expect_none("/kubepods-besteffort-pod" UID_UNDER ".slice:cri-containerd:" ID_63);
	expect_none("/kubepods-besteffort-pod" UID_UNDER ".slice:cri-containerd:" ID_C ":x");
	expect_none("/kubepods-besteffort-pod" UID_UNDER ".slice:cri-containerd");
	expect_none("/kubepods-besteffort-pod" UID_UNDER ".slice::" ID_C);
	expect_none("/:::");
}

/* ---- CRI-O ---- */

static void test_crio(void **state)
{
	(void)state;
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
	       ".slice/crio-" ID_C ".scope",
	       "cri-o", ID_C, UID_UNDER, true);
	/* crun puts the payload in a "container" sub-cgroup. */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
	       ".slice/crio-" ID_C ".scope/container",
	       "cri-o", ID_C, UID_UNDER, true);
	expect("/kubepods/burstable/pod" UID_DASH "/crio-" ID_C, "cri-o", ID_C, UID_DASH, false);
	expect("/kubepods/pod" UID_DASH "/crio-" ID_C, "cri-o", ID_C, UID_DASH, false);
	/* minikube: a crio node inside a docker container. */
	expect("/docker/" ID_A "/kubepods.slice/kubepods-besteffort.slice/"
	       "kubepods-besteffort-pod" UID_UNDER ".slice/crio-" ID_C ".scope",
	       "cri-o", ID_C, UID_UNDER, true);

	/* conmon, the monitor, is not the container. */
	expect_none("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
		    ".slice/crio-conmon-" ID_C ".scope");
	expect_none("/kubepods/burstable/pod" UID_DASH "/crio-conmon-" ID_C);
	expect_none("/system.slice/crio.service");
	expect_none("/system.slice/crio-" ID_63 ".scope");
	expect_none("/system.slice/crio-.scope");
}

/* ---- podman ---- */

static void test_podman(void **state)
{
	(void)state;
	expect("/machine.slice/libpod-" ID_B ".scope", "podman", ID_B, NULL, false);
	expect("/machine.slice/libpod-" ID_B ".scope/container", "podman", ID_B, NULL, false);
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B ".scope",
	       "podman", ID_B, NULL, false);
	expect("/libpod_parent/libpod-" ID_B, "podman", ID_B, NULL, false);
	/* A container in a pod. */
	expect("/machine.slice/machine-libpod_pod_" ID_A ".slice/libpod-" ID_B ".scope", "podman",
	       ID_B, NULL, false);

	expect_none("/machine.slice/libpod-conmon-" ID_B ".scope");
	expect_none("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID_B
		    ".scope");
	expect_none("/libpod_parent/conmon");
	expect_none("/machine.slice/machine-libpod_pod_" ID_A ".slice");
	expect_none("/machine.slice/libpod-" ID_UPPER ".scope");
}

/* ---- containerd without Kubernetes (nerdctl) ---- */

static void test_nerdctl(void **state)
{
	(void)state;
	expect("/system.slice/nerdctl-" ID_A ".scope", "containerd", ID_A, NULL, false);
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/nerdctl-" ID_A ".scope",
	       "containerd", ID_A, NULL, false);
	expect_none("/system.slice/nerdctl-" ID_63 ".scope");
	/* ctr's default "/<namespace>/<id>" names anything: not recognised. */
	expect_none("/default/" ID_A);
	expect_none("/k8s.io/" ID_A);
}

/* ---- LXC ---- */

static void test_lxc(void **state)
{
	(void)state;
	expect("/lxc/web1", "lxc", "web1", NULL, false);
	expect("/lxc/web1/init.scope", "lxc", "web1", NULL, false);
	expect("/lxc.payload.web1", "lxc", "web1", NULL, false);
	expect("/lxc.payload/web1", "lxc", "web1", NULL, false);
	expect("/lxc.payload.web1/system.slice/nginx.service", "lxc", "web1", NULL, false);
	expect("/lxc.payload.default_web-1.example", "lxc", "default_web-1.example", NULL, false);
	/* Nested: LXC in LXC, docker in LXC. */
	expect("/lxc.payload.outer/lxc.payload.inner", "lxc", "inner", NULL, false);
	expect("/lxc.payload.web1/docker/" ID_A, "docker", ID_A, NULL, false);
	/* A monitor inside a container runs in that container. */
	expect("/lxc.payload.outer/lxc.monitor.inner", "lxc", "outer", NULL, false);

	expect_none("/lxc.monitor.web1");
	expect_none("/lxc.monitor/web1");
	expect_none("/lxc");
	expect_none("/lxc/");
	expect_none("/lxc.payload");
	expect_none("/lxc.payload.");
	expect_none("/lxc.payload./x/..");
	expect_none("/lxc/..");
	expect_none("/lxc/.");
	expect_none("/lxc.pivot");
	expect_none("/lxcfoo/web1");
}

/* ---- systemd-nspawn ---- */

static void test_nspawn(void **state)
{
	(void)state;
	expect("/machine.slice/systemd-nspawn@debian.service", "systemd-nspawn", "debian", NULL,
	       false);
	expect("/machine.slice/systemd-nspawn@debian.service/payload", "systemd-nspawn", "debian",
	       NULL, false);
	expect("/machine.slice/systemd-nspawn@foo\\x2dbar.service/payload/init.scope",
	       "systemd-nspawn", "foo\\x2dbar", NULL, false);
	expect("/machine.slice/machine-foo\\x2dbar.scope", "systemd-nspawn", "foo\\x2dbar", NULL,
	       false);
	expect("/machine.slice/machine-debian.scope/payload/system.slice/ssh.service",
	       "systemd-nspawn", "debian", NULL, false);

	/* nspawn itself (--keep-unit moves it to "supervisor"). */
	expect_none("/machine.slice/systemd-nspawn@debian.service/supervisor");
	/* libvirt's guests register with machined too: not containers of nspawn. */
	expect_none("/machine.slice/machine-qemu\\x2d1\\x2dwin10.scope");
	expect_none("/machine.slice/machine-qemu\\x2d1\\x2dwin10.scope/libvirt/emulator");
	expect_none("/machine.slice/machine-lxc\\x2d4242\\x2dweb.scope");
	/* machine-*.scope only counts in machine.slice. */
	expect_none("/system.slice/machine-debian.scope");
	expect_none("/machine-debian.scope");
	expect_none("/machine.slice/machine-.scope");
	expect_none("/machine.slice/systemd-nspawn@.service");
	expect_none("/machine.slice/systemd-nspawn@debian.scope");
	expect_none("/machine.slice");
	expect_none("/system.slice/systemd-machined.service");
}

/* ---- hosts and garbage ---- */

static void test_host_paths(void **state)
{
	static const char *const v[] = {
		"/",
		"//",
		"/init.scope",
		"/user.slice/user-1000.slice/session-3.scope",
		"/user.slice/user-1000.slice/user@1000.service/app.slice/"
		"app-gnome-firefox-1234.scope",
		"/system.slice/ssh.service",
		"/system.slice/containerd.service",
		"/system.slice/docker.service",
		"/system.slice/kubelet.service",
		"/system.slice/system-getty.slice/getty@tty1.service",
		"/../../..",
		"/../docker",
		"",
		" (deleted)",
		"docker/" ID_A, /* not absolute */
		"0::/docker/" ID_A, /* a whole line, not a path */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect_none(v[i]);
}

static void test_deleted(void **state)
{
	(void)state;
	expect("/docker/" ID_A " (deleted)", "docker", ID_A, NULL, false);
	expect("/system.slice/docker-" ID_B ".scope (deleted)", "docker", ID_B, NULL, false);
	expect_none("/docker/" ID_A " (deleted) (deleted)");
	expect_none("/docker/" ID_A "(deleted)");
}

static void test_len_bounds(void **state)
{
	const char *p = "/docker/" ID_A "/docker/" ID_B;
	size_t outer = strlen("/docker/" ID_A);
	struct container_ref r;

	(void)state;
	/* Bytes past len are not read: only the outer container is in view. */
	expect_n(p, outer, "docker", ID_A, NULL, false);
	expect_n(p, outer + 1, "docker", ID_A, NULL, false);
	expect_n(p, outer + strlen("/docker/"), "docker", ID_A, NULL, false);
	memset(&r, 0, sizeof(r));
	assert_int_equal(container_from_cgroup(p, outer, &r), 1);
	assert_ptr_equal(r.id, p + strlen("/docker/"));
	/* Cutting the ID short leaves no container. */
	expect_none_n("/docker/" ID_A, strlen("/docker/" ID_A) - 1);
	expect_none_n("/docker/" ID_A, 0);
	/* A NUL inside the path is not a cgroup path. */
	expect_none_n("/docker/\0/docker/" ID_A, strlen("/docker/") + 1 + strlen("/docker/" ID_A));
	expect_none_n("/lxc/web\0", strlen("/lxc/web") + 1);
}

/* Every prefix of every good path: no crash, no read past len, slices inside. */
static void test_truncations(void **state)
{
	static const char *const v[] = {
		"/docker/" ID_A "/docker/" ID_B,
		"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		"kubelet-kubepods-besteffort-pod" UID_UNDER ".slice/cri-containerd-" ID_C ".scope",
		"/actions_job/x/kubepods/besteffort/pod" UID_DASH "/" ID_C,
		"/system.slice/containerd.service/kubepods-burstable-pod" UID_UNDER
		".slice:cri-containerd:" ID_C " (deleted)",
		"/lxc.payload.web1/system.slice/nginx.service",
		"/machine.slice/systemd-nspawn@foo\\x2dbar.service/supervisor",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i]);

		for (size_t n = 0; n <= len; n++) {
			char *copy = malloc(n ? n : 1);
			struct container_ref r;
			int rc;

			assert_non_null(copy);
			memcpy(copy, v[i], n);
			memset(&r, 0, sizeof(r));
			rc = container_from_cgroup(copy, n, &r);
			assert_true(rc == 0 || rc == 1);
			if (rc == 1) {
				assert_non_null(r.runtime);
				assert_true(r.id >= copy && r.id + r.id_len <= copy + n);
				assert_true(r.id_len > 0);
				if (r.pod_uid)
					assert_true(r.pod_uid >= copy &&
						    r.pod_uid + r.pod_uid_len <= copy + n);
			}
			free(copy);
		}
	}
}

/* Random paths over an alphabet that builds the known layouts' pieces. */
static void test_garbage(void **state)
{
	static const char *const pieces[] = {
		"/", "/", "docker", "docker-", ".scope", ".slice", "kubepods", "-pod", "pod",
		"burstable", "lxc", "lxc.payload.", "lxc.monitor.", "machine.slice", "machine-",
		"systemd-nspawn@", ".service", "crio-", "conmon-", "libpod-", ":", "cri-containerd",
		"_", "-", ".", "..", ID_A, ID_63, UID_DASH, UID_UNDER, "\\x2d", " (deleted)",
		"\xff",
		"supervisor", "payload",
	};
	uint32_t seed = 12345;
	char buf[512];

	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		size_t n = 0;
		int k;
		struct container_ref r;
		int rc;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 16) % 12);
		for (int j = 0; j < k; j++) {
			const char *pc;
			size_t pl;

			seed = seed * 1103515245u + 12345u;
			pc = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			pl = strlen(pc);
			if (n + pl > sizeof(buf))
				break;
			memcpy(buf + n, pc, pl);
			n += pl;
		}
		{
			char *copy = malloc(n ? n : 1);

			assert_non_null(copy);
			memcpy(copy, buf, n);
			memset(&r, 0, sizeof(r));
			rc = container_from_cgroup(copy, n, &r);
			assert_true(rc == 0 || rc == 1);
			if (rc == 1) {
				assert_true(r.id >= copy && r.id + r.id_len <= copy + n);
				/* Hex runtimes never report anything but a 64-hex ID. */
				if (strcmp(r.runtime, "lxc") != 0 &&
				    strcmp(r.runtime, "systemd-nspawn") != 0) {
					assert_int_equal(r.id_len, 64);
					for (size_t j = 0; j < 64; j++)
						assert_true(r.id[j] != '\0' &&
							    strchr("0123456789abcdef", r.id[j]));
				}
				if (r.pod_uid)
					assert_true(r.pod_uid >= copy &&
						    r.pod_uid + r.pod_uid_len <= copy + n);
			}
			free(copy);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_docker_malformed),
		cmocka_unit_test(test_k8s_systemd),
		cmocka_unit_test(test_k8s_cgroupfs),
		cmocka_unit_test(test_colon_form),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_nerdctl),
		cmocka_unit_test(test_lxc),
		cmocka_unit_test(test_nspawn),
		cmocka_unit_test(test_host_paths),
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_len_bounds),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
