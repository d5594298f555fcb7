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

#include "table.h"

#define CGROUP_ROOT_DEFAULT "/sys/fs/cgroup"
#define CGROUP_INITIAL_SLOTS 256
/* The handle type of kernfs files: a cgroup2 directory's handle is its 64-bit cgroup id. */
#define FILEID_KERNFS 0xfe
/* mountinfo: "36 35 98:0 /root /mount/point options... - fstype source superoptions" */
#define MOUNTINFO_MOUNT_POINT_FIELD 4
#define MOUNTINFO_LINE_MAX 4096

struct cgroup_entry {
	uint64_t id; /* the key; 0, no cgroup's id (the root's is 1), marks a free slot */
	bool has_container;
	char container[CONTAINER_ID_LEN + 1];
};

struct cgroup_cache {
	struct open_table entries;
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

int cgroup_mountinfo_cgroup2(const char *line, char *mount_point, size_t size)
{
	const char *field = line;
	size_t len;

	if (!strstr(line, " - cgroup2 "))
		return -ENOENT;
	for (int i = 0; i < MOUNTINFO_MOUNT_POINT_FIELD; i++) {
		field = strchr(field, ' ');
		if (!field)
			return -ENOENT;
		field++;
	}
	len = strcspn(field, " \n");
	if (len == 0)
		return -ENOENT;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(mount_point, field, len);
	mount_point[len] = '\0';
	mountinfo_unescape(mount_point);
	return 0;
}

int cgroup_root_open(void)
{
	char line[MOUNTINFO_LINE_MAX], mount_point[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct statfs sfs;
	int fd = -ENOENT;

	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		if (cgroup_mountinfo_cgroup2(line, mount_point, sizeof(mount_point)) < 0)
			continue;
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

int cgroup_cache_new_at(struct cgroup_cache **ret, int root_fd)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	err = open_table_init(&c->entries, sizeof(struct cgroup_entry), sizeof(uint64_t),
			      CGROUP_INITIAL_SLOTS, 0);
	if (err) {
		free(c);
		return err;
	}
	c->root_fd = root_fd;
	*ret = c;
	return 0;
}

int cgroup_cache_new(struct cgroup_cache **ret)
{
	int fd = cgroup_root_open();
	int err = cgroup_cache_new_at(ret, fd);

	if (err && fd >= 0)
		close(fd);
	return err;
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
	open_table_fini(&c->entries);
	free(c);
}

int cgroup_cache_note(struct cgroup_cache *c, uint64_t cgroup_id, const char *name, size_t len)
{
	char buf[NAME_MAX + 1];
	struct cgroup_entry *e;
	int ret;

	if (!cgroup_id || len == 0 || len > NAME_MAX)
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	ret = open_table_insert(&c->entries, &cgroup_id, (void **)&e);
	if (ret < 0)
		return ret;
	e->has_container = container_id_from_cgroup(buf, e->container);
	return 0;
}

/* The cgroup's path, through a file handle: cgroup2 handles are the cgroup id. */
static int cgroup_path_by_id(int root_fd, uint64_t id, char *path, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	char link[64];
	ssize_t n;
	int fd;

	if (root_fd < 0)
		return -EBADF;
	memcpy(handle.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(root_fd, &handle.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? n : -ENOENT;
	path[n] = '\0';
	return 0;
}

const char *cgroup_cache_container(struct cgroup_cache *c, uint64_t cgroup_id)
{
	struct cgroup_entry *e;
	char path[PATH_MAX];

	if (!cgroup_id)
		return NULL;
	e = open_table_find(&c->entries, &cgroup_id, sizeof(cgroup_id));
	if (!e) {
		if (open_table_insert(&c->entries, &cgroup_id, (void **)&e) < 0)
			return NULL;
		e->has_container = cgroup_path_by_id(c->root_fd, cgroup_id, path, PATH_MAX) == 0 &&
				   container_id_from_cgroup(path, e->container);
	}
	return e->has_container ? e->container : NULL;
}
