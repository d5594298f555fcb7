#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the systemd test guest's initramfs (busybox; built by tests/systemd/run.sh with
# tests/vm/mkinitramfs.sh).
# It turns the host's root, shared read-only over virtio-9p, into a writable root for one
# boot: an overlay whose upper layer is a tmpfs. Into that upper layer go what the test
# needs and nothing of the host changes: tracerd as `make install` put it, the test units,
# a machine-id and hostname of the guest's own, an empty fstab. Then systemd becomes PID 1
# with switch_root, booting straight to tracerd-systemd-test.target.
#
# 9p shares (mount tags), set up by run.sh:
#   hostroot      the host's /, read-only: the overlay's lower layer
#   tracerd-src   this source tree, read-only, at /tracerd-test/src
#   tracerd-out   build/systemd/out, read-write, at /tracerd-test/out: dest/ (the install
#                 tree) in, results/ out
#
# systemd.volatile=overlay would do the overlay itself, but only from systemd's own initrd
# (systemd-volatile-root runs there); a busybox /init doing it keeps the initramfs small
# and leaves room to fill the upper layer before PID 1 starts.

/bin/busybox --install -s /bin
PATH=/bin
export PATH

fail() {
	echo "tracerd-init: $*" >&2
	echo "tracerd-init: FAILED" >&2
	sync
	poweroff -f
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

load-modules || fail "cannot load the modules (virtio, 9p, overlay)"

opts=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /lower /rw /newroot
# cache=loose: the host's root does not change under the guest during a test (what does,
# the source tree and the results, are shares of their own without it).
mount -t 9p -o "$opts,ro,cache=loose" hostroot /lower || fail "mount hostroot"
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "mount overlay"

r=/newroot
# The host's /tmp and /var/tmp hold whatever its jobs left there; systemd-tmpfiles would
# empty them at boot, one 9p round trip (and one whiteout) per file. The guest starts with
# its own, empty ones.
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $r/tmp || fail "mount /tmp"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $r/var/tmp || fail "mount /var/tmp"
mkdir -p $r/tracerd-test/src $r/tracerd-test/out
mount -t 9p -o "$opts,ro" tracerd-src $r/tracerd-test/src || fail "mount tracerd-src"
mount -t 9p -o "$opts" tracerd-out $r/tracerd-test/out || fail "mount tracerd-out"
[ -x $r/tracerd-test/out/dest/usr/local/sbin/tracerd ] || fail "no dest/ in tracerd-out"

# tracerd, its unit and its README exactly as `make install DESTDIR=` laid them out. File
# by file: /lib is a symlink to usr/lib on a merged-/usr host, and a copy of dest/lib as a
# directory would hide the host's /lib.
(cd $r/tracerd-test/out/dest && find . ! -type d) | while read -r f; do
	mkdir -p "$r/${f%/*}" && cp -p "$r/tracerd-test/out/dest/$f" "$r/$f" || fail "install $f"
done

# The guest's identity: its own machine-id (not the host's), so that the journal and
# systemd's first-boot logic see a configured machine.
tr -d '-' </proc/sys/kernel/random/uuid >$r/etc/machine-id
echo tracerd-guest >$r/etc/hostname
# A host that is itself a container image carries /.dockerenv: systemd would then think it
# runs in a container and read its options from its own argv, not the kernel command line.
rm -f $r/.dockerenv $r/run/.containerenv
# The host's fstab names the host's disks: none of them are here.
echo "# tracerd systemd test guest: the root is an overlay, nothing to mount" >$r/etc/fstab

units=$r/etc/systemd/system
src=$r/tracerd-test/src/tests/systemd
cp $src/tracerd-systemd-test.target $src/tracerd-systemd-test.service $units/ ||
	fail "copy the test units"
# Units of the host that mean nothing in a guest without network, disks or users, or that
# only cost boot time under emulation. Masked in the upper layer only.
for u in timers.target systemd-timesyncd.service systemd-pstore.service \
	e2scrub_reap.service systemd-networkd.service systemd-resolved.service \
	networking.service getty.target serial-getty@ttyS0.service \
	systemd-update-utmp.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
	systemd-repart.service systemd-firstboot.service systemd-random-seed.service \
	systemd-hwdb-update.service systemd-journal-catalog-update.service \
	ldconfig.service man-db.service postgresql.service; do
	rm -f "$units/$u"
	ln -s /dev/null "$units/$u"
done

# No generator has work here (no fstab, disks, SysV scripts, gettys), and under emulation
# each costs seconds of loading from the 9p share before PID 1 starts its first unit.
mkdir -p $r/etc/systemd/system-generators
for g in $r/lib/systemd/system-generators/* $r/usr/lib/systemd/system-generators/*; do
	[ -e "$g" ] && ln -sf /dev/null "$r/etc/systemd/system-generators/${g##*/}"
done

umount /proc /sys
mount --move /dev $r/dev 2>/dev/null || umount /dev
exec switch_root $r /lib/systemd/systemd
