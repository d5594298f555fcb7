# SPDX-License-Identifier: GPL-2.0-only
#
# On a CI fleet: the runner hooks, the upload of finished traces and fleet queries
# (packaging/hooks/, packaging/sudoers.d/, tests/deploy/). make install (mk/package.mk)
# installs the hooks into $(PKGLIBDIR) and the sudoers drop-in.
#
#   make test-deploy   the hooks' job-id mapping, tracerd-upload against loopback HTTP
#                      servers and a directory, the root wrapper with a fake systemctl
#   make test-fleet    three real traces recorded and uploaded into a hive layout, then
#                      the README's DuckDB queries over them (@duckdb/node-api from npm,
#                      cached in build/deploy/node_modules)
#   make test-hooks-nspawn   tests/deploy/test-hooks.sh, the hooks against a real systemd,
#                      in a systemd-nspawn boot of this machine (make test-systemd's qemu
#                      guest runs the same script: see the top of it)

DEPLOY_OUT := $(OUT)/deploy

.PHONY: test-deploy test-fleet
test-deploy:
	$(Q)$(PYTHON) tests/deploy/test_deploy.py

test-fleet: tracerd
	$(Q)tests/deploy/test-fleet.sh ./tracerd $(DEPLOY_OUT)

# About a minute, no network, no systemd: part of make test.
test: test-deploy

# The runner hooks against a real systemd: tests/deploy/test-hooks.sh in a systemd-nspawn
# container booting this machine's root (overlay on tmpfs), about a minute. Not part of
# make test (it boots a system); CI runs it as an extra target.
.PHONY: test-hooks-nspawn
test-hooks-nspawn: tracerd
	$(Q)tests/deploy/nspawn-hooks.sh $(DEPLOY_OUT)/nspawn
