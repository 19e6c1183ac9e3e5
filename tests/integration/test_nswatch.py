#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock watch` across namespaces that come and go.

   1. a namespace made (`ip netns add`) after the watcher started, with a
      listener opened in it at once: the listener's `opened` event arrives
      within 200 ms of its listen() (the latency is printed); a second one
      made the same way in an unshare'd namespace with no bind mount is
      found too (by the slower periodic look, latency printed, not bounded);
  1b. a namespace kept only by a socket its holder took back to its own
      namespace: the watcher finds it (the deep look, as a snapshot does)
      and drops it, with its fds, once the socket is gone;
   0. `whosock watch -o ndjson | head -1`: once the reader is gone, the
      watcher exits (0) without waiting for another event;
   2. N namespaces (500; 60 under valgrind) made and deleted in waves of
      10, each with one listener: every listener is reported opened, and the
      watcher's open fds stay under 64 all along (and are back near where
      they started once the namespaces are gone): a namespace that nothing
      keeps any more is dropped with its sockets and counters.

Other people may make namespaces at the same time: only this test's
namespaces (named wstest-nsw-PID-*) and ports are looked at. Python 3
standard library only; every namespace and child is removed on exit.
"""

import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import wstest

CLONE_NEWNET = 0x40000000
VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))
WAVES = int(os.environ.get("NSW_WAVES", "0")) or (6 if VALGRIND else 50)
PER_WAVE = 10
WAIT = 30.0 if VALGRIND else 10.0
PREFIX = "wstest-nsw-%d-" % os.getpid()
# A watcher of a machine where only this test makes namespaces: its own
# namespace's 4, inotify, rtnetlink, stdio and valgrind's few.
QUIET_BASE = 20
PORT0 = 30000 + os.getpid() % 20000

T = wstest.Checker(timed=True)
LIBC = ctypes.CDLL(None, use_errno=True)
MADE = []  # namespace names still to delete
KIDS = []


def ip_netns(*args):
    subprocess.run(["ip", "netns"] + list(args), check=True, capture_output=True)


def listener_in(ns_path, port, back=False):
    """A child that enters the namespace (setns; unshare when ns_path is
    None), listens on 127.0.0.1:port and says when (its CLOCK_MONOTONIC
    time); it lives until its pipe closes. back: it goes back to the
    namespace it came from, so that only its socket keeps the new one.
    Returns (pid, write end, t)."""
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            # (Others' pipe ends too: each child ends when its own closes.)
            wstest.close_fds_except([r, ready_w])
            home = os.open("/proc/self/ns/net", os.O_RDONLY)
            if ns_path:
                fd = os.open(ns_path, os.O_RDONLY)
                if LIBC.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            elif LIBC.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            s.listen(1)
            if back and LIBC.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
            os.close(home)
            os.write(ready_w, b"%.6f\n" % time.monotonic())
            os.read(r, 1)
        finally:
            os._exit(0)
    os.close(r)
    os.close(ready_w)
    line = b""
    while not line.endswith(b"\n"):
        b = os.read(ready_r, 64)
        if not b:
            raise RuntimeError("listener child %d died" % pid)
        line += b
    os.close(ready_r)
    KIDS.append((pid, w))
    return pid, w, float(line)


def stop(kid):
    pid, w = kid[0], kid[1]
    try:
        os.close(w)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    KIDS[:] = [k for k in KIDS if k[0] != pid]


class Watch:
    def __init__(self):
        self.argv = [wstest.whosock_path(), "watch", "-o", "ndjson"]
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.cv = threading.Condition()
        self.opened = {}  # port -> arrival time
        self.closed = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            t = time.monotonic()
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            s = ev.get("socket") or {}
            if ev.get("type") == "opened" and s.get("proto") == "tcp":
                with self.cv:
                    self.opened.setdefault(s["local"]["port"], t)
                    self.cv.notify_all()
            if ev.get("type") == "closed" and s.get("proto") == "tcp":
                with self.cv:
                    self.closed.add(s["local"]["port"])
                    self.cv.notify_all()

    def wait_ports(self, ports, timeout=WAIT, seen=None):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not all(p in (self.opened if seen is None else seen) for p in ports):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
            return True

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.p.pid))

    def close(self):
        self.p.kill()
        self.p.wait()


def sec_new_namespace(w):
    name = PREFIX + "late"
    ip_netns("add", name)
    MADE.append(name)
    kid = listener_in("/run/netns/" + name, PORT0)
    if T.ok(w.wait_ports([PORT0]), "listener 127.0.0.1:%d in new namespace %s reported" % (PORT0, name)):
        ms = (w.opened[PORT0] - kid[2]) * 1000
        print("  ip netns add, then listen(): reported %.0f ms after listen()" % ms)
        if not VALGRIND:
            T.ok(ms <= 200, "listener in a namespace made after the watcher started: reported "
                 "within 200 ms of listen(), took %.0f ms" % ms)
    stop(kid)
    ip_netns("del", name)
    MADE.remove(name)
    kid = listener_in(None, PORT0 + 1)
    if T.ok(w.wait_ports([PORT0 + 1]), "listener in an unshare'd namespace without bind mount reported"):
        print("  unshare -n, then listen(): reported %.0f ms after listen() (found by the "
              "periodic look)" % ((w.opened[PORT0 + 1] - kid[2]) * 1000))
    stop(kid)


def sec_held_only(w):
    """A namespace that no process lives in and no bind mount names, kept
    only by a socket a process holds (unshare, listen, setns back): the
    watcher's deep look finds it as a snapshot does (by the socket); once
    the socket closes, the listener is reported closed and the namespace,
    kept by nothing, is dropped with the watcher's fds in it."""
    port = PORT0 + 2
    before = w.fds()
    kid = listener_in(None, port, back=True)
    if T.ok(w.wait_ports([port], timeout=3 * WAIT), "listener 127.0.0.1:%d in a namespace held only by "
            "its socket (the holder went back to its own namespace) reported" % port):
        print("  unshare -n, listen(), setns back: reported %.0f ms after listen() (the deep look)"
              % ((w.opened[port] - kid[2]) * 1000))
    stop(kid)
    T.ok(w.wait_ports([port], timeout=3 * WAIT, seen=w.closed),
         "the listener :%d reported closed when its holder exited" % port)
    deadline, fds = time.monotonic() + 3 * WAIT, w.fds()
    while fds > before and time.monotonic() < deadline:
        time.sleep(0.2)
        fds = w.fds()
    T.ok(fds <= before, "the watcher's fds back to %d once the namespace is gone (%d)" % (before, fds))


