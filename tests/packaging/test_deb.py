#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian packages, as a user of Debian 12 gets them:

  - build: a copy of the source tree (what git tracks and new files it does
    not ignore; never the checkout itself) built with
    `dpkg-buildpackage -us -uc -b` in a temporary directory gives whosock,
    libwhosock1, libwhosock-dev and python3-whosock, each holding its files (the command,
    the shared library and its soname link, the headers, libwhosock.a,
    libwhosock.pc, the man pages, the completions);
  - lintian: no error over the .changes (warnings are printed);
  - installed with `dpkg -i`: /usr/sbin/whosock --version gives the
    package's version, and finds our listener; examples/owners.c builds
    against /usr/include/whosock with `pkg-config --cflags --libs libwhosock`
    and runs on /usr/lib/.../libwhosock.so.1; `man whosock`, `man libwhosock`
    find the pages;
  - purged with `dpkg -P`: no package and none of its files are left.

Needs root (dpkg -i). Whosock packages installed before the test, not by an
earlier run of it, make it fail rather than be replaced. Installing and
purging hold a lock (/run/lock/whosock-test-deb.lock), so two runs at once
do not undo each other; a run that was killed leaves a marker
(/var/lib/whosock-test-deb/installed) and the next one purges what it left.
"""

import fcntl
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgtest  # noqa: E402
from pkgtest import output, run, wstest  # noqa: E402

T = wstest.Checker(timed=True)
PACKAGES = ("whosock", "libwhosock1", "libwhosock-dev", "python3-whosock")
LOCK = "/run/lock/whosock-test-deb.lock"
MARKER_DIR = "/var/lib/whosock-test-deb"
MARKER = os.path.join(MARKER_DIR, "installed")
TOOLS = ("dpkg-buildpackage", "dh", "lintian", "dpkg", "pkg-config", "cc", "man")


def multiarch():
    return run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()


def installed():
    """The whosock packages dpkg has installed (or half-installed)."""
    p = run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n"] + list(PACKAGES))
    return [l.split()[0] for l in p.stdout.splitlines() if len(l.split()) == 2 and l.split()[1] != "not-installed"]


def dpkg(args):
    """dpkg with args, waiting (up to 2 min) while another dpkg or apt holds
    its lock."""
    deadline = time.monotonic() + 120
    while True:
        p = run(["dpkg"] + args, timeout=300)
        if p.returncode == 0 or "lock" not in p.stderr or time.monotonic() > deadline:
            return p
        time.sleep(2)


def build(tmp):
    """The packages built from a copy of the tree: {package: .deb path}."""
    src = os.path.join(tmp, "whosock")
    pkgtest.source_copy(pkgtest.SRC, src)
    T.ok(os.path.isfile(os.path.join(src, "debian", "control")), "the copy of the tree has debian/")
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=%d" % min(os.cpu_count() or 1, 4))
    t0 = time.monotonic()
    p = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, timeout=240)
    with open(os.path.join(tmp, "build.log"), "w", encoding="utf-8") as f:
        f.write(p.stdout + p.stderr)
    if not T.ok(p.returncode == 0, "dpkg-buildpackage -us -uc -b (%.0f s)" % (time.monotonic() - t0),
                output(p)[-3000:]):
        return {}
    print("dpkg-buildpackage took %.0f s" % (time.monotonic() - t0))
    warnings = [l for l in (p.stdout + p.stderr).splitlines() if re.search(r"\bwarning\b", l, re.I)]
    if warnings:
        print("build warnings:\n  " + "\n  ".join(warnings[:30]))
    debs = {}
    for pkg in PACKAGES:
        found = glob.glob(os.path.join(tmp, "%s_*.deb" % pkg))
        if T.ok(len(found) == 1, "package %s built" % pkg, "\n".join(os.listdir(tmp))):
            debs[pkg] = found[0]
    return debs


def contents(deb):
    p = run(["dpkg-deb", "-c", deb])
    # "./usr/sbin/whosock" (and "-> target" for links)
    return {l.split()[5][1:] for l in p.stdout.splitlines() if len(l.split()) >= 6}


def check_contents(debs):
    ma = multiarch()
    want = {
        "whosock": ["/usr/sbin/whosock", "/usr/share/man/man8/whosock.8.gz",
                    "/usr/share/bash-completion/completions/whosock",
                    "/usr/share/zsh/vendor-completions/_whosock",
                    "/usr/share/fish/vendor_completions.d/whosock.fish",
                    "/usr/share/doc/whosock/copyright"],
        "libwhosock1": ["/usr/lib/%s/libwhosock.so.1" % ma, "/usr/share/doc/libwhosock1/copyright"],
        "libwhosock-dev": ["/usr/include/whosock/whosock.h", "/usr/include/whosock/watch.h",
                           "/usr/lib/%s/libwhosock.so" % ma, "/usr/lib/%s/libwhosock.a" % ma,
                           "/usr/lib/%s/pkgconfig/libwhosock.pc" % ma, "/usr/share/man/man3/libwhosock.3.gz",
                           "/usr/share/man/man3/whosock_snapshot_take.3.gz"],
        "python3-whosock": ["/usr/lib/python3/dist-packages/whosock/__init__.py",
                            "/usr/lib/python3/dist-packages/whosock/_install.py"],
    }
    for pkg, deb in debs.items():
        got = contents(deb)
        missing = [f for f in want[pkg] if f not in got]
        T.ok(not missing, "%s holds its files: missing %s" % (pkg, missing), "\n".join(sorted(got)))
    if "libwhosock1" in debs:
        p = run(["dpkg-deb", "-f", debs["libwhosock1"], "Depends"])
        T.ok("libmnl0" in p.stdout, "libwhosock1 depends on libmnl0 (shlibs)", output(p))
        work = tempfile.mkdtemp(prefix="ctrl-", dir=os.path.dirname(debs["libwhosock1"]))
        run(["dpkg-deb", "-e", debs["libwhosock1"], work])
        symbols = open(os.path.join(work, "symbols"), encoding="utf-8").read() if \
            os.path.isfile(os.path.join(work, "symbols")) else ""
        T.ok(re.search(r"^ whosock_snapshot_take@LIBWHOSOCK_1 ", symbols, re.M),
             "libwhosock1 has a symbols file with the versioned symbols", symbols[:1500])


def check_lintian(tmp):
    changes = glob.glob(os.path.join(tmp, "*.changes"))
    if not T.ok(len(changes) == 1, "one .changes file", os.listdir(tmp)):
        return
    t0 = time.monotonic()
    p = run(["lintian", "--fail-on", "error", "--display-level", ">=warning", "--no-tag-display-limit",
             changes[0]], timeout=240)
    tags = [l for l in p.stdout.splitlines() if re.match(r"[EWIPX]: ", l)]
    errors = [l for l in tags if l.startswith("E: ")]
    print("lintian (%.0f s): %d errors, %d warnings" % (time.monotonic() - t0, len(errors), len(tags) - len(errors)))
    for l in tags:
        print("  " + l)
    T.ok(p.returncode == 0 and not errors, "lintian reports no error", output(p))


def check_installed(tmp, debs, listener):
    p = dpkg(["-i"] + [debs[k] for k in PACKAGES])
    if not T.ok(p.returncode == 0, "dpkg -i %s" % " ".join(os.path.basename(debs[k]) for k in PACKAGES),
                output(p)):
        return
    T.eq(sorted(installed()), sorted(PACKAGES), "the packages are installed")
    version = run(["dpkg-query", "-W", "-f", "${Version}", "whosock"]).stdout.strip()
    p = run(["/usr/sbin/whosock", "--version"])
    T.ok(p.returncode == 0 and p.stdout.split() == ["whosock", version.split("-")[0]],
         "/usr/sbin/whosock --version says the package's version %s" % version, output(p))
    p = run(["/usr/sbin/whosock", "--host-only", "-t", "-o", "json", ":%d" % listener.port])
    try:
        pids = [o["pid"] for row in json.loads(p.stdout) for o in row["owners"]]
    except (ValueError, KeyError, TypeError):
        pids = []
    T.ok(p.returncode == 0 and os.getpid() in pids,
         "/usr/sbin/whosock :%d finds our listener and this process" % listener.port, output(p))
    work = os.path.join(tmp, "example")
    os.makedirs(work, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PKG_CONFIG", "LD_"))}
    p = run(["pkg-config", "--cflags", "--libs", "libwhosock"], env=env)
    T.ok(p.returncode == 0 and p.stdout.split() == ["-lwhosock"],
         "pkg-config --cflags --libs libwhosock: the system's paths, -lwhosock", output(p))
    source = os.path.join(pkgtest.SRC, "examples", "owners.c")
    exe = pkgtest.build_and_run_example(T, "installed", source, work, listener, env, env)
    if exe:
        p = run(["ldd", exe], env=env)
        m = re.search(r"libwhosock\.so\.1 => (\S+)", p.stdout)
        T.ok(m and os.path.realpath(m.group(1)) == os.path.realpath("/usr/lib/%s/libwhosock.so.1" % multiarch()),
             "the example runs on /usr/lib/.../libwhosock.so.1", output(p))
    # The Python binding, by Debian's own python3, on the installed library.
    code = ("import json, whosock; print(json.dumps([[o['pid'] for o in s['owners']] "
            "for s in whosock.snapshot(protos='tcp', host_only=True, local=%d)]))" % listener.port)
    p = run(["/usr/bin/python3", "-c", code], env={k: v for k, v in env.items() if k != "PYTHONPATH"})
    try:
        pids = [pid for row in json.loads(p.stdout) for pid in row]
    except ValueError:
        pids = []
    T.ok(p.returncode == 0 and os.getpid() in pids,
         "/usr/bin/python3 -c 'import whosock': snapshot() finds our listener :%d and this process"
         % listener.port, output(p))
    # A function's page is a ".so" link to libwhosock(3): man -w names the target.
    for args, page in ((["8", "whosock"], "whosock.8"), (["3", "libwhosock"], "libwhosock.3"),
                       (["3", "whosock_watch_new"], "libwhosock.3")):
        p = run(["man", "-w"] + args, env=env)
        T.ok(p.returncode == 0 and "/usr/share/man/man%s/%s" % (args[0], page) in p.stdout,
             "man %s finds %s" % (" ".join(args), page), output(p))


def purge(why):
    p = dpkg(["-P"] + list(PACKAGES))
    left = installed()
    T.ok(p.returncode == 0 and not left, "dpkg -P %s (%s)" % (" ".join(PACKAGES), why), output(p))
    if not left and os.path.exists(MARKER):
        os.unlink(MARKER)
    return not left


def main():
    t0 = time.monotonic()
    why = wstest.missing("installing packages (dpkg -i) needs root", TOOLS,
                         "build.sh test installs debhelper, dpkg-dev, lintian, man-db")
    if why:
        return wstest.skip(why)
    listener = pkgtest.Listener()
    lock = open(LOCK, "w")
    with tempfile.TemporaryDirectory(prefix="whosock-deb-") as tmp:
        T.section = "build"
        debs = build(tmp)
        T.run_section("contents", check_contents, debs)
        T.run_section("lintian", check_lintian, tmp)
        if len(debs) == len(PACKAGES):
            T.section = "install"
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                before = installed()
                if before and os.path.exists(MARKER):
                    print("note: purging %s, left by an earlier run of this test" % " ".join(before))
                    purge("left by an earlier run")
                    before = installed()
                if T.ok(not before, "no whosock package installed before the test (found %s: not installed by "
                        "this test; remove them with dpkg -P to run it)" % " ".join(before)):
                    os.makedirs(MARKER_DIR, exist_ok=True)
                    open(MARKER, "w").close()
                    try:
                        T.run_section("installed", check_installed, tmp, debs, listener)
                    finally:
                        T.section = "purge"
                        if purge("the machine is left as it was"):
                            T.ok(not os.path.exists("/usr/sbin/whosock")
                                 and not glob.glob("/usr/lib/*/libwhosock.so*")
                                 and not os.path.exists("/usr/include/whosock"),
                                 "no file of the packages is left")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    listener.close()
    return T.summary(took=time.monotonic() - t0)


if __name__ == "__main__":
    sys.exit(main())
