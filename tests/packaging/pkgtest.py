# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the packaging tests (test_install.py, test_deb.py) share:

  - run(): a command, its output kept, never raising;
  - Listener: a TCP socket this process listens on (127.0.0.1, a port the
    kernel picks), for the programs under test to find;
  - build_and_run_example(): examples/owners.c (or any C source) built with
    `pkg-config --cflags --libs libwhosock` under a given environment, then
    run: it must list the Listener, held by this process;
  - source_copy(): the source tree copied into a directory (what git tracks,
    and files not yet added that git does not ignore; no build trees).

The checks go through wstest.Checker (tests/integration/wstest.py).
"""

import os
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import wstest  # noqa: E402

SRC = os.environ.get("WHOSOCK_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def run(argv, env=None, cwd=None, timeout=300, stdin=subprocess.DEVNULL):
    """Run argv; returns the CompletedProcess (returncode 127 and the error
    in stderr when it cannot be started, -9 when it timed out)."""
    try:
        return subprocess.run(argv, env=env, cwd=cwd, timeout=timeout, stdin=stdin,
                              capture_output=True, text=True, errors="replace")
    except OSError as e:
        return subprocess.CompletedProcess(argv, 127, "", "%s: %s" % (argv[0], e))
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return subprocess.CompletedProcess(argv, -9, out, "timed out after %d s" % timeout)


def output(p):
    """A command's stdout and stderr, for a failure's detail."""
    return ("$ %s\n%s%s" % (wstest.shell_line(p.args), p.stdout, p.stderr))[-4000:]


class Listener:
    """A listening TCP socket on 127.0.0.1 held by this process."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def line(self):
        """The start of the line examples/owners.c prints for it."""
        return "tcp %d %d " % (self.port, os.getpid())


def build_and_run_example(T, what, source, workdir, listener, pc_env, run_env, static=False):
    """Build source with pkg-config's flags for libwhosock (pc_env: the
    environment pkg-config runs in) into workdir, run it with run_env
    (argument: the listener's port), and check that it lists the listener
    as this process's. static: link libwhosock.a (pkg-config --static).
    Returns the built program's path, or None."""
    cflags = run(["pkg-config", "--cflags", "libwhosock"], env=pc_env)
    libs = run(["pkg-config", "--libs"] + (["--static"] if static else []) + ["libwhosock"], env=pc_env)
    if not T.ok(cflags.returncode == 0 and libs.returncode == 0,
                "%s: pkg-config --cflags --libs libwhosock works" % what, output(cflags) + output(libs)):
        return None
    exe = os.path.join(workdir, os.path.splitext(os.path.basename(source))[0] + ("-static" if static else ""))
    libargs = libs.stdout.split()
    if static:
        # -Wl,-Bstatic for libwhosock only: libc and libmnl stay shared.
        libargs = sum((["-Wl,-Bstatic", a, "-Wl,-Bdynamic"] if a == "-lwhosock" else [a] for a in libargs), [])
    cc = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", exe, source]
             + cflags.stdout.split() + libargs, env=pc_env)
    if not T.ok(cc.returncode == 0, "%s: %s builds with those flags" % (what, os.path.basename(source)),
                output(cc)):
        return None
    p = run([exe, str(listener.port)], env=run_env, timeout=120)
    T.ok(p.returncode == 0 and any(l.startswith(listener.line()) for l in p.stdout.splitlines()),
         "%s: %s lists our listener on 127.0.0.1:%d (a line '%s...')"
         % (what, os.path.basename(exe), listener.port, listener.line()), output(p))
    return exe


def source_files(src):
    """The files of the source tree, relative to src: those git tracks and
    new ones git does not ignore (without git: every file outside build*/)."""
    if os.path.isdir(os.path.join(src, ".git")) or os.path.isfile(os.path.join(src, ".git")):
        p = run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        if p.returncode == 0:
            return [f for f in p.stdout.split("\0") if f and os.path.lexists(os.path.join(src, f))]
    files = []
    for top, dirs, names in os.walk(src):
        rel = os.path.relpath(top, src)
        dirs[:] = [d for d in dirs if not (rel == "." and (d.startswith("build") or d == ".git"))]
        files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    return files


def source_copy(src, dst):
    """Copy the source tree (source_files()) into dst, which is made."""
    for f in source_files(src):
        d = os.path.join(dst, os.path.dirname(f))
        os.makedirs(d, exist_ok=True)
        shutil.copy2(os.path.join(src, f), os.path.join(dst, f), follow_symlinks=False)
