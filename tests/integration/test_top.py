#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock top -o ndjson` (bytes per group and interval).

The test re-executes itself in a fresh network namespace (`unshare -n`) and
makes three more (`ip netns add wstop-<pid>-a/b/c`), each with loopback up.
The same load runs twice, each time under a `whosock top -o ndjson --by
process,remote,netns,user --netns A,B,C` of its own whose rows are read as
they come: first with BPF (the kernel's per-socket counters count UDP),
then with `--no-bpf`. Loads, each made of new processes with names of their
own (prctl PR_SET_NAME) started by `ip netns exec`:

  A  wsbulk-cli (uid 65534) sends 5,000,000 bytes over one TCP connection
     to wsbulk-srv (root), which reads them all; the connection stays open
     until the end;
  B  wsburst-cli makes 200 TCP connections to wsburst-srv, each sends
     10,240 bytes and closes at once (within a few ms);
  C  wsudp-cli sends 2,000 UDP datagrams of 1,000 bytes to wsudp-srv: 1,000
     over one connected socket that stays open, 1,000 from 10 sockets that
     each send 100 and close at once (they live a few ms: no dump sees them,
     only the kernel's release event, which names their process).

Checked, exactly (TCP payload has no slack; nothing is lost on loopback with
a receive buffer that holds everything): wsbulk-cli sent 5,000,000 and
wsbulk-srv received 5,000,000; wsburst-srv received 2,048,000 (its sockets
are its own, or accepted from its listener); by netns: A 5,000,000 each way,
B 2,048,000 each way; by remote: in B the server's address and port
received 2,048,000 from the clients' side; by user: uid 65534 sent
5,000,000. With BPF: wsburst-cli's own rows sent 2,048,000 (the kernel named
the process of every connection); wsudp-cli sent 2,000,000 and wsudp-srv
received 2,000,000; C's namespace has them on top of the probe's TCP bytes;
its connected socket's remote row sent 1,000,000; no note about UDP. With
--no-bpf (or a whosock built without BPF): wsburst-cli's sent bytes are its
own row's plus those of the row without a process (connections that closed
before a dump saw who held them), 2,048,000 together; no row has UDP bytes;
one note on stderr says UDP sockets are not counted and why (--no-bpf, or
built without BPF). A whosock built without BPF (the valgrind build) runs
the --no-bpf load only, and says in its note that it was built without it.
In the first run, bounded: 4 more rounds of 200
connections from new processes leave whosock's open fds and memory where
they were after the first (within a margin). Rows have DESIGN.md's
traffic-row fields. Bad usage exits 2 with one line.

Timings never decide: every wait is a deadline for something that must
come. Exit 0 pass, 1 fail, 77 skip (not root or no namespaces).
"""

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

WHOSOCK = wstest.whosock_path()
WAIT = 60.0
PID = os.getpid()
NS = {k: "wstop-%d-%s" % (PID, k) for k in "abc"}
ROW_FIELDS = {"ts", "interval_ms", "by", "netns", "netns_name", "connections", "sent_bytes",
              "received_bytes", "sent_total", "received_total"}

# A server and clients; argv: role, then numbers. Prints "ready PORT" once
# listening (server) and "done" once its work is done; then waits for stdin
# to close.
PROG = r"""
import ctypes, os, socket, sys
role = sys.argv[1]
ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)  # PR_SET_NAME
def say(s):
    sys.stdout.write(s + "\n"); sys.stdout.flush()
if role == "tcp-srv":
    n_conns = int(sys.argv[3])
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(256)
    say("ready %d" % srv.getsockname()[1])
    total = 0
    keep = []
    for _ in range(n_conns):
        c, _ = srv.accept()
        while True:
            d = c.recv(65536)
            if not d:
                break
            total += len(d)
        if n_conns == 1:
            keep.append(c)  # the bulk connection stays open
        else:
            c.close()
    say("done %d" % total)
