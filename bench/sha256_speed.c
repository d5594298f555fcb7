// SPDX-License-Identifier: GPL-2.0-only
/*
 * sha256_speed: MB/s of each SHA-256 implementation this CPU runs (src/sha256.c), over one
 * 64 MiB buffer fed in the hasher's 64 KiB reads. The implementations take turns, ROUNDS
 * times, and each one's best round is printed, by the thread's CPU clock (other load on a
 * shared machine shows less there than on the wall clock), with the digest (the same for
 * all). Usage: sha256_speed [ROUNDS] (default 3).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sha256.h"

#define BUFFER_LEN (64u << 20)
#define READ_LEN (64u << 10)

static double thread_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds of CPU to hash buf; its digest in hex. */
static double hash_buffer(const uint8_t *buf, char hex[SHA256_HEX_LEN + 1])
{
	uint8_t digest[SHA256_DIGEST_LEN];
	double start = thread_seconds();
	struct sha256 s;

	sha256_init(&s);
	for (size_t done = 0; done < BUFFER_LEN; done += READ_LEN)
		sha256_update(&s, buf + done, READ_LEN);
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	hex[SHA256_HEX_LEN] = '\0';
	return thread_seconds() - start;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	double best[SHA256_IMPL_COUNT] = { 0 };
	char hex[SHA256_IMPL_COUNT][SHA256_HEX_LEN + 1];
	enum sha256_impl chosen = sha256_impl_active();
	uint8_t *buf = malloc(BUFFER_LEN);
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	if (!buf || rounds < 1) {
		fprintf(stderr, "usage: sha256_speed [ROUNDS]\n");
		return 2;
	}
	for (size_t i = 0; i < BUFFER_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x >> 56);
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < SHA256_IMPL_COUNT; i++) {
			double s;

			if (sha256_use(i))
				continue;
			s = hash_buffer(buf, hex[i]);
			if (!best[i] || s < best[i])
				best[i] = s;
		}
	}
	printf("sha256 over %u MiB in %u KiB updates, best of %d (CPU time); chosen at start: %s\n",
	       BUFFER_LEN >> 20, READ_LEN >> 10, rounds, sha256_impl_name(chosen));
	for (int i = 0; i < SHA256_IMPL_COUNT; i++) {
		if (!best[i])
			continue;
		printf("  %-11s %7.0f MB/s  %.3f s  %s\n", sha256_impl_name(i),
		       BUFFER_LEN / best[i] / 1e6, best[i], hex[i]);
	}
	free(buf);
	return 0;
}
