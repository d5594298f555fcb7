/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup id -> container id, remembered for the whole trace. */
#ifndef TRACERD_CGROUP_H
#define TRACERD_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"

struct cgroup_cache;

/* With the cgroup2 mount cgroup_root_open() finds (none: ids not seen in an exec stay unknown). */
int cgroup_cache_new(struct cgroup_cache **ret);
/* With root_fd as the cgroup2 mount (negative: none); the cache owns and closes it. */
int cgroup_cache_new_at(struct cgroup_cache **ret, int root_fd);
void cgroup_cache_free(struct cgroup_cache *c);
/* The cgroup2 mount's descriptor (negative: none), for the seccomp filter to allow. */
int cgroup_cache_root_fd(const struct cgroup_cache *c);

/* Records what an exec record told: the cgroup's directory name. 0 or -ENOMEM. */
int cgroup_cache_note(struct cgroup_cache *c, uint64_t cgroup_id, const char *name, size_t len);

/*
 * The container id of cgroup_id, or NULL. A cgroup not seen in an exec is looked up
 * once through the cgroup filesystem (open_by_handle_at), then remembered.
 */
const char *cgroup_cache_container(struct cgroup_cache *c, uint64_t cgroup_id);

/*
 * The cgroup2 mount, where file handles of cgroup ids resolve: /sys/fs/cgroup on most
 * systems, /sys/fs/cgroup/unified on hybrid ones. A descriptor, or -errno.
 */
int cgroup_root_open(void);
/* The mount point of one /proc/self/mountinfo line if it mounts cgroup2: 0, else -ENOENT. */
int cgroup_mountinfo_cgroup2(const char *line, char *mount_point, size_t size);

#endif
