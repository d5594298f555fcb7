/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json.c: exact output for structure, numbers and escapes, and every output checked by
 * an independent parser (jansson). The random tests compare against a reference
 * decoder built from a UTF-8 encoder, not from the table the writer uses.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json.h"

#define RANDOM_ROUNDS 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same sequence on every libc, so a failure can be replayed. */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rng_below(unsigned int n)
{
	return (unsigned int)(rng_next() % n);
}

/* Parses with jansson (NUL allowed in strings), failing the test with its message. */
static json_t *parse_or_fail(const char *data, size_t len)
{
	json_error_t error;
	json_t *v = json_loadb(data, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &error);

	if (!v)
		fail_msg("jansson rejected '%.*s': %s at %d", (int)len, data, error.text,
			 error.position);
	return v;
}

static void assert_valid_json(const char *data, size_t len)
{
	json_decref(parse_or_fail(data, len));
}

/* Every line of a JSONL buffer parses on its own. */
static void assert_valid_jsonl(const struct json_buf *b)
{
	size_t start = 0, i;

	assert_int_equal(b->data[b->len - 1], '\n');
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			assert_valid_json(b->data + start, i - start);
			start = i + 1;
		}
	}
}

/* The JSON text json_write_string() gives for (s, len), as a NUL-terminated copy. */
static char *escaped(const char *s, size_t len)
{
	struct json_buf b;
	char *copy;

	json_buf_init(&b);
	json_write_string(&b, s, len);
	assert_false(b.oom);
	assert_int_equal(strlen(b.data), b.len);
	assert_valid_json(b.data, b.len);
	copy = strdup(b.data);
	json_buf_free(&b);
	return copy;
}

static void assert_escapes_to(const char *s, size_t len, const char *expected)
{
	char *got = escaped(s, len);

	assert_string_equal(got, expected);
	free(got);
}

#define ASSERT_ESCAPES_TO(lit, expected) assert_escapes_to(lit, sizeof(lit) - 1, expected)

static void test_empty_object(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_object_begin(&b);
	json_object_end(&b);
	assert_string_equal(b.data, "{}");
	assert_int_equal(b.len, 2);
	json_buf_free(&b);
	assert_null(b.data);
	json_buf_free(NULL);
}

static void test_event_line(void **state)
{
	static const char expected[] =
		"{\"type\":\"process_exec\",\"pid\":4242,\"ret\":-115,\"args\":[\"sh\",\"-c\","
		"\"echo hi\"],\"args_truncated\":false,\"by_type\":{\"dns_query\":3,"
		"\"file_open\":0},\"exe_memfd\":true,\"empty\":[],\"obj\":{}}\n";
	struct json_buf b;

	json_buf_init(&b);
	json_object_begin(&b);
	JSON_FIELD_CSTR(&b, "type", "process_exec");
	JSON_FIELD_U64(&b, "pid", 4242);
	JSON_FIELD_I64(&b, "ret", -115);
	json_key(&b, "args");
	json_array_begin(&b);
	json_write_string(&b, "sh", 2);
	json_write_string(&b, "-c", 2);
	json_write_string(&b, "echo hi", 7);
	json_array_end(&b);
	JSON_KEY(&b, "args_truncated");
	json_write_bool(&b, false);
	json_key(&b, "by_type");
	json_object_begin(&b);
	JSON_FIELD_U64(&b, "dns_query", 3);
	JSON_FIELD_U64(&b, "file_open", 0);
	json_object_end(&b);
	JSON_KEY(&b, "exe_memfd");
	json_write_bool(&b, true);
	json_key(&b, "empty");
	json_array_begin(&b);
	json_array_end(&b);
	json_key(&b, "obj");
	json_object_begin(&b);
	json_object_end(&b);
	json_object_end(&b);
	json_newline(&b);
	assert_false(b.oom);
	assert_string_equal(b.data, expected);
	assert_int_equal(b.len, sizeof(expected) - 1);
	assert_valid_jsonl(&b);
	json_buf_free(&b);
}

