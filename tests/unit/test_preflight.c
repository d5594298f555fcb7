/* SPDX-License-Identifier: GPL-2.0-only */
/* preflight.c: each thing tracerd can lack, and the message that names it. */
#include <errno.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "preflight.h"

#define CAP(c) (1ull << (c))

static char why[256];

/* A machine tracerd runs on: root on a 6.1 kernel with BTF and a ring buffer. */
static struct preflight_facts good(void)
{
	struct preflight_facts f = {
		.caps_effective = CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF) | CAP(CAP_PERFMON),
		.has_btf = true,
		.has_ringbuf = true,
		.lockdown = LOCKDOWN_NONE,
		.release = "6.1.0-27-amd64",
	};
	return f;
}

static int check(const struct preflight_facts *f)
{
	memset(why, 'X', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	return preflight_check(f, why, sizeof(why));
}

static void test_all_there(void **state)
{
	struct preflight_facts f = good();

	assert_int_equal(check(&f), 0);
	f.caps_effective = CAP(CAP_BPF) | CAP(CAP_PERFMON); /* a service's grant, no root */
	assert_int_equal(check(&f), 0);
	f.lockdown = LOCKDOWN_INTEGRITY; /* blocks BPF writes to user memory only */
	assert_int_equal(check(&f), 0);
	f.lockdown = LOCKDOWN_UNKNOWN;
	assert_int_equal(check(&f), 0);
}

static void test_no_privileges(void **state)
{
	struct preflight_facts f = good();

	f.caps_effective = CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_KILL);
	assert_int_equal(check(&f), -EPERM);
	assert_string_equal(why, "tracerd must run as root (it loads BPF programs; CAP_BPF with "
				 "CAP_PERFMON also does): try sudo");
}

static void test_half_the_capabilities(void **state)
{
	struct preflight_facts f = good();

	f.caps_effective = CAP(CAP_BPF);
	assert_int_equal(check(&f), -EPERM);
	assert_string_equal(why, "tracerd has CAP_BPF but not CAP_PERFMON: it needs both (or "
				 "root) to load its BPF programs");
	f.caps_effective = CAP(CAP_PERFMON);
	assert_int_equal(check(&f), -EPERM);
	assert_string_equal(why, "tracerd has CAP_PERFMON but not CAP_BPF: it needs both (or "
				 "root) to load its BPF programs");
}

static void test_no_btf(void **state)
{
	struct preflight_facts f = good();

	f.has_btf = false;
	f.has_ringbuf = false; /* BTF is the first thing to fix */
	assert_int_equal(check(&f), -ENOTSUP);
	assert_string_equal(why, "this kernel (6.1.0-27-amd64) has no BTF "
				 "(/sys/kernel/btf/vmlinux): tracerd needs Linux 5.8 or later "
				 "built with CONFIG_DEBUG_INFO_BTF=y");
}

static void test_no_ring_buffer(void **state)
{
	struct preflight_facts f = good();

	f.has_ringbuf = false;
	strcpy(f.release, "5.4.0-150-generic");
	assert_int_equal(check(&f), -ENOTSUP);
	assert_string_equal(why, "this kernel (5.4.0-150-generic) has no BPF ring buffer: "
				 "tracerd needs Linux 5.8 or later");
}

static void test_lockdown_confidentiality(void **state)
{
	struct preflight_facts f = good();

	f.lockdown = LOCKDOWN_CONFIDENTIALITY;
	assert_int_equal(check(&f), -EPERM);
	assert_string_equal(why, "kernel lockdown is in confidentiality mode: it forbids BPF "
				 "programs to read kernel memory, which tracing needs (boot with "
				 "lockdown=integrity, or without lockdown)");
}

static void test_privileges_before_kernel(void **state)
{
	struct preflight_facts f = good();

	f.caps_effective = 0;
	f.has_btf = false;
	assert_int_equal(check(&f), -EPERM);
	assert_non_null(strstr(why, "must run as root"));
}

static void test_parse_lockdown(void **state)
{
	assert_int_equal(preflight_parse_lockdown("[none] integrity confidentiality\n"),
			 LOCKDOWN_NONE);
	assert_int_equal(preflight_parse_lockdown("none [integrity] confidentiality\n"),
			 LOCKDOWN_INTEGRITY);
	assert_int_equal(preflight_parse_lockdown("none integrity [confidentiality]\n"),
			 LOCKDOWN_CONFIDENTIALITY);
	assert_int_equal(preflight_parse_lockdown(""), LOCKDOWN_UNKNOWN);
	assert_int_equal(preflight_parse_lockdown("none integrity confidentiality"),
			 LOCKDOWN_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_there),
		cmocka_unit_test(test_no_privileges),
		cmocka_unit_test(test_half_the_capabilities),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_no_ring_buffer),
		cmocka_unit_test(test_lockdown_confidentiality),
		cmocka_unit_test(test_privileges_before_kernel),
		cmocka_unit_test(test_parse_lockdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
