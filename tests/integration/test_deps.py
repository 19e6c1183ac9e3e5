#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock deps`, client -> service edges.

Three namespaces the test makes (ip netns add wstest-deps-PID-N), each with
a server (root, comm wsdeps-server: TCP 127.0.0.1:5000, UDP echo on
127.0.0.1:5353) and a client run as its own user (nobody, daemon, uid 4242;
comm wsdeps-client) that sends 100 UDP queries over one connected socket
and makes 300 TCP connections that each send 100 bytes and close at once
(far shorter than the watcher's interval: most are seen only in the
kernel's reports of their close). A probe connection in the first
namespace, open from before whosock starts, tells when whosock is ready.
Seven `whosock deps` run side by side over the same load, with the kernel's
BPF socket events (where this whosock has BPF) and without (--no-bpf):

   1. --by netns -o json, with and without BPF: per namespace, the TCP edge
      to 127.0.0.1:5000 has exactly 300 connections (301 in the probe's)
      and 30,000 bytes sent, its server named (wsdeps-server, in that
      namespace), and a UDP edge to 127.0.0.1:5353;
   2. --by process, with BPF: one TCP edge per namespace, from the client
      process (comm wsdeps-client, its pid and uid), with exactly 300
      connections and 30,000 bytes; with --no-bpf the same totals per
      namespace, split between the edges whose process was seen and those
      known by their namespace only (comm null); the UDP edge (the socket
      lived long enough to be seen) names the client process either way;
   3. --by user, with BPF: each client's uid has its 300 TCP connections and
      its UDP edge;
   4. --service 127.0.0.1:5353: only the UDP edges;
   5. -o dot: `dot -Tsvg` renders it, and the server is in the picture.
Also: bad options are refused with a message; as nobody it runs and says in
one line which namespaces it could not enter.

Exit 0 pass, 1 fail, 77 skip (not root, no namespaces or no graphviz).
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
PREFIX = "wstest-deps-%d-" % os.getpid()
USERS = [(65534, 65534), (1, 1), (4242, 4242)]
VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))
# (Fewer under valgrind: five whosocks under it share two cores.)
N_TCP, N_UDP, PAYLOAD = (100 if VALGRIND else 300), 100, 100
WAIT = 120 if VALGRIND else 30
MADE, KIDS, CONTAINERS = [], [], []

CLIENT = r"""
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"wsdeps-client")
n_tcp, n_udp, payload = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", 5353))
u.settimeout(5)
for i in range(n_udp):
    u.send(b"q" * 50)
    u.recv(2048)
for i in range(n_tcp):
    c = socket.create_connection(("127.0.0.1", 5000))
    c.sendall(b"x" * payload)
    c.close()
print("sent", flush=True)
sys.stdin.readline()  # the UDP socket lives on until a dump saw it with its process
u.close()
print("done", flush=True)
"""

PROBE = r"""
import socket, sys
c = socket.create_connection(("127.0.0.1", 5000))
print("ready", flush=True)
sys.stdin.read()
"""


def in_ns(name, argv, user=None, container=None):
    return wstest.netns_popen(name, argv, KIDS, user, container)


wait_line = wstest.wait_line
netns_inode = wstest.netns_inode


class Deps:
    """whosock deps ARGS --interval 0.5 -o json|dot: each print is one line
    (json) or one graph; ready once the first print came."""

    def __init__(self, args, fmt="json"):
        self.argv = [WHOSOCK, "deps", "--interval", "0.5", "-o", fmt] + args
        self.fmt = fmt
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines, self.reader = [], None

    def ready(self):
        if self.fmt == "json":
            if not self.p.stdout.readline():
                return False
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()
            return True
        while True:  # a graph ends with its "}" line
            line = self.p.stdout.readline()
            if not line or line == b"}\n":
                return bool(line)

    def _read(self):
        for line in self.p.stdout:
            if line.strip():
                self.lines.append(line.decode())

    def latest(self):
        """The edges of the last print (json), or []."""
        try:
            return json.loads(self.lines[-1]) if self.lines else []
        except ValueError:
            return []

    def wait_for(self, pred):
        """Until pred(edges of the last print) holds; False after WAIT s."""
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            if pred(self.latest()):
                return True
            time.sleep(0.1)
        return False

    def finish(self):
        self.p.send_signal(signal.SIGTERM)
        out, err = self.p.communicate(timeout=WAIT)
        if self.reader:
            self.reader.join(WAIT)
            out = b"".join(l.encode() for l in self.lines) + out
        return self.p.returncode, out.decode(), err.decode()

    def last_json(self):
        rc, out, err = self.finish()
        lines = [l for l in out.splitlines() if l.strip()]
        try:
            return rc, json.loads(lines[-1]), err
        except (IndexError, ValueError):
            return rc, None, err + out[-2000:]


