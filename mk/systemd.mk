# SPDX-License-Identifier: GPL-2.0-only
#
# make test-systemd: tracerd@.service under a real systemd, PID 1 of a qemu TCG guest
# booting Debian bookworm's kernel over this machine's root (tests/systemd/, README.md
# "Under systemd"). SYSTEMD_TEST_TIMEOUT bounds the guest (seconds, default 900).
.PHONY: test-systemd
test-systemd: tracerd
	$(Q)PYTHON=$(PYTHON) MAKE="$(MAKE)" tests/systemd/run.sh
