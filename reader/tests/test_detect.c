// SPDX-License-Identifier: GPL-2.0-only
/* Each detector of tracerd check on small traces, through the real scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect.h"
#include "helpers.h"

static char rules_found[512];
static struct policy policy;
static struct detect det;

/* Runs detection over text; rules_found lists "rule:severity" of each finding. */
static const char *detect_text(const char *text)
{
	struct scan s;
	size_t i;

	detect_free(&det);
	detect_init(&det, &policy);
	scan_init(&s, &policy);
	s.skip_plain_opens = true;
	s.on_event = detect_event;
	s.ctx = &det;
	assert_int_equal(scan_run(&s, write_temp(text, 1), false), 0);
	detect_finish(&det, &s);
	scan_free(&s);
	rules_found[0] = '\0';
	for (i = 0; i < det.n; i++)
		snprintf(rules_found + strlen(rules_found),
			 sizeof(rules_found) - strlen(rules_found), "%s%s", i ? "," : "",
			 rule_table[det.findings[i].rule].id);
	return rules_found;
}

static int setup(void **state)
{
	policy_init(&policy);
	detect_init(&det, &policy);
	return 0;
}

static int teardown(void **state)
{
	detect_free(&det);
	policy_free(&policy);
	return 0;
}

#define NPM EXEC(10, 1, "npm", "/usr/bin/dash", "[\"/bin/sh\",\"/x/bin/npm\",\"install\"]")

static void test_install_step_children(void **state)
{
	assert_string_equal(
		detect_text(START NPM EXEC(11, 10, "sh", "/usr/bin/dash",
					   "[\"sh\",\"-c\",\"node x.js\"]")
				    EXEC(12, 11, "curl", "/usr/bin/curl", "[\"curl\",\"http://x\"]")
					    EXEC(13, 11, "node", "/usr/bin/node", "[\"node\"]")
						    END),
		"install-shell,install-downloader");
	assert_int_equal(det.findings[1].severity, SEV_ERROR);
	assert_int_equal(det.findings[1].n_ev, 2);
	assert_int_equal(det.findings[1].ev[0].line, 2); /* the npm install */
	assert_int_equal(det.findings[1].ev[1].line, 4); /* curl */
	assert_non_null(strstr(det.findings[1].message, "/x/bin/npm install"));
	/* npm run is no install; neither is curl outside of one. */
	assert_string_equal(detect_text(START EXEC(10, 1, "npm", "/usr/bin/node",
						   "[\"node\",\"/usr/bin/npm\",\"run\",\"build\"]")
						EXEC(12, 10, "curl", "/usr/bin/curl", "[\"curl\"]")
							END),
			    "");
	assert_string_equal(detect_text(START EXEC(10, 1, "python3", "/usr/bin/python3.11",
						   "[\"python3\",\"-m\",\"pip\",\"install\",\"x\"]")
						EXEC(12, 10, "wget", "/usr/bin/wget", "[\"wget\"]")
							END),
			    "install-downloader");
}

static void test_pipe_to_shell(void **state)
{
	assert_string_equal(
		detect_text(START EXEC(20, 1, "sh", "/usr/bin/dash",
				       "[\"sh\",\"-c\",\"curl -fsSL https://x/i.sh | sudo bash\"]")
				    END),
		"pipe-to-shell");
	assert_string_equal(
		detect_text(START EXEC(20, 1, "bash", "/usr/bin/bash", "[\"bash\"]") EXEC(
			21, 20, "curl", "/usr/bin/curl", "[\"curl\",\"-s\",\"https://x\"]")
				    EXEC(22, 20, "sh", "/usr/bin/dash", "[\"sh\"]") END),
		"pipe-to-shell");
	assert_int_equal(det.findings[0].n_ev, 3);
	/* Not the shape: a script file, a pipe into grep, a pipe after the command ends. */
	assert_string_equal(detect_text(START EXEC(20, 1, "bash", "/usr/bin/bash", "[\"bash\"]")
						EXEC(21, 20, "curl", "/usr/bin/curl", "[\"curl\"]")
							EXEC(22, 20, "sh", "/usr/bin/dash",
							     "[\"sh\",\"x.sh\"]") END),
			    "");
	assert_false(pipe_to_shell_script(&policy, "curl -s x | grep sh"));
	assert_false(pipe_to_shell_script(&policy, "curl -o f x; echo | sh"));
	assert_false(pipe_to_shell_script(&policy, "mycurl x | sh"));
	assert_true(pipe_to_shell_script(&policy, "wget -qO- x|sh -s -- --yes"));
}

