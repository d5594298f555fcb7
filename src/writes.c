// SPDX-License-Identifier: GPL-2.0-only
#include "writes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Chained by pid, so that a process exit finds its entries in one bucket. */
#define WRITE_BUCKETS 4096

struct write_table {
	struct pid_table pids;
};

int write_table_new(struct write_table **ret)
{
	struct write_table *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	err = pid_table_init(&w->pids, WRITE_BUCKETS);
	if (err) {
		free(w);
		return err;
	}
	*ret = w;
	return 0;
}

void write_table_free(struct write_table *w)
{
	struct write_entry *e;

	if (!w)
		return;
	while ((e = write_table_take_any(w)))
		free(e);
	pid_table_fini(&w->pids);
	free(w);
}

int write_table_add(struct write_table *w, const struct rec_write *rec, const char *path,
		    uint16_t path_len)
{
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
	e->node.pid = rec->key.pid;
	pid_table_add(&w->pids, &e->node);
	return 0;
}

static struct write_entry *write_entry_of(struct pid_node *n)
{
	return n ? container_of(n, struct write_entry, node) : NULL;
}

static bool write_entry_is(const struct pid_node *n, const void *key)
{
	const struct write_entry *e = container_of(n, const struct write_entry, node);

	return e->key.file == ((const struct write_key *)key)->file;
}

struct write_entry *write_table_take(struct write_table *w, const struct write_key *key)
{
	return write_entry_of(pid_table_take(&w->pids, key->pid, write_entry_is, key));
}

void write_table_remove(struct write_table *w, const struct write_key *key)
{
	free(write_table_take(w, key));
}

struct write_entry *write_table_take_pid(struct write_table *w, uint32_t pid)
{
	return write_entry_of(pid_table_take(&w->pids, pid, NULL, NULL));
}

struct write_entry *write_table_take_any(struct write_table *w)
{
	return write_entry_of(pid_table_take_any(&w->pids));
}
