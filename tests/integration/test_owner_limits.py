#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: owners at the limits of what whosock can read.

The test re-executes itself inside a fresh network namespace (`unshare -n`),
so every socket whosock lists there is one this test created. Sections:

   1. one process, with a command line of about 1 MiB, holding one TCP
      listener through 15,000 fds: `whosock --pid P -o json` gives one owner
      whose "fds" are all 15,000, ascending, "fd" the lowest; that socket's
      JSON is under 1 MiB; whosock's peak RSS (wait4's ru_maxrss, taken by
      bench/runone, a small C parent) is at most 32 MiB, for the JSON and for the table (which names the process
      once). Under valgrind (WHOSOCK_REAL set) the RSS bound is not checked
      (valgrind's own memory); the content still is.
   2. whosock with a low RLIMIT_NOFILE (prlimit --nofile=N, N rising from 4):
      every run either shows the listener with its owner, or exits 0 with a
      note that processes were not read, or fails with a message; never the
      listener missing or ownerless without a word. At least one run must
      have hit the limit while listing (the note case).
   3. whosock in a PID namespace of its own (unshare -pf --mount-proc): the
      test's listener is held by a process outside that namespace, so it
      has no owner, and a note says why; outside, no such note.

Environment: WHOSOCK = path to the binary (set by
tests/integration/meson.build). Exit 0 pass, 1 fail, 77 skip (not root or no
namespaces). Python 3 standard library only.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile

import wstest
from wstest import decoded, fmt_row, ino, kill_all_kids

WHOSOCK = wstest.whosock_path()
UNDER_VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))  # WHOSOCK is then whosock-valgrind
BUILD = os.path.dirname(os.path.abspath(os.environ.get("WHOSOCK_REAL") or WHOSOCK))
RUNONE = os.path.join(BUILD, "bench", "runone")
T = wstest.Checker(scope=wstest.Scope)

N_FDS = 15000
ARGV_CHUNK, ARGV_CHUNKS = 100000, 10  # one argument may hold at most 128 KiB
MAX_RSS_KIB = 32 * 1024
MAX_ROW_BYTES = 1 << 20

# The process holding one listener through N_FDS fds: raises its soft
# RLIMIT_NOFILE to the hard limit (raising that too when allowed), says
# where it is on stdout, then waits for stdin to close.
HOLDER = r"""
import ctypes, json, os, resource, socket, sys
ctypes.CDLL(None).prctl(1, ctypes.c_ulong(9), 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
n = int(os.environ["HOLDER_FDS"])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 16:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 16, n + 16))
    except (OSError, ValueError):
        pass
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
fds = [s.fileno()] + [os.dup(s.fileno()) for _ in range(n - 1)]
print(json.dumps({"pid": os.getpid(), "port": s.getsockname()[1], "inode": os.fstat(s.fileno()).st_ino,
                  "fds": sorted(fds)}), flush=True)
sys.stdin.read()
"""


def run_measured(argv):
    """Run argv; returns (exit status, stdout bytes, stderr text, peak RSS in
    KiB). The RSS is wait4's ru_maxrss, taken by bench/runone: the kernel
    records a process's peak RSS at execve() from the memory it had just
    before, so a command forked straight from this Python would report at
    least the interpreter's RSS (18 MiB here), not whosock's."""
    with tempfile.NamedTemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run([RUNONE, "-o", out.name, "-t", "300", "--"] + argv, stdout=subprocess.PIPE,
                           stderr=err, stdin=subprocess.DEVNULL, timeout=330)
        err.seek(0)
        etext = decoded(err.read())
        m = dict(kv.split("=", 1) for kv in decoded(p.stdout).split())
        if p.returncode != 0 or "maxrss_kb" not in m:
            raise RuntimeError("%s failed (%d): %s %s" % (RUNONE, p.returncode, decoded(p.stdout), etext))
        return int(m["status"]), out.read(), etext, int(m["maxrss_kb"])


def check_rss(kib, what):
    if UNDER_VALGRIND:
        print("  %s: peak RSS %d KiB not checked: whosock runs under valgrind (its own memory)" % (what, kib))
        return
    print("  %s: peak RSS %d KiB (bound %d KiB)" % (what, kib, MAX_RSS_KIB), flush=True)
    T.ok(kib <= MAX_RSS_KIB, "%s: peak RSS %d KiB, more than %d KiB" % (what, kib, MAX_RSS_KIB))


