/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sha256.c: the FIPS 180-2 / NIST CSRC example messages through every implementation this
 * CPU runs, each forced in turn; the accelerated ones against the portable one over every
 * length to 300 and 1 MiB of pseudo-random data fed whole and in odd pieces; and the choice
 * made at start, against what /proc/cpuinfo says the CPU has.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "sha256.h"

static void digest_hex(struct sha256 *s, char out[SHA256_HEX_LEN + 1])
{
	uint8_t digest[SHA256_DIGEST_LEN];

	sha256_final(s, digest);
	sha256_hex(digest, out);
	out[SHA256_HEX_LEN] = '\0';
}

static void hash_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	digest_hex(&s, out);
}

/* The implementations this build and this CPU can run; the portable one first. */
static int available(enum sha256_impl impls[SHA256_IMPL_COUNT])
{
	enum sha256_impl was = sha256_impl_active();
	int n = 0;

	for (int i = 0; i < SHA256_IMPL_COUNT; i++)
		if (sha256_use(i) == 0)
			impls[n++] = i;
	assert_int_equal(sha256_use(was), 0);
	assert_true(n >= 1);
	assert_int_equal(impls[0], SHA256_IMPL_PORTABLE);
	return n;
}

/*
 * Whether the "flags" (x86) or "Features" (arm64) line of /proc/cpuinfo holds word: 1 or 0,
 * -1 without such a line (qemu-user shows the host's).
 */
static int cpuinfo_has(const char *key, const char *word)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = -1;

	assert_non_null(f);
	while (found != 1 && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		found = 0;
		for (char *w = strtok(colon + 1, " \t\n"); w; w = strtok(NULL, " \t\n"))
			if (!strcmp(w, word))
				found = 1;
	}
	fclose(f);
	return found;
}

