#!/usr/bin/env python3
"""The shared library exports exactly the public API: every dynamic symbol
is whosock_* and versioned LIBWHOSOCK_1, every function the headers declare
with WHOSOCK_EXPORT is there, and the soname is libwhosock.so.1.

usage: check_symbols.py LIBWHOSOCK_SO INCLUDE_DIR"""
import glob
import os
import re
import subprocess
import sys


def main():
    lib, include = sys.argv[1], sys.argv[2]
    bad = []
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
    exported = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        _, kind, sym = parts
        if kind == "A" and sym == "LIBWHOSOCK_1":  # the version node itself
            continue
        name, _, version = sym.partition("@@")
        if not name.startswith("whosock_"):
            bad.append("exported symbol %s is not whosock_*" % sym)
        if version != "LIBWHOSOCK_1":
            bad.append("symbol %s is not versioned LIBWHOSOCK_1" % sym)
        exported.add(name)
    declared = set()
    for h in glob.glob(os.path.join(include, "whosock", "*.h")):
        text = open(h).read()
        declared |= set(re.findall(r"WHOSOCK_EXPORT[^;(]*?\b(whosock_\w+)\s*\(", text, re.S))
    for name in sorted(declared - exported):
        bad.append("%s is declared in the headers but not exported" % name)
    for name in sorted(exported - declared):
        bad.append("%s is exported but not declared WHOSOCK_EXPORT in include/whosock" % name)
    dyn = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True, check=True).stdout
    if "Library soname: [libwhosock.so.1]" not in dyn:
        bad.append("soname is not libwhosock.so.1: %s" % re.findall(r"soname: \[.*\]", dyn))
    for b in bad:
        print("FAIL: " + b)
    print("%d symbols exported, %d declared; %d problems" % (len(exported), len(declared), len(bad)))
    return 1 if bad else 0


sys.exit(main())
