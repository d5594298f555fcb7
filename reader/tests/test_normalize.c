// SPDX-License-Identifier: GPL-2.0-only
/* The normalization rules of tracerd diff (normalize.h), one test per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "normalize.h"

static void assert_norm(const char *path, const char *want)
{
	struct sbuf b = { 0 };

	normalize_path(&b, path);
	assert_string_equal(b.s ? b.s : "", want);
	sbuf_free(&b);
}

static void test_homes(void **state)
{
	assert_norm("/root/.netrc", "~/.netrc");
	assert_norm("/home/runner/.aws/credentials", "~/.aws/credentials");
	assert_norm("/home/runner", "~");
	assert_norm("/rootfs/x", "/rootfs/x");
}

static void test_proc_pid(void **state)
{
	assert_norm("/proc/1234/mem", "/proc/PID/mem");
	assert_norm("/proc/self/environ", "/proc/self/environ");
	assert_norm("/proc/1234/task/1240/comm", "/proc/PID/task/N/comm");
}

static void test_temp_names(void **state)
{
	assert_norm("/tmp/tracerd-e2e-k3j_x9ab/001-run/x", "/tmp/tracerd-e2e-*/N-run/x");
	assert_norm("/tmp/tracerd-e2e-hfgpz_rq/out", "/tmp/tracerd-e2e-*/out");
	assert_norm("/tmp/tmp.AbCdEf1234/a.txt", "/tmp/tmp*/a.txt");
	assert_norm("/work/tmpk2j3_x.py", "/work/tmp*");
	assert_norm("/tmp/go-build123456/b001/x.test", "/tmp/go-*/b001/x.test");
	assert_norm("/tmp/workspace/file", "/tmp/workspace/file");
	assert_norm("/tmp/a1b2c3d4e/f", "/tmp/*/f");
	assert_norm("/tmp/out.txt", "/tmp/out.txt");
	assert_norm("/var/tmp/build-abcdef/x", "/var/tmp/build-*/x");
	assert_norm("/opt/build-abcdef/x", "/opt/build-abcdef/x");
}

static void test_versions_hashes_numbers(void **state)
{
	assert_norm("/usr/lib/node-v18.19.0/bin/node", "/usr/lib/node-vV/bin/node");
	assert_norm("/usr/bin/python3.11", "/usr/bin/pythonV");
	assert_norm("/usr/bin/python3", "/usr/bin/python3");
	assert_norm("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_N-linux-gnu/libc.so.N");
	assert_norm("/cache/sha256-0123456789abcdef/blob", "/cache/sha256-H/blob");
	assert_norm("/cache/3f2a9b0c1d/x", "/cache/H/x");
	assert_norm("/var/log/job-1700000000.log", "/var/log/job-N.log");
	assert_norm("/x/build1700000000", "/x/buildN");
	assert_norm("/usr/share/e2e/deadbeef", "/usr/share/e2e/deadbeef");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_homes),
		cmocka_unit_test(test_proc_pid),
		cmocka_unit_test(test_temp_names),
		cmocka_unit_test(test_versions_hashes_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
