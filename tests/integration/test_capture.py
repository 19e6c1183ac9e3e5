#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock capture`, packets tagged with their processes.

Three namespaces the test makes (ip netns add wstest-cap-PID-N), each with a
server (comm wscap-server: TCP echo on 127.0.0.1:6000, UDP echo on
127.0.0.1:6001). In the first two, a client (comm wscap-client) keeps one
TCP connection for 100 echoes of 1,000 bytes, makes 100 connections that
each send 100 bytes, read the echo and close (each under 5 ms on loopback),
and sends 50 UDP queries from a bound socket; a bystander in the first
(comm wscap-other) sends itself UDP on port 6100. Several captures run side
by side over that load, started before the clients:

   1. --netns all -o ndjson: of the packets of the test's flows, at least
      99% of the local ends (both ends are local: loopback) name the right
      process (the client for its ports, the server for 6000/6001), short
      connections included, and none names a wrong one;
   2. --netns all -w FILE: tshark reads the pcapng back (frame.comment),
      the same 99% and none wrong, by pid in the comments; one interface
      block per (namespace, interface); the same with --netns NAME (one
      namespace: the kernel hands over only its socket events, and while
      its name holds no walk of /proc looks for others);
   3. the filter expression is honoured (udp port 6001: nothing else);
   4. --pid (the first server): only packets with that process on an end;
      and the kernel filter made for it: a bystander bound before the
      capture started sends itself 20 datagrams, which are not even
      captured (both ports another process's);
   5. --no-bpf: none wrong, and every packet has its server end right;
   6. the third namespace deleted mid-capture (its server killed, the name
      removed): the capture says that handle ended and goes on capturing
      in the others (a later packet in the first namespace is captured);
   7. a bad filter expression is a usage error (exit 2) naming the problem;
   8. UDP over a veth pair between the first two namespaces: in each, the
      packet's local end only (the sender's going out, the receiver's
      coming in), never the other namespace's socket;
   9. -c 5: five packets, then it ends by itself.

Exit 0 pass, 1 fail, 77 skip (not root, no namespaces or no tshark).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import wstest

WHOSOCK = wstest.whosock_path()
T = wstest.Checker(timed=True)
PREFIX = "wstest-cap-%d-" % os.getpid()
VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))
N_SHORT, N_LONG, N_UDP = (30 if VALGRIND else 100), 100, 50
WAIT = 180 if VALGRIND else 60
PORTS = (6000, 6001)
FLOWS = "tcp port 6000 or udp port 6001"
MADE, KIDS = [], []

CLIENT = r"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b"wscap-client")
n_short, n_long, n_udp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            raise SystemExit("short read")
        got += d
    return got
long = socket.create_connection(("127.0.0.1", 6000))
for i in range(n_long):
    long.sendall(b"L" * 1000)
    recv_exactly(long, 1000)
for i in range(n_short):
    c = socket.create_connection(("127.0.0.1", 6000))
    c.sendall(b"s" * 100)
    recv_exactly(c, 100)
    c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
u.settimeout(10)
for i in range(n_udp):
    u.sendto(b"q" * 50, ("127.0.0.1", 6001))
    u.recv(4096)
long.close()
u.close()
print("done", flush=True)
"""

# Packets on another port, from another process: --pid must leave them out.
OTHER = r"""
import ctypes, socket
ctypes.CDLL(None).prctl(15, b"wscap-other")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 6100))
for i in range(20):
    u.sendto(b"o" * 10, ("127.0.0.1", 6100))
    u.recv(100)
print("done", flush=True)
"""

# Over the veth pair between the first two namespaces: 10 datagrams from
# 10.99.0.1:6200 to the echo server on 10.99.0.2:6201 and back.
VETH_SERVER = r"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.99.0.2", 6201)); u.settimeout(30)
print("ready", flush=True)
for i in range(10):
    d, p = u.recvfrom(100); u.sendto(d, p)
"""
VETH_CLIENT = r"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.99.0.1", 6200)); u.settimeout(10)
for i in range(10):
    u.sendto(b"v", ("10.99.0.2", 6201)); u.recv(100)
print("done", flush=True)
"""

# A bystander bound before the captures start (its port is known to them
# all): 20 datagrams to itself on port 6300 when told to.
EARLY = r"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b"wscap-early")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 6300))
print("ready", flush=True)
sys.stdin.readline()
for i in range(20):
    u.sendto(b"e", ("127.0.0.1", 6300)); u.recv(10)
print("done", flush=True)
"""