elif role == "tcp-cli":
    port, n_conns, each = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    keep = []
    for _ in range(n_conns):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"x" * each)
        if n_conns == 1:
            c.shutdown(socket.SHUT_WR)  # EOF for the server, the socket stays
            keep.append(c)
        else:
            c.close()
    say("done")
elif role == "tcp-drip":
    import select
    c = socket.create_connection(("127.0.0.1", int(sys.argv[3])))
    say("started")
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        c.sendall(b"d")
    c.close()
    say("done")
    sys.exit(0)
elif role == "udp-srv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    # Room for every datagram (root: beyond rmem_max), none dropped.
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    say("ready %d" % s.getsockname()[1])
    n = 0
    while n < int(sys.argv[3]):
        n += len(s.recv(2000)) > 0
    say("done %d" % n)
elif role == "udp-cli":
    port, n = int(sys.argv[3]), int(sys.argv[4])
    dst = ("127.0.0.1", port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(dst)
    import time
    for i in range(n // 2):
        s.send(b"u" * 1000)
        if i % 100 == 99:
            time.sleep(0.01)  # the receiver keeps up
    # The other half from sockets that live a few ms each (never bound by
    # bind(): sendto() binds them).
    for _ in range(n // 2 // 100):
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(100):
            t.sendto(b"u" * 1000, dst)
        t.close()
        time.sleep(0.01)
    say("done")
sys.stdin.read()
"""


class Proc:
    def __init__(self, ns, args, user=None):
        cmd = ["ip", "netns", "exec", NS[ns]]
        if user:
            cmd += ["setpriv", "--reuid", str(user), "--regid", str(user), "--clear-groups"]
        cmd += [sys.executable, "-c", PROG] + [str(a) for a in args]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.p.pid  # ip netns exec and setpriv exec: the same process

    def line(self, timeout=WAIT):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            raise RuntimeError("no line from %r within %s s" % (self.p.args[-4:], timeout))
        return self.p.stdout.readline().strip()

    def end(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Top:
    """whosock top -o ndjson, its rows gathered by a thread."""

    def __init__(self, args):
        self.p = subprocess.Popen([WHOSOCK, "top", "-o", "ndjson"] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.rows, self.bad, self.stderr = [], [], ""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            try:
                row = json.loads(line)
            except ValueError:
                self.bad.append(line)
                continue
            with self.lock:
                self.rows.append(row)

    def _err(self):
        self.stderr = self.p.stderr.read()

    def snapshot(self):
        with self.lock:
            return list(self.rows)

    def wait_for(self, cond, what):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            if cond(self.snapshot()):
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        return False

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sums(rows, by, key):
    """{key(row): [sent, received]} over every interval's rows of by."""
    out = {}
    for r in rows:
        if r["by"] != by:
            continue
        k = key(r)
        s = out.setdefault(k, [0, 0])
        s[0] += r["sent_bytes"]
        s[1] += r["received_bytes"]
    return out


def pid_of(r):
    return r["process"]["pid"] if r["process"] else None


def setup_namespaces():
    for ns in NS.values():
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)


def cleanup_namespaces():
    for ns in NS.values():
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def check_usage(c):
    for args in (["top", "--by", "nope"], ["top", "-o", "ndjson", "-d", "1"], ["--by", "user"],
                 ["top", "--connections"], ["top", "-x"], ["top", "--interval", "10ms"],
                 ["top", "-l"], ["top", "-K", ":80"]):
        p = subprocess.run([WHOSOCK] + args, capture_output=True, text=True)
        c.eq(p.returncode, 2, "whosock %s: exit status" % " ".join(args), p.stderr)
        c.ok(p.stdout == "" and len(p.stderr.strip().split("\n")) == 1,
             "whosock %s: one line on stderr, nothing on stdout" % " ".join(args),
             "stdout=%r stderr=%r" % (p.stdout, p.stderr))
    p = subprocess.run([WHOSOCK, "top"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    c.eq(p.returncode, 2, "whosock top without a terminal: exit status", p.stderr)
    c.ok("-o ndjson" in p.stderr, "whosock top without a terminal says to use -o", p.stderr)


def burst(c, srv_name, cli_name, rounds=1):
    """200 short connections in B, from a new client process each round.
    Returns (server, [clients])."""
    srv = Proc("b", ["tcp-srv", srv_name, 200 * rounds])
    port = int(srv.line().split()[1])
    clients = []
    for _ in range(rounds):
        k = Proc("b", ["tcp-cli", cli_name, port, 200, 10240])
        c.eq(k.line(), "done", "%s finished" % cli_name)
        k.end()
        clients.append(k)
    c.eq(srv.line(), "done %d" % (200 * rounds * 10240), "%s received everything" % srv_name)
    return srv, clients, port


UDP_NOTE = "udp sockets are not counted"


def run(c, bpf, bounded):
    """The load under one whosock top: with BPF (bpf: it is built in) or with
    --no-bpf. bounded: then the rounds that check fds and memory."""
    counted = bpf
    what = "BPF" if bpf else "--no-bpf"
    top = None
    procs = []
    try:
        top = Top(["--interval", "300ms", "--by", "process,remote,netns,user"] +
                  ([] if bpf else ["--no-bpf"]) + sum([["--netns", n] for n in NS.values()], []))
        # Ready: a probe in C that sends a byte every 50 ms is counted
        # (whatever the meter's start missed of it).
        psrv = Proc("c", ["tcp-srv", "wsprobe-srv", 1])
        procs.append(psrv)
        port = int(psrv.line().split()[1])
        pcli = Proc("c", ["tcp-drip", "wsprobe-cli", port])
        procs.append(pcli)
        c.eq(pcli.line(), "started", "probe started")
        c.ok(top.wait_for(lambda rows: any(r["by"] == "process" and r["process"] and
                                           r["process"]["pid"] == pcli.pid and r["sent_bytes"]
                                           for r in rows), "probe"),
             "%s: whosock top counts the probe's bytes" % what, top.stderr)

        # A: 5 MB over one connection, the client as uid 65534.
        bsrv = Proc("a", ["tcp-srv", "wsbulk-srv", 1])
        procs.append(bsrv)
        port = int(bsrv.line().split()[1])
        bcli = Proc("a", ["tcp-cli", "wsbulk-cli", port, 1, 5000000], user=65534)
        procs.append(bcli)
        c.eq(bcli.line(), "done", "wsbulk-cli sent")
        c.eq(bsrv.line(), "done 5000000", "wsbulk-srv received everything")

        # B: 200 connections of 10 KiB, each closed at once.
        ssrv, sclis, sport = burst(c, "wsburst-srv", "wsburst-cli")
        procs.append(ssrv)

        # C: UDP.
        usrv = Proc("c", ["udp-srv", "wsudp-srv", 2000])
        procs.append(usrv)
        uport = int(usrv.line().split()[1])
        ucli = Proc("c", ["udp-cli", "wsudp-cli", uport, 2000])
        procs.append(ucli)
        c.eq(ucli.line(), "done", "wsudp-cli sent")
        c.eq(usrv.line(), "done 2000", "wsudp-srv received every datagram")

        def per_pid(rows):
            return sums(rows, "process", pid_of)

        def unknown_in_b(rows):
            return sums(rows, "process", lambda r: (pid_of(r), r["netns_name"])).get((None, NS["b"]), [0, 0])

        def complete(rows):
            s = per_pid(rows)
            burst_cli = sum(s.get(k.pid, [0, 0])[0] for k in sclis) + unknown_in_b(rows)[0]
            udp = not counted or (s.get(ucli.pid, [0, 0])[0] >= 2000000 and
                                  s.get(usrv.pid, [0, 0])[1] >= 2000000)
            return (s.get(bcli.pid, [0, 0])[0] >= 5000000 and s.get(bsrv.pid, [0, 0])[1] >= 5000000
                    and s.get(ssrv.pid, [0, 0])[1] >= 2048000 and burst_cli >= 2048000 and udp)

        c.ok(top.wait_for(complete, "totals"), "%s: every byte sent is counted" % what, top.stderr)
        # Two more intervals: nothing more may come.
        n = len(top.snapshot())
        top.wait_for(lambda rows: len({r["ts"] for r in rows[n:]}) >= 2, "two more intervals")
        rows = top.snapshot()
        s = per_pid(rows)
        c.eq(s.get(bcli.pid, [0, 0]), [5000000, 0], "%s: wsbulk-cli: [sent, received]" % what)
        c.eq(s.get(bsrv.pid, [0, 0]), [0, 5000000], "%s: wsbulk-srv: [sent, received]" % what)
        c.eq(s.get(ssrv.pid, [0, 0]), [0, 2048000], "%s: wsburst-srv: [sent, received]" % what)
        own = [sum(s.get(k.pid, [0, 0])[i] for k in sclis) for i in (0, 1)]
        unknown_b = unknown_in_b(rows)
        if counted:
            c.eq(own, [2048000, 0], "BPF: wsburst-cli's own rows (every connection with its process): "
                 "[sent, received]", unknown_b)
        c.eq([own[i] + unknown_b[i] for i in (0, 1)], [2048000, 0],
             "%s: wsburst-cli plus the row without a process in B: [sent, received]" % what)
        nets = sums(rows, "netns", lambda r: r["netns_name"])
        c.eq(nets.get(NS["a"]), [5000000, 5000000], "%s: by netns: A" % what)
        c.eq(nets.get(NS["b"]), [2048000, 2048000], "%s: by netns: B" % what)
        probe = s.get(pcli.pid, [0, 0])
        udp = 2000000 if counted else 0
        # (the probe's receiver may lag its sender by a byte in flight at a dump)
        net_c = nets.get(NS["c"], [0, 0])
        c.ok(probe[0] > 0 and net_c[0] == probe[0] + udp and udp <= net_c[1] <= probe[0] + udp,
             "%s: by netns: C has the probe's TCP bytes and %d UDP bytes" % (what, udp), (net_c, probe))
        rem = sums(rows, "remote", lambda r: (r["netns_name"], r["remote"]["addr"], r["remote"]["port"],
                                             r["remote"]["proto"]))
        c.eq(rem.get((NS["b"], "127.0.0.1", sport, "tcp")), [2048000, 0],
             "%s: by remote: B's clients to 127.0.0.1:%d" % (what, sport))
        users = sums(rows, "user", lambda r: r["uid"])
        c.eq(users.get(65534, [0, 0])[0], 5000000, "%s: by user: uid 65534 sent" % what)
        c.ok(users.get(0, [0, 0])[1] >= 5000000 + 2048000 + udp,
             "%s: by user: root received what its servers did" % what, users.get(0))
        if counted:
            c.eq(s.get(ucli.pid, [0, 0]), [2000000, 0],
                 "BPF: wsudp-cli (one socket open, 10 that lived a few ms): [sent, received]")
            c.eq(s.get(usrv.pid, [0, 0]), [0, 2000000], "BPF: wsudp-srv: [sent, received]")
            c.eq(rem.get((NS["c"], "127.0.0.1", uport, "udp"), [0, 0])[0], 1000000,
                 "BPF: by remote: the connected UDP socket to 127.0.0.1:%d sent" % uport)
        else:
            c.ok(not any(r["by"] == "process" and r["process"] and r["process"]["pid"] in (ucli.pid, usrv.pid)
                         and (r["sent_bytes"] or r["received_bytes"]) for r in rows),
                 "%s: no UDP bytes counted" % what)
        for r in rows[:50]:
            c.ok(ROW_FIELDS <= set(r), "row has the traffic-row fields", r)
            c.ok(r["interval_ms"] > 0, "interval_ms > 0", r)
        for r in rows:
            if r["by"] == "process" and r["process"] and r["process"]["pid"] == bcli.pid:
                c.eq(r["process"]["comm"], "wsbulk-cli", "comm of wsbulk-cli")
                c.eq(r["process"]["uid"], 65534, "uid of wsbulk-cli")
                c.eq(r["netns_name"], NS["a"], "netns_name of wsbulk-cli")
                break
        for r in rows:
            if counted and r["by"] == "process" and r["process"] and r["process"]["pid"] == ucli.pid:
                c.eq((r["process"]["comm"], r["process"]["uid"], r["netns_name"]), ("wsudp-cli", 0, NS["c"]),
                     "BPF: comm, uid and netns_name of wsudp-cli")
                break
        c.ok(not top.bad, "every line is JSON", top.bad[:3])

        if bounded:
            # Bounded: rounds of new processes and connections.
            fds0, rss0 = fd_count(top.p.pid), rss_kb(top.p.pid)
            srv2, clis2, _ = burst(c, "wsburst2-srv", "wsburst2-cli", rounds=4)
            procs.append(srv2)
            srv2.end()
            n = len(top.snapshot())
            top.wait_for(lambda rows: len({r["ts"] for r in rows[n:]}) >= 3, "three more intervals")
            fds1, rss1 = fd_count(top.p.pid), rss_kb(top.p.pid)
            c.ok(fds1 <= fds0 + 4, "open fds stay bounded: %d after the first round, %d after 4 more" % (fds0, fds1))
            # valgrind's own bookkeeping grows with what the program did.
            slack = 64 if "valgrind" in WHOSOCK else 16
            c.ok(rss1 <= rss0 + slack * 1024, "memory stays bounded: %d KiB, then %d KiB" % (rss0, rss1))
        status = top.stop()
        c.eq(status, 0, "%s: whosock top exits 0 on SIGTERM" % what, top.stderr)
        time.sleep(0.2)
        notes = [l for l in top.stderr.splitlines() if UDP_NOTE in l or "udp socket is not counted" in l]
        if counted:
            c.eq(notes, [], "BPF: no note that UDP is not counted")
        else:
            c.ok(len(notes) == 1 and "(--no-bpf)" in notes[0],
                 "%s: one note says UDP is not counted, and why" % what, top.stderr)
            print("  %s: %s" % (what, notes[0] if notes else "(no note)"), flush=True)
        top = None
    finally:
        for p in reversed(procs):  # clients first: their servers then see EOF
            p.end()
        if top:
            top.p.kill()


def unbuilt_note(c):
    """A whosock built without BPF (asked for none of it) says so in its one
    note about UDP: a bound UDP socket of the test's own namespace."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    try:
        p = subprocess.run([WHOSOCK, "top", "-o", "ndjson", "--host-only", "--interval", "300ms",
                            "--count", "3"], capture_output=True, text=True, timeout=WAIT * 2)
    finally:
        u.close()
    notes = [l for l in p.stderr.splitlines() if UDP_NOTE in l or "udp socket is not counted" in l]
    c.ok(p.returncode == 0 and len(notes) == 1 and "built without BPF" in notes[0],
         "built without BPF: one note says UDP is not counted, and why", p.stderr)


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    built = wstest.bpf_built(WHOSOCK)[0]
    print("whosock: %s, %s" % (WHOSOCK, "with BPF" if built else "without BPF: the --no-bpf run only"),
          flush=True)
    c = wstest.Checker()
    check_usage(c)
    setup_namespaces()
    try:
        if built:
            run(c, True, bounded=True)
            run(c, False, bounded=False)
        else:
            run(c, False, bounded=True)
            unbuilt_note(c)
    finally:
        cleanup_namespaces()
    return c.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "whosock top needs root (namespaces, destroy reports)",
                tools=("unshare", "ip", "setpriv"))
