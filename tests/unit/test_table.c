// SPDX-License-Identifier: GPL-2.0-only
/* table.c: the open-addressing and the pid-chained tables the daemon's caches share. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

struct entry {
	uint64_t key;
	uint64_t value;
};

/* A 16-byte key, to check that every word counts in hashing and comparing. */
struct wide_entry {
	uint64_t key[2];
	char name[8];
};

static void test_open_insert_find(void **state)
{
	struct open_table t;
	struct entry *e;
	uint64_t key = 42, other = 43;

	assert_int_equal(open_table_init(&t, sizeof(struct entry), sizeof(uint64_t), 8, 0), 0);
	assert_null(open_table_find(&t, &key, sizeof(key)));
	assert_int_equal(open_table_insert(&t, &key, (void **)&e), 1);
	assert_int_equal(e->key, 42);
	assert_int_equal(e->value, 0); /* a new entry's value is zero */
	e->value = 7;
	assert_int_equal(open_table_insert(&t, &key, (void **)&e), 0);
	assert_int_equal(e->value, 7);
	assert_ptr_equal(open_table_find(&t, &key, sizeof(key)), e);
	assert_null(open_table_find(&t, &other, sizeof(other)));
	assert_int_equal(t.used, 1);
	open_table_fini(&t);
}

static void test_open_rejects_bad_shapes(void **state)
{
	struct open_table t;

	assert_int_equal(open_table_init(&t, 16, 12, 8, 0), -EINVAL); /* key not in words */
	assert_int_equal(open_table_init(&t, 12, 8, 8, 0), -EINVAL); /* slot not in words */
	assert_int_equal(open_table_init(&t, 8, 16, 8, 0), -EINVAL); /* key past the slot */
	assert_int_equal(open_table_init(&t, 16, 8, 12, 0), -EINVAL); /* not a power of two */
}

/* Growth keeps every entry and its value; the table stays at most half full. */
static void test_open_growth(void **state)
{
	struct open_table t;
	struct entry *e;

	assert_int_equal(open_table_init(&t, sizeof(struct entry), sizeof(uint64_t), 4, 0), 0);
	for (uint64_t k = 1; k <= 10000; k++) {
		assert_int_equal(open_table_insert(&t, &k, (void **)&e), 1);
		e->value = k * 3;
		assert_true(t.used * 2 <= t.cap);
	}
	assert_int_equal(t.used, 10000);
	assert_int_equal(t.cap, 32768);
	for (uint64_t k = 1; k <= 10000; k++) {
		e = open_table_find(&t, &k, sizeof(k));
		assert_non_null(e);
		assert_int_equal(e->value, k * 3);
	}
	open_table_fini(&t);
}

/* Past max_used, new keys are refused and the ones there still update. */
static void test_open_cap(void **state)
{
	struct open_table t;
	struct entry *e;
	uint64_t k;

	assert_int_equal(open_table_init(&t, sizeof(struct entry), sizeof(uint64_t), 4, 3), 0);
	for (k = 1; k <= 3; k++)
		assert_int_equal(open_table_insert(&t, &k, (void **)&e), 1);
	k = 4;
	e = NULL;
	assert_int_equal(open_table_insert(&t, &k, (void **)&e), -ENOSPC);
	assert_null(e);
	assert_null(open_table_find(&t, &k, sizeof(k)));
	k = 2;
	assert_int_equal(open_table_insert(&t, &k, (void **)&e), 0);
	assert_int_equal(e->key, 2);
	assert_int_equal(t.used, 3);
	open_table_fini(&t);
}

/* Keys that differ only in their second word, and a full probe run around the end. */
static void test_open_collisions(void **state)
{
	struct open_table t;
	struct wide_entry *e;
	uint64_t key[2];

	assert_int_equal(open_table_init(&t, sizeof(struct wide_entry), 16, 1024, 0), 0);
	for (uint64_t i = 0; i < 400; i++) {
		key[0] = 1; /* the same first word: only the second tells them apart */
		key[1] = i;
		assert_int_equal(open_table_insert(&t, key, (void **)&e), 1);
		memcpy(e->name, &i, sizeof(i));
	}
	for (uint64_t i = 0; i < 400; i++) {
		uint64_t name;

		key[0] = 1;
		key[1] = i;
		e = open_table_find(&t, key, sizeof(key));
		assert_non_null(e);
		memcpy(&name, e->name, sizeof(name));
		assert_int_equal(name, i);
	}
	key[1] = 400;
	assert_null(open_table_find(&t, key, sizeof(key)));
	open_table_fini(&t);
}

