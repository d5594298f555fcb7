// SPDX-License-Identifier: GPL-2.0-only
/* The hash map, the process tree and the count reports the commands share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "commands.h"
#include "proctree.h"
#include "trace.h"

static void test_strmap(void **state)
{
	struct strmap m = { 0 };
	const char **keys;
	char key[16];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		strmap_count(&m, key, (unsigned long)i);
		strmap_count(&m, key, 1);
	}
	assert_int_equal(m.count, 1000);
	assert_int_equal(strmap_counted(&m, "k0"), 1);
	assert_int_equal(strmap_counted(&m, "k999"), 1000);
	assert_int_equal(strmap_counted(&m, "nope"), 0);
	keys = strmap_sorted_keys(&m);
	assert_string_equal(keys[0], "k0");
	assert_string_equal(keys[1], "k1");
	assert_string_equal(keys[2], "k10");
	assert_null(keys[1000]);
	free((void *)keys);
	strmap_free(&m, NULL);
}

static json_t *line(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);

	assert_non_null(o);
	return o;
}

static void test_proctree(void **state)
{
	struct proctree t = { 0 };
	struct proc *sh, *child, *fork, *again;
	json_t *o;
	struct sbuf b = { 0 };

	o = line(
		"{\"pid\":10,\"ppid\":1,\"comm\":\"sh\",\"exec_id\":\"10-1\",\"exe\":\"/bin/dash\","
		"\"args\":[\"sh\",\"-c\",\"a b\"],\"parent_exec_id\":\"1-0\"}");
	sh = proctree_update(&t, o, true, 2);
	json_decref(o);
	o = line("{\"pid\":11,\"ppid\":10,\"comm\":\"sh\",\"exec_id\":\"11-5\"}");
	fork = proctree_update(&t, o, false, 3);
	json_decref(o);
	o = line("{\"pid\":11,\"ppid\":10,\"comm\":\"curl\",\"exec_id\":\"11-6\",\"exe\":"
		 "\"/usr/bin/curl\",\"args\":[\"curl\"],\"parent_exec_id\":\"10-1\"}");
	child = proctree_update(&t, o, true, 4);
	json_decref(o);
	assert_int_equal(sh->depth, 0);
	assert_ptr_equal(fork->parent, sh);
	assert_ptr_equal(child->parent, sh);
	assert_int_equal(child->depth, 1);
	assert_true(fork->replaced);
	assert_false(child->replaced);
	assert_string_equal(sh->cmdline, "sh -c 'a b'");
	assert_int_equal(child->exec_line, 4);
	o = line("{\"pid\":11,\"ppid\":10,\"comm\":\"curl\",\"exec_id\":\"11-6\"}");
	again = proctree_update(&t, o, false, 5);
	json_decref(o);
	assert_ptr_equal(again, child);
	assert_null(child->script);
	o = line("{\"pid\":12,\"ppid\":10,\"comm\":\"npm\",\"exec_id\":\"12-7\",\"exe\":"
		 "\"/usr/bin/dash\",\"filename\":\"/x/bin/npm\",\"args\":[\"/bin/sh\","
		 "\"/x/bin/npm\",\"install\"]}");
	assert_string_equal(proctree_update(&t, o, true, 6)->script, "/x/bin/npm");
	json_decref(o);
	proctree_exit(&t, child);
	assert_true(child->exited);
	proc_label(&b, sh);
	assert_string_equal(b.s, "/bin/dash [sh]");
	sbuf_reset(&b);
	proc_label(&b, child);
	assert_string_equal(b.s, "/usr/bin/curl");
	sbuf_free(&b);
	proctree_free(&t);
}

static void test_nested_counts(void **state)
{
	struct strmap m = { 0 };
	json_t *j;
	char *text;

	nested_count(&m, "/usr/bin/cat", "sh", 1);
	nested_count(&m, "/usr/bin/curl", "sh", 2);
	nested_count(&m, "/usr/bin/curl", "make", 1);
	nested_count(&m, "/usr/bin/awk", "sh", 3);
	j = nested_counts_json(&m, "exe", "parents", "parent");
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text,
			    "[{\"exe\":\"/usr/bin/awk\",\"count\":3,\"parents\":[{\"parent\":"
			    "\"sh\",\"count\":3}]},{\"exe\":\"/usr/bin/curl\",\"count\":3,"
			    "\"parents\":[{\"parent\":\"sh\",\"count\":2},{\"parent\":\"make\","
			    "\"count\":1}]},{\"exe\":\"/usr/bin/cat\",\"count\":1,\"parents\":"
			    "[{\"parent\":\"sh\",\"count\":1}]}]");
	free(text);
	json_decref(j);
	nested_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_proctree),
		cmocka_unit_test(test_nested_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
