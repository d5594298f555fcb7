// SPDX-License-Identifier: GPL-2.0-only
#include "gzip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef TRACERD_GZIP_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <libdeflate.h>
#endif

struct gzip_encoder {
	size_t max_in;
	size_t bound;
#ifdef TRACERD_GZIP_ISAL
	struct isal_zstream stream; /* 80 KiB of hash tables: kept, not on the stack */
#else
	struct libdeflate_compressor *compressor;
#endif
};

#ifdef TRACERD_GZIP_ISAL
/*
 * Level 1 without a level buffer: stateless level 1 may run without one, at the same speed
 * and ratio on our lines as with its 86-282 KiB buffers (measured), so none is kept.
 */
#define GZIP_ISAL_LEVEL 1

const char *gzip_encoder_name(void)
{
	return "isa-l igzip level 1";
}

/*
 * An input igzip cannot shrink is written as stored blocks: the input, a 5-byte header per
 * 64 KiB block, the gzip header and trailer. len / 1024 covers the block headers.
 */
static size_t gzip_bound_of(size_t max_in)
{
	return max_in + max_in / 1024 + ISAL_DEF_MAX_HDR_SIZE + 64;
}

/*
 * igzip's AVX2 and AVX-512 code returns with the upper halves of the vector registers
 * still in use: it ends without vzeroupper. glibc's AVX-512 memcpy does not clear them
 * either (it works in the registers vzeroupper leaves alone), so the state stays until the
 * next member, and every legacy SSE instruction of the daemon (gcc's code for x86-64 moves
 * and adds with them) pays the CPU's penalty for mixing the two. Measured on a Xeon with
 * AVX-512 at 300k records/s: the daemon's JSON building took 210 ns a line before this
 * clear and 85 after, its whole CPU 345 ns a record before and 231 after. vzeroupper is an
 * AVX instruction: only where the CPU and the kernel have AVX, where igzip may use it.
 */
static void vector_upper_clear(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroupper");
#endif
}

static int gzip_backend_init(struct gzip_encoder *e)
{
	return 0;
}

static size_t gzip_backend_encode(struct gzip_encoder *e, const void *in, size_t len, void *out,
				  size_t cap)
{
	struct isal_zstream *s = &e->stream;
	int rc;

	isal_deflate_stateless_init(s);
	s->level = GZIP_ISAL_LEVEL;
	s->gzip_flag = IGZIP_GZIP;
	s->end_of_stream = 1;
	s->flush = NO_FLUSH;
	s->next_in = (uint8_t *)in;
	s->avail_in = len;
	s->next_out = out;
	s->avail_out = cap;
	rc = isal_deflate_stateless(s);
	vector_upper_clear();
	if (rc != COMP_OK || s->avail_in)
		return 0;
	return s->total_out;
}

static void gzip_backend_free(struct gzip_encoder *e)
{
}
#else
#define GZIP_LIBDEFLATE_LEVEL 1

const char *gzip_encoder_name(void)
{
	return "libdeflate level 1";
}

static size_t gzip_bound_of(size_t max_in)
{
	return libdeflate_gzip_compress_bound(NULL, max_in);
}

static int gzip_backend_init(struct gzip_encoder *e)
{
	e->compressor = libdeflate_alloc_compressor(GZIP_LIBDEFLATE_LEVEL);
	return e->compressor ? 0 : -ENOMEM;
}

static size_t gzip_backend_encode(struct gzip_encoder *e, const void *in, size_t len, void *out,
				  size_t cap)
{
	return libdeflate_gzip_compress(e->compressor, in, len, out, cap);
}

static void gzip_backend_free(struct gzip_encoder *e)
{
	libdeflate_free_compressor(e->compressor);
}
#endif

int gzip_encoder_new(size_t max_in, struct gzip_encoder **ret)
{
	struct gzip_encoder *e = calloc(1, sizeof(*e));
	char out[64];
	int err;

	if (!e)
		return -ENOMEM;
	e->max_in = max_in;
	e->bound = gzip_bound_of(max_in);
	err = gzip_backend_init(e);
	if (err) {
		free(e);
		return err;
	}
	/*
	 * Both libraries pick their code for the CPU on first use; libdeflate on arm64 reads
	 * /proc/self/auxv for it, an open() the loop's seccomp filter refuses (an audit line
	 * and the slow generic CRC). Make that first use now, before privileges_drop().
	 */
	gzip_backend_encode(e, "", 0, out, sizeof(out));
	*ret = e;
	return 0;
}

size_t gzip_encoder_bound(const struct gzip_encoder *e)
{
	return e->bound;
}

size_t gzip_encode(struct gzip_encoder *e, const void *in, size_t len, void *out, size_t cap)
{
	if (len > e->max_in)
		return 0;
	return gzip_backend_encode(e, in, len, out, cap);
}

void gzip_encoder_free(struct gzip_encoder *e)
{
	if (!e)
		return;
	gzip_backend_free(e);
	free(e);
}
