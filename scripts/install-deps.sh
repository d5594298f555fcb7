#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs what tracerd needs to build and run make test, from the distribution's packages
# (Debian 12, Ubuntu 22.04 or later). Run as root. With --all, also what the package, fleet,
# systemd and kernel tests need (qemu, cross compilers, debootstrap...: .ci/run).
set -eu

all=false
[ "${1:-}" = --all ] && all=true

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	make gcc clang llvm pkg-config libc6-dev linux-libc-dev \
	libbpf-dev libelf-dev zlib1g-dev libisal-dev libdeflate-dev libjansson-dev libcmocka-dev \
	python3 python3-jsonschema jq curl dnsutils gzip ca-certificates >/dev/null
# libFuzzer for the fuzz targets: part of clang's runtime on some releases, its own
# package on others.
if [ -z "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer*.a' 2>/dev/null | head -n 1)" ]; then
	ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
	apt-get install -y -qq "libclang-rt-$ver-dev" >/dev/null 2>&1 ||
		apt-get install -y -qq "libfuzzer-$ver-dev" >/dev/null 2>&1 || true
fi
# bpftool: its own package on Debian, part of linux-tools on Ubuntu.
if ! command -v bpftool >/dev/null 2>&1 || ! bpftool version >/dev/null 2>&1; then
	apt-get install -y -qq bpftool >/dev/null 2>&1 ||
		apt-get install -y -qq linux-tools-common linux-tools-generic \
			"linux-tools-$(uname -r)" >/dev/null
fi
bpftool version >/dev/null
# make test-deploy (part of make test): sudo and visudo (the hooks' sudoers drop-in),
# shellcheck (the hook scripts).
apt-get install -y -qq --no-install-recommends sudo shellcheck >/dev/null
# The end-to-end suite's copies (tests/e2e/test_copies.py): rsync, a tool whose writes the
# file_write totals must match.
apt-get install -y -qq --no-install-recommends rsync >/dev/null
if ! $all; then
	echo "install-deps: done (scripts/install-deps.sh --all for the guest and package tests)"
	exit 0
fi
# make test-kernels (tests/vm/): qemu boots Debian's kernels (fetched into build/vm/ with
# apt-get download, never installed); busybox-static is the guests' init; kmod's depmod
# indexes their modules; xz-utils/zstd/cpio unpack modules and pack the initramfs.
apt-get install -y -qq --no-install-recommends qemu-system-x86 busybox-static kmod xz-utils zstd cpio >/dev/null
# make tracerd-arm64 / test-arm64 (mk/arm64.mk): the aarch64 cross compiler, the arm64
# libraries tracerd links statically (multiarch :arm64) and qemu-system-aarch64. Debian on
# amd64 only: Ubuntu serves arm64 from another mirror.
if [ "$(dpkg --print-architecture)" = amd64 ] && grep -q '^ID=debian' /etc/os-release; then
	dpkg --add-architecture arm64 && apt-get update -qq && apt-get install -y -qq \
		--no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm \
		linux-libc-dev:arm64 libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 \
		libzstd-dev:arm64 libdeflate-dev:arm64 libjansson-dev:arm64 >/dev/null
fi
# On a CI fleet (mk/deploy.mk, tests/deploy/): sudo (the hooks' sudoers drop-in, visudo),
# shellcheck (the hook scripts), systemd-container (make test-hooks-nspawn); Node.js and npm
# for make test-fleet's DuckDB only where the machine has none.
apt-get install -y -qq --no-install-recommends sudo shellcheck systemd-container $(command -v npm >/dev/null || echo nodejs npm) >/dev/null
# make deb / test-package (mk/package.mk): dpkg-shlibdeps computes Depends, lintian checks
# the package, debootstrap makes the Debian 12 root it is installed in, systemd-analyze
# (systemd) and visudo (sudo) check the installed unit and sudoers drop-in.
apt-get install -y -qq --no-install-recommends dpkg-dev binutils lintian debootstrap man-db systemd sudo >/dev/null
# make test-systemd (tests/systemd/): systemd is the guest's PID 1 (the guest boots this
# machine's root), qemu runs it, busybox-static/cpio/kmod make its initramfs; sudo,
# passwd and curl serve tests/deploy/test-hooks.sh inside it.
apt-get install -y -qq --no-install-recommends systemd qemu-system-x86 busybox-static cpio kmod sudo passwd curl >/dev/null
echo "install-deps: done"