def sec_churn(w):
    base = w.fds()
    most = base
    port = PORT0 + 10
    missing = []
    for wave in range(WAVES):
        kids, names, ports = [], [], []
        for i in range(PER_WAVE):
            name = "%s%d-%d" % (PREFIX, wave, i)
            ip_netns("add", name)
            MADE.append(name)
            names.append(name)
            kids.append(listener_in("/run/netns/" + name, port))
            ports.append(port)
            port += 1
        if not w.wait_ports(ports):
            missing += [p for p in ports if p not in w.opened]
        most = max(most, w.fds())
        for k in kids:
            stop(k)
        for name in names:
            ip_netns("del", name)
            MADE.remove(name)
        most = max(most, w.fds())
    n = WAVES * PER_WAVE
    T.ok(not missing, "%d namespaces with a listener each: every listener reported opened "
         "(missing %d: ports %s)" % (n, len(missing), missing[:20]))
    print("  %d namespaces made and deleted: watcher's open fds %d at the start, at most %d"
          % (n, base, most))
    # Each namespace watched costs 4 fds (dump and destroy sockets, two
    # counter files): at most PER_WAVE of ours are alive at once.
    T.ok(most <= base + 4 * PER_WAVE + 4, "watcher's open fds grow by at most 4 per namespace alive "
         "at once (%d at the start, %d alive): at most %d" % (base, PER_WAVE, most))
    if base <= QUIET_BASE:
        T.ok(most < 64, "watcher's open fds stay under 64 while %d namespaces come and go: at most %d"
             % (n, most))
    else:
        print("  (the absolute bound of 64 is checked only on a quiet machine: %d fds at the start "
              "are other namespaces' watched at the same time)" % base)
    # Gone namespaces are dropped (the next look, at most a few seconds).
    deadline = time.monotonic() + WAIT
    while w.fds() > base + 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    T.ok(w.fds() <= base + 4, "watcher's open fds back near the start (%d) once the namespaces are "
         "gone: %d" % (base, w.fds()))


def sec_reader_gone():
    r, w = os.pipe()
    p = subprocess.Popen([wstest.whosock_path(), "watch", "--host-only", "-o", "ndjson"],
                         stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    time.sleep(0.5)  # (running, or still starting: either way it must notice)
    os.close(r)
    try:
        rc = p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    T.ok(rc == 0, "whosock watch -o ndjson | (reader exits): exit 0 without another event; got %r (%s)"
         % (rc, p.stderr.read().decode("utf-8", "replace").strip()))


def cleanup():
    for k in list(KIDS):
        stop(k)
    for name in list(MADE):
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def inner():
    if wstest.start_inner(wstest.whosock_path()) is None:
        return 1
    w = Watch()
    try:
        # Ready once a listener opened after the start (not in its
        # baseline) is reported: probes until one is.
        probes, ready, deadline = [], False, time.monotonic() + WAIT
        while not ready and time.monotonic() < deadline:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            probe.listen(1)
            probes.append(probe)
            ready = w.wait_ports([probe.getsockname()[1]], timeout=1.0)
        if not T.ok(ready, "watcher ready (a probe listener reported)", w.p.stderr.read1(4096) if w.p.poll() is not None else ""):
            return T.summary()
        T.run_section("0. the reader of watch's output is gone: it exits", sec_reader_gone)
        T.run_section("1. a namespace made after the start: its listener within 200 ms", sec_new_namespace, w)
        T.run_section("1b. a namespace held only by a socket: found, and dropped when it goes",
                      sec_held_only, w)
        T.run_section("2. %d namespaces come and go: every listener, fds under 64" % (WAVES * PER_WAVE),
                      sec_churn, w)
    finally:
        w.close()
        cleanup()
    return T.summary()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    wstest.main(__file__, inner, "needs root to create network namespaces", tools=("unshare", "ip"))
