/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container names from cgroup paths, as the runtimes lay them out:
 *  - runc/crun's systemd driver turns the OCI spec "slice:prefix:name" into
 *    ".../<prefix>-<name>.scope"; a runtime given that spec but running the
 *    cgroupfs driver makes it one directory name (seen with k3s, youki).
 *  - cgroupfs drivers: /docker/<id>, kubepods[/qos]/pod<uid>/<id>, crio-<id>,
 *    /libpod_parent/libpod-<id>; kubelet's systemd driver:
 *    [kubelet-]kubepods[-qos]-pod<uid>.slice with '_' for '-' ('-' nests).
 *  - LXC: /lxc/<name> (<= 3), lxc.payload.<name>, lxc.payload/<name>.
 *  - systemd-nspawn: systemd-nspawn@<name>.service, machine-<name>.scope.
 * Whoever creates a cgroup chooses its name, so every piece is checked and an
 * unknown shape gives no name rather than a guess.
 */
#include <errno.h>
#include <string.h>

#include "container.h"

/* sha256 in hex: what docker, containerd, CRI-O and podman use as IDs. */
#define ID_HEX_LEN 64
/* Pod UIDs are UUIDs (36) or, for static pods, a 32-hex hash; allow slack. */
#define POD_UID_MAX 64

/* A slice of the path: one component or part of one. */
struct seg {
	const char *p;
	size_t n;
};

static bool seg_eq(struct seg s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool seg_has_prefix(struct seg s, const char *lit)
{
	return s.n >= strlen(lit) && memcmp(s.p, lit, strlen(lit)) == 0;
}

static bool seg_has_suffix(struct seg s, const char *lit)
{
	return s.n >= strlen(lit) && memcmp(s.p + s.n - strlen(lit), lit, strlen(lit)) == 0;
}

/* s is pfx + *mid + sfx with a non-empty *mid. */
static bool unwrap(struct seg s, const char *pfx, const char *sfx, struct seg *mid)
{
	if (s.n <= strlen(pfx) + strlen(sfx) || !seg_has_prefix(s, pfx) || !seg_has_suffix(s, sfx))
		return false;
	*mid = (struct seg){ s.p + strlen(pfx), s.n - strlen(pfx) - strlen(sfx) };
	return true;
}

/* Only lowercase hex digits and sep (0 for none). */
static bool all_hex(struct seg s, char sep)
{
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f') ||
		      (sep && s.p[i] == sep)))
			return false;
	return true;
}

/* Exactly 64 lowercase hex digits: a look-alike never passes for an ID. */
static bool is_id(struct seg s)
{
	return s.n == ID_HEX_LEN && all_hex(s, 0);
}

/* '-' separates a pod UID's groups in cgroupfs paths, '_' in systemd slices. */
static bool is_pod_uid(struct seg s, char sep)
{
	return s.n > 0 && s.n <= POD_UID_MAX && all_hex(s, sep);
}

/* LXC and nspawn names: anything a directory may be called, but not "." or
 * "..", which only appear as path steps. */
static bool is_name(struct seg s)
{
	return s.n > 0 && !seg_eq(s, ".") && !seg_eq(s, "..");
}

/* The component ending at or before offset end, skipping repeated '/'.
 * Returns false when there is none. */
static bool comp_before(const char *path, size_t end, struct seg *c)
{
	size_t start;

	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0)
		return false;
	for (start = end; start > 0 && path[start - 1] != '/'; start--)
		;
	*c = (struct seg){ path + start, end - start };
	return true;
}

/* The runtime that names its scopes "<prefix>-<id>.scope"; *bare_ok says it
 * also makes "<prefix>-<id>" directories with the cgroupfs driver. */
