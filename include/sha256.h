/* SPDX-License-Identifier: GPL-2.0-only */
/* SHA-256 (FIPS 180-4), for the executables' identity in process_exec lines. */
#ifndef TRACERD_SHA256_H
#define TRACERD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64 /* lower-case hex, without a NUL */

struct sha256 {
	uint32_t state[8];
	uint64_t bytes; /* message length so far */
	uint8_t block[64];
	size_t used; /* bytes of block filled */
};

/*
 * The block functions: the portable C of FIPS 180-4, or the CPU's SHA instructions (x86 SHA
 * extensions, ARMv8 SHA2), chosen at start from what the CPU offers.
 */
enum sha256_impl {
	SHA256_IMPL_PORTABLE,
	SHA256_IMPL_X86_SHA,
	SHA256_IMPL_ARM64_SHA2,
	SHA256_IMPL_COUNT,
};

/* The implementation in use, and its name ("portable", "x86-sha", "arm64-sha2"). */
enum sha256_impl sha256_impl_active(void);
const char *sha256_impl_name(enum sha256_impl impl);

/*
 * For tests and benchmarks: switch to impl. 0, or -ENOTSUP when this build or this CPU lacks
 * it (nothing changes then). Not for use while a hash is running on another thread.
 */
int sha256_use(enum sha256_impl impl);

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_LEN]);

/* Writes the digest as SHA256_HEX_LEN lower-case hex digits (no NUL). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN]);

#endif