# --------------------------------------------------------------------------
# 1. 15,000 fds and a 1 MiB command line.
# --------------------------------------------------------------------------

def sec_many_fds(sc):
    argv = [sys.executable, "-c", HOLDER] + ["x" * ARGV_CHUNK] * ARGV_CHUNKS
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         env=dict(os.environ, HOLDER_FDS=str(N_FDS)))
    k = sc.kid(wstest.popen_kid(p, "the holder of %d fds" % N_FDS, timeout=120))
    want_fds = k["fds"]
    with open("/proc/%d/cmdline" % k.pid, "rb") as f:
        cmdline_len = len(f.read())
    print("  holder %d: 127.0.0.1:%d (inode %d) through %d fds (%d..%d), command line %d bytes"
          % (k.pid, k["port"], k["inode"], len(want_fds), want_fds[0], want_fds[-1], cmdline_len), flush=True)
    if not T.eq(len(want_fds), N_FDS, "fds the holder opened"):
        return

    args = ["--host-only", "--pid", str(k.pid), "-o", "json"]
    where = wstest.shell_line([WHOSOCK] + args)
    rc, out, err, rss = run_measured([WHOSOCK] + args)
    if not T.eq(rc, 0, "%s: exit status" % where, err):
        return
    check_rss(rss, where)
    rows = json.loads(out.decode("utf-8"))
    mine = [r for r in rows if r.get("inode") == k["inode"]]
    if not T.eq(len(mine), 1, "%s: rows for the holder's listener (inode %d)" % (where, k["inode"]),
                "\n".join(fmt_row(r)[:300] for r in rows)):
        return
    r = mine[0]
    row_bytes = len(json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogateescape"))
    print("  the listener's JSON: %d bytes (whole output %d bytes)" % (row_bytes, len(out)), flush=True)
    T.ok(row_bytes < MAX_ROW_BYTES, "%s: the listener's JSON is %d bytes, want under %d" % (where, row_bytes, MAX_ROW_BYTES))
    owners = r.get("owners") or []
    if not T.eq([o.get("pid") for o in owners], [k.pid], "%s: owners' pids (one entry per process)" % where):
        return
    o = owners[0]
    T.ok(o.get("fds") == want_fds, "%s: \"fds\" is not the holder's %d fds in ascending order" % (where, N_FDS),
         "got %d fds, first %r, want %r..." % (len(o.get("fds") or []), (o.get("fds") or [])[:5], want_fds[:5]))
    T.eq(o.get("fd"), want_fds[0], "%s: \"fd\" (the lowest)" % where)
    T.ok("tid" not in o, "%s: the owner has a tid, but no thread has a table of its own" % where)
    T.ok(isinstance(o.get("cmdline"), str) and o["cmdline"].startswith(sys.executable + " -c")
         and o.get("cmdline_truncated") is True,
         "%s: the owner's cmdline is not the start of the holder's %d-byte command line, marked truncated"
         % (where, cmdline_len), repr((o.get("cmdline") or "")[:100]) + " truncated=%r" % o.get("cmdline_truncated"))

    args = ["--host-only", "--pid", str(k.pid)]
    where = wstest.shell_line([WHOSOCK] + args)
    rc, out, err, rss = run_measured([WHOSOCK] + args)
    if T.eq(rc, 0, "%s: exit status" % where, err):
        check_rss(rss, where)
        lines = [l for l in out.split(b"\n") if b":%d " % k["port"] in l]
        T.ok(len(lines) == 1 and lines[0].split()[-1].count(b"(%d)" % k.pid) == 1,
             "%s: want one line for port %d naming the holder once" % (where, k["port"]), decoded(out))


# --------------------------------------------------------------------------
# 2. whosock out of file descriptors.
# --------------------------------------------------------------------------

def thread_holder():
    """A listener opened by a thread after unshare(CLONE_FILES): only that
    thread's own fd table holds it, the deepest walk of the scan."""
    import ctypes
    import threading
    res, done = {}, threading.Event()

    def body():
        try:
            if wstest.LIBC.unshare(ctypes.c_int(0x400)) != 0:  # CLONE_FILES
                raise OSError(ctypes.get_errno(), "unshare(CLONE_FILES)")
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            res.update(sock=s, fd=s.fileno(), inode=ino(s), port=s.getsockname()[1],
                       tid=threading.get_native_id())
        except BaseException as e:
            res["error"] = repr(e)
        done.set()
        threading.Event().wait()

    threading.Thread(target=body, daemon=True).start()
    done.wait()
    if "error" in res:
        raise RuntimeError(res["error"])
    KEEP.append(res.pop("sock"))
    return res


KEEP = []


def sec_fd_limit(sc):
    k = sc.kid(wstest.spawn(thread_holder))
    print("  holder %d, thread %d: 127.0.0.1:%d (inode %d) in the thread's own fd table"
          % (k.pid, k["tid"], k["port"], k["inode"]), flush=True)
    seen = {"owners": 0, "note": 0, "error": 0}
    n = 4
    while n <= 96:
        args = ["--host-only", "--pid", str(k.pid), "-o", "json"]
        argv = ["prlimit", "--nofile=%d:%d" % (n, n), WHOSOCK] + args
        where = wstest.shell_line(argv)
        p = subprocess.run(argv, capture_output=True, timeout=120)
        err = decoded(p.stderr)
        n += 1
        if p.returncode != 0:
            # Out of fds before it could list anything: an error is fine
            # when it says so (valgrind may fail to start without a word).
            T.ok(err.strip() or UNDER_VALGRIND, "%s: exit status %d without a message" % (where, p.returncode))
            T.ok(p.returncode != 99, "%s: valgrind found errors" % where, err)
            seen["error"] += 1
            continue
        rows = json.loads(p.stdout.decode("utf-8"))
        mine = [r for r in rows if r.get("inode") == k["inode"]]
        owners = [(o.get("pid"), o.get("fds"), o.get("tid")) for o in (mine[0]["owners"] if mine else [])]
        if owners == [(k.pid, [k["fd"]], k["tid"])]:
            seen["owners"] += 1
            break
        if "not read" in err:
            seen["note"] += 1
            continue
        T.ok(False, "%s: exit 0, the listener %s, and no note that processes were not read"
             % (where, "without its owner" if mine else "missing"), err + "\n" + decoded(p.stdout)[:2000])
    print("  runs with RLIMIT_NOFILE 4..%d: %d failed with a message, %d noted unread processes, then owners shown"
          % (n - 1, seen["error"], seen["note"]), flush=True)
    T.ok(seen["owners"] == 1, "no run up to RLIMIT_NOFILE %d showed the listener's owner" % (n - 1))
    T.ok(seen["note"] >= 1, "no run hit the fd limit while reading processes (the case under test)")


# --------------------------------------------------------------------------
# 3. A PID namespace of its own.
# --------------------------------------------------------------------------

def sec_pidns(sc):
    L = sc.s(socket.socket())
    L.bind(("127.0.0.1", 0))
    L.listen(4)
    port = L.getsockname()[1]
    for inside in (False, True):
        argv = (["unshare", "-pf", "--mount-proc"] if inside else []) + [WHOSOCK, "--host-only", "-o", "json"]
        where = wstest.shell_line(argv)
        p = subprocess.run(argv, capture_output=True, timeout=120)
        err = decoded(p.stderr)
        if not T.eq(p.returncode, 0, "%s: exit status" % where, err):
            continue
        rows = json.loads(p.stdout.decode("utf-8"))
        mine = [r for r in rows if r.get("inode") == ino(L)]
        if not T.eq(len(mine), 1, "%s: rows for the test's listener 127.0.0.1:%d" % (where, port), decoded(p.stdout)):
            continue
        noted = "PID namespace" in err
        if inside:
            T.eq(mine[0]["owners"], [], "%s: owners of a listener held outside the PID namespace" % where)
            T.ok(noted, "%s: no note says why the listener has no owner (held outside whosock's PID namespace)"
                 % where, err)
            print("  inside: %s" % err.strip().replace("\n", "\n          "), flush=True)
        else:
            T.eq(wstest.pairs(mine[0]["owners"]), [(os.getpid(), L.fileno())], "%s: owners" % where)
            T.ok(not noted, "%s: a PID namespace note outside any PID namespace" % where, err)


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    print("whosock: %s%s" % (WHOSOCK, " (under valgrind)" if UNDER_VALGRIND else ""), flush=True)
    try:
        T.run_section("1. one socket through %d fds, a 1 MiB command line: one owner, bounded memory" % N_FDS,
                      sec_many_fds)
        T.run_section("2. whosock out of fds (prlimit): owners, a note, or an error; never silence", sec_fd_limit)
        T.run_section("3. in a PID namespace of its own: sockets held outside get a note", sec_pidns)
    finally:
        kill_all_kids()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network and PID namespaces",
                tools=("unshare", "ip", "prlimit"))
