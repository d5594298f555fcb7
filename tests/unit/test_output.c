/* SPDX-License-Identifier: GPL-2.0-only */
/* output.c: how the trace file is created, staged, written as gzip members and closed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "capture.h"
#include "output.h"

#define STAGE_SIZE (256 * 1024) /* output.c's stage: one gzip member at most */

static struct capture cap;

static int setup(void **state)
{
	capture_open(&cap);
	return 0;
}

static int teardown(void **state)
{
	capture_close(&cap);
	return 0;
}

static void test_created_private(void **state)
{
	struct stat st;

	assert_int_equal(lstat(cap.path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 0);
	assert_true(output_fd(cap.out) >= 0);
}

static void test_refusals(void **state)
{
	char path[160], link[160];
	struct output *o = NULL;
	const char *why = NULL;

	/* It exists: refused without force. */
	assert_int_equal(output_open(cap.path, false, &o, &why), -EEXIST);
	assert_string_equal(why, "it already exists (use --force to replace it)");
	/* A symlink, with or without force, even to a file that does not exist. */
	snprintf(link, sizeof(link), "%s/link", cap.dir);
	snprintf(path, sizeof(path), "%s/target", cap.dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(output_open(link, false, &o, &why), -EEXIST);
	assert_string_equal(why, "it is a symlink (never followed)");
	assert_int_equal(output_open(link, true, &o, &why), -EEXIST);
	assert_string_equal(why, "it is a symlink (never followed)");
	assert_int_equal(access(path, F_OK), -1); /* nothing created through it */
	unlink(link);
	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/missing/t.jsonl.gz", cap.dir);
	assert_int_equal(output_open(path, false, &o, &why), -ENOENT);
	assert_string_equal(why, "its directory does not exist");
	/* Not a regular file: a directory is never replaced. */
	snprintf(path, sizeof(path), "%s/sub", cap.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(output_open(path, true, &o, &why), -EEXIST);
	assert_string_equal(why, "it exists and is not a regular file");
	rmdir(path);
}

static void test_force_replaces_a_regular_file(void **state)
{
	struct output *o = NULL;
	const char *why = NULL;
	uint64_t lost = 99;
	struct stat st;

	assert_int_equal(output_append(cap.out, "{\"a\":1}\n", 8), 0);
	assert_int_equal(output_close(cap.out, &lost), 0);
	cap.out = NULL;
	assert_int_equal(lost, 0);
	assert_int_equal(output_open(cap.path, true, &o, &why), 0);
	assert_int_equal(stat(cap.path, &st), 0);
	assert_int_equal(st.st_size, 0);
	cap.out = o;
}

static void test_members_hold_whole_lines(void **state)
{
	char line[100];
	uint64_t lost = 99;
	struct stat st;

	assert_int_equal(output_append(cap.out, "{\"n\":1}\n", 8), 0);
	assert_int_equal(output_append(cap.out, "{\"n\":2}\n", 8), 0);
	/* Nothing reaches the file before a flush. */
	assert_int_equal(stat(cap.path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(output_flush(cap.out, &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(capture_read(&cap), 2);
	/* A second member: the file reads as one stream. */
	snprintf(line, sizeof(line), "{\"n\":3}\n");
	assert_int_equal(output_append(cap.out, line, strlen(line)), 0);
	assert_int_equal(output_flush(cap.out, &lost), 0);
	assert_int_equal(output_flush(cap.out, &lost), 0); /* an empty stage writes nothing */
	assert_int_equal(capture_read(&cap), 3);
	assert_int_equal(capture_int(cap.lines[2], "n"), 3);
}

static void test_stage_limits(void **state)
{
	static char big[STAGE_SIZE + 1];

	memset(big, ' ', sizeof(big));
	assert_true(output_fits(cap.out, STAGE_SIZE));
	assert_false(output_fits(cap.out, STAGE_SIZE + 1));
	assert_int_equal(output_append(cap.out, big, sizeof(big)), -E2BIG);
	assert_int_equal(output_append(cap.out, big, STAGE_SIZE - 1), 0);
	assert_false(output_fits(cap.out, 2));
	assert_int_equal(output_append(cap.out, big, 2), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_replaces_a_regular_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_members_hold_whole_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
