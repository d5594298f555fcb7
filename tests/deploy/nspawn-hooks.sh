#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make test-hooks-nspawn: tests/deploy/test-hooks.sh against a real systemd without a VM.
# systemd-nspawn boots this machine's own root, seen through an overlay whose upper layer is
# a tmpfs (nothing of the host changes), with this tree installed into it by
# `make install PREFIX=/usr`; the test runs inside with nsenter. The same script runs in
# make test-systemd's qemu guest; this is the quick way (about a minute).
#
# Usage: tests/deploy/nspawn-hooks.sh OUT      (as root; OUT is a scratch directory)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

skip()
{
	echo "hooks-nspawn: SKIP: $*"
	[ "${TRACERD_E2E:-}" != required ] || exit 1
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (systemd-container)"

root="$out/root" layer="$out/layer" nspawn=''
cleanup()
{
	if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
		leader=$(pgrep -P "$nspawn" | head -n 1 || :)
		[ -z "$leader" ] || nsenter -t "$leader" -a systemctl poweroff 2>/dev/null || :
		i=0
		while kill -0 "$nspawn" 2>/dev/null && [ "$i" -lt 60 ]; do
			sleep 1
			i=$((i + 1))
		done
		kill "$nspawn" 2>/dev/null || :
	fi
	! mountpoint -q "$root" || umount "$root" || umount -l "$root"
	! mountpoint -q "$layer" || umount "$layer" || umount -l "$layer"
}
trap cleanup EXIT
cleanup
mkdir -p "$root" "$layer"
mount -t tmpfs -o size=2G,mode=0755 tracerd-hooks "$layer"
mkdir "$layer/upper" "$layer/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$layer/upper,workdir=$layer/work" "$root"
# A machine id of its own: nspawn refuses the host's.
systemd-id128 new >"$root/etc/machine-id"
${MAKE:-make} -s -C "$top" install DESTDIR="$root" PREFIX=/usr >/dev/null

# Seccomp off and every capability: tracerd loads BPF programs inside.
# The tree is bound at its own path: nspawn puts a tmpfs on the container's /tmp, where a
# CI clone may live.
SYSTEMD_SECCOMP=0 systemd-nspawn -q -b --register=no --keep-unit --link-journal=no \
	--capability=all --console=passive --machine="tracerd-hooks-$$" -D "$root" --bind="$top" \
	>"$out/nspawn.log" 2>&1 &
nspawn=$!
leader=''
i=0
while [ -z "$leader" ] && [ "$i" -lt 300 ]; do
	sleep 0.2
	leader=$(pgrep -P "$nspawn" | head -n 1 || :)
	i=$((i + 1))
done
[ -n "$leader" ] || { cat "$out/nspawn.log"; echo "hooks-nspawn: the container did not boot" >&2; exit 1; }
# systemctl answers once PID 1 has its socket up; then wait for the boot to finish.
i=0 state=''
while [ "$i" -lt 300 ]; do
	state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || :)
	case $state in initializing | starting | running | degraded | maintenance) break ;; esac
	sleep 0.2
	i=$((i + 1))
done
state=$(timeout 180 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1 || :)
echo "hooks-nspawn: container booted ($state)"
rc=0
nsenter -t "$leader" -a /bin/bash -c \
	"cd '$top' && TRACERD_E2E='${TRACERD_E2E:-}' tests/deploy/test-hooks.sh" || rc=$?

# The ephemeral VM's path, which test-hooks.sh cannot take inside a guest it runs in: a
# started tracerd@ + tracerd-collect@ pair, then a poweroff. The trace must be complete and
# uploaded (to a directory of the container's, seen here in the overlay's upper layer).
nsenter -t "$leader" -a /bin/sh -c 'mkdir -p /etc/tracerd &&
	printf "dir = /srv/tracerd-poweroff\nrepo = acme_vm\n" >/etc/tracerd/upload.conf &&
	systemctl start tracerd@eph-poweroff.service tracerd-collect@eph-poweroff.service &&
	cat /etc/hostname >/dev/null && systemctl poweroff' || rc=1
i=0
while kill -0 "$nspawn" 2>/dev/null && [ "$i" -lt 120 ]; do
	sleep 0.5
	i=$((i + 1))
done
up=$(find "$layer/upper/srv/tracerd-poweroff" -name eph-poweroff.jsonl.gz 2>/dev/null | head -n 1)
if [ -n "$up" ] && gzip -dc "$up" | tail -n 1 | grep -q '^{"type":"trace_end"' &&
	[ ! -e "$layer/upper/var/lib/tracerd/eph-poweroff.jsonl.gz" ]; then
	echo "ok   poweroff: tracerd-collect@ uploaded the complete trace (${up#"$layer/upper"})"
else
	echo "FAIL poweroff: no complete trace uploaded by tracerd-collect@ (found: ${up:-nothing})"
	rc=1
fi
exit "$rc"
