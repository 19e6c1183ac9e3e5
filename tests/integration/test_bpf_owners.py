#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: the BPF owner pass (--owners-from bpf) gives the same
owners as the /proc walk (--owners-from proc) on the same load.

The test re-executes itself inside a fresh network namespace (`unshare -n`)
and builds one load there, then lists it both ways:

   1. the load, listed both ways: every socket of it has the same owners
      (pid, tid, fds) from both sources, and the owners the load knows:
      a. a TCP listener and a UDP socket shared by a process (at two fds
         each) and its child forked after socket();
      b. a thread that unshare(CLONE_FILES)'d its fd table and opened a
         listener there (owner with its tid), and a listener of the
         process's own table, which the thread's copy of the table also
         holds (one owner, without tid);
      c. one listener held through 15,000 fds;
      d. a namespace kept only by held sockets: a child unshare(CLONE_NEWNET)s,
         opens a TCP listener and a UDP socket there and goes back; no
         process lives in that namespace and no bind mount keeps it;
      every socket of the test's namespace (the load and the test's own)
      has the same owners both ways; the BPF run says nothing about BPF on
      stderr (it was used); two BPF whosocks run at once (three times)
      both give the owners of a. to c.; and afterwards no BPF program of
      whosock's is loaded (`bpftool prog show`: nothing stays once whosock
      exits), even after `kill -9` while its programs are loaded (strace
      slows its bpf() calls down so that the kill comes in time);
   2. the per-boot cache of the loaded programs (/run/whosock, see
      lib/bpf_progcache.h): after a BPF run both programs are there (root's,
      mode 0600, in a directory of mode 0700) and the next run loads them
      without reading the kernel's BTF (strace: no open of
      /sys/kernel/btf/vmlinux); a file cut short, one of another boot, one
      others may write, a symlink in its place and a missing one each are
      a miss: the run loads through libbpf, gives the load's owners
      without a note, and leaves a good file behind;
   3. as nobody (setpriv), where the kernel refuses the BPF load:
      --owners-from bpf and auto fall back to /proc with one note naming
      the error (and exit 0, owners of nobody's own socket still shown);
      --owners-from proc gives no such note; bad values of --owners-from
      are refused with a message.

A whosock built without BPF (-Dbpf=disabled: the valgrind build) checks the
same answers (both then come from /proc) and the note that says BPF is not
built in.

Environment: WHOSOCK = path to the binary (set by
tests/integration/meson.build). Exit 0 pass, 1 fail, 77 skip (not root or no
namespaces). Python 3 standard library only.
"""

import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading

import wstest
from wstest import LIBC, PR_SET_PDEATHSIG, decoded, ino, kill_all_kids, prctl

NOBODY = 65534
CLONE_FILES = 0x400
CLONE_NEWNET = 0x40000000
N_FDS = 15000
FALLBACK = "BPF owner pass not used ("
NOT_BUILT = "built without BPF"
UNDER_VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))  # WHOSOCK is then whosock-valgrind
PROG_NAMES = ("owners_files", "owners_tasks")
CACHE_DIR = "/run/whosock"
KERNEL_BTF = "/sys/kernel/btf/vmlinux"

WHOSOCK = wstest.whosock_path()
T = wstest.Checker(scope=wstest.Scope)
KEEP = []  # in a child: what must stay open
NOTES = []


def libc_call(name, *args):
    r = getattr(LIBC, name)(*args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (name, os.strerror(e)))
    return r


# --------------------------------------------------------------------------
# The load: children made by wstest.spawn(), each returning what it holds as
# {"expect": [[inode, [[pid, tid, [fds]], ...]], ...]} (tid 0: the
# process's own table).
# --------------------------------------------------------------------------

def shared_holder():
    """A TCP listener and a UDP socket at two fds each, held by this
    process and by a child forked after socket()."""
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    t.listen(4)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    fds_t = sorted([t.fileno(), os.dup(t.fileno())])
    fds_u = sorted([u.fileno(), os.dup(u.fileno())])
    KEEP.extend([t, u])
    child = os.fork()
    if child == 0:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:
            os._exit(0)
        signal.pause()
        os._exit(0)
    me = os.getpid()
    return {"expect": [[ino(t), [[me, 0, fds_t], [child, 0, fds_t]]],
                       [ino(u), [[me, 0, fds_u], [child, 0, fds_u]]]],
            "child": child}


def thread_holder():
    """A listener of the process's own table (which the thread's copy also
    holds), and one opened by a thread after unshare(CLONE_FILES)."""
    own = socket.socket()
    own.bind(("127.0.0.1", 0))
    own.listen(4)
    KEEP.append(own)
    res, done = {}, threading.Event()

    def body():
        try:
            if LIBC.unshare(ctypes.c_int(CLONE_FILES)) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_FILES)")
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            res.update(sock=s, fd=s.fileno(), inode=ino(s), tid=threading.get_native_id())
        except BaseException as e:
            res["error"] = repr(e)
        done.set()
        threading.Event().wait()

    threading.Thread(target=body, daemon=True).start()
    done.wait()
    if "error" in res:
        raise RuntimeError(res["error"])
    KEEP.append(res.pop("sock"))
    me = os.getpid()
    return {"expect": [[ino(own), [[me, 0, [own.fileno()]]]],
                       [res["inode"], [[me, res["tid"], [res["fd"]]]]]],
            "tid": res["tid"]}


def many_fds_holder():
    """One listener through N_FDS fds (the soft RLIMIT_NOFILE raised)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < N_FDS + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (N_FDS + 64, N_FDS + 64))
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    KEEP.append(s)
    fds = [s.fileno()] + [os.dup(s.fileno()) for _ in range(N_FDS - 1)]
    return {"expect": [[ino(s), [[os.getpid(), 0, sorted(fds)]]]]}


