# SPDX-License-Identifier: GPL-2.0-only
#
# tracerd build: bpf/*.bpf.c -> .bpf.o -> .skel.h -> src objects -> tracerd.
# Quiet unless V=1.

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := 0.1.0

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

PREFIX ?= /usr/local
DESTDIR ?=

OUT := build
PURE_MODULES := json timefmt format dns container options pathnorm
PURE_SRCS := $(addprefix src/,$(addsuffix .c,$(PURE_MODULES)))
DAEMON_SRCS := $(filter-out $(PURE_SRCS),$(wildcard src/*.c))
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARNINGS) -Iinclude -I$(OUT) -D_GNU_SOURCE -DTRACERD_VERSION='"$(VERSION)"' \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong
LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -lz -ljansson
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Ivmlinux \
	-Ivmlinux/$(ARCH)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test unit e2e sanitize bench install vmlinux format

all: tracerd

$(OUT) $(OUT)/tests $(OUT)/san:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/tracerd_event.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/%.o: src/%.c $(wildcard include/*.h) $(SKELS) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

tracerd: $(patsubst src/%.c,$(OUT)/%.o,$(PURE_SRCS) $(DAEMON_SRCS))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# Unit tests link every pure module; each test_<module>.c exercises one of them.
$(OUT)/tests/%: tests/unit/%.c $(patsubst src/%.c,$(OUT)/%.o,$(PURE_SRCS)) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lcmocka -ljansson -o $@

unit: $(UNIT_TESTS)
	$(Q)tests/run-unit.sh $(UNIT_TESTS)

e2e: tracerd
	$(Q)$(PYTHON) tests/e2e/run.py

# The whole suite: unit tests, then the real daemon against real workloads.
test: unit e2e

# Unit tests under ASan and UBSan, built apart from the normal objects.
sanitize:
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/san \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" unit

bench: tracerd
	$(Q)$(PYTHON) bench/run.py

install: tracerd
	install -D -m 0755 tracerd $(DESTDIR)$(PREFIX)/sbin/tracerd
	install -D -m 0644 packaging/tracerd.service $(DESTDIR)/lib/systemd/system/tracerd.service

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

format:
	clang-format -i $(wildcard src/*.c include/*.h bpf/*.c bpf/*.h tests/unit/*.c)

clean:
	rm -rf $(OUT) tracerd
