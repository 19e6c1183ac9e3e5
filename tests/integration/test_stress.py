#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: a complete and correct listing under load (the CI-sized
version of bench/stress).

bench/loadgen (BUILD/bench/loadgen) makes 20,000 sockets in 100 processes
spread over 5 new network namespaces: each process holds 5 TCP listeners, 95
loopback TCP connections (both ends) and 5 bound UDP sockets, on 127.x.y.z or
(every second process) ::1. Then one `whosock -o json` run (every namespace,
as by default) must list, in those 5 namespaces:

  - exactly the sockets the processes hold (/proc/PID/fd is the truth): each
    once, none missing, none extra;
  - for each, exactly one owner, the (pid, fd) that holds it, and the netns
    that process lives in;
  - per namespace, as many sockets, of each (proto, state), as
    `nsenter --net=/proc/PID/ns/net ss -tuanH` counts there, and the same
    (proto, local, remote) endpoints;
  - per process, its 200 sockets.

Other people may load the machine at the same time: rows of other namespaces
are ignored. Wall time and peak RSS of the run are printed (never asserted).

Environment: WHOSOCK (binary; set by tests/integration/meson.build),
WHOSOCK_LOADGEN (default: bench/loadgen next to it). Exit 0 pass, 1 fail, 77
skip (not root, no namespaces, loadgen not built). loadgen and its children
are stopped on every exit path. Python 3 standard library only.
"""

import atexit
import collections
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import wstest
from wstest import canon_addr, socket_fds, ss_endpoint

PROCS, LISTENERS, CONNS, UDP, NETNS = 100, 5, 95, 5, 5
PER_PROC = LISTENERS + 2 * CONNS + UDP
TOTAL = PROCS * PER_PROC
READY_TIMEOUT = 300


WHOSOCK = wstest.whosock_path()
# Under valgrind WHOSOCK is a wrapper script; the build is where the binary is.
BUILD = os.path.dirname(os.path.abspath(os.environ.get("WHOSOCK_REAL") or WHOSOCK))
LOADGEN = os.environ.get("WHOSOCK_LOADGEN") or os.path.join(BUILD, "bench", "loadgen")
RUNONE = os.path.join(BUILD, "bench", "runone")

# Collects every failure, prints them all (no sections: no [tag]).
T = wstest.Checker(section=None)


class Loadgen:
    def __init__(self, argv):
        self.argv = argv
        self.proc = None
        self.sockets = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("loadgen not ready after %d s: %s" % (READY_TIMEOUT, " ".join(self.argv)))
            if not select.select([fd], [], [], left)[0]:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("loadgen exited with status %s before it was ready (its error is above): %s"
                                   % (self.proc.wait(), " ".join(self.argv)))
            buf += chunk
        m = re.fullmatch(r"ready (\d+) sockets", buf.split(b"\n")[0].decode(errors="replace"))
        if not m:
            raise RuntimeError("unexpected line from loadgen: %r" % buf)
        self.sockets = int(m.group(1))

    def stop(self):
        p, self.proc = self.proc, None
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        p.stdout.close()


LG = None


def cleanup(*_):
    if LG is not None:
        LG.stop()


def on_signal(signum, frame):
    cleanup()
    sys.exit(128 + signum)


def children_of(ppid):
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(b")") + 2:].split()
        if int(fields[1]) == ppid:
            kids.append(int(name))
    return sorted(kids)


SS_STATE = {"ESTAB": "ESTABLISHED", "UNCONN": "UNCONN", "LISTEN": "LISTEN", "SYN-SENT": "SYN_SENT",
            "SYN-RECV": "SYN_RECV", "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT"}


def ss_keys(pid):
    """(proto, state, local, remote) of every TCP/UDP socket of the netns
    process pid lives in, as ss sees them."""
    p = subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % pid, "ss", "-tuanH"], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("nsenter --net=/proc/%d/ns/net ss -tuanH: %s" % (pid, p.stderr.decode(errors="replace")))
    keys = []
    for line in p.stdout.decode().splitlines():
        f = line.split()
        if not f:
            continue
        keys.append((f[0], SS_STATE.get(f[1], f[1]), ss_endpoint(f[4]), ss_endpoint(f[5])))
    return keys


def ws_key(r):
    return (r["proto"], r["state"], (canon_addr(r["local"]["addr"]), r["local"]["port"]),
            (canon_addr(r["remote"]["addr"]), r["remote"]["port"]))


def run_whosock(args):
    """(rc, stdout bytes, stderr text, wall s, peak RSS kB or None)."""
    with tempfile.NamedTemporaryFile(prefix="wsstress-") as outf, tempfile.TemporaryFile() as errf:
        if os.access(RUNONE, os.X_OK):
            p = subprocess.run([RUNONE, "-o", outf.name, "-t", "600", "--", WHOSOCK] + args,
                               stdout=subprocess.PIPE, stderr=errf)
            fields = dict(kv.split("=", 1) for kv in p.stdout.decode().split() if "=" in kv)
            rc = int(fields.get("status", -1))
            wall, rss = int(fields.get("wall_ns", 0)) / 1e9, int(fields.get("maxrss_kb", 0))
        else:
            t0 = time.monotonic()
            p = subprocess.run([WHOSOCK] + args, stdout=outf, stderr=errf, timeout=600)
            rc, wall, rss = p.returncode, time.monotonic() - t0, None
        outf.seek(0)
        out = outf.read()
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    return rc, out, err, wall, rss


def check():
    global LG
    argv = [LOADGEN, "-p", str(PROCS), "-l", str(LISTENERS), "-c", str(CONNS), "-u", str(UDP), "-n", str(NETNS), "-6"]
    LG = Loadgen(argv)
    t0 = time.monotonic()
    LG.start()
    print("loadgen (pid %d) ready with %d sockets in %.1f s: %s"
          % (LG.proc.pid, LG.sockets, time.monotonic() - t0, " ".join(argv)), flush=True)
    T.ok(LG.sockets == TOTAL, "loadgen reports %d sockets, want %d" % (LG.sockets, TOTAL))

    # The truth, from /proc: which process holds which socket at which fd.
    kids = children_of(LG.proc.pid)
    T.ok(len(kids) == PROCS, "loadgen has %d children, want %d" % (len(kids), PROCS))
    my_ns = os.stat("/proc/self/ns/net").st_ino
    owner = {}                               # inode -> (pid, fd)
    ns_of = {}                               # pid -> netns inode
    by_ns = collections.defaultdict(list)    # netns -> [pid]
    dup = []
    for pid in kids:
        ns_of[pid] = os.stat("/proc/%d/ns/net" % pid).st_ino
        by_ns[ns_of[pid]].append(pid)
        fds = socket_fds(pid)
        T.ok(len(fds) == PER_PROC, "pid %d holds %d sockets, want %d" % (pid, len(fds), PER_PROC))
        for fd, i in fds.items():
            if i in owner:
                dup.append(i)
            owner[i] = (pid, fd)
    T.ok(not dup, "sockets held by two loadgen processes (loadgen changed?): %r" % dup[:10])
    T.ok(len(by_ns) == NETNS and my_ns not in by_ns,
         "loadgen children live in %d namespaces (want %d new ones, not ours %d): %r"
         % (len(by_ns), NETNS, my_ns, {n: len(p) for n, p in by_ns.items()}))

    args = ["-o", "json"]
    rc, out, err, wall, rss = run_whosock(args)
    print("%s -o json: exit %d, %.2f s wall, peak RSS %s, %d bytes of output"
          % (WHOSOCK, rc, wall, "%.1f MB" % (rss / 1024) if rss else "?", len(out)), flush=True)
    if not T.ok(rc == 0, "%s %s: exit status %d" % (WHOSOCK, " ".join(args), rc), err):
        return
    try:
        rows = json.loads(out.decode("utf-8"))
    except ValueError as e:
        T.ok(False, "%s -o json: output does not parse: %s" % (WHOSOCK, e))
        return
    mine = [r for r in rows if r.get("netns") in by_ns]
    print("whosock listed %d sockets, %d of them in loadgen's %d namespaces" % (len(rows), len(mine), len(by_ns)),
          flush=True)

    # Every socket once, none extra, each with its one owner.
    count = collections.Counter(r.get("inode") for r in mine)
    missing = sorted(set(owner) - set(count))
    extra = [r for r in mine if r.get("inode") not in owner]
    twice = sorted(i for i, n in count.items() if n > 1)
    T.ok(not missing, "%d sockets held by loadgen's processes are missing from the listing" % len(missing),
         "\n".join("inode %d held by pid %d fd %d (netns %d)" % ((i,) + owner[i] + (ns_of[owner[i][0]],))
                   for i in missing[:20]))
    T.ok(not extra, "%d rows in loadgen's namespaces for sockets no loadgen process holds" % len(extra),
         "\n".join(json.dumps(r)[:300] for r in extra[:10]))
    T.ok(not twice, "%d sockets listed more than once" % len(twice), repr(twice[:20]))
    wrong = []
    per_proc = collections.Counter()
    for r in mine:
        i = r.get("inode")
        if i not in owner:
            continue
        got = sorted((o.get("pid"), o.get("fd")) for o in r.get("owners") or [])
        pid, fd = owner[i]
        if got != [(pid, fd)]:
            wrong.append("inode %d: owners %r, want [(%d, %d)]" % (i, got[:5], pid, fd))
        elif r.get("netns") != ns_of[pid]:
            wrong.append("inode %d: netns %r, but its owner %d lives in %d" % (i, r.get("netns"), pid, ns_of[pid]))
        for o in r.get("owners") or []:
            per_proc[o.get("pid")] += 1
    T.ok(not wrong, "%d sockets with wrong owners or netns" % len(wrong), "\n".join(wrong[:20]))
    bad_pp = {p: per_proc.get(p, 0) for p in kids if per_proc.get(p, 0) != PER_PROC}
    T.ok(not bad_pp, "sockets owned per process (want %d each): %d processes differ" % (PER_PROC, len(bad_pp)),
         repr(sorted(bad_pp.items())[:20]))

    # The table: one line per socket, the NETNS column first, the owner last.
    rc, out, err, wall, rss = run_whosock([])
    print("%s (table): exit %d, %.2f s wall, peak RSS %s" % (WHOSOCK, rc, wall, "%.1f MB" % (rss / 1024) if rss else "?"),
          flush=True)
    if T.ok(rc == 0, "%s (table): exit status %d" % (WHOSOCK, rc), err):
        per_ns = collections.Counter()
        bad = []
        names = {pid: open("/proc/%d/comm" % pid).read().strip() for pid in kids}
        for line in out.decode("utf-8", "replace").splitlines()[1:]:
            f = line.split()
            if f and f[0].isdigit() and int(f[0]) in by_ns:
                per_ns[int(f[0])] += 1
                m = re.fullmatch(r"(.*)\((\d+)\)", f[-1])
                if not m or int(m.group(2)) not in ns_of or ns_of[int(m.group(2))] != int(f[0]) \
                        or names[int(m.group(2))] != m.group(1):
                    bad.append(line)
        want = {ns: len(p) * PER_PROC for ns, p in by_ns.items()}
        T.ok(dict(per_ns) == want, "%s (table): lines per loadgen namespace: got %r, want %r"
             % (WHOSOCK, dict(per_ns), want))
        T.ok(not bad, "%s (table): %d lines whose PROCESS is not comm(pid) of a loadgen process of that namespace"
             % (WHOSOCK, len(bad)), "\n".join(bad[:10]))

    # Per namespace: what ss sees there.
    for ns, pids in sorted(by_ns.items()):
        try:
            ss = ss_keys(pids[0])
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            T.ok(False, str(e))
            continue
        ws = [ws_key(r) for r in mine if r.get("netns") == ns]
        want_n = len(pids) * PER_PROC
        T.ok(len(ws) == len(ss) == want_n, "netns %d: whosock lists %d sockets, ss -tuanH %d, loadgen made %d"
             % (ns, len(ws), len(ss), want_n))
        hist_ws = collections.Counter((k[0], k[1]) for k in ws)
        hist_ss = collections.Counter((k[0], k[1]) for k in ss)
        T.ok(hist_ws == hist_ss, "netns %d: sockets per (proto, state): whosock %r, ss %r"
             % (ns, sorted(hist_ws.items()), sorted(hist_ss.items())))
        cw, cs = collections.Counter(ws), collections.Counter(ss)
        diff = ["whosock only: %r x%d" % (k, n) for k, n in (cw - cs).items()] + \
               ["ss only: %r x%d" % (k, n) for k, n in (cs - cw).items()]
        T.ok(not diff, "netns %d: (proto, state, local, remote) differ from `nsenter --net=/proc/%d/ns/net ss -tuanH`"
             % (ns, pids[0]), "\n".join(sorted(diff)[:20]))
        print("netns %d: %d processes, whosock %d sockets, ss %d: %s"
              % (ns, len(pids), len(ws), len(ss), ", ".join("%s %s %d" % (p, s, n) for (p, s), n in
                                                          sorted(hist_ws.items()))), flush=True)


def main():
    why = wstest.missing("needs root (loadgen -n creates network namespaces; whosock must read every fd table)",
                         ("nsenter", "ss", "unshare"))
    if why:
        return wstest.skip(why)
    if wstest.whosock_missing(WHOSOCK):
        return 1
    if not os.access(LOADGEN, os.X_OK):
        return wstest.skip("loadgen not built at %s (ninja -C build, or set WHOSOCK_LOADGEN)" % LOADGEN)
    why = wstest.unshare_fails()
    if why:
        return wstest.skip(why)
    atexit.register(cleanup)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    t0 = time.monotonic()
    try:
        check()
    except Exception:
        T.ok(False, "exception", traceback.format_exc())
    finally:
        cleanup()
    print()
    print("reproduce: %s -p %d -l %d -c %d -u %d -n %d -6 & then %s -o json"
          % (LOADGEN, PROCS, LISTENERS, CONNS, UDP, NETNS, WHOSOCK))
    return T.summary(cut=300, took=time.monotonic() - t0)


if __name__ == "__main__":
    sys.exit(main())