static const char *runtime_of(struct seg prefix, bool *bare_ok)
{
	static const struct {
		const char *prefix;
		const char *runtime;
		bool bare_ok;
	} tab[] = {
		{ "docker", "docker", false },
		{ "cri-containerd", "containerd", false },
		{ "nerdctl", "containerd", false }, /* "system.slice:nerdctl:<id>" */
		{ "crio", "cri-o", true },
		{ "libpod", "podman", true },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (seg_eq(prefix, tab[i].prefix)) {
			*bare_ok = tab[i].bare_ok;
			return tab[i].runtime;
		}
	return NULL;
}

/* kubelet's systemd driver: "[kubelet-]kubepods[-burstable|-besteffort]-pod
 * <uid>.slice". The UID holds no '-', so the last '-' starts "pod<uid>". */
static bool pod_slice(struct seg s, struct seg *uid)
{
	static const char *const qos[] = { "kubepods", "kubepods-burstable",
					   "kubepods-besteffort" };
	struct seg base, pre;
	size_t k;

	if (!unwrap(s, "", ".slice", &base))
		return false;
	for (k = base.n; k > 0 && base.p[k - 1] != '-'; k--)
		;
	if (k == 0 || !unwrap((struct seg){ base.p + k, base.n - k }, "pod", "", uid) ||
	    !is_pod_uid(*uid, '_'))
		return false;
	pre = (struct seg){ base.p, k - 1 };
	for (size_t i = 0; i < sizeof(qos) / sizeof(qos[0]); i++) {
		size_t n = strlen(qos[i]);

		/* Whole words only: "kubelet-kubepods" (kind) yes, "xkubepods" no. */
		if (seg_has_suffix(pre, qos[i]) && (pre.n == n || pre.p[pre.n - n - 1] == '-'))
			return true;
	}
	return false;
}

/* kubelet's cgroupfs driver: ".../kubepods[/burstable|/besteffort]/pod<uid>";
 * the kubepods ancestor keeps an unrelated "pod..." directory out. */
static bool pod_dir(const char *path, struct seg s, struct seg *uid)
{
	struct seg up;

	if (!unwrap(s, "pod", "", uid) || !is_pod_uid(*uid, '-') ||
	    !comp_before(path, (size_t)(s.p - path), &up))
		return false;
	if ((seg_eq(up, "burstable") || seg_eq(up, "besteffort")) &&
	    !comp_before(path, (size_t)(up.p - path), &up))
		return false;
	return seg_eq(up, "kubepods");
}

static void put_pod(struct container_ref *r, struct seg uid, bool underscored)
{
	r->pod_uid = uid.p;
	r->pod_uid_len = uid.n;
	r->pod_uid_underscored = underscored;
}

/* Fill the pod UID when the container's parent is a pod cgroup of either
 * driver. */
static void set_pod(const char *path, const struct seg *parent, struct container_ref *r)
{
	struct seg uid;

	if (parent && pod_slice(*parent, &uid))
		put_pod(r, uid, true);
	else if (parent && pod_dir(path, *parent, &uid))
		put_pod(r, uid, false);
}

static bool set_id(struct container_ref *r, const char *runtime, struct seg id)
{
	r->runtime = runtime;
	r->id = id.p;
	r->id_len = id.n;
	return true;
}

/* "<prefix>-<id>.scope" or, for cgroupfs runtimes, "<prefix>-<id>". The
 * monitors "crio-conmon-<id>" and "libpod-conmon-<id>" fail the ID check. */
static bool match_prefixed(const char *path, struct seg cur, const struct seg *parent,
			   struct container_ref *r)
{
	const char *runtime = NULL;
	struct seg id;
	bool bare_ok = false;

	/* Try every '-' as the end of the prefix: "cri-containerd" has one too. */
	for (size_t k = 0; k < cur.n && !runtime; k++)
		if (cur.p[k] == '-') {
			runtime = runtime_of((struct seg){ cur.p, k }, &bare_ok);
			id = (struct seg){ cur.p + k + 1, cur.n - k - 1 };
		}
	if (!runtime)
		return false;
	if (seg_has_suffix(id, ".scope"))
		id.n -= strlen(".scope");
	else if (!bare_ok)
		return false;
	if (!is_id(id))
		return false;
	set_pod(path, parent, r);
	return set_id(r, runtime, id);
}

/* The unconverted systemd spec "slice:prefix:id" as one directory name. */
static bool match_colon(struct seg cur, struct container_ref *r)
{
	const char *c1 = memchr(cur.p, ':', cur.n), *c2, *runtime;
	struct seg slice, uid;
	bool bare_ok;

	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(cur.p + cur.n - (c1 + 1)));
	if (!c2)
		return false;
	runtime = runtime_of((struct seg){ c1 + 1, (size_t)(c2 - c1 - 1) }, &bare_ok);
	if (!runtime || !is_id((struct seg){ c2 + 1, (size_t)(cur.p + cur.n - (c2 + 1)) }))
		return false;
	slice = (struct seg){ cur.p, (size_t)(c1 - cur.p) };
	if (pod_slice(slice, &uid))
		put_pod(r, uid, true);
	return set_id(r, runtime, (struct seg){ c2 + 1, ID_HEX_LEN });
}

