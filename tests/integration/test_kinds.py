#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: every kind of socket a process holds is listed.

The test re-executes itself inside a fresh network namespace (`unshare -n`)
and checks only rows of that namespace and of its own children:

   1. a packet socket bound to lo (ETH_P_ALL): a p_raw row `*:lo` with its
      owner, "packet": {"protocol": "all", "interface": "lo"}; the same
      inodes as `ss -A packet -e`; --source proc gives the same rows;
   2. netlink sockets (route with group 1, audit): nl rows route:PORTID, the
      owner, "netlink": {"protocol": "route", "portid", "groups": 1}; the
      same (protocol, portid) pairs as /proc/net/netlink and --source proc;
   3. an MPTCP listener and connection (net.mptcp.enabled=1 here): mptcp
      rows LISTEN and ESTABLISHED with owners; the connection's endpoints
      equal `ss -M`'s;
   4. a vsock and an XDP socket held by a child and its own child (fork
      after socket()): one row each (not one per holder: defect 18) with
      both owners, cookie, local `*:PORT` for vsock;
  4b. a vsock socket made in a namespace that only it keeps alive: listed in
      that namespace (SIOCGSKNS), also with --netns INODE;
   5. --pid shows every socket the process holds (every inode of its fds),
      -A all lists them too, and the default listing has no packet,
      netlink, vsock or xdp rows;
   6. -l: a TCP socket bound but not listening is not listed (defect 5), nor
      never bound TCP/UDP sockets (which the default listing shows, held);
      --state bound-inactive lists it, and in `-t` it comes in its place
      (TCP rows before MPTCP rows, the same order in two runs);
   7. an AF_ALG socket as `other`/alg when the kernel has AF_ALG (this
      test says so when it does not: it cannot make one then).

Exit 0 pass, 1 fail, 77 skip (not root or no namespaces).
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys

import wstest
from wstest import kill_all_kids, spawn

WHOSOCK = wstest.whosock_path()
T = wstest.Checker()
AF_XDP = 44
# whosock under valgrind (-Dvalgrind=true): valgrind 3.19 does not know
# pidfd_open, so no held socket can be asked what it is; whosock then says
# so in a note, which is what is checked instead (as test_netns.py does).
UNDER_VALGRIND = bool(os.environ.get("WHOSOCK_REAL"))
NOT_TRACED = "held sockets were not traced to their network namespace"


def check_not_traced_note(*args):
    p = run(*args)
    T.eq(p.returncode, 0, "whosock %s exits 0" % " ".join(args), p.stderr)
    T.ok(NOT_TRACED in p.stderr, "under valgrind: a note says held sockets were not traced", p.stderr)
    print("  (under valgrind: held-only rows not checked; valgrind lacks pidfd_open)")
IPPROTO_MPTCP = 262


def run(*args):
    p = subprocess.run([WHOSOCK, "--host-only"] + list(args), capture_output=True, text=True)
    return p


def rows(*args):
    p = run("-o", "json", *args)
    T.eq(p.returncode, 0, "whosock %s exits 0" % " ".join(args), p.stderr)
    try:
        return json.loads(p.stdout)
    except ValueError:
        T.ok(False, "whosock %s prints JSON" % " ".join(args), p.stdout[:300])
        return []


def fd_inodes(pid):
    out = set()
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            link = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def owner_pids(r):
    return sorted({o["pid"] for o in r["owners"]})


def sec_packet():
    def child():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.bind(("lo", 0))
        child.keep = s
        return {"inode": os.fstat(s.fileno()).st_ino}
    k = spawn(child)
    try:
        got = [r for r in rows("-0") if r["inode"] == k["inode"]]
        T.eq(len(got), 1, "packet socket listed once")
        if got:
            r = got[0]
            T.eq(r["proto"], "packet", "proto packet")
            T.eq(r["family"], "packet", "family packet")
            T.eq(r["packet"]["protocol"], "all", "ETH_P_ALL named all")
            T.eq(r["packet"]["interface"], "lo", "bound to lo")
            T.eq(owner_pids(r), [k.pid], "owner is the child")
        table = run("-0").stdout
        T.ok(any(l.split()[:3] == ["p_raw", "UNCONN", "*:lo"] for l in table.splitlines()),
             "table row p_raw UNCONN *:lo", table)
        ss = subprocess.run(["ss", "-A", "packet", "-a", "-e", "-H"], capture_output=True, text=True).stdout
        ss_inodes = {int(w[4:]) for w in ss.split() if w.startswith("ino:")}
        ours = {r["inode"] for r in rows("-0")}
        T.eq(ours, ss_inodes, "packet inodes equal ss -A packet -e")
        proc = {r["inode"] for r in rows("-0", "--source", "proc")}
        T.eq(proc, ours, "--source proc lists the same packet sockets")
    finally:
        k.stop()


