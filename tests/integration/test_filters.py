#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Filters against the live kernel, in a network namespace of our own:

  - defect 6: [::ffff:127.0.0.1]:PORT finds the 127.0.0.1:PORT and
    0.0.0.0:PORT listeners and a dual-stack [::]:PORT one, never an
    IPV6_V6ONLY [::]:PORT one; a plain IPv4 query the same;
  - defect 4: --pid TID of a thread shows its process, every socket of it,
    with tid on the sockets of a thread's own fd table;
  - defect 1: repeated --pid and --port are a union.
"""

import ctypes
import json
import os
import socket
import subprocess
import sys
import threading

import wstest

WHOSOCK = wstest.whosock_path()
T = wstest.Checker()
CLONE_FILES = 0x400


def ws(args):
    p = subprocess.run([WHOSOCK, "--host-only"] + args + ["-o", "json"], capture_output=True, timeout=120)
    rows = json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout else []
    return p.returncode, rows, p.stderr


def listener(family, addr, port, v6only=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    s.listen()
    return s


def inodes(rows):
    return sorted(r["inode"] for r in rows)


def sec_v4mapped():
    # Ports 7000-7003 in our own namespace: nobody else is here.
    socks = {
        "v4": listener(socket.AF_INET, "127.0.0.1", 7000),
        "v4any": listener(socket.AF_INET, "0.0.0.0", 7001),
        "dual": listener(socket.AF_INET6, "::", 7002, v6only=False),
        "only6": listener(socket.AF_INET6, "::", 7003, v6only=True),
    }
    ino = {n: os.fstat(s.fileno()).st_ino for n, s in socks.items()}
    want = {"v4": True, "v4any": True, "dual": True, "only6": False}
    for n, port in (("v4", 7000), ("v4any", 7001), ("dual", 7002), ("only6", 7003)):
        for q in ("[::ffff:127.0.0.1]:%d" % port, "127.0.0.1:%d" % port):
            rc, rows, err = ws([q])
            T.eq(ino[n] in inodes(rows), want[n], "%s finds the %s listener" % (q, n), err)
            T.eq(rc, 0 if want[n] else 1, "%s exit status" % q, err)
    # IPv6 ::1 reaches both :: listeners, never the IPv4 ones.
    rc, rows, _ = ws(["[::1]:7003"])
    T.ok(ino["only6"] in inodes(rows), "[::1]:7003 finds the v6only listener")
    rc, rows, _ = ws(["[::1]:7000"])
    T.eq(rc, 1, "[::1]:7000 finds no IPv4 listener")
    # Several queries add up (defect 1).
    rc, rows, _ = ws(["127.0.0.1:7000", ":7001"])
    T.eq(sorted(set(inodes(rows)) & set(ino.values())), sorted([ino["v4"], ino["v4any"]]),
         "two queries: both listeners")
    for s in socks.values():
        s.close()


def sec_thread():
    libc = ctypes.CDLL(None, use_errno=True)
    main_sock = listener(socket.AF_INET, "127.0.0.1", 7100)
    ready, done = threading.Event(), threading.Event()
    info = {}

    def body():
        # A fd table of its own: a socket only this thread holds.
        if libc.unshare(CLONE_FILES) != 0:
            info["error"] = os.strerror(ctypes.get_errno())
        info["tid"] = threading.get_native_id()
        sock = listener(socket.AF_INET, "127.0.0.1", 7101)
        info["ino"] = os.fstat(sock.fileno()).st_ino  # its fd is in this thread's table only
        ready.set()
        done.wait(60)
        sock.close()

    th = threading.Thread(target=body)
    th.start()
    ready.wait(10)
    try:
        if not T.ok("error" not in info, "unshare(CLONE_FILES) in a thread", info.get("error")):
            return
        tid, pid = info["tid"], os.getpid()
        T.ok(tid != pid, "the thread has an id of its own")
        main_ino = os.fstat(main_sock.fileno()).st_ino
        thread_ino = info["ino"]
        for what, args in (("--pid PID", ["--pid", str(pid)]), ("--pid TID", ["--pid", str(tid)])):
            rc, rows, err = ws(["-t"] + args)
            T.eq(rc, 0, what + " exit status", err)
            by_ino = {r["inode"]: r for r in rows}
            T.ok(main_ino in by_ino and thread_ino in by_ino, what + ": both sockets of the process",
                 inodes(rows))
            owners = [o for r in rows for o in r["owners"]]
            T.eq(sorted(set(o["pid"] for o in owners)), [pid], what + ": the owner is the process, not the thread")
            if thread_ino in by_ino:
                T.eq([o.get("tid") for o in by_ino[thread_ino]["owners"]], [tid],
                     what + ": tid on the thread's own table's socket")
        # A union of pids (defect 1): ours and init's both.
        rc, rows, err = ws(["-t", "--pid", "1", "--pid", str(tid)])
        T.ok(main_ino in inodes(rows), "--pid 1 --pid TID keeps our sockets", err)
    finally:
        done.set()
        th.join()
        main_sock.close()


def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    T.run_section("defect 6: v4-mapped and IPv4 queries vs dual-stack and v6only listeners", sec_v4mapped)
    T.run_section("defect 4: --pid of a thread", sec_thread)
    print()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace")