/* systemd-nspawn@<name>.service, or machine.slice/machine-<name>.scope. The
 * names stay systemd-escaped. libvirt registers its guests as
 * machine-qemu\x2d...scope and machine-lxc\x2d...scope: not nspawn. */
static bool match_nspawn(struct seg cur, const struct seg *parent, const struct seg *child,
			 struct container_ref *r)
{
	struct seg name;

	if (!unwrap(cur, "systemd-nspawn@", ".service", &name) &&
	    !(parent && seg_eq(*parent, "machine.slice") &&
	      unwrap(cur, "machine-", ".scope", &name)))
		return false;
	if (!is_name(name) || seg_has_prefix(name, "qemu\\x2d") || seg_has_prefix(name, "lxc\\x2d"))
		return false;
	/* nspawn --keep-unit moves itself into "supervisor": the monitor. */
	if (child && seg_eq(*child, "supervisor"))
		return false;
	return set_id(r, "systemd-nspawn", name);
}

/* Does component cur, with its parent and the child the path went on to (NULL
 * when none), name a container? Fills *r and returns true if so. */
static bool match_comp(const char *path, struct seg cur, const struct seg *parent,
		       const struct seg *child, struct container_ref *r)
{
	struct seg name;

	if (match_prefixed(path, cur, parent, r) || match_colon(cur, r))
		return true;
	if (parent && is_id(cur)) {
		struct seg uid;

		if (seg_eq(*parent, "docker"))
			return set_id(r, "docker", cur);
		/* containerd and cri-dockerd alike: see container.h. */
		if (pod_dir(path, *parent, &uid)) {
			put_pod(r, uid, false);
			return set_id(r, "containerd", cur);
		}
	}
	if (parent && (seg_eq(*parent, "lxc") || seg_eq(*parent, "lxc.payload")) && is_name(cur))
		return set_id(r, "lxc", cur);
	if (unwrap(cur, "lxc.payload.", "", &name) && is_name(name))
		return set_id(r, "lxc", name);
	return match_nspawn(cur, parent, child, r);
}

int container_from_cgroup(const char *path, size_t len, struct container_ref *out)
{
	static const char deleted[] = " (deleted)";
	struct seg cur, child;
	bool more, has_child = false;

	if (!path || !out)
		return -EINVAL;
	/* cgroup v2 marks a removed cgroup so; the name is still the right one. */
	if (len >= strlen(deleted) &&
	    memcmp(path + len - strlen(deleted), deleted, strlen(deleted)) == 0)
		len -= strlen(deleted);
	/* /proc/PID/cgroup paths are absolute and never hold a NUL. */
	if (len == 0 || path[0] != '/' || memchr(path, '\0', len))
		return 0;

	/* Innermost first: walk from the last component outwards and stop at the
	 * first container. A monitor or a non-container sub-cgroup makes no match,
	 * so an outer container (one the monitor runs inside) can still answer. */
	more = comp_before(path, len, &cur);
	while (more) {
		struct container_ref r = { 0 };
		struct seg parent;
		bool has_parent = comp_before(path, (size_t)(cur.p - path), &parent);

		if (match_comp(path, cur, has_parent ? &parent : NULL, has_child ? &child : NULL,
			       &r)) {
			*out = r;
			return 1;
		}
		child = cur;
		has_child = true;
		cur = parent;
		more = has_parent;
	}
	return 0;
}
