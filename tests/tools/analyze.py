#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GCC's static analyzer (-fanalyzer) over lib/ and src/, warnings as errors.

Compiles every C file of lib/ and src/ once more, with the exact command
Meson uses in BUILD_DIR (compile_commands.json) plus -fanalyzer -Werror,
writing nothing. Prints one line per file and a summary; exit 1 when the
analyzer warns.
    tests/tools/analyze.py BUILD_DIR
"""
import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    todo, seen = [], set()
    for e in entries:
        path = os.path.normpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(path, src)
        if rel.split(os.sep)[0] not in ("lib", "src") or rel in seen:
            continue
        seen.add(rel)
        argv = shlex.split(e["command"])
        if "-o" in argv:  # keep the flags, write nothing
            i = argv.index("-o")
            argv[i + 1] = os.devnull
        kept, skip = [], False
        for a in argv:  # no dependency files: -MD, -MQ X, -MF Y
            if skip or a == "-MD":
                skip = False
                continue
            if a in ("-MQ", "-MF"):
                skip = True
                continue
            kept.append(a)
        argv = kept
        todo.append((rel, e["directory"], argv + ["-fanalyzer", "-Werror"]))
    if not todo:
        print("analyze: no lib/ or src/ files in %s/compile_commands.json" % build, file=sys.stderr)
        return 1

    def run(item):
        rel, cwd, argv = item
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        return rel, p.returncode, p.stderr

    failed = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        for rel, rc, err in sorted(ex.map(run, todo)):
            print("%s %s" % ("ok  " if rc == 0 else "FAIL", rel))
            if rc != 0:
                failed += 1
                sys.stdout.write(err)
    print("gcc -fanalyzer: %d passed, %d failed" % (len(todo) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
