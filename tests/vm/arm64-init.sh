#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the arm64 smoke guest (tests/vm/arm64-smoke.sh), PID 1 under busybox. It loads
# the 9p modules, mounts the host's share (tag smoke: the static arm64 tracerd, the
# workload, and where the results go), gives tracerd what a normal system has (proc, sys,
# BTF, cgroup2, bpffs, a tmpfs /tmp, loopback up), traces the workload with tracerd, then
# saves tracerd's status and output, uname -r and the whole kernel log in the share and
# powers off. Not meant to be run by hand.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "arm64-init: kernel $(uname -r) $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
die() {
	echo "arm64-init: $*"
	poweroff -f
}
load-modules || echo "arm64-init: some modules failed to load"
mkdir -p /smoke
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 smoke /smoke ||
	die "cannot mount the share (9p tag smoke)"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || die "cannot mount cgroup2"
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs -o mode=1777 tmpfs /tmp
ip link set lo up
hostname tracerd-arm64
echo 1 >/proc/sys/kernel/panic_on_oops
uname -r >/smoke/release
uname -m >/smoke/machine
# The CPU's features: with sha2, the hasher's SHA-256 runs on those instructions.
grep -m1 '^Features' /proc/cpuinfo >/smoke/cpu-features

# The file the workload opens: on the guest's own tmpfs, with a path no one else uses.
mkdir -p /tmp/arm64-smoke
echo "known contents" >/tmp/arm64-smoke/known-file.txt
cd /tmp || die "no /tmp"
echo "arm64-init: tracing the workload"
/smoke/tracerd --job-id arm64-smoke --out /smoke/trace.jsonl.gz -- \
	/smoke/arm64-workload /tmp/arm64-smoke/known-file.txt 18443 arm64-smoke.tracerd.test \
	>/smoke/tracerd.log 2>&1
echo $? >/smoke/status
echo "arm64-init: tracerd exited with status $(cat /smoke/status)"
cat /smoke/tracerd.log
dmesg >/smoke/dmesg.txt
sync
umount /smoke
poweroff -f
