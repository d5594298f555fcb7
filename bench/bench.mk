# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's own programs, built by bench/run.py (make -f bench/bench.mk from the
# repository root) into build/bench/: the floor tracers (two BPF objects, their skeletons,
# one loader, which shares src/evloop.c with tracerd) and the storm load generator. Quiet
# unless V=1.

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

OUT := build/bench
CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Ibench -Iinclude -I$(OUT)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf) -lz
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Ivmlinux \
	-Ivmlinux/$(ARCH)
# The target's uapi syscall table and arch flags, as for tracerd's own BPF object.
include mk/bpf-target.mk

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all

all: $(OUT)/floor $(OUT)/storm $(OUT)/stages/tracerd

$(OUT):
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bench/%.bpf.c bench/floor.h bpf/compat.bpf.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The floors read their ring buffer in tracerd's own event loop.
$(OUT)/floor: bench/floor.c src/evloop.c bench/floor.h include/evloop.h include/tracerd_event.h \
		$(OUT)/floor_null.skel.h $(OUT)/floor_record.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) bench/floor.c src/evloop.c $(LIBBPF_LIBS) -o $@

$(OUT)/storm: bench/storm.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# MB/s of each SHA-256 implementation (not part of all: run it by hand,
# make -f bench/bench.mk build/bench/sha256_speed && build/bench/sha256_speed).
$(OUT)/sha256_speed: bench/sha256_speed.c src/sha256.c include/sha256.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) bench/sha256_speed.c src/sha256.c -o $@

# tracerd with its stage timer compiled in (include/stages.h), for the daemon's breakdown:
# the same sources, in a build directory of its own; ./tracerd has no timer at all.
$(OUT)/stages/tracerd: FORCE
	$(Q)$(MAKE) -s --no-print-directory OUT=$(OUT)/stages \
		CFLAGS="-O2 -g -DTRACERD_STAGE_TIMING" $@

.PHONY: FORCE
FORCE:
