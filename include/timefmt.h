/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRACERD_TIMEFMT_H
#define TRACERD_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest output: "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" plus NUL (years up to 9999). */
#define TIMEFMT_RFC3339_LEN 31

/*
 * Formats nanoseconds since the Unix epoch as RFC 3339 UTC with nine fractional digits.
 * Returns the length written (without NUL) or -ENOSPC / -ERANGE.
 */
int timefmt_rfc3339(uint64_t unix_ns, char *buf, size_t buflen);

#endif
