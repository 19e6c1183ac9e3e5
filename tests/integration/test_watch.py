#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock watch` (sockets opening and closing, live).

The test re-executes itself inside a fresh network namespace (`unshare -n`,
lo up) and runs `whosock watch --host-only` there as a subprocess, reading
its stdout line by line as it comes: every socket in that namespace is one
this test made, so a benchmark load elsewhere on the machine changes
nothing. Each section starts its own watcher and is ready once a probe
listener opened after the start is reported (sockets open when the watcher
starts are its baseline and raise no event); it waits for events with
deadlines (no sleeps), and asserts no timing except the 2 s the issue asks
for (section 1):

   1. a listener (TCP, a child process), an IPv6 one and a bound UDP socket
      opened after the start: `opened` with the right pid, port, proto and
      state within 2 s; closed: `closed` within 2 s with lifetime_ms; a TCP
      connection held over a dump raises nothing without --connections;
      every event has the NDJSON event fields (ts, type, lifetime_ms, socket);
  1b. a process closes its listener and opens another at once (its fd count
      stays), three times in a row: each new one `opened` with its owner
      (pid, fd) within 2 s;
   2. --connections: a TCP connection moves 1000 bytes one way and 2345 the
      other, then closes at once: both ends' `closed` events carry the
      kernel's final tcp.bytes_acked / bytes_received (compared with
      `ss -ti` before the close, plus the FIN); connected UDP opens/closes;
   3. a process holding 3 listeners is SIGKILLed: all three `closed`;
   4. 1,000 listeners (4 processes x 250) opened in a burst, then closed in
      a burst: every port `opened` exactly once and `closed` exactly once;
   5. the human format (`HH:MM:SS + tcp 127.0.0.1:PORT LISTEN comm(PID) root
      netns=INODE`, `- ... lifetime=S`), line-buffered into a pipe;
      --count N (exit 0 after exactly N events), --timeout 1 (exit 0 after
      about a second), SIGINT and SIGTERM (exit 0, whole lines, every event
      emitted before the signal there, SIGTERM in the middle of a burst);
   6. bad usage: `watch -o json`, `--connections` without watch, `--interval
      50ms`, ...: exit 2, one line on stderr, nothing on stdout.

