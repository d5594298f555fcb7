#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: tests/vm/mkinitramfs.sh KDIR OUT.cpio.gz INIT_SCRIPT [MODULE...]
#
# Builds a busybox initramfs for the kernel in KDIR (a directory made by fetch-kernel.sh:
# KDIR/modules is the modules tree with modules.dep). The archive holds:
#   /init                 INIT_SCRIPT, copied as is (mode 0755); it starts as PID 1
#   /bin/busybox, /bin/sh busybox (static). /init should first run
#                         `/bin/busybox --install -s /bin` to get the applets.
#   /modules/*.ko         each MODULE named (as modprobe names it: 9p, 9pnet_virtio,
#                         overlay; '-' and '_' are the same) and every module it needs
#                         according to modules.dep, decompressed (busybox insmod reads
#                         neither .ko.xz nor .ko.zst). Modules built into the kernel
#                         (modules.builtin) are left out without error.
#   /modules/order        their file names, dependencies first: insmod them in that order.
#   /bin/load-modules     a script that does exactly that (`/bin/load-modules`).
# Environment: BUSYBOX=path of the static busybox to put in (default /bin/busybox, the
# host's; for an arm64 guest give busybox-static:arm64's, extracted with dpkg-deb -x).
# A module that is neither in the tree nor built in is an error.
set -eu
export PATH="$PATH:/usr/sbin:/sbin"

[ $# -ge 3 ] || { sed -n '4,20p' "$0" >&2; exit 2; }
kdir=$1 out=$2 init=$3
shift 3
mods=$kdir/modules
busybox=${BUSYBOX:-/bin/busybox}
[ -e "$mods/modules.dep" ] || { echo "mkinitramfs: no $mods/modules.dep" >&2; exit 1; }
[ -f "$init" ] || { echo "mkinitramfs: no init script $init" >&2; exit 1; }
[ -f "$busybox" ] || { echo "mkinitramfs: no busybox at $busybox" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/modules" "$root/dev" "$root/proc" "$root/sys" "$root/mnt" \
	"$root/tmp" "$root/root" "$root/etc"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$init" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox"

# Normalised name (dashes as underscores, no directory, no .ko suffix) -> modules.dep path.
norm() { basename "$1" | sed -e 's/\.ko\(\.xz\|\.zst\|\.gz\)\{0,1\}$//' -e 's/-/_/g'; }
lookup() {
	want=$(echo "$1" | sed 's/-/_/g')
	awk -F: -v want="$want" '{
		n = $1; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n); gsub(/-/, "_", n)
		if (n == want) { print $1; exit }
	}' "$mods/modules.dep"
}
builtin() {
	want=$(echo "$1" | sed 's/-/_/g')
	[ -e "$mods/modules.builtin" ] && sed -e 's/.*\///' -e 's/\.ko$//' -e 's/-/_/g' \
		"$mods/modules.builtin" | grep -qx "$want"
}
deps_of() { awk -F: -v p="$1" '$1 == p { print $2; exit }' "$mods/modules.dep"; }

: >"$tmp/order"
add() { # $1: path as in modules.dep; dependencies go first, each module once
	grep -qx "$1" "$tmp/order" && return 0
	for d in $(deps_of "$1"); do add "$d"; done
	grep -qx "$1" "$tmp/order" || echo "$1" >>"$tmp/order"
}
for m in "$@"; do
	p=$(lookup "$m")
	if [ -n "$p" ]; then
		add "$p"
	elif builtin "$m"; then
		:
	else
		echo "mkinitramfs: module $m is neither in $mods nor built in" >&2
		exit 1
	fi
done

: >"$root/modules/order"
while read -r p; do
	name=$(norm "$p").ko
	case $p in
	*.ko.xz) xz -dc "$mods/$p" >"$root/modules/$name" ;;
	*.ko.zst) zstd -qdc "$mods/$p" >"$root/modules/$name" ;;
	*.ko.gz) gzip -dc "$mods/$p" >"$root/modules/$name" ;;
	*) cp "$mods/$p" "$root/modules/$name" ;;
	esac
	echo "$name" >>"$root/modules/order"
done <"$tmp/order"

cat >"$root/bin/load-modules" <<'LOAD'
#!/bin/sh
# Loads /modules/*.ko in /modules/order (dependencies first). A module already loaded is
# not an error; any other insmod failure is reported and makes the exit status 1.
rc=0
while read -r m; do
	out=$(insmod "/modules/$m" 2>&1) || case $out in
		*"File exists"*) ;;
		*) echo "load-modules: insmod $m: $out" >&2; rc=1 ;;
		esac
done </modules/order
exit $rc
LOAD
chmod 0755 "$root/bin/load-modules"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
