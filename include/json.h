/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small append-only JSON writer for the hot path: one growable buffer reused for every
 * line, no allocation per event once the buffer has grown, strings escaped so that any
 * byte sequence becomes valid JSON (invalid UTF-8 turns into U+FFFD).
 */
#ifndef TRACERD_JSON_H
#define TRACERD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct json_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* an allocation failed: the line is unusable, callers drop and count it */
};

void json_buf_init(struct json_buf *b);
void json_buf_free(struct json_buf *b);
void json_buf_reset(struct json_buf *b);

/* Structure. Commas are inserted automatically from the previous character. */
void json_object_begin(struct json_buf *b);
void json_object_end(struct json_buf *b);
void json_array_begin(struct json_buf *b);
void json_array_end(struct json_buf *b);
void json_key(struct json_buf *b, const char *key);

/* Grows the buffer for need more bytes plus the NUL; false (and oom set) when it cannot. */
bool json_grow(struct json_buf *b, size_t need);

/* Room for need more bytes plus the NUL; false once an allocation has failed. */
static inline bool json_reserve_(struct json_buf *b, size_t need)
{
	if (__builtin_expect(b->oom, 0))
		return false;
	if (__builtin_expect(b->cap > b->len && b->cap - b->len > need, 1))
		return true;
	return json_grow(b, need);
}

static inline void json_terminate_(struct json_buf *b)
{
	b->data[b->len] = '\0';
}

static inline void json_put_(struct json_buf *b, char c)
{
	b->data[b->len++] = c;
}

/* A value or key follows a previous one unless it opens a container or follows a key. */
static inline bool json_needs_comma_(const struct json_buf *b)
{
	char last;

	if (b->len == 0)
		return false;
	last = b->data[b->len - 1];
	return last != '{' && last != '[' && last != ':' && last != '\n';
}

/* Reserves need bytes plus a possible comma, and writes the comma. */
static inline bool json_begin_value_(struct json_buf *b, size_t need)
{
	if (!json_reserve_(b, need + 1))
		return false;
	if (json_needs_comma_(b))
		json_put_(b, ',');
	return true;
}

/*
 * A key the program spells itself: JSON_KEY(b, "pid") is written as it is, quotes and
 * colon joined at compile time, with no scan for characters to escape (hot path). Inline:
 * the copy of a constant length compiles to a few moves.
 */
#define JSON_KEY(b, key) json_key_quoted(b, "\"" key "\":", sizeof("\"" key "\":") - 1)
static inline void json_key_quoted(struct json_buf *b, const char *quoted_key, size_t len)
{
	if (!json_begin_value_(b, len))
		return;
	memcpy(b->data + b->len, quoted_key, len);
	b->len += len;
	json_terminate_(b);
}

/* Fields under such keys. */
#define JSON_FIELD_U64(b, key, v)     \
	do {                          \
		JSON_KEY(b, key);     \
		json_write_u64(b, v); \
	} while (0)
#define JSON_FIELD_I64(b, key, v)     \
	do {                          \
		JSON_KEY(b, key);     \
		json_write_i64(b, v); \
	} while (0)
#define JSON_FIELD_STRING(b, key, s, len)     \
	do {                                  \
		JSON_KEY(b, key);             \
		json_write_string(b, s, len); \
	} while (0)
/* Left out when s is NULL: the trace never makes up a value it does not have. */
#define JSON_FIELD_CSTR(b, key, s)                                       \
	do {                                                             \
		const char *cstr_ = (s);                                 \
		if (cstr_)                                               \
			JSON_FIELD_STRING(b, key, cstr_, strlen(cstr_)); \
	} while (0)
/* Written only when true: the trace's optional flags. */
#define JSON_FIELD_TRUE_IF(b, key, cond)          \
	do {                                      \
		if (cond) {                       \
			JSON_KEY(b, key);         \
			json_write_bool(b, true); \
		}                                 \
	} while (0)

/* Bare values (array elements or after json_key()). */
void json_write_string(struct json_buf *b, const char *s, size_t len);
/*
 * A string the program made itself and knows needs no escape (digits, flag names): copied
 * between quotes without a scan. Never for anything that came from the kernel as bytes.
 */
void json_write_clean_string(struct json_buf *b, const char *s, size_t len);
/* Bytes that are already JSON text (a prefix built once), appended as they are. */
void json_write_raw(struct json_buf *b, const char *s, size_t len);
void json_write_u64(struct json_buf *b, uint64_t v);
void json_write_i64(struct json_buf *b, int64_t v);
void json_write_bool(struct json_buf *b, bool v);

/* Appends a raw '\n' (end of a JSONL line). */
void json_newline(struct json_buf *b);
/* Appends bytes that are JSON already (",\"key\":\"value\"" runs built elsewhere). */
void json_write_raw(struct json_buf *b, const char *s, size_t len);

#endif
