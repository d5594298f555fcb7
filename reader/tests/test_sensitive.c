// SPDX-License-Identifier: GPL-2.0-only
/* Sensitive paths: the built-in list, owners, other processes' /proc files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sensitive.h"

static struct policy p;

static int setup(void **state)
{
	policy_init(&p);
	return 0;
}

static int teardown(void **state)
{
	policy_free(&p);
	return 0;
}

static void test_credentials_anywhere_home_is(void **state)
{
	const char *yes[] = { "/root/.netrc",
			      "/home/runner/.netrc",
			      "/github/home/.netrc",
			      "/tmp/job/home/.git-credentials",
			      "/root/.ssh/id_ed25519",
			      "/home/u/.aws/credentials",
			      "/root/.config/gcloud/legacy_credentials/a/adc.json",
			      "/root/.docker/config.json",
			      "/root/.kube/config",
			      "/etc/shadow",
			      "/run/secrets/kubernetes.io/token",
			      "/root/.cargo/credentials.toml" };
	const char *no[] = { "/etc/passwd",
			     "/root/.ssh/id_ed25519.pub",
			     "/root/.ssh/known_hosts",
			     "/usr/lib/x86_64-linux-gnu/libc.so.6",
			     "/root/.netrc.bak",
			     "/home/u/.config/other/config",
			     "/proc/self/status" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!sensitive_match(&p, yes[i], 10, 10))
			fail_msg("%s should be sensitive", yes[i]);
		assert_true(sensitive_candidate(&p, yes[i]));
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (sensitive_match(&p, no[i], 10, 10))
			fail_msg("%s should not be sensitive", no[i]);
	assert_false(sensitive_candidate(&p, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
}

static void test_other_process_memory(void **state)
{
	const struct sensitive_entry *e = sensitive_match(&p, "/proc/77/mem", 10, 11);

	assert_non_null(e);
	assert_true(e->other_process);
	assert_non_null(sensitive_match(&p, "/proc/77/environ", 10, 11));
	assert_null(sensitive_match(&p, "/proc/10/mem", 10, 11));
	assert_null(sensitive_match(&p, "/proc/11/environ", 10, 11)); /* its own thread */
	assert_null(sensitive_match(&p, "/proc/77/maps", 10, 11));
}

static void test_owners(void **state)
{
	const struct sensitive_entry *e = sensitive_match(&p, "/root/.netrc", 1, 1);

	assert_true(sensitive_is_owner(e, "/usr/bin/curl", "curl"));
	assert_true(sensitive_is_owner(e, "/usr/lib/git-core/git-remote-https", "git-remote-http"));
	assert_false(sensitive_is_owner(e, "/usr/bin/cat", "cat"));
	assert_false(sensitive_is_owner(e, NULL, "python3"));
}

static void test_extra_path(void **state)
{
	const char *owner = "acme";

	assert_null(sensitive_match(&p, "/srv/acme/token", 1, 1));
	assert_int_equal(policy_add_sensitive(&p, "/srv/*/token", &owner, 1), 0);
	assert_non_null(sensitive_match(&p, "/srv/acme/token", 1, 1));
	assert_true(policy_add_sensitive(&p, "relative", NULL, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials_anywhere_home_is),
		cmocka_unit_test(test_other_process_memory),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_extra_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
