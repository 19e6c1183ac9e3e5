#!/bin/sh
# Install the missing build dependencies, build, and (with "test") run the
# whole suite: once plainly and once under ASan+UBSan.
#   ./build.sh          build into build/ (the command is build/whosock)
#   ./build.sh test     build, then run every test in build/ and build-asan/
set -eu
cd "$(dirname "$0")"

DEPS="meson ninja-build pkg-config gcc libc6-dev libmnl-dev libcmocka-dev iproute2 python3"

missing=""
for p in $DEPS; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "build.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
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

setup build
[ "${1:-}" = test ] || exit 0

status=0
meson test -C build --print-errorlogs || status=1
echo "== the same suite under AddressSanitizer + UndefinedBehaviorSanitizer =="
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs || status=1
[ $status -eq 0 ] && echo "build.sh: all suites passed" || echo "build.sh: some tests FAILED" >&2
exit $status
