#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test-install.sh DEB: make install with DESTDIR and PREFIX.
# - PREFIX=/usr gives exactly the package's files, modes and contents, except what only
#   the package has (copyright, changelog.gz, the stripped binary's bytes);
# - the default PREFIX=/usr/local puts every file under it (and /etc), and the installed
#   unit and man page name /usr/local paths, with no @PLACEHOLDER@ left anywhere.
set -eu

deb=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tracerd-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "test-install: FAIL: $*" >&2
	exit 1
}

# MODE PATH for every file and directory, directories with a trailing /.
listing() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%m %P/\n' \) -o \( ! -type d -printf '%m %P\n' \)) |
		sort -k2
}

make -C "$top" --no-print-directory -s install DESTDIR="$tmp/usr-prefix" PREFIX=/usr >/dev/null
mkdir "$tmp/deb"
dpkg-deb -x "$deb" "$tmp/deb"
# dpkg-deb -x applies the package's modes; only-in-the-package files are removed first.
rm "$tmp/deb/usr/share/doc/tracerd/copyright" "$tmp/deb/usr/share/doc/tracerd/changelog.gz"
listing "$tmp/usr-prefix" >"$tmp/install.list"
listing "$tmp/deb" >"$tmp/deb.list"
if ! diff -u "$tmp/deb.list" "$tmp/install.list" >"$tmp/diff"; then
	cat "$tmp/diff" >&2
	fail "make install PREFIX=/usr differs from the package's layout (- package, + install)"
fi
# Same bytes too, but for the binary (stripped in the package) and README.md (copied as it
# is by both, and edited often enough to change between the two copies in a shared tree).
(cd "$tmp/deb" && find . -type f ! -path ./usr/sbin/tracerd ! -name README.md -print) | while read -r f; do
	cmp -s "$tmp/deb/$f" "$tmp/usr-prefix/$f" || fail "$f differs between make install and the package"
done
n=$(wc -l <"$tmp/install.list")
echo "test-install: make install PREFIX=/usr DESTDIR=... matches the package: $n paths"

make -C "$top" --no-print-directory -s install DESTDIR="$tmp/default" >/dev/null
outside=$(cd "$tmp/default" && find . -type f | { grep -v -e '^\./usr/local/' -e '^\./etc/' || true; })
[ -z "$outside" ] || fail "make install with the default PREFIX wrote outside /usr/local and /etc: $outside"
for f in sbin/tracerd lib/systemd/system/tracerd@.service share/man/man8/tracerd.8.gz \
	share/tracerd/schemas/trace_start.schema.json share/doc/tracerd/README.md; do
	[ -f "$tmp/default/usr/local/$f" ] || fail "make install did not install /usr/local/$f"
done
unit=$tmp/default/usr/local/lib/systemd/system/tracerd@.service
grep -q '^ExecStart=/usr/local/sbin/tracerd ' "$unit" ||
	fail "the installed unit does not run /usr/local/sbin/tracerd: $(grep ExecStart "$unit")"
grep -q '^Documentation=man:tracerd(8) file:///usr/local/share/doc/tracerd/README.md$' "$unit" ||
	fail "the installed unit's Documentation= is not /usr/local's: $(grep Documentation "$unit")"
zcat "$tmp/default/usr/local/share/man/man8/tracerd.8.gz" | grep -q '^\.I /usr/local/sbin/tracerd$' ||
	fail "the installed man page does not name /usr/local/sbin/tracerd in FILES"
# (README.md is installed as it is: it names the placeholders when it explains them.)
left=$(cd "$tmp/default" && find . -type f ! -name tracerd ! -name '*.gz' ! -name README.md -print0 |
	{ xargs -0 grep -l -E '@(SBINDIR|DOCDIR|SCHEMADIR|PKGLIBDIR|UNITDIR|SYSCONFDIR|VERSION)@' || true; })
left=$left$(zcat "$tmp/default/usr/local/share/man/man8/tracerd.8.gz" | grep -E '@[A-Z]+@' || true)
[ -z "$left" ] || fail "placeholders left after make install: $left"
"$tmp/default/usr/local/sbin/tracerd" --version | grep -q '^tracerd ' || fail "installed binary does not run"
# systemd checks each unit as make install wrote it, against the installed binary, hooks
# and man page: DESTDIR's /usr/local is mounted over /usr/local in a mount namespace of
# our own. Templates are checked as an instance.
units=$(find "$tmp/default/usr/local/lib/systemd/system" -type f -printf '%f\n' | sed 's/@\./@check./')
if [ "$(id -u)" = 0 ] && command -v systemd-analyze >/dev/null 2>&1; then
	# shellcheck disable=SC2016,SC2046,SC2086 # $1 and $@ are the inner shell's; one unit a word
	if ! out=$(unshare -m sh -c 'mount --bind "$1/usr/local" /usr/local && shift &&
		systemd-analyze verify "$@"' sh "$tmp/default" $units 2>&1); then
		echo "$out" >&2
		fail "systemd-analyze verify rejects an installed unit"
	fi
	[ -z "$out" ] || { echo "$out" >&2; fail "systemd-analyze verify warns about an installed unit"; }
	echo "test-install: systemd-analyze verify accepts the installed units:" "$(printf '%s ' "$units" | tr '\n' ' ')"
elif [ "${TRACERD_E2E:-}" = required ]; then
	fail "systemd-analyze verify needs root and systemd-analyze (TRACERD_E2E=required)"
else
	echo "test-install: SKIP systemd-analyze verify (needs root and systemd-analyze)"
fi
# A sudoers drop-in with a syntax error breaks sudo for everyone: visudo checks it.
for f in "$tmp/default"/etc/sudoers.d/*; do
	[ -f "$f" ] || continue
	[ "$(stat -c %a "$f")" = 440 ] || fail "$f is not mode 0440"
	if command -v visudo >/dev/null 2>&1; then
		visudo -c -q -f "$f" || fail "visudo rejects $f"
		echo "test-install: visudo accepts $(basename "$f")"
	elif [ "${TRACERD_E2E:-}" = required ]; then
		fail "visudo (sudo) is not installed (TRACERD_E2E=required)"
	fi
done
echo "test-install: make install (default PREFIX=/usr/local) puts every path under /usr/local and /etc"
