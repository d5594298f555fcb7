#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# tracerd@.service under a real systemd: the tests run inside the guest that
# tests/systemd/run.sh boots, by tracerd-systemd-test.service, as root, with systemd as
# PID 1. Results go to the tracerd-out share (/tracerd-test/out/results):
#   results        one line per check: "ok NAME" or "not ok NAME: why"
#   facts          what the host needs to check the trace: job, main_pid, marker, oom_pid
#   trace.jsonl.gz the trace tracerd@JOB left; the host checks it line by line
#                  (tests/systemd/check-trace.py: jsonschema under emulation takes minutes)
#   log            what ran, with the figures (start and stop times, exposure, ...)
#   security.txt   systemd-analyze security tracerd@JOB.service
#   tracerd-journal.txt, journal.txt, dmesg.txt, oomjob.txt, test-hooks.txt
#   status         PASS or FAIL, written last: without it the guest died on the way
# Each step has a timeout; run.sh's bounds the whole.
set -u

src=/tracerd-test/src
out=/tracerd-test/out/results
mkdir -p $out
: >$out/results
exec >>$out/log 2>&1
# TRACERD_E2E from the host (run.sh): =required turns the hook test's skip into a failure.
TRACERD_E2E=$(sed -n 's/^TRACERD_E2E=//p' /tracerd-test/out/guest.env 2>/dev/null)
export TRACERD_E2E

job=sd-$(cut -c1-8 /proc/sys/kernel/random/uuid)
unit=tracerd@$job.service
trace=/var/lib/tracerd/$job.jsonl.gz
marker=tracerd-marker-$job

say() { echo "$*" | tee /dev/console; }
ok() { say "ok $1"; echo "ok $1" >>$out/results; }
notok() { say "not ok $1: $2"; echo "not ok $1: $2" >>$out/results; }
check() { # NAME WHY CONDITION...: ok when the condition (a command) succeeds
	name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else notok "$name" "$why"; fi
}
prop() { systemctl show -P "$2" "$1"; }
now_ms() { echo $(($(cut -d' ' -f1 /proc/uptime | tr -d .) * 10)); }

say "# guest: $(uname -r), systemd $(systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p'), \
$(sed -n 's/MemTotal: *//p' /proc/meminfo), job $job"
say "# boot: the test started $(cut -d' ' -f1 /proc/uptime) s after the kernel"

# A hash cache from an earlier job, one entry of a block device's file (major 1): read at
# start, written back at exit through the daemon's sandbox (checked after the stop).
seeded="$(printf 'a%.0s' $(seq 64)) 1048577 12 34 1700000000 5"
mkdir -p -m 0750 /var/lib/tracerd
(umask 077 && printf '# tracerd hash cache 1\n%s\n' "$seeded" >/var/lib/tracerd/exehash.cache)

# --- a) systemctl start returns once tracing is live -----------------------------------
t0=$(now_ms)
timeout 180 systemctl start "$unit"
rc=$?
# Right after start returns, before anything else: this exec must be in the trace.
/bin/true "$marker"
t1=$(now_ms)
say "# systemctl start: exit $rc after $((t1 - t0)) ms"
check start "systemctl start exited $rc" [ "$rc" = 0 ]
state=$(prop "$unit" ActiveState)/$(prop "$unit" SubState)
check start-active "the unit is $state" [ "$state" = active/running ]
pid=$(prop "$unit" MainPID)
check notify-type "Type is $(prop "$unit" Type)" [ "$(prop "$unit" Type)" = notify ]
# ExecMainStartTimestamp to ActiveEnterTimestamp: how long tracerd took to send READY=1.
ready_us=$(($(prop "$unit" ActiveEnterTimestampMonotonic) - \
	$(prop "$unit" ExecMainStartTimestampMonotonic)))
say "# tracerd pid $pid: exec to READY=1 $((ready_us / 1000)) ms"

# --- c) the hardening directives do not get in the way ---------------------------------
status=/proc/$pid/status
capeff=$(sed -n 's/^CapEff:\t*//p' $status)
capbnd=$(sed -n 's/^CapBnd:\t*//p' $status)
nnp=$(sed -n 's/^NoNewPrivs:\t*//p' $status)
seccomp=$(sed -n 's/^Seccomp:\t*//p' $status)
oomadj=$(cat /proc/$pid/oom_score_adj)
say "# tracerd live: CapEff=$capeff CapBnd=$capbnd NoNewPrivs=$nnp Seccomp=$seccomp oom_score_adj=$oomadj"
# Once live tracerd keeps CAP_DAC_READ_SEARCH (bit 2), and CAP_BPF (bit 39) on kernels
# that check it for map reads; nothing else, in its effective and bounding sets alike.
keep=$(((1 << 2) | (1 << 39)))
check live-capabilities "CapEff=$capeff CapBnd=$capbnd" \
	[ "$((0x$capeff & ~keep))/$((0x$capbnd & ~keep))" = 0/0 ]