# One datagram from port 6002 after the third namespace went away.
LATE = r"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 6002)); u.settimeout(10)
u.sendto(b"late", ("127.0.0.1", 6001)); u.recv(100)
print("done", flush=True)
"""


def in_ns(name, argv):
    return wstest.netns_popen(name, argv, KIDS)


wait_line = wstest.wait_line
netns_inode = wstest.netns_inode


class Capture:
    """whosock capture ARGS, its stdout and stderr read by threads into
    lines; ready once it said it is capturing."""

    def __init__(self, args):
        self.argv = [WHOSOCK, "capture"] + args
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        KIDS.append(self.p)
        self.out, self.err = [], []
        self.cond = threading.Condition()
        for f, into in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=self._read, args=(f, into), daemon=True).start()

    def _read(self, f, into):
        for line in f:
            with self.cond:
                into.append(line.decode(errors="replace"))
                self.cond.notify_all()
        with self.cond:
            into.append(None)
            self.cond.notify_all()

    def wait_for(self, lines, pred, timeout=WAIT):
        """Whether a line that pred accepts came (None: the stream ended)."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(l is not None and pred(l) for l in lines):
                    return True
                if None in lines or time.monotonic() > end:
                    return False
                self.cond.wait(1)

    def ready(self):
        return self.wait_for(self.err, lambda l: l.startswith("whosock: capturing on"))

    def finish(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=WAIT)
        self.wait_for(self.out, lambda l: False, 10)
        self.wait_for(self.err, lambda l: False, 10)
        return rc, [l for l in self.out if l], "".join(l for l in self.err if l)


def expected(src_port, dst_port, server, client):
    """(the sender's pid, the receiver's) for a packet of the test's flows."""
    if src_port in PORTS:
        return server, client
    return client, server


def score(packets, pids):
    """packets: (netns, sport, dport, sender pids, receiver pids); pids:
    netns -> (server pid, client pid). Returns (ends right, ends, wrong
    ends as text, packets whose server end is right)."""
    right = ends = server_right = 0
    wrong = []
    missed = {}
    for ns, sport, dport, s_pids, d_pids in packets:
        if 6002 in (sport, dport):
            continue  # the late datagram's, another process
        if ns not in pids:
            wrong.append("a packet of another namespace %r" % ns)
            continue
        server, client = pids[ns]
        want = expected(sport, dport, server, client)
        for got, w, which in ((s_pids, want[0], "sender"), (d_pids, want[1], "receiver")):
            ends += 1
            if got == [w]:
                right += 1
                if w == server:
                    server_right += 1
            elif got:
                wrong.append("%d > %d: %s %r, want %d" % (sport, dport, which, got, w))
            else:
                k = "%s %s" % (which, "server" if w == server else "client")
                missed[k] = missed.get(k, 0) + 1
                missed.setdefault("some", []).append((sport, dport)) if len(missed.get("some", [])) < 12 else None
    score.missed = missed
    return right, ends, wrong, server_right


def ndjson_packets(lines):
    out = []
    for l in lines:
        j = json.loads(l)
        if j["proto"] not in ("tcp", "udp"):
            continue
        pids = [[o["pid"] for o in (j[k] or {"owners": []})["owners"]] for k in ("sender", "receiver")]
        out.append((j["netns"], j["src"]["port"], j["dst"]["port"], pids[0], pids[1]))
    return out


def check_tagged(what, pkts, pids, bpf, detail=""):
    """At least 99% of the local ends right (with the kernel's socket
    events; without them, a short connection's client is not known: the
    server's end of 99% of the packets), none wrong."""
    right, ends, wrong, server_right = score(pkts, pids)
    print("%s: %d packets of the flows, %d of %d local ends tagged right, the server's end of %d %r" %
          (what, len(pkts), right, ends, server_right, score.missed), flush=True)
    if bpf:
        T.ok(ends and right >= 0.99 * ends, "%s: at least 99%% of the local ends tagged right: %d of %d" %
             (what, right, ends), "untagged: %r\n%s" % (score.missed, detail))
    else:
        T.ok(pkts and server_right >= 0.99 * len(pkts), "%s: the server's end of at least 99%% of the packets: "
             "%d of %d" % (what, server_right, len(pkts)), "untagged: %r\n%s" % (score.missed, detail))
    T.eq(wrong[:10], [], "%s: no end tagged with a wrong process" % what)


