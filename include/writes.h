/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open files a process has written to and not yet reported: the kernel sums the bytes,
 * the daemon remembers the path and who wrote, so that a file_write line can be written
 * when the process exits (the kernel closes its files without close(2)) or the trace ends.
 */
#ifndef TRACERD_WRITES_H
#define TRACERD_WRITES_H

#include <stdint.h>

#include "table.h"
#include "tracerd_event.h"

struct write_entry {
	struct pid_node node; /* chained by key.pid */
	struct write_key key;
	struct rec_header header; /* of the first write */
	uint16_t path_len;
	uint32_t flags;
	char path[];
};

struct write_table;

int write_table_new(struct write_table **ret);
/* Frees the table and the entries still in it; NULL is accepted. */
void write_table_free(struct write_table *w);

/* Adds the entry of rec->key, replacing one left under the same key. */
int write_table_add(struct write_table *w, const struct rec_write *rec, const char *path,
		    uint16_t path_len);
/* Unlinks and returns the entry of key (NULL when none); the caller frees it. */
struct write_entry *write_table_take(struct write_table *w, const struct write_key *key);
/* Removes and frees the entry of key, if any. */
void write_table_remove(struct write_table *w, const struct write_key *key);

/* Unlinks and returns one entry of pid (NULL when none is left); the caller frees it. */
struct write_entry *write_table_take_pid(struct write_table *w, uint32_t pid);
/* Unlinks and returns any entry; the caller frees it. */
struct write_entry *write_table_take_any(struct write_table *w);

#endif
