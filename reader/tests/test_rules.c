// SPDX-License-Identifier: GPL-2.0-only
/* The rules-file parser and the policy's built-in defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "rules.h"

static void test_defaults(void **state)
{
	struct policy p;

	policy_init(&p);
	assert_int_equal(p.severity[RULE_CREDENTIAL_READ], SEV_ERROR);
	assert_int_equal(p.severity[RULE_INSTALL_SHELL], SEV_NOTE);
	assert_true(strlist_has(&p.downloaders, "curl"));
	assert_true(strlist_has(&p.shells, "dash"));
	assert_int_equal(p.allow_hosts.n, 0);
	assert_true(strlist_match(&p.allow_exec, "/tmp/go-build123/b001/x.test"));
	assert_null(p.workspace);
	policy_free(&p);
}

static void test_every_directive(void **state)
{
	const char *path = write_temp("# policy\n\n"
				      "allow-host *.npmjs.org:443   # the registry\n"
				      "allow-host 10.0.0.0/8\n"
				      "allow-exec /tmp/build-*/bin/*\n"
				      "sensitive ~/.config/acme/token acme acmectl\n"
				      "install-tool bun install add\n"
				      "downloader aria2c\n"
				      "shell elvish\n"
				      "severity listener error\n"
				      "severity install-shell off\n"
				      "workspace /home/runner/work\n",
				      0);
	struct policy p;
	char err[256];
	size_t n;

	policy_init(&p);
	n = p.n_sensitive;
	assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.allow_hosts.n, 2);
	assert_string_equal(p.allow_hosts.v[0], "*.npmjs.org:443");
	assert_true(strlist_match(&p.allow_exec, "/tmp/build-1/bin/x"));
	assert_int_equal(p.n_sensitive, n + 1);
	assert_string_equal(p.sensitive[n].glob, "*/.config/acme/token");
	assert_int_equal(p.sensitive[n].owners.n, 2);
	assert_string_equal(p.tools[p.n_tools - 1].name, "bun");
	assert_int_equal(p.tools[p.n_tools - 1].verbs.n, 2);
	assert_true(strlist_has(&p.downloaders, "aria2c"));
	assert_true(strlist_has(&p.shells, "elvish"));
	assert_int_equal(p.severity[RULE_LISTENER], SEV_ERROR);
	assert_int_equal(p.severity[RULE_INSTALL_SHELL], SEV_OFF);
	assert_string_equal(p.workspace, "/home/runner/work");
	policy_free(&p);
}

static void assert_rejected(const char *text, const char *want)
{
	struct policy p;
	char err[256];

	policy_init(&p);
	assert_int_equal(policy_load_file(&p, write_temp(text, 0), err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s' does not say '%s'", err, want);
	policy_free(&p);
}

static void test_errors_name_the_line(void **state)
{
	struct policy p;
	char err[256];

	assert_rejected("allow-host a\nbogus x\n", ":2: unknown directive 'bogus'");
	assert_rejected("severity nope error\n", ":1: unknown rule 'nope'");
	assert_rejected("severity tamper loud\n", ":1: unknown severity 'loud'");
	assert_rejected("allow-host\n", ":1: 'allow-host' takes exactly one value");
	assert_rejected("allow-host a b\n", ":1: 'allow-host' takes exactly one value");
	assert_rejected("sensitive relative/path\n", ":1: sensitive path 'relative/path'");
	assert_rejected("workspace work\n", ":1: workspace must be absolute");
	assert_rejected("\n\nsensitive\n", ":3: 'sensitive' takes at least one value");
	policy_init(&p);
	assert_int_equal(policy_load_file(&p, "/nonexistent/rules", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/rules: No such file"));
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_directive),
		cmocka_unit_test(test_errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