def all_counted(edges, inodes):
    """Every client's connections and bytes to :5000, in every grouping."""
    mine = [e for e in edges if e["server"]["proto"] == "tcp" and e["server"]["port"] == 5000 and
            e["server"]["netns"] in inodes]
    return (sum(e["connections"] for e in mine) >= len(inodes) * N_TCP and
            sum(e["sent_bytes"] or 0 for e in mine) >= len(inodes) * N_TCP * PAYLOAD)


def udp_named(edges, inodes):
    named = {e["client"]["netns"] for e in udp_edges(edges) if e["client"]["comm"] == "wsdeps-client"}
    return inodes <= named


def tcp_edges(edges, netns):
    return [e for e in edges if e["server"]["proto"] == "tcp" and e["server"]["port"] == 5000 and
            e["server"]["addr"] == "127.0.0.1" and e["client"]["netns"] == netns]


def udp_edges(edges, netns=None):
    return [e for e in edges if e["server"]["proto"] == "udp" and e["server"]["port"] == 5353 and
            (netns is None or e["client"]["netns"] == netns)]


def totals(edges):
    return sum(e["connections"] for e in edges), sum(e["sent_bytes"] or 0 for e in edges)


def fmt_edges(edges):
    return "\n".join(json.dumps(e, sort_keys=True) for e in edges)


def check_netns(edges, names, clients):
    for i, name in enumerate(names):
        ns = netns_inode(name)
        want = N_TCP + (1 if i == 0 else 0)
        tcp = tcp_edges(edges, ns)
        T.eq(totals(tcp), (want, N_TCP * PAYLOAD), "--by netns, %s: TCP connections to 127.0.0.1:5000 and "
             "bytes sent" % name, fmt_edges(tcp))
        T.eq(len(tcp), 1, "--by netns, %s: one TCP edge" % name, fmt_edges(tcp))
        for e in tcp:
            T.eq((e["server"]["local"], e["server"]["comm"], e["server"]["netns"]), (True, "wsdeps-server", ns),
                 "--by netns, %s: the server is local, named, in the namespace" % name, json.dumps(e))
            T.ok(e["client"]["comm"] is None and e["client"]["pids"] is None,
                 "--by netns: no process in the client", json.dumps(e))
        T.eq(len(udp_edges(edges, ns)), 1, "--by netns, %s: the UDP edge to 127.0.0.1:5353" % name,
             fmt_edges(edges))


