/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lines held back in record order while an earlier process_exec line waits for its
 * executable's hash: the file keeps the order the records came in. A line waits with its
 * JSON object still open; linehold_complete() appends the last fields and closes it.
 */
#ifndef TRACERD_LINEHOLD_H
#define TRACERD_LINEHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct held_line {
	char *data;
	size_t len;
	int type; /* enum trace_line_type */
	bool waiting; /* an open object, not yet a line */
};

struct linehold {
	struct held_line *ring;
	size_t cap; /* a power of two */
	size_t head;
	size_t count;
	uint64_t head_seq; /* sequence number of ring[head] */
	size_t bytes; /* held, for the memory bound */
};

void linehold_init(struct linehold *h);
void linehold_free(struct linehold *h);

static inline bool linehold_empty(const struct linehold *h)
{
	return h->count == 0;
}

/*
 * Appends a copy of data as the last line; waiting: it waits for linehold_complete().
 * Returns its sequence number in *ret_seq; 0 or -ENOMEM.
 */
int linehold_push(struct linehold *h, int type, const char *data, size_t len, bool waiting,
		  uint64_t *ret_seq);

/*
 * Appends tail (the last fields, the closing brace and newline) to the waiting line seq.
 * Returns 0, -ENOENT when seq is not a waiting line, or -ENOMEM (the line stays waiting).
 */
int linehold_complete(struct linehold *h, uint64_t seq, const char *tail, size_t len);

/* The first line when it is complete: its type and bytes, valid until linehold_pop(). */
const struct held_line *linehold_ready(const struct linehold *h);
void linehold_pop(struct linehold *h);

/* The sequence number of the oldest line, waiting or not; only when not empty. */
static inline uint64_t linehold_head_seq(const struct linehold *h)
{
	return h->head_seq;
}

#endif