Environment: WHOSOCK = path to the binary (set by tests/integration/
meson.build). Exit 0 pass, 1 fail, 77 skip (not root or no namespaces).
Every failure prints what differed and the command to reproduce it.
Python 3 standard library only.
"""

import atexit
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import wstest
from wstest import quote

WAIT = 10.0          # deadline for an event that must come (a failure, not a timing)
WAIT_BURST = 60.0    # deadline for the 1,000-listener bursts
LATENCY_MAX = 2.0    # the issue: an event within 2 s
BURST_PROCS, BURST_EACH = 4, 250

TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


WHOSOCK = wstest.whosock_path()
NOTES = []


# --------------------------------------------------------------------------
# Child processes: a small Python program that opens and closes sockets on
# command (one JSON line in, one JSON line out). Exec'd, not forked: the test
# has reader threads. Dies with the test (PR_SET_PDEATHSIG) and when its
# stdin closes.
# --------------------------------------------------------------------------

KID_PROGRAM = r"""
import ctypes, json, os, resource, socket, sys
ctypes.CDLL(None).prctl(1, ctypes.c_ulong(9), 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
print(json.dumps({"pid": os.getpid()}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] in ("open", "replace"):
        if cmd["op"] == "replace":  # close, then open as many: the fd count stays
            for s in socks:
                s.close()
            socks.clear()
        fam = socket.AF_INET6 if ":" in cmd["addr"] else socket.AF_INET
        out = []
        for _ in range(cmd["n"]):
            s = socket.socket(fam, socket.SOCK_STREAM if cmd["proto"] == "tcp" else socket.SOCK_DGRAM)
            s.bind((cmd["addr"], 0))
            if cmd["proto"] == "tcp":
                s.listen(8)
            socks.append(s)
            out.append([s.getsockname()[1], s.fileno()])
        print(json.dumps({"socks": out}), flush=True)
    elif cmd["op"] == "close":
        n = len(socks)
        for s in socks:
            s.close()
        socks.clear()
        print(json.dumps({"closed": n}), flush=True)
"""

ALL_KIDS = []
ALL_WATCHES = []


class Kid:
    def __init__(self):
        self.p = subprocess.Popen([sys.executable, "-c", KID_PROGRAM], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, close_fds=True)
        ALL_KIDS.append(self)
        self.pid = self._reply(WAIT)["pid"]
        with open("/proc/%d/comm" % self.pid) as f:
            self.comm = f.read().rstrip("\n")

    def _reply(self, timeout):
        fd = self.p.stdout.fileno()
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            raise RuntimeError("child %d did not answer within %.0f s" % (self.p.pid, timeout))
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("child %d died (status %r)" % (self.p.pid, self.p.poll()))
        return json.loads(line)

    def send(self, op, **kw):
        kw["op"] = op
        self.p.stdin.write(json.dumps(kw).encode() + b"\n")
        self.p.stdin.flush()

    def open(self, n=1, addr="127.0.0.1", proto="tcp"):
        """Opens n sockets; returns [(port, fd)] and the time the command was sent
        (before the sockets existed)."""
        t = time.monotonic()
        self.send("open", n=n, addr=addr, proto=proto)
        return [tuple(x) for x in self._reply(WAIT_BURST)["socks"]], t

    def replace(self, n=1):
        """Closes every socket and opens n listeners in one step."""
        t = time.monotonic()
        self.send("replace", n=n, addr="127.0.0.1", proto="tcp")
        return [tuple(x) for x in self._reply(WAIT_BURST)["socks"]], t

    def close_all(self):
        t = time.monotonic()
        self.send("close")
        self._reply(WAIT_BURST)
        return t

    def kill(self):
        if self.p.poll() is None:
            try:
                self.p.kill()
            except ProcessLookupError:
                pass
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except OSError:
                pass


# --------------------------------------------------------------------------
# The watcher under test: `whosock watch --host-only ARGS` with stdout read
# by a thread as it arrives (arrival time kept per line).
# --------------------------------------------------------------------------

HAVE_PDEATHSIG = subprocess.run(["setpriv", "--pdeathsig", "KILL", "--", "true"],
                                capture_output=True).returncode == 0 if shutil.which("setpriv") else False


class Watch:
    def __init__(self, args, ndjson=True):
        self.argv = [WHOSOCK, "watch", "--host-only"] + (["-o", "ndjson"] if ndjson else []) + list(args)
        self.ndjson = ndjson
        self.cmd = " ".join(quote(a) for a in self.argv)
        # setpriv --pdeathsig: the watcher dies with the test, whatever happens.
        pre = ["setpriv", "--pdeathsig", "KILL", "--"] if HAVE_PDEATHSIG else []
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(pre + self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, close_fds=True)
        ALL_WATCHES.append(self)
        self.cv = threading.Condition()
        self.lines = []       # (arrival monotonic time, text)
        self.events = []      # (arrival, parsed object or None, text)
        self.partial = b""    # bytes after the last newline at EOF
        self.eof = False
        self.err = b""
        self.t_exit = None
        self.rc = None
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()

    def _read_out(self):
        fd = self.p.stdout.fileno()
        buf = b""
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            t = time.monotonic()
            if not b:
                break
            buf += b
            parts = buf.split(b"\n")
            buf = parts.pop()
            with self.cv:
                for raw in parts:
                    text = raw.decode("utf-8", "replace")
                    self.lines.append((t, text))
                    ev = None
                    if self.ndjson:
                        try:
                            ev = json.loads(text)
                        except ValueError:
                            ev = None
                    self.events.append((t, ev, text))
                self.cv.notify_all()
        with self.cv:
            self.partial = buf
            self.eof = True
            self.cv.notify_all()

    def _read_err(self):
        try:
            self.err = self.p.stderr.read()
        except (OSError, ValueError):
            pass

    def wait_for(self, pred, timeout=WAIT, start=0):
        """Index of the first event (ndjson: parsed dict; table: the line) at or
        after start for which pred() holds, waiting up to timeout; None."""
        deadline = time.monotonic() + timeout
        i = start
        with self.cv:
            while True:
                while i < len(self.events):
                    t, ev, text = self.events[i]
                    if pred(ev if self.ndjson else text):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cv.wait(left)

    def wait_until(self, cond, timeout=WAIT):
        """Wait until cond(self) holds (checked at every new line); True/False."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while not cond(self):
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return cond(self)
                self.cv.wait(left)
            return True

    def snapshot(self):
        with self.cv:
            return list(self.events)

    def wait_exit(self, timeout):
        """The exit status once it ended, or None if it runs on after timeout."""
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.t_exit is None:
            self.t_exit = time.monotonic()
        for t in self._threads:
            t.join(10)
        return self.rc

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for t in self._threads:
            t.join(10)
        for f in (self.p.stdout, self.p.stderr):
            try:
                f.close()
            except OSError:
                pass

    def stderr_text(self):
        return self.err.decode("utf-8", "replace")

    def dump(self, last=40):
        ev = self.snapshot()
        lines = [text for _, _, text in ev[-last:]]
        more = "(%d lines before)\n" % (len(ev) - last) if len(ev) > last else ""
        return "%s\n%s%s\nstderr: %s" % (self.repro(), more, "\n".join(lines) or "(no output)",
                                         self.stderr_text().strip() or "(empty)")

    def repro(self):
        return "reproduce: unshare -n sh -c 'ip link set lo up; %s' (open sockets meanwhile)" % self.cmd


def kill_everything():
    for w in ALL_WATCHES:
        try:
            w.kill()
        except Exception:
            pass
    for k in ALL_KIDS:
        try:
            k.kill()
        except Exception:
            pass


atexit.register(kill_everything)


class Scope:
    """What one section made: killed/closed when it ends, on every path."""

    def __init__(self):
        self.socks = []
        self.kids = []
        self.watches = []

    def s(self, sock):
        self.socks.append(sock)
        return sock

    def kid(self):
        k = Kid()
        self.kids.append(k)
        return k

    def watch(self, args, ndjson=True):
        w = Watch(args, ndjson)
        self.watches.append(w)
        return w

    def close(self):
        for w in self.watches:
            w.kill()
        for k in self.kids:
            k.kill()
        for s in self.socks:
            s.close()


# Collects every failure, prints them all. The [tag] of a section's failures
# is its number ("1b").
T = wstest.Checker(scope=Scope, timed=True, tag=lambda name: name.split(" ", 1)[0].rstrip("."))


# --------------------------------------------------------------------------
# Sockets and events.
# --------------------------------------------------------------------------

def tcp_listener(addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.listen(16)
    return s


def port_of(s):
    return s.getsockname()[1]


def sock_of(ev):
    return (ev or {}).get("socket") or {}


def lport(ev):
    return (sock_of(ev).get("local") or {}).get("port")


def rport(ev):
    return (sock_of(ev).get("remote") or {}).get("port")


def pids_of(ev):
    return sorted({o.get("pid") for o in sock_of(ev).get("owners") or []})


def is_ev(type_, port, proto="tcp", remote=None):
    def pred(ev):
        s = sock_of(ev)
        return (ev or {}).get("type") == type_ and s.get("proto") == proto and lport(ev) == port \
            and (remote is None or rport(ev) == remote)
    return pred


def fmt(ev):
    """An event for a failure message (owners' command lines shortened)."""
    if isinstance(ev, dict) and isinstance(ev.get("socket"), dict):
        ev = dict(ev, socket=dict(ev["socket"], owners=[
            dict(o, cmdline=(o.get("cmdline") or "")[:60]) if isinstance(o, dict) else o
            for o in ev["socket"].get("owners") or []]))
    return json.dumps(ev, sort_keys=True)


def settle(w):
    """Wait (polling /proc, up to WAIT) until the watcher holds a netlink
    socket and sleeps: then it most likely waits in poll() after its
    baseline, and the first probe is not swallowed by the baseline. Only
    saves time: ready() does not rely on it."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and w.p.poll() is None:
        try:
            fds = os.listdir("/proc/%d/fd" % w.p.pid)
            socks = sum(1 for fd in fds if os.readlink("/proc/%d/fd/%s" % (w.p.pid, fd)).startswith("socket:"))
            with open("/proc/%d/stat" % w.p.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            socks, state = 0, "?"
        if socks >= 1 and state == "S":
            return
        time.sleep(0.01)


def ready(w, sc, what=""):
    """Open probe listeners (in the test) until one is reported opened: the
    watcher then runs past its baseline. Probes stay open until the section
    ends (a probe that fell into the baseline raises no event at all).
    Returns the probe's event index, or None (a failure is recorded)."""
    settle(w)
    probes = []
    for attempt in range(4):
        p = sc.s(tcp_listener())
        port = port_of(p)
        probes.append(port)
        if w.ndjson:
            pred = is_ev("opened", port)
        else:
            pred = lambda l, port=port: re.search(r" \+ tcp 127\.0\.0\.1:%d " % port, l) is not None
        i = w.wait_for(pred, timeout=WAIT / 2)
        if i is not None:
            w.probes = probes
            return i
        if w.eof:
            break
    T.ok(False, "%s: no `opened` event for probe listeners 127.0.0.1:%s (opened after the watcher started)"
         % (what or w.cmd, probes), w.dump())
    return None


def barrier(w, avoid=()):
    """Open and close a listener and wait for both its events: the `opened`
    comes from a dump made after everything before, so an event reported
    twice (at the kernel's report and again at the next dump) is out by
    then. Its port is none of avoid (the ports the caller counts events of:
    the kernel may give a port just freed). Returns the listener's port."""
    held = []
    while True:
        b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        b.bind(("127.0.0.1", 0))
        if port_of(b) not in avoid:
            break
        held.append(b)  # bound, not listening (no event): the port is not given again
    b.listen(16)
    for h in held:
        h.close()
    bp = port_of(b)
    T.ok(w.wait_for(is_ev("opened", bp)) is not None, "no `opened` for the barrier listener :%d" % bp, w.dump())
    b.close()
    T.ok(w.wait_for(is_ev("closed", bp)) is not None, "no `closed` for the barrier listener :%d" % bp, w.dump())
    return bp


def check_event_shape(ev, netns, what):
    """The NDJSON event contract: ts, type, lifetime_ms, socket{...}."""
    bad = []
    if not isinstance(ev, dict):
        return ["not a JSON object"]
    if not (isinstance(ev.get("seq"), int) and ev["seq"] >= 1):
        bad.append("seq %r is not a number from 1 on" % ev.get("seq"))
    if not TS_RE.fullmatch(str(ev.get("ts"))):
        bad.append("ts %r is not YYYY-MM-DDTHH:MM:SS.mmmZ" % ev.get("ts"))
    if ev.get("type") not in ("opened", "closed"):
        bad.append("type %r" % ev.get("type"))
    if "lifetime_ms" not in ev:
        bad.append("no lifetime_ms")
    elif ev.get("type") == "opened" and ev["lifetime_ms"] is not None:
        bad.append("opened with lifetime_ms %r (want null)" % ev["lifetime_ms"])
    elif ev.get("type") == "closed" and not (isinstance(ev["lifetime_ms"], int) and ev["lifetime_ms"] >= 0):
        bad.append("closed with lifetime_ms %r (want a count of ms: every socket here was seen open)"
                   % ev["lifetime_ms"])
    s = ev.get("socket")
    if not isinstance(s, dict):
        return bad + ["no socket object"]
    for k in ("netns", "proto", "family", "state", "local", "remote", "inode", "owners"):
        if k not in s:
            bad.append("socket has no %r" % k)
    if s.get("netns") != netns:
        bad.append("socket.netns %r, want this namespace %d" % (s.get("netns"), netns))
    if not isinstance(s.get("owners"), list):
        bad.append("socket.owners is not a list")
    return ["%s: %s: %s" % (what, b, fmt(ev)) for b in bad]


def check_all_shapes(w, netns):
    evs = w.snapshot()
    bad = []
    last = 0
    for _, ev, text in evs:
        if ev is None:
            bad.append("line is not JSON: %r" % text[:300])
            continue
        bad += check_event_shape(ev, netns, "event")
        # Printed events may skip some (owner filters), never go back.
        if isinstance(ev.get("seq"), int):
            if ev["seq"] <= last:
                bad.append("seq %d after %d: %s" % (ev["seq"], last, fmt(ev)))
            last = ev["seq"]
    T.ok(not bad, "%s: %d of %d lines break the event contract" % (w.cmd, len(bad), len(evs)),
         "\n".join(bad[:10]) + "\n" + w.repro())


# --------------------------------------------------------------------------
# 1. Listeners opened and closed.
# --------------------------------------------------------------------------

def sec_listeners(sc):
    w = sc.watch([])
    if ready(w, sc) is None:
        return
    k = sc.kid()
    cases = []  # (what, proto, addr, family, (port, fd), t_sent)
    for what, addr, proto, family, state in (("TCP listener 127.0.0.1", "127.0.0.1", "tcp", "inet", "LISTEN"),
                                             ("TCP listener [::1]", "::1", "tcp", "inet6", "LISTEN"),
                                             ("bound UDP socket 127.0.0.1", "127.0.0.1", "udp", "inet", "UNCONN")):
        socks, t_sent = k.open(1, addr, proto)
        cases.append((what, proto, addr, family, state, socks[0], t_sent))
    print("  child %d (%s) opened: %s" % (k.pid, k.comm, ", ".join(
        "%s %s:%d" % (c[1], c[2], c[5][0]) for c in cases)), flush=True)
    opened_at = {}
    for what, proto, addr, family, state, (port, fd), t_sent in cases:
        i = w.wait_for(is_ev("opened", port, proto))
        if not T.ok(i is not None, "no `opened` event for the %s :%d within %.0f s" % (what, port, WAIT), w.dump()):
            continue
        t, ev, _ = w.snapshot()[i]
        opened_at[port] = t
        s = sock_of(ev)
        T.ok(t - t_sent <= LATENCY_MAX, "%s :%d: `opened` arrived %.2f s after it was opened, want <= %.0f s"
             % (what, port, t - t_sent, LATENCY_MAX), fmt(ev))
        got = (s.get("proto"), s.get("family"), s.get("state"), (s.get("local") or {}).get("addr"),
               [(o.get("pid"), o.get("fd"), o.get("comm")) for o in s.get("owners") or []])
        want = (proto, family, state, addr, [(k.pid, fd, k.comm)])
        T.eq(got, want, "%s :%d: `opened` (proto, family, state, addr, owners (pid, fd, comm))" % (what, port),
             fmt(ev) + "\n" + w.repro())

    # A TCP connection held over a dump: no event without --connections.
    L = sc.s(tcp_listener())
    c = sc.s(socket.create_connection(("127.0.0.1", port_of(L))))
    a, _ = L.accept()
    sc.s(a)
    mark = sc.s(tcp_listener())  # its `opened` comes from a dump made while c and a were open
    T.ok(w.wait_for(is_ev("opened", port_of(mark))) is not None,
         "no `opened` event for the listener :%d opened after the connection" % port_of(mark), w.dump())
    conn = [ev for _, ev, _ in w.snapshot() if sock_of(ev).get("state") not in ("LISTEN", "UNCONN")]
    T.ok(not conn, "without --connections: events for connections (client :%d, accepted :%d)"
         % (port_of(c), port_of(a)), "\n".join(fmt(e) for e in conn[:5]) + "\n" + w.repro())

    t_close = k.close_all()
    for what, proto, addr, family, state, (port, fd), t_sent in cases:
        i = w.wait_for(is_ev("closed", port, proto))
        if not T.ok(i is not None, "no `closed` event for the %s :%d within %.0f s" % (what, port, WAIT), w.dump()):
            continue
        t, ev, _ = w.snapshot()[i]
        T.ok(t - t_close <= LATENCY_MAX, "%s :%d: `closed` arrived %.2f s after the close, want <= %.0f s"
             % (what, port, t - t_close, LATENCY_MAX), fmt(ev))
        s = sock_of(ev)
        T.eq((s.get("proto"), s.get("state"), pids_of(ev)), (proto, state, [k.pid]),
             "%s :%d: `closed` (proto, state as last seen, owner pids as last seen)" % (what, port), fmt(ev))
        life = ev.get("lifetime_ms")
        if T.ok(isinstance(life, int), "%s :%d: `closed` lifetime_ms %r, want a number" % (what, port, life),
                fmt(ev)) and port in opened_at:
            # Causal bounds (clock granularity: 5 ms): the socket lived at least
            # from the `opened` arrival to our close, at most from our open
            # command to the `closed` arrival.
            lo, hi = (t_close - opened_at[port]) * 1000 - 5, (t - t_sent) * 1000 + 5
            T.ok(lo <= life <= hi, "%s :%d: lifetime_ms %d outside [%d, %d] (opened-arrival..close, "
                 "open..closed-arrival)" % (what, port, life, lo, hi), fmt(ev))
    # Each event once.
    barrier(w, {port for _, _, _, _, _, (port, _), _ in cases})
    evs = w.snapshot()
    for what, proto, addr, family, state, (port, fd), t_sent in cases:
        n = [sum(1 for _, ev, _ in evs if is_ev(ty, port, proto)(ev)) for ty in ("opened", "closed")]
        T.eq(n, [1, 1], "%s :%d: (opened, closed) event counts" % (what, port), w.dump())
    check_all_shapes(w, NETNS)
    T.ok(w.p.poll() is None, "the watcher exited by itself (status %r)" % w.p.poll(), w.dump())


def sec_replaced(sc):
    """A process that closes its listener and opens another at once keeps its
    fd count: the new listener must still be reported, with its owner, within
    2 s -- every time, also when it happens again a few seconds later."""
    w = sc.watch([])
    if ready(w, sc) is None:
        return
    k = sc.kid()
    socks, t_sent = k.open(1)
    port = socks[0][0]
    i = w.wait_for(is_ev("opened", port))
    T.ok(i is not None and pids_of(w.snapshot()[i][1]) == [k.pid],
         "listener :%d of child %d: no `opened` event naming it" % (port, k.pid), w.dump())
    for rnd in range(1, 4):
        old = port
        socks, t_sent = k.replace(1)
        port, fd = socks[0]
        i = w.wait_for(is_ev("opened", port))
        if not T.ok(i is not None, "round %d: no `opened` for the replacing listener :%d" % (rnd, port), w.dump()):
            continue
        t, ev, _ = w.snapshot()[i]
        print("  round %d: :%d closed, :%d opened at fd %d: reported after %.2f s, owners %s"
              % (rnd, old, port, fd, t - t_sent, pids_of(ev)), flush=True)
        T.eq([(o.get("pid"), o.get("fd")) for o in sock_of(ev).get("owners") or []], [(k.pid, fd)],
             "round %d: the replacing listener :%d (opened right after :%d closed, same fd count) owners (pid, fd)"
             % (rnd, port, old), fmt(ev) + "\n" + w.repro())
        T.ok(t - t_sent <= LATENCY_MAX, "round %d: the replacing listener :%d reported %.2f s after it was opened, "
             "want <= %.0f s" % (rnd, port, t - t_sent, LATENCY_MAX), fmt(ev))
        T.ok(w.wait_for(is_ev("closed", old)) is not None, "round %d: no `closed` for :%d" % (rnd, old), w.dump())


def sec_counters(sc):
    """With a long interval, a new listener is still reported long before it:
    the namespace's socket counters moved, so the watcher dumped at once."""
    w = sc.watch(["--interval", "60s"])
    if ready(w, sc) is None:
        return
    t0 = time.monotonic()
    L = sc.s(tcp_listener())
    port = port_of(L)
    i = w.wait_for(is_ev("opened", port), timeout=20)
    T.ok(i is not None, "--interval 60s: no `opened` for the listener :%d within 20 s (the counters in "
         "/proc/net/sockstat moved: the watcher should dump then, not at the interval)" % port, w.dump())
    if i is not None:
        print("  --interval 60s: listener :%d reported after %.2f s" % (port, w.snapshot()[i][0] - t0), flush=True)


# --------------------------------------------------------------------------
# 2. --connections: bytes moved, counted at the close.
# --------------------------------------------------------------------------

def ss_tcp_info(lp, rp):
    """bytes_acked, bytes_received (0 when ss omits them) and the ss line of
    the established TCP socket 127.0.0.1:lp -> :rp, from `ss -tinH`."""
    p = subprocess.run(["ss", "-tinH", "state", "established", "( sport = :%d and dport = :%d )" % (lp, rp)],
                       capture_output=True, text=True, timeout=60)
    text = p.stdout.replace("\n", " ")
    got = {}
    for key in ("bytes_acked", "bytes_received", "bytes_sent"):
        m = re.search(r"\b%s:(\d+)" % key, text)
        got[key] = int(m.group(1)) if m else 0
    return got, text.strip()


def recv_exactly(s, n):
    got = 0
    while got < n:
        b = s.recv(min(65536, n - got))
        if not b:
            break
        got += len(b)
    return got


def connect_seen(w, L, lp):
    """A new connection to listener L (port lp), checked reported opened:
    (client, accepted, client port)."""
    c = socket.create_connection(("127.0.0.1", lp))
    a, _ = L.accept()
    cp = port_of(c)
    T.ok(w.wait_for(is_ev("opened", cp, remote=lp)) is not None,
         "no `opened` event for the client :%d -> :%d" % (cp, lp), w.dump())
    return c, a, cp


def sec_connections(sc):
    SENT_C, SENT_A = 1000, 2345   # client -> server, server -> client
    w = sc.watch(["--connections"])
    if ready(w, sc) is None:
        return
    L = sc.s(tcp_listener())
    lp = port_of(L)
    c = socket.create_connection(("127.0.0.1", lp))
    a, _ = L.accept()
    cp = port_of(c)
    print("  listener :%d, client :%d -> :%d, accepted :%d -> :%d" % (lp, cp, lp, lp, cp), flush=True)
    try:
        ends = {"client": (cp, lp, SENT_C, SENT_A), "accepted": (lp, cp, SENT_A, SENT_C)}
        for what, (l, r, _, _) in ends.items():
            T.ok(w.wait_for(is_ev("opened", l, remote=r)) is not None,
                 "no `opened` event for the %s end 127.0.0.1:%d -> :%d" % (what, l, r), w.dump())
        opened = [ev for _, ev, _ in w.snapshot() if is_ev("opened", lp, remote=0)(ev)]
        T.eq(len(opened), 1, "`opened` events for the listener :%d" % lp, w.dump())
        # Now move the bytes, check what the kernel counts, and close at once:
        # only the kernel's report at the close (or a dump after the bytes)
        # can carry these counts.
        c.sendall(b"c" * SENT_C)
        T.eq(recv_exactly(a, SENT_C), SENT_C, "bytes the accepted end received")
        a.sendall(b"a" * SENT_A)
        T.eq(recv_exactly(c, SENT_A), SENT_A, "bytes the client received")
        ss_before = {what: ss_tcp_info(l, r) for what, (l, r, _, _) in ends.items()}
    finally:
        c.close()
        a.close()
    for what, (l, r, sent, received) in ends.items():
        (info, line) = ss_before[what]
        # What the kernel itself says before the close: the data received
        # exactly; acked: the data, plus 1 on the client for its SYN.
        T.eq(info["bytes_received"], received, "ss -ti before the close: %s bytes_received" % what, line)
        T.ok(info["bytes_acked"] in (sent, sent + 1), "ss -ti before the close: %s bytes_acked %d, want %d or %d"
             % (what, info["bytes_acked"], sent, sent + 1), line)
        i = w.wait_for(is_ev("closed", l, remote=r))
        if not T.ok(i is not None, "no `closed` event for the %s end :%d -> :%d" % (what, l, r), w.dump()):
            continue
        ev = w.snapshot()[i][1]
        tcp = sock_of(ev).get("tcp") or {}
        print("  %s closed: tcp %s (ss before the close: acked %d received %d)"
              % (what, json.dumps(tcp, sort_keys=True), info["bytes_acked"], info["bytes_received"]), flush=True)
        # At the close the kernel may have counted the FIN each way (+1).
        T.ok(tcp.get("bytes_received") in (info["bytes_received"], info["bytes_received"] + 1),
             "%s end `closed`: tcp.bytes_received %r, want %d (moved) or %d (+FIN)"
             % (what, tcp.get("bytes_received"), info["bytes_received"], info["bytes_received"] + 1),
             fmt(ev) + "\nss before the close: " + line + "\n" + w.repro())
        T.ok(tcp.get("bytes_acked") in (info["bytes_acked"], info["bytes_acked"] + 1),
             "%s end `closed`: tcp.bytes_acked %r, want %d (ss before the close) or %d (+FIN)"
             % (what, tcp.get("bytes_acked"), info["bytes_acked"], info["bytes_acked"] + 1),
             fmt(ev) + "\nss before the close: " + line + "\n" + w.repro())
        if "bytes_sent" in tcp and tcp["bytes_sent"] is not None:
            T.eq(tcp["bytes_sent"], sent, "%s end `closed`: tcp.bytes_sent (no retransmits on lo)" % what, fmt(ev))
        # traffic: the payload exactly, SYN and FIN left out, both ways.
        tr = sock_of(ev).get("traffic") or {}
        T.eq((tr.get("sent_bytes"), tr.get("received_bytes")), (sent, received),
             "%s end `closed`: traffic (sent_bytes, received_bytes), the payload moved" % what, fmt(ev))
        T.eq(pids_of(ev), [os.getpid()], "%s end `closed`: owner pids" % what, fmt(ev))
        T.ok(isinstance(ev.get("lifetime_ms"), int), "%s end `closed`: lifetime_ms %r" % (what, ev.get("lifetime_ms")),
             fmt(ev))
    # A client that closes first while its peer stays open: its end lives on
    # in the kernel's table without a process (FIN_WAIT2, the same cookie).
    # A few dumps later it is still one `opened` and one `closed`.
    c2, a2, cp2 = connect_seen(w, L, lp)
    try:
        c2.close()
        T.ok(w.wait_for(is_ev("closed", cp2, remote=lp)) is not None,
             "no `closed` event for the client :%d -> :%d closed first" % (cp2, lp), w.dump())
        time.sleep(3.5)
        evs = [ev for _, ev, _ in w.snapshot() if lport(ev) == cp2 and rport(ev) == lp]
        T.eq([ev["type"] for ev in evs], ["opened", "closed"],
             "events for the client :%d -> :%d, 3.5 s after it closed first (orphaned FIN_WAIT2)" % (cp2, lp),
             "\n".join(fmt(ev) for ev in evs))
    finally:
        a2.close()
    # A closed event shows the socket as last seen: here in CLOSE_WAIT, where
    # the peer's close left it for a few dumps.
    c3, a3, cp3 = connect_seen(w, L, lp)
    try:
        a3.close()
        time.sleep(2.5)
    finally:
        c3.close()
    i = w.wait_for(is_ev("closed", cp3, remote=lp))
    if T.ok(i is not None, "no `closed` event for the client :%d -> :%d" % (cp3, lp), w.dump()):
        ev = w.snapshot()[i][1]
        T.eq(sock_of(ev).get("state"), "CLOSE_WAIT",
             "the client :%d closed 2.5 s after its peer: `closed` shows its last state" % cp3, fmt(ev))

    # Connected UDP: opened (ESTABLISHED, with its remote) and closed.
    srv = sc.s(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    srv.bind(("127.0.0.1", 0))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", port_of(srv)))
    up, sp = port_of(u), port_of(srv)
    i = w.wait_for(is_ev("opened", up, "udp", remote=sp))
    if T.ok(i is not None, "no `opened` event for the connected UDP socket :%d -> :%d" % (up, sp), w.dump()):
        ev = w.snapshot()[i][1]
        T.eq((sock_of(ev).get("state"), pids_of(ev)), ("ESTABLISHED", [os.getpid()]),
             "connected UDP `opened` (state, owner pids)", fmt(ev))
    T.ok(w.wait_for(is_ev("opened", sp, "udp", remote=0)) is not None,
         "no `opened` event for the bound UDP socket :%d" % sp, w.dump())
    u.close()
    T.ok(w.wait_for(is_ev("closed", up, "udp", remote=sp)) is not None,
         "no `closed` event for the connected UDP socket :%d -> :%d" % (up, sp), w.dump())
    check_all_shapes(w, NETNS)


# --------------------------------------------------------------------------
# 3. SIGKILL.
# --------------------------------------------------------------------------

def sec_sigkill(sc):
    w = sc.watch([])
    if ready(w, sc) is None:
        return
    k = sc.kid()
    socks, _ = k.open(3)
    ports = [p for p, _ in socks]
    print("  child %d holds listeners %s" % (k.pid, ports), flush=True)
    for p in ports:
        i = w.wait_for(is_ev("opened", p))
        T.ok(i is not None and pids_of(w.snapshot()[i][1]) == [k.pid],
             "listener :%d of child %d: no `opened` event with that owner" % (p, k.pid), w.dump())
    os.kill(k.pid, signal.SIGKILL)
    k.p.wait()
    for p in ports:
        i = w.wait_for(is_ev("closed", p))
        if T.ok(i is not None, "listener :%d of the SIGKILLed child %d: no `closed` event within %.0f s"
                % (p, k.pid, WAIT), w.dump()):
            ev = w.snapshot()[i][1]
            T.ok(pids_of(ev) == [k.pid] and isinstance(ev.get("lifetime_ms"), int),
                 "listener :%d: `closed` should name the killed child %d (as last seen) with lifetime_ms"
                 % (p, k.pid), fmt(ev))
    barrier(w, ports)
    evs = w.snapshot()
    for p in ports:
        T.eq([sum(1 for _, ev, _ in evs if is_ev(ty, p)(ev)) for ty in ("opened", "closed")], [1, 1],
             "(opened, closed) events for :%d" % p, w.dump())


# --------------------------------------------------------------------------
# 4. 1,000 listeners in a burst.
# --------------------------------------------------------------------------

def counts_by_port(evs, type_, ports):
    n = {}
    for _, ev, _ in evs:
        if (ev or {}).get("type") == type_ and sock_of(ev).get("proto") == "tcp" and lport(ev) in ports:
            n[lport(ev)] = n.get(lport(ev), 0) + 1
    return n


def describe_counts(n, ports, want):
    wrong = sorted(p for p in ports if n.get(p, 0) != want)
    return "%d ports wrong; e.g. %s" % (len(wrong), ", ".join(":%d x%d" % (p, n.get(p, 0)) for p in wrong[:15]))


def sec_burst(sc):
    w = sc.watch([])
    if ready(w, sc) is None:
        return
    kids = [sc.kid() for _ in range(BURST_PROCS)]
    owner = {}
    t0 = time.monotonic()
    for k in kids:  # all commands first: the children open at the same time
        k.send("open", n=BURST_EACH, addr="127.0.0.1", proto="tcp")
    for k in kids:
        for p, _ in k._reply(WAIT_BURST)["socks"]:
            owner[p] = k.pid
    ports = set(owner)
    T.eq(len(ports), BURST_PROCS * BURST_EACH, "distinct listener ports opened by the children")
    print("  %d listeners opened by %d children in %.2f s" % (len(ports), len(kids), time.monotonic() - t0),
          flush=True)

    def opened_all(wt):
        return len({lport(ev) for _, ev, _ in wt.events if (ev or {}).get("type") == "opened"} & ports) == len(ports)
    got_all = w.wait_until(opened_all, WAIT_BURST)
    t1 = time.monotonic()
    n = counts_by_port(w.snapshot(), "opened", ports)
    if not T.ok(got_all, "after %.0f s, %d of %d listeners reported `opened`" % (WAIT_BURST, len(n), len(ports)),
                describe_counts(n, ports, 1) + "\n" + w.repro()):
        return
    print("  all %d `opened` events %.2f s after the burst began" % (len(ports), t1 - t0), flush=True)

    for k in kids:
        k.send("close")
    for k in kids:
        k._reply(WAIT_BURST)

    def closed_all(wt):
        return len({lport(ev) for _, ev, _ in wt.events if (ev or {}).get("type") == "closed"} & ports) == len(ports)
    got_all = w.wait_until(closed_all, WAIT_BURST)
    print("  all `closed` events %.2f s after the close burst began" % (time.monotonic() - t1), flush=True)
    # Barrier: a listener opened now is reported by a dump made after every
    # close; a late duplicate would be there by then.
    bp = barrier(w, ports)

    evs = w.snapshot()
    no = counts_by_port(evs, "opened", ports)
    nc = counts_by_port(evs, "closed", ports)
    T.ok(got_all, "after %.0f s, %d of %d listeners reported `closed`" % (WAIT_BURST, len(nc), len(ports)),
         describe_counts(nc, ports, 1) + "\n" + w.repro())
    T.ok(all(no.get(p) == 1 for p in ports), "every listener `opened` exactly once",
         describe_counts(no, ports, 1) + "\n" + w.repro())
    T.ok(all(nc.get(p) == 1 for p in ports), "every listener `closed` exactly once",
         describe_counts(nc, ports, 1) + "\n" + w.repro())
    wrong_owner = []
    for _, ev, _ in evs:
        p = lport(ev)
        if p in ports and (ev or {}).get("type") == "opened" and pids_of(ev) != [owner[p]]:
            wrong_owner.append("%s :%d owners %r, want [%d]" % (ev.get("type"), p, pids_of(ev), owner[p]))
    T.ok(not wrong_owner, "%d `opened` events name the wrong owner" % len(wrong_owner), "\n".join(wrong_owner[:10]))
    order = {}
    bad_order = []
    for _, ev, _ in evs:
        p = lport(ev)
        if p in ports:
            if ev.get("type") == "closed" and order.get(p) != "opened":
                bad_order.append(":%d closed before opened" % p)
            order[p] = ev.get("type")
    T.ok(not bad_order, "events out of order", "\n".join(bad_order[:10]))
    others = [ev for _, ev, _ in evs if lport(ev) not in ports and lport(ev) not in w.probes + [bp]]
    T.ok(not others, "%d events for sockets nobody opened" % len(others), "\n".join(fmt(e) for e in others[:5]))
    check_all_shapes(w, NETNS)


# --------------------------------------------------------------------------
# 5. The human format, --count, --timeout, signals, line buffering.
# --------------------------------------------------------------------------

def hms_range(t0, t1):
    """Every local HH:MM:SS from wall time t0 to t1."""
    return {time.strftime("%H:%M:%S", time.localtime(s)) for s in range(int(t0), int(t1) + 1)}


def sec_human(sc):
    w = sc.watch([], ndjson=False)
    if ready(w, sc) is None:
        return
    k = sc.kid()
    wall0 = time.time()
    socks, _ = k.open(1)
    port, fd = socks[0]
    i = w.wait_for(lambda l: " 127.0.0.1:%d " % port in l + " ")
    wall1 = time.time()
    rx = r"(\d\d:\d\d:\d\d) \+ tcp 127\.0\.0\.1:%d LISTEN %s\(%d\) root netns=%d" % (
        port, re.escape(k.comm), k.pid, NETNS)
    if T.ok(i is not None, "no line for 127.0.0.1:%d" % port, w.dump()):
        line = w.snapshot()[i][2]
        m = re.fullmatch(rx, line)
        T.ok(m is not None, "the `opened` line %r does not match /%s/" % (line, rx), w.dump())
        if m:
            T.ok(m.group(1) in hms_range(wall0, wall1), "the time %s is not the local time of the event (%s..%s)"
                 % (m.group(1), time.strftime("%H:%M:%S", time.localtime(wall0)),
                    time.strftime("%H:%M:%S", time.localtime(wall1))), line)
        # Line-buffered into a pipe: the line came while the watcher runs on.
        T.ok(w.p.poll() is None, "the watcher exited (status %r) before we stopped it" % w.p.poll(), w.dump())
    k.close_all()
    rx_c = r"\d\d:\d\d:\d\d - tcp 127\.0\.0\.1:%d LISTEN %s\(%d\) root netns=%d( acked=\d+ received=\d+)? " \
           r"lifetime=\d+\.\d{3}s" % (port, re.escape(k.comm), k.pid, NETNS)
    i = w.wait_for(lambda l: l.startswith(tuple("0123456789")) and " - tcp 127.0.0.1:%d " % port in l)
    if T.ok(i is not None, "no `-` line for 127.0.0.1:%d after the close" % port, w.dump()):
        line = w.snapshot()[i][2]
        T.ok(re.fullmatch(rx_c, line) is not None, "the `closed` line %r does not match /%s/" % (line, rx_c),
             w.dump())
    T.ok(w.p.poll() is None, "the watcher exited (status %r) before we stopped it" % w.p.poll(), w.dump())
    w.signal(signal.SIGINT)
    rc = w.wait_exit(WAIT)
    T.eq(rc, 0, "table watcher: exit status after SIGINT", w.dump())
    T.eq(w.partial, b"", "table watcher: bytes after the last newline")
    T.eq(len(w.lines), 3, "table watcher: lines (probe +, listener +, listener -)", w.dump())


def sec_count(sc):
    N = 3
    w = sc.watch(["--count", str(N)])
    if ready(w, sc) is None:  # the probe's `opened` is event 1
        return
    T.ok(w.p.poll() is None and len(w.lines) == 1,
         "--count %d: after the probe's event: running %s, %d lines (want running, 1 line: output comes "
         "line by line)" % (N, w.p.poll() is None, len(w.lines)), w.dump())
    k = sc.kid()
    k.open(4)  # 4 more: it must stop after the second
    rc = w.wait_exit(WAIT)
    if not T.ok(rc is not None, "--count %d: still running %.0f s after %d events were due" % (N, WAIT, N + 3),
                w.dump()):
        return
    T.eq(rc, 0, "--count %d: exit status" % N, w.dump())
    T.eq(len(w.lines), N, "--count %d: lines printed" % N, w.dump())
    T.eq(w.partial, b"", "--count %d: bytes after the last newline" % N)
    T.ok(all(ev is not None and ev.get("type") == "opened" for _, ev, _ in w.snapshot()),
         "--count %d: every line an `opened` event" % N, w.dump())
    T.eq(w.stderr_text(), "", "--count %d: stderr" % N)


def sec_timeout(sc):
    w = sc.watch(["--timeout", "1"])
    rc = w.wait_exit(WAIT)
    if not T.ok(rc is not None, "--timeout 1: still running after %.0f s" % WAIT, w.dump()):
        return
    took = w.t_exit - w.t_start
    print("  --timeout 1 ran %.2f s" % took, flush=True)
    T.eq(rc, 0, "--timeout 1: exit status", w.dump())
    T.ok(0.95 <= took <= 5.0, "--timeout 1: ran %.2f s, want about 1 s (0.95..5)" % took, w.dump())
    T.eq(w.stderr_text(), "", "--timeout 1: stderr")
    # Sub-second values are seconds too.
    w = sc.watch(["--timeout", "0.3", "--interval", "100ms"])
    rc = w.wait_exit(WAIT)
    T.eq(rc, 0, "--timeout 0.3 --interval 100ms: exit status", w.dump())


def sec_signals(sc):
    for sig in (signal.SIGINT, signal.SIGTERM):
        name = signal.Signals(sig).name
        w = sc.watch([])
        if ready(w, sc, "%s run" % name) is None:
            continue
        k = sc.kid()
        socks, _ = k.open(5)
        ports = [p for p, _ in socks]
        T.ok(w.wait_until(lambda wt: len(counts_by_port(wt.events, "opened", set(ports))) == 5),
             "%s run: `opened` for all of %s" % (name, ports), w.dump())
        T.ok(w.p.poll() is None, "%s run: the watcher exited (status %r) before the signal" % (name, w.p.poll()))
        # Then a burst, and the signal as soon as its first event is out.
        burst, _ = k.open(300)
        bports = {p for p, _ in burst}
        first = w.wait_for(lambda ev: lport(ev) in bports and ev.get("type") == "opened")
        w.signal(sig)
        rc = w.wait_exit(WAIT)
        if not T.ok(rc is not None, "%s: still running %.0f s after the signal" % (name, WAIT), w.dump()):
            continue
        T.eq(rc, 0, "%s: exit status" % name, w.dump())
        T.ok(first is not None, "%s run: no `opened` from the burst before the signal" % name, w.dump())
        T.eq(w.partial, b"", "%s: bytes after the last newline (a line cut at exit)" % name)
        evs = w.snapshot()
        bad = [text for _, ev, text in evs if ev is None]
        T.ok(not bad, "%s: lines that are not JSON" % name, "\n".join(bad[:5]))
        n = counts_by_port(evs, "opened", set(ports) | bports)
        T.ok(all(v == 1 for v in n.values()) and all(n.get(p) == 1 for p in ports),
             "%s: each listener `opened` once (%d of the burst's 300 printed before the exit)"
             % (name, len(set(n) & bports)), w.dump())
        T.eq(w.stderr_text(), "", "%s: stderr" % name)
        print("  %s: exit %r, %d events, %d of the 300-listener burst printed before it stopped"
              % (name, rc, len(evs), len(set(n) & bports)), flush=True)
        k.kill()


# --------------------------------------------------------------------------
# 6. Bad usage.
# --------------------------------------------------------------------------

def sec_usage(sc):
    for args in (["watch", "-o", "json"], ["watch", "-o", "csv"], ["watch", "-x"], ["watch", "-w"],
                 ["watch", "--source", "netlink"], ["--connections"], ["--count", "3"],
                 ["--interval", "1"], ["watch", "--interval", "50ms"], ["watch", "--interval", "0.05"],
                 ["watch", "--interval", "abc"], ["watch", "--count", "abc"], ["watch", "--timeout", "0"]):
        p = subprocess.run([WHOSOCK] + args, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        err = p.stderr.decode("utf-8", "replace")
        what = "whosock %s" % " ".join(args)
        T.eq(p.returncode, 2, "%s: exit status" % what, err)
        T.eq(len(err.splitlines()), 1, "%s: lines on stderr" % what, err)
        T.eq(p.stdout, b"", "%s: stdout" % what)
    # The boundary is accepted.
    p = subprocess.run([WHOSOCK, "watch", "--host-only", "--interval", "100ms", "--timeout", "0.2"],
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    T.eq(p.returncode, 0, "whosock watch --interval 100ms --timeout 0.2: exit status",
         p.stderr.decode("utf-8", "replace"))


# --------------------------------------------------------------------------
# Inner half: runs inside the namespace.
# --------------------------------------------------------------------------

NETNS = 0


def on_term(sig, frame):
    raise SystemExit("killed by signal %d" % sig)  # so that cleanup runs


def inner():
    global NETNS
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    NETNS = wstest.start_inner(WHOSOCK)
    if NETNS is None:
        return 1
    print("whosock: %s, network namespace %d, test pid %d" % (WHOSOCK, NETNS, os.getpid()), flush=True)
    if not HAVE_PDEATHSIG:
        NOTES.append("setpriv --pdeathsig unavailable: a watcher may outlive a test killed with SIGKILL")
    try:
        T.run_section("1. listeners opened/closed: pid, port, proto, state, within 2 s", sec_listeners)
        T.run_section("1b. a listener replaced at the same fd count: owner, within 2 s", sec_replaced)
        T.run_section("1c. --interval 60s: a listener reported when the socket counters move", sec_counters)
        T.run_section("2. --connections: bytes_acked/bytes_received at the close", sec_connections)
        T.run_section("3. a process holding 3 listeners SIGKILLed: 3 closed", sec_sigkill)
        T.run_section("4. %d listeners opened then closed in bursts: each once" % (BURST_PROCS * BURST_EACH),
                      sec_burst)
        T.run_section("5a. human format, line-buffered, SIGINT", sec_human)
        T.run_section("5b. --count N", sec_count)
        T.run_section("5c. --timeout", sec_timeout)
        T.run_section("5d. SIGINT and SIGTERM: exit 0, whole lines", sec_signals)
        T.run_section("6. bad usage: exit 2, one line on stderr", sec_usage)
    finally:
        kill_everything()

    print()
    return T.summary(NOTES)


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace (and for the kernel's destroy reports)")
