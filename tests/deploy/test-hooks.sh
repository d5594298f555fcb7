#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The runner hooks against a real systemd: what a GitHub self-hosted runner does, as an
# unprivileged runner user, from job start to the trace uploaded.
#
# Interface (for make test-systemd's guest):
#   Run:      tests/deploy/test-hooks.sh          from the source tree, as root
#   Needs:    systemd as PID 1 (/run/systemd/system); this tree installed with
#             `make install` (any PREFIX) or the .deb: tracerd, tracerd@.service, the hooks in
#             /usr/lib/tracerd or /usr/local/lib/tracerd (TRACERD_HOOKS_DIR= to choose),
#             /etc/sudoers.d/tracerd; sudo, curl, python3, gzip, runuser, useradd.
#             Loopback networking (127.0.0.1) for the upload server.
#   Changes:  creates the group tracerd-hook and the users tracerd-runner (in the group) and
#             tracerd-outsider (not in it), removed at the end; writes
#             /etc/tracerd/upload.conf for the test and restores what was there; adds and
#             removes a runtime drop-in for one tracerd@ instance.
#   Output:   one line per check, "ok"/"FAIL" first, then "hooks: N passed, N failed".
#   Exit:     0 all passed; 1 a check failed; 77 not runnable here (not root, no systemd
#             as PID 1, nothing installed): a skip, which CI's TRACERD_E2E=required makes 1.
#   Time:     25 s on this project's machine (systemd-nspawn); each of its 5 trace starts
#             waits for READY=1, so expect minutes under qemu TCG emulation.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0

skip()
{
	echo "hooks: SKIP: $*"
	[ "${TRACERD_E2E:-}" = required ] && exit 1
	exit 77
}
check()
{
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		fail=$((fail + 1))
	fi
}

[ "$(id -u)" -eq 0 ] || skip "run as root"
[ -d /run/systemd/system ] || skip "systemd is not PID 1"
libdir=${TRACERD_HOOKS_DIR:-}
if [ -z "$libdir" ]; then
	for d in /usr/lib/tracerd /usr/local/lib/tracerd; do
		[ -x "$d/tracerd-hook" ] && libdir=$d && break
	done
fi
if [ -z "$libdir" ] || [ ! -x "$libdir/tracerd-job" ]; then
	skip "no hooks installed (make install)"
fi
[ -f /etc/sudoers.d/tracerd ] || skip "no /etc/sudoers.d/tracerd (make install)"
command -v sudo >/dev/null || skip "sudo is not installed"
systemctl cat tracerd@.service >/dev/null 2>&1 || skip "tracerd@.service is not installed"

