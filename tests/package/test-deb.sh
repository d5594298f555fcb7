#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test-deb.sh DEB UPGRADE_DEB: the package on a fresh Debian 12 root.
# A minimal bookworm root is debootstrapped once and kept as a tarball in build/package/;
# every run unpacks a fresh copy and, in it, with the dependencies from Debian's archive:
# installs DEB, checks each file and runs a real trace with the installed binary,
# reinstalls it, upgrades to UPGRADE_DEB (a higher version) keeping a locally edited
# conffile, removes, purges (traces in /var/lib/tracerd are kept, an empty directory is
# not), removes the dependencies again, and checks that the root's file list is what it
# was before the install and that dpkg knows no path of the package.
# Needs root. DEBIAN_MIRROR overrides the archive (default http://deb.debian.org/debian).
# shellcheck disable=SC2016,SC2013 # dpkg-query formats; unit lines read as words on purpose
set -eu

deb=$(realpath "$1")
upgrade_deb=$(realpath "$2")
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/build/package
cache=$dir/bookworm-minbase.tar
root=$dir/root
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
version=$(dpkg-deb -f "$deb" Version)
upgrade_version=$(dpkg-deb -f "$upgrade_deb" Version)
start=$(date +%s)

fail() {
	echo "test-deb: FAIL: $*" >&2
	exit 1
}
step() {
	echo "test-deb: [$(($(date +%s) - start))s] $*"
}
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
		DEBIAN_FRONTEND=noninteractive "$@"
}
apt() {
	in_root apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "$@" >"$dir/apt.log" 2>&1 || {
		cat "$dir/apt.log" >&2
		fail "apt-get $*"
	}
}
unmount_root() {
	for m in "$root/dev" "$root/sys" "$root/proc" "$root" "$dir/pristine"; do
		! mountpoint -q "$m" || umount -R -l "$m"
	done
}
status() {
	in_root dpkg-query -W -f='${Status} ${Version}' tracerd 2>/dev/null || true
}
# Every path of the root but the ones apt and dpkg change for any package, and the backup
# copies of the account files (addgroup writes /etc/gshadow-: the group tracerd-hook is
# kept on purge, as Debian packages keep their system users and groups).
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/cache \
		-o -path ./var/log -o -path './etc/*-' \) -prune -o -print) | sort
}

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (scripts/install-deps.sh)"
mkdir -p "$dir"

if [ ! -f "$cache" ]; then
	step "debootstrap bookworm (minbase) from $mirror into the cache"
	unmount_root
	rm -rf "$dir/pristine"
	# In memory: dpkg's fsyncs on a busy disk triple debootstrap's time.
	mkdir -p "$dir/pristine"
	mount -t tmpfs -o size=2g,mode=0755 tracerd-pristine "$dir/pristine"
	debootstrap --variant=minbase bookworm "$dir/pristine" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
		tail -n 20 "$dir/debootstrap.log" >&2
		fail "debootstrap"
	}
	rm -rf "$dir/pristine/var/cache/apt/archives/"*.deb
	# A throwaway root: dpkg need not fsync what it unpacks.
	echo force-unsafe-io >"$dir/pristine/etc/dpkg/dpkg.cfg.d/tracerd-test-unsafe-io"
	tar -C "$dir/pristine" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	umount "$dir/pristine"
	rmdir "$dir/pristine"
fi

step "unpack a fresh root from $(basename "$cache")"
trap unmount_root EXIT
unmount_root
rm -rf "$root"
mkdir -p "$root"
mount -t tmpfs -o size=2g,mode=0755 tracerd-root "$root"
tar -C "$root" -xf "$cache"
mount -t proc proc "$root/proc"
# /sys whole (cgroup2 and BTF for the trace below), /dev for apt and the trace.
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/tmp/pkg"
cp "$deb" "$upgrade_deb" "$root/tmp/pkg/"
deb_in=/tmp/pkg/$(basename "$deb")
upgrade_in=/tmp/pkg/$(basename "$upgrade_deb")

step "apt-get update"
apt update
snapshot >"$dir/before.list"

step "install $(basename "$deb")"
apt install "$deb_in"
[ "$(status)" = "install ok installed $version" ] || fail "after install, dpkg says: $(status)"

