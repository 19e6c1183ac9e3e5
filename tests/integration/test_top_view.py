#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock top`'s live view, in a real terminal (tmux,
80x24), in a network namespace of its own (`unshare -n`), --host-only.

A sender process named "\\x1b[31mevil" (an escape sequence in its comm)
sends over TCP on loopback all the time. Checked, by reading the screen
(tmux capture-pane) until a deadline, never by timing:
  1. the sender appears as `\\x1b[31mevil(PID)` (escaped, not obeyed) with
     a non-zero SENT/s;
  2. keys: 2 (by connection), 3 (remote), 6 (netns), 1 (process); `>` moves
     the sort mark to RECV/s, `r` reverses it; ? shows the help, any key
     leaves it; Enter on the sender shows its sockets; p pauses;
  3. q: the terminal is restored (the shell prints normally after it);
  4. SIGTERM, SIGHUP and SIGINT: the same; SIGSEGV (a crash): the same,
     with the crash's exit status;
  5. colours: with NO_COLOR no colour escape on the screen, without it the
     header is coloured.
Exit 0 pass, 1 fail, 77 skip (not root, no namespaces, no tmux).
"""

import os
import re
import subprocess
import sys
import time

import wstest

WHOSOCK = wstest.whosock_path()
WAIT = 20.0
SOCK = "wstopview-%d" % os.getpid()

SENDER = r"""
import ctypes, socket, sys, time, threading
ctypes.CDLL(None).prctl(15, b"\x1b[31mevil", 0, 0, 0)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
def sink():
    c, _ = srv.accept()
    while c.recv(65536):
        pass
threading.Thread(target=sink, daemon=True).start()
c = socket.create_connection(srv.getsockname())
print("ready", flush=True)
while True:
    c.sendall(b"z" * 20000)
    time.sleep(0.05)
