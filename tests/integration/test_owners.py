#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: whosock's owners (which processes hold each socket).

The test re-executes itself inside a fresh network namespace (`unshare -n`),
so every socket whosock lists there is one this test created. Each section
sets up its own sockets and child processes and tears them down afterwards:

   1. a TCP listener shared by the test and two forked children (one of them
      holds it at another fd, the test at two fds): one row, one owner per
      process with every fd in "fds" and the lowest in "fd", each process
      once in the table's PROCESS column (-e: user);
   2. a thread that unshare(CLONE_FILES)'d its fd table and opened a
      listener there: the owner carries that thread's tid;
   3. processes renamed (PR_SET_NAME) to names with ESC, ')', a newline, a
      backslash and invalid UTF-8: escaped in the table, exact bytes in JSON;
   4. whosock run as nobody: its own socket's owner shown, root's hidden,
      exit 0, a note on stderr;
   5. owners equal `ss -tuanpH`'s users:(...) for every TCP/UDP socket;
   6. --pid, --comm, --user, --cmdline (substring and ERE), --no-owners;
   7. [ADDR]:PORT[/PROTO] queries and their exit status (0, 1, 2);
   8. UNIX connections: peer_owners, and the table's `peer [comm(pid)]`;
   9. examples/owners PORT prints `tcp PORT <pid> <comm>`, hostile names
      escaped (whosock_escape_term()) as in the table;
  10. 20 runs while processes fork, open, close and exit: every run exits 0,
      parses, and every owner (pid, fd) really held that socket.

Environment: WHOSOCK = path to the binary, WHOSOCK_EXAMPLE_OWNERS = path of
the built examples/owners, WHOSOCK_SRC = source root (all set by
tests/integration/meson.build). Exit 0 pass, 1 fail, 77 skip (not root or no
namespaces). Every failure prints what differed and how to reproduce it.
Python 3 standard library only.
"""

import collections
import ctypes
import json
import os
import re
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import traceback

import wstest
from wstest import (LIBC, PR_SET_PDEATHSIG, SS_STATE, canon_addr, decoded, fmt_row, ino, kill_all_kids, pairs,
                    prctl, spawn, ss_endpoint)

NOBODY = 65534

PR_SET_DUMPABLE = 4
PR_SET_NAME = 15
CLONE_FILES = 0x400


def example_path():
    p = os.environ.get("WHOSOCK_EXAMPLE_OWNERS")
    if p:
        return p
    return os.path.join(os.path.dirname(wstest.whosock_path()), "examples", "owners")


NOTES = set()  # observations that are not failures, printed once at the end


# --------------------------------------------------------------------------
# libc through ctypes: prctl and unshare.
# --------------------------------------------------------------------------

def set_comm(name):
    """PR_SET_NAME: the kernel keeps the first 15 bytes, whatever they are."""
    prctl(PR_SET_NAME, name)


def unshare_files():
    """unshare(CLONE_FILES) for the calling thread: it gets a private copy of
    the fd table; fds it opens afterwards exist only there."""
    if LIBC.unshare(ctypes.c_int(CLONE_FILES)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "unshare(CLONE_FILES): %s" % os.strerror(e))


def drop_to_nobody():
    """Become nobody, and stay dumpable: a process that changed its uid is
    made non-dumpable (fs.suid_dumpable=0) and then even its own user cannot
    read its /proc/PID/fd; a daemon started as nobody would be dumpable."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    prctl(PR_SET_DUMPABLE, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the uid change


# --------------------------------------------------------------------------
# Child processes (wstest.spawn, wstest.Kid): every one is killed at the end
# of its section (and at exit); each also dies with the test
# (PR_SET_PDEATHSIG and a pipe whose write end only the test holds).
# --------------------------------------------------------------------------

KEEP = []  # in a child: objects that must stay alive (sockets, threads)


# A program for children that need an argv of their own (--cmdline): renames
# itself (argv[1]), opens a TCP listener and a UDP socket on 127.0.0.1, says
# so on stdout, then waits for stdin to close.
EXEC_CHILD = r"""
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(1, ctypes.c_ulong(9), 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
libc.prctl(15, ctypes.c_char_p(sys.argv[1].encode()), 0, 0, 0)  # PR_SET_NAME
uid = int(os.environ.get("OWNERS_UID", "0"))
if uid:
    # dropped here, after exec: nobody may not be able to exec this python
    # (e.g. one under /root); dumpable, as a daemon started as that user is
    os.setgroups([]); os.setgid(uid); os.setuid(uid)
    libc.prctl(4, ctypes.c_ulong(1), 0, 0, 0)  # PR_SET_DUMPABLE
    libc.prctl(1, ctypes.c_ulong(9), 0, 0, 0)  # PR_SET_PDEATHSIG, cleared by setuid
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(4)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
socks = [t, u]
print(json.dumps({"pid": os.getpid(), "socks": [[s.fileno(), os.fstat(s.fileno()).st_ino] for s in socks],
                  "port": t.getsockname()[1]}), flush=True)
sys.stdin.read()
"""


def spawn_exec(argv_tail, user=None):
    env = dict(os.environ, OWNERS_UID=str(user or 0))
    p = subprocess.Popen([sys.executable, "-c", EXEC_CHILD] + list(argv_tail), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, close_fds=True, env=env)
    return wstest.popen_kid(p, repr(argv_tail))


class Scope(wstest.Scope):
    """What one section created: closed/killed when the section ends."""

    TMP_PREFIX = "whosock-owners-"
    TMP_MODE = 0o755

    def spawn(self, fn, keep=(), loop=None):
        return self.kid(spawn(fn, keep, loop))

    def spawn_exec(self, argv_tail, user=None):
        return self.kid(spawn_exec(argv_tail, user))


# Collects every failure, prints them all, never stops at the first.
T = wstest.Checker(scope=Scope)


# --------------------------------------------------------------------------
# Sockets.
# --------------------------------------------------------------------------

def tcp_listener(addr="127.0.0.1", port=0, v6only=None):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    s.listen(16)
    return s


