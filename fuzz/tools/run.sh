#!/bin/sh
# Run every fuzzer (or those named) for SECONDS each, one after the other,
# niced, one job each; print a table of executions per fuzzer.
#     fuzz/tools/run.sh BUILD_DIR SECONDS [NAME...]
# BUILD_DIR was set up with: CC=clang meson setup BUILD_DIR -Dfuzz=true -Db_lundef=false
# Each fuzzer starts from fuzz/corpus/NAME and writes what it finds to a
# scratch corpus (WORK, default /tmp/whosock-fuzz), never to the committed one:
# fold it back with -merge=1 as fuzz/README.md says. Crashes are saved as
# fuzz/crashes/NAME/crash-<sha1> (and leak-, timeout-, oom-).
# With KEEP_GOING=1 a fuzzer goes on after a crash (-fork=1 -ignore_crashes=1).
set -eu
build=$(cd "$1" && pwd)
secs=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/whosock-fuzz}
names=${*:-procnet procinfo container sockdiag sockdiag_stream cli cli_query textesc}

printf '| fuzzer | seconds | executions | exec/s | corpus at end | crashes |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
for n in $names; do
	mkdir -p "$work/$n" "$top/crashes/$n" "$work/log"
	cp -n "$top/corpus/$n"/* "$work/$n"/ 2>/dev/null || true
	dict=""
	case $n in cli | cli_query) dict="-dict=$top/cli.dict" ;; esac
	extra=""
	[ "${KEEP_GOING:-0}" = 1 ] && extra="-fork=1 -ignore_crashes=1"
	log="$work/log/$n.log"
	start=$(date +%s)
	# -jobs=1 runs the fuzzer in a child that logs to fuzz-0.log in the cwd.
	(cd "$work/log" && rm -f fuzz-0.log &&
		nice -n 19 "$build/fuzz/fuzz_$n" -max_total_time="$secs" -jobs=1 $extra $dict \
			-artifact_prefix="$top/crashes/$n/" -print_final_stats=1 "$work/$n" \
			>/dev/null 2>&1 || true
		mv fuzz-0.log "$log" 2>/dev/null || true)
	end=$(date +%s)
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
	[ "$execs" = 0 ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
	t=$((end - start))
	[ "$t" -gt 0 ] || t=1
	printf '| %s | %d | %s | %d | %d | %d |\n' "$n" "$t" "${execs:-0}" $(( ${execs:-0} / t )) \
		"$(ls "$work/$n" | wc -l)" "$(ls "$top/crashes/$n" | wc -l)"
done