check live-seccomp "NoNewPrivs=$nnp Seccomp=$seccomp" [ "$nnp/$seccomp" = 1/2 ]
# Its hasher child keeps CAP_DAC_READ_SEARCH (bit 2) and CAP_SYS_PTRACE (bit 19) only.
hasher=""
for k in $(cat /proc/$pid/task/$pid/children 2>/dev/null); do
	[ "$(cat /proc/$k/comm 2>/dev/null)" = tracerd-hasher ] && hasher=$k
done
hstatus=/proc/${hasher:-0}/status
hcap=$(sed -n 's/^CapEff:\t*//p' $hstatus 2>/dev/null)
hbnd=$(sed -n 's/^CapBnd:\t*//p' $hstatus 2>/dev/null)
hsec=$(sed -n 's/^NoNewPrivs:\t*//p' $hstatus 2>/dev/null)/$(sed -n 's/^Seccomp:\t*//p' $hstatus 2>/dev/null)
say "# hasher pid ${hasher:-none}: CapEff=$hcap CapBnd=$hbnd NoNewPrivs/Seccomp=$hsec"
hkeep=$(((1 << 2) | (1 << 19)))
check hasher-capabilities "hasher ${hasher:-none}: CapEff=$hcap CapBnd=$hbnd $hsec" \
	[ -n "$hasher" ] && [ "$((0x$hcap & ~hkeep))/$((0x$hbnd & ~hkeep))/$hsec" = 0/0/1/2 ]
check oom-score-adj "oom_score_adj is $oomadj" [ "$oomadj" = -900 ]

# --- d) a job that exhausts memory is killed before the tracer -------------------------
# The job runs as a transient service (as a runner would run it), so that the OOM kill
# ends that unit, not this test's. Its workers are each half tracerd's size: without
# OOMScoreAdjust=-900 tracerd would be the OOM killer's choice.
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "$status")
worker_mib=$((rss / 2048))
[ "$worker_mib" -ge 4 ] || worker_mib=4
oom_pids=/run/tracerd-oomjob.pids
t0=$(now_ms)
timeout 240 systemd-run --wait --unit="tracerd-oomjob-$job" --property=OOMScoreAdjust=0 \
	/usr/bin/python3 $src/tests/systemd/oom-job.py $oom_pids $worker_mib >$out/oomjob.txt 2>&1
rc=$?
t1=$(now_ms)
cat $out/oomjob.txt
killed=$(dmesg | sed -n 's/.*Killed process \([0-9]*\) (\([^)]*\)).*/\1 \2/p')
oompid=$(echo "$killed" | sed -n 's/^\([0-9]*\) oomjob-worker$/\1/p' | head -n 1)
say "# oom job: tracerd VmRSS $((rss / 1024)) MiB, $(wc -l <$oom_pids) workers of $worker_mib MiB,\
 systemd-run exit $rc after $((t1 - t0)) ms; the OOM killer killed: $(echo $killed)"
check oom-job-killed "the OOM killer killed [$(echo $killed)], no worker of the job" \
	grep -qx "${oompid:-none}" $oom_pids
check oom-job-result "systemd-run: $(tr '\n' ' ' <$out/oomjob.txt)" \
	grep -q 'Finished with result: oom-kill' $out/oomjob.txt
check oom-tracer-spared "the OOM killer killed tracerd ($pid): $(echo $killed)" \
	sh -c '! echo "$1" | grep -q "^$2 "' - "$killed" "$pid"
state=$(prop "$unit" ActiveState)/$(prop "$unit" SubState)
pid2=$(prop "$unit" MainPID)
check oom-tracer-alive "after the OOM kill the unit is $state, MainPID $pid2 (was $pid)" \
	[ "$state/$pid2/$(prop "$unit" NRestarts)" = "active/running/$pid/0" ]

# --- c) continued: the unit's security exposure, what it logged ------------------------
systemd-analyze security --no-pager "$unit" >$out/security.txt 2>&1
say "# $(grep 'Overall exposure level' $out/security.txt)"
check analyze-security "systemd-analyze security failed: $(tail -n 3 $out/security.txt)" \
	grep -q 'Overall exposure level' $out/security.txt
systemd-analyze verify "$unit" >$out/verify.txt 2>&1
rc=$?
check analyze-verify "systemd-analyze verify exited $rc: $(head -c 1000 $out/verify.txt)" \
	[ "$rc/$(wc -c <$out/verify.txt)" = 0/0 ]