"""


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCK] + list(args), capture_output=True, text=True, check=check)


def screen(escapes=False):
    return tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "t").stdout


def wait_screen(cond, escapes=False):
    end = time.monotonic() + WAIT
    text = ""
    while time.monotonic() < end:
        text = screen(escapes)
        if cond(text):
            return True, text
        time.sleep(0.1)
    return False, text


def keys(*k):
    tmux("send-keys", "-t", "t", *k)


PIDFILE = "/tmp/%s.pid" % SOCK


def start_top(c, env="", args=""):
    # The shell writes its pid and execs whosock (valgrind's wrapper execs
    # too): the pid is whosock's.
    if os.path.exists(PIDFILE):
        os.unlink(PIDFILE)
    tmux("send-keys", "-t", "t", "clear; %ssh -c 'echo $$ > %s; exec \"$0\" top --host-only %s' %s; echo exited-$?"
         % (env, PIDFILE, args, WHOSOCK), "Enter")
    ok, text = wait_screen(lambda s: "whosock top" in s and "SENT/s" in s)
    c.ok(ok, "the live view starts", text)
    return ok


def top_pid():
    try:
        with open(PIDFILE) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def restored(c, how, want_status):
    """want_status None: any status but 0 (a crash)."""
    if want_status is None:
        ok, text = wait_screen(lambda s: re.search(r"exited-[1-9]", s) is not None)
    else:
        ok, text = wait_screen(lambda s: "exited-%d" % want_status in s)
    c.ok(ok, "%s: whosock top exits %s" % (how, want_status if want_status is not None else "non-zero"), text)
    keys("echo shell-prints-$((40+2))", "Enter")
    ok, text = wait_screen(lambda s: "shell-prints-42" in s)
    c.ok(ok and "SENT/s" not in text, "%s: the terminal is restored (the shell prints, the view is gone)" % how,
         text)
    keys("clear", "Enter")


def inner():
    if wstest.start_inner(WHOSOCK) is None:
        return 1
    c = wstest.Checker()
    sender = subprocess.Popen([sys.executable, "-c", SENDER], stdout=subprocess.PIPE, text=True)
    try:
        c.eq(sender.stdout.readline().strip(), "ready", "sender ready")
        tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "env PS1='$ ' bash --norc --noprofile")
        tmux("set-option", "-t", "t", "status", "off")
        if start_top(c):
            want = "\\x1b[31mevil(%d)" % sender.pid

            def sender_row(s):
                for line in s.split("\n"):
                    if want in line and line.split()[0] not in ("0", "-"):
                        return True
                return False

            ok, text = wait_screen(sender_row)
            c.ok(ok, "the sender appears escaped with a non-zero SENT/s", text)
            c.ok("\x1b[31m" not in screen(escapes=True), "the escape sequence is not sent to the terminal")
            for k, title in (("2", "by connection"), ("3", "by remote"), ("6", "by netns"), ("5", "by user"),
                             ("4", "by container"), ("1", "by process")):
                keys(k)
                ok, text = wait_screen(lambda s: title in s.split("\n")[0])
                c.ok(ok, "key %s shows the view %s" % (k, title), text)
            keys(">")
            ok, text = wait_screen(lambda s: "RECV/sv" in s)
            c.ok(ok, "> sorts by RECV/s", text)
            keys("r")
            ok, text = wait_screen(lambda s: "RECV/s^" in s)
            c.ok(ok, "r reverses the order", text)
            keys("<", "r")
            keys("?")
            ok, text = wait_screen(lambda s: "this help" in s)
            c.ok(ok, "? shows the help", text)
            keys("x")
            ok, text = wait_screen(lambda s: "SENT/s" in s and "this help" not in s)
            c.ok(ok, "a key leaves the help", text)
            keys("p")
            ok, text = wait_screen(lambda s: "PAUSED" in s)
            c.ok(ok, "p pauses", text)
            keys("p")
            # The sender sends the most: it is the first row.
            keys("Enter")
            ok, text = wait_screen(lambda s: "by connection of" in s and "127.0.0.1:" in s)
            c.ok(ok, "Enter shows the process's sockets", text)
            keys("Enter")
            ok, text = wait_screen(lambda s: "by process" in s.split("\n")[0] and "by connection" not in s)
            c.ok(ok, "Enter again goes back", text)
            keys("/")
            tmux("send-keys", "-t", "t", "-l", "--", "--port 1")
            keys("Enter")
            ok, text = wait_screen(lambda s: "(filtered)" in s and "evil" not in s)
            c.ok(ok, "/ --port 1 filters the sender out", text)
            keys("/", "Enter")
            ok, text = wait_screen(lambda s: "(filtered)" not in s and want in s)
            c.ok(ok, "/ with nothing clears the filter", text)
            keys("q")
            restored(c, "q", 0)
        for sig in ("TERM", "HUP", "INT"):
            if start_top(c):
                pid = top_pid()
                c.ok(pid is not None, "whosock top's pid found")
                if pid:
                    os.kill(pid, getattr(__import__("signal"), "SIG" + sig))
                restored(c, "SIG" + sig, 0)
        # A crash: the handler gives the terminal back, then dies of it.
        if start_top(c):
            pid = top_pid()
            c.ok(pid is not None, "whosock top's pid found")
            if pid:
                os.kill(pid, __import__("signal").SIGSEGV)
            restored(c, "SIGSEGV (a crash)", None)
        if start_top(c, env="NO_COLOR=1 "):
            ok, text = wait_screen(lambda s: "whosock top" in s, escapes=True)
            c.ok(ok and not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;5;[0-9]+)(?:;[0-9;]*)?m", text),
                 "NO_COLOR: no colour on the screen", repr(text[:300]))
            keys("q")
            restored(c, "NO_COLOR q", 0)
        if start_top(c, env="TERM=xterm-256color "):
            ok, text = wait_screen(lambda s: "\x1b[36m" in s, escapes=True)
            c.ok(ok, "without NO_COLOR the header is coloured", repr(text[:300]))
            keys("q")
            restored(c, "colour q", 0)
        # A dumb terminal: a clear message, nothing drawn.
        keys("clear; TERM=dumb %s top --host-only; echo exited-$?" % WHOSOCK, "Enter")
        ok, text = wait_screen(lambda s: "exited-2" in s)
        c.ok(ok and "-o ndjson" in text and "SENT/s" not in text,
             "TERM=dumb: exit 2 with a message to use -o", text)
        keys("clear", "Enter")
        # 80x24 and smaller, then larger: it redraws.
        if start_top(c):
            tmux("resize-window", "-t", "t", "-x", "60", "-y", "15", check=False)
            ok, text = wait_screen(lambda s: "whosock top" in s and len(s.split("\n")[1]) <= 60)
            c.ok(ok, "redrawn at 60x15", text)
            tmux("resize-window", "-t", "t", "-x", "80", "-y", "24", check=False)
            keys("q")
            restored(c, "after resize q", 0)
    finally:
        tmux("kill-server", check=False)
        if os.path.exists(PIDFILE):
            os.unlink(PIDFILE)
        sender.kill()
        sender.wait()
    return c.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "the live view test needs root (namespaces, destroy reports)",
                tools=("unshare", "ip", "tmux"))
