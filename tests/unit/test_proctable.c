// SPDX-License-Identifier: GPL-2.0-only
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proctable.h"

static int setup(void **state)
{
	struct proc_table *t;

	if (proc_table_new(&t) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	proc_table_free(*state);
	return 0;
}

static void assert_cwd(struct proc_table *t, uint32_t pid, const char *want)
{
	size_t len = 0;
	const char *cwd = proc_table_cwd(t, pid, &len);

	if (!want) {
		assert_null(cwd);
		return;
	}
	assert_non_null(cwd);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(cwd, want, len);
	assert_int_equal(cwd[len], '\0'); /* usable as a C string too */
}

static void test_unknown_process_has_no_cwd(void **state)
{
	assert_cwd(*state, 42, NULL);
}

static void test_exec_then_chdir(void **state)
{
	struct proc_table *t = *state;

	assert_int_equal(proc_table_set_cwd(t, 100, "/work", 5), 0);
	assert_cwd(t, 100, "/work");
	assert_int_equal(proc_table_set_cwd(t, 100, "/tmp/build", 10), 0);
	assert_cwd(t, 100, "/tmp/build");
}

static void test_child_starts_where_parent_was_and_goes_its_own_way(void **state)
{
	struct proc_table *t = *state;

	proc_table_set_cwd(t, 1, "/srv", 4);
	assert_int_equal(proc_table_fork(t, 1, 2), 0);
	assert_cwd(t, 2, "/srv");
	proc_table_set_cwd(t, 2, "/usr", 4);
	assert_cwd(t, 1, "/srv");
	assert_cwd(t, 2, "/usr");
	/* The parent moving later does not move a child forked before. */
	assert_int_equal(proc_table_fork(t, 1, 3), 0);
	proc_table_set_cwd(t, 1, "/", 1);
	assert_cwd(t, 3, "/srv");
	assert_cwd(t, 1, "/");
}

static void test_exit_and_pid_reuse(void **state)
{
	struct proc_table *t = *state;

	proc_table_set_cwd(t, 7, "/a", 2);
	proc_table_remove(t, 7);
	assert_cwd(t, 7, NULL);
	proc_table_set_cwd(t, 8, "/b", 2);
	/* pid 8 reused by a child of a process the trace never saw: the old cwd goes. */
	assert_int_equal(proc_table_fork(t, 999, 8), 0);
	assert_cwd(t, 8, NULL);
}

/* The table keeps its own copy: the record's buffer is reused for the next one. */
static void test_set_cwd_copies(void **state)
{
	struct proc_table *t = *state;
	char buf[] = "/home/runner/work/repo";

	/* Only len bytes count: a path need not be NUL-ended in the record. */
	assert_int_equal(proc_table_set_cwd(t, 5, buf, 12), 0);
	memset(buf, 'x', sizeof(buf) - 1);
	assert_cwd(t, 5, "/home/runner");
	/* The same directory again (a chdir("."), a re-exec) changes nothing. */
	assert_int_equal(proc_table_set_cwd(t, 5, "/home/runner", 12), 0);
	assert_cwd(t, 5, "/home/runner");
	/* A prefix of the old path is another directory. */
	assert_int_equal(proc_table_set_cwd(t, 5, "/home", 5), 0);
	assert_cwd(t, 5, "/home");
}

/* Paths as long as the kernel sends (PATH_MAX and more when cut), byte for byte. */
static void test_long_paths(void **state)
{
	struct proc_table *t = *state;
	static char path[8192];
	size_t len = 0;
	const char *cwd;

	for (size_t i = 0; i < sizeof(path) - 1; i++)
		path[i] = i % 64 == 0 ? '/' : 'a' + i % 26;
	assert_int_equal(proc_table_set_cwd(t, 9, path, 4096), 0);
	cwd = proc_table_cwd(t, 9, &len);
	assert_int_equal(len, 4096);
	assert_memory_equal(cwd, path, 4096);
	assert_int_equal(proc_table_set_cwd(t, 9, path, sizeof(path) - 1), 0);
	cwd = proc_table_cwd(t, 9, &len);
	assert_int_equal(len, sizeof(path) - 1);
	assert_string_equal(cwd, path);
}

/*
 * A child shares its parent's directory until either moves; the parent's exit leaves
 * the child's in place, and a known pid forked again (reuse) takes the new parent's.
 */
static void test_shared_cwd_outlives_parent(void **state)
{
	struct proc_table *t = *state;

	assert_int_equal(proc_table_set_cwd(t, 1, "/srv/app", 8), 0);
	assert_int_equal(proc_table_fork(t, 1, 2), 0);
	assert_int_equal(proc_table_fork(t, 2, 3), 0);
	/* The child setting the directory it shares changes nothing for anyone. */
	assert_int_equal(proc_table_set_cwd(t, 2, "/srv/app", 8), 0);
	proc_table_remove(t, 1);
	proc_table_remove(t, 1); /* gone already: nothing happens */
	assert_cwd(t, 1, NULL);
	assert_cwd(t, 2, "/srv/app");
	assert_cwd(t, 3, "/srv/app");
	proc_table_remove(t, 2);
	assert_cwd(t, 3, "/srv/app");
	assert_int_equal(proc_table_set_cwd(t, 4, "/tmp", 4), 0);
	assert_int_equal(proc_table_fork(t, 4, 3), 0);
	assert_cwd(t, 3, "/tmp");
	/* Forking itself (a bogus record) leaves it as it was. */
	assert_int_equal(proc_table_fork(t, 3, 3), 0);
	assert_cwd(t, 3, "/tmp");
	assert_cwd(t, 4, "/tmp");
}

static void test_many_processes_share_buckets(void **state)
{
	struct proc_table *t = *state;

	proc_table_set_cwd(t, 1, "/root", 5);
	for (uint32_t pid = 2; pid < 40000; pid++)
		assert_int_equal(proc_table_fork(t, 1, pid), 0);
	for (uint32_t pid = 2; pid < 40000; pid += 2)
		proc_table_remove(t, pid);
	assert_cwd(t, 39999, "/root");
	assert_cwd(t, 39998, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_process_has_no_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_then_chdir, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_child_starts_where_parent_was_and_goes_its_own_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_and_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_cwd_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_cwd_outlives_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_processes_share_buckets, setup, teardown),
	};

	return cmocka_run_group_tests_name("proctable", tests, NULL, NULL);
}