/* The choice made at start is the CPU's SHA instructions when it has them. */
static void test_choice(void **state)
{
	enum sha256_impl expected = SHA256_IMPL_PORTABLE;

#if defined(__x86_64__)
	if (cpuinfo_has("flags", "sha_ni") == 1)
		expected = SHA256_IMPL_X86_SHA;
	assert_int_equal(sha256_use(SHA256_IMPL_ARM64_SHA2), -ENOTSUP);
#elif defined(__aarch64__)
	int has = cpuinfo_has("Features", "sha2");

	if (has < 0) /* the kernel's word for it then */
		has = (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
	if (has)
		expected = SHA256_IMPL_ARM64_SHA2;
	assert_int_equal(sha256_use(SHA256_IMPL_X86_SHA), -ENOTSUP);
#endif
	print_message("sha256: %s (cpu: %s)\n", sha256_impl_name(sha256_impl_active()),
		      sha256_impl_name(expected));
	assert_int_equal(sha256_impl_active(), expected);
	assert_string_equal(sha256_impl_name(SHA256_IMPL_X86_SHA), "x86-sha");
	assert_int_equal(sha256_use(SHA256_IMPL_COUNT), -ENOTSUP);
	assert_int_equal(sha256_impl_active(), expected);
	assert_int_equal(sha256_use(SHA256_IMPL_PORTABLE), 0);
	assert_int_equal(sha256_impl_active(), SHA256_IMPL_PORTABLE);
	assert_int_equal(sha256_use(expected), 0);
}

static const struct {
	const char *msg;
	const char *hex;
} nist[] = {
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	/* 448 bits: the padding's length no longer fits the block, a second one is needed. */
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

static void test_nist(void **state)
{
	enum sha256_impl impls[SHA256_IMPL_COUNT], was = sha256_impl_active();
	int n = available(impls);

	for (int i = 0; i < n; i++) {
		assert_int_equal(sha256_use(impls[i]), 0);
		for (size_t v = 0; v < sizeof(nist) / sizeof(nist[0]); v++) {
			char hex[SHA256_HEX_LEN + 1];

			hash_hex(nist[v].msg, strlen(nist[v].msg), hex);
			if (strcmp(hex, nist[v].hex))
				fail_msg("%s: \"%s\" gave %s", sha256_impl_name(impls[i]),
					 nist[v].msg, hex);
		}
	}
	assert_int_equal(sha256_use(was), 0);
}

/* One million 'a', fed in uneven pieces, then all at once. */
static void test_million_a(void **state)
{
	static const char expected[] =
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	enum sha256_impl impls[SHA256_IMPL_COUNT], was = sha256_impl_active();
	int n = available(impls);
	char *a = malloc(1000000);

	assert_non_null(a);
	memset(a, 'a', 1000000);
	for (int i = 0; i < n; i++) {
		char hex[SHA256_HEX_LEN + 1];
		size_t done = 0;
		struct sha256 s;

		assert_int_equal(sha256_use(impls[i]), 0);
		sha256_init(&s);
		while (done < 1000000) {
			size_t piece = 1000000 - done < 997 ? 1000000 - done : 997;

			sha256_update(&s, a + done, piece);
			done += piece;
		}
		digest_hex(&s, hex);
		if (strcmp(hex, expected))
			fail_msg("%s: a million 'a' in pieces gave %s", sha256_impl_name(impls[i]),
				 hex);
		hash_hex(a, 1000000, hex);
		if (strcmp(hex, expected))
			fail_msg("%s: a million 'a' gave %s", sha256_impl_name(impls[i]), hex);
	}
	free(a);
	assert_int_equal(sha256_use(was), 0);
}

/* Any split of a message gives the digest of the whole. */
static void test_splits(void **state)
{
	enum sha256_impl impls[SHA256_IMPL_COUNT], was = sha256_impl_active();
	char msg[200], whole[SHA256_HEX_LEN + 1], split[SHA256_HEX_LEN + 1];
	int n = available(impls);

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)(i * 7 + 3);
	for (int i = 0; i < n; i++) {
		assert_int_equal(sha256_use(impls[i]), 0);
		hash_hex(msg, sizeof(msg), whole);
		for (size_t cut = 0; cut <= sizeof(msg); cut++) {
			struct sha256 s;

			sha256_init(&s);
			sha256_update(&s, msg, cut);
			sha256_update(&s, msg + cut, sizeof(msg) - cut);
			digest_hex(&s, split);
			assert_string_equal(split, whole);
		}
	}
	assert_int_equal(sha256_use(was), 0);
}

/* xorshift64: the same pseudo-random bytes on every run. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

#define RANDOM_LEN (1 << 20)

static uint8_t *random_bytes(void)
{
	uint8_t *p = malloc(RANDOM_LEN);
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	assert_non_null(p);
	for (size_t i = 0; i < RANDOM_LEN; i++)
		p[i] = (uint8_t)(next_random(&x) >> 56);
	return p;
}

/* The digest of data under impl, fed in pieces of the sizes in cuts (0: all at once). */
static void hash_with(enum sha256_impl impl, const uint8_t *data, size_t len, const size_t *cuts,
		      size_t ncuts, char out[SHA256_HEX_LEN + 1])
{
	size_t done = 0, c = 0;
	struct sha256 s;

	assert_int_equal(sha256_use(impl), 0);
	sha256_init(&s);
	while (ncuts && done < len) {
		size_t piece = cuts[c++ % ncuts];

		piece = piece < len - done ? piece : len - done;
		sha256_update(&s, data + done, piece);
		done += piece;
	}
	sha256_update(&s, data + done, len - done);
	digest_hex(&s, out);
}

/* Every length from 0 to 300: each padding case, one to six blocks. */
static void test_lengths_against_portable(void **state)
{
	enum sha256_impl impls[SHA256_IMPL_COUNT], was = sha256_impl_active();
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	int n = available(impls);
	uint8_t *data = random_bytes();

	for (size_t len = 0; len <= 300; len++) {
		hash_with(SHA256_IMPL_PORTABLE, data, len, NULL, 0, want);
		for (int i = 1; i < n; i++) {
			hash_with(impls[i], data, len, NULL, 0, got);
			if (strcmp(got, want))
				fail_msg("%s: %zu bytes gave %s, portable %s",
					 sha256_impl_name(impls[i]), len, got, want);
		}
	}
	free(data);
	assert_int_equal(sha256_use(was), 0);
}

/* 1 MiB whole, at odd lengths below it, and in pieces that straddle the blocks. */
static void test_random_against_portable(void **state)
{
	static const size_t lens[] = { RANDOM_LEN, RANDOM_LEN - 1, 999999, 65537, 4097 };
	static const size_t odd[] = { 1, 63, 65, 127, 3, 4096, 129, 7, 100000, 64, 61 };
	static const size_t hasher[] = { 65536 }; /* the hasher's reads */
	enum sha256_impl impls[SHA256_IMPL_COUNT], was = sha256_impl_active();
	char want[SHA256_HEX_LEN + 1], want_unaligned[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	int n = available(impls);
	uint8_t *data = random_bytes();

	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		size_t len = lens[l];

		hash_with(SHA256_IMPL_PORTABLE, data, len, NULL, 0, want);
		hash_with(SHA256_IMPL_PORTABLE, data, len, odd, 11, got);
		assert_string_equal(got, want);
		hash_with(SHA256_IMPL_PORTABLE, data + 1, len - 1, hasher, 1, want_unaligned);
		for (int i = 1; i < n; i++) {
			const char *name = sha256_impl_name(impls[i]);

			hash_with(impls[i], data, len, NULL, 0, got);
			if (strcmp(got, want))
				fail_msg("%s: %zu bytes whole", name, len);
			hash_with(impls[i], data, len, odd, 11, got);
			if (strcmp(got, want))
				fail_msg("%s: %zu bytes in odd pieces", name, len);
			hash_with(impls[i], data + 1, len - 1, hasher, 1, got);
			if (strcmp(got, want_unaligned))
				fail_msg("%s: %zu bytes unaligned", name, len - 1);
		}
	}
	free(data);
	assert_int_equal(sha256_use(was), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_nist),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_lengths_against_portable),
		cmocka_unit_test(test_random_against_portable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
