/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The paths of the last open records that carried a number (rec_open.open_seq): a first
 * write marked WRITE_PATH_FROM_OPEN names one by number instead of walking its path again
 * (bpf/firstwrite.bpf.h). A fixed ring of slots, indexed by the number: a newer open
 * takes an older one's slot, and a lookup of an evicted or unknown number finds nothing.
 */
#ifndef TRACERD_OPENPATHS_H
#define TRACERD_OPENPATHS_H

#include <stddef.h>
#include <stdint.h>

struct open_paths;

/* A ring of slots (a power of two) paths of up to TRACERD_OPEN_PATH_KEEP_MAX bytes. */
int open_paths_new(struct open_paths **ret, size_t slots);
/* Frees the ring; NULL is accepted. */
void open_paths_free(struct open_paths *p);

/* Keeps path as the open numbered seq of struct file file. -EINVAL: seq 0, path too long. */
int open_paths_add(struct open_paths *p, uint64_t seq, uint64_t file, const char *path, size_t len);
/*
 * The path of the open numbered seq, if it was of file and is still kept, else NULL;
 * *ret_len its length. Several first writes may name it (a process and its children).
 * The path stays valid until the next open_paths_add().
 */
const char *open_paths_find(const struct open_paths *p, uint64_t seq, uint64_t file,
			    size_t *ret_len);

/* Bytes the ring takes. */
size_t open_paths_bytes(const struct open_paths *p);

#endif
