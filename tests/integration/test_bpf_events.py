#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: the watcher's BPF socket events and byte counters
(lib/bpf/socklife.bpf.c), and the same load without them (--no-bpf).

The test re-executes itself inside a fresh network namespace (`unshare -n`)
and runs `whosock watch --connections --host-only -o ndjson` there:

   1. UDP bytes: two bound UDP sockets, once the watcher reported them
      opened, one sends 100 datagrams of 1,000 bytes to the other, then both
      close: with BPF the sender's closed event has traffic.sent_bytes
      100000 and sent_packets 100, the receiver's received_bytes 100000
      (since "start"); the same for a second pair, connected, that moves
      them with sendmmsg() and recvmmsg() (10 calls of 10 datagrams each
      way; the receiver peeks at the first with MSG_PEEK, which counts
      nothing): the counters count each message of those calls; with
      --no-bpf all four close with traffic null; all with the test's pid;
   2. short connections, the same load both ways: a client process opens 20
      TCP connections to a server process's listener, each written to and
      closed at once (all within the watcher's 3 s interval). With BPF every
      one of the 40 sockets (client and accepted ends) is reported opened
      and closed, each with the right pid (the client's, the server's);
      with --no-bpf whatever the dumps saw has the right pid too (how many
      is printed, not checked: the dumps' timing decides it);
   3. kill -9: the BPF programs and links the watcher holds (from its
      /proc/PID/fdinfo) are gone from `bpftool prog show` and `bpftool
      link show` once it was killed with SIGKILL; two watchers side by side
      both report the same listener;
   4. as nobody (setpriv), where the kernel refuses the load: the watcher
      says in one note that the BPF events are not loaded, and still
      reports nobody's listener with its pid.

Each section waits for events with a marker: a listener the test opens
(waiting for its opened event) and closes (waiting for its closed event),
so nothing waits on a clock but for a generous upper bound.

A whosock built without BPF (-Dbpf=disabled: the valgrind build) checks the
--no-bpf answers on both runs, and that no note is given.

Environment: WHOSOCK = path to the binary (set by
tests/integration/meson.build). Exit 0 pass, 1 fail, 77 skip (not root or no
namespaces). Python 3 standard library only.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import threading
import time

import wstest
from wstest import decoded, kill_all_kids

NOBODY = 65534
PR_SET_DUMPABLE = 4
N_CONN = 20
N_DGRAMS = 100
DGRAM = 1000
INTERVAL = "3"
WAIT_S = 90  # an upper bound only: every wait ends at the event it waits for
NOTE = "BPF socket events and byte counters not loaded ("

WHOSOCK = wstest.whosock_path()
T = wstest.Checker(scope=wstest.Scope)
NOTES = []


class Watcher:
    """whosock watch as a child, its events collected by a thread."""

    def __init__(self, extra=(), user=None):
        self.argv = [WHOSOCK, "watch", "--connections", "--host-only", "--interval", INTERVAL,
                     "-o", "ndjson"] + list(extra)
        argv = self.argv
        if user is not None:
            argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
        self.where = wstest.shell_line(self.argv, user)
        self.events = []
        self.cv = threading.Condition()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.te = threading.Thread(target=self._read_err, daemon=True)
        self.te.start()

    def _read(self):
        for line in self.p.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.cv:
                self.events.append(ev)
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def _read_err(self):
        self.err = self.p.stderr.read()

    def wait_for(self, pred, limit=WAIT_S):
        """The first event matching pred, waited for (None after limit
        seconds or when the watcher exited)."""
        end = time.monotonic() + limit
        with self.cv:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = end - time.monotonic()
                if left <= 0 or self.p.poll() is not None and not self.t.is_alive():
                    return None
                self.cv.wait(min(left, 0.5))

    def ready(self):
        """Wait until the watcher has taken its baseline: what is open then
        raises no event, so listeners are opened, one after the other,
        until one is reported opened (each given two intervals and more).
        Returns whether one was."""
        for _ in range(WAIT_S // 8):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            ev = self.wait_for(lambda e: e["type"] == "opened" and is_tcp_port(e, port, "LISTEN"), 8)
            s.close()
            if ev is not None:
                return True
            if self.p.poll() is not None:
                break
        T.ok(False, "%s: no listener opened after it started was reported" % self.where, decoded(self.err))
        return False

    def marker(self):
        """A listener opened and closed, each waited for: every event of
        what happened before is in by then. Returns whether both came."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        opened = self.wait_for(lambda e: e["type"] == "opened" and is_tcp_port(e, port, "LISTEN"))
        s.close()
        closed = opened and self.wait_for(lambda e: e["type"] == "closed" and is_tcp_port(e, port, "LISTEN"))
        T.ok(opened is not None and closed is not None,
             "%s: the marker listener :%d was not reported %s" % (self.where, port,
                                                                   "closed" if opened else "opened"),
             decoded(self.err))
        return closed is not None

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(timeout=10)
        self.te.join(timeout=10)
        return decoded(self.err)


def is_tcp_port(ev, port, state=None):
    s = ev["socket"]
    return s["proto"] == "tcp" and s["local"]["port"] == port and (state is None or s["state"] == state)


def pids(ev):
    return [o["pid"] for o in ev["socket"]["owners"]]


# --------------------------------------------------------------------------
# 1. UDP bytes.
# --------------------------------------------------------------------------

class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(IOVec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t), ("flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


LIBC = ctypes.CDLL(None, use_errno=True)
MSG_WAITFORONE = 0x10000
MMSG_BATCH = 10


def mmsgs(bufs):
    """An array of mmsghdr, one iovec each, over bufs."""
    iovs = (IOVec * len(bufs))(*[IOVec(ctypes.cast(b, ctypes.c_void_p), len(b)) for b in bufs])
    v = (MMsgHdr * len(bufs))()
    for i in range(len(bufs)):
        v[i].hdr.iov = ctypes.pointer(iovs[i])
        v[i].hdr.iovlen = 1
    return v, iovs


def mmsg_exchange(tx, rx):
    """N_DGRAMS datagrams of DGRAM bytes from tx to rx (both connected), in
    batches of MMSG_BATCH: one sendmmsg() each, read with recvmmsg() (the
    first after a MSG_PEEK). Returns the bytes read."""
    got = 0
    rx.setblocking(True)  # every datagram was sent before: no wait is long
    for batch in range(N_DGRAMS // MMSG_BATCH):
        out = [ctypes.create_string_buffer(b"m" * DGRAM, DGRAM) for _ in range(MMSG_BATCH)]
        v, keep = mmsgs(out)
        n = LIBC.sendmmsg(tx.fileno(), v, MMSG_BATCH, 0)
        T.eq(n, MMSG_BATCH, "sendmmsg() messages sent (errno %d)" % ctypes.get_errno())
        if batch == 0:
            T.eq(len(rx.recv(65536, socket.MSG_PEEK)), DGRAM, "the peeked datagram")
        left = MMSG_BATCH
        while left > 0:
            bufs = [ctypes.create_string_buffer(65536) for _ in range(left)]
            v, keep = mmsgs(bufs)
            n = LIBC.recvmmsg(rx.fileno(), v, left, MSG_WAITFORONE, None)
            if not T.ok(n > 0, "recvmmsg() (errno %d)" % ctypes.get_errno()):
                return got
            got += sum(v[i].len for i in range(n))
            left -= n
    return got


def sec_udp(sc, bpf):
    for mode in (["--no-bpf"], []):
        with_bpf = bpf and not mode
        w = Watcher(mode)
        try:
            if not w.ready():
                continue
            socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
            for u in socks:
                u.bind(("127.0.0.1", 0))
            tx, rx, mtx, mrx = socks
            mtx.connect(mrx.getsockname())
            mrx.connect(mtx.getsockname())
            all_ports = [u.getsockname()[1] for u in socks]
            ports = all_ports[:2]
            # Both seen open first (with BPF at once, else at a dump): then
            # both ways report their close, and differ only in the bytes.
            for port in all_ports:
                T.ok(w.wait_for(lambda e: e["type"] == "opened" and e["socket"]["proto"] == "udp"
                                and e["socket"]["local"]["port"] == port) is not None,
                     "%s: the UDP socket :%d not reported opened" % (w.where, port))
            got = 0
            rx.settimeout(WAIT_S)
            for _ in range(N_DGRAMS):  # one at a time: the receive buffer never overflows
                tx.sendto(b"u" * DGRAM, rx.getsockname())
                got += len(rx.recv(65536))
            T.eq(got, N_DGRAMS * DGRAM, "bytes the receiver read")
            T.eq(mmsg_exchange(mtx, mrx), N_DGRAMS * DGRAM, "bytes recvmmsg() read")
            for u in socks:
                u.close()
            w.marker()
            closed = {}
            for ev in w.events:
                s = ev["socket"]
                if ev["type"] == "closed" and s["proto"] == "udp" and s["local"]["port"] in all_ports:
                    closed[s["local"]["port"]] = ev
            if with_bpf:
                want_tx = {"sent_bytes": N_DGRAMS * DGRAM, "received_bytes": 0,
                           "sent_packets": N_DGRAMS, "received_packets": 0, "since": "start"}
                want_rx = {"sent_bytes": 0, "received_bytes": N_DGRAMS * DGRAM,
                           "sent_packets": 0, "received_packets": N_DGRAMS, "since": "start"}
                for (port, want, what) in zip(all_ports, (want_tx, want_rx) * 2,
                                              ("sender", "receiver", "sendmmsg() sender",
                                               "recvmmsg() receiver")):
                    e = closed.get(port)
                    if T.ok(e is not None, "%s: the %s :%d not reported closed" % (w.where, what, port)):
                        T.eq(e["socket"]["traffic"], want, "%s: the %s's traffic" % (w.where, what))
                        T.eq(pids(e), [os.getpid()], "%s: the %s's owner" % (w.where, what))
                txe = closed.get(ports[0])
                print("  %s: sender %s" % (w.where, txe and txe["socket"]["traffic"]), flush=True)
            else:
                txe = closed.get(ports[0])
                for port in all_ports:
                    e = closed.get(port)
                    if T.ok(e is not None, "%s: the UDP socket :%d not reported closed" % (w.where, port)):
                        T.eq(e["socket"]["traffic"], None, "%s: UDP traffic without BPF" % w.where)
                        T.eq(pids(e), [os.getpid()], "%s: the UDP socket's owner" % w.where)
                print("  %s: sender %s" % (w.where, txe and txe["socket"]["traffic"]), flush=True)
        finally:
            err = w.stop()
        T.ok(NOTE not in err, "%s: a note about BPF as root" % w.where, err)


# --------------------------------------------------------------------------
# 2. Short connections, both ways on the same load.
# --------------------------------------------------------------------------

def server_fn():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    SERVER.append(s)
    return {"port": s.getsockname()[1]}


SERVER = []


def server_loop(done_fd):
    def loop(hold_fd):
        s = SERVER[0]
        for _ in range(N_CONN):
            a, _ = s.accept()
            a.recv(100)
            a.close()
        os.write(done_fd, b"done\n")
        while os.read(hold_fd, 1):
            pass
    return loop


def client_fn(port):
    def fn():
        ports = []
        for _ in range(N_CONN):
            c = socket.create_connection(("127.0.0.1", port))
            ports.append(c.getsockname()[1])
            c.sendall(b"x" * 10)
            c.close()
        return {"ports": ports}
    return fn


def start_server(sc):
    """The server: (it, the pipe its "done" comes on)."""
    r, wfd = os.pipe()
    server = sc.kid(wstest.spawn(server_fn, keep=(wfd,), loop=server_loop(wfd), timeout=60))
    os.close(wfd)
    return server, r


def run_load(sc, w, started=None):
    """The load while w watches, with the server started (before the
    watcher) or started now: (server pid, port, client pid, client ports)."""
    server, r = started or start_server(sc)
    port = server["port"]
    client = sc.kid(wstest.spawn(client_fn(port), timeout=120))
    line = wstest.read_line(r, 120)
    os.close(r)
    T.ok(line.strip() == b"done",
         "the server did not accept its %d connections" % N_CONN)
    w.marker()
    return server.pid, port, client.pid, client["ports"]


def sec_short(sc, bpf):
    # The listener before the watcher too: its listen() was not seen, the
    # connections it accepts are named after it all the same.
    runs = [([], False), ([], True), (["--no-bpf"], False)] if bpf else [(["--no-bpf"], False)]
    for mode, server_first in runs:
        with_bpf = not mode
        started = start_server(sc) if server_first else None
        w = Watcher(mode)
        if server_first:
            w.where += " (its server listening before it)"
        try:
            if not w.ready():
                continue
            spid, port, cpid, cports = run_load(sc, w, started)
            sockets = {}  # (local port, remote port) -> {"opened": ev, "closed": ev}
            for ev in w.events:
                s = ev["socket"]
                if s["proto"] != "tcp" or s["state"] == "LISTEN":
                    continue
                key = (s["local"]["port"], s["remote"]["port"])
                if port in key:
                    sockets.setdefault(key, {})[ev["type"]] = ev
            want = {(c, port): cpid for c in cports}
            want.update({(port, c): spid for c in cports})
            wrong = []
            for key, evs in sorted(sockets.items()):
                for t, ev in sorted(evs.items()):
                    if pids(ev) != [want.get(key)]:
                        wrong.append("%s %s: pids %s, want [%s]" % (t, key, pids(ev), want.get(key)))
            T.ok(not wrong, "%s: sockets reported with the wrong pid" % w.where, "\n".join(wrong[:20]))
            both = [k for k, evs in sockets.items() if "opened" in evs and "closed" in evs]
            if with_bpf:
                missing = sorted(set(want) - set(both))
                T.ok(not missing, "%s: %d of %d sockets not reported opened and closed"
                     % (w.where, len(missing), len(want)), "\n".join(str(m) for m in missing[:20]))
            print("  %s: %d of %d sockets of %d short connections reported opened and closed, "
                  "%d with a pid" % (w.where, len(both), len(want), N_CONN,
                                     sum(1 for evs in sockets.values() for ev in evs.values() if pids(ev))),
                  flush=True)
        finally:
            w.stop()
            for k in list(sc.kids):
                k.stop()
            sc.kids.clear()
            SERVER.clear()


# --------------------------------------------------------------------------
# 3. kill -9 leaves nothing attached; two watchers side by side.
# --------------------------------------------------------------------------

def held_bpf(pid):
    """(prog ids, link ids) of the BPF objects pid holds, from its fdinfo."""
    progs, links = set(), set()
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            k, _, v = line.partition(":")
            if k == "prog_id":
                progs.add(int(v))
            elif k == "link_id":
                links.add(int(v))
    return progs, links


def bpftool_ids(what, key):
    p = subprocess.run(["bpftool", what, "show", "-j"], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return {x.get(key) for x in json.loads(p.stdout or "[]")}


def sec_kill(sc, bpf):
    ws = [Watcher(), Watcher()]
    try:
        if not all(w.ready() for w in ws):
            return
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(1)
        port = l.getsockname()[1]
        for w in ws:
            ev = w.wait_for(lambda e: e["type"] == "opened" and is_tcp_port(e, port, "LISTEN"))
            T.ok(ev is not None and pids(ev) == [os.getpid()],
                 "two side by side: %s: the listener :%d not reported with our pid" % (w.where, port),
                 ev and json.dumps(ev)[:300])
        l.close()
        progs, links = held_bpf(ws[0].p.pid)
        T.ok(len(progs) >= 9 and len(links) >= 9,
             "the watcher holds %d programs and %d links, want the socket hooks' (9 or more)"
             % (len(progs), len(links)))
        T.ok(progs <= (bpftool_ids("prog", "id") or set()) and links <= (bpftool_ids("link", "id") or set()),
             "bpftool does not list the watcher's programs %s and links %s" % (sorted(progs), sorted(links)))
        os.kill(ws[0].p.pid, signal.SIGKILL)
        ws[0].p.wait()
        # The kernel frees them after an RCU grace period: wait for it.
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            left_p = progs & (bpftool_ids("prog", "id") or set())
            left_l = links & (bpftool_ids("link", "id") or set())
            if not left_p and not left_l:
                break
            time.sleep(0.2)
        T.eq(sorted(left_p), [], "after kill -9: the watcher's programs still loaded")
        T.eq(sorted(left_l), [], "after kill -9: the watcher's links still attached")
        print("  killed a watcher holding programs %s and links %s: none left" % (sorted(progs), sorted(links)),
              flush=True)
        T.ok(ws[1].p.poll() is None and ws[1].marker(), "the other watcher stopped working after the kill")
    finally:
        for w in ws:
            w.stop()


# --------------------------------------------------------------------------
# 4. As nobody.
# --------------------------------------------------------------------------

def nobody_listener():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    wstest.prctl(PR_SET_DUMPABLE, 1)  # the uid change cleared it: nobody may read our fds again
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    SERVER.append(s)
    return {"port": s.getsockname()[1]}


def sec_nobody(sc, bpf):
    w = Watcher(user=NOBODY)
    try:
        if not w.ready():
            return
        k = sc.kid(wstest.spawn(nobody_listener, timeout=60))
        port = k["port"]
        ev = w.wait_for(lambda e: e["type"] == "opened" and is_tcp_port(e, port, "LISTEN"))
        T.ok(ev is not None and pids(ev) == [k.pid],
             "%s: nobody's listener :%d not reported with its pid %d" % (w.where, port, k.pid),
             (ev and json.dumps(ev)[:300]) or decoded(w.err))
    finally:
        err = w.stop()
        SERVER.clear()
    notes = [l for l in err.splitlines() if NOTE in l]
    if bpf:
        T.ok(len(notes) == 1 and ("Operation not permitted" in notes[0] or "Permission denied" in notes[0]),
             "%s: want one note that the BPF events were refused" % w.where, err)
        print("  %s: %s" % (w.where, notes[0] if notes else "(no note)"), flush=True)
    else:
        T.eq(notes, [], "%s: a note about BPF events in a whosock built without BPF" % w.where)


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    bpf = wstest.bpf_built(WHOSOCK)[0]
    print("whosock: %s, %s" % (WHOSOCK, "with BPF" if bpf else "without BPF"), flush=True)
    if not bpf:
        NOTES.append("this whosock has no BPF (-Dbpf=disabled or missing tools): only the paths "
                     "without it are checked")
    try:
        T.run_section("1. UDP: %d datagrams of %d bytes, closed with their bytes" % (N_DGRAMS, DGRAM),
                      sec_udp, bpf)
        T.run_section("2. %d short TCP connections, with BPF and --no-bpf" % N_CONN, sec_short, bpf)
        if bpf:
            T.run_section("3. kill -9: nothing left attached; two watchers side by side", sec_kill, bpf)
        T.run_section("4. as nobody: one note, the watcher still works", sec_nobody, bpf)
    finally:
        kill_all_kids()
    return T.summary(NOTES)


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces and to load BPF",
                tools=("unshare", "ip", "setpriv", "bpftool"))
