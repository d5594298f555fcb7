# SPDX-License-Identifier: GPL-2.0-only
#
# tracerd build: bpf/*.bpf.c -> .bpf.o -> .skel.h -> src objects -> tracerd.
# Quiet unless V=1.

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := 0.1.0

CC ?= cc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

PREFIX ?= /usr/local
DESTDIR ?=

OUT := build
# The daemon proper needs the kernel: the entry point, the loop, BPF loading, privileges, the
# command. Every other module is unit-tested without one (tests/unit/test_<module>.c).
DAEMON_MODULES := main daemon bpf_setup privileges command hasher
PURE_SRCS := $(filter-out $(addprefix src/,$(addsuffix .c,$(DAEMON_MODULES))),$(wildcard src/*.c))
DAEMON_SRCS := $(filter-out $(PURE_SRCS),$(wildcard src/*.c))
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
# tracerd_noloop: the same programs for kernels without bpf_loop() (bpf/compat.bpf.h).
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS)) $(OUT)/tracerd_noloop.skel.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARNINGS) -Iinclude -I$(OUT) -D_GNU_SOURCE -DTRACERD_VERSION='"$(VERSION)"' \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong
# The trace's gzip encoder (include/gzip.h): ISA-L's igzip where the target has a shared
# libisal, else libdeflate (a static link: Debian ships no static libisal), or by choice:
# make GZIP_ENCODER=libdeflate.
GZIP_ENCODER ?= $(if $(filter -static,$(LDFLAGS)),libdeflate,$(shell $(PKG_CONFIG) --exists \
	libisal 2>/dev/null && echo isal || echo libdeflate))
GZIP_LIBS_isal := -lisal
GZIP_LIBS_libdeflate := -ldeflate
override CFLAGS += $(if $(filter isal,$(GZIP_ENCODER)),-DTRACERD_GZIP_ISAL)
LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) \
	$(GZIP_LIBS_$(GZIP_ENCODER))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Ivmlinux \
	-Ivmlinux/$(ARCH)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The objects of ./tracerd. Areas beyond the daemon (the reader, packaging, guests) keep
# their rules in mk/*.mk: a fragment may add to EXTRA_OBJS (objects under $(OUT)), LIBS,
# and the prerequisites of test.
DAEMON_OBJS = $(patsubst src/%.c,$(OUT)/%.o,$(PURE_SRCS) $(DAEMON_SRCS))
EXTRA_OBJS :=
.DEFAULT_GOAL := all
include $(sort $(wildcard mk/*.mk))

.DELETE_ON_ERROR:
# Keep the BPF object and skeleton: make would delete them as intermediates, and say so
# after the test summary.
.SECONDARY:
.PHONY: all clean test unit e2e sanitize fuzz bench install vmlinux format valgrind soak

all: tracerd

$(OUT) $(OUT)/tests $(OUT)/san:
	$(Q)mkdir -p $@

# -g for BTF; the DWARF beside it is dropped (llvm-strip -g keeps .BTF and .BTF.ext): each
# object is embedded in ./tracerd, and DWARF was two thirds of its 1.2 MB.
$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/tracerd_event.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/tracerd_noloop.bpf.o: bpf/tracerd.bpf.c $(wildcard bpf/*.h) include/tracerd_event.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DTRACERD_NO_BPF_LOOP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/%.o: src/%.c $(wildcard include/*.h) $(SKELS) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

tracerd: $(DAEMON_OBJS) $(EXTRA_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# The same link into $(OUT), for builds with other flags (make sanitize).
$(OUT)/tracerd: $(DAEMON_OBJS) $(EXTRA_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# Unit tests link every pure module; each test_<module>.c exercises one of them.
$(OUT)/tests/%: tests/unit/%.c $(patsubst src/%.c,$(OUT)/%.o,$(PURE_SRCS)) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -lcmocka -ljansson $(GZIP_LIBS_$(GZIP_ENCODER)) -lz -lbpf -o $@

# With igzip the daemon's encoder, the libdeflate one (the static arm64 build's) is tested
# too: test_gzip again, over gzip.c built the other way.
ifeq ($(GZIP_ENCODER),isal)
UNIT_TESTS += $(OUT)/tests/test_gzip_libdeflate
$(OUT)/tests/test_gzip_libdeflate: tests/unit/test_gzip.c src/gzip.c include/gzip.h | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -UTRACERD_GZIP_ISAL $(LDFLAGS) $(filter %.c,$^) -lcmocka -ldeflate -lz \
		-o $@
endif

unit: $(UNIT_TESTS)
	$(Q)tests/run-unit.sh $(UNIT_TESTS)

e2e: tracerd
	$(Q)$(PYTHON) tests/e2e/run.py

FUZZ_SECONDS ?= 20
fuzz:
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

# The whole suite: unit tests (plain and sanitized), a short fuzz run, then the real
# daemon against real workloads.
test: unit sanitize fuzz e2e

# Unit tests under ASan and UBSan, built apart from the normal objects, then one real trace
# (the issue's acceptance scenario) by a tracerd built the same way into build/san/.
SAN_OUT := $(OUT)/san
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize:
	$(Q)$(MAKE) --no-print-directory OUT=$(SAN_OUT) CFLAGS="$(SAN_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" unit $(SAN_OUT)/tracerd
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		TRACERD=$(CURDIR)/$(SAN_OUT)/tracerd $(PYTHON) tests/e2e/run.py -k test_issue_acceptance

# valgrind memcheck over one real trace: fails on any error or definite leak.
valgrind: tracerd
	$(Q)scripts/valgrind-trace.sh ./tracerd

# Ten minutes of a steady mixed workload, sampling tracerd's RSS (not part of make test).
SOAK_SECONDS ?= 600
soak: tracerd
	$(Q)scripts/soak.sh ./tracerd $(SOAK_SECONDS)

bench: tracerd
	$(Q)$(PYTHON) bench/run.py $(BENCH_FLAGS)

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# This machine's BTF describes this machine's architecture only (arm64: make vmlinux-arm64).
vmlinux:
	$(Q)test "$(ARCH)" = "$(HOST_ARCH)" || { echo "make vmlinux: this machine's BTF is $(HOST_ARCH), not $(ARCH)" >&2; exit 2; }
	{ echo "/* SPDX-License-Identifier: GPL-2.0-only */"; \
	  echo "/* Generated by make vmlinux: bpftool btf dump file /sys/kernel/btf/vmlinux format c */"; \
	  $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c; } > vmlinux/$(ARCH)/vmlinux.h

format:
	clang-format -i $(wildcard src/*.c include/*.h bpf/*.c bpf/*.h tests/unit/*.c)

clean:
	rm -rf $(OUT) tracerd