static void test_array_commas(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_array_begin(&b);
	json_write_u64(&b, 1);
	json_write_i64(&b, -2);
	json_array_begin(&b);
	json_array_end(&b);
	json_object_begin(&b);
	json_object_end(&b);
	json_write_string(&b, "a", 1);
	json_write_bool(&b, true);
	json_write_bool(&b, false);
	json_array_begin(&b);
	json_write_string(&b, "", 0);
	json_write_string(&b, "", 0);
	json_array_end(&b);
	json_array_end(&b);
	assert_string_equal(b.data, "[1,-2,[],{},\"a\",true,false,[\"\",\"\"]]");
	assert_valid_json(b.data, b.len);
	json_buf_free(&b);
}

static void test_lines_do_not_share_commas(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_object_begin(&b);
	JSON_FIELD_U64(&b, "a", 1);
	json_object_end(&b);
	json_newline(&b);
	json_object_begin(&b);
	JSON_FIELD_U64(&b, "b", 2);
	json_object_end(&b);
	json_newline(&b);
	assert_string_equal(b.data, "{\"a\":1}\n{\"b\":2}\n");
	assert_valid_jsonl(&b);
	json_buf_free(&b);
}

static void test_field_shorthands(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_object_begin(&b);
	JSON_FIELD_STRING(&b, "s", "a\0b", 3);
	JSON_FIELD_CSTR(&b, "missing", NULL);
	JSON_FIELD_CSTR(&b, "c", "x");
	JSON_FIELD_I64(&b, "i", INT64_MIN);
	/* jansson stops at INT64_MAX; UINT64_MAX is checked in test_numbers_exact. */
	JSON_FIELD_U64(&b, "u", INT64_MAX);
	JSON_KEY(&b, "t");
	json_write_bool(&b, true);
	json_object_end(&b);
	assert_string_equal(b.data, "{\"s\":\"a\\u0000b\",\"c\":\"x\",\"i\":-9223372036854775808,"
				    "\"u\":9223372036854775807,\"t\":true}");
	assert_valid_json(b.data, b.len);
	json_buf_free(&b);
}

static void test_key_escaped(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_object_begin(&b);
	json_key(&b, "we\"ird\n");
	json_write_u64(&b, 1);
	json_object_end(&b);
	assert_string_equal(b.data, "{\"we\\\"ird\\n\":1}");
	assert_valid_json(b.data, b.len);
	json_buf_free(&b);
}

static void assert_u64_text(uint64_t v)
{
	struct json_buf b;
	char expected[32];

	snprintf(expected, sizeof(expected), "%" PRIu64, v);
	json_buf_init(&b);
	json_write_u64(&b, v);
	assert_string_equal(b.data, expected);
	json_buf_free(&b);
}

static void assert_i64_text(int64_t v)
{
	struct json_buf b;
	char expected[32];

	snprintf(expected, sizeof(expected), "%" PRId64, v);
	json_buf_init(&b);
	json_write_i64(&b, v);
	assert_string_equal(b.data, expected);
	json_buf_free(&b);
}

static void test_numbers_exact(void **state)
{
	struct json_buf b;

	json_buf_init(&b);
	json_array_begin(&b);
	json_write_u64(&b, 0);
	json_write_u64(&b, 7);
	json_write_u64(&b, 10);
	json_write_u64(&b, 99);
	json_write_u64(&b, 100);
	json_write_u64(&b, 1000000007);
	json_write_u64(&b, UINT64_MAX);
	json_write_i64(&b, 0);
	json_write_i64(&b, -1);
	json_write_i64(&b, -10);
	json_write_i64(&b, INT64_MAX);
	json_write_i64(&b, INT64_MIN);
	json_array_end(&b);
	assert_string_equal(b.data, "[0,7,10,99,100,1000000007,18446744073709551615,0,-1,-10,"
				    "9223372036854775807,-9223372036854775808]");
	json_buf_free(&b);
}

