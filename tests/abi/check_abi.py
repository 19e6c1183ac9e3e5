#!/usr/bin/env python3
"""The library against the ABI baseline (tests/abi/libwhosock.abi, written
by abidw from the release that made it): abidiff must find no incompatible
change (a symbol removed, a struct callers see reshaped, a function's type
changed). Compatible additions are printed, not failed: a new symbol goes
in a new version node of lib/libwhosock.map, and the baseline is rewritten
at the release that adds it (tests/abi/update-baseline).

usage: check_abi.py BASELINE LIBWHOSOCK_SO INCLUDE_DIR"""
import re
import shutil
import subprocess
import sys

# What in a report of a struct or enum callers see breaks them: members that
# moved, went or changed type, enumerators that went or changed value.
BREAKS = ("offset changed", "data member deletion", "type of '", "enumerator deletion",
          "value changed")
# Callers step through arrays of these (owners[i], locals[i]): no growing.
ARRAY_TYPES = ("whosock_owner", "whosock_local")

ABIDIFF_ERROR, ABIDIFF_USAGE, ABIDIFF_CHANGE, ABIDIFF_INCOMPATIBLE = 1, 2, 4, 8


def main():
    base, lib, include = sys.argv[1:4]
    if not shutil.which("abidiff"):
        print("FAIL: abidiff not found (Debian: abigail-tools; ./build.sh installs it)")
        return 1
    p = subprocess.run(["abidiff", "--headers-dir2", include + "/whosock", base, lib],
                       capture_output=True, text=True)
    report = (p.stdout + p.stderr).strip()
    if p.returncode & (ABIDIFF_ERROR | ABIDIFF_USAGE):
        print("FAIL: abidiff could not compare (status %d):\n%s" % (p.returncode, report))
        return 1
    if p.returncode & ABIDIFF_INCOMPATIBLE:
        print("FAIL: incompatible ABI change against %s:\n%s" % (base, report))
        return 1
    if p.returncode & ABIDIFF_CHANGE:
        print("ABI changed: " + report)
        breaks = [b for b in BREAKS if b in report]
        breaks += ["struct %s changed size (callers index arrays of it)" % t
                   for t in ARRAY_TYPES if re.search(r"type 'struct %s'[^\n]*:\n\s+type size changed" % t, report)]
        if breaks:
            print("FAIL: incompatible: " + "; ".join(breaks))
            return 1
        print("(compatible: members appended to structs the library allocates, or symbols added)")
    print("ok: libwhosock matches its ABI baseline")
    return 0


sys.exit(main())
