// SPDX-License-Identifier: GPL-2.0-only
#include "linehold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LINEHOLD_INITIAL_CAP 256

void linehold_init(struct linehold *h)
{
	memset(h, 0, sizeof(*h));
}

void linehold_free(struct linehold *h)
{
	while (h->count) {
		free(h->ring[h->head].data);
		h->head = (h->head + 1) & (h->cap - 1);
		h->count--;
	}
	free(h->ring);
	linehold_init(h);
}

/* Doubles the ring, unrolling it so that head is 0. */
static int linehold_grow(struct linehold *h)
{
	size_t cap = h->cap ? h->cap * 2 : LINEHOLD_INITIAL_CAP;
	struct held_line *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < h->count; i++)
		ring[i] = h->ring[(h->head + i) & (h->cap - 1)];
	free(h->ring);
	h->ring = ring;
	h->cap = cap;
	h->head = 0;
	return 0;
}

int linehold_push(struct linehold *h, int type, const char *data, size_t len, bool waiting,
		  uint64_t *ret_seq)
{
	struct held_line *l;
	char *copy;

	if (h->count == h->cap && linehold_grow(h))
		return -ENOMEM;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	l = &h->ring[(h->head + h->count) & (h->cap - 1)];
	*l = (struct held_line){ .data = copy, .len = len, .type = type, .waiting = waiting };
	if (ret_seq)
		*ret_seq = h->head_seq + h->count;
	h->count++;
	h->bytes += len;
	return 0;
}

int linehold_complete(struct linehold *h, uint64_t seq, const char *tail, size_t len)
{
	struct held_line *l;
	char *data;

	if (seq < h->head_seq || seq - h->head_seq >= h->count)
		return -ENOENT;
	l = &h->ring[(h->head + (seq - h->head_seq)) & (h->cap - 1)];
	if (!l->waiting)
		return -ENOENT;
	data = realloc(l->data, l->len + len);
	if (!data)
		return -ENOMEM;
	memcpy(data + l->len, tail, len);
	l->data = data;
	l->len += len;
	l->waiting = false;
	h->bytes += len;
	return 0;
}

const struct held_line *linehold_ready(const struct linehold *h)
{
	if (!h->count || h->ring[h->head].waiting)
		return NULL;
	return &h->ring[h->head];
}

void linehold_pop(struct linehold *h)
{
	if (!h->count)
		return;
	h->bytes -= h->ring[h->head].len;
	free(h->ring[h->head].data);
	h->head = (h->head + 1) & (h->cap - 1);
	h->count--;
	h->head_seq++;
}
