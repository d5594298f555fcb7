// SPDX-License-Identifier: GPL-2.0-only
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int open_table_init(struct open_table *t, size_t slot_size, size_t key_size, size_t cap,
		    size_t max_used)
{
	if (!key_size || key_size % 8 || slot_size % 8 || slot_size < key_size || cap < 2 ||
	    cap & (cap - 1))
		return -EINVAL;
	t->slots = calloc(cap, slot_size);
	if (!t->slots)
		return -ENOMEM;
	t->slot_size = slot_size;
	t->key_words = key_size / 8;
	t->cap = cap;
	t->used = 0;
	t->max_used = max_used ? max_used : SIZE_MAX;
	return 0;
}

void open_table_fini(struct open_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = 0;
}

/* Twice the slots, every entry moved to its place in them. */
static int open_table_grow(struct open_table *t)
{
	size_t cap = t->cap * 2;
	unsigned char *slots = calloc(cap, t->slot_size);
	unsigned char *e;
	size_t pos = 0;

	if (!slots)
		return -ENOMEM;
	while ((e = open_table_next(t, &pos)))
		memcpy(open_table_slot(slots, t->slot_size, cap, t->key_words, e), e, t->slot_size);
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

int open_table_insert(struct open_table *t, const void *key, void **ret)
{
	unsigned char *slot = open_table_find(t, key, t->key_words * 8);
	int err;

	if (slot) {
		*ret = slot;
		return 0;
	}
	if (t->used >= t->max_used)
		return -ENOSPC;
	/* At most half full, so that probe runs stay short. */
	if ((t->used + 1) * 2 > t->cap) {
		err = open_table_grow(t);
		if (err)
			return err;
	}
	slot = open_table_slot(t->slots, t->slot_size, t->cap, t->key_words, key);
	memcpy(slot, key, t->key_words * 8);
	t->used++;
	*ret = slot;
	return 1;
}

void *open_table_next(const struct open_table *t, size_t *pos)
{
	for (; *pos < t->cap; (*pos)++) {
		unsigned char *slot = t->slots + *pos * t->slot_size;

		if (!open_table_key_free(slot, t->key_words)) {
			(*pos)++;
			return slot;
		}
	}
	return NULL;
}

int pid_table_init(struct pid_table *t, size_t buckets)
{
	if (buckets < 1 || buckets & (buckets - 1))
		return -EINVAL;
	t->buckets = calloc(buckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = buckets - 1;
	t->next_any = 0;
	return 0;
}

void pid_table_fini(struct pid_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

struct pid_node *pid_table_take_any(struct pid_table *t)
{
	/* From where the last call stopped: draining the table is one pass over it. */
	for (size_t i = 0; i <= t->mask; i++, t->next_any = (t->next_any + 1) & t->mask) {
		struct pid_node *n = t->buckets[t->next_any];

		if (n) {
			t->buckets[t->next_any] = n->next;
			return n;
		}
	}
	return NULL;
}