def udp_socket(addr="127.0.0.1", port=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    return s


def used_ports():
    """Local ports of every TCP/UDP socket in this namespace, TIME_WAIT too."""
    ports = set()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open("/proc/net/" + name) as f:
                for line in f.readlines()[1:]:
                    ports.add(int(line.split()[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def free_port(avoid=()):
    """A port no TCP or UDP socket in this namespace has as its local port."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p not in avoid and p not in used_ports():
            return p


def my_comm():
    with open("/proc/self/comm", "rb") as f:
        return f.read().rstrip(b"\n").decode("utf-8", "surrogateescape")


def my_cmdline():
    with open("/proc/self/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "surrogateescape")


def my_cgroup():
    """The cgroup v2 path ("0::PATH"), or None when there is no v2 line."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


# --------------------------------------------------------------------------
# Running whosock.
# --------------------------------------------------------------------------

WHOSOCK = wstest.whosock_path()


def cmdline(args, user=None):
    return wstest.shell_line([WHOSOCK, "--host-only"] + list(args), user)


def run_ws(args, user=None, exe=None):
    kw = {}
    if user is not None:
        kw = {"user": user, "group": user, "extra_groups": []}
    # Only this namespace (the default is every one): the checks compare with ss here.
    cmd = [exe] + list(args) if exe else [WHOSOCK, "--host-only"] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr


def repro(args, user=None):
    return "reproduce inside the test's netns: %s" % cmdline(args, user)


def ws_json(args, what=None, user=None, want_rc=0):
    """Run whosock with -o json added; return (rows, stderr text), rows None
    when it failed (the failure is recorded)."""
    args = list(args) + ["-o", "json"]
    rc, out, err = run_ws(args, user)
    etext = err.decode("utf-8", "replace")
    where = "%s (%s)" % (what or "whosock", repro(args, user))
    if not T.eq(rc, want_rc, "%s exit status" % where, etext):
        return None, etext
    try:
        text = out.decode("utf-8")  # strict: invalid bytes must be \udcXX-escaped
    except UnicodeDecodeError as e:
        T.ok(False, "%s: output is not valid UTF-8: %s" % (where, e))
        return None, etext
    try:
        data = json.loads(text)
    except ValueError as e:
        pos = getattr(e, "pos", 0) or 0
        T.ok(False, "%s: output does not parse with json.loads: %s" % (where, e),
             "around the error: ..." + text[max(0, pos - 300):pos] + " <<<HERE>>> " + text[pos:pos + 100])
        return None, etext
    if not T.ok(isinstance(data, list) and all(isinstance(r, dict) for r in data),
                "%s: top level is not an array of objects" % where, text[:500]):
        return None, etext
    bad = [r for r in data if not isinstance(r.get("owners"), list)
           or not all(isinstance(o, dict) for o in r["owners"])]
    if not T.ok(not bad, "%s: rows without an \"owners\" array of objects" % where,
                "\n".join(fmt_row(r) for r in bad[:5])):
        return None, etext
    shape = ["inode %s: %s" % (r.get("inode"), p) for r in data for p in wstest.owner_problems(r["owners"])]
    T.ok(not shape, "%s: owners not one entry per process with sorted \"fds\" and \"fd\" their lowest" % where,
         "\n".join(shape[:10]))
    return data, etext


def rows_by_inode(rows, inode):
    return [r for r in rows if r.get("inode") == inode]


def one_row(rows, inode, what, where):
    m = rows_by_inode(rows, inode)
    if T.ok(len(m) == 1, "%s: %s (inode %d) appears %d times, want once" % (where, what, inode, len(m)),
            "\n".join(fmt_row(r) for r in m) or "(rows: %s)" % ", ".join(fmt_row(r) for r in rows[:20])):
        return m[0]
    return None


def check_owner_pairs(row, want, what, where, key="owners"):
    got = pairs(row.get(key))
    return T.ok(got == sorted(want), "%s: %s %s (pid, fd): got %r, want %r" % (where, what, key, got, sorted(want)),
                fmt_row(row))


def comm_bytes(o):
    c = o.get("comm")
    return None if c is None else c.encode("utf-8", "surrogateescape")


def inodes(rows):
    return sorted(r.get("inode") for r in rows)


def table(args, user=None, want_rc=0):
    """Run whosock's table view. Returns (ok, list of lines as bytes, stdout)."""
    rc, out, err = run_ws(args, user)
    if not T.eq(rc, want_rc, "%s: exit status (%s)" % (cmdline(args, user), repro(args, user)),
                err.decode("utf-8", "replace")):
        return False, [], out
    lines = out.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if "--no-header" not in args:
        head = lines[0].split() if lines else []
        if not T.eq(head, [b"PROTO", b"STATE", b"LOCAL", b"REMOTE", b"PROCESS"],
                    "%s: header columns" % cmdline(args, user), out.decode("utf-8", "replace")):
            return False, lines, out
    return True, lines, out


def lines_with(lines, needle):
    return [l for l in lines if needle in l]


PROC_ITEM = re.compile(rb"([^,()]+)\((\d+)(?:,([^)]*))?\)")


def process_cell(line):
    """The PROCESS column of a table line (the last column, simple names
    only) as [(comm, pid, user-or-None)], or None when it is not a
    comma-separated list of comm(pid)/comm(pid,user)."""
    f = line.split()
    if len(f) < 5:
        return []
    cell = f[-1]
    items = PROC_ITEM.findall(cell)
    rebuilt = b",".join(c + b"(" + p + ((b"," + u) if u else b"") + b")" for c, p, u in items)
    if rebuilt != cell:
        return None
    return [(c.decode("utf-8", "surrogateescape"), int(p), u.decode() if u else None) for c, p, u in items]


# --------------------------------------------------------------------------
# 1. A listener shared by three processes.
# --------------------------------------------------------------------------

def sec_shared(sc):
    me, comm = os.getpid(), my_comm()
    L = sc.s(tcp_listener("127.0.0.1"))
    port, fd = L.getsockname()[1], L.fileno()
    fd2 = os.dup(fd)  # the test holds it twice: two owners, one process in the table
    sc.fds.append(fd2)
    a = sc.spawn(lambda: {"fd": fd}, keep=[fd])

    def other_fd():
        os.dup2(fd, 200)
        os.close(fd)
        return {"fd": 200}
    b = sc.spawn(other_fd, keep=[fd])
    want = [(me, fd), (me, fd2), (a.pid, fd), (b.pid, 200)]
    print("  listener 127.0.0.1:%d inode %d: test %d (fds %d, %d), children %d (fd %d), %d (fd 200)"
          % (port, ino(L), me, fd, fd2, a.pid, fd, b.pid), flush=True)

    rows, _ = ws_json(["-t"], "whosock -t")
    if rows is not None:
        where = "whosock -t -o json"
        T.eq(len([r for r in rows if r["local"].get("port") == port]), 1,
             "%s: rows with local port %d" % (where, port))
        r = one_row(rows, ino(L), "the shared listener", where)
        if r and check_owner_pairs(r, want, "the shared listener", where):
            T.eq([(o.get("pid"), o.get("fd"), o.get("fds")) for o in r["owners"]],
                 sorted([(me, min(fd, fd2), sorted([fd, fd2])), (a.pid, fd, [fd]), (b.pid, 200, [200])]),
                 "%s: the shared listener's owners (pid, fd, fds): one per process" % where, fmt_row(r))
            cg = my_cgroup()
            diffs = []
            for o in r["owners"]:
                for k, v in (("comm", comm), ("uid", 0), ("user", "root"), ("cmdline", my_cmdline())):
                    if o.get(k) != v:
                        diffs.append("pid %s: %s: got %r, want %r" % (o.get("pid"), k, o.get(k), v))
                if cg is not None and o.get("cgroup") != cg:
                    diffs.append("pid %s: cgroup: got %r, want %r" % (o.get("pid"), o.get("cgroup"), cg))
                if "tid" in o:
                    diffs.append("pid %s: has a tid (%r) but no thread has a fd table of its own"
                                 % (o.get("pid"), o["tid"]))
                for k in ("pid", "fd", "fds", "comm", "cmdline", "uid", "user", "cgroup", "container"):
                    if k not in o:
                        diffs.append("pid %s: no %r field" % (o.get("pid"), k))
            T.ok(not diffs, "%s: owner fields of the shared listener" % where, "\n".join(diffs) + "\n" + fmt_row(r))

    for extended in (False, True):
        args = ["-t"] + (["-e"] if extended else [])
        good, lines, out = table(args)
        if not good:
            continue
        m = lines_with(lines, b" 127.0.0.1:%d " % port)
        if not T.eq(len(m), 1, "%s: lines for 127.0.0.1:%d" % (cmdline(args), port), decoded(out)):
            continue
        cell = process_cell(m[0])
        want_cell = sorted((comm, pid, "root" if extended else None) for pid in (me, a.pid, b.pid))
        T.ok(cell is not None and sorted(cell) == want_cell,
             "%s: PROCESS of 127.0.0.1:%d: got %r, want each of %s exactly once, joined by ','"
             % (cmdline(args), port, m[0].split()[-1],
                ", ".join("%s(%d%s)" % (c, p, "," + u if u else "") for c, p, u in want_cell)), decoded(out))


# --------------------------------------------------------------------------
# 2. A thread with a fd table of its own.
# --------------------------------------------------------------------------

def thread_child():
    before = tcp_listener("127.0.0.1")  # in the process's table, copied into the thread's
    KEEP.append(before)
    done = threading.Event()
    res = {}

    def body():
        try:
            unshare_files()
            s = tcp_listener("127.0.0.1")  # only in this thread's table now
            KEEP.append(s)
            res.update(fd=s.fileno(), inode=ino(s), port=s.getsockname()[1], tid=threading.get_native_id())
        except BaseException:
            res["error"] = traceback.format_exc()
        done.set()
        threading.Event().wait()

    t = threading.Thread(target=body, daemon=True)
    t.start()
    KEEP.append(t)
    done.wait()
    if "error" in res:
        raise RuntimeError(res["error"])
    res.update(before_fd=before.fileno(), before_inode=ino(before), before_port=before.getsockname()[1])
    return res


def sec_thread(sc):
    k = sc.spawn(thread_child)
    print("  child %d, thread %d: listener 127.0.0.1:%d (inode %d, fd %d) in the thread's own table; "
          "127.0.0.1:%d (inode %d) opened before, in both tables"
          % (k.pid, k["tid"], k["port"], k["inode"], k["fd"], k["before_port"], k["before_inode"]), flush=True)
    for args in (["-t"], ["-t", "--pid", str(k.pid)]):
        rows, _ = ws_json(args, "whosock " + " ".join(args))
        if rows is None:
            continue
        where = cmdline(args + ["-o", "json"])
        r = one_row(rows, k["inode"], "the thread's listener", where)
        if r is not None:
            got = [(o.get("pid"), o.get("fd"), o.get("tid")) for o in r["owners"]]
            T.ok(got == [(k.pid, k["fd"], k["tid"])],
                 "%s: the thread's listener owners (pid, fd, tid): got %r, want [(%d, %d, %d)] (tid = the "
                 "thread's native id, pid = its process)" % (where, got, k.pid, k["fd"], k["tid"]), fmt_row(r))
        r = one_row(rows, k["before_inode"], "the listener in both tables", where)
        if r is not None:
            got = [(o.get("pid"), o.get("fd"), o.get("tid")) for o in r["owners"]]
            T.ok(got == [(k.pid, k["before_fd"], None)],
                 "%s: a socket in the process's table and (as a copy) in the thread's: got %r, want one "
                 "owner (%d, %d) without tid" % (where, got, k.pid, k["before_fd"]), fmt_row(r))
    good, lines, out = table(["-t"])
    if good:
        m = lines_with(lines, b" 127.0.0.1:%d " % k["port"])
        if T.eq(len(m), 1, "%s: lines for 127.0.0.1:%d" % (cmdline(["-t"]), k["port"]), decoded(out)):
            T.eq(process_cell(m[0]), [(my_comm(), k.pid, None)],
                 "%s: PROCESS of the thread's listener" % cmdline(["-t"]), decoded(out))


# --------------------------------------------------------------------------
# 3. Hostile process names.
# --------------------------------------------------------------------------

# name -> how the table must show it: control bytes and invalid UTF-8 as \xNN,
# backslash as \\, everything else as is.
NAMES = [
    (b"\x1b[31mred", r"\x1b[31mred"),
    (b"paren) R 1 (x", "paren) R 1 (x"),
    (b"new\nline", r"new\x0aline"),
    (b"back\\slash", r"back\\slash"),
    (b"bad\xff\xfeutf8", r"bad\xff\xfeutf8"),
    (b"tab\there\x7f", r"tab\x09here\x7f"),
]


def sec_names(sc):
    kids = []
    for name, shown in NAMES:
        def fn(name=name):
            set_comm(name)
            s = tcp_listener("127.0.0.1")
            KEEP.append(s)
            return {"fd": s.fileno(), "inode": ino(s), "port": s.getsockname()[1]}
        k = sc.spawn(fn)
        with open("/proc/%d/comm" % k.pid, "rb") as f:
            T.eq(f.read().rstrip(b"\n"), name, "setup: /proc/%d/comm after PR_SET_NAME" % k.pid)
        kids.append((k, name, shown))

    rows, _ = ws_json(["-t", "-l"], "whosock -t -l")
    if rows is not None:
        where = cmdline(["-t", "-l", "-o", "json"])
        for k, name, _ in kids:
            r = one_row(rows, k["inode"], "listener of the process named %r" % name, where)
            if r and check_owner_pairs(r, [(k.pid, k["fd"])], "listener of %r" % name, where):
                T.eq(comm_bytes(r["owners"][0]), name, "%s: comm of pid %d (decoded, then "
                     ".encode('utf-8', 'surrogateescape'))" % (where, k.pid), fmt_row(r))

    for extended in (False, True):
        args = ["-t", "-l"] + (["-e"] if extended else [])
        good, lines, out = table(args)
        if not good:
            continue
        for raw in (b"\x1b", b"\xff", b"\t", b"\x7f"):
            T.ok(raw not in out, "%s: stdout holds the raw byte %r (must be escaped as \\xNN)"
                 % (cmdline(args), raw), repr(out))
        if rows is not None:
            T.eq(len(lines), 1 + len(rows), "%s: lines (header + one per socket of -t -l -o json); a raw newline "
                 "in a name would add one" % cmdline(args), decoded(out))
        for k, name, shown in kids:
            m = lines_with(lines, b" 127.0.0.1:%d " % k["port"])
            if not T.eq(len(m), 1, "%s: lines for 127.0.0.1:%d (process named %r)" % (cmdline(args), k["port"], name),
                        decoded(out)):
                continue
            cell = ("%s(%d%s)" % (shown, k.pid, ",root" if extended else "")).encode()
            T.ok(m[0].rstrip().endswith(b" " + cell), "%s: PROCESS of the process named %r: want %s, line is %r"
                 % (cmdline(args), name, cell.decode(), m[0]), decoded(out))


# --------------------------------------------------------------------------
# 4. Unprivileged.
# --------------------------------------------------------------------------

def sec_unprivileged(sc):
    def as_nobody():
        drop_to_nobody()
        s = tcp_listener("127.0.0.1")
        KEEP.append(s)
        return {"fd": s.fileno(), "inode": ino(s), "port": s.getsockname()[1]}

    def as_root():
        s = tcp_listener("127.0.0.1")
        KEEP.append(s)
        return {"fd": s.fileno(), "inode": ino(s), "port": s.getsockname()[1]}
    n = sc.spawn(as_nobody)
    r0 = sc.spawn(as_root)
    print("  nobody's listener 127.0.0.1:%d (pid %d), root's 127.0.0.1:%d (pid %d)"
          % (n["port"], n.pid, r0["port"], r0.pid), flush=True)

    # As root first: both owners are visible (otherwise the rest means nothing).
    rows, _ = ws_json(["-t"], "whosock -t (root)")
    if rows is not None:
        for k, what in ((n, "nobody's"), (r0, "root's")):
            r = one_row(rows, k["inode"], what + " listener", "whosock -t -o json (root)")
            if r:
                check_owner_pairs(r, [(k.pid, k["fd"])], what + " listener", "whosock -t -o json (root)")

    args = ["-t"]
    rows, err = ws_json(args, "whosock -t as nobody", user=NOBODY)
    where = cmdline(args + ["-o", "json"], NOBODY)
    if rows is not None:
        r = one_row(rows, n["inode"], "nobody's listener", where)
        if r and check_owner_pairs(r, [(n.pid, n["fd"])], "nobody's own listener", where):
            o = r["owners"][0]
            T.ok((o.get("uid"), o.get("user")) == (NOBODY, "nobody"),
                 "%s: owner uid/user: got %r/%r, want %d/'nobody'" % (where, o.get("uid"), o.get("user"), NOBODY),
                 fmt_row(r))
        r = one_row(rows, r0["inode"], "root's listener", where)
        if r:
            check_owner_pairs(r, [], "root's listener (hidden from nobody, never guessed)", where)
    m = re.search(r"owners not shown for (\d+) process", err)
    T.ok(m is not None and int(m.group(1)) >= 1,
         "%s: stderr must say for how many processes owners are hidden (at least root's child %d), "
         "e.g. 'owners not shown for N processes ...'" % (where, r0.pid), err)
    T.ok(re.search(r"CAP_SYS_PTRACE|\broot\b", err) is not None,
         "%s: stderr must name the privilege that would show them (root / CAP_SYS_PTRACE)" % where, err)

    good, lines, out = table(["-t"], user=NOBODY)
    if good:
        for k, want in ((n, [(my_comm(), n.pid, None)]), (r0, [])):
            m = lines_with(lines, b" 127.0.0.1:%d " % k["port"])
            if T.eq(len(m), 1, "%s: lines for 127.0.0.1:%d" % (cmdline(["-t"], NOBODY), k["port"]), decoded(out)):
                T.eq(process_cell(m[0]), want, "%s: PROCESS of 127.0.0.1:%d" % (cmdline(["-t"], NOBODY), k["port"]),
                     decoded(out))
    # A query for root's port still matches: the socket is listed, its owner is not.
    q = ":%d" % r0["port"]
    rows, _ = ws_json([q], "whosock %s as nobody" % q, user=NOBODY)
    if rows is not None:
        T.eq(inodes(rows), [r0["inode"]], "%s: sockets" % cmdline([q, "-o", "json"], NOBODY))
    check_setcap(r0)


def check_setcap(r0):
    """A copy of the binary given CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
    with setcap: nobody then sees root's owners, and no note says otherwise."""
    real = os.environ.get("WHOSOCK_REAL") or WHOSOCK  # under valgrind WHOSOCK is a script
    if shutil.which("setcap") is None:
        print("  (setcap: not checked, setcap not found; build.sh installs libcap2-bin)")
        return
    d = tempfile.mkdtemp(prefix="wstest-setcap-")
    try:
        os.chmod(d, 0o755)
        exe = os.path.join(d, "whosock")
        shutil.copy(real, exe)
        os.chmod(exe, 0o755)
        p = subprocess.run(["setcap", "cap_sys_ptrace,cap_dac_read_search+ep", exe], capture_output=True, text=True)
        if not T.eq(p.returncode, 0, "setcap on a copy of whosock", p.stderr):
            return
        args = ["--host-only", "-t", "-o", "json"]
        rc, out, err = run_ws(args, NOBODY, exe=exe)
        where = "%s %s as nobody (file capabilities cap_sys_ptrace,cap_dac_read_search)" % (exe, " ".join(args))
        if not T.eq(rc, 0, "%s: exit status" % where, decoded(err)):
            return
        rows = json.loads(out.decode("utf-8"))
        r = one_row(rows, r0["inode"], "root's listener", where)
        if r:
            check_owner_pairs(r, [(r0.pid, r0["fd"])], "root's listener, seen with capabilities", where)
        T.ok("not readable" not in decoded(err), "%s: a note says fd tables are not readable" % where, decoded(err))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# 5. Owners against ss -p.
# --------------------------------------------------------------------------

def ws_key(r):
    return (r["proto"], r["state"], canon_addr(r["local"]["addr"]), r["local"]["port"],
            canon_addr(r["remote"]["addr"]), r["remote"]["port"])


def fmt_key(k):
    return "%s %s %s:%d -> %s:%d" % k


def sec_ss(sc):
    me = os.getpid()
    # The test: a 0.0.0.0 listener (shared with child A), its accepted
    # connection (shared with child B at another fd), a UDP socket at two
    # fds, a dual-stack :: listener. Child A: a ::1 listener. Child C: the
    # TCP client and a connected UDP socket.
    L = sc.s(tcp_listener("0.0.0.0"))
    lport = L.getsockname()[1]
    U = sc.s(udp_socket("127.0.0.1"))
    sc.fds.append(os.dup(U.fileno()))
    W = sc.s(tcp_listener("::", v6only=0))

    def child_a():
        s = tcp_listener("::1")
        KEEP.append(s)
        return {}
    sc.spawn(child_a, keep=[L.fileno()])

    uaddr = U.getsockname()

    def child_c():
        c = socket.create_connection(("127.0.0.1", lport))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect(uaddr)
        KEEP.extend((c, u))
        return {}
    sc.spawn(child_c)
    A, _ = L.accept()
    sc.s(A)

    def child_b():
        os.dup2(A.fileno(), 77)
        os.close(A.fileno())
        return {}
    sc.spawn(child_b, keep=[A.fileno()])

    text = subprocess.run(["ss", "-tuanpH"], capture_output=True, check=True).stdout.decode("utf-8", "surrogateescape")
    rows, _ = ws_json(["-t", "-u"], "whosock -t -u")
    if rows is None:
        return
    ss = collections.defaultdict(list)
    for line in text.splitlines():
        tok = line.split()
        if len(tok) < 6 or tok[0] not in ("tcp", "udp"):
            continue
        la, lp = ss_endpoint(tok[4])
        ra, rp = ss_endpoint(tok[5])
        key = (tok[0], SS_STATE.get(tok[1], tok[1]), la, lp, ra, rp)
        ss[key].append(sorted((int(p), int(f)) for p, f in re.findall(r"pid=(\d+),fd=(\d+)", " ".join(tok[6:]))))
    ws = collections.defaultdict(list)
    for r in rows:
        ws[ws_key(r)].append(pairs(r["owners"]))
    owned_ss = [k for k, v in ss.items() if any(v)]
    T.ok(len(owned_ss) >= 7, "ss -tuanpH shows owners for %d sockets, want at least the 7 the test made (ss is "
         "the reference here; without it this comparison proves nothing)" % len(owned_ss), text)
    diffs = []
    for k in sorted(set(ss) | set(ws), key=repr):
        s, w = ss.get(k, []), ws.get(k, [])
        if not any(s) and not any(w):
            continue  # no owners on either side (TIME_WAIT and the like)
        if len(s) != 1 or len(w) != 1:
            diffs.append("%s: %d ss lines, %d whosock rows (ss owners %r, whosock owners %r)"
                         % (fmt_key(k), len(s), len(w), s, w))
        elif s[0] != w[0]:
            diffs.append("%s: ss (pid, fd) %r, whosock %r" % (fmt_key(k), s[0], w[0]))
    T.ok(not diffs, "owners differ from `ss -tuanpH` (whosock: %s)" % repro(["-t", "-u", "-o", "json"]),
         "\n".join(diffs) + "\n--- ss -tuanpH ---\n" + text)
    # and the test's own sockets carry the owners the test knows they have
    r = rows_by_inode(rows, ino(U))
    if T.eq(len(r), 1, "rows for the UDP socket at two fds"):
        T.eq(len([p for p in pairs(r[0]["owners"]) if p[0] == me]), 2, "UDP socket: owners with the test's pid "
             "(one per fd)", fmt_row(r[0]))
    r = rows_by_inode(rows, ino(W))
    if T.eq(len(r), 1, "rows for the :: listener"):
        check_owner_pairs(r[0], [(me, W.fileno())], "the :: listener", "whosock -t -u -o json")


# --------------------------------------------------------------------------
# 6. Owner filters.
# --------------------------------------------------------------------------

def sec_filters(sc):
    a = sc.spawn_exec(["owners-a", "owners-sleep4711", "lit[eral"])
    b = sc.spawn_exec(["owners-b", "owners-sleep815"])
    c = sc.spawn_exec(["owners-c", "owners-other"], user=NOBODY)
    kids = {"A": a, "B": b, "C": c}
    print("  A=%d (comm owners-a, argv owners-sleep4711 'lit[eral'), B=%d (owners-b, owners-sleep815), "
          "C=%d (owners-c, owners-other, uid nobody)" % (a.pid, b.pid, c.pid), flush=True)
    inos = {n: sorted(i for _, i in k["socks"]) for n, k in kids.items()}
    owned = {n: {i: (k.pid, fd) for fd, i in k["socks"]} for n, k in kids.items()}
    base, _ = ws_json(["-t", "-u"], "whosock -t -u")
    if base is not None:
        for n, k in kids.items():
            for fd, i in k["socks"]:
                r = one_row(base, i, "a socket of child %s" % n, cmdline(["-t", "-u", "-o", "json"]))
                if r:
                    check_owner_pairs(r, [(k.pid, fd)], "child %s's socket" % n, cmdline(["-t", "-u", "-o", "json"]))

    def expect(args, who, owner_ok=None):
        args = ["-t", "-u"] + args
        rows, _ = ws_json(args, "whosock " + " ".join(args))
        if rows is None:
            return
        where = cmdline(args + ["-o", "json"])
        want = sorted(i for n in who for i in inos[n])
        T.ok(inodes(rows) == want, "%s: lists inodes %r, want %r (the sockets of %s)"
             % (where, inodes(rows), want, ", ".join(who) or "nobody"), "\n".join(fmt_row(r) for r in rows))
        for r in rows:
            for n in who:
                if r["inode"] in owned[n]:
                    check_owner_pairs(r, [owned[n][r["inode"]]], "child %s's socket" % n, where)
    expect(["--pid", str(a.pid)], ["A"])
    expect(["--pid", str(c.pid)], ["C"])
    expect(["--comm", "owners-a"], ["A"])
    expect(["--comm", "owners-c"], ["C"])
    expect(["--comm", "owners"], [])          # exact name, not a prefix
    expect(["--comm", "owners-"], [])
    expect(["--user", "nobody"], ["C"])
    expect(["--user", str(NOBODY)], ["C"])
    expect(["--user", "root"], ["A", "B"])
    expect(["--user", "0"], ["A", "B"])
    expect(["--cmdline", "owners-sleep4711"], ["A"])         # substring
    expect(["--cmdline", "owners-sleep"], ["A", "B"])        # substring of two
    expect(["--cmdline", "owners-sl[e]+p[0-9]+"], ["A", "B"])  # ERE, not a substring of anything
    expect(["--cmdline", "^[^ ]+ -c .* owners-(a|c) "], ["A", "C"])  # anchored ERE over the joined argv
    expect(["--cmdline", "lit\\[eral"], ["A"])              # the same bytes as a valid ERE
    # An invalid ERE is a usage error with the compiler's reason (it was
    # quietly taken as a substring).
    rc, _, err = run_ws(["-t", "-u", "--cmdline", "lit[eral"])
    sc_ok = rc == 2 and b"invalid --cmdline regex 'lit[eral'" in err
    T.ok(sc_ok, "--cmdline 'lit[eral': exit 2 with the regex error", "rc=%r stderr=%r" % (rc, err))
    expect(["--cmdline", "no-such-process-anywhere"], [])
    expect(["--comm", "owners-a", "--cmdline", "owners-sleep815"], [])  # filters combine (and)

    args = ["-t", "-u", "--no-owners"]
    rows, _ = ws_json(args, "whosock " + " ".join(args))
    if rows is not None:
        where = cmdline(args + ["-o", "json"])
        every = sorted(i for n in inos for i in inos[n])
        T.ok(set(every) <= set(inodes(rows)), "%s: must still list every socket (%r), lists %r"
             % (where, every, inodes(rows)))
        bad = [r for r in rows if r.get("owners") != []]
        T.ok(not bad, "%s: owners must be [] for every socket" % where, "\n".join(fmt_row(r) for r in bad))
    good, lines, out = table(["-t", "-u", "--no-owners"])
    if good:
        found = [l for l in lines[1:] for k in kids.values() if b"(%d" % k.pid in l]
        T.ok(not found, "%s: the table names processes" % cmdline(["-t", "-u", "--no-owners"]), decoded(out))
        T.eq(len(lines) - 1, len(rows or []), "%s: table rows (json has %d)" % (cmdline(["-t", "-u", "--no-owners"]),
             len(rows or [])), decoded(out))


# --------------------------------------------------------------------------
# 7. [ADDR]:PORT queries.
# --------------------------------------------------------------------------

def sec_query(sc):
    L = sc.s(tcp_listener("0.0.0.0"))
    P = L.getsockname()[1]
    C = sc.s(socket.create_connection(("127.0.0.1", P)))
    A, _ = L.accept()
    sc.s(A)
    U = sc.s(udp_socket("127.0.0.1"))
    UP = U.getsockname()[1]
    V = sc.s(tcp_listener("::1"))
    Q = V.getsockname()[1]
    D = sc.s(tcp_listener("::", v6only=0))
    DP = D.getsockname()[1]
    O = sc.s(tcp_listener("::", v6only=1))
    OP = O.getsockname()[1]
    F = free_port()
    print("  tcp 0.0.0.0:%d + accepted + client, udp 127.0.0.1:%d, tcp [::1]:%d, tcp [::]:%d dual-stack, "
          "tcp [::]:%d v6only; free port %d" % (P, UP, Q, DP, OP, F), flush=True)

    def expect(q, want, what, extra=()):
        args = [q] + list(extra)
        rows, _ = ws_json(args, "whosock " + " ".join(args))
        if rows is None:
            return
        T.ok(inodes(rows) == sorted(want), "%s: lists inodes %r, want %r (%s)"
             % (cmdline(args + ["-o", "json"]), inodes(rows), sorted(want), what),
             "\n".join(fmt_row(r) for r in rows))
        for r in rows:
            if r["inode"] in (ino(L), ino(A), ino(U), ino(V), ino(D), ino(O)):
                check_owner_pairs(r, [(os.getpid(), fd) for fd in (L.fileno(), A.fileno(), U.fileno(), V.fileno(),
                                                                  D.fileno(), O.fileno())
                                      if ino(fd) == r["inode"]], "a queried socket", cmdline(args + ["-o", "json"]))
    expect(":%d" % P, [ino(L), ino(A)], "the listener and its accepted connection; not the client (remote port)")
    expect("*:%d" % P, [ino(L), ino(A)], "'*' is the wildcard address")
    expect(":%d/tcp" % P, [ino(L), ino(A)], "/tcp")
    expect("127.0.0.1:%d" % P, [ino(L), ino(A)], "the 0.0.0.0 listener matches, and the accepted one at 127.0.0.1")
    expect("127.0.0.2:%d" % P, [ino(L)], "only the wildcard listener: the accepted one is at 127.0.0.1")
    expect(":%d/udp" % UP, [ino(U)], "the UDP socket")
    expect("127.0.0.1:%d/udp" % UP, [ino(U)], "the UDP socket at its address")
    expect(":%d" % UP, [ino(U)], "no /PROTO: every inet protocol")
    expect("[::1]:%d" % Q, [ino(V)], "the ::1 listener")
    expect(":%d" % Q, [ino(V)], "the ::1 listener, any address")
    expect("127.0.0.1:%d" % DP, [ino(D)], "a dual-stack :: listener serves 127.0.0.1")
    expect("[::1]:%d" % DP, [ino(D)], "a :: listener serves ::1")
    expect("[::1]:%d" % OP, [ino(O)], "a v6only :: listener serves ::1")

    good, lines, out = table([":%d" % P])
    if good:
        T.eq(len(lines), 3, "%s: lines (header, listener, accepted)" % cmdline([":%d" % P]), decoded(out))
        T.ok(all(process_cell(l) == [(my_comm(), os.getpid(), None)] for l in lines[1:]),
             "%s: PROCESS must be %s(%d) on both lines" % (cmdline([":%d" % P]), my_comm(), os.getpid()),
             decoded(out))

    # Nothing serves these: a free port; UDP on a TCP-only port; UDP at another
    # address than the socket's; IPv6 on an IPv4 listener; IPv4 on a v6only
    # :: listener (IPV6_V6ONLY: IPv4 packets never reach it).
    for q in (":%d" % F, ":%d/udp" % P, "127.0.0.2:%d/udp" % UP, "[::1]:%d" % P, "127.0.0.1:%d" % OP):
        rc, out, err = run_ws([q])
        T.eq(rc, 1, "%s: exit status (nothing matches)" % cmdline([q]), decoded(out + err))
        rc, out, err = run_ws([q, "-o", "json"])
        try:
            parsed = json.loads(out)
        except ValueError:
            parsed = "(does not parse: %r)" % out
        T.ok(rc == 1 and parsed == [], "%s: want exit 1 and [], got %d and %r"
             % (cmdline([q, "-o", "json"]), rc, parsed), decoded(err))
    for q in (":99999", "bad", ":", ":-1", ":80/sctp", "[::1:80", "::1:80", "256.1.1.1:80", ":8o"):
        rc, out, err = run_ws([q])
        lines = err.decode("utf-8", "replace").strip("\n").split("\n")
        T.ok(rc == 2 and out == b"" and len(lines) == 1 and lines[0],
             "%s: want exit 2, nothing on stdout, one line on stderr; got %d, %r, %r"
             % (cmdline([q]), rc, out[:200], err.decode("utf-8", "replace")))


# --------------------------------------------------------------------------
# 8. UNIX peers.
# --------------------------------------------------------------------------

def sec_unix(sc):
    me, comm = os.getpid(), my_comm()
    d = sc.tmpdir()
    path = os.path.join(d, "owners.sock")
    srv = sc.s(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    srv.bind(path)
    srv.listen(4)
    s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sc.s(s1)

    def child():
        set_comm(b"owners-peer")
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        KEEP.append(c)
        return {"s2": s2.fileno(), "c": c.fileno(), "c_inode": ino(c)}
    k = sc.spawn(child, keep=[s2.fileno()])
    i2 = ino(s2)
    s2.close()
    acc, _ = srv.accept()
    sc.s(acc)
    print("  socketpair %d (test, fd %d) <-> %d (child %d, fd %d); %s: accepted %d (test) <-> client %d (child)"
          % (ino(s1), s1.fileno(), i2, k.pid, k["s2"], path, ino(acc), k["c_inode"]), flush=True)

    rows, _ = ws_json(["-x"], "whosock -x")
    if rows is not None:
        where = cmdline(["-x", "-o", "json"])
        for inode, what, own, peer in (
                (ino(s1), "socketpair end in the test", [(me, s1.fileno())], [(k.pid, k["s2"])]),
                (i2, "socketpair end in the child", [(k.pid, k["s2"])], [(me, s1.fileno())]),
                (ino(acc), "accepted socket (test)", [(me, acc.fileno())], [(k.pid, k["c"])]),
                (k["c_inode"], "client socket (child)", [(k.pid, k["c"])], [(me, acc.fileno())]),
                (ino(srv), "listener", [(me, srv.fileno())], [])):
            r = one_row(rows, inode, what, where)
            if r is None:
                continue
            check_owner_pairs(r, own, what, where)
            if T.ok("peer_owners" in r, "%s: %s has no peer_owners" % (where, what), fmt_row(r)):
                check_owner_pairs(r, peer, what, where, key="peer_owners")
                if peer and r["peer_owners"]:
                    want_c = "owners-peer" if peer[0][0] == k.pid else comm
                    T.eq(r["peer_owners"][0].get("comm"), want_c, "%s: %s peer_owners comm" % (where, what), fmt_row(r))
        for r in rows:
            if r.get("proto") == "unix" and r["inode"] not in (ino(s1), i2, ino(acc), k["c_inode"]) \
                    and r.get("peer_owners"):
                T.ok(False, "%s: unexpected peer_owners" % where, fmt_row(r))
    # ...and in the table: REMOTE is `peer path or * [comm(pid)]`.
    good, lines, out = table(["-x"])
    if good:
        p = re.escape(path.encode())
        m_, c_ = re.escape(b"%s(%d)" % (comm.encode(), me)), re.escape(b"owners-peer(%d)" % k.pid)
        for what, rx in (
                ("socketpair end in the test", rb"u_str\s+CONNECTED\s+\*\s+\* \[" + c_ + rb"\]\s+" + m_),
                ("socketpair end in the child", rb"u_str\s+CONNECTED\s+\*\s+\* \[" + m_ + rb"\]\s+" + c_),
                ("accepted socket (test)", rb"u_str\s+CONNECTED\s+" + p + rb"\s+\* \[" + c_ + rb"\]\s+" + m_),
                ("client socket (child)", rb"u_str\s+CONNECTED\s+\*\s+" + p + rb" \[" + m_ + rb"\]\s+" + c_),
                ("listener", rb"u_str\s+LISTEN\s+" + p + rb"\s+\*\s+" + m_)):
            n = len([l for l in lines if re.fullmatch(rx, l.rstrip())])
            T.eq(n, 1, "%s: lines for the %s matching /%s/" % (cmdline(["-x"]), what, rx.decode()), decoded(out))


# --------------------------------------------------------------------------
# 9. examples/owners.
# --------------------------------------------------------------------------

def sec_example(sc):
    exe = example_path()
    if not T.ok(os.access(exe, os.X_OK), "examples/owners not found at %s (set WHOSOCK_EXAMPLE_OWNERS)" % exe):
        return
    me, comm = os.getpid(), my_comm()
    if comm != "python3":
        NOTES.add("this python's comm is %r, not 'python3': the example's line is checked with %r" % (comm, comm))
    L = sc.s(tcp_listener("0.0.0.0"))
    P = L.getsockname()[1]
    U = sc.s(udp_socket("127.0.0.1", P))  # the same port number, over UDP
    other = sc.s(tcp_listener("127.0.0.1"))
    p = subprocess.run([exe, str(P)], capture_output=True, timeout=60)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    want = sorted(["tcp %d %d %s" % (P, me, comm), "udp %d %d %s" % (P, me, comm)])
    T.ok(p.returncode == 0 and sorted(lines) == want,
         "%s %d: want exit 0 and exactly the lines %r, got %d and %r (reproduce inside the test's netns)"
         % (exe, P, want, p.returncode, lines), p.stderr.decode("utf-8", "replace"))
    p = subprocess.run([exe], capture_output=True, timeout=60)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    T.ok(p.returncode == 0 and "tcp %d %d %s" % (other.getsockname()[1], me, comm) in lines,
         "%s (no port): the line for 127.0.0.1:%d is missing" % (exe, other.getsockname()[1]),
         "\n".join(lines) + p.stderr.decode("utf-8", "replace"))

    # Hostile names: escaped by whosock_escape_term() as the table does (\xNN),
    # never cut at the first control byte nor printed raw.
    for name, shown in NAMES:
        def fn(name=name):
            set_comm(name)
            s = tcp_listener("127.0.0.1")
            KEEP.append(s)
            return {"port": s.getsockname()[1]}
        k = sc.spawn(fn)
        p = subprocess.run([exe, str(k["port"])], capture_output=True, timeout=60)
        want = ("tcp %d %d %s\n" % (k["port"], k.pid, shown)).encode()
        T.ok(p.returncode == 0 and p.stdout == want,
             "%s %d (a process named %r): want exit 0 and exactly %r, got %d and %r"
             % (exe, k["port"], name, want, p.returncode, p.stdout), p.stderr.decode("utf-8", "replace"))


# --------------------------------------------------------------------------
# 10. Races.
# --------------------------------------------------------------------------

RUNS = 20


def churn_loop(logpath, ctl_r, ack_w):
    """In the churner: fork short-lived children that open sockets (some
    close one and open another at the same fd) and exit, and open/close
    sockets itself. Every (pid, fd, inode) is logged right after the socket
    is opened. On 'p' from the test: reap every child, answer 'a', wait for
    'r' -- so, while paused, the log holds every pair ever held."""
    logfd = os.open(logpath, os.O_WRONLY | os.O_APPEND)
    os.set_blocking(ctl_r, False)
    mine = collections.deque()

    def log(s):
        fd = s.fileno()
        os.write(logfd, b"%d %d %d\n" % (os.getpid(), fd, os.fstat(fd).st_ino))

    def grandchild(n):
        keep = []
        l = tcp_listener("127.0.0.1")
        log(l)
        keep.append(l)
        u = udp_socket("127.0.0.1")
        log(u)
        keep.append(u)
        a, b = socket.socketpair()
        log(a)
        log(b)
        keep.extend((a, b))
        if n % 2:
            l.close()  # its fd is free: the next socket takes it
            l2 = tcp_listener("127.0.0.1")
            log(l2)
            keep.append(l2)
        os._exit(0)

    n = 0
    while True:
        try:
            c = os.read(ctl_r, 1)
        except BlockingIOError:
            c = None
        if c == b"":
            os._exit(0)
        if c == b"p":
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
            os.write(ack_w, b"a")
            os.set_blocking(ctl_r, True)
            c = os.read(ctl_r, 1)
            os.set_blocking(ctl_r, False)
            if c != b"r":
                os._exit(0)
            continue
        for _ in range(2):
            n += 1
            if os.fork() == 0:
                try:
                    grandchild(n)
                finally:
                    os._exit(1)
        new = [tcp_listener("127.0.0.1")] if n % 4 else list(socket.socketpair())
        for s in new:
            log(s)
            mine.append(s)
        while len(mine) > 5:
            mine.popleft().close()
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


def sec_races(sc):
    me = os.getpid()
    d = sc.tmpdir()
    logpath = os.path.join(d, "churn.log")
    open(logpath, "wb").close()
    S = sc.s(tcp_listener("127.0.0.1"))
    k = sc.spawn(lambda: {}, keep=[S.fileno()])
    stable = {(me, S.fileno()), (k.pid, S.fileno())}
    ctl_r, ctl_w = os.pipe()
    ack_r, ack_w = os.pipe()
    churner = sc.spawn(lambda: {}, keep=[ctl_r, ack_w], loop=lambda _hold: churn_loop(logpath, ctl_r, ack_w))
    os.close(ctl_r)
    os.close(ack_w)
    sc.fds.extend((ctl_w, ack_r))
    print("  stable listener inode %d held by the test %d and child %d; churner %d"
          % (ino(S), me, k.pid, churner.pid), flush=True)

    args = ["-t", "-u", "-x", "-o", "json"]
    verified = {"readlink": 0, "log": 0}
    for run in range(RUNS):
        rc, out, err = run_ws(args)
        os.write(ctl_w, b"p")  # pause the churn to check this run's owners
        if os.read(ack_r, 1) != b"a":
            T.ok(False, "the churner died")
            return
        try:
            where = "run %d of %s" % (run + 1, cmdline(args))
            if not T.eq(rc, 0, "%s: exit status" % where, decoded(err)):
                continue
            try:
                rows = json.loads(out.decode("utf-8"))
            except ValueError as e:
                T.ok(False, "%s: output does not parse: %s" % (where, e), decoded(out)[:3000])
                continue
            with open(logpath, "rb") as f:
                logged = set()
                for line in f:
                    _, fd, inode = line.split()
                    logged.add((int(fd), int(inode)))
            bad = []
            for r in rows:
                inode = r.get("inode")
                if inode == ino(S) and pairs(r.get("owners")) != sorted(stable):
                    bad.append("the stable listener: owners %r, want %r" % (pairs(r.get("owners")), sorted(stable)))
                for key, target in (("owners", inode), ("peer_owners", r.get("peer_inode"))):
                    seen = set()
                    for o in r.get(key) or []:
                        pid, fd, tid = o.get("pid"), o.get("fd"), o.get("tid")
                        if (pid, fd) in seen:
                            bad.append("inode %s: %s lists (%s, %s) twice" % (inode, key, pid, fd))
                        seen.add((pid, fd))
                        if pid in (me, k.pid):
                            # stable processes: the fd must still be that socket
                            base = "/proc/%d/task/%d" % (pid, tid) if tid else "/proc/%d" % pid
                            try:
                                link = os.readlink("%s/fd/%d" % (base, fd))
                            except OSError as e:
                                link = "(%s)" % e
                            verified["readlink"] += 1
                            if link != "socket:[%d]" % target:
                                bad.append("inode %s: %s (pid %d, fd %d) but %s/fd/%d is %s"
                                           % (inode, key, pid, fd, base, fd, link))
                        else:
                            # churn processes: some process of the churn held this
                            # socket at this fd number at some time
                            if (fd, target) in logged:
                                verified["log"] += 1
                            else:
                                bad.append("inode %s: %s (pid %s, fd %s): no churn process ever held socket %s at "
                                           "fd %s (now /proc/%s/fd/%s is %s)"
                                           % (inode, key, pid, fd, target, fd, pid, fd, readlink_or(pid, fd)))
            if not any(r.get("inode") == ino(S) for r in rows):
                bad.append("the stable listener (inode %d) is missing" % ino(S))
            T.ok(not bad, "%s: owners that did not hold the socket" % where, "\n".join(bad[:30]))
        finally:
            os.write(ctl_w, b"r")
    with open(logpath, "rb") as f:
        nlog = sum(1 for _ in f)
    print("  %d runs; churn opened %d sockets; owners checked: %d by readlink, %d against the churn log"
          % (RUNS, nlog, verified["readlink"], verified["log"]), flush=True)
    T.ok(nlog > 2 * RUNS, "the churn opened only %d sockets during %d runs: the race was not exercised" % (nlog, RUNS))


def readlink_or(pid, fd):
    try:
        return os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError as e:
        return "(%s)" % e.strerror


# --------------------------------------------------------------------------
# Inner half: runs inside the namespace.
# --------------------------------------------------------------------------

def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    print("whosock: %s, network namespace %d, test pid %d (comm %r)" % (WHOSOCK, netns, os.getpid(), my_comm()),
          flush=True)
    print("to reproduce a command by hand: unshare -n, `ip link set lo up`, recreate the sockets, run it",
          flush=True)
    try:
        T.run_section("1. a listener shared by three processes: one row, every (pid, fd)", sec_shared)
        T.run_section("2. a thread with its own fd table: owner with tid", sec_thread)
        T.run_section("3. hostile process names: escaped table, exact JSON bytes", sec_names)
        T.run_section("4. as nobody: own owners shown, root's hidden, note on stderr; setcap shows them", sec_unprivileged)
        T.run_section("5. owners equal ss -tuanpH users:(...)", sec_ss)
        T.run_section("6. --pid --comm --user --cmdline --no-owners", sec_filters)
        T.run_section("7. [ADDR]:PORT[/PROTO] queries and exit status", sec_query)
        T.run_section("8. UNIX connections: peer_owners and the table's [comm(pid)]", sec_unix)
        T.run_section("9. examples/owners PORT", sec_example)
        T.run_section("10. %d runs during fork/exit/open/close churn" % RUNS, sec_races)
    finally:
        kill_all_kids()

    print()
    return T.summary(sorted(NOTES))


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace, fork processes as other users "
                                 "and read every process's fd table")
