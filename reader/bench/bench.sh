#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The reader's benchmark: tracerd summary on a 1,000,000-event trace, against gunzip | jq
# computing the same summary (programs with counts, hosts per process, DNS names,
# sensitive files read, files written, losses).
#
#   reader/bench/bench.sh ./tracerd [EVENTS]
#
# The trace is made by gen.py from a real trace that tracerd records here of a CI-like
# job (git, python, tar, curl, a C compile), cached in build/reader/bench/. Prints wall
# and CPU seconds of the best of 3 runs of each (one of jq), peak RSS, and writes
# build/reader/bench/results.json.
set -eu

tracerd=$(realpath "$1")
events=${2:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/reader/bench
mkdir -p "$out"
real=$out/real.jsonl.gz
big=$out/synthetic-$events.jsonl.gz

if [ ! -s "$real" ]; then
	work=$(mktemp -d "$out/job.XXXXXX")
	"$tracerd" --job-id bench-source --out "$real" --force -- sh -c "
		cd '$work' && git init -q repo && cd repo &&
		cp -r '$root/reader' . && git add . && git -c user.name=b -c user.email=b@b commit -qm x &&
		tar czf ../src.tgz . && python3 -c 'import json, email, http.client, sqlite3' &&
		cc -O1 -c '$root/reader/util.c' -o ../util.o &&
		curl -s --max-time 2 http://127.0.0.1:9/ ; cat /etc/hostname /etc/os-release >/dev/null;
		ls -R /usr/include >/dev/null; true" >/dev/null
	rm -rf "$work"
fi
[ -s "$big" ] || /usr/bin/python3 "$root/reader/bench/gen.py" "$real" "$big" "$events"

# shellcheck disable=SC2016 # jq's variables, not the shell's
jq_summary='reduce inputs as $e ({};
	if $e.type == "process_exec" then .exec[$e.exe // "?"] += 1
	elif $e.type == "net_connect" then
		.hosts[$e.comm][($e.hostname // $e.dst_addr) + ":" + ($e.dst_port | tostring)] += 1
	elif $e.type == "dns_query" then .dns[$e.hostname] += 1
	elif $e.type == "file_open" and $e.ret >= 0 and ($e.path | test(
		"/(\\.netrc|_netrc|\\.git-credentials|\\.npmrc|\\.pypirc|\\.docker/config\\.json|\\.kube/config|\\.aws/(credentials|config))$|/\\.ssh/id_|^/proc/[0-9]+/(mem|environ)$|^/etc/g?shadow$"))
		then .sensitive[$e.path][$e.comm] += 1
	elif $e.type == "file_write" then .written[$e.path] += $e.bytes
	elif $e.type == "process_exit" then .exited[$e.exec_id] = true
	elif $e.type == "events_lost" then .lost += $e.count
	else . end)'

# best_of N CMD...: runs CMD N times; prints "wall user+sys maxrss_kb" of the fastest.
best_of() {
	best=""
	runs=$1
	shift
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" >/dev/null
		line=$(awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4}' "$out/time")
		if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $4)}')" = 1 ]; then
			best=$line
		fi
	done
	echo "$best"
}

size=$(stat -c %s "$big")
lines=$(gzip -dc "$big" | wc -l)
bytes=$(gzip -dc "$big" | wc -c)
echo "trace: $big"
echo "       $lines lines, $((bytes / 1048576)) MiB of JSON, $((size / 1048576)) MiB gzip"
gunzip_t=$(best_of 3 sh -c "gzip -dc '$big' >/dev/null")
reader_t=$(best_of 3 "$tracerd" summary "$big")
check_t=$(best_of 3 "$tracerd" check "$big")
# jq takes minutes: one run.
jq_t=$(best_of 1 sh -c "gzip -dc '$big' | jq -n '$jq_summary'")
printf '%-32s %8s %12s %10s\n' "" "wall s" "CPU s" "RSS MiB"
for row in "gzip -dc (the floor)|$gunzip_t" "tracerd summary|$reader_t" \
	"tracerd check|$check_t" "gzip -dc, jq (same summary)|$jq_t"; do
	name=${row%%|*}
	# shellcheck disable=SC2086 # three numbers, split on purpose
	set -- ${row#*|}
	printf '%-32s %8s %12s %10s\n' "$name" "$1" "$2" "$(($3 / 1024))"
done
# shellcheck disable=SC2086
set -- $reader_t
verdict=$(echo "$1" | awk '{print ($1 < 3.0) ? "PASS" : "MISS"}')
echo "target: summary of $events events in under 3 s: $verdict ($1 s wall)"
cat >"$out/results.json" <<JSON
{"events": $events, "lines": $lines, "json_bytes": $bytes, "gzip_bytes": $size,
 "gunzip": "$gunzip_t", "summary": "$reader_t", "check": "$check_t", "jq": "$jq_t",
 "fields": "wall_s cpu_s maxrss_kb", "target_3s": "$verdict"}
JSON
