/* SPDX-License-Identifier: GPL-2.0-only */
/* sha256.c: the FIPS 180-2 / NIST CSRC example messages, and input split at every byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void hash_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t digest[SHA256_DIGEST_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, digest);
	sha256_hex(digest, out);
	out[SHA256_HEX_LEN] = '\0';
}

static void test_abc(void **state)
{
	char hex[SHA256_HEX_LEN + 1];

	hash_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_empty(void **state)
{
	char hex[SHA256_HEX_LEN + 1];

	hash_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* 448 bits: the padding's length field no longer fits the block, a second one is needed. */
static void test_448_bits(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[SHA256_HEX_LEN + 1];

	assert_int_equal(strlen(msg), 56);
	hash_hex(msg, strlen(msg), hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bits(void **state)
{
	static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char hex[SHA256_HEX_LEN + 1];

	hash_hex(msg, strlen(msg), hex);
	assert_string_equal(hex,
			    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in uneven pieces. */
static void test_million_a(void **state)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN + 1];
	char chunk[997];
	size_t left = 1000000;
	struct sha256 s;

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&s);
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		sha256_update(&s, chunk, n);
		left -= n;
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	hex[SHA256_HEX_LEN] = '\0';
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Any split of a message gives the digest of the whole. */
static void test_splits(void **state)
{
	char msg[200], whole[SHA256_HEX_LEN + 1], split[SHA256_HEX_LEN + 1];
	uint8_t digest[SHA256_DIGEST_LEN];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)(i * 7 + 3);
	hash_hex(msg, sizeof(msg), whole);
	for (size_t cut = 0; cut <= sizeof(msg); cut++) {
		struct sha256 s;

		sha256_init(&s);
		sha256_update(&s, msg, cut);
		sha256_update(&s, msg + cut, sizeof(msg) - cut);
		sha256_final(&s, digest);
		sha256_hex(digest, split);
		split[SHA256_HEX_LEN] = '\0';
		assert_string_equal(split, whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abc),	  cmocka_unit_test(test_empty),
		cmocka_unit_test(test_448_bits),  cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_million_a), cmocka_unit_test(test_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