def check_ndjson(cap, pids, flows, bpf):
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status on SIGTERM", err)
    pkts = [p for p in ndjson_packets(lines) if p[0] in pids and (p[1] in PORTS or p[2] in PORTS)]
    # Per namespace: 3 handshake + 2x100 data (+ACKs) + FIN ... at least.
    T.ok(len(pkts) >= flows, "enough packets of the flows captured: %d (at least %d)" % (len(pkts), flows), err)
    check_tagged("-o ndjson", pkts, pids, bpf, err)
    shorts = [p for p in pkts if p[1] in PORTS and p[2] not in PORTS or p[2] == 6000]
    T.ok(len(shorts) > 0, "short connections' packets are there")
    return lines, err


def check_pcapng(cap, path, pids, flows, bpf):
    rc, _, err = cap.finish()
    T.eq(rc, 0, "exit status on SIGTERM", err)
    p = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=\t", "-e", "frame.comment",
                        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
                        "-e", "frame.interface_name", "-e", "frame.interface_description"],
                       capture_output=True, timeout=WAIT)
    T.eq(p.returncode, 0, "tshark -r reads the pcapng", p.stderr.decode())
    pkts, ifaces = [], set()
    for line in p.stdout.decode().splitlines():
        f = line.split("\t")
        if len(f) < 7:
            continue
        comments, ports = f[0], [int(x) for x in f[1:5] if x]
        ifaces.add((f[5], f[6]))
        if len(ports) != 2:
            continue
        ends = {"src": [], "dst": []}
        ns = None
        for c in [c for c in comments.split(",") if c]:
            kv = dict(w.split("=", 1) for w in c.split() if "=" in w)
            ends[kv.get("end", "?")].append(int(kv["pid"]))
            ns = int(kv["netns"])
        if ns is None:
            ns = next(iter(pids))  # untagged: counted against the first namespace's pids
        pkts.append((ns, ports[0], ports[1], ends["src"], ends["dst"]))
    T.ok(len(pkts) >= flows, "enough packets in the file: %d (at least %d)" % (len(pkts), flows))
    check_tagged("-w, the comments", pkts, pids, bpf, p.stdout.decode()[:2000])
    # One interface block per (namespace, interface): lo of each namespace.
    T.ok(sum(1 for name, desc in ifaces if name == "lo") >= len(pids),
         "an interface block for lo of each namespace", sorted(ifaces))
    one = [l for l in p.stdout.decode().splitlines() if "end=src" in l][:1]
    T.ok(one and "comm=wscap-" in one[0] and "user=root" in one[0],
         "a comment names the process, its user and its namespace", one)


def check_filter(cap, ns0):
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status", err)
    js = [json.loads(l) for l in lines]
    T.ok(len(js) >= N_UDP * 2, "the UDP queries and answers are there: %d" % len(js), err)
    T.eq(sorted(set((j["proto"], 6001 in (j["src"]["port"], j["dst"]["port"]), j["netns"]) for j in js)),
         [("udp", True, ns0)], "only udp port 6001, only the namespace asked for")


def check_pid(cap, server0):
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status", err)
    pkts = ndjson_packets(lines)
    T.ok(len(pkts) >= N_UDP * 2, "packets kept: %d" % len(pkts), err)
    bad = [p for p in pkts if server0 not in p[3] + p[4]]
    T.eq(bad[:5], [], "every packet has the process of --pid on an end")
    T.eq([p for p in pkts if 6100 in (p[1], p[2])][:5], [], "the bystander's packets are left out")


def check_kernel_filter(cap):
    """--pid with an expression only the bystander's traffic matches: the
    kernel drops it (both its ports are another process's), so nothing is
    even captured."""
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status", err)
    T.ok(lines == [] and "\nwhosock: 0 packets captured," in "\n" + err,
         "the bystander's 20 packets dropped in the kernel: none captured", err + "".join(lines[:5]))


def check_no_bpf(cap, pids, flows):
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status", err)
    pkts = [p for p in ndjson_packets(lines) if p[0] in pids and (p[1] in PORTS or p[2] in PORTS)]
    T.ok(len(pkts) >= flows, "packets captured: %d" % len(pkts), err)
    check_tagged("--no-bpf", pkts, pids, False, err)


