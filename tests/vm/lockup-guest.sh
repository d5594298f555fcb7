#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage (inside a guest, from the repository): tests/vm/lockup-guest.sh MODE ROUNDS [TRACERD]
#   MODE: killed   a 2000-exec storm (seq 2000 | xargs -P 8 -n 1 /bin/true) is killed by
#                  timeout(1) after 20 s while it runs, then tracerd is stopped at once
#                  (issue 9's sequence)
#         during   tracerd is stopped 10 s into the storm; the storm goes on during the
#                  detach (tasks inside the programs as they go), killed after 60 s
#         clean    the storm runs to its end, then tracerd is stopped
# Each round: tracerd in whole-machine mode, live (pid file), the storm, SIGTERM to tracerd
# and a wait for its exit, with the time each step took. Run by tests/vm/lockup-repro.sh,
# which boots the guest and scans its kernel log.
set -u
mode=${1:-killed} rounds=${2:-3} tracerd=${3:-./tracerd}
out=/tmp/lockup
mkdir -p $out
r=1
while [ "$r" -le "$rounds" ]; do
	rm -f $out/t.jsonl.gz $out/pid
	"$tracerd" --job-id "lockup-$r" --out $out/t.jsonl.gz --pid-file $out/pid 2>$out/err &
	tp=$!
	n=0
	while [ ! -s $out/pid ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
	[ -s $out/pid ] || { echo "round $r: tracerd not live"; cat $out/err; exit 1; }
	t0=$(date +%s)
	case $mode in
	killed)
		timeout 20 sh -c 'seq 2000 | xargs -P 8 -n 1 /bin/true'
		;;
	during)
		timeout 60 sh -c 'seq 2000 | xargs -P 8 -n 1 /bin/true' &
		sp=$!
		sleep 10
		;;
	*)
		sh -c 'seq 2000 | xargs -P 8 -n 1 /bin/true'
		;;
	esac
	t1=$(date +%s)
	kill -TERM $tp
	wait $tp
	rc=$?
	t2=$(date +%s)
	[ "$mode" = during ] && wait "$sp"
	execs=$(zcat $out/t.jsonl.gz 2>/dev/null | grep -c '"type":"process_exec"')
	echo "round $r ($mode): storm $((t1 - t0))s, $execs execs traced," \
		"tracerd stopped in $((t2 - t1))s, exit $rc"
	r=$((r + 1))
done
echo "lockup-guest: done"
