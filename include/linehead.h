/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fields every event line repeats about its process (pid, tid, ppid, uid, comm,
 * exec_id, cgroup_id, container_id, cwd), rendered as JSON once and reused while they stay
 * the same: a process opening file after file gets them in one copy instead of nine
 * fields, two of them escaped.
 */
#ifndef TRACERD_LINEHEAD_H
#define TRACERD_LINEHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "tracerd_event.h"

struct line_head;

int line_head_new(struct line_head **ret);
void line_head_free(struct line_head *lh);

/*
 * The fields for these values, each after a comma (",\"pid\":1,..."): rendered anew
 * unless every value is the same as in the last call for a thread of the same slot (16,
 * by thread id). container and cwd may be NULL (the field is left out). NULL when out of
 * memory.
 */
const char *line_head_render(struct line_head *lh, const struct rec_header *h,
			     const char *container, const char *cwd, size_t cwd_len,
			     size_t *ret_len);

/* How many times line_head_render() rendered rather than reused (tests). */
unsigned long line_head_renders(const struct line_head *lh);

/* exec_id's value: "pid-exec_ns", quoted, a string of digits and a dash. */
struct json_buf;
void json_write_exec_id(struct json_buf *b, uint32_t pid, uint64_t exec_ns);

#endif