def check_veth(cap, ns, pids, bpf):
    """A packet between namespaces has one local end in each: in the
    sender's namespace its sender (going out), in the receiver's its
    receiver (coming in); never a socket of the other namespace. (Without
    BPF the client, younger than the capture and short, may be unknown.)"""
    rc, lines, err = cap.finish()
    T.eq(rc, 0, "exit status", err)
    js = [json.loads(l) for l in lines]
    T.eq(len(js), 40, "each of the 20 datagrams seen in both namespaces", err)
    stamps = [j["ts"] for j in js]
    T.ok(stamps == sorted(stamps), "in the kernel's time order across the two namespaces' handles",
         "\n".join(stamps))
    want = {(ns[0], "out", 6200): (pids[0], None), (ns[1], "in", 6200): (None, pids[1]),
            (ns[1], "out", 6201): (pids[1], None), (ns[0], "in", 6201): (None, pids[0])}
    bad = []
    for j in js:
        got = tuple([o["pid"] for o in j[k]["owners"]][0] if j[k] else None for k in ("sender", "receiver"))
        key = (j["netns"], j["direction"], j["src"]["port"])
        w = want.get(key)
        if not bpf and w and pids[0] in w:
            w = got if got in (w, (None, None)) else w
        if w != got:
            bad.append("%r: %r, want %r" % (key, got, w))
    T.eq(bad[:5], [], "the local end of each namespace, none of the other")


def check_count(cap):
    """-c 5: five packets, then it ends by itself."""
    try:
        cap.p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        pass
    T.ok(cap.p.poll() is not None, "-c 5: the capture ended by itself")
    rc, lines, err = cap.finish()
    T.eq((rc, len(lines)), (0, 5), "-c 5: exit 0 after five packets", err)


def check_usage():
    for args, want in ((["capture", "tcp", "port"], "invalid filter expression"),
                       (["capture", "-c", "0"], "invalid --count"),
                       (["capture", "-o", "csv"], "text or ndjson"),
                       (["capture", "--netns", "no-such-ns-here"], "unknown network namespace")):
        p = subprocess.run([WHOSOCK] + args, capture_output=True, timeout=WAIT)
        T.ok(p.returncode == 2 and want in p.stderr.decode(), "whosock %s: refused (%r)" % (" ".join(args), want),
             p.stderr.decode())
    p = subprocess.run([WHOSOCK, "capture", "tcp", "port", "http2x"], capture_output=True, timeout=WAIT)
    T.ok(p.returncode == 2 and "http2x" in p.stderr.decode(), "a bad expression: pcap's reason names it",
         p.stderr.decode())


