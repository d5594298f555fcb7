#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/fetch-kernel.sh DIST ARCH
#   DIST: bullseye | bookworm | trixie     ARCH: amd64 | arm64
#
# Downloads Debian's generic kernel for DIST/ARCH (the linux-image-ARCH metapackage's
# current dependency in that suite's main archive), extracts it with dpkg-deb -x and
# prints the directory, build/vm/kernels/DIST-ARCH (absolute path). That directory holds:
#   vmlinuz            the kernel image (a symlink into boot/)
#   modules/           the modules tree (lib/modules/RELEASE, with modules.dep)
#   release            the kernel release string (uname -r in the guest)
#   deb                the name of the .deb it came from
# Nothing is installed on the host, and the host's own apt lists are never touched: a
# private apt configuration lives under build/vm/apt/DIST-ARCH/ (its lists and downloaded
# .debs are cached there). A second call with the same arguments prints the directory
# without any network access; set VM_REFRESH=1 to look for a newer kernel.
# Safe to call concurrently (one lock per DIST-ARCH).
set -eu
export PATH="$PATH:/usr/sbin:/sbin"
command -v depmod >/dev/null || { echo "fetch-kernel: depmod missing (apt-get install kmod)" >&2; exit 1; }

usage() { echo "usage: $0 bullseye|bookworm|trixie amd64|arm64" >&2; exit 2; }
[ $# -eq 2 ] || usage
dist=$1 arch=$2
case $dist in bullseye | bookworm | trixie) ;; *) usage ;; esac
case $arch in amd64 | arm64) ;; *) usage ;; esac

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/build/vm
kdir=$vm/kernels/$dist-$arch
aptdir=$vm/apt/$dist-$arch
mkdir -p "$vm/kernels" "$aptdir"

exec 9>"$aptdir/lock"
flock 9

if [ -z "${VM_REFRESH:-}" ] && [ -s "$kdir/release" ] && [ -e "$kdir/vmlinuz" ] &&
	[ -e "$kdir/modules/modules.dep" ]; then
	echo "$kdir"
	exit 0
fi

mkdir -p "$aptdir/sources.list.d" "$aptdir/state/lists/partial" \
	"$aptdir/cache/archives/partial" "$aptdir/debs"
# The same archive the machine's own sources use; only the suite differs.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources \
	2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
	"$arch" "$mirror" "$dist" >"$aptdir/sources.list"
: >"$aptdir/status"

apt_private() {
	tool=$1
	shift
	"$tool" -q -o Dir::Etc::sourcelist="$aptdir/sources.list" \
		-o Dir::Etc::sourceparts="$aptdir/sources.list.d" \
		-o Dir::State="$aptdir/state" -o Dir::State::status="$aptdir/status" \
		-o Dir::Cache="$aptdir/cache" -o Dir::Cache::pkgcache="" \
		-o Dir::Cache::srcpkgcache="" -o APT::Architecture="$arch" \
		-o APT::Architectures::="$arch" -o Debug::NoLocking=1 "$@"
}
apt_private apt-get update >"$aptdir/update.log" 2>&1 || {
	cat "$aptdir/update.log" >&2
	echo "fetch-kernel: apt-get update for $dist/$arch failed" >&2
	exit 1
}
# linux-image-amd64 / linux-image-arm64 depend on the current versioned image package.
pkg=$(apt_private apt-cache depends "linux-image-$arch" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-$arch in $dist" >&2; exit 1; }

(cd "$aptdir/debs" && apt_private apt-get download "$pkg" >"$aptdir/download.log" 2>&1) || {
	cat "$aptdir/download.log" >&2
	exit 1
}
deb=$(ls -t "$aptdir/debs/${pkg}"_*.deb | head -n 1)

tmp=$kdir.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp/root"
dpkg-deb -x "$deb" "$tmp/root"
vmlinuz=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || { echo "fetch-kernel: no boot/vmlinuz-* in $deb" >&2; exit 1; }
release=${vmlinuz##*/vmlinuz-}
# Debian's package does not ship modules.dep (its postinst runs depmod): make it here.
# Trixie keeps modules under usr/lib/modules, older suites under lib/modules.
for base in "$tmp/root" "$tmp/root/usr"; do
	[ -d "$base/lib/modules/$release" ] || continue
	ln -s "${base#"$tmp"/}/lib/modules/$release" "$tmp/modules"
	[ -e "$tmp/modules/modules.dep" ] || depmod -b "$base" "$release"
done
[ -e "$tmp/modules/modules.dep" ] || { echo "fetch-kernel: no modules tree in $deb" >&2; exit 1; }
ln -s "root/boot/vmlinuz-$release" "$tmp/vmlinuz"
echo "$release" >"$tmp/release"
basename "$deb" >"$tmp/deb"
rm -rf "$kdir"
mv "$tmp" "$kdir"
echo "$kdir"
