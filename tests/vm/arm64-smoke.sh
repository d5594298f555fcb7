#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/arm64-smoke.sh            (make test-arm64; also run by make test-kernels)
#
# tracerd on arm64: cross-builds the static arm64 tracerd (make tracerd-arm64) and the
# static workload tests/vm/arm64-workload.c, boots Debian's arm64 kernel (ARM64_DIST,
# default bookworm; fetched by fetch-kernel.sh) under qemu-system-aarch64 with TCG and a
# busybox initramfs (mkinitramfs.sh, /init = arm64-init.sh), traces the workload there,
# and checks on the host (arm64-check.py): the exec, open, DNS and connect it did are in
# the trace with their exact values, trace_end says lost 0, every line is valid against
# schemas/, and the kernel log (console and dmesg) shows no BUG, Oops, WARNING, lockup or
# verifier complaint (scan-kernel-log.sh). Exit 0 when all of that holds.
# Environment: ARM64_TIMEOUT (seconds for the guest, default 600), TRACERD_E2E=required
# (a missing tool is a failure instead of a skip: exit 77 otherwise).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
work=$top/build/arm64/smoke
share=$work/share
cd "$top"
t0=$(date +%s)
say() { echo "arm64-smoke: $* ($(($(date +%s) - t0))s)"; }

skip() {
	if [ "${TRACERD_E2E:-}" = required ]; then
		echo "arm64-smoke: FAIL: $*" >&2
		exit 1
	fi
	echo "arm64-smoke: SKIP: $*" >&2
	exit 77
}
for tool in qemu-system-aarch64 aarch64-linux-gnu-gcc cpio bpftool clang; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (scripts/install-deps.sh)"
done
[ -e /usr/lib/aarch64-linux-gnu/libbpf.a ] ||
	skip "libbpf-dev:arm64 is missing (scripts/install-deps.sh)"

mkdir -p "$work" "$share"
make --no-print-directory tracerd-arm64 >"$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	echo "arm64-smoke: FAIL: make tracerd-arm64" >&2
	exit 1
}
aarch64-linux-gnu-gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror \
	-o "$work/arm64-workload" "$vm/arm64-workload.c"
say "built build/arm64/tracerd and the workload"

kdir=$("$vm/fetch-kernel.sh" "${ARM64_DIST:-bookworm}" arm64)
say "kernel $(cat "$kdir/release") in $kdir"

# busybox-static for arm64, from the archive (dpkg --add-architecture arm64 makes it known).
bb=$work/busybox/bin/busybox
if [ ! -x "$bb" ]; then
	rm -rf "$work/busybox" "$work/debs"
	mkdir -p "$work/debs"
	(cd "$work/debs" && apt-get download -q busybox-static:arm64 >/dev/null 2>&1) ||
		skip "cannot download busybox-static:arm64 (dpkg --add-architecture arm64; apt-get update)"
	dpkg-deb -x "$work"/debs/busybox-static_*_arm64.deb "$work/busybox"
fi

initrd=$work/initramfs-$(cat "$kdir/release").cpio.gz
# Rebuilt when the init script or the builder changed since.
if [ ! -s "$initrd" ] ||
	[ -n "$(find "$vm/arm64-init.sh" "$vm/mkinitramfs.sh" -newer "$initrd")" ]; then
	BUSYBOX=$bb "$vm/mkinitramfs.sh" "$kdir" "$initrd" "$vm/arm64-init.sh" \
		virtio_pci 9pnet_virtio 9p
fi
say "initramfs $initrd"

rm -f "$share"/*
cp build/arm64/tracerd "$work/arm64-workload" "$share/"
# -cpu max with the implementation-defined pointer authentication: the architected QARMA
# algorithm is the slowest part of emulating a recent arm64 CPU under TCG.
set +e
timeout -s KILL "${ARM64_TIMEOUT:-600}" qemu-system-aarch64 -M virt \
	-cpu max,pauth-impdef=on -accel tcg -m 2048 -smp 2 -nographic -no-reboot \
	-monitor none -serial stdio \
	-virtfs "local,path=$share,mount_tag=smoke,security_model=none,multidevs=remap" \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyAMA0 panic=-1 loglevel=6" </dev/null >"$work/console.log" 2>&1
rc=$?
set -e
say "guest done (qemu exit $rc), console in $work/console.log"
if [ ! -s "$share/status" ]; then
	tail -n 40 "$work/console.log" >&2
	echo "arm64-smoke: FAIL: the guest did not run tracerd to its end" >&2
	exit 1
fi
cp "$work/console.log" "$share/console.log"
fail=0
"$vm/scan-kernel-log.sh" -x "$vm/arm64-kernel-log-exceptions.txt" \
	"$share/console.log" "$share/dmesg.txt" || fail=1
/usr/bin/python3 "$vm/arm64-check.py" "$share" || fail=1
if [ "$fail" = 0 ]; then
	say "PASS: $(cat "$share/machine") $(cat "$share/release")"
else
	say "FAIL (results in $share)"
fi
exit "$fail"