def cleanup():
    wstest.cleanup(KIDS, MADE)


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    tmp = "/tmp/wstest-capture-%d.pcapng" % os.getpid()
    tmp_one = "/tmp/wstest-capture-one-%d.pcapng" % os.getpid()
    try:
        names, servers = [], []
        for i in range(3):
            name = PREFIX + str(i)
            wstest.make_netns(name, MADE)
            names.append(name)
            servers.append(in_ns(name, [sys.executable, "-c", wstest.SERVER, "wscap-server", "6000", "6001", "echo"]))
            wait_line(servers[-1], "ready", "server in " + name)
        ns = [netns_inode(n) for n in names]
        bpf = wstest.bpf_built(WHOSOCK)[0]
        print("BPF socket events %s" % ("built in: every end of every connection is known" if bpf else
                                        "not built: a short connection is tagged at its server's end"), flush=True)
        early = in_ns(names[0], [sys.executable, "-c", EARLY])
        wait_line(early, "ready", "early bystander")
        T.section = "start"
        subprocess.run(["ip", "link", "add", "wscap0", "netns", names[0], "type", "veth", "peer", "name", "wscap1",
                        "netns", names[1]], check=True)
        for n, dev, addr in ((names[0], "wscap0", "10.99.0.1/24"), (names[1], "wscap1", "10.99.0.2/24")):
            subprocess.run(["ip", "-n", n, "addr", "add", addr, "dev", dev], check=True)
            subprocess.run(["ip", "-n", n, "link", "set", dev, "up"], check=True)
        veth_server = in_ns(names[1], [sys.executable, "-c", VETH_SERVER])
        wait_line(veth_server, "ready", "veth server")
        caps = {"veth": Capture(["--netns", names[0], "--netns", names[1], "-o", "ndjson", "udp portrange 6200-6201"]),
                "ndjson": Capture(["--netns", "all", "-o", "ndjson", FLOWS]),
                "pcapng": Capture(["--netns", "all", "-w", tmp, FLOWS]),
                "one": Capture(["--netns", names[0], "-w", tmp_one, FLOWS]),
                "filter": Capture(["--netns", names[0], "-o", "ndjson", "udp", "port", "6001"]),
                "pid": Capture(["--netns", "all", "--pid", str(servers[0].pid), "-o", "ndjson"]),
                "no-bpf": Capture(["--netns", "all", "--no-bpf", "-o", "ndjson", FLOWS]),
                "count": Capture(["--netns", names[0], "-c", "5", "-o", "ndjson", FLOWS]),
                "kernel": Capture(["--netns", names[0], "--pid", str(servers[0].pid), "-o", "ndjson",
                                   "udp port 6300"])}
        for what, c in caps.items():
            if not T.ok(c.ready(), "whosock capture (%s) started" % what, "".join(l for l in c.err if l)):
                return T.summary()
        clients = [in_ns(n, [sys.executable, "-c", CLIENT, str(N_SHORT), str(N_LONG), str(N_UDP)])
                   for n in names[:2]]
        other = in_ns(names[0], [sys.executable, "-c", OTHER])
        early.stdin.write(b"go\n")
        early.stdin.flush()
        wait_line(early, "done", "early bystander")
        veth_client = in_ns(names[0], [sys.executable, "-c", VETH_CLIENT])
        wait_line(veth_client, "done", "veth client")
        for c, n in zip(clients, names):
            wait_line(c, "done", "client in " + n)
        wait_line(other, "done", "bystander")
        # (Each client's pid is the python3 that ip netns exec became.)
        pids = {ns[i]: (servers[i].pid, clients[i].pid) for i in range(2)}
        # Per namespace at least: the long connection's 2 x N_LONG data
        # packets, each short connection's 2, the UDP queries and answers.
        flows = 2 * (2 * N_LONG + 2 * N_SHORT + 2 * N_UDP)

        T.section = "6. a namespace deleted mid-capture"
        servers[2].kill()
        servers[2].wait()
        subprocess.run(["ip", "netns", "del", names[2]], check=True)
        MADE.remove(names[2])
        cap = caps["ndjson"]
        T.ok(cap.wait_for(cap.err, lambda l: "is gone: its capture ended" in l and names[2] in l),
             "the capture says the namespace's handle ended", "".join(l for l in cap.err if l))
        T.ok(cap.p.poll() is None, "and goes on")
        wait_line(in_ns(names[0], [sys.executable, "-c", LATE]), "done", "late datagram")
        T.ok(cap.wait_for(cap.out, lambda l: '"port":6002' in l),
             "a packet after the deletion, in another namespace, is captured")

        T.run_section("1. --netns all -o ndjson: 99% tagged right, none wrong", check_ndjson, caps["ndjson"],
                      pids, flows, bpf)
        T.run_section("2. -w: the pcapng read back by tshark with its comments", check_pcapng, caps["pcapng"],
                      tmp, pids, flows, bpf)
        T.run_section("2b. --netns NAME -w: one namespace's socket events only, the same 99%", check_pcapng,
                      caps["one"], tmp_one, {ns[0]: pids[ns[0]]}, flows // 2, bpf)
        T.run_section("3. the filter expression honoured", check_filter, caps["filter"], ns[0])
        T.run_section("4. --pid: only that process's packets", check_pid, caps["pid"], servers[0].pid)
        T.run_section("4b. --pid: the kernel drops what only other processes' ports carry", check_kernel_filter,
                      caps["kernel"])
        T.run_section("5. --no-bpf: the server end always, nothing wrong", check_no_bpf, caps["no-bpf"], pids,
                      flows)
        T.run_section("8. between namespaces (veth): each namespace's own end", check_veth, caps["veth"], ns,
                      (veth_client.pid, veth_server.pid), bpf)
        T.run_section("9. -c: a count of packets, then the end", check_count, caps["count"])
        T.run_section("7. usage errors", check_usage)
    finally:
        cleanup()
        for f in (tmp, tmp_one):
            if os.path.exists(f):
                os.unlink(f)
    return T.summary()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    if shutil.which("tshark") is None:
        sys.exit(wstest.skip("tshark is needed to read the pcapng back"))
    wstest.main(__file__, inner, "needs root to create network namespaces", tools=("unshare", "ip"))
