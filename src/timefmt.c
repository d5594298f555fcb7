/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RFC 3339 timestamps without libc: gmtime_r() may take locks and read the time zone
 * database, and every event line needs one. Events arrive in bursts within the same
 * second, so the "YYYY-MM-DDTHH:MM:SS." prefix of the last second is kept and only the
 * nanoseconds are written anew.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "timefmt.h"

#define NSEC_PER_SEC 1000000000ULL
#define SECS_PER_DAY 86400ULL

/* "YYYY-MM-DDTHH:MM:SS." */
#define PREFIX_LEN 20
#define FRACTION_DIGITS 9

struct timefmt_cache {
	bool valid;
	uint64_t secs;
	char prefix[PREFIX_LEN];
};

static _Thread_local struct timefmt_cache cache;

struct civil_date {
	uint64_t year;
	unsigned int month;
	unsigned int day;
};

/*
 * Howard Hinnant's civil_from_days(), restricted to days on or after 1970-01-01: shifting
 * the year to start on March 1 puts the leap day last, so each 400-year era has the same
 * shape and no table is needed.
 */
static struct civil_date civil_from_days(uint64_t days)
{
	uint64_t z = days + 719468; /* days from 0000-03-01 to 1970-01-01 */
	uint64_t era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	struct civil_date date;

	date.day = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	date.month = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	date.year = yoe + era * 400 + (date.month <= 2);
	return date;
}

static void put_digits(char *p, uint64_t v, unsigned int width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int fill_prefix(uint64_t secs, char prefix[PREFIX_LEN])
{
	uint64_t sod = secs % SECS_PER_DAY;
	struct civil_date date = civil_from_days(secs / SECS_PER_DAY);

	if (date.year > 9999)
		return -ERANGE;
	put_digits(prefix, date.year, 4);
	prefix[4] = '-';
	put_digits(prefix + 5, date.month, 2);
	prefix[7] = '-';
	put_digits(prefix + 8, date.day, 2);
	prefix[10] = 'T';
	put_digits(prefix + 11, sod / 3600, 2);
	prefix[13] = ':';
	put_digits(prefix + 14, sod / 60 % 60, 2);
	prefix[16] = ':';
	put_digits(prefix + 17, sod % 60, 2);
	prefix[19] = '.';
	return 0;
}

int timefmt_rfc3339(uint64_t unix_ns, char *buf, size_t buflen)
{
	uint64_t secs = unix_ns / NSEC_PER_SEC;
	int err;

	if (!buf || buflen < TIMEFMT_RFC3339_LEN)
		return -ENOSPC;
	if (!cache.valid || cache.secs != secs) {
		err = fill_prefix(secs, cache.prefix);
		if (err) {
			cache.valid = false;
			return err;
		}
		cache.secs = secs;
		cache.valid = true;
	}
	memcpy(buf, cache.prefix, PREFIX_LEN);
	put_digits(buf + PREFIX_LEN, unix_ns % NSEC_PER_SEC, FRACTION_DIGITS);
	buf[PREFIX_LEN + FRACTION_DIGITS] = 'Z';
	buf[PREFIX_LEN + FRACTION_DIGITS + 1] = '\0';
	return PREFIX_LEN + FRACTION_DIGITS + 1;
}
