// SPDX-License-Identifier: GPL-2.0-only
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_ROOT_DEFAULT "/sys/fs/cgroup"
#define FILEID_KERNFS 0xfe

struct cgroup_entry {
	uint64_t id; /* 0: free slot (the root cgroup's id is 1) */
	bool has_container;
	char container[CONTAINER_ID_LEN + 1];
};

struct cgroup_cache {
	struct cgroup_entry *slots;
	size_t cap; /* power of two */
	size_t used;
	int root_fd; /* the cgroup2 mount, for open_by_handle_at */
};

/* mountinfo escapes spaces and friends as \ooo; undo that in place. */
static void mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * The cgroup2 mount: /sys/fs/cgroup on most systems, /sys/fs/cgroup/unified on hybrid
 * ones. File handles of cgroup ids only resolve there.
 */
static int cgroup_root_open(void)
{
	char line[4096], mount_point[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct statfs sfs;
	int fd = -1;

	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
			continue;
		mountinfo_unescape(mount_point);
		fd = open(mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (f)
		fclose(f);
	if (fd < 0)
		fd = open(CGROUP_ROOT_DEFAULT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * Handles only resolve on cgroup2 itself: /sys/fs/cgroup may be a v1 tmpfs, or an
	 * empty directory in a chroot. Any other fd would make every lookup a refused call.
	 */
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int cgroup_cache_new(struct cgroup_cache **ret)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cap = 256;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	c->root_fd = cgroup_root_open();
	*ret = c;
	return 0;
}

int cgroup_cache_root_fd(const struct cgroup_cache *c)
{
	return c->root_fd;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c->slots);
	free(c);
}

static size_t slot_index(uint64_t id, size_t cap)
{
	return (id * 0x9e3779b97f4a7c15ull) >> 32 & (cap - 1);
}

static struct cgroup_entry *cgroup_slot(struct cgroup_entry *slots, size_t cap, uint64_t id)
{
	size_t i = slot_index(id, cap);

	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int cgroup_cache_grow(struct cgroup_cache *c)
{
	size_t cap = c->cap * 2;
	struct cgroup_entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slots[i].id)
			*cgroup_slot(slots, cap, c->slots[i].id) = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return 0;
}

static struct cgroup_entry *cgroup_cache_insert(struct cgroup_cache *c, uint64_t id)
{
	struct cgroup_entry *e;

	if ((c->used + 1) * 2 > c->cap && cgroup_cache_grow(c) < 0)
		return NULL;
	e = cgroup_slot(c->slots, c->cap, id);
	if (!e->id) {
		e->id = id;
		c->used++;
	}
	return e;
}

void cgroup_cache_note(struct cgroup_cache *c, uint64_t cgroup_id, const char *name, size_t len)
{
	char buf[NAME_MAX + 1];
	struct cgroup_entry *e;

	if (!cgroup_id || len == 0 || len > NAME_MAX)
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	e = cgroup_cache_insert(c, cgroup_id);
	if (e)
		e->has_container = container_id_from_cgroup(buf, e->container);
}

/* The cgroup's path, through a file handle: cgroup2 handles are the cgroup id. */
static bool cgroup_path_by_id(int root_fd, uint64_t id, char *path, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	char link[64];
	ssize_t n;
	int fd;

	if (root_fd < 0)
		return false;
	memcpy(handle.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(root_fd, &handle.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	path[n] = '\0';
	return true;
}

const char *cgroup_cache_container(struct cgroup_cache *c, uint64_t cgroup_id)
{
	struct cgroup_entry *e = cgroup_slot(c->slots, c->cap, cgroup_id);
	char path[PATH_MAX];

	if (!cgroup_id)
		return NULL;
	if (!e->id) {
		e = cgroup_cache_insert(c, cgroup_id);
		if (!e)
			return NULL;
		e->has_container = cgroup_path_by_id(c->root_fd, cgroup_id, path, sizeof(path)) &&
				   container_id_from_cgroup(path, e->container);
	}
	return e->has_container ? e->container : NULL;
}
