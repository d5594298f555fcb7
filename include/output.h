/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The trace file: lines are gathered in memory and written as one complete gzip member
 * per flush, with a single write(2), so that a reader of a file whose writer was killed
 * loses at most the lines of the last flush interval, never part of a line.
 */
#ifndef TRACERD_OUTPUT_H
#define TRACERD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output;

/*
 * Creates path for writing: never through a symlink, mode 0640, failing with -EEXIST
 * when it exists unless force (then a regular file is replaced; anything else is not).
 * "-" writes plain JSONL to stdout. On error *ret_why names the cause for the user.
 */
int output_open(const char *path, bool force, struct output **ret_out, const char **ret_why);

/* The file's descriptor (stdout for "-"). */
int output_fd(const struct output *out);

/*
 * Appends one complete line. Returns 0 when it was kept, else -errno. Either way
 * *ret_lost_lines counts the lines lost on the way: this one when it was not kept, and
 * earlier ones whose compression or (plain output) write failed.
 */
int output_append(struct output *out, const char *data, size_t len, uint64_t *ret_lost_lines);

/* Uncompressed bytes appended since the last flush. */
size_t output_pending(const struct output *out);

/*
 * Compresses what is pending into one gzip member and writes it. On a write error the
 * file is cut back to its last complete member; *ret_lost_lines counts the lines dropped.
 */
int output_flush(struct output *out, uint64_t *ret_lost_lines);

/* Flushes and closes; NULL is accepted. */
int output_close(struct output *out, uint64_t *ret_lost_lines);

#endif