def sec_netlink():
    def child():
        r = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        r.bind((0, 1))
        a = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
        a.bind((0, 0))
        child.keep = (r, a)
        return {"route": [os.fstat(r.fileno()).st_ino, r.getsockname()[0]],
                "audit": [os.fstat(a.fileno()).st_ino, a.getsockname()[0]]}
    k = spawn(child)
    try:
        got = {r["inode"]: r for r in rows("--netlink")}
        for name in ("route", "audit"):
            inode, portid = k[name]
            r = got.get(inode)
            T.ok(r is not None, "%s netlink socket listed" % name)
            if r:
                T.eq(r["netlink"]["protocol"], name, "%s protocol named" % name)
                T.eq(r["netlink"]["portid"], portid, "%s portid" % name)
                T.eq(owner_pids(r), [k.pid], "%s owner" % name)
        r = got.get(k["route"][0])
        if r:
            T.eq(r["netlink"]["groups"], 1, "route groups")
        table = run("--netlink").stdout
        T.ok("route:%d" % k["route"][1] in table, "table shows route:PORTID", table)
        # /proc/net/netlink: Eth (protocol) and Pid (portid) of every socket
        # here; whosock's own sock_diag sockets come and go between runs.
        with open("/proc/net/netlink") as f:
            procnet = {(int(l.split()[1]), int(l.split()[2])) for l in f.readlines()[1:]}
        pairs = {(r["protocol"], r["netlink"]["portid"]) for r in got.values() if r["protocol"] != 4}
        T.eq(pairs - procnet, set(), "every netlink row is in /proc/net/netlink")
        T.eq({p for p in procnet if p[0] != 4} - pairs, set(), "every /proc/net/netlink socket listed")
        proc = {(r["protocol"], r["netlink"]["portid"]) for r in rows("--netlink", "--source", "proc")
                if r["protocol"] != 4}
        T.eq(proc, pairs, "--source proc lists the same netlink sockets")
    finally:
        k.stop()


def sec_mptcp():
    subprocess.run(["sysctl", "-q", "-w", "net.mptcp.enabled=1"], check=True)

    def child():
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        l.bind(("127.0.0.1", 0))
        l.listen()
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        c.connect(l.getsockname())
        a, _ = l.accept()
        child.keep = (l, c, a)
        return {"port": l.getsockname()[1], "cport": c.getsockname()[1]}
    k = spawn(child)
    try:
        got = [r for r in rows("-M") if r["proto"] == "mptcp"]
        lis = [r for r in got if r["state"] == "LISTEN" and r["local"]["port"] == k["port"]]
        T.eq(len(lis), 1, "MPTCP listener listed")
        est = sorted((r["local"]["port"], r["remote"]["port"]) for r in got if r["state"] == "ESTABLISHED")
        T.eq(est, sorted([(k["port"], k["cport"]), (k["cport"], k["port"])]), "MPTCP connection, both ends")
        T.ok(all(owner_pids(r) == [k.pid] for r in got), "MPTCP owners are the child")
        ss = subprocess.run(["ss", "-M", "-n", "-H"], capture_output=True, text=True).stdout
        ss_est = sorted((int(l.split()[3].rsplit(":", 1)[1]), int(l.split()[4].rsplit(":", 1)[1]))
                        for l in ss.splitlines() if l.startswith("ESTAB"))
        T.eq(est, ss_est, "MPTCP connections equal ss -M")
        default = {r["proto"] for r in rows()}
        T.ok("mptcp" in default, "MPTCP is in the default listing")
        table = run("-M").stdout
        T.ok(any(l.split()[:2] == ["mptcp", "LISTEN"] for l in table.splitlines()), "table mptcp LISTEN", table)
    finally:
        k.stop()


def held_child():
    v = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    v.bind((socket.VMADDR_CID_ANY, 5555))
    x = socket.socket(AF_XDP, socket.SOCK_RAW, 0)
    held_child.keep = (v, x)
    pid = os.fork()
    if pid == 0:
        # The grandchild holds the same two sockets.
        while True:
            signal.pause()
    return {"vsock": os.fstat(v.fileno()).st_ino, "xdp": os.fstat(x.fileno()).st_ino, "grandchild": pid}


