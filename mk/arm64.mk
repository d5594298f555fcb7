# SPDX-License-Identifier: GPL-2.0-only
#
# arm64: the cross build, the arm64 vmlinux.h and the arm64 guest smoke test.
#
#   make ARCH=arm64        on a non-arm64 host: the same as make tracerd-arm64
#   make tracerd-arm64     build/arm64/tracerd, static, from aarch64-linux-gnu-gcc and the
#                          :arm64 libraries (multiarch); objects under build/arm64/
#   make vmlinux-arm64     regenerate vmlinux/arm64/vmlinux.h from Debian's arm64 kernel
#   make test-arm64        tests/vm/arm64-smoke.sh: trace exec, open, connect and DNS in an
#                          arm64 guest under qemu-system-aarch64 (TCG)
ARM64_OUT := build/arm64
ARM64_CC ?= aarch64-linux-gnu-gcc
# pkg-config from the arm64 multiarch directory, with the private dependencies a static
# link needs (libelf: zlib and zstd).
ARM64_PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
	pkg-config --static
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

.PHONY: tracerd-arm64 vmlinux-arm64 test-arm64

# A plain `make ARCH=arm64` on another architecture is a cross build: it must not link
# arm64 BPF into a host tracerd over the host's objects in build/.
ifeq ($(ARCH)-$(TRACERD_ARM64_SUBMAKE),arm64-)
ifneq ($(HOST_ARCH),arm64)
.DEFAULT_GOAL := tracerd-arm64
endif
endif

# Static: the guest (and any arm64 runner) needs nothing but the kernel. The sub-make is the
# top Makefile itself with OUT, ARCH, CC and the libraries' pkg-config redirected, so the
# arm64 objects never mix with the host's.
tracerd-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 OUT=$(ARM64_OUT) CC=$(ARM64_CC) \
		PKG_CONFIG="$(ARM64_PKG_CONFIG)" LDFLAGS=-static TRACERD_ARM64_SUBMAKE=1 \
		$(ARM64_OUT)/tracerd
	$(call msg,ARM64,$(ARM64_OUT)/tracerd)

vmlinux-arm64:
	$(Q)tests/vm/arm64-vmlinux.sh vmlinux/arm64/vmlinux.h

test-arm64:
	$(Q)tests/vm/arm64-smoke.sh
