// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hash cache file (include/hashcache.h): strict parsing, since what it says becomes an
 * exe_sha256 without the file being read; anything not exactly an entry is skipped.
 */
#include "hashcache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 lowercase hex digits at *p into digest; advances *p. */
static int parse_digest(const char **p, const char *end, uint8_t *digest)
{
	const char *s = *p;

	if (end - s < SHA256_HEX_LEN)
		return -EINVAL;
	for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		digest[i] = hi << 4 | lo;
	}
	*p = s + SHA256_HEX_LEN;
	return 0;
}

/* " <decimal>" at *p, at most max: no sign, no leading zero, no other space. */
static int parse_field(const char **p, const char *end, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s++ != ' ' || s == end || *s < '0' || *s > '9')
		return -EINVAL;
	if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*ret = v;
	return 0;
}

/*
 * Only files of block devices are kept. Major 0 is the kernel's anonymous devices (tmpfs,
 * overlayfs, btrfs subvolumes, FUSE): their numbers are given again to the next such mount
 * once one is gone, whose inode numbers start over, and a FUSE file system chooses the
 * size and times it reports. Across runs nothing says a number is still the same mount.
 */
static bool device_kept(uint32_t dev)
{
	return dev >> 20 != 0;
}

/* The five numbers after the digest, in order, and the largest each may be. */
enum { FIELD_DEV, FIELD_INO, FIELD_SIZE, FIELD_CTIME_SEC, FIELD_CTIME_NSEC, FIELDS };
static const uint64_t field_max[FIELDS] = { UINT32_MAX, UINT64_MAX, INT64_MAX, INT64_MAX,
					    999999999 };

int hashcache_parse_line(const char *line, size_t len, struct rec_file_id *id, uint8_t *digest)
{
	const char *p = line, *end = line + len;
	uint64_t v[FIELDS];

	if (!line || parse_digest(&p, end, digest))
		return -EINVAL;
	for (int i = 0; i < FIELDS; i++) {
		if (parse_field(&p, end, field_max[i], &v[i]))
			return -EINVAL;
	}
	if (p != end || !device_kept((uint32_t)v[FIELD_DEV]))
		return -EINVAL;
	*id = (struct rec_file_id){
		.ino = v[FIELD_INO],
		.size = v[FIELD_SIZE],
		.ctime_sec = (int64_t)v[FIELD_CTIME_SEC],
		.ctime_nsec = (uint32_t)v[FIELD_CTIME_NSEC],
		.dev = (uint32_t)v[FIELD_DEV],
	};
	return 0;
}

int hashcache_format_line(const struct rec_file_id *id, const uint8_t *digest, char *buf,
			  size_t size)
{
	char sum[SHA256_HEX_LEN + 1];
	int n;

	/* Not kept: a change time before 1970 (the format has no sign), anonymous devices. */
	if (id->ctime_sec < 0 || id->ctime_nsec > 999999999 || !device_kept(id->dev))
		return -EINVAL;
	sha256_hex(digest, sum);
	sum[SHA256_HEX_LEN] = '\0';
	n = snprintf(buf, size, "%s %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu32 "\n",
		     sum, (uint32_t)id->dev, (uint64_t)id->ino, (uint64_t)id->size,
		     (int64_t)id->ctime_sec, (uint32_t)id->ctime_nsec);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* Trusted only when no one but us could have written it. */
static int file_check(int fd, off_t *ret_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	if (st.st_size > HASHCACHE_FILE_MAX)
		return -EFBIG;
	*ret_size = st.st_size;
	return 0;
}

/* The whole file from its start, wherever the fd's offset was left. */
static ssize_t read_from_start(int fd, char *buf, size_t size)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return fileio_read_all(fd, buf, size);
}

