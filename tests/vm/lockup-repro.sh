#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/lockup-repro.sh [DIST] [MODE] [ROUNDS] [CPUS] [ACCEL]
#   defaults: bookworm killed 3 2 tcg   (MODE: killed, during or clean: see lockup-guest.sh)
#
# Reproduction of issue 9's soft lockup: boots Debian's DIST kernel under qemu with CPUS
# vCPUs and -accel ACCEL, runs ROUNDS rounds of "tracerd live, 2000-exec storm, storm killed
# by timeout (or run to its end), tracerd stopped", and reports whether the guest's kernel
# log shows a soft lockup, RCU stall or any other problem (tests/vm/scan-kernel-log.sh).
# Exit 0: no problem seen; 1: a problem (its lines are printed); 124: the guest hung.
# Not part of make test-kernels (about 2-4 minutes a run); the answer is in README.md,
# "Kernels". Needs ./tracerd built.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dist=${1:-bookworm} mode=${2:-killed} rounds=${3:-3} cpus=${4:-2} accel=${5:-tcg}
kdir=$("$here/fetch-kernel.sh" "$dist" amd64)
res=$top/build/vm/results/lockup-$dist-$mode-$cpus-${accel//[,=]/_}
cd "$top"
set +e
"$here/run-guest.sh" -q -t $((180 + rounds * 120)) -c "$cpus" -a "$accel" -r "$res" "$kdir" \
	tests/vm/lockup-guest.sh "$mode" "$rounds" "${TRACERD:-./tracerd}"
rc=$?
set -e
grep -E '^round|lockup-guest|not live' "$res/output.txt" 2>/dev/null || true
logs=("$res/console.log")
[ -s "$res/dmesg.txt" ] && logs+=("$res/dmesg.txt")
if ! "$here/scan-kernel-log.sh" "${logs[@]}"; then
	echo "lockup-repro: $dist $mode cpus=$cpus accel=$accel: KERNEL PROBLEM (guest exit $rc)"
	exit 1
fi
if [ "$rc" = 124 ]; then
	echo "lockup-repro: $dist $mode cpus=$cpus accel=$accel: guest hung (no kernel message)"
	exit 124
fi
echo "lockup-repro: $dist $mode cpus=$cpus accel=$accel: clean (guest exit $rc)"
exit 0
