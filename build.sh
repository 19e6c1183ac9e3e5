#!/bin/sh
# Install the missing build dependencies, build, and (with "test") run the
# whole suite: plainly, under ASan+UBSan and under valgrind; then GCC's
# static analyzer over lib/ and src/.
#   ./build.sh          build into build/ (the command is build/whosock)
#   ./build.sh test     build, then run every test in build/, build-asan/ and
#                       build-valgrind/, and the analyzer
set -eu
cd "$(dirname "$0")"

# abigail-tools: tests/abi (abidiff against the ABI baseline).
# clang, llvm, bpftool, libbpf-dev, libelf-dev, zlib1g-dev: the BPF owner
# pass (Meson feature bpf, on when they and /sys/kernel/btf/vmlinux are there);
# strace: test_bpf_owners slows whosock down with it to kill it mid-load;
# netbase: /etc/services (service names, -r).
# libpcap-dev: whosock capture.
# libmicrohttpd-dev (TLS by its GnuTLS), libyaml-dev, libcrypt-dev: whosock serve
# (HTTP, the web config file, bcrypt).
DEPS="meson ninja-build pkg-config gcc libc6-dev libmnl-dev libncurses-dev libcmocka-dev iproute2 python3 valgrind libcap2-bin libpcap-dev
abigail-tools clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev strace netbase
libmicrohttpd-dev libyaml-dev libcrypt-dev"
# Only for "./build.sh test": tests/packaging builds the Debian packages
# (debhelper, dpkg-dev, build-essential, lintian), reads the man pages (man-db)
# and the library (binutils), and completes in each shell; test_serve runs a real
# Prometheus (prometheus, with promtool) and makes a certificate (openssl),
# test_serve_web loads the page in headless Chromium (chromium);
# test_top_view runs the live view in tmux; test_deps renders with graphviz;
# test_capture reads its pcapng back with tshark.
TEST_DEPS="tmux graphviz debhelper dpkg-dev build-essential fakeroot lintian man-db binutils bash-completion zsh fish
prometheus openssl chromium tshark"

install_missing() { # packages
	missing=""
	for p in "$@"; do
		if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
			missing="$missing $p"
		fi
	done
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "build.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
}

if [ "${1:-}" = test ]; then
	install_missing $DEPS $TEST_DEPS
else
	install_missing $DEPS
fi

setup() { # dir, extra meson options
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
	else
		meson setup "$dir" -Dwerror=true "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

# Count the results of the meson test run just done in build dir $1 into
# passed/failed (a skipped test counts as failed in CI, CI=true as root:
# nothing is left out silently). Returns 1 when any failed.
passed=0
failed=0
tally() {
	counts=$(python3 - "$1/meson-logs" "${CI:-}" <<'PY'
import glob, json, os, sys
# The run just done wrote the newest log (testlog-valgrind.json with --wrapper).
log = max(glob.glob(os.path.join(sys.argv[1], "testlog*.json")), key=os.path.getmtime)
runs = [json.loads(l) for l in open(log) if l.strip()]
ok = sum(r["result"] in ("OK", "EXPECTEDFAIL") for r in runs)
skipped = [r["name"] for r in runs if r["result"] == "SKIP"]
bad = len(runs) - ok - len(skipped)
if sys.argv[2] == "true" and skipped:
    print("build.sh: skipped in CI, where a skip is a failure: " + ", ".join(skipped), file=sys.stderr)
    bad += len(skipped)
print(ok, bad)
PY
) || counts="0 1"
	set -- $counts
	passed=$((passed + $1))
	failed=$((failed + $2))
	[ "$2" -eq 0 ]
}

# The packaging tests (meson install, the Debian packages) run once, here:
# not again in build-asan/ and build-valgrind/.
setup build -Dpackaging_tests=true
[ "${1:-}" = test ] || exit 0

status=0
meson test -C build --print-errorlogs || status=1
tally build || status=1
echo "== the same suite under AddressSanitizer + UndefinedBehaviorSanitizer =="
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs || status=1
tally build-asan || status=1
echo "== under valgrind: the C tests, and whosock in the integration tests =="
# Without BPF: valgrind 3.19 knows too little of bpf() (it calls libbpf's
# attrs uninitialised and cannot follow BPF_LINK_CREATE or BPF_ITER_CREATE),
# so whosock under valgrind takes the /proc walk; the plain and the ASan
# runs test the BPF pass.
setup build-valgrind -Dvalgrind=true -Dbpf=disabled
meson test -C build-valgrind --print-errorlogs --suite unit --suite fuzz \
	--wrapper "valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" ||
	status=1
tally build-valgrind || status=1
meson test -C build-valgrind --print-errorlogs --suite integration || status=1
tally build-valgrind || status=1
echo "== GCC static analyzer (-fanalyzer) on lib/ and src/ =="
if python3 tests/tools/analyze.py build; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	status=1
fi
[ $status -eq 0 ] && echo "build.sh: all suites passed" || echo "build.sh: some tests FAILED" >&2
echo "build.sh: $passed passed, $failed failed"
exit $status