def netns_holder():
    """Sockets of a namespace no process lives in: made in a new one, then
    the process goes back to the test's. No bind mount keeps it; an address
    of 0.0.0.0 needs no loopback up."""
    root = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    libc_call("unshare", ctypes.c_int(CLONE_NEWNET))
    netns = os.stat("/proc/self/ns/net").st_ino
    t = socket.socket()
    t.bind(("0.0.0.0", 0))
    t.listen(4)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", 0))
    KEEP.extend([t, u])
    libc_call("setns", ctypes.c_int(root), ctypes.c_int(CLONE_NEWNET))
    os.close(root)
    me = os.getpid()
    return {"expect": [[ino(t), [[me, 0, [t.fileno()]]]], [ino(u), [[me, 0, [u.fileno()]]]]],
            "netns": netns, "after": os.stat("/proc/self/ns/net").st_ino}


def nobody_holder():
    """A listener of nobody's (a dumpable process: its fds readable by nobody)."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    prctl(4, 1)  # PR_SET_DUMPABLE
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    KEEP.append(s)
    return {"expect": [[ino(s), [[os.getpid(), 0, [s.fileno()]]]]]}


# --------------------------------------------------------------------------
# Running whosock.
# --------------------------------------------------------------------------

def run(args, user=None):
    argv = [WHOSOCK] + args
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
    p = subprocess.run(argv, capture_output=True, timeout=300)
    return p.returncode, p.stdout, decoded(p.stderr), wstest.shell_line([WHOSOCK] + args, user)


def owners_of(row):
    """(pid, tid, fds) of every owner, in the order given."""
    return [(o.get("pid"), o.get("tid", 0), o.get("fds")) for o in row.get("owners") or []]


def by_inode(rows):
    return {r["inode"]: r for r in rows if r.get("inode")}


def bpf_built():
    """Whether this whosock has the BPF pass: as root it says so only when
    it was not built in."""
    rc, out, err, where = run(["--owners-from", "bpf", "--host-only", "-t", "-o", "json"])
    T.eq(rc, 0, "%s: exit status" % where, err)
    return NOT_BUILT not in err, err


def loaded_progs():
    """Ids of loaded BPF programs named as whosock's."""
    p = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return [x.get("id") for x in json.loads(p.stdout or "[]") if x.get("name") in PROG_NAMES]