/* Every entry once, whatever the growth did. */
static void test_open_iteration(void **state)
{
	struct open_table t;
	struct entry *e;
	uint64_t sum = 0, n = 0;
	size_t pos = 0;

	assert_int_equal(open_table_init(&t, sizeof(struct entry), sizeof(uint64_t), 2, 0), 0);
	for (uint64_t k = 1; k <= 100; k++)
		assert_int_equal(open_table_insert(&t, &k, (void **)&e), 1);
	while ((e = open_table_next(&t, &pos))) {
		sum += e->key;
		n++;
	}
	assert_int_equal(n, 100);
	assert_int_equal(sum, 5050);
	assert_null(open_table_next(&t, &pos));
	open_table_fini(&t);
}

struct pid_entry {
	struct pid_node node;
	int file;
};

static struct pid_entry *pid_entry_new(struct pid_table *t, uint32_t pid, int file)
{
	struct pid_entry *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->node.pid = pid;
	e->file = file;
	pid_table_add(t, &e->node);
	return e;
}

static bool is_file(const struct pid_node *n, const void *arg)
{
	return container_of(n, struct pid_entry, node)->file == *(const int *)arg;
}

static void test_pid_add_find_take(void **state)
{
	struct pid_table t;
	struct pid_entry *a, *b;
	int file = 1;

	assert_int_equal(pid_table_init(&t, 16), 0);
	assert_null(pid_table_find(&t, 100));
	a = pid_entry_new(&t, 100, 1);
	b = pid_entry_new(&t, 100, 2);
	/* The last added first. */
	assert_ptr_equal(pid_table_find(&t, 100), &b->node);
	assert_ptr_equal(pid_table_take(&t, 100, is_file, &file), &a->node);
	assert_null(pid_table_take(&t, 100, is_file, &file));
	assert_ptr_equal(pid_table_take(&t, 100, NULL, NULL), &b->node);
	assert_null(pid_table_find(&t, 100));
	assert_null(pid_table_take(&t, 100, NULL, NULL));
	free(a);
	free(b);
	pid_table_fini(&t);
}

/* pids that share a bucket (16 buckets, 1000 pids) stay apart. */
static void test_pid_collisions(void **state)
{
	struct pid_table t;
	struct pid_node *n;

	assert_int_equal(pid_table_init(&t, 16), 0);
	for (uint32_t pid = 1; pid <= 1000; pid++)
		pid_entry_new(&t, pid, (int)pid * 2);
	for (uint32_t pid = 1; pid <= 1000; pid += 2)
		free(pid_table_take(&t, pid, NULL, NULL));
	for (uint32_t pid = 1; pid <= 1000; pid++) {
		n = pid_table_find(&t, pid);
		if (pid % 2) {
			assert_null(n);
			continue;
		}
		assert_non_null(n);
		assert_int_equal(n->pid, pid);
		assert_int_equal(container_of(n, struct pid_entry, node)->file, pid * 2);
	}
	while ((n = pid_table_take_any(&t)))
		free(n);
	pid_table_fini(&t);
}

/* take_any returns every entry once, also entries added behind where it stopped. */
static void test_pid_take_any(void **state)
{
	struct pid_table t;
	struct pid_node *n;
	uint64_t sum = 0;
	int count = 0;

	assert_int_equal(pid_table_init(&t, 64), 0);
	assert_null(pid_table_take_any(&t));
	for (uint32_t pid = 1; pid <= 100; pid++)
		pid_entry_new(&t, pid, 0);
	for (int i = 0; i < 50; i++) {
		n = pid_table_take_any(&t);
		sum += n->pid;
		count++;
		free(n);
	}
	for (uint32_t pid = 101; pid <= 200; pid++)
		pid_entry_new(&t, pid, 0);
	while ((n = pid_table_take_any(&t))) {
		sum += n->pid;
		count++;
		free(n);
	}
	assert_int_equal(count, 200);
	assert_int_equal(sum, 200 * 201 / 2);
	assert_int_equal(pid_table_init(&t, 12), -EINVAL);
	pid_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_insert_find),
		cmocka_unit_test(test_open_rejects_bad_shapes),
		cmocka_unit_test(test_open_growth),
		cmocka_unit_test(test_open_cap),
		cmocka_unit_test(test_open_collisions),
		cmocka_unit_test(test_open_iteration),
		cmocka_unit_test(test_pid_add_find_take),
		cmocka_unit_test(test_pid_collisions),
		cmocka_unit_test(test_pid_take_any),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