def check_process(edges, names, clients, bpf):
    for i, name in enumerate(names):
        ns = netns_inode(name)
        want = N_TCP + (1 if i == 0 else 0)
        tcp = tcp_edges(edges, ns)
        T.eq(totals(tcp), (want, N_TCP * PAYLOAD), "--by process, %s: TCP connections and bytes, all edges "
             "of the namespace together" % name, fmt_edges(tcp))
        if bpf:
            # The kernel named the process of every connection.
            mine = [e for e in tcp if e["client"]["comm"] == "wsdeps-client"]
            T.eq([(e["connections"], e["sent_bytes"], e["client"]["pids"], e["client"]["uid"]) for e in mine],
                 [(N_TCP, N_TCP * PAYLOAD, [clients[i].pid], USERS[i][0])],
                 "--by process with BPF, %s: one edge from the client process with all its connections" % name,
                 fmt_edges(tcp))
            T.eq([e["client"]["comm"] for e in tcp if e not in mine], [] if i else ["python3"],
                 "--by process with BPF, %s: no edge without its process (the probe's is python3)" % name,
                 fmt_edges(tcp))
        for e in tcp:
            c = e["client"]
            T.ok(c["comm"] in ("wsdeps-client", "python3", None),
                 "--by process: a client edge names the client (or no process)", json.dumps(e))
            if c["comm"] == "wsdeps-client":
                T.eq(c["pids"], [clients[i].pid], "--by process: the client's pid", json.dumps(e))
                T.eq(c["uid"], USERS[i][0], "--by process: the client's uid", json.dumps(e))
        udp = udp_edges(edges, ns)
        if T.eq(len(udp), 1, "--by process, %s: one UDP edge" % name, fmt_edges(edges)):
            T.eq((udp[0]["client"]["comm"], udp[0]["client"]["pids"], udp[0]["server"]["comm"]),
                 ("wsdeps-client", [clients[i].pid], "wsdeps-server"),
                 "--by process, %s: the UDP edge names the client and the server" % name, json.dumps(udp[0]))


def check_user(edges, names, clients, bpf):
    tcp = [e for e in edges if e["server"]["port"] == 5000]
    for i, name in enumerate(names):
        ns = netns_inode(name)
        udp = [e for e in udp_edges(edges) if e["client"]["uid"] == USERS[i][0]]
        T.eq(len(udp), 1, "--by user: the UDP edge of uid %d" % USERS[i][0], fmt_edges(edges))
        for e in udp:
            T.ok(e["client"]["netns"] is None and e["client"]["comm"] is None,
                 "--by user: no namespace, no comm in the client", json.dumps(e))
        if bpf:
            T.eq(totals([e for e in tcp if e["client"]["uid"] == USERS[i][0]]), (N_TCP, N_TCP * PAYLOAD),
                 "--by user with BPF: the TCP connections and bytes of uid %d" % USERS[i][0], fmt_edges(tcp))
    T.eq(sum(e["connections"] for e in tcp), 3 * N_TCP + 1, "--by user: every TCP connection, summed",
         fmt_edges(tcp))
    T.ok(all(e["client"]["uid"] in (None, 0, 65534, 1, 4242) for e in tcp), "--by user: uids", fmt_edges(tcp))


def check_container(edges, names, box, bpf):
    inodes = {netns_inode(n) for n in names}
    tcp = [e for e in edges if e["server"]["proto"] == "tcp" and e["server"]["port"] == 5000 and
           e["server"]["netns"] in inodes]
    boxed = [e for e in tcp if (e["client"]["container"] or {}).get("id") == box.id]
    T.ok(all(e["client"]["comm"] is None and e["client"]["pids"] is None for e in tcp),
         "--by container: no comm, no pids in the client", fmt_edges(tcp))
    # (Without BPF its short connections are known by namespace only, and
    # its namespace holds processes outside the container too.)
    if bpf:
        T.ok(boxed and all(e["client"]["container"]["runtime"] == "docker" for e in boxed),
             "--by container: the boxed client's edge names its container (docker %s)" % box.id[:12],
             fmt_edges(tcp))
        T.eq(totals(boxed), (N_TCP, N_TCP * PAYLOAD), "--by container with BPF: its connections and bytes",
             fmt_edges(tcp))
        udp = [e for e in udp_edges(edges) if (e["client"]["container"] or {}).get("id") == box.id]
        T.eq(len(udp), 1, "--by container with BPF: its UDP edge", fmt_edges(edges))
    T.eq(sum(e["connections"] for e in tcp), 3 * N_TCP + 1, "--by container: every TCP connection, summed",
         fmt_edges(tcp))


def check_service(edges):
    T.ok(edges and all(e["server"]["port"] == 5353 for e in edges),
         "--service 127.0.0.1:5353: only edges to it", fmt_edges(edges))
    T.eq(len(udp_edges(edges)), 3, "--service 127.0.0.1:5353: the three UDP edges", fmt_edges(edges))


