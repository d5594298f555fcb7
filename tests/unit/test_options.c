/* SPDX-License-Identifier: GPL-2.0-only */
/* options.c: every accepted form and every usage error, with its exact message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ERR_LEN 256

/* A NULL-terminated argv with "tracerd" as argv[0]. */
#define ARGV(...) ((char *[]){ "tracerd", __VA_ARGS__, NULL })

static char err[ERR_LEN];
static struct options opts;

static int parse(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	memset(&opts, 0x55, sizeof(opts));
	return options_parse(argc, argv, &opts, err, sizeof(err));
}

static void assert_usage_error(char **argv, const char *message)
{
	assert_int_equal(parse(argv), -EINVAL);
	assert_string_equal(err, message);
}

static void test_minimal(void **state)
{
	assert_int_equal(parse(ARGV("--job-id", "build-1", "--out", "/var/log/t.jsonl.gz")), 0);
	assert_string_equal(err, "");
	assert_string_equal(opts.job_id, "build-1");
	assert_string_equal(opts.out_path, "/var/log/t.jsonl.gz");
	assert_null(opts.pid_file);
	assert_null(opts.hash_cache);
	assert_int_equal(opts.flush_interval_ms, OPTIONS_FLUSH_MS_DEFAULT);
	assert_int_equal(opts.ringbuf_kb, OPTIONS_RINGBUF_KB_DEFAULT);
	assert_false(opts.force);
	assert_false(opts.help);
	assert_false(opts.version);
	assert_null(opts.command);
}

static void test_everything(void **state)
{
	char **argv = ARGV("--job-id", "gh.1234_5-a", "--out", "-", "--pid-file", "/run/t.pid",
			   "--flush-interval", "250", "--ring-buffer-kb", "4096", "--force",
			   "--hash-cache", "/var/lib/tracerd/exehash.cache", "--", "make", "-j4",
			   "--keep-going", "--", "test");

	assert_int_equal(parse(argv), 0);
	assert_string_equal(opts.job_id, "gh.1234_5-a");
	assert_string_equal(opts.out_path, "-");
	assert_string_equal(opts.pid_file, "/run/t.pid");
	assert_int_equal(opts.flush_interval_ms, 250);
	assert_int_equal(opts.ringbuf_kb, 4096);
	assert_true(opts.force);
	assert_string_equal(opts.hash_cache, "/var/lib/tracerd/exehash.cache");
	/* The command and its own options, "--" included, untouched. */
	assert_ptr_equal(opts.command, argv + 15);
	assert_string_equal(opts.command[0], "make");
	assert_string_equal(opts.command[1], "-j4");
	assert_string_equal(opts.command[2], "--keep-going");
	assert_string_equal(opts.command[3], "--");
	assert_string_equal(opts.command[4], "test");
	assert_null(opts.command[5]);
}

static void test_equals_form(void **state)
{
	assert_int_equal(parse(ARGV("--job-id=j", "--out=/tmp/o.gz", "--pid-file=/tmp/p",
				    "--flush-interval=10", "--ring-buffer-kb=64")),
			 0);
	assert_string_equal(opts.job_id, "j");
	assert_string_equal(opts.out_path, "/tmp/o.gz");
	assert_string_equal(opts.pid_file, "/tmp/p");
	assert_int_equal(opts.flush_interval_ms, 10);
	assert_int_equal(opts.ringbuf_kb, 64);
	/* Only the first '=' separates: the rest is the value. */
	assert_int_equal(parse(ARGV("--job-id", "j", "--out=/tmp/a=b")), 0);
	assert_string_equal(opts.out_path, "/tmp/a=b");
}

static void test_options_in_any_order(void **state)
{
	assert_int_equal(parse(ARGV("--force", "--out", "o", "--job-id", "j")), 0);
	assert_string_equal(opts.job_id, "j");
	assert_string_equal(opts.out_path, "o");
	assert_true(opts.force);
}

