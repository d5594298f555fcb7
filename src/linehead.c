// SPDX-License-Identifier: GPL-2.0-only
#include "linehead.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

/*
 * Lines of a few processes interleave (two CPUs' records, a build's parallel jobs): one
 * rendering kept per slot, the slot chosen by thread id, so that each keeps its own.
 */
#define LINE_HEAD_SLOTS 16

struct line_head_slot {
	bool valid;
	/* The values the text was rendered from. */
	uint32_t pid, tid, ppid, uid;
	uint64_t exec_ns, cgroup_id;
	char comm[TRACERD_COMM_LEN];
	char *container; /* a copy; NULL: none */
	bool has_cwd;
	char *cwd; /* a copy, cwd_len bytes, when has_cwd */
	size_t cwd_len, cwd_cap;
	struct json_buf text; /* starts with a '"' that is not part of the fields */
};

struct line_head {
	struct line_head_slot slots[LINE_HEAD_SLOTS];
	unsigned long renders;
};

int line_head_new(struct line_head **ret)
{
	struct line_head *lh = calloc(1, sizeof(*lh));

	if (!lh)
		return -ENOMEM;
	for (int i = 0; i < LINE_HEAD_SLOTS; i++)
		json_buf_init(&lh->slots[i].text);
	*ret = lh;
	return 0;
}

void line_head_free(struct line_head *lh)
{
	if (!lh)
		return;
	for (int i = 0; i < LINE_HEAD_SLOTS; i++) {
		free(lh->slots[i].container);
		free(lh->slots[i].cwd);
		json_buf_free(&lh->slots[i].text);
	}
	free(lh);
}

void json_write_exec_id(struct json_buf *b, uint32_t pid, uint64_t exec_ns)
{
	char id[48];
	char *end = id + sizeof(id);
	char *start = decimal_before(end, exec_ns);

	*--start = '-';
	start = decimal_before(start, pid);
	json_write_clean_string(b, start, end - start); /* digits and a dash */
}

static bool same_str(const char *kept, const char *s)
{
	return kept && s ? strcmp(kept, s) == 0 : kept == s;
}

static bool line_head_same(const struct line_head_slot *lh, const struct rec_header *h,
			   const char *container, const char *cwd, size_t cwd_len)
{
	if (!lh->valid || lh->pid != h->pid || lh->tid != h->tid || lh->ppid != h->ppid ||
	    lh->uid != h->uid || lh->exec_ns != h->exec_ns || lh->cgroup_id != h->cgroup_id ||
	    memcmp(lh->comm, h->comm, sizeof(lh->comm)) != 0)
		return false;
	if (!same_str(lh->container, container))
		return false;
	if (!cwd || !lh->has_cwd)
		return !cwd && !lh->has_cwd;
	return lh->cwd_len == cwd_len && memcmp(lh->cwd, cwd, cwd_len) == 0;
}

/* Keeps copies of the values the text is rendered from. */
static int line_head_keep(struct line_head_slot *lh, const struct rec_header *h,
			  const char *container, const char *cwd, size_t cwd_len)
{
	lh->valid = false;
	free(lh->container);
	lh->container = NULL;
	if (container && !(lh->container = strdup(container)))
		return -ENOMEM;
	if (cwd && cwd_len + 1 > lh->cwd_cap) {
		char *p = realloc(lh->cwd, cwd_len + 1);

		if (!p)
			return -ENOMEM;
		lh->cwd = p;
		lh->cwd_cap = cwd_len + 1;
	}
	lh->has_cwd = cwd != NULL;
	lh->cwd_len = cwd ? cwd_len : 0;
	if (cwd)
		memcpy(lh->cwd, cwd, cwd_len);
	lh->pid = h->pid;
	lh->tid = h->tid;
	lh->ppid = h->ppid;
	lh->uid = h->uid;
	lh->exec_ns = h->exec_ns;
	lh->cgroup_id = h->cgroup_id;
	memcpy(lh->comm, h->comm, sizeof(lh->comm));
	return 0;
}

static void line_head_text(struct json_buf *b, const struct rec_header *h, const char *container,
			   const char *cwd, size_t cwd_len)
{
	json_buf_reset(b);
	/* A value before the first key, so that it gets its comma; not part of the text. */
	json_write_raw(b, "\"", 1);
	JSON_FIELD_U64(b, "pid", h->pid);
	JSON_FIELD_U64(b, "tid", h->tid);
	JSON_FIELD_U64(b, "ppid", h->ppid);
	JSON_FIELD_U64(b, "uid", h->uid);
	/* TASK_COMM_LEN counts the NUL: a comm without one is cut at 15 bytes, as the kernel's. */
	JSON_FIELD_STRING(b, "comm", h->comm, strnlen(h->comm, sizeof(h->comm) - 1));
	JSON_KEY(b, "exec_id");
	json_write_exec_id(b, h->pid, h->exec_ns);
	JSON_FIELD_U64(b, "cgroup_id", h->cgroup_id);
	JSON_FIELD_CSTR(b, "container_id", container);
	if (cwd)
		JSON_FIELD_STRING(b, "cwd", cwd, cwd_len);
}

unsigned long line_head_renders(const struct line_head *lh)
{
	return lh->renders;
}

const char *line_head_render(struct line_head *head, const struct rec_header *h,
			     const char *container, const char *cwd, size_t cwd_len,
			     size_t *ret_len)
{
	struct line_head_slot *lh = &head->slots[h->tid % LINE_HEAD_SLOTS];

	if (!line_head_same(lh, h, container, cwd, cwd_len)) {
		head->renders++;
		if (line_head_keep(lh, h, container, cwd, cwd_len) < 0)
			return NULL;
		line_head_text(&lh->text, h, container, cwd, cwd_len);
		if (lh->text.oom)
			return NULL;
		lh->valid = true;
	}
	*ret_len = lh->text.len - 1;
	return lh->text.data + 1;
}
