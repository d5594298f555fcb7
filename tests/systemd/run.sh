#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/systemd/run.sh        (make test-systemd; as root, from the source tree)
#
# packaging/tracerd@.service under a real systemd, as PID 1 of a qemu guest (TCG software
# emulation): Debian bookworm's generic kernel (tests/vm/fetch-kernel.sh: extracted from
# its .deb, nothing installed on this machine), a busybox initramfs whose /init
# (tests/systemd/init.sh) lays a tmpfs overlay over this machine's root shared read-only
# over virtio-9p, installs this tree into it (`make install DESTDIR=`) and switch_roots
# into /lib/systemd/systemd, which boots to tracerd-systemd-test.target. There
# tests/systemd/guest-test.sh starts and stops tracerd@JOB with systemctl, runs a job
# that exhausts memory, records `systemd-analyze security` and runs
# tests/deploy/test-hooks.sh, then powers off. Back here the trace is checked line by line
# (tests/systemd/check-trace.py) and the guest's kernel log is scanned for lockups, BUG,
# Oops, WARNING, call traces and seccomp audit records (tests/vm/scan-kernel-log.sh).
#
# Prints one line per check and "systemd: N passed, N failed"; exits 0 when all passed,
# 1 otherwise, 77 when it cannot run here (not root, no qemu, no kernel: a failure under
# TRACERD_E2E=required, as CI sets). Everything it makes is under build/systemd/:
# out/results/ has the guest's console, journal, dmesg, trace and logs.
# Environment: SYSTEMD_TEST_TIMEOUT (seconds for the whole guest, default 900),
# SYSTEMD_TEST_MEM (guest memory in MiB, default 256: small, so that the job runs it out
# of memory quickly), SYSTEMD_TEST_DROPIN (a file installed as a drop-in of tracerd@.service
# in the guest: to try a directive under a real systemd before it goes into the unit),
# PYTHON (default /usr/bin/python3), MAKE.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
work=$top/build/systemd
out=$work/out
res=$out/results
timeout_s=${SYSTEMD_TEST_TIMEOUT:-900}
mem=${SYSTEMD_TEST_MEM:-256}
python=${PYTHON:-/usr/bin/python3}
start=$(date +%s)