def check_dot(text):
    graphs = text.split("digraph deps {")
    last = "digraph deps {" + graphs[-1] if len(graphs) > 1 else ""
    p = subprocess.run(["dot", "-Tsvg"], input=last.encode(), capture_output=True)
    T.ok(p.returncode == 0 and b"<svg" in p.stdout, "-o dot: dot -Tsvg renders it", p.stderr.decode() + last[:2000])
    # (SVG writes '-' as &#45;.)
    svg = p.stdout.replace(b"&#45;", b"-")
    T.ok(b"wsdeps-server" in svg and b"127.0.0.1:5000" in svg,
         "-o dot: the service and its server are in the picture", last[:2000])
    # The three namespaces' 127.0.0.1:5000 are three services, not one.
    T.eq(len(set(l.split(" -> ")[1].split(" [")[0] for l in last.splitlines()
                 if " -> " in l and ":5000" in l.split(" -> ")[1])), 3, "-o dot: one node per namespace's service", last)


def check_links(runs, bpf):
    for what, d in runs.items():
        links = wstest.bpf_links(d.p.pid)
        want = bpf and "--no-bpf" not in d.argv
        T.ok((links > 0) == want, "deps (%s) holds %d BPF links (%s)" % (what, links, "some" if want else "none"))


def check_usage():
    for args, want in ((["deps", "--by", "host"], "invalid --by"),
                       (["deps", "--service", "nonsense"], "invalid"),
                       (["deps", "-x"], "TCP and UDP"),
                       (["deps", "--state", "listen"], "no states"),
                       (["--duration", "1"], "option of 'whosock deps'"),
                       (["-o", "dot"], "dot is for 'whosock deps'"),
                       (["deps", ":5000"], "--service"),
                       (["deps", "--duration", "0"], "more than 0")):
        p = subprocess.run([WHOSOCK] + args, capture_output=True, timeout=WAIT)
        T.ok(p.returncode == 2 and want in p.stderr.decode(), "whosock %s: refused (%r)" % (" ".join(args), want),
             p.stderr.decode())
    p = subprocess.run([WHOSOCK, "deps", "--duration", "0.3", "--host-only", "-o", "json"], capture_output=True,
                       timeout=WAIT)
    T.ok(p.returncode == 0 and p.stdout.decode().startswith("["), "--duration 0.3: prints the edges and exits",
         p.stderr.decode())
    # As nobody: it works, and one line says which namespaces it cannot enter
    # (another when more appear meanwhile: other tests make namespaces).
    p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", WHOSOCK, "deps",
                        "--duration", "0.5"], capture_output=True, timeout=WAIT)
    err = p.stderr.decode()
    T.ok(p.returncode == 0 and p.stdout.decode().startswith("CLIENT") and
         len([l for l in err.splitlines() if "not watched" in l]) >= 1 and "CAP_SYS_ADMIN" in err,
         "as nobody: edges printed, and one note on the namespaces not entered", err + p.stdout.decode())


