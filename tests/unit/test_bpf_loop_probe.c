// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf_loop_probe.c against BTF built like each kernel's enum bpf_func_id: 5.10's has no
 * BPF_FUNC_loop, which 5.17 added (181 on 6.18).
 */
#include <bpf/btf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "bpf_loop_probe.h"

/* A kernel's BTF with enum name { names[0] = 0, names[1] = 1, ... }. */
static struct btf *kernel_new(const char *name, const char *const *names, int count)
{
	struct btf *btf = btf__new_empty();

	assert_non_null(btf);
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	assert_true(btf__add_enum(btf, name, 4) > 0);
	for (int i = 0; i < count; i++)
		assert_int_equal(btf__add_enum_value(btf, names[i], i), 0);
	return btf;
}

static void test_kernel_5_10_has_no_bpf_loop(void **state)
{
	static const char *const ids[] = { "BPF_FUNC_unspec", "BPF_FUNC_map_lookup_elem",
					   "BPF_FUNC_ringbuf_output", "BPF_FUNC_redirect_peer" };
	struct btf *btf = kernel_new("bpf_func_id", ids, 4);

	assert_false(bpf_loop_available(btf));
	btf__free(btf);
}

static void test_kernel_5_17_has_bpf_loop(void **state)
{
	static const char *const ids[] = { "BPF_FUNC_unspec", "BPF_FUNC_map_lookup_elem",
					   "BPF_FUNC_redirect_peer", "BPF_FUNC_loop",
					   "BPF_FUNC_strncmp" };
	struct btf *btf = kernel_new("bpf_func_id", ids, 5);

	assert_true(bpf_loop_available(btf));
	btf__free(btf);
}

/* The name in another enum (or no enum bpf_func_id at all) is not the helper. */
static void test_other_enum_is_not_the_helper(void **state)
{
	static const char *const ids[] = { "BPF_FUNC_loop" };
	struct btf *btf = kernel_new("bpf_func_id_not", ids, 1);

	assert_false(bpf_loop_available(btf));
	btf__free(btf);
}

static void test_no_btf(void **state)
{
	assert_false(bpf_loop_available(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_5_10_has_no_bpf_loop),
		cmocka_unit_test(test_kernel_5_17_has_bpf_loop),
		cmocka_unit_test(test_other_enum_is_not_the_helper),
		cmocka_unit_test(test_no_btf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
