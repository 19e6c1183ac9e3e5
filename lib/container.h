/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names the container a process runs in from its cgroup path alone: the
 * runtimes lay their cgroups out in recognisable ways (docker-<id>.scope,
 * /kubepods/.../pod<uid>/<id>, lxc.payload.<name>, ...). No I/O, no
 * allocation: the result points into the caller's path. */
#ifndef WHOSOCK_CONTAINER_H
#define WHOSOCK_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

/* A container named by a cgroup path; slices point into the path or at static
 * strings. */
struct container_ref {
	/* "docker", "containerd", "cri-o", "podman", "lxc", "systemd-nspawn"
	 * (static strings). A bare 64-hex ID under /kubepods/.../pod<uid>/ is
	 * reported as "containerd", although cri-dockerd lays its containers out
	 * the same way. */
	const char *runtime;
	/* The container ID (64 lowercase hex for docker/containerd/cri-o/podman)
	 * or the name (lxc, systemd-nspawn; an nspawn name is left systemd-escaped,
	 * e.g. "foo\x2dbar"). Not NUL-terminated. */
	const char *id;
	size_t id_len;
	/* Kubernetes pod UID when the container sits in a pod cgroup (any runtime
	 * under kubepods), else NULL/0. Not NUL-terminated. */
	const char *pod_uid;
	size_t pod_uid_len;
	/* The pod slice spells the UID with '_' for '-' (systemd cgroup driver):
	 * the caller converts before showing it. */
	bool pod_uid_underscored;
};

/*
 * Name the container whose cgroup is path[0..len) (the "0::PATH" v2 path or a
 * v1 path, without the newline; a trailing " (deleted)" is ignored). The
 * innermost container component wins (docker-in-docker, kind nodes), and
 * sub-cgroups a container makes inside its own (systemd units, crun's
 * "container") are looked through. Runtime monitors (crio-conmon-,
 * libpod-conmon-, lxc.monitor., nspawn's "supervisor") are not containers.
 *
 * Returns 1 and fills *out (pointing into path) when the path matches a known
 * layout, 0 when it does not (out untouched), -EINVAL when path or out is NULL.
 * Unknown or malformed layouts give 0, never a wrong name.
 */
int container_from_cgroup(const char *path, size_t len, struct container_ref *out);

#endif
