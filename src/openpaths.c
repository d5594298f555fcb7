// SPDX-License-Identifier: GPL-2.0-only
#include "openpaths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracerd_event.h"

struct open_path_slot {
	uint64_t seq; /* 0: empty */
	uint64_t file;
	uint16_t len;
	char path[TRACERD_OPEN_PATH_KEEP_MAX];
};

struct open_paths {
	size_t mask;
	struct open_path_slot slots[];
};

int open_paths_new(struct open_paths **ret, size_t slots)
{
	struct open_paths *p;

	if (!slots || slots & (slots - 1))
		return -EINVAL;
	/* calloc: the pages of slots never used are never touched. */
	p = calloc(1, sizeof(*p) + slots * sizeof(p->slots[0]));
	if (!p)
		return -ENOMEM;
	p->mask = slots - 1;
	*ret = p;
	return 0;
}

void open_paths_free(struct open_paths *p)
{
	free(p);
}

int open_paths_add(struct open_paths *p, uint64_t seq, uint64_t file, const char *path, size_t len)
{
	struct open_path_slot *s = &p->slots[seq & p->mask];

	if (!seq || len > sizeof(s->path))
		return -EINVAL;
	s->seq = seq;
	s->file = file;
	s->len = len;
	memcpy(s->path, path, len);
	return 0;
}

const char *open_paths_find(const struct open_paths *p, uint64_t seq, uint64_t file,
			    size_t *ret_len)
{
	const struct open_path_slot *s = &p->slots[seq & p->mask];

	if (!seq || s->seq != seq || s->file != file)
		return NULL;
	*ret_len = s->len;
	return s->path;
}

size_t open_paths_bytes(const struct open_paths *p)
{
	return sizeof(*p) + (p->mask + 1) * sizeof(p->slots[0]);
}