def sec_held():
    k = spawn(held_child)
    try:
        if UNDER_VALGRIND:
            check_not_traced_note("--vsock", "--xdp")
            return
        both = sorted([k.pid, k["grandchild"]])
        for kind, opt in (("vsock", "--vsock"), ("xdp", "--xdp")):
            got = [r for r in rows(opt) if r["inode"] == k[kind]]
            T.eq(len(got), 1, "%s socket listed once though two processes hold it" % kind)
            if got:
                r = got[0]
                T.eq(r["proto"], kind, "%s proto" % kind)
                T.eq(r["family"], kind, "%s family" % kind)
                T.eq(owner_pids(r), both, "%s owners: child and grandchild" % kind)
                T.ok(r["cookie"] is not None, "%s cookie from SO_COOKIE" % kind)
                T.eq(r["netns"], os.stat("/proc/self/ns/net").st_ino, "%s namespace" % kind)
                if kind == "vsock":
                    T.eq(r["local"]["addr"], "*:5555", "vsock local cid:port")
                    T.eq(r["type"], "stream", "vsock type")
        table = run("--vsock", "--xdp").stdout
        T.ok(any(l.split()[:3] == ["v_str", "UNCONN", "*:5555"] for l in table.splitlines()), "table v_str *:5555", table)
        T.ok(any(l.split()[:1] == ["xdp"] for l in table.splitlines()), "table xdp row", table)
    finally:
        os.kill(k["grandchild"], 9)
        k.stop()


def every_kind_child():
    keep = [socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800)),
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0),
            socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM),
            socket.socket(AF_XDP, socket.SOCK_RAW, 0),
            socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP),
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM),
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)]
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    t.listen()
    keep.append(t)
    keep[1].bind((0, 0))
    keep[5].bind(("::1", 0))
    keep[6].bind("\0whosock-kinds-%d" % os.getpid())
    every_kind_child.keep = keep
    return {}


def sec_pid():
    k = spawn(every_kind_child)
    try:
        want = fd_inodes(k.pid)
        got = rows("--pid", str(k.pid))
        if UNDER_VALGRIND:
            T.eq({r["inode"] for r in got} - want, set(), "--pid lists only the process's sockets")
            check_not_traced_note("--pid", str(k.pid))
            return
        T.eq({r["inode"] for r in got}, want, "--pid lists every socket the process holds")
        T.eq(len(got), len(want), "--pid: one row per socket")
        all_rows = {r["inode"] for r in rows("-A", "all")}
        T.eq(want - all_rows, set(), "-A all lists them too")
        default = {r["proto"] for r in rows()}
        T.eq(default & {"packet", "netlink", "vsock", "xdp", "unix"}, set(), "default: inet kinds only")
        kinds = [r["proto"] for r in got]
        T.eq(kinds.index("tcp") < kinds.index("packet") < kinds.index("netlink") < kinds.index("vsock")
             < kinds.index("xdp"), True, "rows in the documented kind order", kinds)
        table = run("--pid", str(k.pid)).stdout
        T.ok(any(l.split()[:3] == ["p_dgr", "UNCONN", "ip:*"] for l in table.splitlines()), "table p_dgr ip:*", table)
        p = run("-A", "bogus")
        T.eq(p.returncode, 2, "-A bogus is a usage error", p.stderr)
        T.ok("unknown socket kind 'bogus'" in p.stderr, "-A bogus says why", p.stderr)
    finally:
        k.stop()