def links_of(progs):
    """Ids of BPF links attached to those programs."""
    p = subprocess.run(["bpftool", "link", "show", "-j"], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return [x.get("id") for x in json.loads(p.stdout or "[]") if x.get("prog_id") in progs]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


# --------------------------------------------------------------------------
# 1. The same load, both ways.
# --------------------------------------------------------------------------

def sec_same_answer(sc, built):
    own_netns = os.stat("/proc/self/ns/net").st_ino
    kids = {
        "a. shared after fork": sc.kid(wstest.spawn(shared_holder)),
        "b. thread with its own fd table": sc.kid(wstest.spawn(thread_holder)),
        "c. %d fds on one socket" % N_FDS: sc.kid(wstest.spawn(many_fds_holder)),
        "d. namespace kept only by held sockets": sc.kid(wstest.spawn(netns_holder)),
    }
    held = kids["d. namespace kept only by held sockets"]
    T.ok(held["netns"] != own_netns and held["after"] == own_netns,
         "the holder of the namespace's sockets made it (%d) and went back (%d, want %d)"
         % (held["netns"], held["after"], own_netns))
    expect = {}
    for what, k in kids.items():
        for inode, owners in k["expect"]:
            expect[inode] = (what, [(p, t, fds) for p, t, fds in owners])

    rows = {}
    for src in ("bpf", "proc"):
        rc, out, err, where = run(["--owners-from", src, "-o", "json"])
        if not T.eq(rc, 0, "%s: exit status" % where, err):
            return
        rows[src] = json.loads(decoded(out))
        print("  %s: %d rows" % (where, len(rows[src])), flush=True)
        if src == "bpf" and built:
            T.ok(FALLBACK not in err, "%s: the BPF pass was not used" % where, err)
        if src == "proc":
            T.ok(FALLBACK not in err, "%s: a note about BPF, which it did not want" % where, err)
    bpf, proc = by_inode(rows["bpf"]), by_inode(rows["proc"])

    for inode, (what, want) in sorted(expect.items()):
        if UNDER_VALGRIND and what.startswith("d."):
            continue  # valgrind lacks pidfd_open: that namespace is not found (test_netns.py)
        for src, got in (("bpf", bpf), ("proc", proc)):
            r = got.get(inode)
            if not T.ok(r is not None, "--owners-from %s: %s: no row for inode %d" % (src, what, inode)):
                continue
            have = owners_of(r)
            T.ok(have == want, "--owners-from %s: %s: owners of inode %d" % (src, what, inode),
                 "got  %s\nwant %s" % (str(have)[:300], str(want)[:300]))
            if what.startswith("d."):
                T.eq(r.get("netns"), held["netns"], "--owners-from %s: %s: netns of inode %d" % (src, what, inode))

    # Every socket of the test's namespace (and the held one): the same
    # owners both ways. Elsewhere other programs may come and go between
    # the two runs.
    mine = {i for i, r in bpf.items() if r.get("netns") in (own_netns, held["netns"])}
    mine |= {i for i, r in proc.items() if r.get("netns") in (own_netns, held["netns"])}
    differ = []
    for i in sorted(mine):
        a, b = bpf.get(i), proc.get(i)
        if a is None or b is None or owners_of(a) != owners_of(b):
            differ.append("inode %d: bpf %s, proc %s" % (i, str(a and owners_of(a))[:120],
                                                          str(b and owners_of(b))[:120]))
    T.ok(not differ, "%d of %d sockets of the test's namespaces have other owners from bpf than from proc"
         % (len(differ), len(mine)), "\n".join(differ[:20]))
    print("  %d sockets compared (%d of them the load's)" % (len(mine), len(expect)), flush=True)

    # Two whosocks side by side: each loads its own programs through its
    # own links; neither sees the other's, both give the load's owners.
    argv = [WHOSOCK, "--owners-from", "bpf", "-o", "json"]
    for attempt in range(3):
        ps = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in ps]
        for p, (out, err) in zip(ps, outs):
            if not T.eq(p.returncode, 0, "two side by side: %s: exit status" % wstest.shell_line(argv), err):
                continue
            got = by_inode(json.loads(decoded(out)))
            if built:
                T.ok(FALLBACK not in decoded(err), "two side by side: the BPF pass was not used", decoded(err))
            for inode, (what, want) in sorted(expect.items()):
                # Not d.: while one whosock traces a held socket it holds
                # that namespace open for an instant, the other may find it
                # through that fd, and then fail to enter it once closed
                # ("cannot enter it (No such file or directory)"): a race of
                # the namespace search, the same with --owners-from proc.
                if what.startswith("d."):
                    continue
                r = got.get(inode)
                T.ok(r is not None and owners_of(r) == want,
                     "two side by side (round %d): %s: owners of inode %d" % (attempt + 1, what, inode),
                     "got  %s\nwant %s" % (str(r and owners_of(r))[:300], str(want)[:300]))

    if built:
        progs = loaded_progs()
        if T.ok(progs is not None, "bpftool prog show failed"):
            T.eq(progs, [], "BPF programs named %s loaded after whosock exited" % (PROG_NAMES,))
        sec_killed()


