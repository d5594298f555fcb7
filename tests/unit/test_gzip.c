/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gzip.c: each call gives one complete gzip member that zlib inflates back to the input,
 * whatever the input (JSON lines, incompressible bytes, one byte, the largest stage), and
 * inputs over the limit or outputs too small for the member are refused, not cut.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "gzip.h"

#define MAX_IN (256 * 1024)

struct fixture {
	struct gzip_encoder *enc;
	unsigned char *in;
	unsigned char *out;
	unsigned char *back;
	size_t cap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gzip_encoder_new(MAX_IN, &f->enc), 0);
	f->cap = gzip_encoder_bound(f->enc);
	assert_true(f->cap > MAX_IN);
	f->in = malloc(MAX_IN + 1);
	f->out = malloc(f->cap);
	f->back = malloc(MAX_IN + 1);
	assert_non_null(f->in);
	assert_non_null(f->out);
	assert_non_null(f->back);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gzip_encoder_free(f->enc);
	free(f->in);
	free(f->out);
	free(f->back);
	free(f);
	return 0;
}

/* Inflates a gzip member with zlib: the length, or -1 unless it is exactly one member. */
static long gunzip_one(const unsigned char *gz, size_t len, unsigned char *back, size_t cap)
{
	z_stream z = { 0 };
	long n = -1;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)gz;
	z.avail_in = len;
	z.next_out = back;
	z.avail_out = cap;
	if (inflate(&z, Z_FINISH) == Z_STREAM_END && z.avail_in == 0)
		n = (long)z.total_out;
	inflateEnd(&z);
	return n;
}

static void round_trip(struct fixture *f, size_t len)
{
	size_t n = gzip_encode(f->enc, f->in, len, f->out, f->cap);

	assert_true(n > 18); /* a gzip header and trailer at least */
	assert_int_equal(f->out[0], 0x1f);
	assert_int_equal(f->out[1], 0x8b);
	assert_int_equal(gunzip_one(f->out, n, f->back, MAX_IN + 1), (long)len);
	assert_memory_equal(f->back, f->in, len);
}

static size_t fill_lines(unsigned char *buf, size_t max)
{
	size_t len = 0;
	int i = 0;

	for (;;) {
		char line[300];
		int n = snprintf(
			line, sizeof(line),
			"{\"type\":\"file_open\",\"timestamp\":\"2026-12-02T03:27:19.%09dZ\","
			"\"pid\":%d,\"path\":\"/tmp/dir-%d/file-%d\",\"ret\":3}\n",
			i * 7919 % 1000000000, 1000 + i % 17, i % 13, i);

		if (len + n > max)
			return len;
		memcpy(buf + len, line, n);
		len += n;
		i++;
	}
}

static void test_json_lines_shrink(void **state)
{
	struct fixture *f = *state;
	size_t len = fill_lines(f->in, MAX_IN);
	size_t n = gzip_encode(f->enc, f->in, len, f->out, f->cap);

	assert_true(len > MAX_IN - 300);
	/* Repetitive JSON: well under a fifth of its size at level 1. */
	assert_true(n > 0 && n < len / 5);
	round_trip(f, len);
}

static void test_incompressible_largest_stage(void **state)
{
	struct fixture *f = *state;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < MAX_IN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f->in[i] = (unsigned char)x;
	}
	/* Stored blocks at worst: the bound holds them. */
	round_trip(f, MAX_IN);
}

static void test_small_inputs(void **state)
{
	struct fixture *f = *state;

	memcpy(f->in, "{}\n", 3);
	round_trip(f, 1);
	round_trip(f, 3);
}

static void test_members_concatenate(void **state)
{
	struct fixture *f = *state;
	size_t a, b;
	long n;

	memcpy(f->in, "one\n", 4);
	a = gzip_encode(f->enc, f->in, 4, f->out, f->cap);
	memcpy(f->in, "two\n", 4);
	b = gzip_encode(f->enc, f->in, 4, f->out + a, f->cap - a);
	assert_true(a > 0 && b > 0);
	/* zlib reads the first member alone: the second starts at its end, unharmed. */
	n = gunzip_one(f->out, a, f->back, MAX_IN);
	assert_int_equal(n, 4);
	assert_memory_equal(f->back, "one\n", 4);
	n = gunzip_one(f->out + a, b, f->back, MAX_IN);
	assert_int_equal(n, 4);
	assert_memory_equal(f->back, "two\n", 4);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	size_t len = fill_lines(f->in, MAX_IN);

	/* Over the limit: refused whole. */
	assert_int_equal(gzip_encode(f->enc, f->in, MAX_IN + 1, f->out, f->cap), 0);
	/* Too little room for the member: 0, never a cut member. */
	assert_int_equal(gzip_encode(f->enc, f->in, len, f->out, 64), 0);
	/* The encoder is still good after a refusal. */
	round_trip(f, len);
}

static void test_name(void **state)
{
	const char *name = gzip_encoder_name();

#ifdef TRACERD_GZIP_ISAL
	assert_string_equal(name, "isa-l igzip level 1");
#else
	assert_string_equal(name, "libdeflate level 1");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_lines_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incompressible_largest_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members_concatenate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
