# SPDX-License-Identifier: GPL-2.0-only
#
# The trace reader (tracerd show|summary|diff|check): reader/*.c into ./tracerd, its cmocka
# tests (reader/tests/), its fuzzers (reader/fuzz/) and its benchmark (reader/bench/).

READER_SRCS := $(wildcard reader/*.c)
READER_OBJS := $(patsubst reader/%.c,$(OUT)/reader/%.o,$(READER_SRCS))
READER_TESTS := $(patsubst reader/tests/%.c,$(OUT)/reader/tests/%,$(wildcard reader/tests/test_*.c))
READER_CFLAGS = -Ireader $(CFLAGS)

EXTRA_OBJS += $(READER_OBJS)
LIBS += -ljansson -lz

.PHONY: reader-unit reader-fuzz reader-sanitize bench-reader

$(OUT)/reader $(OUT)/reader/tests:
	$(Q)mkdir -p $@

$(OUT)/reader/%.o: reader/%.c $(wildcard reader/*.h) | $(OUT)/reader
	$(call msg,CC,$@)
	$(Q)$(CC) $(READER_CFLAGS) -c $< -o $@

$(OUT)/reader/tests/%: reader/tests/%.c $(READER_OBJS) | $(OUT)/reader/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(READER_CFLAGS) $(LDFLAGS) $^ -lcmocka -ljansson -lz -o $@

# The fixtures some tests read live next to them: run from the source tree.
reader-unit: $(READER_TESTS)
	$(Q)tests/run-unit.sh $(READER_TESTS)

unit: reader-unit
test: reader-unit

# The reader's end-to-end tests again with tracerd built under ASan and UBSan (leaks too):
# the daemon records the traces, the sanitized reader reads them.
reader-sanitize:
	$(Q)$(MAKE) --no-print-directory OUT=$(SAN_OUT) CFLAGS="$(SAN_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" $(SAN_OUT)/tracerd
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		TRACERD=$(CURDIR)/$(SAN_OUT)/tracerd $(PYTHON) tests/e2e/run.py -k test_reader

sanitize: reader-sanitize

reader-fuzz:
	$(Q)reader/fuzz/run.sh $(FUZZ_SECONDS)

fuzz: reader-fuzz

# tracerd summary on a 1,000,000-event trace against gunzip | jq doing the same summary.
# Part of make bench; BENCH_FLAGS=--quick summarizes 100,000 events instead of 1,000,000.
bench-reader: tracerd
	$(Q)reader/bench/bench.sh ./tracerd $(if $(findstring --quick,$(BENCH_FLAGS)),100000)

bench: bench-reader
