// SPDX-License-Identifier: GPL-2.0-only
/*
 * SHA-256 as FIPS 180-4 specifies it (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and 6.2), written
 * for this project: big-endian words, 64 rounds per 64-byte block, the message padded with
 * 0x80, zeros and its length in bits. The blocks go through the portable C below or, where
 * the CPU has them, its SHA instructions: each such function is compiled for those
 * instructions alone, so the rest of the binary runs on any CPU of the architecture.
 */
#include "sha256.h"

#include <errno.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>
#include <asm/hwcap.h>
#endif

/* 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

#define BIG_SIGMA0(x) (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BIG_SIGMA1(x) (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SMALL_SIGMA0(x) (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SMALL_SIGMA1(x) (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))

/*
 * One round of 6.2.2 step 3. Instead of moving the eight working variables down each
 * round, the rounds are written eight at a time with the names rotated.
 */
#define ROUND(a, b, c, d, e, f, g, h, t)                                                   \
	do {                                                                               \
		uint32_t t1 = h + BIG_SIGMA1(e) + CH(e, f, g) + round_constants[t] + w[t]; \
		uint32_t t2 = BIG_SIGMA0(a) + MAJ(a, b, c);                                \
		d += t1;                                                                   \
		h = t1 + t2;                                                               \
	} while (0)

/* 6.2.2: one 512-bit block into the hash value. */
static void portable_block(uint32_t state[8], const uint8_t *block)
{
	uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
	uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
	uint32_t w[64];

	for (int t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	for (int t = 16; t < 64; t++)
		w[t] = SMALL_SIGMA1(w[t - 2]) + w[t - 7] + SMALL_SIGMA0(w[t - 15]) + w[t - 16];
	for (int t = 0; t < 64; t += 8) {
		ROUND(a, b, c, d, e, f, g, h, t);
		ROUND(h, a, b, c, d, e, f, g, t + 1);
		ROUND(g, h, a, b, c, d, e, f, t + 2);
		ROUND(f, g, h, a, b, c, d, e, t + 3);
		ROUND(e, f, g, h, a, b, c, d, t + 4);
		ROUND(d, e, f, g, h, a, b, c, t + 5);
		ROUND(c, d, e, f, g, h, a, b, t + 6);
		ROUND(b, c, d, e, f, g, h, a, t + 7);
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
}

static void portable_blocks(uint32_t state[8], const uint8_t *p, size_t blocks)
{
	for (; blocks; blocks--, p += 64)
		portable_block(state, p);
}

#if defined(__x86_64__)
/*
 * The x86 SHA extensions (Intel's "Intel SHA Extensions" paper). sha256rnds2 does two rounds
 * on the state split as ABEF and CDGH (A in the highest lane) with W[t] + K[t] of both rounds
 * in the low lanes of its third operand, and returns the new ABEF: the old one becomes CDGH,
 * so two calls that swap the halves make four rounds. The schedule goes four words at a time:
 * sha256msg1 adds sigma0 of the next word to W[t-16..t-13], alignr brings W[t-7..t-4], and
 * sha256msg2 adds sigma1 of W[t-2] and W[t-1], its own first results feeding its last two.
 */
#define X86_SHA __attribute__((target("sha,sse4.1")))

/* W[t..t+3] from W[t-16..t-13], W[t-12..t-9], W[t-8..t-5] and W[t-4..t-1]. */
X86_SHA static inline __m128i x86_sha_schedule(__m128i w16, __m128i w12, __m128i w8, __m128i w4)
{
	__m128i sum = _mm_sha256msg1_epu32(w16, w12);

	sum = _mm_add_epi32(sum, _mm_alignr_epi8(w4, w8, 4));
	return _mm_sha256msg2_epu32(sum, w4);
}

X86_SHA static void x86_sha_blocks(uint32_t state[8], const uint8_t *p, size_t blocks)
{
	/* pshufb: each 32-bit word big-endian, as the message is. */
	const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	const __m128i *k = (const __m128i *)round_constants;
	__m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
	__m128i badc = _mm_shuffle_epi32(dcba, 0xb1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	__m128i abef = _mm_alignr_epi8(badc, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);
	__m128i feba, dchg;

	for (; blocks; blocks--, p += 64) {
		__m128i abef_in = abef, cdgh_in = cdgh;
		__m128i w[4]; /* W[4i..4i+3] of round group i, kept in w[i % 4] */

		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)),
						byteswap);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i wk;

			if (i >= 4)
				w[i % 4] = x86_sha_schedule(w[i % 4], w[(i + 1) % 4],
							    w[(i + 2) % 4], w[(i + 3) % 4]);
			wk = _mm_add_epi32(w[i % 4], _mm_loadu_si128(k + i));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
		}
		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
	}
	/* Back to A..D and E..H in memory order. */
	feba = _mm_shuffle_epi32(abef, 0x1b);
	dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/*
 * CPUID leaf 7 EBX bit 29 (SHA), leaf 1 ECX bits 9 and 19 (SSSE3, SSE4.1): read directly,
 * as clang's __builtin_cpu_supports() has no "sha" (the fuzzers build this file with it).
 */
static int x86_sha_supported(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_SSSE3) || !(ecx & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return 0;
	return (ebx & bit_SHA) != 0;
}
#endif

#if defined(__aarch64__)
/*
 * The ARMv8 Cryptographic Extension: the state as ABCD and EFGH (A in lane 0). sha256h gives
 * the new ABCD and sha256h2 the new EFGH after four rounds, from both old halves and the four
 * W[t] + K[t]; sha256su0 and sha256su1 make the next four W from the last sixteen.
 */
