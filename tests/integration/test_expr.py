#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Filter expressions and -K against the live kernel, in namespaces of our own:

  - a table of expressions (states and their groups, ports and port ranges,
    service names, addresses and CIDR prefixes, IPv4, IPv6 and v4-mapped,
    and/or/not/parentheses, implicit and) gives the same (local, remote,
    state) rows as `ss` with the same expression, over listeners,
    connections and a TIME_WAIT socket on 127.0.0.x and ::1; from netlink
    (the kernel runs the bytecode) and from /proc (whosock matches itself);
  - a parse error exits 2 and puts a caret under the bad token;
  - -K destroys one connection in a namespace the test made (its client
    sees the reset), and nothing else; --dry-run destroys nothing; -K
    without a filter is refused; without CAP_NET_ADMIN it fails per socket.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import wstest

WHOSOCK = wstest.whosock_path()
T = wstest.Checker()

# (kinds, expression): whosock and ss get the same words.
EXPRESSIONS = [
    ("-t", "state listening"),
    ("-t", "state established"),
    ("-t", "state time-wait"),
    ("-t", "state connected"),
    ("-t", "state synchronized"),
    ("-t", "state bucket"),
    ("-t", "state big"),
    ("-t", "exclude listening"),
    ("-t", "state listening state time-wait"),
    ("-t", "sport = :7000"),
    ("-t", "dport = :7000"),
    ("-t", "sport == :ssh"),
    ("-t", "state established ( dport = :ssh or sport = :ssh )"),
    ("-t", "dport != :7000"),
    ("-t", "sport ne :7000"),
    ("-t", "sport >= :7000 and sport <= :7002"),
    ("-t", "sport > :7001"),
    ("-t", "sport < :7003"),
    ("-t", "dport ge :7003 && dport lt :7005"),
    ("-t", "sport gt :1024 and dport le :1024"),
    ("-t", "src 127.0.0.1"),
    ("-t", "dst 127.0.0.1"),
    ("-t", "src 127.0.0.0/8"),
    ("-t", "src 127.0.0.2/32"),
    ("-t", "dst 127.0.0.0/30"),
    ("-t", "dst 10.0.0.0/8"),
    ("-t", "src [::1]"),
    ("-t", "src ::/0"),
    ("-t", "dst ::1/128"),
    ("-t", "src [::1]:7003"),
    ("-t", "dst 127.0.0.1:7000"),
    ("-t", "src 127.0.0.0/8:7000"),
    ("-t", "src [::ffff:127.0.0.1]"),
    ("-t", "src *:7002"),
    ("-t", "src :7004"),
    ("-t", "not sport = :7000"),
    ("-t", "! ( src 127.0.0.1 or src [::1] )"),
    ("-t", "src 127.0.0.0/8 dport = :7000"),
    ("-t", "( sport = :7000 or sport = :7001 ) and dport = :0"),
    ("-t", "sport = :7000 or sport = :7001 and dport = :0"),
    ("-t", "sport = :7000 || sport = :7001 || dst [::1]"),
    ("-t", "not ( sport >= :7000 and sport <= :7005 ) and not dport = :7000"),
    ("-t", "exclude time-wait ! dst 127.0.0.0/8"),
    ("-u", "sport = :5353"),
    ("-u", "dst [::1]"),
    ("-u", "not src 127.0.0.1"),
    ("-u", "state established"),
]