def sec_listening():
    def child():
        b = socket.socket()
        b.bind(("127.0.0.1", 0))
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen()
        m = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        m.bind(("127.0.0.1", 0))
        m.listen()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # never bound
        t = socket.socket()  # never bound
        child.keep = (b, l, m, u, t)
        return {"bound": os.fstat(b.fileno()).st_ino, "listen": os.fstat(l.fileno()).st_ino,
                "unbound": [os.fstat(u.fileno()).st_ino, os.fstat(t.fileno()).st_ino]}
    k = spawn(child)
    try:
        lis = {r["inode"] for r in rows("-l")}
        T.ok(k["listen"] in lis, "-l lists the listener")
        T.ok(k["bound"] not in lis, "-l leaves out the bound but inactive TCP socket (as ss)")
        T.eq(set(k["unbound"]) & lis, set(), "-l leaves out never bound UDP and TCP sockets")
        if not UNDER_VALGRIND:  # held-only rows: see check_not_traced_note()
            everything = {r["inode"]: r for r in rows("-A", "all")}
            T.eq(set(k["unbound"]) - set(everything), set(), "-A all lists never bound UDP and TCP sockets (held)")
            T.eq(sorted((everything[i]["proto"], everything[i]["state"]) for i in k["unbound"] if i in everything),
                 [("tcp", "CLOSE"), ("udp", "UNCONN")], "... as tcp CLOSE and udp UNCONN")
        bound = [r for r in rows("-t", "--state", "bound-inactive") if r["inode"] == k["bound"]]
        T.eq(len(bound), 1, "--state bound-inactive lists it")
        if bound:
            T.eq(bound[0]["tcp"], None, "its tcp is null (documented)")
        first = [(r["proto"], r["inode"]) for r in rows("-t", "-M")]
        second = [(r["proto"], r["inode"]) for r in rows("-t", "-M")]
        T.eq(first, second, "the same order in two runs")
        protos = [p for p, _ in first]
        T.eq(protos, sorted(protos, key=lambda p: p != "tcp"), "TCP rows (bound one included) before MPTCP", protos)
    finally:
        k.stop()


def held_in_other_ns_child():
    # A vsock socket made in a namespace of its own; then back home, so
    # that only the socket keeps that namespace alive.
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    if wstest.LIBC.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare")
    ns = os.stat("/proc/self/ns/net").st_ino
    v = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    if wstest.LIBC.setns(home, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    os.close(home)
    held_in_other_ns_child.keep = v
    return {"inode": os.fstat(v.fileno()).st_ino, "netns": ns}


def sec_held_other_ns():
    k = spawn(held_in_other_ns_child)
    try:
        if UNDER_VALGRIND:
            check_not_traced_note("--vsock")
            return
        p = subprocess.run([WHOSOCK, "-o", "json", "--vsock"], capture_output=True, text=True)
        T.eq(p.returncode, 0, "whosock --vsock exits 0", p.stderr)
        got = [r for r in json.loads(p.stdout) if r["inode"] == k["inode"]]
        T.eq(len(got), 1, "the vsock socket of a namespace only it holds is listed once")
        if got:
            T.eq(got[0]["netns"], k["netns"], "... in that namespace (SIOCGSKNS)")
            T.eq(owner_pids(got[0]), [k.pid], "... with its owner")
        p = subprocess.run([WHOSOCK, "-o", "json", "--vsock", "--netns", str(k["netns"])],
                           capture_output=True, text=True)
        got = [r for r in json.loads(p.stdout or "[]") if r["inode"] == k["inode"]]
        T.eq(len(got), 1, "--netns INODE lists it too")
    finally:
        k.stop()


def sec_alg():
    try:
        s = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
    except OSError as e:
        print("NOTE: this kernel has no AF_ALG (%s): no `other` socket can be made here; "
              "unit test heldsock covers the mapping" % e)
        return
    try:
        s.bind(("hash", "sha256"))
        got = [r for r in rows("--pid", str(os.getpid())) if r["inode"] == os.fstat(s.fileno()).st_ino]
        T.eq(len(got), 1, "AF_ALG socket listed")
        if got:
            T.eq((got[0]["proto"], got[0]["family"]), ("other", "alg"), "other / alg")
            T.eq(got[0]["local"]["addr"], "hash/sha256", "alg local type/name")
    finally:
        s.close()


def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    print("whosock: %s, network namespace %d, test pid %d" % (WHOSOCK, netns, os.getpid()), flush=True)
    try:
        T.run_section("1. packet socket", sec_packet)
        T.run_section("2. netlink sockets", sec_netlink)
        T.run_section("3. MPTCP listener and connection", sec_mptcp)
        T.run_section("4. vsock and XDP sockets found through their owners", sec_held)
        T.run_section("4b. a vsock socket in a namespace only it holds", sec_held_other_ns)
        T.run_section("5. --pid shows every socket of the process", sec_pid)
        T.run_section("6. -l means listening; bound-inactive rows in place", sec_listening)
        T.run_section("7. AF_ALG as other", sec_alg)
    finally:
        kill_all_kids()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace and read fd tables")
