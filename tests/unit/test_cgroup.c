// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup.c: container ids from exec records' cgroup names, from the cgroup filesystem for
 * cgroups no exec named, and where that filesystem is mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SCOPE "docker-" ID ".scope"

static int setup(void **state)
{
	struct cgroup_cache *c;

	/* No cgroup2 mount: only what exec records name is known. */
	if (cgroup_cache_new_at(&c, -1) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	cgroup_cache_free(*state);
	return 0;
}

static void test_note_then_lookup(void **state)
{
	struct cgroup_cache *c = *state;

	assert_int_equal(cgroup_cache_note(c, 5000, SCOPE, strlen(SCOPE)), 0);
	assert_string_equal(cgroup_cache_container(c, 5000), ID);
	assert_int_equal(cgroup_cache_note(c, 5001, "session-3.scope", 15), 0);
	assert_null(cgroup_cache_container(c, 5001));
	/* Not noted, and no cgroup2 mount to ask: unknown, and asked only once. */
	assert_null(cgroup_cache_container(c, 5002));
	assert_null(cgroup_cache_container(c, 5002));
	assert_int_equal(cgroup_cache_root_fd(c), -1);
}

/* A later exec in the same cgroup tells the same; a name that changed is believed. */
static void test_note_again(void **state)
{
	struct cgroup_cache *c = *state;

	cgroup_cache_note(c, 77, "user.slice", 10);
	assert_null(cgroup_cache_container(c, 77));
	cgroup_cache_note(c, 77, SCOPE, strlen(SCOPE));
	assert_string_equal(cgroup_cache_container(c, 77), ID);
}

/* The root cgroup's id is 1; 0 is no cgroup at all, and names past NAME_MAX no name. */
static void test_ignored_notes(void **state)
{
	struct cgroup_cache *c = *state;
	char long_name[NAME_MAX + 2];

	assert_int_equal(cgroup_cache_note(c, 0, SCOPE, strlen(SCOPE)), 0);
	assert_null(cgroup_cache_container(c, 0));
	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name + sizeof(long_name) - strlen(SCOPE), SCOPE, strlen(SCOPE));
	assert_int_equal(cgroup_cache_note(c, 9, long_name, sizeof(long_name)), 0);
	assert_null(cgroup_cache_container(c, 9));
	assert_int_equal(cgroup_cache_note(c, 9, SCOPE, 0), 0);
	assert_null(cgroup_cache_container(c, 9));
}

/* Thousands of cgroups (a busy Kubernetes node), through the table's growth. */
static void test_many_cgroups(void **state)
{
	struct cgroup_cache *c = *state;
	char name[128];

	for (uint64_t id = 2; id < 5000; id++) {
		snprintf(name, sizeof(name), "cri-containerd-%064llx.scope",
			 (unsigned long long)id);
		assert_int_equal(cgroup_cache_note(c, id << 20, name, strlen(name)), 0);
	}
	for (uint64_t id = 2; id < 5000; id += 111) {
		snprintf(name, sizeof(name), "%064llx", (unsigned long long)id);
		assert_string_equal(cgroup_cache_container(c, id << 20), name);
	}
	assert_null(cgroup_cache_container(c, 1));
}

static void assert_mount(const char *line, int want, const char *want_path)
{
	char path[PATH_MAX] = "untouched";

	assert_int_equal(cgroup_mountinfo_cgroup2(line, path, sizeof(path)), want);
	assert_string_equal(path, want_path);
}

static void test_mountinfo(void **state)
{
	/* Debian 12, unified. */
	assert_mount("29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - "
		     "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
		     0, "/sys/fs/cgroup");
	/* Hybrid: v1 controllers on a tmpfs, cgroup2 under unified. */
	assert_mount("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n", -ENOENT,
		     "untouched");
	assert_mount("32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n",
		     -ENOENT, "untouched");
	assert_mount("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n", 0,
		     "/sys/fs/cgroup/unified");
	/* Optional fields, and a mount point with a space and a tab, escaped as octal. */
	assert_mount("50 1 0:40 / /mnt/my\\040cg\\011roups rw shared:9 master:2 - cgroup2 none rw",
		     0, "/mnt/my cg\troups");
	/* A cgroup2 of another name elsewhere on the line is not the type. */
	assert_mount("51 1 0:41 / /cgroup2 rw - tmpfs cgroup2 rw\n", -ENOENT, "untouched");
	assert_mount("", -ENOENT, "untouched");
	assert_mount("truncated - cgroup2 x", -ENOENT, "untouched");
}

static void test_mountinfo_too_long(void **state)
{
	char path[8] = "";

	assert_int_equal(cgroup_mountinfo_cgroup2("1 1 0:1 / /sys/fs/cgroup rw - cgroup2 c rw",
						  path, sizeof(path)),
			 -ENAMETOOLONG);
}

/* Without what the test needs: a skip on a laptop, a failure where CI requires it. */
static void skip_unless_required(const char *why)
{
	const char *required = getenv("TRACERD_E2E");

	if (required && strcmp(required, "required") == 0)
		fail_msg("TRACERD_E2E=required: %s", why);
	skip();
}

/*
 * The real thing: a cgroup made for the test, looked up by id through the cgroup2 mount.
 * Needs root (mkdir in cgroupfs, open_by_handle_at) and a cgroup2 mount.
 */
static void test_lookup_through_cgroupfs(void **state)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = { .fh = { .handle_bytes = sizeof(uint64_t) } };
	char parent[64], leaf[256];
	struct cgroup_cache *c;
	int mount_id, fd = cgroup_root_open();
	uint64_t id;

	if (fd < 0 || geteuid() != 0) {
		if (fd >= 0)
			close(fd);
		skip_unless_required("needs root and a cgroup2 mount");
	}
	snprintf(parent, sizeof(parent), "tracerd-test-%d", (int)getpid());
	snprintf(leaf, sizeof(leaf), "%s/" SCOPE, parent);
	if (mkdirat(fd, parent, 0755) < 0) {
		close(fd);
		skip_unless_required("cannot make a cgroup"); /* a read-only cgroupfs */
	}
	assert_int_equal(mkdirat(fd, leaf, 0755), 0);
	assert_int_equal(name_to_handle_at(fd, leaf, &handle.fh, &mount_id, 0), 0);
	assert_int_equal(handle.fh.handle_bytes, sizeof(uint64_t));
	memcpy(&id, handle.fh.f_handle, sizeof(id));

	assert_int_equal(cgroup_cache_new_at(&c, fd), 0);
	assert_int_equal(cgroup_cache_root_fd(c), fd);
	assert_string_equal(cgroup_cache_container(c, id), ID);
	/* Remembered: still found after the cgroup is gone. */
	assert_int_equal(unlinkat(fd, leaf, AT_REMOVEDIR), 0);
	assert_string_equal(cgroup_cache_container(c, id), ID);
	assert_int_equal(unlinkat(fd, parent, AT_REMOVEDIR), 0);
	/* A gone cgroup's id resolves to nothing. */
	assert_null(cgroup_cache_container(c, id + 1000000));
	cgroup_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_note_then_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_notes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_cgroups, setup, teardown),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_mountinfo_too_long),
		cmocka_unit_test(test_lookup_through_cgroupfs),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