/* Every line after the header; one without its newline was cut short: bad. */
static int entries_each(const char *text, size_t len, hashcache_entry_fn fn, void *ctx,
			unsigned int *ret_bad)
{
	const char *p = text + strlen(HASHCACHE_HEADER), *end = text + len;
	uint8_t digest[SHA256_DIGEST_LEN];
	struct rec_file_id id;
	int count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl && !hashcache_parse_line(p, nl - p, &id, digest)) {
			fn(ctx, &id, digest);
			count++;
		} else {
			(*ret_bad)++;
		}
		p = nl ? nl + 1 : end;
	}
	return count;
}

/* A new cache: created only where nothing is, and never empty (its header at once). */
static int file_create(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	int err;

	if (fd < 0)
		return -errno;
	err = fileio_write_all(fd, HASHCACHE_HEADER, strlen(HASHCACHE_HEADER));
	if (err) {
		close(fd);
		unlink(path);
		return err;
	}
	return fd;
}

/*
 * An existing file is looked at before it is opened: a device or a FIFO is refused
 * unopened. The open does not follow a symlink planted in between, and file_check()
 * looks again at what was opened.
 */
int hashcache_open(const char *path, int *ret_fd)
{
	struct stat st;
	off_t size;
	int fd, err;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISREG(st.st_mode))
			return -EPERM;
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return -errno;
	} else if (errno == ENOENT) {
		fd = file_create(path);
		if (fd < 0)
			return fd;
	} else {
		return -errno;
	}
	err = file_check(fd, &size);
	if (err) {
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int hashcache_read(int fd, hashcache_entry_fn fn, void *ctx, unsigned int *ret_bad)
{
	char *text = NULL;
	off_t size = 0;
	ssize_t len;
	int err;

	*ret_bad = 0;
	err = file_check(fd, &size);
	if (err)
		return err;
	text = malloc(size + 1);
	if (!text)
		return -ENOMEM;
	len = read_from_start(fd, text, size);
	if (len < 0) {
		err = len;
		goto out;
	}
	if ((size_t)len < strlen(HASHCACHE_HEADER) ||
	    memcmp(text, HASHCACHE_HEADER, strlen(HASHCACHE_HEADER))) {
		err = -EBADMSG;
		goto out;
	}
	err = entries_each(text, len, fn, ctx, ret_bad);
out:
	free(text);
	return err;
}

/* The whole file's text, header first, in a buffer that grows as needed. */
static int text_build(hashcache_next_fn next, void *ctx, char **ret_text, size_t *ret_len)
{
	size_t cap = 64 * HASHCACHE_LINE_MAX, len = strlen(HASHCACHE_HEADER);
	uint8_t digest[SHA256_DIGEST_LEN];
	char *text = malloc(cap), *bigger;
	struct rec_file_id id;
	unsigned int pos = 0;
	int count = 0, n;

	if (!text)
		return -ENOMEM;
	memcpy(text, HASHCACHE_HEADER, len);
	while (next(ctx, &pos, &id, digest)) {
		if (cap - len < HASHCACHE_LINE_MAX) {
			bigger = realloc(text, cap * 2);
			if (!bigger) {
				free(text);
				return -ENOMEM;
			}
			text = bigger;
			cap *= 2;
		}
		n = hashcache_format_line(&id, digest, text + len, cap - len);
		if (n < 0)
			continue;
		len += n;
		count++;
	}
	*ret_text = text;
	*ret_len = len;
	return count;
}

int hashcache_write(int fd, hashcache_next_fn next, void *ctx)
{
	size_t header_len = strlen(HASHCACHE_HEADER), len = 0;
	char *text = NULL;
	int count, err;

	count = text_build(next, ctx, &text, &len);
	if (count < 0)
		return count;
	/* The header stays: cut anywhere, the file is still a cache (an empty one is not). */
	if (ftruncate(fd, header_len) < 0 || lseek(fd, header_len, SEEK_SET) < 0)
		err = -errno;
	else
		err = fileio_write_all(fd, text + header_len, len - header_len);
	if (!err && fdatasync(fd) < 0)
		err = -errno;
	free(text);
	return err ? err : count;
}
