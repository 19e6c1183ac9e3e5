#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: whosock against hostile input chosen by other users.

The test re-executes itself inside a fresh network namespace (`unshare -n`,
lo up) and runs whosock with --host-only there, so every socket it looks at
is one this test created (other people may be loading the machine). Each
section creates its own sockets and processes and removes them afterwards:

  1. process names (PR_SET_NAME) and command lines holding ESC sequences
     (\\033[31m, \\033]0;title\\007), newlines, tabs, DEL, C1 controls, bidi
     overrides and invalid UTF-8 (\\xff\\xfe), and a 1 MiB command line (16
     arguments of 64 KiB: the kernel refuses one argv string over 128 KiB)
     with a UTF-8 sequence cut by the 32 KiB cap: the table and CSV hold no
     raw control byte and show them escaped (\\xNN, \\u{XXXX}); JSON gives
     back the exact comm and cmdline bytes (surrogateescape); the 1 MiB
     command line comes back as exactly its first 32768 bytes (NULs joined
     into spaces) with "cmdline_truncated": true, a 32768-byte one whole with
     false; --comm finds a name with ESC in it; whosock's peak RSS < 64 MB;
  2. UNIX socket paths with newlines (also a trailing one), tabs, spaces, ESC
     and invalid UTF-8, and abstract names with a newline and a tab: listed
     exactly once each, escaped in the table, exact in JSON, and the same
     with --source proc (/proc/net/unix, where the kernel prints the newline
     raw and lib/procnet.c rejoins the continuation lines): one row per
     socket, the right inode, the right path, no phantom rows;
  3. one process holding one TCP listener through 15,000 fds (more when the
     hard RLIMIT_NOFILE allows): one row with one owner per (pid, fd), the
     table shows the process once, whosock's peak RSS < 128 MB;
  4. a storm of processes forking and exiting (some holding sockets, some
     reusing a fd number for another socket, some inheriting sockets) while
     whosock -o json runs 20 times: every run exits 0 and parses, no owner
     (pid, fd) is reported for a socket it never held (checked against each
     process's log of what it held, and against /proc for the stable ones),
     and every stable socket opened before the storm is listed in every run
     with exactly its owners.

Arguments: section numbers to run (default: every section), e.g. `4`.
Environment: WHOSOCK = path to the binary, WHOSOCK_SRC = source root (set by
tests/integration/meson.build); peak RSS is measured with BUILD/bench/runone
(next to whosock) or /usr/bin/time. Exit 0 pass, 1 fail, 77 skip (not root or
no namespaces). Every failure prints what differed and how to reproduce it.
Python 3 standard library only.
"""

import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

import wstest
from wstest import decoded, ino, kill_all_kids, pairs, socket_fds, spawn

PR_SET_NAME = 15

CMDLINE_MAX = 32 * 1024          # WHOSOCK_CMDLINE_MAX (include/whosock/whosock.h)
BIG_ARG = 64 * 1024              # one argv string (the kernel's limit is 128 KiB)
BIG_ARGS = 16                    # 16 x 64 KiB = 1 MiB of command line
RSS_LIMIT_NAMES_KB = 64 * 1024
RSS_LIMIT_FDS_KB = 128 * 1024
MANY_FDS = 15000                 # the most a hard limit of 20,000 allows with headroom
STORM_RUNS = 20                  # whosock runs during the storm, at least
STORM_PROCS = 100                # storm processes during those runs, at least
MAX_ALIVE = 40                   # storm processes alive at once
READY_TIMEOUT = 120              # seconds a child may take to say it is ready


WHOSOCK = wstest.whosock_path()
NOTES = []


def note(msg):
    if msg not in NOTES:
        NOTES.append(msg)


# --------------------------------------------------------------------------
# Child processes (wstest.spawn, wstest.Kid): killed at the end of their
# section and at exit; each also dies with the test (PR_SET_PDEATHSIG, and a
# pipe only we hold).
# --------------------------------------------------------------------------

KEEP = []  # in a child: objects that must stay alive


# Run by exec'd children (section 1): renames itself to the bytes in
# $HOSTILE_COMM (hex), opens a TCP listener on 127.0.0.1, says so on stdout,
# then waits for stdin to close. Its argv is whatever the test chose.
EXEC_CHILD = r"""
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(1, ctypes.c_ulong(9), 0, 0, 0)
libc.prctl(15, ctypes.c_char_p(bytes.fromhex(os.environ["HOSTILE_COMM"])), 0, 0, 0)
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(4)
print(json.dumps({"pid": os.getpid(), "fd": t.fileno(), "inode": os.fstat(t.fileno()).st_ino,
                  "port": t.getsockname()[1]}), flush=True)
sys.stdin.read()
"""


def spawn_exec(argv, comm):
    """Exec argv (a list of bytes; argv[0] the python) running EXEC_CHILD."""
    env = dict(os.environ, HOSTILE_COMM=comm.hex())

    def raise_stack():
        # The argv area may take a quarter of the stack limit: make room for 1 MiB.
        soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
        want = 64 << 20
        if soft != resource.RLIM_INFINITY and soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
            resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env,
                         preexec_fn=raise_stack)
    return wstest.popen_kid(p, "(comm %r)" % comm, READY_TIMEOUT)


class Scope(wstest.Scope):
    """What one section created: closed/killed when the section ends."""

    TMP_PREFIX = "wsh-"


# Collects every failure, prints them all.
T = wstest.Checker(scope=Scope, timed=True)


def tcp_listener(addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.listen(16)
    return s


def udp_socket(addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    return s


def my_comm(pid="self"):
    with open("/proc/%s/comm" % pid, "rb") as f:
        return f.read()[:-1]


# --------------------------------------------------------------------------
# Running whosock.
# --------------------------------------------------------------------------

def quote(a):
    """wstest.quote, also for bytes and for control and invalid bytes."""
    if isinstance(a, bytes):
        a = a.decode("utf-8", "surrogateescape")
    if any(ord(c) < 0x20 or ord(c) == 0x7f or 0xdc80 <= ord(c) <= 0xdcff for c in a):
        # $'...' so that the control and invalid bytes survive a copy-paste
        b = a.encode("utf-8", "surrogateescape")
        return "$'" + "".join("\\x%02x" % c if c < 0x20 or c >= 0x7f or c in b"'\\" else chr(c) for c in b) + "'"
    return wstest.quote(a)


def cmdline(args):
    return " ".join([quote(WHOSOCK), "--host-only"] + [quote(a) for a in args])


def repro(args):
    return "reproduce inside the test's netns (unshare -n, ip link set lo up, recreate the sockets): %s" % cmdline(args)


def find_runone():
    p = os.path.join(os.path.dirname(os.path.abspath(WHOSOCK)), "bench", "runone")
    return p if os.access(p, os.X_OK) else None


RUNONE = find_runone()
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Run:
    def __init__(self, rc, out, err, rss_kb=None, wall=None):
        self.rc, self.out, self.err, self.rss_kb, self.wall = rc, out, err, rss_kb, wall


def run_ws(args, measure=False, timeout=300):
    """Run whosock --host-only ARGS. With measure, also its own peak RSS (kB),
    through runone or /usr/bin/time: a child started straight from Python
    would report at least the interpreter's RSS."""
    cmd = [WHOSOCK, "--host-only"] + list(args)
    t0 = time.monotonic()
    if measure and (RUNONE or GNU_TIME):
        with tempfile.NamedTemporaryFile(prefix="wsh-out-") as outf, \
                tempfile.NamedTemporaryFile(prefix="wsh-rss-") as rssf, tempfile.TemporaryFile() as errf:
            if RUNONE:
                p = subprocess.run([RUNONE, "-o", outf.name, "-t", str(timeout), "--"] + cmd,
                                   stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL)
                fields = dict(kv.split("=", 1) for kv in p.stdout.decode().split() if "=" in kv)
                if p.returncode != 0 or "status" not in fields:
                    raise RuntimeError("runone failed (%d): %r" % (p.returncode, p.stdout))
                rc, rss = int(fields["status"]), int(fields["maxrss_kb"])
            else:
                p = subprocess.run([GNU_TIME, "-o", rssf.name, "-f", "%M"] + cmd, stdout=outf,
                                   stderr=errf, stdin=subprocess.DEVNULL, timeout=timeout)
                rc = p.returncode
                rss = int(open(rssf.name).read().split()[-1])
            outf.seek(0)
            out = outf.read()
            errf.seek(0)
            err = errf.read()
        return Run(rc, out, err, rss, time.monotonic() - t0)
    if measure:
        note("neither bench/runone nor /usr/bin/time found: peak RSS from getrusage(RUSAGE_CHILDREN), "
             "an upper bound that includes this Python's own")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    rss = None
    if measure:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = after if after > before else None
    return Run(p.returncode, p.stdout, p.stderr, rss, time.monotonic() - t0)


def parse_json(run, args, what):
    """rows, or None (failure recorded)."""
    where = "%s (%s)" % (what, repro(args))
    if not T.eq(run.rc, 0, "%s: exit status" % where, decoded(run.err)):
        return None
    try:
        text = run.out.decode("utf-8")  # strict: invalid bytes must come as \udcXX
    except UnicodeDecodeError as e:
        T.ok(False, "%s: output is not valid UTF-8: %s" % (where, e), repr(run.out[max(0, e.start - 200):e.start + 50]))
        return None
    try:
        rows = json.loads(text)
    except ValueError as e:
        pos = getattr(e, "pos", 0) or 0
        T.ok(False, "%s: output does not parse: %s" % (where, e),
             "around the error: ..." + text[max(0, pos - 300):pos] + " <<<HERE>>> " + text[pos:pos + 100])
        return None
    if not T.ok(isinstance(rows, list) and all(isinstance(r, dict) and isinstance(r.get("owners"), list)
                                               for r in rows),
                "%s: not an array of objects with an \"owners\" array" % where, text[:500]):
        return None
    return rows


def ws_json(args, what, measure=False):
    args = list(args) + ["-o", "json"]
    run = run_ws(args, measure)
    return parse_json(run, args, what), run


def fmt_row(r, limit=1500):
    s = json.dumps(r, sort_keys=True, ensure_ascii=True)
    return s if len(s) <= limit else s[:limit] + "... (%d chars)" % len(s)


def sb(s):
    """A JSON string back to the exact bytes (PEP 383)."""
    return None if s is None else s.encode("utf-8", "surrogateescape")


def rows_by_inode(rows, inode):
    return [r for r in rows if r.get("inode") == inode]


def one_row(rows, inode, what, where):
    m = rows_by_inode(rows, inode)
    if T.ok(len(m) == 1, "%s: %s (inode %d) appears %d times, want once" % (where, what, inode, len(m)),
            "\n".join(fmt_row(r) for r in m) or "(first rows: %s)" % "\n".join(fmt_row(r, 300) for r in rows[:10])):
        return m[0]
    return None


# Code points a terminal acts on, which must never reach it raw (src/textesc.c).
BAD_CP = re.compile("[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def raw_controls(out):
    """Where stdout holds something a terminal would act on: a byte < 0x20
    other than the line ends, DEL, ESC, invalid UTF-8, a C1 control, a line
    separator or a bidi override. Returns a list of descriptions."""
    bad = []
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append("invalid UTF-8 at byte %d: %r" % (e.start, out[max(0, e.start - 40):e.start + 10]))
        text = out.decode("utf-8", "replace")
    for m in BAD_CP.finditer(text):
        bad.append("raw U+%04X at char %d: %r" % (ord(m.group()), m.start(), text[max(0, m.start() - 40):m.start() + 10]))
        if len(bad) > 10:
            break
    return bad


def check_terminal_safe(out, args):
    bad = raw_controls(out)
    T.ok(not bad, "%s: stdout holds raw control bytes / invalid UTF-8 (must be escaped)" % cmdline(args),
         "\n".join(bad))


def table_lines(run, args):
    if not T.eq(run.rc, 0, "%s: exit status" % cmdline(args), decoded(run.err)):
        return None
    lines = run.out.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def check_rss(run, limit_kb, args):
    if run.rss_kb is None:
        note("peak RSS of `%s` not measured" % cmdline(args))
        return
    print("  %s: peak RSS %.1f MB, %.2f s" % (cmdline(args)[:100], run.rss_kb / 1024, run.wall), flush=True)
    T.ok(run.rss_kb < limit_kb, "%s: peak RSS %.1f MB, want < %d MB" % (cmdline(args), run.rss_kb / 1024,
                                                                        limit_kb // 1024))


# --------------------------------------------------------------------------
# 1. Hostile process names and command lines.
# --------------------------------------------------------------------------

# comm (at most 15 bytes) -> how the table must show it: control bytes, DEL
# and invalid UTF-8 as \xNN, C1 controls and bidi overrides as \u{XXXX}.
NAMES = [
    (b"\x1b[31mred", r"\x1b[31mred"),
    (b"\x1b]0;title\x07", r"\x1b]0;title\x07"),
    (b"nl\nx\ttab", r"nl\x0ax\x09tab"),
    (b"bad\xff\xfeutf8", r"bad\xff\xfeutf8"),
    (b"c1\xc2\x9bcsi", r"c1\u{009b}csi"),
    (b"bidi\xe2\x80\xaeevil", r"bidi\u{202e}evil"),
    (b"del\x7f\x1b[2J", r"del\x7f\x1b[2J"),
]
# Arguments every small child gets: its cmdline must come back byte for byte.
HOSTILE_ARGS = [b"\x1b[31mred\x1b[0m", b"\x1b]0;title\x07", b"new\nline", b"tab\there", b"\xff\xfe",
                b"", b"sp ace", b"\xc2\x9b2J", b"\xe2\x80\xae"]


def expected_cmdline(raw):
    """What whosock must report for /proc/PID/cmdline content `raw`: the
    first CMDLINE_MAX bytes, trailing NULs dropped, NULs joined into spaces
    (lib/procinfo.c procinfo_cmdline_join)."""
    return raw[:CMDLINE_MAX].rstrip(b"\0").replace(b"\0", b" "), len(raw) > CMDLINE_MAX


def big_argv(prefix, total_raw=None, cut_utf8=True):
    """prefix + BIG_ARGS arguments of BIG_ARG bytes (or sized so that the
    whole /proc cmdline is total_raw bytes), full of hostile bytes. With
    cut_utf8, the 2-byte sequence "é" straddles the CMDLINE_MAX cap."""
    unit = b"\x1b[31mX\x1b]0;t\x07\n\t\xff\xfe\xc2\x9b\xe2\x80\xae AZ"
    head = len(b"\0".join(prefix)) + 1
    if total_raw is not None:
        n = total_raw - head - 1
        args = [(unit * (n // len(unit) + 1))[:n].replace(b"\0", b"0")]
    else:
        args = [(unit * (BIG_ARG // len(unit) + 1))[:BIG_ARG - 1] for _ in range(BIG_ARGS)]
    if cut_utf8:
        k = CMDLINE_MAX - 1 - head  # index of the cap's last byte within args[0]
        a = bytearray(args[0])
        a[k:k + 2] = b"\xc3\xa9"
        args[0] = bytes(a)
    return prefix + args


def sec_names(sc):
    exe = os.fsencode(sys.executable)
    base = [exe, b"-c", EXEC_CHILD.encode()]
    kids = []  # (kid, comm, shown, argv, what)
    for i, (name, shown) in enumerate(NAMES):
        argv = base + HOSTILE_ARGS + [name]
        kids.append((sc.kid(spawn_exec(argv, name)), name, shown, argv, "name %r" % name))
    big = big_argv(base + [b"big\nargs"])
    kids.append((sc.kid(spawn_exec(big, b"big\x1b[0m")), b"big\x1b[0m", r"big\x1b[0m", big, "1 MiB cmdline"))
    exact = big_argv(base + [b"exact"], total_raw=CMDLINE_MAX, cut_utf8=False)
    kids.append((sc.kid(spawn_exec(exact, b"exact32k"), ), b"exact32k", "exact32k", exact,
                 "cmdline of exactly %d bytes" % CMDLINE_MAX))
    for k, name, _, argv, what in kids:
        raw = open("/proc/%d/cmdline" % k.pid, "rb").read()
        T.eq(my_comm(k.pid), name, "setup: /proc/%d/comm after PR_SET_NAME" % k.pid)
        T.ok(raw == b"\0".join(argv) + b"\0", "setup: /proc/%d/cmdline is not the argv we exec'd (%s)" % (k.pid, what))
        k.msg["raw"] = raw
    print("  %d children: %s; the big one (pid %d) has a %d-byte cmdline"
          % (len(kids), ", ".join("%d" % k.pid for k, *_ in kids), kids[-2][0].pid, len(kids[-2][0]["raw"])),
          flush=True)

    args = ["-t", "-l"]
    rows, run = ws_json(args, "whosock -t -l", measure=True)
    check_rss(run, RSS_LIMIT_NAMES_KB, args + ["-o", "json"])
    if rows is not None:
        where = cmdline(args + ["-o", "json"])
        T.eq(sorted(r.get("inode") for r in rows), sorted(k["inode"] for k, *_ in kids),
             "%s: the sockets listed (inodes)" % where)
        for k, name, _, argv, what in kids:
            r = one_row(rows, k["inode"], "listener of the child with %s" % what, where)
            if r is None:
                continue
            if not T.eq(pairs(r["owners"]), [(k.pid, k["fd"])], "%s: owners of the listener of %s" % (where, what),
                        fmt_row(r)):
                continue
            o = r["owners"][0]
            T.eq(sb(o.get("comm")), name, "%s: comm of pid %d (as bytes, via surrogateescape)" % (where, k.pid),
                 fmt_row(r))
            want, trunc = expected_cmdline(k["raw"])
            got = sb(o.get("cmdline"))
            if got != want:
                at = next((i for i in range(min(len(got or b""), len(want))) if got[i] != want[i]),
                          min(len(got or b""), len(want)))
                T.ok(False, "%s: cmdline of pid %d (%s): got %s bytes, want %d (the first %d of /proc/PID/cmdline, "
                     "NULs joined into spaces); first difference at byte %d"
                     % (where, k.pid, what, None if got is None else len(got), len(want), CMDLINE_MAX, at),
                     "got  ...%r\nwant ...%r" % ((got or b"")[max(0, at - 40):at + 40], want[max(0, at - 40):at + 40]))
            else:
                T.ok(True, "")
            T.eq(o.get("cmdline_truncated"), trunc, "%s: cmdline_truncated of pid %d (%s; /proc cmdline is %d bytes)"
                 % (where, k.pid, what, len(k["raw"])))
        big_kid = kids[-2][0]
        r = rows_by_inode(rows, big_kid["inode"])
        if r and r[0]["owners"]:
            c = sb(r[0]["owners"][0].get("cmdline")) or b""
            T.eq(len(c), CMDLINE_MAX, "%s: length in bytes of the 1 MiB cmdline" % where)
            T.ok(c.endswith(b"\xc3"), "%s: the cap cuts \"\\xc3\\xa9\" after its first byte: the last byte must be "
                 "\\xc3, given back as \\udcc3 in JSON; got %r" % (where, c[-8:]))
    # The table and CSV: nothing raw, every name shown escaped, one line each.
    for targs in (["-t", "-l"], ["-t", "-l", "-e"], ["-t", "-l", "-o", "csv"]):
        run = run_ws(targs, measure=True)
        check_rss(run, RSS_LIMIT_NAMES_KB, targs)
        lines = table_lines(run, targs)
        if lines is None:
            continue
        check_terminal_safe(run.out, targs)
        if rows is not None:
            T.eq(len(lines), 1 + len(rows), "%s: lines (header + one per socket of -o json); a raw newline would "
                 "add one" % cmdline(targs), decoded(run.out))
        csv = "csv" in targs
        for k, name, shown, _, what in kids:
            needle = (b",127.0.0.1,%d," if csv else b" 127.0.0.1:%d ") % k["port"]
            m = [l for l in lines if needle in l]
            if not T.eq(len(m), 1, "%s: lines for port %d (child with %s)" % (cmdline(targs), k["port"], what),
                        decoded(run.out)):
                continue
            if csv:
                cell = ("%d:%s" % (k.pid, shown)).encode()
                # owners, then the kind columns (protocol, ifindex,
                # netlink_portid, netlink_groups): empty for TCP but ifindex.
                good = re.search(b"," + re.escape(cell) + b",,[0-9]*,,$", m[0]) is not None
            else:
                cell = ("%s(%d%s)" % (shown, k.pid, ",root" if "-e" in targs else "")).encode()
                good = m[0].rstrip().endswith(b" " + cell)
            T.ok(good, "%s: the process of the child with %s: want %s, line is %r"
                 % (cmdline(targs), what, cell.decode(), m[0]))
    # --comm with an ESC in the name finds exactly that process.
    name = NAMES[0][0]
    k = kids[0][0]
    cargs = ["-t", "--comm", name.decode()]
    rows, _ = ws_json(cargs, "whosock --comm <name with ESC>")
    if rows is not None:
        T.eq([(r.get("inode"), pairs(r["owners"])) for r in rows], [(k["inode"], [(k.pid, k["fd"])])],
             "%s: sockets (inode, owners)" % cmdline(cargs + ["-o", "json"]))


# --------------------------------------------------------------------------
# 2. Hostile UNIX socket paths.
# --------------------------------------------------------------------------

UNIX_NAMES = [  # relative to a temp dir (sun_path holds 107 bytes)
    (socket.SOCK_STREAM, b"nl\nname"),
    (socket.SOCK_STREAM, b"two\n\nnewlines"),
    (socket.SOCK_STREAM, b"trailing-nl\n"),
    (socket.SOCK_STREAM, b"\nleading-nl"),
    (socket.SOCK_STREAM, b"tab\tname"),
    (socket.SOCK_STREAM, b"sp ace name"),
    (socket.SOCK_STREAM, b" leading-space"),
    (socket.SOCK_STREAM, b"trailing-space "),
    (socket.SOCK_STREAM, b"esc\x1b[2J\x1b]0;t\x07"),
    (socket.SOCK_STREAM, b"bad\xff\xfeutf8"),
    (socket.SOCK_STREAM, b"mix \n\t\n x"),
    (socket.SOCK_DGRAM, b"dgram\nnl"),
    (socket.SOCK_SEQPACKET, b"seq\tpacket\n"),
]
ABSTRACT_NAMES = [
    (socket.SOCK_STREAM, b"hostile\nabstract\tname"),
    (socket.SOCK_DGRAM, b" abs\nspace "),
]


def shown_term(b):
    """esc_term for the bytes our paths hold: printable ASCII as is,
    backslash doubled, other bytes < 0x20, DEL and invalid UTF-8 as \\xNN."""
    out = []
    for c in b:
        if c == 0x5c:
            out.append("\\\\")
        elif c < 0x20 or c >= 0x7f:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out).encode()


def sec_unix_paths(sc):
    me = os.getpid()
    d = os.fsencode(sc.tmpdir())
    want = {}  # inode -> (path bytes as whosock must report them, fd, what)
    for typ, rel in UNIX_NAMES:
        path = d + b"/" + rel
        s = sc.s(socket.socket(socket.AF_UNIX, typ))
        s.bind(path)
        if typ != socket.SOCK_DGRAM:
            s.listen(4)
        want[ino(s)] = (path, s.fileno(), "path %r" % path)
    for typ, name in ABSTRACT_NAMES:
        s = sc.s(socket.socket(socket.AF_UNIX, typ))
        s.bind(b"\0" + name)
        if typ != socket.SOCK_DGRAM:
            s.listen(4)
        want[ino(s)] = (b"@" + name, s.fileno(), "abstract name %r" % name)
    # A connection through the newline path: the accepted socket reports the
    # listener's path too, the client none.
    lpath = d + b"/" + UNIX_NAMES[0][1]
    c = sc.s(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    c.connect(lpath)
    lsock = [s for s in sc.socks if ino(s) in want and want[ino(s)][0] == lpath][0]
    a, _ = lsock.accept()
    sc.s(a)
    want[ino(a)] = (lpath, a.fileno(), "accepted connection on %r" % lpath)
    want[ino(c)] = (None, c.fileno(), "client connected to %r" % lpath)
    print("  %d UNIX sockets in %r" % (len(want), d), flush=True)

    listings = {}
    for source in ("auto", "proc"):
        args = ["-x"] + (["--source", "proc"] if source == "proc" else [])
        rows, _ = ws_json(args, "whosock " + " ".join(args))
        if rows is None:
            continue
        listings[source] = rows
        where = cmdline(args + ["-o", "json"])
        extra = [r for r in rows if r.get("inode") not in want]
        T.ok(not extra, "%s: rows for sockets we did not create (phantom rows from path continuation lines?)" % where,
             "\n".join(fmt_row(r) for r in extra[:10]))
        for inode, (path, fd, what) in sorted(want.items()):
            r = one_row(rows, inode, what, where)
            if r is None:
                continue
            got = sb((r.get("local") or {}).get("path"))
            T.eq(got, path, "%s: local.path of %s (inode %d; JSON string as bytes)" % (where, what, inode), fmt_row(r))
            T.eq(pairs(r["owners"]), [(me, fd)], "%s: owners of %s" % (where, what), fmt_row(r))
        # The table: escaped, one line per socket.
        targs = args
        run = run_ws(targs)
        lines = table_lines(run, targs)
        if lines is None:
            continue
        check_terminal_safe(run.out, targs)
        T.eq(len(lines), 1 + len(rows), "%s: lines (header + one per socket of -o json); a raw newline would add one"
             % cmdline(targs), decoded(run.out))
        for inode, (path, fd, what) in sorted(want.items()):
            if path is None or inode == ino(a):
                continue
            esc = shown_term(path)
            # the listener's path is also the accepted socket's LOCAL and
            # (netlink only: /proc/net/unix has no peers) the client's REMOTE
            n_want = (3 if source == "auto" else 2) if path == lpath else 1
            m = [l for l in lines if (b" " + esc + b" ") in l]
            T.eq(len(m), n_want, "%s: lines holding %s escaped as %r" % (cmdline(targs), what, esc.decode()),
                 decoded(run.out))
    if "auto" in listings and "proc" in listings:
        a_ = {r["inode"]: (r.get("proto"), r.get("state"), sb(r["local"].get("path")), pairs(r["owners"]))
              for r in listings["auto"] if r.get("inode") in want}
        p_ = {r["inode"]: (r.get("proto"), r.get("state"), sb(r["local"].get("path")), pairs(r["owners"]))
              for r in listings["proc"] if r.get("inode") in want}
        diff = ["inode %d: netlink %r, /proc/net/unix %r" % (i, a_.get(i), p_.get(i))
                for i in sorted(set(a_) | set(p_)) if a_.get(i) != p_.get(i)]
        T.ok(not diff, "%s vs %s: (proto, state, path, owners) differ" % (cmdline(["-x"]), cmdline(["-x", "--source", "proc"])),
             "\n".join(diff))

    # Known limit of the /proc/net/unix format (lib/procnet.c says so): a path
    # whose newline is followed by something shaped like a record. Reported,
    # not asserted.
    fake = d + b"/f\n0000000000000000: 00000002 00000000 00010000 0001 01 999999"
    f = sc.s(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    f.bind(fake)
    f.listen(1)
    args = ["-x", "--source", "proc"]
    rows, _ = ws_json(args, "whosock -x --source proc (record-shaped path)")
    if rows is not None:
        r = rows_by_inode(rows, ino(f))
        phantom = rows_by_inode(rows, 999999)
        if len(r) != 1 or sb(r[0]["local"].get("path")) != fake or phantom:
            note("known /proc/net/unix limit: a path with a newline followed by a record-shaped line (%r) is read "
                 "by --source proc as %s%s (netlink has it right)"
                 % (fake, "path %r" % sb(r[0]["local"].get("path")) if len(r) == 1 else "%d rows" % len(r),
                    " plus a phantom socket inode 999999" if phantom else ""))


# --------------------------------------------------------------------------
# 3. One socket held through 15,000 fds.
# --------------------------------------------------------------------------

def sec_many_fds(sc):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard_n = hard if hard != resource.RLIM_INFINITY else 1 << 20
    n = MANY_FDS if hard_n <= 20000 else min(hard_n - 5000, 100000)
    if hard_n < n + 100:
        note("section 3 ran with %d fds only: the hard RLIMIT_NOFILE is %d" % (hard_n - 100, hard_n))
        n = hard_n - 100

    def holder():
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        s = tcp_listener()
        KEEP.append(s)
        have = 1
        while have < n:
            os.dup(s.fileno())
            have += 1
        return {"inode": ino(s), "port": s.getsockname()[1]}
    k = sc.kid(spawn(holder, timeout=READY_TIMEOUT))
    truth = socket_fds(k.pid)
    fds = sorted(fd for fd, i in truth.items() if i == k["inode"])
    T.eq(len(fds), n, "setup: fds of pid %d holding the listener" % k.pid)
    print("  pid %d holds listener 127.0.0.1:%d (inode %d) through %d fds (%d..%d)"
          % (k.pid, k["port"], k["inode"], len(fds), fds[0], fds[-1]), flush=True)
    comm = my_comm(k.pid).decode("utf-8", "surrogateescape")
    for args in (["-t"], ["-t", "--pid", str(k.pid)]):
        rows, run = ws_json(args, "whosock " + " ".join(args), measure=True)
        check_rss(run, RSS_LIMIT_FDS_KB, args + ["-o", "json"])
        if rows is None:
            continue
        where = cmdline(args + ["-o", "json"])
        T.eq(len(rows), 1, "%s: rows (only the listener exists in this namespace)" % where)
        r = one_row(rows, k["inode"], "the listener held through %d fds" % n, where)
        if r is None:
            continue
        got = pairs(r["owners"])
        want = [(k.pid, fd) for fd in fds]
        if got != want:
            g, w = set(got), set(want)
            T.ok(False, "%s: owners: got %d (pid, fd) pairs, want %d (one per fd)" % (where, len(got), len(want)),
                 "missing: %r\nextra: %r\nduplicates: %d" % (sorted(w - g)[:20], sorted(g - w)[:20], len(got) - len(g)))
        else:
            T.ok(True, "")
        T.ok(all(sb(o.get("comm")) == sb(comm) for o in r["owners"]), "%s: every owner's comm is %r" % (where, comm))
    for args in (["-t"], ["-t", "-e"]):
        run = run_ws(args, measure=True)
        check_rss(run, RSS_LIMIT_FDS_KB, args)
        lines = table_lines(run, args)
        if lines is None:
            continue
        m = [l for l in lines if b" 127.0.0.1:%d " % k["port"] in l]
        if T.eq(len(m), 1, "%s: lines for 127.0.0.1:%d" % (cmdline(args), k["port"]), decoded(run.out)[:3000]):
            cell = ("%s(%d%s)" % (comm, k.pid, ",root" if "-e" in args else "")).encode()
            T.ok(m[0].rstrip().split()[-1] == cell,
                 "%s: the PROCESS column must show the process once: want %r, got %r"
                 % (cmdline(args), cell, m[0].rstrip().split()[-1][:300]))
        T.eq(len(lines), 2, "%s: lines (header + the listener)" % cmdline(args), decoded(run.out)[:3000])


# --------------------------------------------------------------------------
# 4. A storm of forks and exits during 20 runs.
# --------------------------------------------------------------------------

def storm_loop(logpath, udir, stop_r, done_w):
    """In the churner: fork short-lived children until `stop_r` is readable
    (or closed), then reap them all, write 'd' to done_w and exit. Every
    process logs "pid fd inode" for each socket it holds -- the ones it
    inherited too -- right after it gets it, so once every child has been
    reaped the log holds every (pid, fd, socket) that ever existed."""
    os.nice(10)
    logfd = os.open(logpath, os.O_WRONLY | os.O_APPEND)
    os.set_blocking(stop_r, False)
    mine = []  # the churner's own sockets: every child inherits them

    def log(*socks):
        pid = os.getpid()
        os.write(logfd, b"".join(b"%d %d %d\n" % (pid, s.fileno(), ino(s)) for s in socks))

    def child(n):
        log(*mine)  # inherited
        kind = n % 6
        keep = []
        if kind == 1:
            keep = [tcp_listener(), udp_socket()]
            log(*keep)
        elif kind == 2:
            a, b = socket.socketpair()
            log(a, b)
            a.close()  # its fd is free: the next socket takes the same number
            l = tcp_listener()
            log(l)
            keep = [b, l]
        elif kind == 3:
            path = os.path.join(udir, "%d-%d" % (os.getpid(), n))
            l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            l.bind(path)
            l.listen(2)
            log(l)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(path)
            log(c)
            a, _ = l.accept()
            log(a)
            os.unlink(path)
            keep = [l, c, a]
        elif kind == 4:
            # a grandchild inherits a connection and exits first
            l = tcp_listener()
            c = socket.create_connection(l.getsockname())
            a, _ = l.accept()
            log(l, c, a)
            keep = [l, c, a]
            if os.fork() == 0:
                log(*(mine + keep))
                os._exit(0)
            os.wait()
        elif kind == 5:
            keep = [udp_socket() for _ in range(4)]
            log(*keep)
        # kind 0: no socket of its own
        # A third exit at once, a third within 0.2 s (during a scan), a third
        # live 0.5 to 2.9 s: whosock lists the pids first and scans them in
        # order over a second or so on a busy machine, so only those are
        # sure to be seen with their sockets.
        if n % 3 == 1:
            time.sleep(0.005 * (n % 41))
        elif n % 3 == 2:
            time.sleep(0.5 + 0.06 * (n % 41))
        os._exit(0)

    n = 0
    alive = 0
    while True:
        try:
            c = os.read(stop_r, 1)
        except BlockingIOError:
            c = None
        if c is not None:
            break
        n += 1
        if alive < MAX_ALIVE:
            pid = os.fork()
            if pid == 0:
                try:
                    child(n)
                finally:
                    os._exit(1)
            alive += 1
        if n % 5 == 0:  # the churner's own sockets come and go too
            if n % 10:
                s = tcp_listener()
                log(s)
            else:
                s, other = socket.socketpair()
                log(s, other)  # held for a moment: a scan may see it
                other.close()
            mine.append(s)
            if len(mine) > 4:
                mine.pop(0).close()
        while alive:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG if alive < MAX_ALIVE else 0)
            except ChildProcessError:
                alive = 0
                break
            if pid == 0:
                break
            alive -= 1
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    os.write(done_w, b"d")
    os._exit(0)


def logged_pids(logpath):
    """How many processes of the storm have logged a socket so far."""
    with open(logpath, "rb") as f:
        return len({line.split(b" ", 1)[0] for line in f})


def sec_storm(sc):
    me = os.getpid()
    d = sc.tmpdir()
    logpath = os.path.join(d, "storm.log")
    open(logpath, "wb").close()
    udir = os.path.join(d, "u")
    os.mkdir(udir)
    # Stable sockets, opened before the storm and kept through it.
    L = sc.s(tcp_listener())
    U = sc.s(udp_socket())
    X = sc.s(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    X.bind(os.path.join(d, "stable\nunix"))
    X.listen(4)
    C = sc.s(socket.create_connection(L.getsockname()))
    A, _ = L.accept()
    sc.s(A)
    P1, P2 = socket.socketpair()
    sc.s(P1)
    sc.s(P2)

    def stable_child():
        mine = [udp_socket(), tcp_listener()]
        KEEP.extend(mine)
        return {}
    k = sc.kid(spawn(stable_child, keep=[L.fileno(), U.fileno(), P2.fileno(), C.fileno()],
                      timeout=READY_TIMEOUT))
    stable_pids = {me, k.pid}
    held = {}  # (pid, fd) -> inode, for the stable processes: never changes during the storm
    for pid in stable_pids:
        for fd, i in socket_fds(pid).items():
            held[(pid, fd)] = i
    stable = {}  # inode -> sorted [(pid, fd)]
    for (pid, fd), i in held.items():
        stable.setdefault(i, []).append((pid, fd))
    stable = {i: sorted(v) for i, v in stable.items()}
    T.ok(len(stable) >= 9, "setup: stable sockets found in /proc: %d" % len(stable), repr(stable))

    stop_r, stop_w = os.pipe()
    done_r, done_w = os.pipe()
    churner = sc.kid(spawn(lambda: {}, keep=[stop_r, done_w],
                           loop=lambda _hold: storm_loop(logpath, udir, stop_r, done_w), timeout=READY_TIMEOUT))
    os.close(stop_r)
    os.close(done_w)
    sc.fds.extend((stop_w, done_r))
    print("  %d stable sockets held by the test %d and child %d; churner %d"
          % (len(stable), me, k.pid, churner.pid), flush=True)
    time.sleep(0.3)

    args = ["-t", "-u", "-x", "-o", "json"]
    runs = []
    t0 = time.monotonic()
    # At least STORM_RUNS runs, and on until the storm has gone through
    # STORM_PROCS processes (a fast machine finishes the runs sooner).
    while len(runs) < STORM_RUNS or (logged_pids(logpath) < STORM_PROCS and time.monotonic() - t0 < 120):
        runs.append(run_ws(args))
    elapsed = time.monotonic() - t0
    os.write(stop_w, b"s")
    import select
    finished = select.select([done_r], [], [], 120)[0] and os.read(done_r, 1) == b"d"
    if not T.ok(finished, "the churner did not stop and reap its children within 120 s: the log may be incomplete"):
        return
    logged = set()
    churn_pids = set()
    with open(logpath, "rb") as f:
        for line in f:
            pid, fd, inode = map(int, line.split())
            logged.add((pid, fd, inode))
            churn_pids.add(pid)
    seen_churn = 0
    for n, run in enumerate(runs):
        where = "run %d of %s" % (n + 1, cmdline(args))
        rows = parse_json(run, args, where)
        if rows is None:
            continue
        bad = []
        by_inode = {}
        for r in rows:
            by_inode.setdefault(r.get("inode"), []).append(r)
            for key, target in (("owners", r.get("inode")), ("peer_owners", r.get("peer_inode"))):
                seen = set()
                for o in r.get(key) or []:
                    pid, fd = o.get("pid"), o.get("fd")
                    if (pid, fd) in seen:
                        bad.append("inode %s: %s lists (%s, %s) twice" % (r.get("inode"), key, pid, fd))
                    seen.add((pid, fd))
                    if pid in stable_pids:
                        if held.get((pid, fd)) != target:
                            bad.append("inode %s: %s has (pid %s, fd %s), but that fd is %s"
                                       % (r.get("inode"), key, pid, fd,
                                          "socket %s" % held[(pid, fd)] if (pid, fd) in held else "not a socket"))
                    elif (pid, fd, target) in logged:
                        seen_churn += 1
                    else:
                        bad.append("inode %s: %s has (pid %s, fd %s): no process of the storm ever held socket %s "
                                   "at that pid and fd" % (r.get("inode"), key, pid, fd, target))
        for i, want in sorted(stable.items()):
            m = by_inode.get(i, [])
            if len(m) != 1:
                bad.append("stable socket %d (held by %r) appears %d times, want once" % (i, want, len(m)))
            elif pairs(m[0]["owners"]) != want:
                bad.append("stable socket %d: owners %r, want %r" % (i, pairs(m[0]["owners"]), want))
        T.ok(not bad, "%s: wrong owners or missing stable sockets" % where, "\n".join(bad[:30]))
    print("  %d runs in %.1f s; the storm forked %d processes that logged %d (pid, fd, socket); "
          "%d storm owners checked against the log"
          % (len(runs), elapsed, len(churn_pids), len(logged), seen_churn), flush=True)
    T.ok(len(churn_pids) >= STORM_PROCS and seen_churn > 0,
         "the storm was not exercised: %d processes forked, %d of their owners seen by whosock"
         % (len(churn_pids), seen_churn))


# --------------------------------------------------------------------------
# Inner half: runs inside the namespace.
# --------------------------------------------------------------------------

def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    print("whosock: %s, network namespace %d, test pid %d; peak RSS via %s" % (
        WHOSOCK, netns, os.getpid(), RUNONE or GNU_TIME or "getrusage"), flush=True)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        # exit through the finally/atexit below: children killed, temp dirs removed
        signal.signal(sig, lambda signum, _f: sys.exit(128 + signum))
    only = set(sys.argv[1:])  # section numbers to run (default: all)
    sections = [
        ("1. hostile process names and command lines (1 MiB): escaped table/CSV, exact JSON, 32 KiB cap",
         sec_names),
        ("2. hostile UNIX paths: once each, escaped, exact, also with --source proc", sec_unix_paths),
        ("3. one socket held through %d fds: one row, every fd an owner, bounded memory" % MANY_FDS, sec_many_fds),
        ("4. whosock runs during a storm of forks and exits (at least %d runs, %d processes)" % (STORM_RUNS, STORM_PROCS), sec_storm),
    ]
    try:
        for name, fn in sections:
            if not only or name.split(".")[0] in only:
                T.run_section(name, fn)
    finally:
        kill_all_kids()
    print()
    return T.summary(NOTES, cut=300)


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace and read every process's fd table",
                tools=("unshare", "ip"))