# What the package holds, and where: every path of the .deb in the root, same mode.
files=$(dpkg-deb -c "$deb" | awk '{ print substr($1, 1, 1) " " $NF }' | sed 's| \./| /|')
check_installed() {
	printf '%s\n' "$files" | while read -r type path; do
		[ "$path" != / ] || continue
		case $type in
		d) [ -d "$root$path" ] || fail "$1: directory $path missing" ;;
		*) [ -f "$root$path" ] || fail "$1: file $path missing" ;;
		esac
	done
	# dpkg's own check: sizes, md5sums (a locally edited conffile is expected: "c").
	out=$(in_root dpkg --verify tracerd | grep -v ' c /etc/' || true)
	[ -z "$out" ] || fail "$1: dpkg --verify tracerd: $out"
	[ -x "$root/usr/sbin/tracerd" ] || fail "$1: /usr/sbin/tracerd is not executable"
	[ "$(stat -c %a "$root/usr/sbin/tracerd")" = 755 ] || fail "$1: /usr/sbin/tracerd mode"
	if [ -f "$root/etc/sudoers.d/tracerd" ]; then
		[ "$(stat -c '%a %U' "$root/etc/sudoers.d/tracerd")" = "440 root" ] ||
			fail "$1: /etc/sudoers.d/tracerd is not 0440 root"
		in_root dpkg-query -W -f='${Conffiles}' tracerd | grep -q '^ /etc/sudoers.d/tracerd ' ||
			fail "$1: /etc/sudoers.d/tracerd is not a conffile"
	fi
}
check_installed install
for f in /usr/sbin/tracerd /lib/systemd/system/tracerd@.service /usr/share/man/man8/tracerd.8.gz \
	/usr/share/doc/tracerd/README.md /usr/share/doc/tracerd/copyright; do
	[ -f "$root$f" ] || fail "$f is not installed"
done
[ -d "$root/usr/lib/tracerd" ] || fail "/usr/lib/tracerd (the hooks) is not installed"
for h in "$top"/packaging/hooks/*; do
	[ -f "$root/usr/lib/tracerd/$(basename "$h")" ] || fail "hook $(basename "$h") is not installed"
done
n=$(find "$top/schemas" -name '*.schema.json' | wc -l)
m=$(find "$root/usr/share/tracerd/schemas" -name '*.schema.json' | wc -l)
if [ "$n" != "$m" ] || [ "$n" = 0 ]; then fail "$m schemas installed, $n in schemas/"; fi
python3 -c 'import json, sys; [json.load(open(p)) for p in sys.argv[1:]]' \
	"$root"/usr/share/tracerd/schemas/*.json || fail "an installed schema is not JSON"
zcat "$root/usr/share/man/man8/tracerd.8.gz" | grep -q '^\.TH TRACERD 8 ' || fail "man page header"
! zcat "$root/usr/share/man/man8/tracerd.8.gz" | grep -q '@[A-Z]*@' || fail "placeholder in the man page"
grep -q '^ExecStart=/usr/sbin/tracerd ' "$root/lib/systemd/system/tracerd@.service" ||
	fail "tracerd@.service does not run /usr/sbin/tracerd"
# Every program a unit runs, and every file it documents, is in the root.
for unit in "$root"/lib/systemd/system/tracerd*; do
	for prog in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$unit"); do
		[ -x "$root$prog" ] || fail "$(basename "$unit") runs $prog, not installed"
	done
	for doc in $(sed -n 's|^Documentation=.*file://\([^ ]*\).*|\1|p' "$unit"); do
		[ -f "$root$doc" ] || fail "$(basename "$unit") documents $doc, not installed"
	done
done
if [ -f "$root/etc/sudoers.d/tracerd" ]; then
	in_root getent group tracerd-hook >/dev/null || fail "postinst did not create the group tracerd-hook"
fi

step "run the installed binary"
! in_root ldd /usr/sbin/tracerd | grep -q 'not found' || fail "unresolved libraries: $(in_root ldd /usr/sbin/tracerd)"
[ "$(in_root tracerd --version)" = "tracerd $(echo "$version" | sed 's/+.*//')" ] ||
	fail "tracerd --version says '$(in_root tracerd --version)'"