#define ARM64_SHA2 __attribute__((target("+crypto")))

/* W[t..t+3] from W[t-16..t-13], W[t-12..t-9], W[t-8..t-5] and W[t-4..t-1]. */
ARM64_SHA2 static inline uint32x4_t arm64_sha2_schedule(uint32x4_t w16, uint32x4_t w12,
							uint32x4_t w8, uint32x4_t w4)
{
	return vsha256su1q_u32(vsha256su0q_u32(w16, w12), w8, w4);
}

ARM64_SHA2 static void arm64_sha2_blocks(uint32_t state[8], const uint8_t *p, size_t blocks)
{
	uint32x4_t abcd = vld1q_u32(&state[0]);
	uint32x4_t efgh = vld1q_u32(&state[4]);

	for (; blocks; blocks--, p += 64) {
		uint32x4_t abcd_in = abcd, efgh_in = efgh;
		uint32x4_t w[4]; /* W[4i..4i+3] of round group i, kept in w[i % 4] */

		for (int i = 0; i < 4; i++)
			w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			uint32x4_t wk, abcd_old = abcd;

			if (i >= 4)
				w[i % 4] = arm64_sha2_schedule(w[i % 4], w[(i + 1) % 4],
							       w[(i + 2) % 4], w[(i + 3) % 4]);
			wk = vaddq_u32(w[i % 4], vld1q_u32(&round_constants[4 * i]));
			abcd = vsha256hq_u32(abcd, efgh, wk);
			efgh = vsha256h2q_u32(efgh, abcd_old, wk);
		}
		abcd = vaddq_u32(abcd, abcd_in);
		efgh = vaddq_u32(efgh, efgh_in);
	}
	vst1q_u32(&state[0], abcd);
	vst1q_u32(&state[4], efgh);
}

static int arm64_sha2_supported(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
}
#endif

typedef void blocks_fn(uint32_t state[8], const uint8_t *p, size_t blocks);

static const struct {
	const char *name;
	blocks_fn *blocks; /* NULL: not in this build */
} implementations[SHA256_IMPL_COUNT] = {
	[SHA256_IMPL_PORTABLE] = { "portable", portable_blocks },
#if defined(__x86_64__)
	[SHA256_IMPL_X86_SHA] = { "x86-sha", x86_sha_blocks },
#else
	[SHA256_IMPL_X86_SHA] = { "x86-sha", NULL },
#endif
#if defined(__aarch64__)
	[SHA256_IMPL_ARM64_SHA2] = { "arm64-sha2", arm64_sha2_blocks },
#else
	[SHA256_IMPL_ARM64_SHA2] = { "arm64-sha2", NULL },
#endif
};

static enum sha256_impl active = SHA256_IMPL_PORTABLE;

static int cpu_has(enum sha256_impl impl)
{
	switch (impl) {
	case SHA256_IMPL_PORTABLE:
		return 1;
#if defined(__x86_64__)
	case SHA256_IMPL_X86_SHA:
		return x86_sha_supported();
#endif
#if defined(__aarch64__)
	case SHA256_IMPL_ARM64_SHA2:
		return arm64_sha2_supported();
#endif
	default:
		return 0;
	}
}

int sha256_use(enum sha256_impl impl)
{
	if ((unsigned int)impl >= SHA256_IMPL_COUNT || !implementations[impl].blocks ||
	    !cpu_has(impl))
		return -ENOTSUP;
	active = impl;
	return 0;
}

/* Once, before main(): the process never hashes concurrently with the choice. */
__attribute__((constructor)) static void sha256_choose(void)
{
	if (sha256_use(SHA256_IMPL_X86_SHA) && sha256_use(SHA256_IMPL_ARM64_SHA2))
		active = SHA256_IMPL_PORTABLE;
}

enum sha256_impl sha256_impl_active(void)
{
	return active;
}

const char *sha256_impl_name(enum sha256_impl impl)
{
	return (unsigned int)impl < SHA256_IMPL_COUNT ? implementations[impl].name : "unknown";
}

static void sha256_blocks(uint32_t state[8], const uint8_t *p, size_t blocks)
{
	implementations[active].blocks(state, p, blocks);
}

/* 5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
void sha256_init(struct sha256 *s)
{
	static const uint32_t initial[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->state, initial, sizeof(initial));
	s->bytes = 0;
	s->used = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	if (s->used) {
		size_t n = 64 - s->used < len ? 64 - s->used : len;

		memcpy(s->block + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used < 64)
			return;
		sha256_blocks(s->state, s->block, 1);
		s->used = 0;
	}
	/* Every whole block at once: the accelerated functions keep the state in registers. */
	if (len >= 64) {
		sha256_blocks(s->state, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(s->block, p, len);
	s->used = len;
}

/* 5.1.1: a 1 bit, zeros up to 448 bits mod 512, the length in bits as 64 big-endian bits. */
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_LEN])
{
	uint64_t bits = s->bytes * 8;

	s->block[s->used++] = 0x80;
	if (s->used > 56) {
		memset(s->block + s->used, 0, 64 - s->used);
		sha256_blocks(s->state, s->block, 1);
		s->used = 0;
	}
	memset(s->block + s->used, 0, 56 - s->used);
	store_be32(s->block + 56, bits >> 32);
	store_be32(s->block + 60, (uint32_t)bits);
	sha256_blocks(s->state, s->block, 1);
	for (int i = 0; i < 8; i++)
		store_be32(digest + 4 * i, s->state[i]);
	memset(s, 0, sizeof(*s));
}

void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
}
