# SPDX-License-Identifier: GPL-2.0-only
#
# What the BPF compile needs for its target architecture, $(ARCH), besides vmlinux/$(ARCH).
# Included by the top Makefile (as every mk/*.mk) and by bench/bench.mk; it only adds to
# BPF_CFLAGS.
#
# The syscall numbers: bpf/syscalls.bpf.h includes the kernel's uapi <asm/unistd.h> of the
# target. clang -target bpf searches /usr/include but no multiarch directory, so the
# target's is put before it with -isystem (and before a host's own /usr/include/asm, which a
# cross build must never pick up): /usr/include/<triplet> (linux-libc-dev, or
# linux-libc-dev:arm64 through multiarch) or else /usr/<triplet>/include
# (linux-libc-dev-arm64-cross). Without either, /usr/include/asm is used, and
# syscalls.bpf.h stops the build if that is another architecture's table.
BPF_TRIPLET_x86 := x86_64-linux-gnu
BPF_TRIPLET_arm64 := aarch64-linux-gnu
BPF_UAPI_DIR := $(patsubst %/asm/unistd.h,%,$(firstword $(wildcard \
	/usr/include/$(BPF_TRIPLET_$(ARCH))/asm/unistd.h \
	/usr/$(BPF_TRIPLET_$(ARCH))/include/asm/unistd.h)))
BPF_CFLAGS += $(if $(BPF_UAPI_DIR),-isystem $(BPF_UAPI_DIR))

# vmlinux/arm64/vmlinux.h comes from a 7.x kernel, built with -fms-extensions: its BTF has
# members that embed a tagged struct without a name ("struct ns_tree;"), which bpftool
# dumps as they are and clang only accepts in that mode.
ifeq ($(ARCH),arm64)
BPF_CFLAGS += -fms-extensions -Wno-microsoft-anon-tag
endif
