/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small text helpers shared by the formatters: a bounded string builder that remembers
 * an overflow, and decimal digits written backwards without snprintf (hot path).
 */
#ifndef TRACERD_TEXT_H
#define TRACERD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Text built into a caller's buffer, always NUL-terminated while it fits. */
struct text {
	char *buf;
	size_t size;
	size_t len;
	bool overflow; /* something did not fit: the text is unusable */
};

#define TEXT_INIT(b, n)                           \
	{                                         \
		.buf = (b), .size = (b) ? (n) : 0 \
	}

/* Appends n bytes of s: 0, or -ENOSPC when they do not fit (then and after: overflow). */
int text_put(struct text *t, const char *s, size_t n);
/* Appends a NUL-terminated string. */
int text_add(struct text *t, const char *s);
/* The length, or -ENOSPC (the buffer then holds "") after an overflow. */
int text_finish(struct text *t);

/* Longest decimal of a 64-bit value with its sign. */
#define DECIMAL_MAX_LEN 20

/* Writes v's digits ending just before end; returns where they start. */
char *decimal_before(char *end, uint64_t v);

#endif
