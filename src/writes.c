// SPDX-License-Identifier: GPL-2.0-only
#include "writes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Chained by pid, so that a process exit finds its entries in one bucket. */
#define WRITE_BUCKETS 4096

struct write_table {
	struct write_entry *buckets[WRITE_BUCKETS];
	size_t next_bucket; /* where write_table_take_any() looks first */
};

int write_table_new(struct write_table **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void write_table_free(struct write_table *w)
{
	struct write_entry *e;

	if (!w)
		return;
	while ((e = write_table_take_any(w)))
		free(e);
	free(w);
}

static struct write_entry **bucket_of(struct write_table *w, uint32_t pid)
{
	return &w->buckets[(pid * 2654435761u) % WRITE_BUCKETS];
}

int write_table_add(struct write_table *w, const struct rec_write *rec, const char *path,
		    uint16_t path_len)
{
	struct write_entry **head = bucket_of(w, rec->key.pid);
	struct write_entry *e = malloc(sizeof(*e) + path_len + 1);

	if (!e)
		return -ENOMEM;
	write_table_remove(w, &rec->key);
	e->key = rec->key;
	e->header = rec->h;
	e->flags = rec->flags;
	e->path_len = path_len;
	memcpy(e->path, path, path_len);
	e->path[path_len] = '\0';
	e->next = *head;
	*head = e;
	return 0;
}

struct write_entry *write_table_take(struct write_table *w, const struct write_key *key)
{
	for (struct write_entry **p = bucket_of(w, key->pid); *p; p = &(*p)->next) {
		if ((*p)->key.pid == key->pid && (*p)->key.file == key->file) {
			struct write_entry *e = *p;

			*p = e->next;
			return e;
		}
	}
	return NULL;
}

void write_table_remove(struct write_table *w, const struct write_key *key)
{
	free(write_table_take(w, key));
}

struct write_entry *write_table_take_pid(struct write_table *w, uint32_t pid)
{
	for (struct write_entry **p = bucket_of(w, pid); *p; p = &(*p)->next) {
		if ((*p)->key.pid == pid) {
			struct write_entry *e = *p;

			*p = e->next;
			return e;
		}
	}
	return NULL;
}

struct write_entry *write_table_take_any(struct write_table *w)
{
	for (; w->next_bucket < WRITE_BUCKETS; w->next_bucket++) {
		struct write_entry *e = w->buckets[w->next_bucket];

		if (e) {
			w->buckets[w->next_bucket] = e->next;
			return e;
		}
	}
	w->next_bucket = 0;
	return NULL;
}