static void test_numbers_against_printf(void **state)
{
	uint64_t p = 1;
	int i;

	/* Every digit count, at both edges. */
	for (i = 0; i < 20; i++) {
		assert_u64_text(p - 1);
		assert_u64_text(p);
		assert_u64_text(p + 1);
		assert_i64_text(-(int64_t)p);
		assert_i64_text((int64_t)p - 1);
		if (i < 19)
			p *= 10;
	}
	for (i = 0; i < RANDOM_ROUNDS; i++) {
		uint64_t v = rng_next() >> rng_below(64);

		assert_u64_text(v);
		assert_i64_text((int64_t)v);
	}
}

static void test_escapes_short(void **state)
{
	ASSERT_ESCAPES_TO("", "\"\"");
	ASSERT_ESCAPES_TO("plain / text", "\"plain / text\"");
	ASSERT_ESCAPES_TO("\"", "\"\\\"\"");
	ASSERT_ESCAPES_TO("\\", "\"\\\\\"");
	ASSERT_ESCAPES_TO("a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"");
	ASSERT_ESCAPES_TO("\x7f", "\"\\u007f\"");
	ASSERT_ESCAPES_TO("\x01\x1f\x1b[31m", "\"\\u0001\\u001f\\u001b[31m\"");
	ASSERT_ESCAPES_TO("\0", "\"\\u0000\"");
	ASSERT_ESCAPES_TO("a\0b\0", "\"a\\u0000b\\u0000\"");
	ASSERT_ESCAPES_TO("</script>", "\"</script>\"");
}

static void test_every_control_character(void **state)
{
	static const char *const short_escapes[32] = {
		['\b'] = "\"\\b\"", ['\t'] = "\"\\t\"", ['\n'] = "\"\\n\"",
		['\f'] = "\"\\f\"", ['\r'] = "\"\\r\"",
	};
	char expected[16];
	char c;
	int i;

	for (i = 0; i < 32; i++) {
		c = (char)i;
		if (short_escapes[i])
			snprintf(expected, sizeof(expected), "%s", short_escapes[i]);
		else
			snprintf(expected, sizeof(expected), "\"\\u%04x\"", i);
		assert_escapes_to(&c, 1, expected);
	}
}

static void test_valid_utf8_copied(void **state)
{
	ASSERT_ESCAPES_TO("\xc2\x80", "\"\xc2\x80\""); /* U+0080 */
	ASSERT_ESCAPES_TO("caf\xc3\xa9", "\"caf\xc3\xa9\""); /* é */
	ASSERT_ESCAPES_TO("\xdf\xbf", "\"\xdf\xbf\""); /* U+07FF */
	ASSERT_ESCAPES_TO("\xe0\xa0\x80", "\"\xe0\xa0\x80\""); /* U+0800 */
	ASSERT_ESCAPES_TO("\xe2\x82\xac", "\"\xe2\x82\xac\""); /* € */
	ASSERT_ESCAPES_TO("\xed\x9f\xbf", "\"\xed\x9f\xbf\""); /* U+D7FF */
	ASSERT_ESCAPES_TO("\xee\x80\x80", "\"\xee\x80\x80\""); /* U+E000 */
	ASSERT_ESCAPES_TO("\xef\xbf\xbf", "\"\xef\xbf\xbf\""); /* U+FFFF */
	ASSERT_ESCAPES_TO("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	ASSERT_ESCAPES_TO("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
	ASSERT_ESCAPES_TO("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	ASSERT_ESCAPES_TO("\xef\xbf\xbd", "\"\xef\xbf\xbd\""); /* U+FFFD itself */
	ASSERT_ESCAPES_TO("\xe6\x97\xa5\xe6\x9c\xac\"", "\"\xe6\x97\xa5\xe6\x9c\xac\\\"\"");
}

static void test_invalid_utf8_replaced(void **state)
{
	/* Stray continuation bytes, and bytes that never appear in UTF-8. */
	ASSERT_ESCAPES_TO("\x80", "\"\\ufffd\"");
	ASSERT_ESCAPES_TO("\x80\xbf", "\"\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xc0", "\"\\ufffd\"");
	ASSERT_ESCAPES_TO("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xf5\xf8\xfe\xff", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Overlong encodings: '/' as 2 bytes, NUL as 2 and 3 bytes, U+FFFF as 4 bytes. */
	ASSERT_ESCAPES_TO("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xc0\x80", "\"\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xe0\x80\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* UTF-16 surrogates encoded in UTF-8 (CESU-8), lone and paired. */
	ASSERT_ESCAPES_TO("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	ASSERT_ESCAPES_TO("\xed\xa0\xbd\xed\xb8\x80",
			  "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Above U+10FFFF. */
	ASSERT_ESCAPES_TO("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Truncated sequences: one replacement for the whole incomplete prefix. */
	ASSERT_ESCAPES_TO("\xe2\x82", "\"\\ufffd\"");
	ASSERT_ESCAPES_TO("\xf0\x9f\x98", "\"\\ufffd\"");
	ASSERT_ESCAPES_TO("\xf0\x9f\x98x", "\"\\ufffdx\"");
	ASSERT_ESCAPES_TO("\xe2\x82\"", "\"\\ufffd\\\"\"");
	ASSERT_ESCAPES_TO("\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
	/* The rest of the string is never dropped. */
	ASSERT_ESCAPES_TO("a\xff\x62", "\"a\\ufffdb\"");
	ASSERT_ESCAPES_TO("curl http://x\xfe | sh", "\"curl http://x\\ufffd | sh\"");
	/* The Unicode standard's example for maximal subparts (section 3.9, U+FFFD). */
	ASSERT_ESCAPES_TO("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
			  "\"a\\ufffd\\ufffd\\ufffdb\\ufffdc\\ufffd\\ufffdd\"");
}

/* The same answer whatever the special byte's position relative to an 8-byte word. */
static void test_special_byte_at_every_offset(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *text;
	} specials[] = {
		{ "\0", 1, "\\u0000" },	  { "\x1f", 1, "\\u001f" },
		{ "\"", 1, "\\\"" },	  { "\\", 1, "\\\\" },
		{ "\x7f", 1, "\\u007f" }, { "\x80", 1, "\\ufffd" },
		{ "\xff", 1, "\\ufffd" }, { "\xc3\xa9", 2, "\xc3\xa9" },
		{ " ", 1, " " },	  { "~", 1, "~" },
		{ "\n", 1, "\\n" },
	};
	char input[40], expected[80];
	size_t i, pos, len;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		for (pos = 0; pos < 24; pos++) {
			len = pos + specials[i].len + 7;
			memset(input, 'x', sizeof(input));
			memcpy(input + pos, specials[i].bytes, specials[i].len);
			snprintf(expected, sizeof(expected), "\"%.*s%s%.*s\"", (int)pos, input,
				 specials[i].text, 7, "xxxxxxx");
			assert_escapes_to(input, len, expected);
		}
	}
}

static void test_growth_and_reuse(void **state)
{
	size_t n = 100000, i;
	struct json_buf b;
	char *big, *data;

	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (i % 1000 == 999) ? '\n' : (char)('a' + i % 26);
	json_buf_init(&b);
	json_array_begin(&b);
	json_write_string(&b, big, n);
	json_array_end(&b);
	assert_false(b.oom);
	/* 100 "\n" escapes replace 100 bytes with 200, plus quotes and brackets. */
	assert_int_equal(b.len, n + 100 + 4);
	assert_true(b.cap > b.len);
	assert_valid_json(b.data, b.len);

	/* Once grown, writing the same line again allocates nothing. */
	data = b.data;
	json_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	json_array_begin(&b);
	json_write_string(&b, big, n);
	json_array_end(&b);
	assert_ptr_equal(b.data, data);
	json_buf_free(&b);
	free(big);
}

/* An allocation that cannot succeed marks the line unusable and appends nothing more. */
static void test_oom_stops_appending(void **state)
{
	struct json_buf b;
	char *data;
	size_t cap;

	json_buf_init(&b);
	json_object_begin(&b);
	data = b.data;
	cap = b.cap;
	/* Pretend the buffer is nearly as large as memory, so that growing must fail. */
	b.len = SIZE_MAX - 4;
	b.cap = SIZE_MAX - 3;
	json_write_string(&b, "0123456789", 10);
	assert_true(b.oom);
	assert_int_equal(b.len, SIZE_MAX - 4);
	json_write_u64(&b, 1);
	json_object_end(&b);
	assert_int_equal(b.len, SIZE_MAX - 4);

	b.len = 1;
	b.cap = cap;
	assert_ptr_equal(b.data, data);
	json_write_u64(&b, 1);
	assert_int_equal(b.len, 1);

	/* A reset starts a fresh line. */
	json_buf_reset(&b);
	assert_false(b.oom);
	json_object_begin(&b);
	json_object_end(&b);
	assert_string_equal(b.data, "{}");
	json_buf_free(&b);
}

/*
 * Reference UTF-8 knowledge built from an encoder: which 1-3 byte strings are prefixes
 * of a well-formed encoding, and which are complete ones.
 */
static uint8_t *prefix3_bits, *complete3_bits;
static uint8_t prefix2[65536], complete2[65536], prefix1[256], complete1[256];

static size_t utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

static void set_bit(uint8_t *bits, uint32_t i)
{
	bits[i >> 3] |= (uint8_t)(1U << (i & 7));
}

static int get_bit(const uint8_t *bits, uint32_t i)
{
	return bits[i >> 3] >> (i & 7) & 1;
}

static int setup_reference(void **state)
{
	uint32_t cp;
	uint8_t e[4];
	size_t n;

	prefix3_bits = calloc(1, 1U << 21);
	complete3_bits = calloc(1, 1U << 21);
	if (!prefix3_bits || !complete3_bits)
		return -1;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = utf8_encode(cp, e);
		prefix1[e[0]] = 1;
		complete1[e[0]] |= n == 1;
		if (n < 2)
			continue;
		prefix2[e[0] << 8 | e[1]] = 1;
		complete2[e[0] << 8 | e[1]] |= n == 2;
		if (n < 3)
			continue;
		set_bit(prefix3_bits, (uint32_t)e[0] << 16 | e[1] << 8 | e[2]);
		if (n == 3)
			set_bit(complete3_bits, (uint32_t)e[0] << 16 | e[1] << 8 | e[2]);
	}
	return 0;
}

static int teardown_reference(void **state)
{
	free(prefix3_bits);
	free(complete3_bits);
	return 0;
}

static int is_complete4(const uint8_t *s)
{
	uint32_t cp;

	if ((s[0] & 0xf8) != 0xf0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
	    (s[3] & 0xc0) != 0x80)
		return 0;
	cp = (uint32_t)(s[0] & 7) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	     (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return cp >= 0x10000 && cp <= 0x10ffff;
}

/* Longest k (0-4) such that s[0..k) is a prefix of a valid encoding; *complete if it is one. */
static size_t reference_prefix(const uint8_t *s, size_t len, int *complete)
{
	size_t k = 0;

	*complete = 0;
	if (len >= 1 && prefix1[s[0]]) {
		k = 1;
		*complete = complete1[s[0]];
	}
	if (k == 1 && !*complete && len >= 2 && prefix2[s[0] << 8 | s[1]]) {
		k = 2;
		*complete = complete2[s[0] << 8 | s[1]];
	}
	if (k == 2 && !*complete && len >= 3 &&
	    get_bit(prefix3_bits, (uint32_t)s[0] << 16 | s[1] << 8 | s[2])) {
		k = 3;
		*complete = get_bit(complete3_bits, (uint32_t)s[0] << 16 | s[1] << 8 | s[2]);
	}
	if (k == 3 && !*complete && len >= 4 && is_complete4(s)) {
		k = 4;
		*complete = 1;
	}
	return k;
}

/* What the decoded string must be: valid sequences kept, maximal subparts as U+FFFD. */
static size_t reference_decode(const uint8_t *s, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0, k;
	int complete;

	while (i < len) {
		k = reference_prefix(s + i, len - i, &complete);
		if (complete) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += k ? k : 1;
	}
	return o;
}

/* Writes s as the only element of an array, parses it, and returns jansson's string. */
static json_t *write_and_parse(struct json_buf *b, const uint8_t *s, size_t len)
{
	json_t *v;

	json_buf_reset(b);
	json_array_begin(b);
	json_write_string(b, (const char *)s, len);
	json_array_end(b);
	assert_false(b->oom);
	v = parse_or_fail(b->data, b->len);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 1);
	assert_true(json_is_string(json_array_get(v, 0)));
	return v;
}

static void assert_decodes_to(json_t *v, const uint8_t *expected, size_t len)
{
	json_t *s = json_array_get(v, 0);

	assert_int_equal(json_string_length(s), len);
	assert_memory_equal(json_string_value(s), expected, len);
}

static size_t random_bytes(uint8_t *s, size_t max)
{
	size_t len = rng_below((unsigned int)max - 4), i = 0;
	static const uint8_t specials[] = { '"', '\\', 0x7f, 0, '\n', 0x1f };

	while (i < len) {
		unsigned int kind = rng_below(10);

		if (kind < 4) {
			s[i++] = (uint8_t)(0x20 + rng_below(0x5f));
		} else if (kind == 4) {
			s[i++] = specials[rng_below(sizeof(specials))];
		} else if (kind < 8) {
			s[i++] = (uint8_t)(0x80 + rng_below(0x80));
		} else {
			uint32_t cp = rng_below(0x110000);

			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			i += utf8_encode(cp, s + i);
		}
	}
	return i;
}

static void test_random_bytes_match_reference(void **state)
{
	uint8_t in[132], expected[132 * 3];
	struct json_buf b;
	size_t len, n;
	json_t *v;
	int round;

	json_buf_init(&b);
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		len = random_bytes(in, 128);
		v = write_and_parse(&b, in, len);
		n = reference_decode(in, len, expected);
		assert_decodes_to(v, expected, n);
		json_decref(v);
	}
	json_buf_free(&b);
}

static uint32_t random_code_point(void)
{
	static const uint32_t edges[] = { 0,	  0x1f,	  0x7f,	  0x80,	  0x7ff,   0x800,
					  0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff };
	uint32_t cp;

	switch (rng_below(4)) {
	case 0:
		return edges[rng_below(sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rng_below(0x80);
	case 2:
		return rng_below(0x800);
	default:
		cp = rng_below(0x110000);
		return (cp >= 0xd800 && cp <= 0xdfff) ? cp - 0x800 : cp;
	}
}

static void test_random_valid_utf8_round_trips(void **state)
{
	uint8_t in[260];
	struct json_buf b;
	size_t len, count;
	json_t *v;
	int round;

	json_buf_init(&b);
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		count = rng_below(64);
		for (len = 0; count--;)
			len += utf8_encode(random_code_point(), in + len);
		v = write_and_parse(&b, in, len);
		assert_decodes_to(v, in, len);
		/* Valid text is never replaced. */
		assert_null(strstr(b.data, "\\ufffd"));
		json_decref(v);
	}
	json_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_array_commas),
		cmocka_unit_test(test_lines_do_not_share_commas),
		cmocka_unit_test(test_field_shorthands),
		cmocka_unit_test(test_key_escaped),
		cmocka_unit_test(test_numbers_exact),
		cmocka_unit_test(test_numbers_against_printf),
		cmocka_unit_test(test_escapes_short),
		cmocka_unit_test(test_every_control_character),
		cmocka_unit_test(test_valid_utf8_copied),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_special_byte_at_every_offset),
		cmocka_unit_test(test_growth_and_reuse),
		cmocka_unit_test(test_oom_stops_appending),
		cmocka_unit_test(test_random_bytes_match_reference),
		cmocka_unit_test(test_random_valid_utf8_round_trips),
	};

	return cmocka_run_group_tests(tests, setup_reference, teardown_reference);
}
