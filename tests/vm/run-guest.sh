#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/run-guest.sh [options] KDIR COMMAND [ARG...]
#
# Boots the kernel in KDIR (made by fetch-kernel.sh) under qemu TCG and runs COMMAND in a
# chroot of this machine's root, shared read-only over virtio-9p, in the current directory.
# Exits with COMMAND's status; 124 if the timeout ran out (qemu killed); 125 if the guest
# ended without running the command to its end (boot failure, kernel panic or oops:
# panic_on_oops is set). Options:
#   -t SECS     timeout for the whole guest, boot included (default 900)
#   -c N        vCPUs (default 2)             -m MB   memory (default 2048)
#   -a ACCEL    qemu -accel value (default tcg; e.g. tcg,thread=single)
#   -r DIR      results directory, shared read-write with the guest at the same absolute
#               path (default: a new directory under build/vm/results/). It receives:
#                 console.log  the serial console (kernel messages and the command's output)
#                 output.txt   the command's stdout and stderr
#                 dmesg.txt    the guest's whole kernel log, taken after the command
#                 status       the command's exit status
#   -e VAR=VAL  set VAR in the command's environment (repeatable). The guest has PATH,
#               HOME=/root, LANG=C.UTF-8 and TERM=dumb and nothing else of the caller's.
#   -i INITRD   use this initramfs instead of the default one (built once per kernel with
#               mkinitramfs.sh from tests/vm/guest-init.sh); its /init must honour the
#               same shares and results/guest.conf to get the same behaviour.
#   -q          don't copy the console to stdout (it always goes to console.log)
#   -C MODE     9p cache mode of the host root (default loose: the guest caches what it
#               read; none: every read goes to the host, and host changes show at once)
# The guest sees: tmpfs on /tmp /run /var/tmp /dev/shm, proc, sysfs, devtmpfs, devpts,
# cgroup2 on /sys/fs/cgroup, bpffs, tracefs, debugfs, lo up (127.0.0.1/8 and ::1),
# dummy0 with 192.0.2.1/32 and 2001:db8::1/128 (no route anywhere: qemu has -nic none, the
# guest has no network beyond itself), hostname tracerd-vm. Writes outside those and the
# results directory fail (EROFS).
# The qemu line: qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 -nographic
#   -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
#   -virtfs local,path=RESULTS,mount_tag=results,security_model=none,multidevs=remap
#   -kernel KDIR/vmlinuz -initrd INITRD -no-reboot -nic none -append 'console=ttyS0 panic=-1
#   loglevel=6 nokaslr tsc=unstable no_timer_check mitigations=off' (TCG's TSC calibration
#   goes wrong on a busy host and the guest clock then races: the HPET follows host time)
# Only amd64 kernels boot here (the chroot runs this machine's x86_64 binaries).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

timeout=900 cpus=2 mem=2048 accel=tcg results="" initrd="" quiet=0 cache=loose
envs=()
while getopts t:c:m:a:r:e:i:C:qh opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	c) cpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	a) accel=$OPTARG ;;
	r) results=$OPTARG ;;
	e) envs+=("$OPTARG") ;;
	i) initrd=$OPTARG ;;
	q) quiet=1 ;;
	C) cache=$OPTARG ;;
	*) sed -n '4,38p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '4,38p' "$0" >&2; exit 2; }
kdir=$(cd "$1" && pwd)
shift
[ -e "$kdir/vmlinuz" ] || { echo "run-guest: no $kdir/vmlinuz" >&2; exit 2; }

if [ -z "$results" ]; then
	mkdir -p "$top/build/vm/results"
	results=$(mktemp -d "$top/build/vm/results/$(basename "$kdir").XXXXXX")
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/status" "$results/output.txt" "$results/dmesg.txt" "$results/console.log"

if [ -z "$initrd" ]; then
	# One initramfs per kernel, rebuilt when guest-init.sh or mkinitramfs.sh change.
	initrd=$top/build/vm/initramfs/$(basename "$kdir").cpio.gz
	if [ ! -s "$initrd" ] || [ "$here/guest-init.sh" -nt "$initrd" ] ||
		[ "$here/mkinitramfs.sh" -nt "$initrd" ] || [ "$kdir/release" -nt "$initrd" ]; then
		"$here/mkinitramfs.sh" "$kdir" "$initrd" "$here/guest-init.sh" \
			virtio_pci 9pnet_virtio 9p dummy
	fi
fi

# The command, quoted for the guest's sh; its environment is set explicitly.
{
	echo "# written by run-guest.sh"
	printf 'cd %q || exit 125\n' "$PWD"
	printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	printf ' HOME=/root LANG=C.UTF-8 TERM=dumb\n'
	for e in "${envs[@]+"${envs[@]}"}"; do printf 'export %q\n' "$e"; done
	printf '{ '
	printf '%q ' "$@"
	printf '; echo $? >%q; } 2>&1 | tee %q\n' "$results/status" "$results/output.txt"
} >"$results/cmd.sh"
printf 'VM_RESULTS=%q\nVM_ROOT_CACHE=%q\nVM_TREE=%q\n' "$results" "$cache" "$top" \
	>"$results/guest.conf"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp "$cpus" -m "$mem" -nographic
	-no-reboot -monitor none -serial stdio -nic none
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap"
	-kernel "$kdir/vmlinuz" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 loglevel=6 nokaslr tsc=unstable no_timer_check mitigations=off")
echo "${qemu[*]}" >"$results/qemu.cmd"

start=$(date +%s)
set +e
if [ "$quiet" = 1 ]; then
	timeout -s KILL "$timeout" "${qemu[@]}" </dev/null >"$results/console.log" 2>&1
	rc=$?
else
	timeout -s KILL "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$results/console.log"
	rc=${PIPESTATUS[0]}
fi
set -e
echo "run-guest: $(basename "$kdir") $(cat "$kdir/release"): $(($(date +%s) - start))s," \
	"results in $results" >&2
if [ "$rc" = 137 ] || [ "$rc" = 124 ]; then
	echo "run-guest: timeout after ${timeout}s" >&2
	exit 124
fi
if [ ! -s "$results/status" ]; then
	echo "run-guest: the guest ended without the command's status (qemu exit $rc);" \
		"see $results/console.log" >&2
	exit 125
fi
exit "$(cat "$results/status")"
