/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two kinds of table the daemon keeps per trace, written once:
 *
 * - struct open_table: open addressing with linear probing over fixed-size slots that hold
 *   the entries themselves (key first, then the value), for lookups on every event that
 *   allocate nothing (cgroup id -> container id, address -> hostname). Entries are never
 *   removed one by one: they live as long as the trace.
 *
 * - struct pid_table: entries the caller allocates, each with a struct pid_node in it,
 *   chained by pid, so that everything a process left (open files, its working directory)
 *   is found in one bucket when it exits. A pid may have several entries.
 */
#ifndef TRACERD_TABLE_H
#define TRACERD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * Slots are slot_size bytes, starting with a key of key_size bytes; both are multiples of
 * 8 (keys are compared and hashed a word at a time). A key of all zero bytes marks a free
 * slot, so a caller's keys are never all zero.
 */
struct open_table {
	unsigned char *slots;
	size_t slot_size;
	size_t key_words;
	size_t cap; /* slots, a power of two, at least twice used */
	size_t used;
	size_t max_used; /* insertions of new keys fail past this many entries */
};

/* cap: the initial number of slots (a power of two); max_used: 0 for no limit. */
int open_table_init(struct open_table *t, size_t slot_size, size_t key_size, size_t cap,
		    size_t max_used);
/* Frees the slots (not what entries point to: walk them with open_table_next() first). */
void open_table_fini(struct open_table *t);

/*
 * The entry of key in *ret: 0 when it was there, 1 when it is new (the key copied, the
 * rest of the slot zero), -ENOSPC when max_used entries are there already, -ENOMEM.
 * Entry pointers stay valid until the next insertion of a new key (growth moves them).
 */
int open_table_insert(struct open_table *t, const void *key, void **ret);
/* Iteration: start with *pos = 0; NULL after the last entry. */
void *open_table_next(const struct open_table *t, size_t *pos);

struct pid_node {
	struct pid_node *next;
	uint32_t pid;
};

struct pid_table {
	struct pid_node **buckets;
	size_t mask; /* buckets - 1, a power of two minus one */
	size_t next_any; /* where pid_table_take_any() looks first */
};

int pid_table_init(struct pid_table *t, size_t buckets);
/* Frees the buckets; the entries still in it belong to the caller (pid_table_take_any()). */
void pid_table_fini(struct pid_table *t);

/* Unlinks and returns any entry, or NULL when the table is empty. */
struct pid_node *pid_table_take_any(struct pid_table *t);

/* What every event looks up is inline below: the call would cost as much as the lookup. */

/* 2^64 / golden ratio: multiplying by it spreads consecutive ids over the high bits. */
#define TABLE_HASH_MULTIPLIER 0x9e3779b97f4a7c15ull
#define PID_HASH_MULTIPLIER 2654435761u /* 2^32 / golden ratio */

static inline uint64_t open_table_key_word(const unsigned char *key, size_t i)
{
	uint64_t w;

	memcpy(&w, key + i * sizeof(w), sizeof(w)); /* one load: slots are 8-byte aligned */
	return w;
}

static inline bool open_table_key_free(const unsigned char *key, size_t words)
{
	for (size_t i = 0; i < words; i++) {
		if (open_table_key_word(key, i))
			return false;
	}
	return true;
}

static inline bool open_table_key_equal(const unsigned char *a, const unsigned char *b,
					size_t words)
{
	for (size_t i = 0; i < words; i++) {
		if (open_table_key_word(a, i) != open_table_key_word(b, i))
			return false;
	}
	return true;
}

/* Multiply and fold the high half down, so that the low bits the mask keeps are mixed. */
static inline size_t open_table_hash(const unsigned char *key, size_t words)
{
	uint64_t h = 0;

	for (size_t i = 0; i < words; i++) {
		h = (h ^ open_table_key_word(key, i)) * TABLE_HASH_MULTIPLIER;
		h ^= h >> 32;
	}
	return h;
}

/* The slot holding key, or the free slot where it would go. */
static inline unsigned char *open_table_slot(unsigned char *slots, size_t slot_size, size_t cap,
					     size_t words, const unsigned char *key)
{
	size_t i = open_table_hash(key, words) & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		unsigned char *slot = slots + i * slot_size;

		if (open_table_key_equal(slot, key, words) || open_table_key_free(slot, words))
			return slot;
	}
}

/*
 * The entry of key, or NULL. key_size is the table's: given as a constant (sizeof the
 * key), it lets the compiler unroll the word loops, which otherwise cost as much as the
 * lookup itself.
 */
static inline void *open_table_find(const struct open_table *t, const void *key, size_t key_size)
{
	size_t words = key_size / 8, mask = t->cap - 1;
	size_t i = open_table_hash(key, words) & mask;

	for (;; i = (i + 1) & mask) {
		unsigned char *slot = t->slots + i * t->slot_size;

		if (open_table_key_equal(slot, key, words))
			return slot;
		if (open_table_key_free(slot, words))
			return NULL;
	}
}

static inline struct pid_node **pid_table_bucket(const struct pid_table *t, uint32_t pid)
{
	/* An odd multiplier permutes the low bits: consecutive pids land in distinct buckets. */
	return &t->buckets[(pid * PID_HASH_MULTIPLIER) & t->mask];
}

/* Links n (n->pid set by the caller) before the other entries of its pid. */
static inline void pid_table_add(struct pid_table *t, struct pid_node *n)
{
	struct pid_node **head = pid_table_bucket(t, n->pid);

	n->next = *head;
	*head = n;
}

/* The entry of pid added last, or NULL. */
static inline struct pid_node *pid_table_find(const struct pid_table *t, uint32_t pid)
{
	struct pid_node *n = *pid_table_bucket(t, pid);

	while (n && n->pid != pid)
		n = n->next;
	return n;
}

/* Whether n is the entry a pid_table_take() caller wants, arg the caller's. */
typedef bool pid_table_match(const struct pid_node *n, const void *arg);

/* Unlinks and returns the last-added entry of pid that match() accepts (NULL: any). */
static inline struct pid_node *pid_table_take(struct pid_table *t, uint32_t pid,
					      pid_table_match *match, const void *arg)
{
	for (struct pid_node **p = pid_table_bucket(t, pid); *p; p = &(*p)->next) {
		struct pid_node *n = *p;

		if (n->pid != pid || (match && !match(n, arg)))
			continue;
		*p = n->next;
		return n;
	}
	return NULL;
}

#endif
