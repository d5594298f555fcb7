/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup id -> container id, remembered for the whole trace. */
#ifndef TRACERD_CGROUP_H
#define TRACERD_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"

struct cgroup_cache;

int cgroup_cache_new(struct cgroup_cache **ret);
void cgroup_cache_free(struct cgroup_cache *c);

/* Records what an exec record told: the cgroup's directory name. */
void cgroup_cache_note(struct cgroup_cache *c, uint64_t cgroup_id, const char *name, size_t len);

/*
 * The container id of cgroup_id, or NULL. A cgroup not seen in an exec is looked up
 * once through the cgroup filesystem (open_by_handle_at), then remembered.
 */
const char *cgroup_cache_container(struct cgroup_cache *c, uint64_t cgroup_id);

#endif