def cleanup():
    wstest.cleanup(KIDS, MADE)
    for c in CONTAINERS:
        c.remove()


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    try:
        names = []
        for i in range(3):
            name = PREFIX + str(i)
            wstest.make_netns(name, MADE)
            names.append(name)
            server = [sys.executable, "-c", wstest.SERVER, "wsdeps-server", "5000", "5353", "discard"]
            wait_line(in_ns(name, server), "ready", "server in " + name)
        probe = in_ns(names[0], [sys.executable, "-c", PROBE])
        wait_line(probe, "ready", "probe")
        T.section = "start"
        # Only the test's namespaces: other tests may run servers on :5000 too.
        mine = [a for name in names for a in ("--netns", name)]
        bpf = wstest.bpf_built(WHOSOCK)[0]
        print("BPF socket events %s" % ("built in: per-process counts are exact" if bpf else
                                        "not built: only the --no-bpf checks"), flush=True)
        runs = {"netns": Deps(["--by", "netns"] + mine), "netns --no-bpf": Deps(["--by", "netns", "--no-bpf"] + mine),
                "process": Deps(mine), "process --no-bpf": Deps(["--no-bpf"] + mine),
                "user": Deps(["--by", "user"] + mine), "container": Deps(["--by", "container"] + mine),
                "service": Deps(["--service", "127.0.0.1:5353"] + mine), "dot": Deps(mine, "dot")}
        for what, d in runs.items():
            if not T.ok(d.ready(), "whosock deps (%s) printed its first edges" % what, d.p.stderr.read1(2000)
                        if d.p.poll() is not None else ""):
                return T.summary()
        T.run_section("0. the kernel's socket events: attached by every run but the --no-bpf ones",
                      check_links, runs, bpf)
        # The first client runs in a container (a cgroup named as docker's).
        box = wstest.FakeContainer("wstest-deps-%d" % os.getpid())
        CONTAINERS.append(box)
        clients = [in_ns(name, [sys.executable, "-c", CLIENT, str(N_TCP), str(N_UDP), str(PAYLOAD)], USERS[i],
                         box if i == 0 else None)
                   for i, name in enumerate(names)]
        for c, name in zip(clients, names):
            wait_line(c, "sent", "client in " + name)
        # Conditions, not time: each run has counted every connection (the
        # kernel's last reports can lag on a busy machine), and the
        # runs by process have seen each client's UDP socket with its
        # process before it closes (without BPF only a dump can).
        inodes = {netns_inode(n) for n in names}
        for what, d in runs.items():
            if d.fmt == "json" and what != "service":
                T.ok(d.wait_for(lambda edges: all_counted(edges, inodes)),
                     "deps (%s) counted every connection" % what, d.lines[-1:] if d.lines else "")
            if what.startswith("process"):
                T.ok(d.wait_for(lambda edges: udp_named(edges, inodes)),
                     "deps (%s) saw each UDP client with its process" % what, d.lines[-1:] if d.lines else "")
            if what == "user":
                T.ok(d.wait_for(lambda edges: {u[0] for u in USERS} <= {e["client"]["uid"] for e in udp_edges(edges)}),
                     "deps (%s) saw each UDP client with its user" % what, d.lines[-1:] if d.lines else "")
        for c, name in zip(clients, names):
            c.stdin.write(b"close\n")
            c.stdin.flush()
            wait_line(c, "done", "client in " + name)
        results = {}
        for what, d in runs.items():
            if what == "dot":
                rc, out, err = d.finish()
                results[what] = (rc, out, err)
            else:
                results[what] = d.last_json()
        for what, (rc, out, err) in results.items():
            T.ok(rc == 0 and out is not None, "whosock deps (%s): exit 0 on SIGTERM, edges printed" % what, err)
        ok = lambda w: results[w][1] is not None  # noqa: E731
        for run in ("netns", "netns --no-bpf"):
            if ok(run):
                T.run_section("1. %s: %d connections and %d bytes per namespace" % (run, N_TCP, N_TCP * PAYLOAD),
                              check_netns, results[run][1], names, clients)
        if ok("process"):
            T.run_section("2. --by process: one edge per client, every connection with its process" if bpf else
                          "2. --by process (no BPF built): the same totals; the client process where seen",
                          check_process, results["process"][1], names, clients, bpf)
        if ok("process --no-bpf"):
            T.run_section("2b. --by process --no-bpf: the same totals; the client process where seen",
                          check_process, results["process --no-bpf"][1], names, clients, False)
        if ok("user"):
            T.run_section("3. --by user", check_user, results["user"][1], names, clients, bpf)
        if ok("container"):
            T.run_section("3b. --by container", check_container, results["container"][1], names, box, bpf)
        if ok("service"):
            T.run_section("4. --service: only that service", check_service, results["service"][1])
        T.run_section("5. -o dot renders", check_dot, results["dot"][1])
        T.run_section("6. usage errors", check_usage)
    finally:
        cleanup()
    return T.summary()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    if shutil.which("dot") is None:
        wstest.skip("graphviz (dot) is needed to render -o dot")
    wstest.main(__file__, inner, "needs root to create network namespaces", tools=("unshare", "ip", "setpriv"))
