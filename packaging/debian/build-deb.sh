#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# build-deb.sh STAGE VERSION ARCH DEB: turn make install's tree (PREFIX=/usr, DESTDIR=STAGE,
# a directory named debian/tracerd)
# into a Debian binary package with dpkg-deb, doing what debhelper would do for this one
# package: strip the binary, add copyright and changelog, compute Depends from the linked
# libraries with dpkg-shlibdeps, list conffiles and md5sums. No network.
set -eu

stage=$1
version=$2
arch=$3
deb=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(dirname "$(dirname "$stage")")
doc=$stage/usr/share/doc/tracerd

# Reproducible: every date and mtime is the last commit's (dpkg-deb clamps to it).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# Debug information stays beside the package, not in it.
mkdir -p "$(dirname "$deb")"
debug=$(dirname "$deb")/tracerd_${version}_$arch.debug
objcopy --only-keep-debug "$stage/usr/sbin/tracerd" "$debug"
chmod 0644 "$debug"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/sbin/tracerd"

install -m 0644 "$here/copyright" "$doc/copyright"
# The changelog's first entry is the package's version: a build of another version
# (DEB_VERSION=0.1.0+test1) gets an entry of its own on top.
{
	top_version=$(sed -n '1s/^tracerd (\([^)]*\)).*/\1/p' "$here/changelog")
	if [ "$top_version" != "$version" ]; then
		printf 'tracerd (%s) unstable; urgency=medium\n\n' "$version"
		printf '  * Local build of %s.\n\n' "$version"
		printf ' -- %s  %s\n\n' "$(sed -n 's/^Maintainer: //p' "$here/control.in")" \
			"$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	fi
	cat "$here/changelog"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

control=$stage/DEBIAN
mkdir -p "$control"
# dpkg-shlibdeps reads debian/control from the directory it runs in (and finds the
# package's root by its DEBIAN directory).
printf 'Source: tracerd\n\nPackage: tracerd\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -edebian/tracerd/usr/sbin/tracerd |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
	-e "s|@INSTALLED_SIZE@|$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)|" \
	"$here/control.in" | grep -v '^#' >"$control/control"
for script in postinst prerm postrm; do
	install -m 0755 "$here/$script" "$control/$script"
done
if [ -d "$stage/etc" ]; then
	(cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$control/conffiles"
	chmod 0644 "$control/conffiles"
fi
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$control/md5sums"
chmod 0644 "$control/md5sums" "$control/control"

dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
