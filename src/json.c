/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Append-only JSON writer. Every event line is built in one buffer that is reset, not
 * freed, between lines, so once it has grown to the longest line the hot path never
 * allocates. The buffer is kept NUL-terminated after every append so that callers and
 * tests can treat data as a C string.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

#define JSON_BUF_INITIAL_CAP 4096

/* The longest output one input byte position can produce: "\u00XX" or "\ufffd". */
#define JSON_ESCAPE_MAX 6

/* 20 digits for UINT64_MAX, one for the sign. */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static const char hex_digits[] = "0123456789abcdef";

/* Bytes that end a run copied verbatim: they need an escape or a UTF-8 check. */
static const unsigned char json_special[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x7f ... 0xff] = 1,
};

void json_buf_init(struct json_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void json_buf_free(struct json_buf *b)
{
	if (!b)
		return;
	free(b->data);
	json_buf_init(b);
}

void json_buf_reset(struct json_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool json_grow(struct json_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : JSON_BUF_INITIAL_CAP;
	char *data;

	/* One byte more than asked for, for the terminating NUL. */
	if (need >= SIZE_MAX - b->len)
		goto out_oom;
	while (cap - b->len <= need) {
		if (cap > SIZE_MAX / 2)
			goto out_oom;
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (!data)
		goto out_oom;
	b->data = data;
	b->cap = cap;
	return true;

out_oom:
	b->oom = true;
	return false;
}

/* Room for need more bytes plus the NUL; false once an allocation has failed. */
static inline bool json_reserve(struct json_buf *b, size_t need)
{
	if (__builtin_expect(b->oom, 0))
		return false;
	if (__builtin_expect(b->cap > b->len && b->cap - b->len > need, 1))
		return true;
	return json_grow(b, need);
}

static inline void json_terminate(struct json_buf *b)
{
	b->data[b->len] = '\0';
}

static inline void json_put(struct json_buf *b, char c)
{
	b->data[b->len++] = c;
}

/* A value or key follows a previous one unless it opens a container or follows a key. */
static inline bool json_needs_comma(const struct json_buf *b)
{
	char last;

	if (b->len == 0)
		return false;
	last = b->data[b->len - 1];
	return last != '{' && last != '[' && last != ':' && last != '\n';
}

/* Reserves need bytes plus a possible comma, and writes the comma. */
static inline bool json_begin_value(struct json_buf *b, size_t need)
{
	if (!json_reserve(b, need + 1))
		return false;
	if (json_needs_comma(b))
		json_put(b, ',');
	return true;
}

static void json_append_raw(struct json_buf *b, const char *s, size_t len)
{
	if (!json_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	json_terminate(b);
}

void json_write_raw(struct json_buf *b, const char *s, size_t len)
{
	json_append_raw(b, s, len);
}

void json_object_begin(struct json_buf *b)
{
	if (!json_begin_value(b, 1))
		return;
	json_put(b, '{');
	json_terminate(b);
}

void json_object_end(struct json_buf *b)
{
	json_append_raw(b, "}", 1);
}

void json_array_begin(struct json_buf *b)
{
	if (!json_begin_value(b, 1))
		return;
	json_put(b, '[');
	json_terminate(b);
}

void json_array_end(struct json_buf *b)
{
	json_append_raw(b, "]", 1);
}

void json_newline(struct json_buf *b)
{
	json_append_raw(b, "\n", 1);
}

/*
 * True when none of the 8 bytes needs attention: no control character, quote,
 * backslash, DEL or non-ASCII byte. Each term is the classic "has a byte less than n"
 * or "has a zero byte" test, exact in whether any byte matches.
 */
static inline bool json_word_is_plain(uint64_t w)
{
	uint64_t control = (w - ONES * 0x20) & ~w;
	uint64_t quote = w ^ (ONES * '"');
	uint64_t backslash = w ^ (ONES * '\\');
	uint64_t del = w ^ (ONES * 0x7f);

	quote = (quote - ONES) & ~quote;
	backslash = (backslash - ONES) & ~backslash;
	del = (del - ONES) & ~del;
	return ((control | quote | backslash | del | w) & HIGHS) == 0;
}

/* Length of the leading run of bytes that can be copied as they are. */
static size_t json_plain_run(const unsigned char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	while (len - i >= sizeof(w)) {
		memcpy(&w, s + i, sizeof(w));
		if (!json_word_is_plain(w))
			break;
		i += sizeof(w);
	}
	while (i < len && !json_special[s[i]])
		i++;
	return i;
}

/*
 * Length of the UTF-8 sequence starting at a non-ASCII byte, after the well-formed
 * byte sequences table of the Unicode standard (table 3-7). When it is ill-formed,
 * *valid is false and the length is that of its maximal subpart, the prefix that
 * could still have become valid: one U+FFFD replaces exactly that prefix.
 */
static size_t utf8_sequence(const unsigned char *s, size_t len, bool *valid)
{
	unsigned char lead = s[0], lo = 0x80, hi = 0xbf;
	size_t trail, i;

	if (lead >= 0xc2 && lead <= 0xdf) {
		trail = 1;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		trail = 2;
		if (lead == 0xe0)
			lo = 0xa0; /* overlong */
		else if (lead == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		trail = 3;
		if (lead == 0xf0)
			lo = 0x90; /* overlong */
		else if (lead == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		*valid = false;
		return 1;
	}
	for (i = 1; i <= trail; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*valid = false;
			return i;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*valid = true;
	return trail + 1;
}

static inline void json_put_escape(struct json_buf *b, char c)
{
	json_put(b, '\\');
	json_put(b, c);
}

static void json_put_unicode_escape(struct json_buf *b, unsigned int code)
{
	json_put(b, '\\');
	json_put(b, 'u');
	json_put(b, hex_digits[(code >> 12) & 0xf]);
	json_put(b, hex_digits[(code >> 8) & 0xf]);
	json_put(b, hex_digits[(code >> 4) & 0xf]);
	json_put(b, hex_digits[code & 0xf]);
}

/* Writes one ASCII special byte, escaped. */
static void json_put_ascii_escaped(struct json_buf *b, unsigned char c)
{
	switch (c) {
	case '"':
		json_put_escape(b, '"');
		break;
	case '\\':
		json_put_escape(b, '\\');
		break;
	case '\n':
		json_put_escape(b, 'n');
		break;
	case '\t':
		json_put_escape(b, 't');
		break;
	case '\r':
		json_put_escape(b, 'r');
		break;
	case '\b':
		json_put_escape(b, 'b');
		break;
	case '\f':
		json_put_escape(b, 'f');
		break;
	default:
		json_put_unicode_escape(b, c);
		break;
	}
}

/* Writes what starts at s (a byte json_special marks) and returns how many bytes it used. */
static size_t json_put_special(struct json_buf *b, const unsigned char *s, size_t len)
{
	size_t n;
	bool valid;

	if (s[0] < 0x80) {
		json_put_ascii_escaped(b, s[0]);
		return 1;
	}
	n = utf8_sequence(s, len, &valid);
	if (valid) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
	} else {
		json_put_unicode_escape(b, 0xfffd);
	}
	return n;
}

static void json_put_string(struct json_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	json_put(b, '"');
	while (i < len) {
		run = json_plain_run(s + i, len - i);
		if (run) {
			/* +1 keeps room for the closing quote when the string ends here. */
			if (!json_reserve(b, run + 1))
				return;
			memcpy(b->data + b->len, s + i, run);
			b->len += run;
			i += run;
			continue;
		}
		if (!json_reserve(b, JSON_ESCAPE_MAX + 1))
			return;
		i += json_put_special(b, s + i, len - i);
	}
	json_put(b, '"');
	json_terminate(b);
}

void json_write_string(struct json_buf *b, const char *s, size_t len)
{
	/* The quotes; the contents reserve as they go. */
	if (!json_begin_value(b, 2))
		return;
	json_put_string(b, s, len);
}

void json_key(struct json_buf *b, const char *key)
{
	if (!json_begin_value(b, 2))
		return;
	json_put_string(b, key, strlen(key));
	if (!json_reserve(b, 1))
		return;
	json_put(b, ':');
	json_terminate(b);
}

void json_key_quoted(struct json_buf *b, const char *quoted_key, size_t len)
{
	if (!json_begin_value(b, len))
		return;
	memcpy(b->data + b->len, quoted_key, len);
	b->len += len;
	json_terminate(b);
}

static void json_put_number(struct json_buf *b, uint64_t magnitude, bool negative)
{
	char digits[DECIMAL_MAX_LEN + 1];
	char *end = digits + sizeof(digits);
	char *start = decimal_before(end, magnitude);
	size_t n;

	if (negative)
		*--start = '-';
	n = (size_t)(end - start);
	if (!json_begin_value(b, n))
		return;
	memcpy(b->data + b->len, start, n);
	b->len += n;
	json_terminate(b);
}

void json_write_u64(struct json_buf *b, uint64_t v)
{
	json_put_number(b, v, false);
}

void json_write_i64(struct json_buf *b, int64_t v)
{
	/* Negating in unsigned arithmetic is defined for INT64_MIN too. */
	if (v < 0)
		json_put_number(b, 0 - (uint64_t)v, true);
	else
		json_put_number(b, (uint64_t)v, false);
}

void json_write_bool(struct json_buf *b, bool v)
{
	const char *text = v ? "true" : "false";
	size_t n = v ? 4 : 5;

	if (!json_begin_value(b, n))
		return;
	memcpy(b->data + b->len, text, n);
	b->len += n;
	json_terminate(b);
}