static void test_command(void **state)
{
	char **argv = ARGV("--job-id", "j", "--out", "o", "--", "--weird-command-name", "-x");

	assert_int_equal(parse(argv), 0);
	assert_string_equal(opts.command[0], "--weird-command-name");
	assert_string_equal(opts.command[1], "-x");
	assert_null(opts.command[2]);

	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--", "sh", "-c", "exit 3")), 0);
	assert_string_equal(opts.command[2], "exit 3");
}

static void test_command_errors(void **state)
{
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--"), "-- needs a command");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--", ""),
			   "-- needs a command, not an empty string");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "foo"),
			   "unexpected argument 'foo' (put the command after --)");
	assert_usage_error(ARGV("--job-id", "j", "foo", "--out", "o"),
			   "unexpected argument 'foo' (put the command after --)");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "-"),
			   "unexpected argument '-' (put the command after --)");
	/* "--" as the value of --out is a path named "--", not the separator. */
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "--")), 0);
	assert_string_equal(opts.out_path, "--");
	assert_null(opts.command);
}

static void test_unknown_options(void **state)
{
	assert_usage_error(ARGV("--bogus"), "unknown option '--bogus'");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--bogus=1"),
			   "unknown option '--bogus'");
	assert_usage_error(ARGV("-x"), "unknown option '-x'");
	assert_usage_error(ARGV("-h"), "unknown option '-h'");
	assert_usage_error(ARGV("-job-id", "j"), "unknown option '-job-id'");
	assert_usage_error(ARGV("---job-id", "j"), "unknown option '---job-id'");
	/* Abbreviations are refused: a future option could make them ambiguous. */
	assert_usage_error(ARGV("--job", "j", "--out", "o"), "unknown option '--job'");
	assert_usage_error(ARGV("--job-id", "j", "--ou=o"), "unknown option '--ou'");
	assert_usage_error(ARGV("--f"), "unknown option '--f'");
	assert_usage_error(ARGV("--hel"), "unknown option '--hel'");
	/* Control characters never reach the terminal. */
	assert_usage_error(ARGV("--a\nb"), "unknown option '--a?b'");
}

static void test_option_values(void **state)
{
	assert_usage_error(ARGV("--job-id", "j", "--out"), "--out needs a value");
	assert_usage_error(ARGV("--out", "o", "--job-id"), "--job-id needs a value");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--force=yes"),
			   "--force does not take a value");
	assert_usage_error(ARGV("--help=1"), "--help does not take a value");
	assert_usage_error(ARGV("--job-id", "j", "--out", ""), "--out needs a non-empty path");
	assert_usage_error(ARGV("--job-id", "j", "--out="), "--out needs a non-empty path");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--pid-file="),
			   "--pid-file needs a non-empty path");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--hash-cache", ""),
			   "--hash-cache needs a non-empty path");
}

static void test_repeated_options(void **state)
{
	assert_usage_error(ARGV("--job-id", "j", "--out", "a", "--out", "b"),
			   "--out given more than once");
	assert_usage_error(ARGV("--job-id", "j", "--job-id", "j"), "--job-id given more than once");
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--force", "--force"),
			   "--force given more than once");
	assert_usage_error(ARGV("--flush-interval", "10", "--flush-interval=20"),
			   "--flush-interval given more than once");
}

static void test_required(void **state)
{
	assert_usage_error(ARGV("--out", "o"), "--job-id is required");
	assert_usage_error(ARGV("--job-id", "j"), "--out is required");
	assert_usage_error((char *[]){ "tracerd", NULL }, "--job-id is required");
	assert_usage_error(ARGV("--force"), "--job-id is required");
}

#define FLUSH_NOT_A_NUMBER(v) \
	"--flush-interval: '" v "' is not a number of milliseconds (10-3600000)"
#define FLUSH_OUT_OF_RANGE(v) "--flush-interval: '" v "' is out of range (10-3600000 milliseconds)"

