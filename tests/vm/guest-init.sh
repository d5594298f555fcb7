#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the guests that tests/vm/run-guest.sh boots (PID 1, busybox). It loads the
# initramfs's modules, mounts the host's root read-only from 9p (tag hostroot) at
# /mnt/root and the results share (tag results) at the same absolute path inside it,
# gives the chroot what a normal system has (proc, sys, dev, devpts, /dev/shm, cgroup2,
# bpffs, tracefs, tmpfs on /tmp /run /var/tmp, loopback and dummy0 up), runs RESULTS/cmd.sh in the
# chroot, then saves the kernel log to RESULTS/dmesg.txt and powers off.
# Not meant to be run by hand.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "vm-init: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"

die() {
	echo "vm-init: $*"
	dmesg | tail -n 40
	poweroff -f
}
load-modules || echo "vm-init: some modules failed to load"
o=trans=virtio,version=9p2000.L,msize=262144
R=/mnt/root
mkdir -p $R /results
mount -t 9p -o "$o" results /results || die "cannot mount the results share (9p tag results)"
# shellcheck disable=SC1091
. /results/guest.conf || die "no guest.conf in the results share"
# cache=loose: the guest keeps what it read of the (read-only) host root in its page cache,
# instead of asking the host again for every exec, mmap and import; files the host changes
# during the run may be seen late (run-guest.sh -C none to avoid it).
mount -t 9p -o "$o,ro,cache=${VM_ROOT_CACHE:-loose}" hostroot $R ||
	die "cannot mount the host root (9p tag hostroot)"
# A view of the host root without the mounts below (tmpfs on /tmp...), for the tree.
mkdir -p /host
mount --bind $R /host || die "cannot bind the host root at /host"
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || die "cannot mount cgroup2"
mount -t bpf bpf $R/sys/fs/bpf 2>/dev/null
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
for d in /tmp /run /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$R$d"; done
mkdir -p $R/run/lock $R/run/user
# The tree under test may live where the guest has a tmpfs (a CI clone in /tmp): it is
# bound back from /host, and the results share after it.
case $VM_TREE in
/tmp/* | /run/* | /var/tmp/*)
	mkdir -p "$R$VM_TREE"
	mount --bind "/host$VM_TREE" "$R$VM_TREE" || die "cannot bind the tree at $VM_TREE"
	;;
esac
mkdir -p "$R$VM_RESULTS" 2>/dev/null
mount --bind /results "$R$VM_RESULTS" || die "cannot bind the results share at $VM_RESULTS"
ip link set lo up
# No network leaves the guest (qemu runs with -nic none), but glibc's getaddrinfo with
# AI_ADDRCONFIG (getent ahosts, curl) asks no DNS server for a family the machine has no
# non-loopback address of: dummy0 gets documentation addresses (RFC 5737, RFC 3849) that
# route nowhere, as the host's own interface would.
if ip link show dummy0 >/dev/null 2>&1; then
	ip addr add 192.0.2.1/32 dev dummy0
	ip -6 addr add 2001:db8::1/128 dev dummy0 2>/dev/null
	ip link set dummy0 up
fi
hostname tracerd-vm
echo 1 >/proc/sys/kernel/panic_on_oops 2>/dev/null

echo "vm-init: running the command"
chroot $R /bin/sh "$VM_RESULTS/cmd.sh" </dev/null
echo "vm-init: command finished with status $(cat /results/status 2>/dev/null || echo '?')"
dmesg >/results/dmesg.txt
sync
umount "$R$VM_RESULTS" /results 2>/dev/null
poweroff -f