skip() {
	echo "systemd: SKIP: $*"
	[ "${TRACERD_E2E:-}" = required ] && { echo "systemd: 0 passed, 1 failed"; exit 1; }
	exit 77
}
[ "$(id -u)" = 0 ] || skip "not root (the guest shares this machine's root as root)"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
[ "$(uname -m)" = x86_64 ] || skip "the guest runs this machine's binaries: x86_64 only"
[ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"

kdir=$(tests/vm/fetch-kernel.sh bookworm amd64) || skip "cannot fetch bookworm's kernel"

rm -rf "$out"
mkdir -p "$res"
${MAKE:-make} --no-print-directory install DESTDIR="$out/dest" PREFIX=/usr/local >"$work/install.log"
if [ -n "${SYSTEMD_TEST_DROPIN:-}" ]; then
	install -D -m 0644 "$SYSTEMD_TEST_DROPIN" "$out/dest/etc/systemd/system/tracerd@.service.d/test.conf"
fi
echo "TRACERD_E2E=${TRACERD_E2E:-}" >"$out/guest.env"
tests/vm/mkinitramfs.sh "$kdir" "$work/initramfs.cpio.gz" tests/systemd/init.sh \
	virtio_pci 9pnet_virtio 9p overlay

# tsc=unstable no_timer_check: TCG's TSC calibration goes wrong on a busy host (as in
# tests/vm/run-guest.sh). thread=single: one host thread runs both vCPUs, so that one is
# never descheduled while the other spins waiting for it (soft lockups on a busy host).
# loglevel=4 keeps the OOM killer's report off the serial console (slow under TCG: long
# reports there stall the CPU printing them); dmesg.txt has the whole kernel log.
# fstab=no, systemd.gpt_auto=no: no disks; systemd.unit: straight to the test.
cmdline="console=ttyS0 loglevel=4 panic=-1 tsc=unstable no_timer_check mitigations=off"
cmdline="$cmdline fstab=no systemd.gpt_auto=no systemd.firstboot=off"
cmdline="$cmdline systemd.unit=tracerd-systemd-test.target"
echo "systemd: booting $(cat "$kdir/release") under qemu TCG (${mem} MiB, 2 vCPUs; \
timeout ${timeout_s}s; console in $res/console.log)"
set +e
timeout "$timeout_s" qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 2 -m "$mem" \
	-display none -monitor none -no-reboot -nic none -serial "file:$res/console.log" \
	-kernel "$kdir/vmlinuz" -initrd "$work/initramfs.cpio.gz" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$top,mount_tag=tracerd-src,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$out,mount_tag=tracerd-out,security_model=none,multidevs=remap" \
	</dev/null >"$work/qemu.log" 2>&1
qrc=$?
set -e
guest_s=$(($(date +%s) - start))

failed=0
results=$work/results.txt
: >"$results"
[ -f "$res/results" ] && cat "$res/results" >>"$results"
if [ "$qrc" = 124 ]; then
	echo "not ok guest-finished: the guest did not power off within ${timeout_s}s" >>"$results"
elif [ ! -s "$res/status" ]; then
	echo "not ok guest-finished: qemu exited $qrc without the guest's status" \
		"($(tail -n 3 "$work/qemu.log" | tr '\n' ' '))" >>"$results"
fi

if [ -s "$res/facts" ] && [ -s "$res/trace.jsonl.gz" ]; then
	fact() { sed -n "s/^$1=//p" "$res/facts"; }
	stop_reason=
	grep -q stop_reason README.md && stop_reason=--stop-reason
	oom_pid=$(fact oom_pid)
	# shellcheck disable=SC2086
	"$python" tests/systemd/check-trace.py --trace "$res/trace.jsonl.gz" --job "$(fact job)" \
		--main-pid "$(fact main_pid)" --marker "$(fact marker)" \
		${oom_pid:+--oom-pid "$oom_pid"} $stop_reason >"$res/check-trace.txt" 2>&1 || true
	grep '^ok \|^not ok ' "$res/check-trace.txt" >>"$results" ||
		echo "not ok check-trace: $(tail -n 3 "$res/check-trace.txt")" >>"$results"
fi

# The OOM killer's report (from "invoked oom-killer" to its "Killed process" line) has a
# call trace by design: it is cut out before the scan; anything else in it still counts.
logs=
for f in console.log dmesg.txt; do
	[ -s "$res/$f" ] || continue
	awk '/invoked oom-killer:/ { oom = 1 }
	     oom && /BUG|Oops|WARNING|lockup|stall|audit: type=1326/ { print; next }
	     !oom { print }
	     /Out of memory: Killed process|oom-kill:.*task=/ && oom { oom = /oom-kill:/ }' \
		"$res/$f" >"$res/$f.scanned"
	logs="$logs $res/$f.scanned"
done
if [ -z "$logs" ]; then
	echo "not ok kernel-log: no console log or dmesg from the guest" >>"$results"
elif scan=$(tests/vm/scan-kernel-log.sh $logs); then
	echo "ok kernel-log-clean" >>"$results"
else
	echo "not ok kernel-log-clean: $scan" >>"$results"
fi

passed=$(grep -c '^ok ' "$results" || true)
failed=$(grep -c '^not ok ' "$results" || true)
cat "$results"
grep '^#' "$res/log" 2>/dev/null | sed 's/^/systemd: /' || true
if [ "$failed" != 0 ] || [ "$passed" = 0 ]; then
	echo "systemd: the guest's console, last lines ($res/console.log):"
	tail -n 40 "$res/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /'
fi
echo "systemd: guest ran ${guest_s}s, $(($(date +%s) - start))s in all"
echo "systemd: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" != 0 ]