static void test_flush_interval(void **state)
{
	static const char *const not_numbers[] = { "abc", "",	  "-5",	 "+5",	"5x",  " 5",
						   "5 ",  "0x10", "1e3", "1.5", "10ms" };
	char expected[ERR_LEN];
	size_t i;

	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--flush-interval", "10")), 0);
	assert_int_equal(opts.flush_interval_ms, 10);
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--flush-interval=3600000")), 0);
	assert_int_equal(opts.flush_interval_ms, 3600000);
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--flush-interval", "0100")), 0);
	assert_int_equal(opts.flush_interval_ms, 100);

	assert_usage_error(ARGV("--flush-interval", "abc"), FLUSH_NOT_A_NUMBER("abc"));
	for (i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
		snprintf(expected, sizeof(expected),
			 "--flush-interval: '%s' is not a number of milliseconds (10-3600000)",
			 not_numbers[i]);
		assert_usage_error(ARGV("--job-id", "j", "--flush-interval",
					(char *)not_numbers[i]),
				   expected);
	}
	assert_usage_error(ARGV("--flush-interval", "9"), FLUSH_OUT_OF_RANGE("9"));
	assert_usage_error(ARGV("--flush-interval", "0"), FLUSH_OUT_OF_RANGE("0"));
	assert_usage_error(ARGV("--flush-interval", "3600001"), FLUSH_OUT_OF_RANGE("3600001"));
	assert_usage_error(ARGV("--flush-interval", "4294967296"),
			   FLUSH_OUT_OF_RANGE("4294967296"));
	assert_usage_error(ARGV("--flush-interval", "99999999999999999999999999"),
			   FLUSH_OUT_OF_RANGE("99999999999999999999999999"));
}

static void test_ring_buffer_kb(void **state)
{
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--ring-buffer-kb", "64")), 0);
	assert_int_equal(opts.ringbuf_kb, 64);
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o", "--ring-buffer-kb=1048576")), 0);
	assert_int_equal(opts.ringbuf_kb, 1048576);

	assert_usage_error(
		ARGV("--ring-buffer-kb", "x"),
		"--ring-buffer-kb: 'x' is not a number of KiB (64-1048576, a power of two)");
	assert_usage_error(
		ARGV("--ring-buffer-kb", "-16"),
		"--ring-buffer-kb: '-16' is not a number of KiB (64-1048576, a power of two)");
	assert_usage_error(
		ARGV("--ring-buffer-kb", "8"),
		"--ring-buffer-kb: '8' is out of range (64-1048576 KiB, a power of two)");
	assert_usage_error(
		ARGV("--ring-buffer-kb", "2097152"),
		"--ring-buffer-kb: '2097152' is out of range (64-1048576 KiB, a power of two)");
	assert_usage_error(ARGV("--ring-buffer-kb", "100"),
			   "--ring-buffer-kb: '100' is not a power of two (64-1048576 KiB)");
	assert_usage_error(ARGV("--ring-buffer-kb", "4095"),
			   "--ring-buffer-kb: '4095' is not a power of two (64-1048576 KiB)");
}

#define JOB_ID_HELP \
	"use 1-128 characters of A-Z a-z 0-9 . _ - (not starting with '-', not '.' or '..')"

static void test_job_id_valid(void **state)
{
	char id[OPTIONS_JOB_ID_MAX + 2];

	memset(id, 'a', OPTIONS_JOB_ID_MAX);
	id[OPTIONS_JOB_ID_MAX] = '\0';
	assert_true(options_job_id_valid(id));
	assert_int_equal(parse(ARGV("--job-id", id, "--out", "o")), 0);
	assert_string_equal(opts.job_id, id);

	assert_true(options_job_id_valid("a"));
	assert_true(options_job_id_valid("..."));
	assert_true(options_job_id_valid(".hidden"));
	assert_true(options_job_id_valid("a..b"));
	assert_true(options_job_id_valid("x-"));
	assert_true(options_job_id_valid("_"));
	assert_true(options_job_id_valid("0"));
	assert_true(options_job_id_valid("AZaz09._-"));

	id[OPTIONS_JOB_ID_MAX] = 'a';
	id[OPTIONS_JOB_ID_MAX + 1] = '\0';
	assert_false(options_job_id_valid(id));
	assert_false(options_job_id_valid(NULL));
	assert_false(options_job_id_valid(""));
	assert_false(options_job_id_valid("."));
	assert_false(options_job_id_valid(".."));
	assert_false(options_job_id_valid("-x"));
	assert_false(options_job_id_valid("-"));
	assert_false(options_job_id_valid("a b"));
	assert_false(options_job_id_valid("a/b"));
	assert_false(options_job_id_valid("a\nb"));
	assert_false(options_job_id_valid("caf\xc3\xa9"));
	assert_false(options_job_id_valid("a:b"));
	assert_false(options_job_id_valid("a+b"));
}

