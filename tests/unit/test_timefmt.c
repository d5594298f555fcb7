/* SPDX-License-Identifier: GPL-2.0-only */
/* timefmt.c: known instants, calendar edges, and agreement with gmtime_r(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timefmt.h"

#define NS 1000000000ULL

static void assert_formats_to(uint64_t ns, const char *expected)
{
	char buf[TIMEFMT_RFC3339_LEN];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(timefmt_rfc3339(ns, buf, sizeof(buf)), 30);
	assert_string_equal(buf, expected);
}

static void test_epoch(void **state)
{
	assert_formats_to(0, "1970-01-01T00:00:00.000000000Z");
	assert_formats_to(1, "1970-01-01T00:00:00.000000001Z");
	assert_formats_to(999999999, "1970-01-01T00:00:00.999999999Z");
	assert_formats_to(NS, "1970-01-01T00:00:01.000000000Z");
	assert_formats_to(86399 * NS + 5000, "1970-01-01T23:59:59.000005000Z");
	assert_formats_to(86400 * NS, "1970-01-02T00:00:00.000000000Z");
}

static void test_spec_example(void **state)
{
	assert_formats_to(1795257001 * NS + 123456789, "2026-11-21T10:30:01.123456789Z");
}

static void test_nanosecond_padding(void **state)
{
	assert_formats_to(1795257001 * NS + 7, "2026-11-21T10:30:01.000000007Z");
	assert_formats_to(1795257001 * NS + 120, "2026-11-21T10:30:01.000000120Z");
	assert_formats_to(1795257001 * NS + 100000000, "2026-11-21T10:30:01.100000000Z");
}

static void test_leap_years(void **state)
{
	/* 1972: the first leap year after the epoch. */
	assert_formats_to(68169600 * NS, "1972-02-29T00:00:00.000000000Z");
	assert_formats_to(94694399 * NS, "1972-12-31T23:59:59.000000000Z");
	/* 2000 is a leap year (divisible by 400). */
	assert_formats_to(951782400 * NS, "2000-02-29T00:00:00.000000000Z");
	assert_formats_to(951868799 * NS + 999999999, "2000-02-29T23:59:59.999999999Z");
	assert_formats_to(951868800 * NS, "2000-03-01T00:00:00.000000000Z");
	/* 2100 is not (divisible by 100, not by 400). */
	assert_formats_to(4107542399 * NS, "2100-02-28T23:59:59.000000000Z");
	assert_formats_to(4107542400 * NS, "2100-03-01T00:00:00.000000000Z");
	/* 2400 is again. */
	assert_formats_to(13574606400 * NS, "2400-02-29T12:00:00.000000000Z");
}

static void test_year_2038_and_later(void **state)
{
	assert_formats_to(2147483647 * NS, "2038-01-19T03:14:07.000000000Z");
	assert_formats_to(2147483648 * NS, "2038-01-19T03:14:08.000000000Z");
	assert_formats_to(4294967296 * NS, "2106-02-07T06:28:16.000000000Z");
	/* The largest input: nanoseconds in a uint64_t run out in 2554. */
	assert_formats_to(UINT64_MAX, "2554-07-21T23:34:33.709551615Z");
}

static void test_buffer_too_small(void **state)
{
	char buf[TIMEFMT_RFC3339_LEN];

	assert_int_equal(timefmt_rfc3339(0, buf, TIMEFMT_RFC3339_LEN - 1), -ENOSPC);
	assert_int_equal(timefmt_rfc3339(0, buf, 0), -ENOSPC);
	assert_int_equal(timefmt_rfc3339(0, NULL, 64), -ENOSPC);
	assert_int_equal(timefmt_rfc3339(0, buf, TIMEFMT_RFC3339_LEN), 30);
}

/* The per-second cache must never hand out a stale prefix. */
static void test_cache_follows_seconds(void **state)
{
	assert_formats_to(1795257001 * NS + 1, "2026-11-21T10:30:01.000000001Z");
	assert_formats_to(1795257001 * NS + 2, "2026-11-21T10:30:01.000000002Z");
	assert_formats_to(1795257002 * NS, "2026-11-21T10:30:02.000000000Z");
	assert_formats_to(1795257001 * NS + 3, "2026-11-21T10:30:01.000000003Z");
	assert_formats_to(0, "1970-01-01T00:00:00.000000000Z");
	assert_formats_to(1795257001 * NS + 4, "2026-11-21T10:30:01.000000004Z");
}

static void assert_matches_gmtime(uint64_t ns)
{
	time_t secs = (time_t)(ns / NS);
	char expected[64], got[TIMEFMT_RFC3339_LEN];
	struct tm tm;

	assert_non_null(gmtime_r(&secs, &tm));
	snprintf(expected, sizeof(expected), "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(ns % NS));
	assert_int_equal(timefmt_rfc3339(ns, got, sizeof(got)), 30);
	assert_string_equal(got, expected);
}

static void test_agrees_with_gmtime(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1dULL, day;
	int i;

	/* Every day from 1970 to 2200, at its last nanosecond. */
	for (day = 0; day < 84000; day++)
		assert_matches_gmtime((day + 1) * 86400 * NS - 1);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		assert_matches_gmtime(x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_nanosecond_padding),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_year_2038_and_later),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_cache_follows_seconds),
		cmocka_unit_test(test_agrees_with_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
