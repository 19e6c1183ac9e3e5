#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install --destdir` of the build under test, into a temporary
directory, and what a user gets from it:

  - files: every file in its place (the command in sbindir, libwhosock.so.1
    and its links, libwhosock.a, the headers, libwhosock.pc, whosock(8),
    libwhosock(3) and a page per function, the three shells' completions);
  - library: the soname is libwhosock.so.1, it exports only whosock_*, all
    versioned LIBWHOSOCK_1;
  - pkg-config: examples/owners.c and the libwhosock(3) example build against
    the installed tree with `pkg-config --cflags --libs libwhosock`
    (PKG_CONFIG_SYSROOT_DIR into the destdir), shared and static, and run
    (LD_LIBRARY_PATH into the destdir), listing a socket this test listens on;
  - man pages: render without a warning; libwhosock(3) names, declares and
    describes every function the installed headers declare, and nothing else;
  - completions: bash and fish complete every option `whosock --help` lists
    (watch's own for `whosock watch`), and the values of -o, -A, --state and
    --source that whosock accepts, only those; zsh's parses and names every
    option.

Needs no root: it installs nothing outside its temporary directory.
Environment (tests/packaging/meson.build): WHOSOCK_BUILD, WHOSOCK_PREFIX and
the install directories WHOSOCK_{SBINDIR,LIBDIR,INCLUDEDIR,MANDIR,DATADIR,
BASHCOMPDIR,ZSHCOMPDIR,FISHCOMPDIR} (absolute).
"""

import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgtest  # noqa: E402
from pkgtest import output, run, wstest  # noqa: E402

T = wstest.Checker()
ENV = os.environ
DIRS = {k: ENV.get("WHOSOCK_" + k, "") for k in
        ("PREFIX", "SBINDIR", "LIBDIR", "INCLUDEDIR", "MANDIR", "DATADIR", "BASHCOMPDIR", "ZSHCOMPDIR",
         "FISHCOMPDIR")}


def exported_functions(include_dir):
    """The functions the installed headers declare (WHOSOCK_EXPORT)."""
    names = set()
    for h in ("whosock.h", "watch.h", "deps.h", "traffic.h"):
        with open(os.path.join(include_dir, "whosock", h), encoding="utf-8") as f:
            names |= set(re.findall(r"WHOSOCK_EXPORT\b[^;(]*?\b(whosock_\w+)\s*\(", f.read()))
    return names


def check_files(dest):
    def at(d, *p):
        return dest + os.path.join(DIRS[d], *p)

    exe = at("SBINDIR", "whosock")
    T.ok(os.access(exe, os.X_OK), "the command is installed: %s" % exe)
    p = run([exe, "--version"])
    T.ok(p.returncode == 0 and p.stdout.startswith("whosock "), "the installed command runs (--version)", output(p))
    real = at("LIBDIR", "libwhosock.so.1")
    T.ok(os.path.islink(real) and os.path.isfile(real), "libwhosock.so.1 is a link to the library", real)
    T.ok(os.path.islink(at("LIBDIR", "libwhosock.so"))
         and os.path.realpath(at("LIBDIR", "libwhosock.so")) == os.path.realpath(real),
         "libwhosock.so (for -lwhosock) links to the same library")
    for path in (at("LIBDIR", "libwhosock.a"), at("LIBDIR", "pkgconfig", "libwhosock.pc"),
                 at("INCLUDEDIR", "whosock", "whosock.h"), at("INCLUDEDIR", "whosock", "watch.h"),
                 at("INCLUDEDIR", "whosock", "deps.h"), at("INCLUDEDIR", "whosock", "traffic.h"),
                 at("MANDIR", "man8", "whosock.8"), at("MANDIR", "man3", "libwhosock.3"),
                 at("DATADIR", "doc", "whosock", "json.md"),
                 at("BASHCOMPDIR", "whosock"), at("ZSHCOMPDIR", "_whosock"), at("FISHCOMPDIR", "whosock.fish")):
        T.ok(os.path.isfile(path) and os.path.getsize(path) > 0, "installed: %s" % path[len(dest):])


def check_library(dest):
    lib = dest + os.path.join(DIRS["LIBDIR"], "libwhosock.so.1")
    p = run(["readelf", "-d", "-W", lib])
    T.ok("Library soname: [libwhosock.so.1]" in p.stdout, "soname libwhosock.so.1", output(p))
    p = run(["readelf", "--dyn-syms", "-W", lib])
    defined = [l.split()[-1] for l in p.stdout.splitlines()
               if re.match(r"\s*\d+:", l) and l.split()[6] not in ("UND", "ABS")]
    T.ok(defined, "the library exports symbols", output(p))
    bad = [s for s in defined if not re.fullmatch(r"whosock_\w+@@LIBWHOSOCK_1(\.\d+)*", s)]
    T.ok(not bad, "every exported symbol is whosock_*, versioned LIBWHOSOCK_1: not %s" % bad[:10])
    want = exported_functions(dest + DIRS["INCLUDEDIR"])
    got = {s.split("@")[0] for s in defined}
    T.ok(want <= got, "every function the headers declare is exported: missing %s" % sorted(want - got))


def pc_env(dest):
    env = dict(ENV)
    # The .pc says prefix=/usr/local: the sysroot puts its -I and -L under
    # the destdir, as for a cross build.
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    env["PKG_CONFIG_PATH"] = dest + os.path.join(DIRS["LIBDIR"], "pkgconfig")
    return env


def man_example(dest, work):
    """The C program of libwhosock(3)'s EXAMPLES section, as a file."""
    with open(dest + os.path.join(DIRS["MANDIR"], "man3", "libwhosock.3"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^\.SH EXAMPLES\n.*?^\.EX\n(.*?)^\.EE\n", text, re.S | re.M)
    code = m.group(1) if m else ""
    for esc, c in (("\\e", "\\"), ("\\-", "-"), ("\\(aq", "'"), ("\\&", "")):
        code = code.replace(esc, c)
    path = os.path.join(work, "listeners.c")
    with open(path, "w", encoding="utf-8") as f:
        f.write(code)
    return path if m else None


def check_pkgconfig(dest, work, listener):
    env = pc_env(dest)
    p = run(["pkg-config", "--cflags", "--libs", "libwhosock"], env=env)
    T.ok(p.returncode == 0 and "-I" + dest + DIRS["INCLUDEDIR"] in p.stdout.split()
         and "-lwhosock" in p.stdout.split(),
         "pkg-config --cflags --libs libwhosock points into the installed tree", output(p))
    run_env = dict(ENV, LD_LIBRARY_PATH=dest + DIRS["LIBDIR"])
    source = os.path.join(pkgtest.SRC, "examples", "owners.c")
    exe = pkgtest.build_and_run_example(T, "shared", source, work, listener, env, run_env)
    if exe:
        p = run(["ldd", exe], env=run_env)
        T.ok(re.search(r"libwhosock\.so\.1 => %s" % re.escape(dest + DIRS["LIBDIR"]), p.stdout),
             "the example runs on the installed libwhosock.so.1", output(p))
    exe = pkgtest.build_and_run_example(T, "static", source, work, listener, env, dict(ENV), static=True)
    if exe:
        p = run(["readelf", "-d", "-W", exe])
        T.ok(p.returncode == 0 and "libwhosock" not in p.stdout,
             "linked with --static, the example needs no libwhosock.so", output(p))
    example = man_example(dest, work)
    if T.ok(example, "libwhosock(3) has an example program (.EX ... .EE)"):
        exe = os.path.join(work, "listeners")
        flags = run(["pkg-config", "--cflags", "--libs", "libwhosock"], env=env).stdout.split()
        cc = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", exe, example] + flags, env=env)
        if T.ok(cc.returncode == 0, "libwhosock(3)'s example builds", output(cc)):
            p = run([exe], env=run_env, timeout=120)
            T.ok(p.returncode == 0 and re.search(r"^%d %d " % (listener.port, os.getpid()), p.stdout, re.M),
                 "libwhosock(3)'s example lists our listener", output(p))


def check_man(dest):
    mandir = dest + DIRS["MANDIR"]
    env = dict(ENV, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    for page in ("man8/whosock.8", "man3/libwhosock.3"):
        p = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", os.path.join(mandir, page)], env=env)
        T.ok(p.returncode == 0 and not p.stderr.strip(), "%s renders without warnings" % page, output(p))
    with open(os.path.join(mandir, "man3", "libwhosock.3"), encoding="utf-8") as f:
        text = f.read()
    sections = dict(re.findall(r"^\.SH (\S+)\n(.*?)(?=^\.SH |\Z)", text, re.S | re.M))
    named = set(re.findall(r"\bwhosock_\w+", sections.get("NAME", "")))
    declared = set(re.findall(r"\b(whosock_\w+)\(", sections.get("SYNOPSIS", "").replace('"', "")))
    declared -= set(re.findall(r"typedef \w+ (whosock_\w+)\(", sections.get("SYNOPSIS", "").replace('"', "")))
    # A function is described under a tag of its own: ".TP" then ".BR name ()"
    # (or several: .BR a "(), " b ()).
    described = {n for tag in re.findall(r"^\.TP\n\.BR (.*)$", sections.get("DESCRIPTION", ""), re.M)
                 for n in re.findall(r"\b(whosock_\w+) \"?\(\)", tag)}
    functions = exported_functions(dest + DIRS["INCLUDEDIR"])
    for what, got in (("named under NAME", named), ("declared in SYNOPSIS", declared),
                      ("described in DESCRIPTION", described)):
        T.ok(got == functions, "libwhosock(3): the headers' functions are %s: missing %s, not in the headers %s"
             % (what, sorted(functions - got), sorted(got - functions)))
    missing = [n for n in sorted(named) if not os.path.isfile(os.path.join(mandir, "man3", n + ".3"))]
    T.ok(not missing, "a man page per function (man %s): missing %s" % (sorted(named)[0] if named else "?", missing))
    p = run(["man", "-M", mandir, "whosock_snapshot_take"], env=env)
    T.ok(p.returncode == 0 and "LIBWHOSOCK(3)" in p.stdout, "`man whosock_snapshot_take` shows libwhosock(3)",
         output(p)[:800])


def help_options(exe):
    """From `whosock --help`: (listing options, watch options, deps
    options, top options, serve options, capture options), each a set of
    "--long" and "-s" names."""
    text = run([exe, "--help"]).stdout
    listing, _, rest = text.partition("\nwhosock watch [OPTIONS]")
    watch, _, rest = rest.partition("\nwhosock serve [OPTIONS]")
    serve, _, rest = rest.partition("\nwhosock top [OPTIONS]")
    top, _, deps = rest.partition("\nwhosock deps [OPTIONS]")
    deps, _, capture = deps.partition("\nwhosock capture [OPTIONS]")

    def opts(part):
        found = set()
        for line in part.splitlines():
            m = re.match(r"\s+(?:(-\w)(?:, |\s+))?(--[\w.-]+)", line)
            if m:
                found |= {o for o in m.groups() if o}
            m = re.match(r"\s+(-\w)\s", line)
            if m:
                found.add(m.group(1))
        return found

    return opts(listing), opts(watch), opts(deps), opts(top), opts(serve), opts(capture)


BASH_COMPLETE = r'''
source /usr/share/bash-completion/bash_completion || exit 3
source "$1" || exit 4
shift
compopt() { :; }   # only works inside a real completion
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_whosock || true
printf '%s\n' "${COMPREPLY[@]}"
'''


def bash_complete(script, words):
    p = run(["bash", "--norc", "--noprofile", "-c", BASH_COMPLETE, "bash", script] + words)
    return p, set(p.stdout.split())


def fish_complete(script, line):
    p = run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script, line])
    return p, {l.split("\t")[0] for l in p.stdout.splitlines() if l}


def accepted_values(exe, opt):
    """What whosock lists after 'expected' when a value of opt is wrong."""
    p = run([exe, opt, "bogus-value"])
    m = re.search(r"expected (.*)$", p.stderr.strip())
    return set(re.split(r", | or ", m.group(1))) if m else set()


def check_completions(dest, listing, watch, deps, top, serve, capture):
    exe = dest + os.path.join(DIRS["SBINDIR"], "whosock")
    bash_script = dest + os.path.join(DIRS["BASHCOMPDIR"], "whosock")
    zsh_script = dest + os.path.join(DIRS["ZSHCOMPDIR"], "_whosock")
    fish_script = dest + os.path.join(DIRS["FISHCOMPDIR"], "whosock.fish")
    T.ok(len(listing) > 40 and {"--watch", "--connections"} & watch == {"--connections"},
         "`whosock --help` lists the options (%d, and %d of watch)" % (len(listing), len(watch)))
    # What chooses the sockets watched and the events printed (whosock(8)).
    watch_all = watch | {"-t", "--tcp", "-u", "--udp", "-A", "--query", "-4", "--ipv4", "-6", "--ipv6", "--port",
                         "--host-only", "--netns", "--pid", "--user", "--comm", "--cmdline", "--container",
                         "-o", "--output", "-h", "--help"}
    values = {"-o": accepted_values(exe, "-o"), "-A": accepted_values(exe, "-A"),
              "--source": accepted_values(exe, "--source")}
    T.ok(all(len(v) >= 3 for v in values.values()), "whosock names the values of -o, -A, --source it accepts: %s"
         % values)
    shells = [("bash", lambda words: bash_complete(bash_script, words))]
    if shutil.which("fish"):
        shells.append(("fish", lambda words: fish_complete(fish_script, " ".join(words))))
    else:
        T.ok(os.environ.get("CI") != "true", "fish is installed (build.sh test installs it)")
    if not shutil.which("bash") or not os.path.isfile("/usr/share/bash-completion/bash_completion"):
        T.ok(os.environ.get("CI") != "true", "bash-completion is installed (build.sh test installs it)")
        shells.pop(0)
    for shell, complete in shells:
        p, got = complete(["whosock", "--"])
        longs = {o for o in listing if o.startswith("--")}
        T.ok(longs <= got, "%s: `whosock --<TAB>` offers every option of --help: missing %s"
             % (shell, sorted(longs - got)), output(p))
        p, got = complete(["whosock", "watch", "--"])
        wl = {o for o in watch_all if o.startswith("--")}
        T.ok(wl <= got, "%s: `whosock watch --<TAB>` offers every watch option: missing %s"
             % (shell, sorted(wl - got)), output(p))
        T.ok("--state" not in got and "--source" not in got,
             "%s: `whosock watch --<TAB>` leaves out what watch refuses (--state, --source)" % shell)
        p, got = complete(["whosock", "w"])
        T.ok("watch" in got, "%s: `whosock w<TAB>` offers watch" % shell, output(p))
        p, got = complete(["whosock", "serve", "--"])
        sl = {o for o in serve if o.startswith("--")}
        T.ok(len(sl) >= 8 and sl <= got, "%s: `whosock serve --<TAB>` offers every serve option: missing %s"
             % (shell, sorted(sl - got)), output(p))
        T.ok("--state" not in got and "--listen" not in complete(["whosock", "--"])[1],
             "%s: serve's options only after serve, and not the listing's filters" % shell)
        p, got = complete(["whosock", "s"])
        T.ok("serve" in got, "%s: `whosock s<TAB>` offers serve" % shell, output(p))
        for opt, want in (("-o", values["-o"]), ("--source", values["--source"]), ("-A", values["-A"])):
            p, got = complete(["whosock", opt, ""])
            T.eq(got, want, "%s: the values `whosock %s <TAB>` offers are those whosock accepts" % (shell, opt),
                 output(p))
        p, got = complete(["whosock", "watch", "-o", ""])
        T.eq(got, {"table", "ndjson"}, "%s: `whosock watch -o <TAB>`" % shell, output(p))
        p, got = complete(["whosock", "deps", "--"])
        dl = {o for o in deps | {"--tcp", "--udp", "--netns", "--user", "--container", "--output"}
              if o.startswith("--")}
        T.ok(dl <= got and "--state" not in got, "%s: `whosock deps --<TAB>` offers every deps option "
             "(not --state): missing %s" % (shell, sorted(dl - got)), output(p))
        p, got = complete(["whosock", "deps", "-o", ""])
        T.eq(got, {"table", "json", "ndjson", "csv", "dot"}, "%s: `whosock deps -o <TAB>`" % shell, output(p))
        p, got = complete(["whosock", "d"])
        T.ok("deps" in got, "%s: `whosock d<TAB>` offers deps" % shell, output(p))
        p, got = complete(["whosock", "top", "--"])
        tl = {o for o in top | {"--tcp", "--udp", "--netns", "--user", "--container", "--output", "--port",
                                "--interval", "--count", "--timeout"} if o.startswith("--")}
        T.ok(len(top) >= 6 and tl <= got and "--state" not in got and "--connections" not in got,
             "%s: `whosock top --<TAB>` offers every top option (not --state, --connections): missing %s"
             % (shell, sorted(tl - got)), output(p))
        p, got = complete(["whosock", "top", "-o", ""])
        T.eq(got, {"json", "ndjson", "csv"}, "%s: `whosock top -o <TAB>`" % shell, output(p))
        p, got = complete(["whosock", "t"])
        T.ok("top" in got, "%s: `whosock t<TAB>` offers top" % shell, output(p))
        p, got = complete(["whosock", "capture", "--"])
        cl = {o for o in capture | {"--pid", "--user", "--comm", "--container"} if o.startswith("--")}
        T.ok(len(cl) >= 10 and cl <= got and "--state" not in got,
             "%s: `whosock capture --<TAB>` offers every capture option (not --state): missing %s"
             % (shell, sorted(cl - got)), output(p))
        p, got = complete(["whosock", "capture", "-o", ""])
        T.eq(got, {"text", "ndjson"}, "%s: `whosock capture -o <TAB>`" % shell, output(p))
        p, got = complete(["whosock", "c"])
        T.ok("capture" in got, "%s: `whosock c<TAB>` offers capture" % shell, output(p))
        p, got = complete(["whosock", "--state", ""])
        bad = [s for s in sorted(got)
               if run([exe, "--state", s, "--host-only", "--no-owners", "-t"]).returncode not in (0, 1)]
        T.ok(len(got) >= 10 and not bad, "%s: `whosock --state <TAB>` offers %d states, each accepted: not %s"
             % (shell, len(got), bad), output(p))
        p, got = complete(["whosock", "--state", "listen,est"])
        T.eq(got, {"listen,established"}, "%s: `whosock --state listen,est<TAB>` completes the list's last item"
             % shell, output(p))
    if shutil.which("zsh"):
        p = run(["zsh", "-n", zsh_script])
        T.ok(p.returncode == 0, "zsh: _whosock parses (zsh -n)", output(p))
    else:
        T.ok(os.environ.get("CI") != "true", "zsh is installed (build.sh test installs it)")
    with open(zsh_script, encoding="utf-8") as f:
        text = f.read()
    missing = sorted(o for o in listing | watch | deps | serve | capture
                     if not re.search(r"[{'(),*]%s[,}\[=+']" % re.escape(o), text))
    T.ok(not missing, "zsh: _whosock names every option of --help: missing %s" % missing)
    listing_part = text.split("\n\t\treturn\n\tfi\n")[-1]  # after the watch and serve blocks
    for opt, want in values.items():
        zsh_opt = {"-o": "output", "-A": "query", "--source": "source"}[opt]
        m = re.search(r"--%s=\}?'?\[[^]]*\]:[^:]*:(?:_sequence compadd - )?\(?([^)']*)" % zsh_opt,
                      listing_part)
        words = set((m.group(1) if m else "").split())
        if words == {"$kinds"}:
            m = re.search(r"kinds=\(([^)]*)\)", text)
            words = set(m.group(1).split()) if m else set()
        T.eq(words, want, "zsh: the values of %s" % opt)


def main():
    t0 = time.monotonic()
    build = ENV.get("WHOSOCK_BUILD")
    if not build or not DIRS["PREFIX"]:
        print("FAIL: run by meson test (WHOSOCK_BUILD and the WHOSOCK_* install directories are not set)")
        return 1
    off = [k for k, v in DIRS.items() if not v]
    if off:
        return wstest.skip("this build installs no %s (-D...completiondir=no): the test checks every completion"
                           % ", ".join(k[:-7].lower() + " completion" for k in off))
    for tool in ("meson", "pkg-config", "cc", "readelf", "man", "bash"):
        if not shutil.which(tool):
            return wstest.skip("`%s` not found (build.sh test installs what this test needs)" % tool)
    listener = pkgtest.Listener()
    with tempfile.TemporaryDirectory(prefix="whosock-install-") as tmp:
        dest = os.path.join(tmp, "dest")
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        p = run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"])
        if T.ok(p.returncode == 0, "meson install --destdir %s" % dest, output(p)):
            T.run_section("files", check_files, dest)
            T.run_section("library", check_library, dest)
            T.run_section("pkg-config", check_pkgconfig, dest, work, listener)
            T.run_section("man pages", check_man, dest)
            exe = dest + os.path.join(DIRS["SBINDIR"], "whosock")
            T.run_section("completions", check_completions, dest, *help_options(exe))
    listener.close()
    return T.summary(took=time.monotonic() - t0)


if __name__ == "__main__":
    sys.exit(main())