def sec_killed():
    """kill -9 while the programs are loaded and an iterator attached:
    strace slows every bpf() call of whosock down (300 ms), so that its
    link is seen, then whosock is killed; nothing of it may stay loaded or
    attached."""
    if shutil.which("strace") is None:
        T.ok(False, "strace not found: the kill -9 check needs it (Debian: strace)")
        return
    argv = ["strace", "-f", "-o", os.devnull, "-e", "trace=bpf", "-e", "inject=bpf:delay_exit=300000",
            WHOSOCK, "--owners-from", "bpf", "--host-only", "-t"]
    st = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, victim = [], None
    try:
        for _ in range(300):  # at most 30 s: whosock makes a few dozen bpf() calls
            seen = loaded_progs() or []
            kids = children(st.pid)
            # Loaded and attached: an iterator's link exists.
            if seen and kids and links_of(seen):
                victim = kids[0]
                break
            if st.poll() is not None:
                break
            threading.Event().wait(0.1)
        T.ok(victim is not None, "whosock's programs were never seen loaded and attached (under strace: %s)"
             % wstest.shell_line(argv), decoded(st.stderr.read()) if st.poll() is not None else "")
        if victim is not None:
            links = links_of(seen) or []
            os.kill(victim, signal.SIGKILL)
            print("  killed whosock (pid %d) with programs %s and links %s loaded" % (victim, seen, links),
                  flush=True)
    finally:
        if st.poll() is None:
            st.wait(timeout=60)
        st.stderr.close()
    if victim is not None:
        T.eq(loaded_progs(), [], "after kill -9: BPF programs named %s still loaded" % (PROG_NAMES,))
        T.eq(links_of(seen), [], "after kill -9: links of programs %s still attached" % seen)


# --------------------------------------------------------------------------
# 2. The per-boot cache of the programs.
# --------------------------------------------------------------------------

def cache_file(name):
    return os.path.join(CACHE_DIR, name + ".prog")


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def check_cached(where):
    """Both files are there, whole, root's alone, of this boot."""
    st = os.lstat(CACHE_DIR)
    T.ok(stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o700,
         "%s: %s: want a directory of root's, mode 0700" % (where, CACHE_DIR), oct(st.st_mode))
    for name in PROG_NAMES:
        path = cache_file(name)
        try:
            st = os.lstat(path)
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            T.ok(False, "%s: %s: %s" % (where, path, e))
            continue
        T.ok(stat.S_ISREG(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600,
             "%s: %s: want a file of root's, mode 0600" % (where, path), oct(st.st_mode))
        T.ok(data[:8] == b"WSBPFPRG" and boot_id().encode() in data[:96] and len(data) > 96
             and (len(data) - 96) % 8 == 0,
             "%s: %s: want a whole file of this boot (header, then instructions)" % (where, path),
             repr(data[:64]))


def spoil(how, name, tmp):
    path = cache_file(name)
    if how == "missing":
        os.unlink(path)
    elif how == "cut short":
        os.truncate(path, 50)
    elif how == "of another boot":
        with open(path, "r+b") as f:
            f.seek(16)
            f.write(b"00000000-0000-0000-0000-000000000000")
    elif how == "writable by others":
        os.chmod(path, 0o622)
    elif how == "a symlink":
        good = os.path.join(tmp, name + ".prog")
        shutil.copy(path, good)
        os.unlink(path)
        os.symlink(good, path)


def sec_cache(sc, built):
    if not built:
        NOTES.append("no BPF pass: the program cache is not checked")
        return
    k = sc.kid(wstest.spawn(shared_holder))
    want = {inode: [tuple(o) for o in owners] for inode, owners in k["expect"]}
    args = ["--owners-from", "bpf", "--host-only", "-o", "json"]
    tmp = sc.tmpdir()

    def listed(where):
        rc, out, err, _ = run(args)
        if not T.eq(rc, 0, "%s: exit status" % where, err):
            return
        T.ok(FALLBACK not in err, "%s: the BPF pass was not used" % where, err)
        rows = by_inode(json.loads(decoded(out)))
        for inode, owners in want.items():
            r = rows.get(inode)
            T.ok(r is not None and owners_of(r) == owners,
                 "%s: owners of inode %d" % (where, inode),
                 "got %s, want %s" % (r and owners_of(r), owners))

    listed("a first run")
    check_cached("after a run")
    # A run from the cache does not read the kernel's BTF. (Another
    # whosock of a test beside this one may spoil nothing: it writes the
    # same files, whole, under another name first.)
    trace = os.path.join(tmp, "strace.out")
    # LeakSanitizer cannot run under ptrace: the ASan build's leaks are
    # checked by every other run of this test.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    p = subprocess.run(["strace", "-f", "-o", trace, "-e", "trace=open,openat", WHOSOCK] + args,
                       capture_output=True, timeout=300, env=env)
    T.eq(p.returncode, 0, "under strace: exit status", decoded(p.stderr))
    with open(trace) as f:
        opened = [l for l in f if KERNEL_BTF in l]
    T.ok(not opened, "a run with both programs cached opened %s" % KERNEL_BTF, "".join(opened[:3]))
    for how in ("missing", "cut short", "of another boot", "writable by others", "a symlink"):
        for name in PROG_NAMES:
            spoil(how, name, tmp)
        listed("the cache files %s" % how)
        check_cached("after a run with the files %s" % how)
        print("  cache files %s: a miss, loaded through libbpf, stored again" % how, flush=True)


