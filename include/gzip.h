/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Gzip members for the trace file: one complete member per call, from a stage of lines
 * (output.c). Built on ISA-L's igzip at level 1 where the target has a shared libisal, else
 * on libdeflate at level 1 (the static arm64 build: Debian ships no static libisal). On our
 * JSON lines igzip runs 2.6-5 times faster than libdeflate for about 6 % more bytes
 * (README, Performance); gzip -d, zcat and every reader see the same format.
 */
#ifndef TRACERD_GZIP_H
#define TRACERD_GZIP_H

#include <stddef.h>

struct gzip_encoder;

/* An encoder for inputs of up to max_in bytes: 0 or -ENOMEM. */
int gzip_encoder_new(size_t max_in, struct gzip_encoder **ret);

/* The output room gzip_encode() needs for any input of up to max_in bytes. */
size_t gzip_encoder_bound(const struct gzip_encoder *e);

/*
 * Compresses in[0..len) into out as one complete gzip member. Returns its length, or 0
 * when len is over max_in or the member does not fit in cap (never with cap at the bound).
 */
size_t gzip_encode(struct gzip_encoder *e, const void *in, size_t len, void *out, size_t cap);

/* NULL is accepted. */
void gzip_encoder_free(struct gzip_encoder *e);

/* Which library and level, for messages and the benchmark ("isa-l igzip level 1"). */
const char *gzip_encoder_name(void);

#endif