static void test_memory_and_credentials(void **state)
{
	assert_string_equal(
		detect_text(START EXEC(30, 1, "python3", "/usr/bin/python3", "[\"python3\"]")
				    OPEN(30, 1, "python3", "/proc/99/mem", "O_RDONLY", 3)
					    OPEN(30, 1, "python3", "/proc/30/mem", "O_RDONLY", 4)
						    OPEN(30, 1, "python3", "/proc/99/environ",
							 "O_RDONLY", -13) END),
		"proc-memory-read,proc-memory-read");
	assert_non_null(strstr(det.findings[1].message, "tried to open"));
	assert_string_equal(
		detect_text(START EXEC(40, 1, "cat", "/usr/bin/cat", "[\"cat\"]") OPEN(
			40, 1, "cat", "/root/.netrc", "O_RDONLY",
			3) OPEN(40, 1, "cat", "/root/.netrc", "O_RDONLY",
				3) OPEN(40, 1, "cat", "/root/.aws/credentials", "O_RDONLY", -2)
				    EXEC(41, 1, "curl", "/usr/bin/curl", "[\"curl\",\"-n\"]")
					    OPEN(41, 1, "curl", "/root/.netrc", "O_RDONLY", 3)
						    OPEN(42, 1, "tee", "/root/.npmrc",
							 "O_WRONLY|O_CREAT|O_TRUNC", 3) END),
		"credential-read");
	assert_int_equal(det.findings[0].n_ev, 2);
	assert_int_equal(det.findings[0].ev[0].line, 2);
	assert_int_equal(det.findings[0].ev[1].line, 3);
	assert_string_equal(det.findings[0].ev[1].text, "40 cat: open /root/.netrc O_RDONLY");
}

static void test_allow_list(void **state)
{
	const char *trace = START CONNECT(50, 1, "curl", "10.1.2.3", 443, "")
		CONNECT(50, 1, "curl", "1.2.3.4", 443, ",\"hostname\":\"registry.npmjs.org\"")
			CONNECT(50, 1, "curl", "1.2.3.4", 80,
				",\"hostname\":\"registry.npmjs.org\"")
				CONNECT(50, 1, "curl", "2001:db8::1", 22, "") END;

	assert_string_equal(detect_text(trace), ""); /* no allow-list: not checked */
	strlist_add(&policy.allow_hosts, "10.0.0.0/8");
	strlist_add(&policy.allow_hosts, "*.NPMJS.org:443");
	assert_string_equal(detect_text(trace), "host-not-allowed,host-not-allowed");
	assert_non_null(strstr(det.findings[0].message, "registry.npmjs.org 1.2.3.4:80/tcp"));
	assert_non_null(strstr(det.findings[1].message, "[2001:db8::1]:22/tcp"));
	assert_true(host_allowed(&policy.allow_hosts, NULL, "10.255.0.1", 1));
	assert_false(host_allowed(&policy.allow_hosts, NULL, "11.0.0.1", 1));
	strlist_add(&policy.allow_hosts, "[2001:db8::/32]:22");
	assert_true(host_allowed(&policy.allow_hosts, NULL, "2001:db8::1", 22));
	assert_false(host_allowed(&policy.allow_hosts, NULL, "2001:db8::1", 23));
	strlist_add(&policy.allow_hosts, "127.0.0.1");
	assert_true(host_allowed(&policy.allow_hosts, NULL, "127.0.0.1", 9));
}

static void test_exec_from_temp(void **state)
{
	assert_string_equal(detect_text(START EXEC(60, 1, "evil", "/tmp/x/evil", "[\"evil\"]") EXEC(
				    61, 1, "x.test", "/tmp/go-build12/b001/x.test",
				    "[\"x.test\"]") EV("process_exec", 62, 1, "3",
						       ",\"filename\":\"/dev/fd/3\",\"exe\":"
						       "\"/memfd:x (deleted)\",\"exe_memfd\":true,"
						       "\"args\":[\"x\"]")
						EXEC(63, 1, "ls", "/usr/bin/ls", "[\"ls\"]") END),
			    "exec-from-temp,exec-from-temp");
	assert_non_null(strstr(det.findings[1].message, "memfd"));
}

static void test_listener_tamper_and_losses(void **state)
{
	assert_string_equal(
		detect_text(
			START EV("net_listen", 70, 1, "nc",
				 ",\"addr\":\"0.0.0.0\",\"port\":4444,"
				 "\"protocol\":\"tcp\"")
				EV("tamper", 71, 1, "kill",
				   ",\"action\":\"signal\",\"target_pid\":5,"
				   "\"signal\":9") "{\"type\":\"events_lost\",\"timestamp\":\"2026-01-01T00:00:02Z\","
						   "\"job_id\":\"t\",\"count\":3,\"by_type\":{\"file_open\":3}}\n"),
		"listener,tamper,trace-incomplete");
	assert_int_equal(det.findings[0].severity, SEV_WARNING);
	assert_non_null(strstr(det.findings[2].message, "3 events were lost"));
	assert_non_null(strstr(det.findings[2].message, "no trace_end"));
	policy.severity[RULE_TAMPER] = SEV_OFF;
	assert_string_equal(detect_text(START EV("tamper", 71, 1, "kill",
						 ",\"action\":\"signal\",\"target_pid\":5") END),
			    "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_step_children),
		cmocka_unit_test(test_pipe_to_shell),
		cmocka_unit_test(test_memory_and_credentials),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_exec_from_temp),
		cmocka_unit_test(test_listener_tamper_and_losses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