# --------------------------------------------------------------------------
# 3. Refused: as nobody.
# --------------------------------------------------------------------------

def sec_refused(sc, built):
    k = sc.kid(wstest.spawn(nobody_holder))
    inode, want = k["expect"][0]
    want = [tuple(o) for o in want]
    for src in ("bpf", "auto", "proc"):
        rc, out, err, where = run(["--owners-from", src, "--host-only", "-t", "-o", "json"], user=NOBODY)
        if not T.eq(rc, 0, "%s: exit status" % where, err):
            continue
        notes = [l for l in err.splitlines() if FALLBACK in l]
        if src == "proc":
            T.eq(notes, [], "%s: notes about BPF" % where)
        elif built:
            T.ok(len(notes) == 1 and ("needs CAP_BPF" in notes[0] or "Operation not permitted" in notes[0]
                                      or "Permission denied" in notes[0]),
                 "%s: want one note that the BPF load was refused (EPERM), and the fallback" % where, err)
            print("  %s: %s" % (where, notes[0] if notes else "(no note)"), flush=True)
        else:
            T.ok(len(notes) == (1 if src == "bpf" else 0) and all(NOT_BUILT in n for n in notes),
                 "%s: want %s" % (where, "one note that BPF is not built in" if src == "bpf"
                                  else "no note (auto, BPF not built in)"), err)
        rows = by_inode(json.loads(decoded(out)))
        r = rows.get(inode)
        if T.ok(r is not None, "%s: no row for nobody's listener (inode %d)" % (where, inode)):
            T.eq(owners_of(r), want, "%s: owners of nobody's listener" % where)
    for bad in ("kernel", "", "BPF"):
        rc, out, err, where = run(["--owners-from", bad])
        T.ok(rc == 2 and "invalid owner source" in err, "%s: want exit 2 and a message" % where,
             "exit %d, %r" % (rc, err))
    rc, out, err, where = run(["--owners-from", "bpf", "--owners-from", "proc"])
    T.ok(rc == 2 and "--owners-from" in err, "%s: given twice: want exit 2 and a message" % where, err)


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    built, err = bpf_built()
    print("whosock: %s%s, %s" % (WHOSOCK, " (under valgrind)" if UNDER_VALGRIND else "",
                                 "with BPF" if built else "without BPF: %s" % err.strip()), flush=True)
    if not built:
        NOTES.append("this whosock has no BPF pass (-Dbpf=disabled or missing tools): "
                     "both sources are the /proc walk; only the fallback and its note are checked")
    try:
        T.run_section("1. one load, --owners-from bpf and proc: the same owners", sec_same_answer, built)
        T.run_section("2. the per-boot program cache: used, and every bad file a miss", sec_cache, built)
        T.run_section("3. as nobody: the BPF load refused, /proc used, one note", sec_refused, built)
    finally:
        kill_all_kids()
    return T.summary(NOTES)


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces and to load BPF",
                tools=("unshare", "ip", "setpriv", "bpftool", "strace"))
