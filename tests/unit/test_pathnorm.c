// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pathnorm.h"

static void assert_normalized(const char *base, const char *rel, const char *want)
{
	char out[256];
	int n = path_normalize(base, strlen(base), rel, strlen(rel), out, sizeof(out));

	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
}

static void test_relative_joined_to_base(void **state)
{
	assert_normalized("/home/runner/work", "src/main.c", "/home/runner/work/src/main.c");
	assert_normalized("/", "etc/passwd", "/etc/passwd");
	assert_normalized("/tmp", "", "/tmp");
}

static void test_dot_and_dotdot_removed(void **state)
{
	assert_normalized("/a/b", "./c/./d", "/a/b/c/d");
	assert_normalized("/a/b", "../c", "/a/c");
	assert_normalized("/a/b", "sub/../sub/file.txt", "/a/b/sub/file.txt");
	assert_normalized("/a/b", "../../../../etc/shadow", "/etc/shadow");
	assert_normalized("/a/b", "..", "/a");
	assert_normalized("/a", "..", "/");
	assert_normalized("/", "..", "/");
}

static void test_repeated_and_trailing_slashes(void **state)
{
	assert_normalized("/a//b/", "c//d/", "/a/b/c/d");
	assert_normalized("/a", "./", "/a");
}

static void test_absolute_rel_ignores_base(void **state)
{
	assert_normalized("/ignored", "/etc/../etc/hosts", "/etc/hosts");
	assert_normalized("/ignored", "/", "/");
}

static void test_names_that_look_like_dots(void **state)
{
	assert_normalized("/a", "...", "/a/...");
	assert_normalized("/a", ".hidden/..x", "/a/.hidden/..x");
}

static void assert_in_root(const char *root, const char *rel, const char *want)
{
	char out[256];
	int n = path_normalize_in_root(root, strlen(root), rel, strlen(rel), out, sizeof(out));

	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
}

static void test_in_root_clamps_to_the_root(void **state)
{
	assert_in_root("/srv/jail", "/etc/passwd", "/srv/jail/etc/passwd");
	assert_in_root("/srv/jail", "../../etc/passwd", "/srv/jail/etc/passwd");
	assert_in_root("/srv/jail", "a/../../b", "/srv/jail/b");
	assert_in_root("/srv/jail", "..", "/srv/jail");
	assert_in_root("/", "/x/../..", "/");
}

static void test_too_long(void **state)
{
	char out[8];

	assert_int_equal(path_normalize("/abc", 4, "defgh", 5, out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(path_normalize("/abc", 4, "de", 2, out, sizeof(out)), 7);
	assert_string_equal(out, "/abc/de");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_joined_to_base),
		cmocka_unit_test(test_dot_and_dotdot_removed),
		cmocka_unit_test(test_repeated_and_trailing_slashes),
		cmocka_unit_test(test_absolute_rel_ignores_base),
		cmocka_unit_test(test_names_that_look_like_dots),
		cmocka_unit_test(test_in_root_clamps_to_the_root),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests_name("pathnorm", tests, NULL, NULL);
}
