// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring_probe.c against BTF built the way each kernel lays out its io_uring
 * tracepoints: the one tracepoint to load, or none, for 5.10, 5.15, 6.1 and 6.18.
 */
#include <bpf/btf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "io_uring_probe.h"

struct kernel {
	struct btf *btf;
	int void_ptr, u64, kiocb_ptr;
};

static void kernel_new(struct kernel *k, bool commands, bool cmd_data)
{
	static const char *const structs[] = { "io_open", "io_close", "io_connect", "io_sr_msg" };

	k->btf = btf__new_empty();
	assert_non_null(k->btf);
	k->void_ptr = btf__add_ptr(k->btf, 0);
	k->u64 = btf__add_int(k->btf, "u64", 8, 0);
	k->kiocb_ptr = btf__add_ptr(k->btf, btf__add_struct(k->btf, "io_kiocb", 8));
	for (size_t i = 0; commands && i < sizeof(structs) / sizeof(structs[0]); i++)
		assert_true(btf__add_struct(k->btf, structs[i], 8) > 0);
	if (cmd_data)
		assert_true(btf__add_struct(k->btf, "io_cmd_data", 64) > 0);
}

/* typedef void (*btf_trace_<name>)(void *__data, args...): each arg a type id. */
static void tracepoint_add(struct kernel *k, const char *name, int nargs, ...)
{
	char typedef_name[64];
	va_list ap;
	int proto = btf__add_func_proto(k->btf, 0);

	assert_true(proto > 0);
	assert_int_equal(btf__add_func_param(k->btf, "__data", k->void_ptr), 0);
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		assert_int_equal(btf__add_func_param(k->btf, "arg", va_arg(ap, int)), 0);
	va_end(ap);
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	assert_true(btf__add_typedef(k->btf, typedef_name, btf__add_ptr(k->btf, proto)) > 0);
}

static void test_6_18_submit_req(void **state)
{
	struct kernel k;

	kernel_new(&k, true, true);
	tracepoint_add(&k, "io_uring_submit_req", 1, k.kiocb_ptr);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.void_ptr, k.void_ptr);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_REQ);
	btf__free(k.btf);
}

static void test_6_1_submit_sqe_with_the_request(void **state)
{
	struct kernel k;

	kernel_new(&k, true, true);
	tracepoint_add(&k, "io_uring_submit_sqe", 2, k.kiocb_ptr, k.u64);
	tracepoint_add(&k, "io_uring_complete", 7, k.void_ptr, k.void_ptr, k.u64, k.u64, k.u64,
		       k.u64, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_SQE);
	/* Without the commands the BPF side reads, nothing is loaded. */
	btf__free(k.btf);
	kernel_new(&k, false, true);
	tracepoint_add(&k, "io_uring_submit_sqe", 2, k.kiocb_ptr, k.u64);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.void_ptr, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_NONE);
	btf__free(k.btf);
}

/* 5.15: (ctx, req, ...) before the request is prepared, no io_cmd_data. */
static void test_5_15_request_not_prepared(void **state)
{
	struct kernel k;

	kernel_new(&k, true, false);
	tracepoint_add(&k, "io_uring_submit_sqe", 3, k.void_ptr, k.void_ptr, k.u64);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.void_ptr, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_NONE);
	btf__free(k.btf);
	/* Even with io_cmd_data: the first argument is the ring, not the request. */
	kernel_new(&k, true, true);
	tracepoint_add(&k, "io_uring_submit_sqe", 3, k.void_ptr, k.void_ptr, k.u64);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.void_ptr, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_NONE);
	btf__free(k.btf);
}

/* 5.10: no request anywhere; the completion's second argument is the user_data. */
static void test_5_10_no_request(void **state)
{
	struct kernel k;

	kernel_new(&k, true, true);
	tracepoint_add(&k, "io_uring_submit_req", 1, k.kiocb_ptr);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.u64, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_NONE);
	btf__free(k.btf);
	kernel_new(&k, false, false);
	tracepoint_add(&k, "io_uring_complete", 3, k.void_ptr, k.u64, k.u64);
	assert_int_equal(io_uring_submit_tracepoint(k.btf), IO_URING_SUBMIT_NONE);
	btf__free(k.btf);
	assert_int_equal(io_uring_submit_tracepoint(NULL), IO_URING_SUBMIT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_6_18_submit_req),
		cmocka_unit_test(test_6_1_submit_sqe_with_the_request),
		cmocka_unit_test(test_5_15_request_not_prepared),
		cmocka_unit_test(test_5_10_no_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
