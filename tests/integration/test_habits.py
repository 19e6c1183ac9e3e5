#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The habits of ss and lsof users (issue 17), against the live kernel, in a
network namespace of our own (and two `ip netns` ones named with our pid):

  - `whosock -tulpn` prints exactly what `whosock -tul` prints; -H, -a;
  - -s counts, per namespace, exactly the listeners, connections and UDP
    sockets this test made there; -s -o json and the table agree;
  - --pids: the exact set of owners, once each; exit 1 when none;
  - --timing (and WHOSOCK_DEBUG_TIMING=1) names every phase;
  - -r with a DNS server that drops every query (a dummy device) ends within
    its budget, with numeric addresses and one note; names from /etc/hosts
    and /etc/services are used; service names in queries (:ssh, :domain/udp);
  - -i and -m columns for a test connection, equal to the JSON numbers;
  - --sort port, queues, pid; a bad key is refused;
  - --color=always colours, never / a pipe / NO_COLOR=1 on a terminal do not.
"""

import ctypes
import json
import os
import pty
import re
import select
import socket
import subprocess
import tempfile
import time

import wstest

WHOSOCK = wstest.whosock_path()
T = wstest.Checker(scope=wstest.Scope)
CLONE_NEWNET = 0x40000000
ESC = b"\x1b["


def run(args, env=None, timeout=120):
    p = subprocess.run([WHOSOCK] + args, capture_output=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def ws_json(args):
    rc, out, err = run(["--host-only", "-o", "json"] + args)
    return rc, (json.loads(out) if rc in (0, 1) and out else []), err


def listener(addr="127.0.0.1", port=0, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    return s


def connection(sc, addr="127.0.0.1", src=None):
    """A listener and one connection to it: (listener, client, server end)."""
    L = sc.s(listener(addr))
    c = sc.s(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    if src:
        c.bind((src, 0))
    c.connect(L.getsockname())
    a, _ = L.accept()
    sc.s(a)
    return L, c, a


def table(out):
    """Header and rows of a table as lists of cells (split at runs of spaces)."""
    lines = [l for l in out.decode("utf-8", "replace").split("\n") if l]
    if not lines:
        return [], []
    return lines[0].split(), [l.split() for l in lines[1:]]


# ---------------------------------------------------------------------------

def sec_tulpn(sc):
    for i in range(3):
        sc.s(listener(port=7400 + i))
    sc.s(listener(port=7410, kind=socket.SOCK_DGRAM))
    connection(sc)
    rc1, a, e1 = run(["--host-only", "-tulpn"])
    rc2, b, e2 = run(["--host-only", "-tul"])
    T.eq((rc1, rc2), (0, 0), "exit statuses of -tulpn and -tul", e1 + e2)
    T.ok(a == b and b"127.0.0.1:7400 " in a and b"127.0.0.1:7410 " in a, "whosock -tulpn prints exactly what whosock -tul prints",
         a.decode() + "\n----\n" + b.decode())
    rc, c, _ = run(["--host-only", "-tulpn", "-a"])
    T.ok(rc == 0 and c == a, "-a changes nothing (every state is listed anyway)")
    _, h1, _ = run(["--host-only", "-tl", "-H"])
    _, h2, _ = run(["--host-only", "-tl", "--no-header"])
    T.ok(h1 == h2 and not h1.startswith(b"PROTO"), "-H is --no-header", h1.decode())
    # -e: the ss -e columns, with the socket's uid, inode and cookie.
    rc, out, err = run(["--host-only", "-t", "-l", "-e", ":7400"])
    head, rows = table(out)
    T.eq(head, ["PROTO", "STATE", "RECV-Q", "SEND-Q", "LOCAL", "REMOTE", "UID", "INODE", "COOKIE",
                "PROCESS"], "-e header", err)
    _, js, _ = ws_json(["-t", "-l", ":7400"])
    if T.eq(len(rows), 1, "-e :7400 rows", out.decode()) and js:
        r = dict(zip(head, rows[0]))
        T.eq((int(r["UID"]), int(r["INODE"]), int(r["COOKIE"])), (js[0]["uid"], js[0]["inode"], js[0]["cookie"]),
             "-e UID, INODE, COOKIE are the JSON's")
        T.ok(re.search(r"\(%d,[^)]+\)" % os.getpid(), r["PROCESS"]), "-e keeps user names in PROCESS", r["PROCESS"])


# ---------------------------------------------------------------------------

def setns_kid(sc, nsname, fn):
    """A child that enters network namespace nsname, then runs fn()."""
    def body():
        fd = os.open("/run/netns/" + nsname, os.O_RDONLY)
        if wstest.LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + nsname)
        os.close(fd)
        return fn()
    return sc.kid(wstest.spawn(body, timeout=30))


def make_load(n_listen, n_conn, n_udp):
    """In the current namespace: n_listen listeners (one of them accepts),
    n_conn connections (two ESTABLISHED sockets each), n_udp UDP sockets."""
    keep = []

    def body():
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        ls = [listener(port=7500 + i) for i in range(n_listen)]
        for _ in range(n_conn):
            c = socket.create_connection(("127.0.0.1", 7500))
            keep.extend([c, ls[0].accept()[0]])
        for i in range(n_udp):
            keep.append(listener(port=7600 + i, kind=socket.SOCK_DGRAM))
        keep.extend(ls)
        return {"n": len(keep)}
    return body


def sec_summary(sc):
    pid = os.getpid()
    names = ["wshabits%da" % pid, "wshabits%db" % pid]
    want = {names[0]: (3, 2, 4), names[1]: (1, 5, 2)}  # listeners, connections, UDP
    try:
        for n in names:
            subprocess.run(["ip", "netns", "add", n], check=True)
            setns_kid(sc, n, make_load(*want[n]))
        rc, out, err = run(["-s", "-o", "json"])
        T.eq(rc, 0, "-s -o json exit status", err)
        s = json.loads(out)
        by_name = {e["netns_name"]: e for e in s["netns"]}
        for n in names:
            L, C, U = want[n]
            e = by_name.get(n)
            if not T.ok(e is not None, "-s lists namespace %s" % n, out.decode()):
                continue
            T.eq(e["protos"].get("tcp"), {"total": L + 2 * C, "states": {"ESTABLISHED": 2 * C, "LISTEN": L}},
                 "%s: TCP counts" % n)
            T.eq(e["protos"].get("udp"), {"total": U, "states": {"UNCONN": U}}, "%s: UDP counts" % n)
            T.eq(e["total"], L + 2 * C + U, "%s: total" % n)
        T.eq(s["total"], sum(e["total"] for e in s["netns"]), "-s: the total is the namespaces' sum")
        for proto, v in s["protos"].items():
            T.eq(v["total"], sum(e["protos"].get(proto, {}).get("total", 0) for e in s["netns"]),
                 "-s: %s total is the namespaces' sum" % proto)
        # The table, for one namespace.
        rc, out, err = run(["-s", "--netns", names[1]])
        text = out.decode()
        T.ok(rc == 0 and text.startswith("Total: 13 sockets in 1 network namespace, 0 containers\n"),
             "-s --netns: the total line", text + err.decode())
        T.ok(re.search(r"^%s\s+tcp\s+11\s+ESTABLISHED 10, LISTEN 1$" % names[1], text, re.M),
             "-s table: the namespace's TCP row", text)
        T.ok(re.search(r"^%s\s+udp\s+2\s+UNCONN 2$" % names[1], text, re.M), "-s table: the namespace's UDP row",
             text)
        rc, _, err = run(["-s", "-o", "csv"])
        T.ok(rc == 2 and b"--summary" in err, "-s -o csv is refused", err)
    finally:
        for k in sc.kids:
            k.stop()
        for n in names:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


# ---------------------------------------------------------------------------

def holding(port):
    """For spawn(): a child that listens on port (and keeps the socket)."""
    kept = []

    def body():
        kept.append(listener(port=port))
        return {"fd": kept[0].fileno()}
    return body


def sec_pids(sc):
    L = sc.s(listener(port=7700))
    fd = L.fileno()
    kids = [sc.kid(wstest.spawn(lambda: {}, keep=[fd])) for _ in range(2)]
    other = sc.kid(wstest.spawn(holding(7701)))
    os.dup2(fd, 150)  # held twice by us: still once in the list
    sc.fds.append(150)
    rc, out, err = run(["--host-only", "--pids", ":7700"])
    got = out.decode().split("\n")
    T.eq(rc, 0, "--pids exit status", err)
    T.eq(got, [str(p) for p in sorted([os.getpid()] + [k.pid for k in kids])] + [""],
         "--pids :7700: every owner once, ascending, one per line")
    T.ok(str(other.pid) not in got, "--pids leaves out the owner of another port")
    rc, out, _ = run(["--host-only", "--pids", ":7702"])
    T.eq((rc, out), (1, b""), "--pids of a port nobody holds: nothing, exit 1")
    rc, _, err = run(["--pids", "-o", "json"])
    T.ok(rc == 2 and b"--pids" in err, "--pids with -o is refused", err)


# ---------------------------------------------------------------------------

def sec_timing(sc):
    sc.s(listener(port=7800))
    for env, args in (({}, ["--timing"]), ({"WHOSOCK_DEBUG_TIMING": "1"}, [])):
        rc, out, err = run(["-t"] + args, env=env)
        what = "--timing" if args else "WHOSOCK_DEBUG_TIMING=1"
        lines = [l for l in err.decode().split("\n") if l.startswith("whosock: timing: ")]
        phases = {l.split()[2].rstrip(":") for l in lines}
        T.eq(rc, 0, what + ": exit status", err)
        T.ok({"dump", "owners", "join", "total", "output"} <= phases, what + ": names every phase", err.decode())
        T.ok(any(re.match(r"whosock: timing: dump tcp inet\+inet6 netns \S+: \d+\.\d{3} ms, \d+ sockets?$", l)
                 for l in lines), what + ": a dump line names protocol, families and namespace", "\n".join(lines))
        T.ok(any(re.match(r"whosock: timing: owners: \d+\.\d{3} ms, \d+ process", l) for l in lines),
             what + ": the owner scan counts processes", "\n".join(lines))
        T.ok(b"7800" in out and b"timing" not in out, what + ": the listing is unchanged on stdout")
    rc, out, err = run(["-t"])
    T.ok(b"timing" not in err, "no timing without --timing", err)


# ---------------------------------------------------------------------------

def sec_resolve(sc):
    """-r with a DNS server that never answers: a UDP socket of ours bound to
    10.98.0.53:53 that reads nothing (and TCP to it is refused by nothing:
    no listener there, but glibc asks over UDP first and waits)."""
    d = sc.tmpdir()
    files = {
        "resolv.conf": "nameserver 10.98.0.53\noptions timeout:5 attempts:2\n",
        "nsswitch.conf": "hosts: files dns\nservices: files\n",
        "hosts": "127.0.0.1 localhost\n10.97.0.2 wshabits-peer\n",
    }
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    for a in ("10.97.0.1", "10.97.0.2", "10.98.0.53"):
        subprocess.run(["ip", "addr", "add", a + "/32", "dev", "lo"], check=True)
    try:
        dead = sc.s(listener("10.98.0.53", 53, kind=socket.SOCK_DGRAM))
        L, c, a = connection(sc, "10.97.0.1", src="10.97.0.2")
        port = L.getsockname()[1]
        ssh = sc.s(listener("10.97.0.2", 22))
        mounts = " && ".join("mount --bind %s /etc/%s" % (os.path.join(d, n), n) for n in files)
        plain = "%s && exec %s --host-only -t" % (mounts, wstest.quote(WHOSOCK))
        cmd = plain + " -r"
        # The same run without -r first: what whosock costs here (valgrind,
        # a loaded machine), so that the bound is on what -r adds.
        t0 = time.monotonic()
        subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", plain],
                       capture_output=True, timeout=60)
        base = time.monotonic() - t0
        t0 = time.monotonic()
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", cmd],
                           capture_output=True, timeout=60)
        took = time.monotonic() - t0 - base
        out, err = p.stdout.decode(), p.stderr.decode()
        T.eq(p.returncode, 0, "-r with a dead DNS server: exit status", err)
        T.ok(took < 4, "-r with a dead DNS server ends within its budget (%.2f s more than without -r; "
             "the server would take 10 s)" % took)
        T.ok(re.search(r"\d+ address(es)? not resolved within 1000 ms: shown as numbers", err),
             "-r: one note says the rest stayed numeric", err)
        T.eq(len(re.findall("not resolved", err)), 1, "-r: the note comes once", err)
        T.ok(re.search(r"10\.97\.0\.1:%d\s" % port, out), "-r: an address DNS does not answer for stays numeric",
             out)
        T.ok("wshabits-peer:" in out, "-r: names from /etc/hosts are used", out)
        T.ok(re.search(r"wshabits-peer:ssh\s", out), "-r: ports get their /etc/services names", out)
        # Service names in queries.
        rc, rows, err = ws_json(["-t", ":ssh"])
        T.ok(rc == 0 and [r["local"]["port"] for r in rows] == [22], ":ssh finds the port 22 listener", err)
        rc, rows, err = ws_json([":domain/udp"])
        T.ok(rc == 0 and [(r["proto"], r["local"]["port"]) for r in rows] == [("udp", 53)],
             ":domain/udp finds the UDP port 53 socket (the dead server's)", err)
        rc, rows, err = ws_json([":domain/tcp"])
        T.eq(rc, 1, ":domain/tcp: no TCP socket on port 53", err)
        rc, _, err = run([":nosuchservice"])
        T.ok(rc == 2 and b"unknown service 'nosuchservice'" in err, "an unknown service name is refused", err)
        rc, out, _ = run(["--host-only", "-t", "-r", "-n", ":%d" % port])
        T.ok(rc == 0 and b"10.97.0.1" in out, "-n after -r: numbers again")
        T.ok(dead.recv(4096, socket.MSG_DONTWAIT), "-r: the query reached the server that never answers")
    finally:
        for a in ("10.97.0.1", "10.97.0.2", "10.98.0.53"):
            subprocess.run(["ip", "addr", "del", a + "/32", "dev", "lo"], capture_output=True)


# ---------------------------------------------------------------------------

def sec_info_memory(sc):
    L, c, a = connection(sc)
    port = L.getsockname()[1]
    c.sendall(b"x" * 1000)
    a.sendall(b"y" * 500)
    got = b""
    while len(got) < 500:
        got += c.recv(500)
    time.sleep(0.2)  # the acknowledgements
    rc, rows, err = ws_json(["-t", "--state", "established", "--port", str(port)])
    T.eq(rc, 0, "json exit status", err)
    js = {r["local"]["port"]: r for r in rows}
    client = [r for r in rows if r["remote"]["port"] == port]
    if not T.eq(len(client), 1, "the client end is listed", rows):
        return
    ct = client[0]["tcp"]
    T.ok(ct["bytes_sent"] == 1000 and ct["bytes_acked"] >= 1000 and ct["bytes_received"] == 500,
         "json tcp byte counters of the client", ct)
    T.ok(ct["cwnd"] and ct["cwnd"] > 0 and ct["mss"] and ct["mss"] > 0 and ct["rto_us"] > 0, "json tcp cwnd, mss, rto", ct)
    T.ok(ct["delivery_rate"] is not None, "json tcp delivery_rate", ct)
    server = js[port]
    T.ok(server["memory"] and server["memory"]["rmem_alloc"] > 0 and server["memory"]["rcvbuf"] > 0,
         "json memory: the unread 1000 bytes use receive memory", server["memory"])
    # -i: columns, equal to the JSON's numbers.
    rc, out, err = run(["--host-only", "-t", "-i", "--state", "established", "--port", str(port)])
    head, trows = table(out)
    want = ["PROTO", "STATE", "LOCAL", "REMOTE", "RTT", "RTTVAR", "CWND", "MSS", "RETRANS", "LOST", "UNACKED",
            "ACKED", "RECEIVED", "SENT", "RATE", "PROCESS"]
    T.eq(head, want, "-i header", err)
    crow = [dict(zip(head, r)) for r in trows if r[3].endswith(":%d" % port)]
    if T.eq(len(crow), 1, "-i: the client row", out.decode()):
        r = crow[0]
        T.eq((int(r["SENT"]), int(r["ACKED"]), int(r["RECEIVED"]), int(r["CWND"]), int(r["MSS"])),
             (ct["bytes_sent"], ct["bytes_acked"], ct["bytes_received"], ct["cwnd"], ct["mss"]),
             "-i SENT, ACKED, RECEIVED, CWND, MSS are the JSON's")
        T.ok(re.fullmatch(r"\d+\.\d{3}ms", r["RTT"]) and re.fullmatch(r"\d+(\.\d)?[KMGT]?bps", r["RATE"]),
             "-i RTT in ms and RATE in bits per second", r)
    # -m and -e: memory and the queue of unread bytes.
    rc, out, err = run(["--host-only", "-t", "-m", "-e", "--state", "established", "--port", str(port)])
    head, trows = table(out)
    T.eq(head, ["PROTO", "STATE", "RECV-Q", "SEND-Q", "LOCAL", "REMOTE", "UID", "INODE", "COOKIE", "RMEM", "RCVBUF",
                "WMEM", "SNDBUF", "WQUEUED", "FWD", "OPTMEM", "BACKLOG", "DROPS", "PROCESS"], "-m -e header", err)
    srow = [dict(zip(head, r)) for r in trows if r[4].endswith(":%d" % port)]
    if T.eq(len(srow), 1, "-m: the server row", out.decode()):
        r = srow[0]
        T.eq(int(r["RECV-Q"]), 1000, "-e RECV-Q: the 1000 bytes not read")
        T.ok(int(r["RMEM"]) > 0 and int(r["RCVBUF"]) > 0 and int(r["SNDBUF"]) > 0, "-m RMEM, RCVBUF, SNDBUF", r)
        T.eq((int(r["RMEM"]), int(r["RCVBUF"])), (server["memory"]["rmem_alloc"], server["memory"]["rcvbuf"]),
             "-m RMEM, RCVBUF are the JSON's")
    rc, out, _ = run(["--host-only", "-u", "-m", "-i"])
    T.eq(rc, 0, "-i -m on UDP: exit status")
    # -o csv -i -m: the same numbers as columns of their own.
    rc, out, err = run(["--host-only", "-t", "-i", "-m", "-o", "csv", "--state", "established",
                        "--port", str(port)])
    lines = out.decode().splitlines()
    T.ok(rc == 0 and lines, "-o csv -i -m: exit status and output", err)
    if lines:
        head = lines[0].split(",")
        crows = [dict(zip(head, l.split(","))) for l in lines[1:]]
        T.ok("tcp_bytes_sent" in head and "sent_bytes" in head and "mem_rcvbuf" in head,
             "-o csv -i -m: the tcp, traffic and memory columns", lines[0])
        crow = [r for r in crows if r.get("remote_port") == str(port)]
        srow = [r for r in crows if r.get("local_port") == str(port)]
        if T.eq((len(crow), len(srow)), (1, 1), "-o csv -i -m: the client and server rows", out.decode()):
            T.eq((crow[0]["tcp_bytes_sent"], crow[0]["tcp_bytes_received"], crow[0]["sent_bytes"],
                  crow[0]["received_bytes"], crow[0]["tcp_mss"]),
                 (str(ct["bytes_sent"]), str(ct["bytes_received"]), "1000", "500", str(ct["mss"])),
                 "-o csv -i: the client's counters and payload are the JSON's")
            T.eq((srow[0]["mem_rmem_alloc"], srow[0]["mem_rcvbuf"]),
                 (str(server["memory"]["rmem_alloc"]), str(server["memory"]["rcvbuf"])),
                 "-o csv -m: the server's memory is the JSON's")


# ---------------------------------------------------------------------------

def sec_sort(sc):
    for p in (7903, 7901, 7902):
        sc.s(listener(port=p))
    rc, out, err = run(["--host-only", "-t", "-l", "-H", "--sort", "port", ":7901", ":7902", ":7903"])
    ports = [l.split()[2] for l in out.decode().split("\n") if l]
    T.eq(ports, ["127.0.0.1:7901", "127.0.0.1:7902", "127.0.0.1:7903"], "--sort port", err)
    rc, rows, _ = ws_json(["-t", "--sort", "port", ":7901", ":7902", ":7903"])
    T.eq([r["local"]["port"] for r in rows], [7901, 7902, 7903], "--sort port in JSON too")
    # queues: the fullest first.
    L, c, a = connection(sc)
    c.sendall(b"z" * 3000)
    time.sleep(0.1)
    rc, rows, _ = ws_json(["-t", "--sort", "queues"])
    q = [r["rqueue"] + r["wqueue"] for r in rows]
    T.ok(q == sorted(q, reverse=True) and rows and rows[0]["rqueue"] == 3000, "--sort queues: fullest first", q)
    # pid, then port: our sockets before the kid's.
    k = sc.kid(wstest.spawn(holding(7900)))
    rc, rows, _ = ws_json(["-t", "-l", "--sort", "pid,port", ":7900", ":7901"])
    got = [(r["owners"][0]["pid"], r["local"]["port"]) for r in rows]
    T.eq(got, sorted(got), "--sort pid,port", got)
    T.ok(k.pid in [g[0] for g in got], "--sort pid: the kid's listener is there", got)
    rc, _, err = run(["--sort", "bogus"])
    T.ok(rc == 2 and b"unknown sort key 'bogus'" in err, "--sort bogus is refused", err)


# ---------------------------------------------------------------------------

def on_tty(args, env=None):
    """Run whosock with its stdout on a pseudo-terminal; returns what it wrote."""
    master, slave = pty.openpty()
    p = subprocess.Popen([WHOSOCK] + args, stdout=slave, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, TERM="xterm", **(env or {})))
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not b:
            break
        out += b
    os.close(master)
    p.wait(30)
    return out


def sec_color(sc):
    sc.s(listener(port=7950))
    base = ["--host-only", "-t", ":7950"]
    rc, out, _ = run(base + ["--color=always"], env={"NO_COLOR": "1"})
    T.ok(rc == 0 and ESC + b"32mLISTEN" + ESC + b"0m" in out, "--color=always colours (even with NO_COLOR)", out)
    rc, out, _ = run(base + ["--color"])
    T.ok(ESC in out, "--color alone is always", out)
    for args in (["--color=never"], ["--color=auto"], []):
        rc, out, _ = run(base + args)
        T.ok(rc == 0 and ESC not in out, "%s to a pipe: no escapes" % (args or "default"), out)
    rc, out, _ = run(base + ["--color=always", "-o", "json"])
    T.ok(ESC not in out, "--color=always -o json: no escapes")
    os.environ.pop("NO_COLOR", None)
    out = on_tty(base)
    T.ok(ESC + b"32mLISTEN" in out, "on a terminal: coloured by default", out)
    out = on_tty(base, {"NO_COLOR": "1"})
    T.ok(b"LISTEN" in out and ESC not in out, "on a terminal with NO_COLOR=1: no escapes", out)
    out = on_tty(base + ["--color=never"])
    T.ok(b"LISTEN" in out and ESC not in out, "on a terminal with --color=never: no escapes", out)


def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    T.run_section("-tulpn equals -tul; -a, -H, -e", sec_tulpn)
    T.run_section("-s against the sockets made in two namespaces", sec_summary)
    T.run_section("--pids", sec_pids)
    T.run_section("--timing and WHOSOCK_DEBUG_TIMING", sec_timing)
    T.run_section("-r with a dead DNS server; service names", sec_resolve)
    T.run_section("-i and -m columns", sec_info_memory)
    T.run_section("--sort", sec_sort)
    T.run_section("--color and NO_COLOR", sec_color)
    print()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces")