work=$(mktemp -d /tmp/tracerd-hooks.XXXXXX)
chmod 755 "$work"
conf=/etc/tracerd/upload.conf
users_made=()
server=''
cleanup()
{
	[ -z "$server" ] || kill "$server" 2>/dev/null
	if [ -e "$work/upload.conf.saved" ]; then
		mv -f "$work/upload.conf.saved" "$conf"
	else
		rm -f "$conf"
	fi
	rm -rf /run/systemd/system/tracerd@gh-*-hooks-guest*.service.d
	systemctl daemon-reload
	for u in "${users_made[@]}"; do userdel -r "$u" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

getent group tracerd-hook >/dev/null || groupadd --system tracerd-hook
for u in tracerd-runner tracerd-outsider; do
	if ! id "$u" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/sh "$u" && users_made+=("$u")
	fi
done
usermod -aG tracerd-hook tracerd-runner
runner_uid=$(id -u tracerd-runner)

# The object store: a loopback server that stores PUTs.
python3 "$top/tests/deploy/putserver.py" "$work/store" "$work/port" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
read -r port <"$work/port" || skip "the loopback PUT server did not start"

mkdir -p /etc/tracerd
[ ! -e "$conf" ] || cp -p "$conf" "$work/upload.conf.saved"
cat >"$conf" <<CONF
# written by tests/deploy/test-hooks.sh
url = http://127.0.0.1:$port/fleet/{key}?X-Amz-Signature=test
checksum = both
retry_delay = 1
attempts = 3
CONF
chmod 600 "$conf"

# as_runner USER RUN_ID COMMAND...: the hook's environment, as the GitHub runner gives it.
as_runner()
{
	local user=$1 run=$2
	shift 2
	runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/home/$user" \
		GITHUB_ACTIONS=true GITHUB_RUN_ID="$run" GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=hooks \
		RUNNER_NAME=guest GITHUB_REPOSITORY=acme/hooks \
		GITHUB_STEP_SUMMARY="$work/summary-$run.md" "$@"
}

run=$(date +%s)
job="gh-$run-1-hooks-guest"
trace="/var/lib/tracerd/$job.jsonl.gz"
marker="tracerd-hooks-marker-$run"
install -o tracerd-runner -m 644 /dev/null "$work/summary-$run.md"

# 1. The started hook, as the unprivileged runner user.
as_runner tracerd-runner "$run" bash "$libdir/github-job-started.sh" 2>"$work/started.err"
check "started hook exits 0" [ $? -eq 0 ]
check "tracerd@$job is active" systemctl is-active --quiet "tracerd@$job.service"
check "the trace file exists" [ -f "$trace" ]

# 2. The job, as the runner user.
as_runner tracerd-runner "$run" sh -c "cat /etc/hostname >/dev/null; \
	curl -s -o /dev/null http://127.0.0.1:$port/$marker; /bin/echo $marker >/dev/null"

# 3. The completed hook: stop, summary, upload.
as_runner tracerd-runner "$run" bash "$libdir/github-job-completed.sh" 2>"$work/completed.err"
check "completed hook exits 0" [ $? -eq 0 ]
check "tracerd@$job is stopped" test "$(systemctl is-active "tracerd@$job.service")" != active
check "the local trace is removed after the upload" [ ! -e "$trace" ]
# putserver.py writes what it accepted to disk within 50 ms of its answer: wait for it.
wait_stored() {
	local tries=50 found
	while [ "$tries" -gt 0 ]; do
		# The headers are written first, the trace renamed into place last.
		found=$(find "$work/store" -name "$1" 2>/dev/null | head -n 1)
		if [ -n "$found" ]; then
			echo "$found"
			return 0
		fi
		tries=$((tries - 1))
		sleep 0.1
	done
	return 1
}
stored=$(wait_stored "$job.jsonl.gz")
# The date partition is the trace's own (its trace_start), not the day the check runs:
# a job that crosses midnight UTC stays under the day it started.
started=$(gzip -dc "$stored" 2>/dev/null | head -n 1 | sed -n 's/.*"timestamp":"\([0-9-]*\)T.*/\1/p')
check "uploaded under fleet/date=YYYY-MM-DD/repo=acme_hooks/$job.jsonl.gz" \
	test "${stored#"$work/store/"}" = "fleet/date=${started:-none}/repo=acme_hooks/$job.jsonl.gz"
check "the upload carried Content-MD5 and x-amz-checksum-sha256" \
	grep -q '"Content-MD5".*"x-amz-checksum-sha256"' "$stored.headers"
check "the uploaded trace is a complete gzip stream" gzip -t "$stored"
verify_trace()
{
	gzip -dc "$1" | python3 -c '
import json, sys
marker, uid, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [json.loads(l) for l in sys.stdin]
assert lines[0]["type"] == "trace_start", lines[0]
assert lines[-1]["type"] == "trace_end", lines[-1]
execs = [l for l in lines if l["type"] == "process_exec" and marker in " ".join(l["args"])]
assert any(l["exe"] == "/usr/bin/echo" and l["uid"] == uid for l in execs), "no echo exec"
assert any(l["type"] == "net_connect" and l["dst_port"] == port and l["uid"] == uid
           for l in lines), "no connect"
assert any(l["type"] == "file_open" and l["path"] == "/etc/hostname" and l["uid"] == uid
           for l in lines), "no open"
' "$marker" "$runner_uid" "$port"
}
check "the trace ends with trace_end and holds the job's exec, connect and open" \
	verify_trace "$stored"
if "$(systemctl show -P ExecStart tracerd@x.service | sed -n 's/.*path=\([^ ;]*\).*/\1/p')" \
	summary --help >/dev/null 2>&1; then
	check "tracerd summary went to GITHUB_STEP_SUMMARY" [ -s "$work/summary-$run.md" ]
fi
check "the job id is in the journal" \
	bash -c "journalctl -t tracerd-job --since '-5min' -o cat | grep -q 'tracing job $job'"

# 4. Fail closed: tracerd@ that cannot start fails the started hook, and so the job.
run2=$((run + 1))
mkdir -p "/run/systemd/system/tracerd@gh-$run2-1-hooks-guest.service.d"
printf '[Service]\nExecStart=\nExecStart=/bin/false\n' \
	>"/run/systemd/system/tracerd@gh-$run2-1-hooks-guest.service.d/broken.conf"
systemctl daemon-reload
as_runner tracerd-runner "$run2" bash "$libdir/github-job-started.sh" 2>"$work/broken.err"
check "a tracer that does not start fails the started hook" [ $? -ne 0 ]
check "... saying so" grep -q "tracing did not start" "$work/broken.err"
systemctl reset-failed "tracerd@gh-$run2-1-hooks-guest.service" 2>/dev/null

# 5. A user outside tracerd-hook cannot start a trace: the hook fails closed, and says why.
as_runner tracerd-outsider "$((run + 2))" bash "$libdir/github-job-started.sh" 2>"$work/outsider.err"
check "a user outside tracerd-hook fails the started hook" [ $? -ne 0 ]
check "... naming the group" grep -q "tracerd-hook" "$work/outsider.err"

# 6. The sudoers rule is narrow: only the wrapper, which refuses anything but a job id.
runuser -u tracerd-runner -- sudo -n systemctl start "tracerd@x.service" 2>/dev/null
check "sudo systemctl is refused to the runner" [ $? -ne 0 ]
runuser -u tracerd-runner -- sudo -n "$libdir/tracerd-job" start "x ssh.service" 2>/dev/null
check "the wrapper refuses a unit smuggled into the job id (exit 2)" [ $? -eq 2 ]
runuser -u tracerd-runner -- env TRACERD_SYSTEMCTL=/bin/true \
	sudo -n "$libdir/tracerd-job" status "never-started" >/dev/null 2>&1
check "the caller's environment chooses nothing under sudo" [ $? -ne 0 ]

# 7. An upload that fails keeps the trace and does not fail the job.
run3=$((run + 3))
kill "$server"
wait "$server" 2>/dev/null
server=''
as_runner tracerd-runner "$run3" bash "$libdir/github-job-started.sh" 2>/dev/null
as_runner tracerd-runner "$run3" bash "$libdir/github-job-completed.sh" 2>"$work/noup.err"
check "a failed upload does not fail the completed hook" [ $? -eq 0 ]
check "... keeps the complete trace" bash -c \
	"gzip -dc /var/lib/tracerd/gh-$run3-1-hooks-guest.jsonl.gz | tail -n 1 | grep -q trace_end"
check "... and says so" grep -q "upload failed" "$work/noup.err"
rm -f "/var/lib/tracerd/gh-$run3-1-hooks-guest.jsonl.gz" "/var/lib/tracerd/gh-$run3-1-hooks-guest.repo"

# 8. An ephemeral VM's units: tracerd-collect@ starts tracerd@ with it, and its stop (a
# poweroff, or an explicit stop) stops the trace first, then uploads it.
python3 "$top/tests/deploy/putserver.py" "$work/store" "$work/port2" &
server=$!
for _ in $(seq 100); do [ -s "$work/port2" ] && break; sleep 0.1; done
read -r port <"$work/port2"
sed -i "s|^url = .*|url = http://127.0.0.1:$port/eph/{key}|" "$conf"
printf 'repo = acme_vm\n' >>"$conf"
eph="eph-$run"
if systemctl cat tracerd-collect@.service >/dev/null 2>&1; then
	systemctl start "tracerd@$eph.service" "tracerd-collect@$eph.service"
	check "tracerd-collect@ starts tracerd@" systemctl is-active --quiet "tracerd@$eph.service"
	systemctl stop "tracerd-collect@$eph.service"
	check "stopping tracerd-collect@ stops tracerd@" \
		test "$(systemctl is-active "tracerd@$eph.service")" != active
	# Under the day it started, whichever day it ends.
	wait_stored "$eph.jsonl.gz" >/dev/null
	check "... then uploads the complete trace" bash -c "gzip -dc \
		'$work'/store/eph/date=*/repo=acme_vm/'$eph'.jsonl.gz | tail -n 1 | grep -q trace_end"
	check "... and removes the local copy" [ ! -e "/var/lib/tracerd/$eph.jsonl.gz" ]
else
	check "tracerd-collect@.service is installed" false
fi

if [ "$fail" -ne 0 ]; then
	for f in "$work"/*.err; do
		echo "--- $(basename "$f")"
		cat "$f"
	done
fi
echo "hooks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
