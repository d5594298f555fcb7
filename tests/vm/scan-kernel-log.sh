#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/scan-kernel-log.sh [-x EXCEPTIONS] LOG...
#
# Fails (exit 1, printing each offending line with its file and line number) when a guest
# console log or dmesg shows a kernel problem: soft or hard lockups, RCU stalls, BUG, Oops,
# WARNING, a call trace, hung tasks, a kernel panic, a BPF verifier complaint, or a seccomp
# audit record (audit: type=1326: tracerd's own filter refused a call). Exit 0 when clean.
# EXCEPTIONS is a file of extended regular expressions, one a line (# comments allowed);
# a line matching one of them is not a failure. Each exception must say why, in a
# comment above it.
set -eu
exc=""
if [ "${1:-}" = -x ]; then
	exc=$2
	shift 2
fi
[ $# -ge 1 ] || { sed -n '4,13p' "$0" >&2; exit 2; }
pat='soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu_preempt self-detected stall'
pat="$pat|rcu: INFO|BUG:|Oops|WARNING:|Call Trace|hung_task|blocked for more than"
pat="$pat|Kernel panic|general protection fault|verifier|audit: type=1326|segfault at"
hits=$(grep -HnE "$pat" "$@" 2>/dev/null || true)
if [ -n "$hits" ] && [ -n "$exc" ]; then
	re=$(mktemp)
	grep -v '^#' "$exc" | grep . >"$re" || true
	[ -s "$re" ] && hits=$(printf '%s\n' "$hits" | grep -vE -f "$re" || true)
	rm -f "$re"
fi
[ -z "$hits" ] && exit 0
echo "kernel log problems:"
printf '%s\n' "$hits" | head -n 60
exit 1
