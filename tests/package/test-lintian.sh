#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# test-lintian.sh DEB README: lintian on the package. Fails on any error or warning that
# README's lintian table (rows "| `tag` | level | why |" under a heading naming lintian)
# does not list with its reason. Info and pedantic tags are printed, not failed on.
set -eu

deb=$1
readme=$2
fail() {
	echo "test-lintian: FAIL: $*" >&2
	exit 1
}
command -v lintian >/dev/null 2>&1 || fail "lintian is not installed (scripts/install-deps.sh installs it)"

# The accepted tags: first column of the table in the README's lintian section.
accepted=$(awk '/^#+ .*[Ll]intian/ { on = 1; next } /^#/ { on = 0 }
	on && /^\| `[a-z0-9.+-]+` \|/ { gsub(/[`| ]/, "", $2); print $2 }' "$readme")

# "X: package: tag [context]" lines; --fail-on none so that this script decides.
out=$(lintian --fail-on none -I --pedantic "$deb" 2>/dev/null) || fail "lintian did not run: $out"
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
bad=
for tag in $(printf '%s\n' "$out" | sed -n 's/^[EW]: [^ ]*: \([^ ]*\).*/\1/p' | sort -u); do
	printf '%s\n' "$accepted" | grep -qx -- "$tag" || bad="$bad $tag"
done
[ -z "$bad" ] || fail "lintian errors or warnings not explained in $readme:$bad"
for tag in $accepted; do
	printf '%s\n' "$out" | grep -q ": $tag\( \|$\)" ||
		echo "test-lintian: note: $readme explains $tag, which lintian no longer reports"
done
echo "test-lintian: no unexplained lintian error or warning ($(printf '%s\n' "$out" | grep -c . || true) tags in all)"
