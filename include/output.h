/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The trace file: lines are gathered in a stage and written as one complete gzip member
 * with a single write(2) when the stage is full or at each flush, so that a reader of a
 * file whose writer was killed loses at most the lines of the last flush interval,
 * never part of a line.
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

/* Whether a line of len bytes fits in the stage; if not, flush first. */
bool output_fits(const struct output *out, size_t len);

/* Appends one complete line to the stage: -ENOSPC when it does not fit, -E2BIG never will. */
int output_append(struct output *out, const char *data, size_t len);

/*
 * Writes what is pending as one gzip member. On a write error the file is cut back to
 * its last complete member; *ret_lost_lines counts the lines dropped.
 */
int output_flush(struct output *out, uint64_t *ret_lost_lines);

/* Flushes and closes; NULL is accepted. */
int output_close(struct output *out, uint64_t *ret_lost_lines);

#endif
