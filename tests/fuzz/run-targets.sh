#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs built libFuzzer targets for SECONDS each; shared by tests/fuzz/run.sh and
# reader/fuzz/run.sh. A crash's input is saved as OUT/<target>-crash-*, its log as
# OUT/<target>.log. Exits 1 when any target failed. Inputs that once crashed a target are kept
# in tests/fuzz/regressions/<target>/ and run first, every time.
#
#   tests/fuzz/run-targets.sh OUT SECONDS "LIBFUZZER FLAGS" TARGET...
set -eu

out=$1 seconds=$2 flags=$3
shift 3
regressions=$(cd "$(dirname "$0")" && pwd)/regressions
status=0
for target in "$@"; do
	kept=""
	[ -d "$regressions/$target" ] && kept=$regressions/$target
	echo "fuzz: $target for ${seconds}s"
	# shellcheck disable=SC2086 # the flags are meant to split into words
	if "$out/$target" -max_total_time="$seconds" $flags -print_final_stats=1 \
		-artifact_prefix="$out/$target-" "$out/corpus/$target" $kept \
		>"$out/$target.log" 2>&1; then
		grep -E '^stat::number_of_executed_units' "$out/$target.log" || true
	else
		echo "fuzz: $target FAILED, see $out/$target.log"
		tail -n 30 "$out/$target.log"
		status=1
	fi
done
exit "$status"
