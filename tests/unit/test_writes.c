// SPDX-License-Identifier: GPL-2.0-only
/* writes.c: the open files a process wrote to, until their file_write line is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "writes.h"

static int setup(void **state)
{
	struct write_table *w;

	if (write_table_new(&w) < 0)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	write_table_free(*state);
	return 0;
}

static void add(struct write_table *w, uint32_t pid, uint64_t file, const char *path,
		uint32_t flags)
{
	struct rec_write rec;

	memset(&rec, 0, sizeof(rec));
	rec.h.type = REC_WRITE_FIRST;
	rec.h.pid = pid;
	rec.h.timestamp_ns = 1000 + file;
	strcpy(rec.h.comm, "sh");
	rec.key.pid = pid;
	rec.key.file = file;
	rec.flags = flags;
	assert_int_equal(write_table_add(w, &rec, path, (uint16_t)strlen(path)), 0);
}

static struct write_entry *take(struct write_table *w, uint32_t pid, uint64_t file)
{
	struct write_key key = { .pid = pid, .file = file };

	return write_table_take(w, &key);
}

/* The entry keeps the path (NUL-ended), the first write's header and the flags. */
static void test_add_take(void **state)
{
	struct write_table *w = *state;
	struct write_entry *e;

	add(w, 10, 0xffff0001, "/tmp/out.txt", WRITE_PATH_TRUNCATED);
	assert_null(take(w, 10, 0xffff0002));
	assert_null(take(w, 11, 0xffff0001));
	e = take(w, 10, 0xffff0001);
	assert_non_null(e);
	assert_int_equal(e->key.pid, 10);
	assert_int_equal(e->key.file, 0xffff0001);
	assert_int_equal(e->path_len, 12);
	assert_string_equal(e->path, "/tmp/out.txt");
	assert_int_equal(e->flags, WRITE_PATH_TRUNCATED);
	assert_int_equal(e->header.timestamp_ns, 1000 + 0xffff0001);
	assert_string_equal(e->header.comm, "sh");
	free(e);
	assert_null(take(w, 10, 0xffff0001));
}

/* A second first write of the same open file (struct file reused) replaces the first. */
static void test_same_key_replaces(void **state)
{
	struct write_table *w = *state;
	struct write_entry *e;

	add(w, 10, 7, "/a", 0);
	add(w, 10, 7, "/b", 0);
	e = take(w, 10, 7);
	assert_non_null(e);
	assert_string_equal(e->path, "/b");
	free(e);
	assert_null(take(w, 10, 7));
}

static void test_remove(void **state)
{
	struct write_table *w = *state;
	struct write_key key = { .pid = 10, .file = 7 };
	struct write_entry *e;

	add(w, 10, 7, "/a", 0);
	add(w, 10, 8, "/b", 0);
	write_table_remove(w, &key);
	write_table_remove(w, &key); /* nothing left: no-op */
	assert_null(take(w, 10, 7));
	e = take(w, 10, 8);
	assert_non_null(e);
	assert_string_equal(e->path, "/b");
	free(e);
}

/* A process exit takes its files, all of them, and no other process's. */
static void test_take_pid(void **state)
{
	struct write_table *w = *state;
	struct write_entry *e;
	uint64_t files = 0;
	int n = 0;

	add(w, 10, 1, "/1", 0);
	add(w, 11, 2, "/2", 0);
	add(w, 10, 4, "/4", 0);
	/* 10 + 4096: the same bucket as 10 in a table of 4096 buckets. */
	add(w, 10 + 4096, 8, "/8", 0);
	while ((e = write_table_take_pid(w, 10))) {
		assert_int_equal(e->key.pid, 10);
		files |= e->key.file;
		n++;
		free(e);
	}
	assert_int_equal(n, 2);
	assert_int_equal(files, 1 | 4);
	e = take(w, 10 + 4096, 8);
	assert_non_null(e);
	free(e);
	e = take(w, 11, 2);
	assert_non_null(e);
	free(e);
}

/* The trace's end takes every entry left; the table is empty after. */
static void test_take_any(void **state)
{
	struct write_table *w = *state;
	struct write_entry *e;
	uint64_t sum = 0;
	int n = 0;

	for (uint32_t pid = 1; pid <= 300; pid++)
		add(w, pid * 7, pid, "/f", 0);
	while ((e = write_table_take_any(w))) {
		assert_int_equal(e->key.pid, e->key.file * 7);
		sum += e->key.file;
		n++;
		free(e);
	}
	assert_int_equal(n, 300);
	assert_int_equal(sum, 300 * 301 / 2);
	add(w, 5, 5, "/again", 0);
	e = write_table_take_any(w);
	assert_non_null(e);
	assert_string_equal(e->path, "/again");
	free(e);
	assert_null(write_table_take_any(w));
}

/* Entries still in the table when it is freed are freed with it (ASan's leak check). */
static void test_free_with_entries(void **state)
{
	add(*state, 1, 1, "/left", 0);
	add(*state, 2, 2, "/behind", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_take, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_key_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_any, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_entries, setup, teardown),
	};

	return cmocka_run_group_tests_name("writes", tests, NULL, NULL);
}