# --- b) systemctl stop leaves a complete trace -----------------------------------------
# PID 1 logs a main process's exit status at debug level only when the exit counts as a
# success (exit 0, and SIGTERM too): for the stop, it logs at debug level, so that the
# journal says which it was. The unit itself is gone from memory once stopped.
# An exec whose hash the trace must carry, read by the hasher under the unit's sandbox.
# Not from the root: this guest's is an overlay of 9p under tmpfs, whose stat() reports
# other device and inode numbers than the kernel's exec sees (every exec there is
# "replaced", README "Executables' hashes"); /dev/shm is a plain tmpfs.
cp /usr/bin/true /dev/shm/tracerd-true
/dev/shm/tracerd-true
true_sha=$(sha256sum /dev/shm/tracerd-true | cut -d' ' -f1)
systemd-analyze log-level debug
t0=$(now_ms)
timeout 120 systemctl stop "$unit"
rc=$?
t1=$(now_ms)
systemd-analyze log-level info
say "# systemctl stop: exit $rc after $((t1 - t0)) ms"
exited=$(journalctl -b --no-pager -o cat -u "$unit" | grep -m 1 'Main process exited')
check stop "systemctl stop exited $rc; PID 1 saw: ${exited:-no exit}" \
	[ "$rc/${exited%% (*}" = "0/$unit: Main process exited, code=exited, status=0/SUCCESS" ]

# Everything tracerd wrote to stderr (the journal), and any warning about its unit.
journalctl -b --no-pager -o short-monotonic -u "$unit" >$out/tracerd-journal.txt 2>&1
own=$(journalctl -b --no-pager -o cat _PID="$pid" 2>/dev/null)
warn=$(journalctl -b --no-pager -o cat -p warning -u "$unit" 2>/dev/null)
check quiet-journal "tracerd or its unit logged: $own $warn" [ -z "$own$warn" ]

modes=$(stat -c %a /var/lib/tracerd)/$(stat -c %a "$trace")
check trace-modes "state directory/trace modes are $modes" [ "$modes" = 750/640 ]
gz=$(gzip -t "$trace" 2>&1)
rc=$?
check trace-gzip-complete "gzip -t exited $rc: $gz" [ "$rc" = 0 ]
last=$(gzip -dc "$trace" | tail -n 1 | cut -c 1-20)
check trace-ends-with-trace_end "last line starts $last" [ "$last" = '{"type":"trace_end",' ]
hashed=$(gzip -dc "$trace" | grep '"type":"process_exec"' | grep '"exe":"/dev/shm/tracerd-true"' |
	grep -c "\"exe_sha256\":\"$true_sha\"")
check trace-exe-sha256 "process_exec lines of /dev/shm/tracerd-true with its sha256: $hashed" \
	[ "${hashed:-0}" -ge 1 ]
# The unit keeps the hashes for the next job in a file of root's alone, rewritten at exit
# under the daemon's sandbox: the seeded entry is back. Every file here is on an anonymous
# device (the 9p root, its tmpfs overlay, /dev/shm), whose numbers a later mount may get:
# none of this job's is kept (README "Executables' hashes").
cache=/var/lib/tracerd/exehash.cache
cache_mode=$(stat -c %a "$cache" 2>/dev/null)
cache_text=$(cat "$cache" 2>/dev/null)
check hash-cache-kept "$cache mode ${cache_mode:-missing}, holding: ${cache_text:-nothing}" \
	test "${cache_mode:-missing}" = 600 -a "$cache_text" = "# tracerd hash cache 1
$seeded"
cp "$trace" $out/trace.jsonl.gz
printf 'job=%s\nmain_pid=%s\nmarker=%s\noom_pid=%s\n' "$job" "$pid" "$marker" "$oompid" \
	>$out/facts

# --- f) the runner hooks, where they exist ---------------------------------------------
if [ -x $src/tests/deploy/test-hooks.sh ]; then
	t0=$(now_ms)
	(cd $src && timeout 600 tests/deploy/test-hooks.sh) >$out/test-hooks.txt 2>&1
	rc=$?
	t1=$(now_ms)
	cat $out/test-hooks.txt
	say "# tests/deploy/test-hooks.sh: exit $rc after $((t1 - t0)) ms; $(tail -n 1 $out/test-hooks.txt)"
	check deploy-hooks "tests/deploy/test-hooks.sh exited $rc: $(tail -n 5 $out/test-hooks.txt)" \
		[ "$rc" = 0 ]
else
	notok deploy-hooks "tests/deploy/test-hooks.sh is missing"
fi

# --- the record ------------------------------------------------------------------------
systemctl --failed --no-pager >$out/failed-units.txt 2>&1
journalctl -b --no-pager -o short-monotonic >$out/journal.txt 2>&1
dmesg >$out/dmesg.txt 2>&1
if grep -q '^not ok' $out/results || ! grep -q '^ok' $out/results; then
	echo FAIL >$out/status
else
	echo PASS >$out/status
fi
sync
say "# guest tests: $(grep -c '^ok' $out/results) ok, $(grep -c '^not ok' $out/results) not ok"
exit 0
