// SPDX-License-Identifier: GPL-2.0-only
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "linehead.h"

static int setup(void **state)
{
	struct line_head *lh;

	if (line_head_new(&lh) < 0)
		return -1;
	*state = lh;
	return 0;
}

static int teardown(void **state)
{
	line_head_free(*state);
	return 0;
}

static struct rec_header header(void)
{
	struct rec_header h = {
		.pid = 4242,
		.tid = 4243,
		.ppid = 17,
		.uid = 1000,
		.exec_ns = 123456789012,
		.cgroup_id = 9876543210,
		.comm = "make",
	};

	return h;
}

/* The text for these values, as a C string (static: one at a time). */
static const char *render(struct line_head *lh, const struct rec_header *h, const char *container,
			  const char *cwd)
{
	static char text[8192];
	size_t len = 0;
	const char *s = line_head_render(lh, h, container, cwd, cwd ? strlen(cwd) : 0, &len);

	assert_non_null(s);
	assert_true(len < sizeof(text));
	memcpy(text, s, len);
	text[len] = '\0';
	return text;
}

static void test_fields(void **state)
{
	struct rec_header h = header();

	assert_string_equal(render(*state, &h, NULL, "/src"),
			    ",\"pid\":4242,\"tid\":4243,\"ppid\":17,\"uid\":1000,\"comm\":\"make\","
			    "\"exec_id\":\"4242-123456789012\",\"cgroup_id\":9876543210,"
			    "\"cwd\":\"/src\"");
	assert_string_equal(render(*state, &h, "c0ffee", NULL),
			    ",\"pid\":4242,\"tid\":4243,\"ppid\":17,\"uid\":1000,\"comm\":\"make\","
			    "\"exec_id\":\"4242-123456789012\",\"cgroup_id\":9876543210,"
			    "\"container_id\":\"c0ffee\"");
}

/* Escaped as any string from the kernel: a comm and a cwd may hold any byte. */
static void test_escapes(void **state)
{
	struct rec_header h = header();

	memcpy(h.comm, "a\"b\\c\n0123456789", sizeof(h.comm)); /* 16 bytes, no NUL */
	assert_string_equal(
		render(*state, &h, NULL, "/t\xff\"q"),
		",\"pid\":4242,\"tid\":4243,\"ppid\":17,\"uid\":1000,"
		"\"comm\":\"a\\\"b\\\\c\\n012345678\",\"exec_id\":\"4242-123456789012\","
		"\"cgroup_id\":9876543210,\"cwd\":\"/t\\ufffd\\\"q\"");
}

/* Every value that differs gives a new text; the same values give the same text. */
static void test_each_change_shows(void **state)
{
	struct line_head *lh = *state;
	struct rec_header h = header(), h2;
	char first[1024];

	snprintf(first, sizeof(first), "%s", render(lh, &h, "ab", "/x"));
	assert_string_equal(render(lh, &h, "ab", "/x"), first);
	for (int field = 0; field < 10; field++) {
		const char *container = "ab", *cwd = "/x";

		h2 = h;
		switch (field) {
		case 0:
			h2.pid++;
			break;
		case 1:
			h2.tid++;
			break;
		case 2:
			h2.ppid++;
			break;
		case 3:
			h2.uid++;
			break;
		case 4:
			h2.exec_ns++;
			break;
		case 5:
			h2.cgroup_id++;
			break;
		case 6:
			h2.comm[0] = 'M';
			break;
		case 7:
			container = "ac";
			break;
		case 8:
			cwd = "/y";
			break;
		case 9:
			cwd = NULL;
			break;
		}
		assert_string_not_equal(render(lh, &h2, container, cwd), first);
		/* And back: the earlier text again, rendered anew. */
		assert_string_equal(render(lh, &h, "ab", "/x"), first);
	}
	/* No container or no cwd, then one: not taken for the same. */
	render(lh, &h, NULL, NULL);
	assert_non_null(strstr(render(lh, &h, "ab", NULL), "\"container_id\":\"ab\""));
	assert_non_null(strstr(render(lh, &h, "ab", "/"), "\"cwd\":\"/\""));
	assert_null(strstr(render(lh, &h, "ab", NULL), "cwd"));
}

/* The cwd is kept as a copy: a caller's buffer changed in place is seen. */
static void test_cwd_copied(void **state)
{
	struct rec_header h = header();
	char cwd[] = "/home/a";

	assert_non_null(strstr(render(*state, &h, NULL, cwd), "\"cwd\":\"/home/a\""));
	cwd[6] = 'b';
	assert_non_null(strstr(render(*state, &h, NULL, cwd), "\"cwd\":\"/home/b\""));
}

/*
 * Two processes whose lines alternate keep a rendering each: two renders for twenty lines,
 * each line with its own process's fields. Two threads in the same slot (tids 16 apart)
 * take it from each other: rendered every time, and still right every time.
 */
static void test_interleaved_processes(void **state)
{
	struct line_head *lh = *state;
	struct rec_header a = header(), b = header();
	char want_a[512], want_b[512];

	b.pid = 5000;
	b.tid = 5001;
	strcpy(b.comm, "cc1");
	snprintf(want_a, sizeof(want_a), "%s", render(lh, &a, NULL, "/src"));
	snprintf(want_b, sizeof(want_b), "%s", render(lh, &b, NULL, "/src"));
	assert_non_null(strstr(want_b, "\"comm\":\"cc1\""));
	for (int i = 0; i < 9; i++) {
		assert_string_equal(render(lh, &a, NULL, "/src"), want_a);
		assert_string_equal(render(lh, &b, NULL, "/src"), want_b);
	}
	assert_int_equal(line_head_renders(lh), 2);

	b.tid = a.tid + 16;
	snprintf(want_b, sizeof(want_b), "%s", render(lh, &b, NULL, "/src"));
	assert_non_null(strstr(want_b, "\"tid\":4259,"));
	for (int i = 0; i < 9; i++) {
		assert_string_equal(render(lh, &a, NULL, "/src"), want_a);
		assert_string_equal(render(lh, &b, NULL, "/src"), want_b);
	}
	assert_int_equal(line_head_renders(lh), 2 + 1 + 18);
}

static void test_exec_id(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_write_exec_id(&b, 1, 0);
	json_write_exec_id(&b, UINT32_MAX, UINT64_MAX);
	assert_string_equal(b.data, "\"1-0\",\"4294967295-18446744073709551615\"");
	json_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_change_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cwd_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleaved_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_id, setup, teardown),
	};

	return cmocka_run_group_tests_name("linehead", tests, NULL, NULL);
}
