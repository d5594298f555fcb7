// SPDX-License-Identifier: GPL-2.0-only
/* openpaths.c: the ring of numbered open paths that first writes take by number. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "openpaths.h"
#include "tracerd_event.h"

#define SLOTS 4

static int setup(void **state)
{
	struct open_paths *p;

	if (open_paths_new(&p, SLOTS) < 0)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	open_paths_free(*state);
	return 0;
}

static void add(struct open_paths *p, uint64_t seq, uint64_t file, const char *path)
{
	assert_int_equal(open_paths_add(p, seq, file, path, strlen(path)), 0);
}

/* The path of (seq, file), or NULL, as a NUL-ended copy for the assertions. */
static char *take(struct open_paths *p, uint64_t seq, uint64_t file)
{
	static char buf[TRACERD_OPEN_PATH_KEEP_MAX + 1];
	size_t len = 12345;
	const char *path = open_paths_find(p, seq, file, &len);

	if (!path)
		return NULL;
	assert_true(len <= TRACERD_OPEN_PATH_KEEP_MAX);
	memcpy(buf, path, len);
	buf[len] = '\0';
	return buf;
}

static void test_add_find(void **state)
{
	struct open_paths *p = *state;

	add(p, 1, 0xa000, "/work/out/a.o");
	add(p, 2, 0xb000, "/work/out/b.o");
	assert_string_equal(take(p, 2, 0xb000), "/work/out/b.o");
	assert_string_equal(take(p, 1, 0xa000), "/work/out/a.o");
	/* A child's first write to the same open file names the same open. */
	assert_string_equal(take(p, 1, 0xa000), "/work/out/a.o");
}

/* A number of another file, or one never seen, or 0: nothing, never another path. */
static void test_other_file_or_unknown_number(void **state)
{
	struct open_paths *p = *state;

	add(p, 7, 0xa000, "/tmp/x");
	assert_null(take(p, 7, 0xc000));
	assert_null(take(p, 3, 0xa000)); /* the same slot (3 & 3 == 7 & 3), another number */
	assert_null(take(p, 0, 0));
	assert_string_equal(take(p, 7, 0xa000), "/tmp/x");
}

/* Past SLOTS newer opens, a number's slot is taken: its lookup finds nothing. */
static void test_wrap_around_evicts_the_oldest(void **state)
{
	struct open_paths *p = *state;
	char path[32];
	uint64_t seq;

	for (seq = 1; seq <= SLOTS + 2; seq++) {
		snprintf(path, sizeof(path), "/d/f%llu", (unsigned long long)seq);
		add(p, seq, 0x1000 * seq, path);
	}
	assert_null(take(p, 1, 0x1000)); /* evicted by 5 */
	assert_null(take(p, 2, 0x2000)); /* evicted by 6 */
	assert_string_equal(take(p, 3, 0x3000), "/d/f3");
	assert_string_equal(take(p, 4, 0x4000), "/d/f4");
	assert_string_equal(take(p, 5, 0x5000), "/d/f5");
	assert_string_equal(take(p, 6, 0x6000), "/d/f6");
	/* Numbers far beyond 32 bits wrap the same way. */
	add(p, (1ULL << 40) + 1, 0x7000, "/big");
	assert_string_equal(take(p, (1ULL << 40) + 1, 0x7000), "/big");
}

/* Records out of number order (two CPUs) each keep their own slot. */
static void test_out_of_order(void **state)
{
	struct open_paths *p = *state;

	add(p, 10, 0xa, "/ten");
	add(p, 9, 0x9, "/nine");
	add(p, 11, 0xb, "/eleven");
	assert_string_equal(take(p, 9, 0x9), "/nine");
	assert_string_equal(take(p, 11, 0xb), "/eleven");
	assert_string_equal(take(p, 10, 0xa), "/ten");
}

static void test_limits(void **state)
{
	struct open_paths *p = *state;
	char longest[TRACERD_OPEN_PATH_KEEP_MAX + 1];
	struct open_paths *bad;

	memset(longest, 'x', sizeof(longest));
	longest[0] = '/';
	assert_int_equal(open_paths_add(p, 1, 1, longest, sizeof(longest)), -EINVAL);
	assert_int_equal(open_paths_add(p, 0, 1, "/a", 2), -EINVAL);
	assert_int_equal(open_paths_add(p, 2, 1, longest, TRACERD_OPEN_PATH_KEEP_MAX), 0);
	longest[TRACERD_OPEN_PATH_KEEP_MAX] = '\0';
	assert_string_equal(take(p, 2, 1), longest);
	assert_int_equal(open_paths_new(&bad, 3), -EINVAL);
	assert_int_equal(open_paths_new(&bad, 0), -EINVAL);
	assert_true(open_paths_bytes(p) >= SLOTS * TRACERD_OPEN_PATH_KEEP_MAX);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_find),
		T(test_other_file_or_unknown_number),
		T(test_wrap_around_evicts_the_oldest),
		T(test_out_of_order),
		T(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