static void test_job_id_errors(void **state)
{
	char id[OPTIONS_JOB_ID_MAX + 2];

	assert_usage_error(ARGV("--job-id", "a/b", "--out", "o"), "--job-id 'a/b': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", "a b"), "--job-id 'a b': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", "."), "--job-id '.': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", ".."), "--job-id '..': " JOB_ID_HELP);
	/* getopt takes the next element as the value, even when it looks like an option. */
	assert_usage_error(ARGV("--job-id", "-x"), "--job-id '-x': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", "--out", "o"), "--job-id '--out': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", ""), "--job-id '': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id="), "--job-id '': " JOB_ID_HELP);
	assert_usage_error(ARGV("--job-id", "a\tb"), "--job-id 'a?b': " JOB_ID_HELP);

	/* 129 characters; a long value is cut in the message, the line stays short. */
	memset(id, 'a', OPTIONS_JOB_ID_MAX + 1);
	id[OPTIONS_JOB_ID_MAX + 1] = '\0';
	assert_usage_error(
		ARGV("--job-id", id),
		"--job-id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"...': " JOB_ID_HELP);
}

static void test_help_and_version(void **state)
{
	assert_int_equal(parse(ARGV("--help")), 0);
	assert_true(opts.help);
	assert_false(opts.version);
	assert_int_equal(parse(ARGV("--version")), 0);
	assert_true(opts.version);
	assert_false(opts.help);
	/* They need nothing else, and what follows them is not looked at. */
	assert_int_equal(parse(ARGV("--out", "o", "--help", "--bogus")), 0);
	assert_true(opts.help);
	assert_int_equal(parse(ARGV("--version", "stray")), 0);
	assert_true(opts.version);
	/* What comes before them is. */
	assert_usage_error(ARGV("--bogus", "--help"), "unknown option '--bogus'");
}

/* getopt state is reset on every call: the same argv parses the same way twice. */
static void test_repeatable(void **state)
{
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--bogus"),
			   "unknown option '--bogus'");
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o")), 0);
	assert_int_equal(parse(ARGV("--job-id", "j", "--out", "o")), 0);
	assert_usage_error(ARGV("--job-id", "j", "--out", "o", "--bogus"),
			   "unknown option '--bogus'");
}

static void test_error_buffer(void **state)
{
	char small[8];

	assert_int_equal(options_parse(2, ARGV("--bogus"), &opts, NULL, 0), -EINVAL);
	assert_int_equal(options_parse(2, ARGV("--bogus"), &opts, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "unknown");
	assert_int_equal(options_parse(0, ARGV("x"), &opts, small, sizeof(small)), -EINVAL);
}

static void test_usage_lists_every_option(void **state)
{
	static const char *const names[] = {
		"--job-id ID",	      "--out PATH", "--pid-file PATH", "--flush-interval MS",
		"--ring-buffer-kb N", "--force",    "--help",	       "--version",
		"--hash-cache PATH",  "-- COMMAND"
	};
	char *text = NULL, *line;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	options_print_usage(f);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0);
	assert_int_equal(strncmp(text, "Usage: tracerd ", 15), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(strstr(text, names[i]));
	/* It fits an 80-column terminal. */
	for (line = text; *line; line += strcspn(line, "\n") + 1) {
		assert_true(strcspn(line, "\n") <= 80);
		if (!line[strcspn(line, "\n")])
			break;
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_equals_form),
		cmocka_unit_test(test_options_in_any_order),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_repeated_options),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_flush_interval),
		cmocka_unit_test(test_ring_buffer_kb),
		cmocka_unit_test(test_job_id_valid),
		cmocka_unit_test(test_job_id_errors),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_usage_lists_every_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
