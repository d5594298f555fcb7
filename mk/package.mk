# SPDX-License-Identifier: GPL-2.0-only
#
# Installing and packaging: make install (PREFIX, DESTDIR), make deb (a Debian package built
# from make install's tree with dpkg-deb, no network), make test-package (man page against
# --help, make install's layout, lintian, and install/upgrade/purge in a Debian 12 chroot).

# Where make install puts things. The unit goes where systemd looks for it: /lib for
# PREFIX=/usr (Debian 12's layout), $(PREFIX)/lib otherwise (/usr/local/lib/systemd/system
# is on systemd's search path; other prefixes need `systemctl link`). sudoers.d and polkit
# only work under /etc and /usr/share, so SYSCONFDIR is /etc whatever the prefix.
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/tracerd
SCHEMADIR ?= $(DATADIR)/tracerd/schemas
PKGLIBDIR ?= $(PREFIX)/lib/tracerd
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSCONFDIR ?= /etc

# What packaging/ holds, found at build time so that files added there are installed
# (and packaged) without touching this fragment.
PKG_UNITS = $(wildcard packaging/*.service packaging/*.socket packaging/*.timer packaging/*.path)
# Hooks keep their mode: executables 0755, what they source (lib.sh) 0644.
PKG_HOOKS = $(sort $(shell find packaging/hooks -maxdepth 1 -type f -perm -u+x 2>/dev/null))
PKG_HOOK_LIBS = $(filter-out $(PKG_HOOKS),$(wildcard packaging/hooks/*))
PKG_SUDOERS = $(wildcard packaging/sudoers.d/*)
PKG_POLKIT_RULES = $(wildcard packaging/polkit/*.rules)
PKG_POLKIT_ACTIONS = $(wildcard packaging/polkit/*.policy)

# Installed text files name the installed paths: @SBINDIR@ and the like are replaced.
PKG_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@SCHEMADIR@|$(SCHEMADIR)|g' -e 's|@PKGLIBDIR@|$(PKGLIBDIR)|g' \
	-e 's|@UNITDIR@|$(UNITDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g'
# install_subst MODE, SOURCE, DIRECTORY: one file, placeholders replaced, written beside
# and renamed into place with its mode: a live /etc/sudoers.d never holds a partial file
# (sudo skips names with a dot, like the temporary one).
install_subst = install -d $(3) && $(PKG_SUBST) $(2) > $(3)/.$(notdir $(2)).tmp && \
	chmod $(1) $(3)/.$(notdir $(2)).tmp && mv -f $(3)/.$(notdir $(2)).tmp $(3)/$(notdir $(2))

# INSTALL_BIN: the binary to install (make deb's is linked with -z now).
INSTALL_BIN ?= tracerd
install: tracerd
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(INSTALL_BIN) $(DESTDIR)$(SBINDIR)/tracerd
	$(Q)$(foreach f,$(PKG_UNITS),$(call install_subst,0644,$(f),$(DESTDIR)$(UNITDIR)) &&) true
	$(Q)$(foreach f,$(PKG_HOOKS),$(call install_subst,0755,$(f),$(DESTDIR)$(PKGLIBDIR)) &&) true
	$(Q)$(foreach f,$(PKG_HOOK_LIBS),$(call install_subst,0644,$(f),$(DESTDIR)$(PKGLIBDIR)) &&) true
	$(Q)$(foreach f,$(PKG_SUDOERS),\
		$(call install_subst,0440,$(f),$(DESTDIR)$(SYSCONFDIR)/sudoers.d) &&) true
	$(Q)$(foreach f,$(PKG_POLKIT_RULES),\
		$(call install_subst,0644,$(f),$(DESTDIR)$(DATADIR)/polkit-1/rules.d) &&) true
	$(Q)$(foreach f,$(PKG_POLKIT_ACTIONS),\
		$(call install_subst,0644,$(f),$(DESTDIR)$(DATADIR)/polkit-1/actions) &&) true
	$(Q)install -d $(DESTDIR)$(MANDIR)/man8
	$(Q)$(PKG_SUBST) packaging/tracerd.8 | gzip -9n > $(DESTDIR)$(MANDIR)/man8/tracerd.8.gz
	$(Q)chmod 0644 $(DESTDIR)$(MANDIR)/man8/tracerd.8.gz
	$(Q)install -d $(DESTDIR)$(SCHEMADIR)
	$(Q)install -m 0644 schemas/*.schema.json $(DESTDIR)$(SCHEMADIR)/
	$(Q)install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md

# The package: make install into a staging tree with PREFIX=/usr, then what Debian adds
# (stripped binary, copyright, changelog, control files). DEB_VERSION defaults to VERSION;
# DEB_DIR is where tracerd_$(DEB_VERSION)_$(DEB_ARCH).deb is written.
DEB_VERSION ?= $(VERSION)
DEB_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR ?= $(OUT)/package
# The staging tree is debian/tracerd/ of a directory of its own, where dpkg-shlibdeps expects it.
DEB_BUILD = $(OUT)/package/build-$(DEB_VERSION)
DEB_STAGE = $(DEB_BUILD)/debian/tracerd
DEB_FILE = $(DEB_DIR)/tracerd_$(DEB_VERSION)_$(DEB_ARCH).deb

.PHONY: deb test-package test-man test-install test-lintian test-deb
# The package's binary is ./tracerd's objects linked again with immediate binding (a
# read-only GOT after start, as Debian's hardening flags do); the objects are complete
# when this recipe runs, whichever fragments add to EXTRA_OBJS.
deb: tracerd
	$(Q)rm -rf $(DEB_BUILD)
	$(Q)mkdir -p $(DEB_BUILD)
	$(call msg,LINK,$(DEB_BUILD)/tracerd)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-z,relro -Wl,-z,now $(DAEMON_OBJS) $(EXTRA_OBJS) $(LIBS) \
		-o $(DEB_BUILD)/tracerd
	$(Q)$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(DEB_STAGE) \
		INSTALL_BIN=$(DEB_BUILD)/tracerd
	$(call msg,DEB,$(DEB_FILE))
	$(Q)packaging/debian/build-deb.sh $(DEB_STAGE) $(DEB_VERSION) $(DEB_ARCH) $(DEB_FILE)

# Cheap: every option of --help is in the man page (also run by make test).
test-man: tracerd
	$(Q)$(PYTHON) tests/package/check-manpage.py ./tracerd packaging/tracerd.8

# make install with DESTDIR and PREFIX: the package's layout with PREFIX=/usr, the
# prefix's paths in every installed file otherwise.
test-install: deb
	$(Q)tests/package/test-install.sh $(DEB_FILE)

test-lintian: deb
	$(Q)tests/package/test-lintian.sh $(DEB_FILE) README.md

# Install, reinstall, upgrade to a higher version, remove and purge in a fresh Debian 12
# chroot (debootstrapped once into build/package/, then unpacked fresh for every run).
DEB_UPGRADE_VERSION := $(VERSION)+test1
test-deb: deb
	$(Q)$(MAKE) --no-print-directory deb DEB_VERSION=$(DEB_UPGRADE_VERSION) \
		DEB_DIR=$(OUT)/package/upgrade
	$(Q)tests/package/test-deb.sh $(DEB_FILE) \
		$(OUT)/package/upgrade/tracerd_$(DEB_UPGRADE_VERSION)_$(DEB_ARCH).deb

test-package: test-man test-install test-lintian test-deb

test: test-man
