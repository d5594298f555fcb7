# SPDX-License-Identifier: GPL-2.0-only
#
# make test-kernels: the end-to-end suite inside qemu TCG guests running Debian's kernels
# (tests/vm/, README.md "Kernels"). KERNELS and ARCHS pick a subset, e.g.
#   make test-kernels KERNELS=bookworm ARCHS=amd64
# VM_TESTS=all runs the whole suite instead of the CI subset (about 20 minutes a kernel);
# VM_JOBS=N boots N guests at once (default 3: each guest is one host thread, tcg,thread=single).
KERNELS ?= bullseye bookworm trixie
ARCHS ?= amd64 arm64
VM_TESTS ?= subset
VM_JOBS ?= 3

.PHONY: test-kernels
test-kernels: tracerd
	$(Q)$(PYTHON) tests/vm/test-kernels.py --kernels "$(KERNELS)" --archs "$(ARCHS)" --jobs $(VM_JOBS) \
		$(if $(filter all,$(VM_TESTS)),--all)