in_root tracerd --help | grep -q -- '--job-id' || fail "tracerd --help"
# One real trace by the installed binary with the archive's libraries.
if in_root tracerd --job-id pkg-test --out /tmp/pkg-test.jsonl.gz -- /bin/true 2>"$dir/trace.log"; then
	zcat "$root/tmp/pkg-test.jsonl.gz" | tail -n 1 | grep -q '"type":"trace_end".*"stop_reason":"command_exited"' ||
		fail "the installed binary's trace has no trace_end"
	zcat "$root/tmp/pkg-test.jsonl.gz" | grep -q '"type":"process_exec".*"exe":"/usr/bin/true"' ||
		fail "the installed binary's trace has no exec of /usr/bin/true"
	# The reader (jansson, zlib from the archive) on that trace: 0 or 1, never 2 (an error).
	rc=0
	in_root tracerd summary --json /tmp/pkg-test.jsonl.gz >"$dir/summary.json" 2>&1 || rc=$?
	{ [ "$rc" -le 1 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/summary.json"; } ||
		fail "tracerd summary on the installed binary's trace: exit $rc: $(cat "$dir/summary.json")"
	echo "test-deb: the installed tracerd traced /bin/true in the chroot and summarized it"
elif [ "${TRACERD_E2E:-}" = required ]; then
	cat "$dir/trace.log" >&2
	fail "the installed tracerd could not trace (TRACERD_E2E=required)"
else
	echo "test-deb: SKIP the installed binary's trace: $(cat "$dir/trace.log")"
fi

step "reinstall $version"
apt install --reinstall "$deb_in"
[ "$(status)" = "install ok installed $version" ] || fail "after reinstall, dpkg says: $(status)"
check_installed reinstall

step "upgrade to $upgrade_version"
conffile=
if [ -f "$root/etc/sudoers.d/tracerd" ]; then
	conffile=$root/etc/sudoers.d/tracerd
	echo "# local edit, kept across upgrades" >>"$conffile"
fi
apt install "$upgrade_in"
[ "$(status)" = "install ok installed $upgrade_version" ] || fail "after upgrade, dpkg says: $(status)"
check_installed upgrade
[ -z "$conffile" ] || grep -q '^# local edit' "$conffile" || fail "the upgrade lost a local conffile edit"

step "remove"
mkdir -p "$root/var/lib/tracerd"
mv "$root/tmp/pkg-test.jsonl.gz" "$root/var/lib/tracerd/pkg-test.jsonl.gz" 2>/dev/null ||
	echo trace >"$root/var/lib/tracerd/pkg-test.jsonl.gz"
apt remove tracerd
[ "$(status)" = "deinstall ok config-files $upgrade_version" ] || fail "after remove, dpkg says: $(status)"
[ ! -e "$root/usr/sbin/tracerd" ] || fail "remove left /usr/sbin/tracerd"
[ -z "$conffile" ] || [ -f "$conffile" ] || fail "remove deleted the conffile (only purge should)"

step "purge (a trace in /var/lib/tracerd)"
apt purge tracerd
grep -q 'kept the traces in /var/lib/tracerd' "$dir/apt.log" || fail "purge did not say it kept the traces"
[ -f "$root/var/lib/tracerd/pkg-test.jsonl.gz" ] || fail "purge deleted a trace"
[ -z "$conffile" ] || [ ! -e "$conffile" ] || fail "purge left $conffile"
rm -r "$root/var/lib/tracerd"

step "install and purge (/var/lib/tracerd with the hash cache alone)"
# dpkg directly: the dependencies are still there, and apt's part is tested above.
in_root dpkg -i "$deb_in" >"$dir/apt.log" 2>&1 || { cat "$dir/apt.log" >&2; fail "dpkg -i"; }
mkdir -p "$root/var/lib/tracerd"
printf '# tracerd hash cache 1\n' >"$root/var/lib/tracerd/exehash.cache"
in_root dpkg --purge tracerd >"$dir/apt.log" 2>&1 || { cat "$dir/apt.log" >&2; fail "dpkg --purge"; }
[ ! -e "$root/var/lib/tracerd" ] || fail "purge left /var/lib/tracerd (with only the hash cache)"
[ -z "$(status)" ] || in_root dpkg-query -W -f='${Status}' tracerd | grep -q 'not-installed' ||
	fail "after purge, dpkg says: $(status)"

step "remove the dependencies and compare the root with the one before the install"
apt autoremove --purge
snapshot >"$dir/after.list"
if ! diff -u "$dir/before.list" "$dir/after.list" >"$dir/purge.diff"; then
	cat "$dir/purge.diff" >&2
	fail "the root's files differ after purge (- before install, + after purge)"
fi
# dpkg knows none of the package's files, nor its own directories.
printf '%s\n' "$files" | while read -r type path; do
	case $type:$path in
	d:/usr/lib/tracerd/ | d:/usr/share/tracerd/* | d:/usr/share/doc/tracerd/ | [!d]:*)
		! in_root dpkg -S "${path%/}" >/dev/null 2>&1 || fail "dpkg -S still finds $path"
		[ ! -e "$root$path" ] || fail "purge left $path"
		;;
	esac
done
step "PASS: install, reinstall, upgrade $version -> $upgrade_version, remove, purge"