def rows_of_ss(kinds, expr):
    p = subprocess.run(["ss", "-Hna", kinds] + expr.split(), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None, p.stderr
    out = set()
    for line in p.stdout.splitlines():
        f = line.split()
        # Asked for one state, ss leaves out the State column.
        if f and f[0].isdigit():
            f = [None] + f
        if len(f) < 5:
            continue
        state = wstest.SS_STATE.get(f[0], f[0])
        la, lp = wstest.ss_endpoint(f[3])
        ra, rp = wstest.ss_endpoint(f[4])
        out.add((norm(la), lp, norm(ra), rp, state))
    return out, p.stdout


def norm(addr):
    return "*" if addr in ("0.0.0.0", "::") else addr


def rows_of_whosock(kinds, expr, source):
    p = subprocess.run([WHOSOCK, "--host-only", "--no-owners", "--source", source, kinds, "-o", "json"]
                       + expr.split(), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None, p.stderr
    out = set()
    for r in json.loads(p.stdout):
        out.add((norm(wstest.canon_addr(r["local"]["addr"])), r["local"]["port"],
                 norm(wstest.canon_addr(r["remote"]["addr"])), r["remote"]["port"], r["state"]))
    return out, p.stderr


class TIME_WAITS:
    """TIME_WAIT sockets (the side that closes first keeps one, 60 s): a new
    one every 40 s while the comparisons run (under valgrind they outlast
    one), and none of them ending between ss's look and whosock's."""
    listener = None
    made = []  # CLOCK_MONOTONIC of each

    @classmethod
    def make(cls):
        tw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tw.bind(("127.0.0.7", 40006 + len(cls.made)))
        tw.connect(("127.0.0.2", 7001))
        peer = cls.listener.accept()[0]
        tw.close()
        peer.recv(1)
        peer.close()
        cls.made.append(time.monotonic())

    @classmethod
    def steady(cls):
        """Before a comparison: no TIME_WAIT about to end (wait past it),
        and a fresh one when the newest is 40 s old."""
        now = time.monotonic()
        for t in cls.made:
            if 50 <= now - t < 62:
                time.sleep(62 - (now - t))
                now = time.monotonic()
        if cls.made and now - cls.made[-1] >= 40:
            cls.make()


def make_sockets(keep):
    """Listeners, connections, a TIME_WAIT and UDP sockets, all kept in keep."""
    def listener(fam, addr, port, v6only=None):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6only is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
        s.bind((addr, port))
        s.listen()
        keep.append(s)
        return s

    def connect(fam, src, dst):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.bind(src)
        c.connect(dst)
        keep.append(c)
        return c

    l4 = listener(socket.AF_INET, "127.0.0.1", 7000)
    listener(socket.AF_INET, "127.0.0.2", 7001)
    listener(socket.AF_INET, "0.0.0.0", 7002)
    l6 = listener(socket.AF_INET6, "::1", 7003, v6only=True)
    dual = listener(socket.AF_INET6, "::", 7004, v6only=False)
    ssh = listener(socket.AF_INET, "127.0.0.3", 22)
    connect(socket.AF_INET, ("127.0.0.5", 40001), ("127.0.0.1", 7000))
    connect(socket.AF_INET, ("127.0.0.1", 40002), ("127.0.0.1", 7000))
    connect(socket.AF_INET6, ("::1", 40003), ("::1", 7003))
    connect(socket.AF_INET, ("127.0.0.4", 40004), ("127.0.0.3", 22))
    connect(socket.AF_INET, ("127.0.0.6", 40005), ("127.0.0.1", 7004))  # v4-mapped on the server
    for lst in (l4, l4, l6, ssh, dual):
        keep.append(lst.accept()[0])
    TIME_WAITS.listener = keep[1]
    TIME_WAITS.make()
    for fam, addr, dst in ((socket.AF_INET, ("127.0.0.1", 5353), None),
                           (socket.AF_INET6, ("::1", 5354), ("::1", 5353)),
                           (socket.AF_INET6, ("::", 5355), None)):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind(addr)
        if dst:
            u.connect(dst)
        keep.append(u)


def sec_against_ss():
    keep = []
    make_sockets(keep)
    T.ok(len(EXPRESSIONS) >= 20, "at least 20 expressions")
    nonempty = 0
    for kinds, expr in EXPRESSIONS:
        TIME_WAITS.steady()
        want, detail = rows_of_ss(kinds, expr)
        if not T.ok(want is not None, "ss %s %s runs" % (kinds, expr), detail):
            continue
        nonempty += bool(want)
        for source in ("netlink", "proc"):
            got, err = rows_of_whosock(kinds, expr, source)
            if not T.ok(got is not None, "whosock %s %s (--source %s) runs" % (kinds, expr, source), err):
                continue
            if source == "netlink":
                # A bytecode the kernel refused would leave a note.
                T.eq(err.strip(), "", "whosock %s %s: no note (the kernel took the bytecode)" % (kinds, expr))
            if any(r[4] is None for r in want):
                got = set(r[:4] + (None,) for r in got)
            T.ok(got == want, "whosock %s %s (--source %s) lists what ss does" % (kinds, expr, source),
                 "only whosock: %s\nonly ss: %s" % (sorted(got - want), sorted(want - got)))
    T.ok(nonempty >= 30, "most expressions select something (%d)" % nonempty)
    # whosock also takes "state" inside the expression (ss only in front).
    for expr, same in (("( sport = :7000 or sport = :7001 ) and state listening",
                        "state listening ( sport = :7000 or sport = :7001 )"),
                       ("( state established or state time-wait )", "state established state time-wait"),
                       ("not state listening and src 127.0.0.0/8", "exclude listening src 127.0.0.0/8")):
        for source in ("netlink", "proc"):
            TIME_WAITS.steady()
            got, err = rows_of_whosock("-t", expr, source)
            want, err2 = rows_of_whosock("-t", same, source)
            T.ok(got is not None and got == want and got, "whosock -t %s (--source %s) is %s" % (expr, source, same),
                 "%s\n%s\n%s\n%s" % (got, want, err, err2))
    for s in keep:
        s.close()


def sec_parse_error():
    for args, bad in ((["sport", "=", ":7000", "or", "dport", "nosuchservice"], "nosuchservice"),
                      (["(", "src", "127.0.0.1", "or", "dst", "10.0.0.0/99", ")"], "10.0.0.0/99"),
                      (["src 127.0.0.1 )"], ")"),
                      (["state", "sleepy"], "sleepy")):
        p = subprocess.run([WHOSOCK, "--host-only"] + args, capture_output=True, text=True, timeout=60)
        lines = p.stderr.splitlines()
        T.eq(p.returncode, 2, "%s: exit status" % " ".join(args), p.stderr)
        if not T.ok(len(lines) >= 3 and "invalid filter expression" in lines[0],
                    "%s: a message, the expression, a caret" % " ".join(args), p.stderr):
            continue
        text, caret = lines[1], lines[2]
        col = caret.index("^")
        T.eq(text[col:col + len(bad)], bad, "%s: the caret is under the bad token" % " ".join(args), p.stderr)
        T.eq(caret.count("^"), len(bad), "%s: one caret per byte of the token" % " ".join(args), p.stderr)


CHILD = r"""
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7000)); l.listen()
pairs = []
for i in range(2):
    c = socket.create_connection(("127.0.0.1", 7000)); a = l.accept()[0]
    pairs.append((c, a))
print(" ".join(str(c.getsockname()[1]) for c, a in pairs), flush=True)

def res(f):
    try:
        d = f()
        return "ok" if d == b"p" else "eof" if d == b"" else "data"
    except ConnectionResetError:
        return "reset"
    except ConnectionAbortedError:
        return "aborted"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error %s" % e

for line in sys.stdin:
    cmd, n = line.split()
    c, a = pairs[int(n)]
    c.settimeout(10)
    if cmd == "ping":   # a round trip server -> client
        r = res(lambda: (a.sendall(b"p"), c.recv(1))[1])
    else:               # "wait": what the client gets next
        r = res(lambda: c.recv(1))
    print(r, flush=True)
"""


def sec_kill():
    name = "wsexpr-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    child = None
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        child = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-c", CHILD],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ports = child.stdout.readline().split()
        if not T.eq(len(ports), 2, "the child made two connections"):
            return

        def ask(cmd, n):
            child.stdin.write("%s %d\n" % (cmd, n))
            child.stdin.flush()
            return child.stdout.readline().strip()

        def ws(args):
            p = subprocess.run([WHOSOCK, "--netns", name, "-o", "json"] + args, capture_output=True,
                               text=True, timeout=60)
            rows = json.loads(p.stdout) if p.stdout.strip() else []
            return p.returncode, rows, p.stderr

        victim = ["sport", "=", ":7000", "and", "dport", "=", ":" + ports[0]]
        want = [(7000, int(ports[0]))]
        # No filter: refused, nothing destroyed.
        p = subprocess.run([WHOSOCK, "-K"], capture_output=True, text=True, timeout=60)
        T.eq(p.returncode, 2, "-K without a filter: exit status", p.stderr)
        T.ok("needs a filter" in p.stderr, "-K without a filter says why", p.stderr)
        p = subprocess.run([WHOSOCK, "-t", "-K"], capture_output=True, text=True, timeout=60)
        T.eq(p.returncode, 2, "-K with kinds only: refused", p.stderr)
        # --dry-run lists, destroys nothing.
        rc, rows, err = ws(["-K", "--dry-run"] + victim)
        T.eq(rc, 0, "-K --dry-run: exit status", err)
        T.eq([(r["local"]["port"], r["remote"]["port"]) for r in rows], want, "-K --dry-run lists the victim")
        T.eq(ask("ping", 0), "ok", "after --dry-run the connection still works")
        # Without CAP_NET_ADMIN: refused per socket, exit 2, nothing destroyed.
        if shutil.which("setpriv"):
            p = subprocess.run(["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", WHOSOCK,
                                "--netns", name, "-K"] + victim, capture_output=True, text=True, timeout=60)
            T.eq(p.returncode, 2, "-K without CAP_NET_ADMIN: exit status", p.stderr)
            T.ok("CAP_NET_ADMIN" in p.stderr and ports[0] in p.stderr,
                 "-K without CAP_NET_ADMIN names the socket and the capability", p.stderr)
            T.eq(ask("ping", 0), "ok", "without CAP_NET_ADMIN the connection still works")
        # -K: the server's end of connection 0 is destroyed, its client is reset.
        rc, rows, err = ws(["-K"] + victim)
        T.eq(rc, 0, "-K: exit status", err)
        T.eq([(r["local"]["port"], r["remote"]["port"]) for r in rows], want, "-K lists what it destroyed")
        T.eq(ask("wait", 0), "reset", "the client of the destroyed connection sees the reset")
        T.eq(ask("ping", 1), "ok", "the other connection still works")
        rc, rows, err = ws(["-t", "state", "listening"])
        T.eq([r["local"]["port"] for r in rows], [7000], "the listener is still there", err)
        rc, rows, err = ws(["-t"] + victim)
        T.eq(rows, [], "the destroyed socket is gone", err)
        # Nothing selected: exit 1, nothing printed.
        rc, rows, err = ws(["-K", "sport", "=", ":7999"])
        T.eq((rc, rows), (1, []), "-K selecting nothing: exit 1", err)
    finally:
        if child:
            child.stdin.close()
            child.kill()
            child.wait()
        subprocess.run(["ip", "netns", "del", name])


def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    T.run_section("expressions against ss", sec_against_ss)
    T.run_section("parse errors point at the token", sec_parse_error)
    T.run_section("-K and --dry-run in a namespace of our own", sec_kill)
    print()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces")
