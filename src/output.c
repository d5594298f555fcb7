// SPDX-License-Identifier: GPL-2.0-only
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* zlib level 1: most of gzip's ratio on JSON at a fraction of level 6's CPU. */
#define OUTPUT_GZIP_LEVEL 1
#define OUTPUT_MODE 0640

struct output {
	int fd;
	bool plain; /* stdout: uncompressed JSONL */
	char *pending;
	size_t pending_len;
	size_t pending_cap;
	uint64_t pending_lines;
	unsigned char *gz;
	size_t gz_cap;
	z_stream zs;
	bool zs_ready;
	off_t good_size; /* end of the last complete member */
};

static int output_create(const char *path, bool force, const char **ret_why)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, OUTPUT_MODE);
	if (fd >= 0 || errno != EEXIST || !force)
		goto done;
	if (lstat(path, &st) < 0)
		goto done;
	if (!S_ISREG(st.st_mode)) {
		*ret_why = S_ISLNK(st.st_mode) ? "it is a symlink (never followed)" :
						 "it exists and is not a regular file";
		return -EEXIST;
	}
	if (unlink(path) < 0)
		goto done;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, OUTPUT_MODE);
done:
	if (fd >= 0)
		return fd;
	if (errno == EEXIST) {
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			*ret_why = "it is a symlink (never followed)";
		else
			*ret_why = "it already exists (use --force to replace it)";
	} else if (errno == ENOENT) {
		*ret_why = "its directory does not exist";
	} else if (errno == ELOOP) {
		*ret_why = "it is a symlink (never followed)";
	} else {
		*ret_why = strerror(errno);
	}
	return -errno;
}

int output_open(const char *path, bool force, struct output **ret_out, const char **ret_why)
{
	struct output *out = calloc(1, sizeof(*out));
	int fd;

	*ret_why = NULL;
	if (!out) {
		*ret_why = "out of memory";
		return -ENOMEM;
	}
	if (strcmp(path, "-") == 0) {
		out->fd = STDOUT_FILENO;
		out->plain = true;
		*ret_out = out;
		return 0;
	}
	fd = output_create(path, force, ret_why);
	if (fd < 0) {
		free(out);
		return fd;
	}
	/* The umask may have been stricter; never looser than OUTPUT_MODE. */
	fchmod(fd, OUTPUT_MODE);
	out->fd = fd;
	if (deflateInit2(&out->zs, OUTPUT_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		close(fd);
		free(out);
		*ret_why = "zlib initialisation failed";
		return -ENOMEM;
	}
	out->zs_ready = true;
	*ret_out = out;
	return 0;
}

int output_fd(const struct output *out)
{
	return out->fd;
}

static int buffer_reserve(char **buf, size_t *cap, size_t need)
{
	size_t new_cap = *cap ? *cap : 65536;
	char *p;

	if (need <= *cap)
		return 0;
	while (new_cap < need)
		new_cap *= 2;
	p = realloc(*buf, new_cap);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = new_cap;
	return 0;
}

int output_append(struct output *out, const char *data, size_t len)
{
	int err = buffer_reserve(&out->pending, &out->pending_cap, out->pending_len + len);

	if (err)
		return err;
	memcpy(out->pending + out->pending_len, data, len);
	out->pending_len += len;
	out->pending_lines += 1;
	return 0;
}

size_t output_pending(const struct output *out)
{
	return out->pending_len;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int output_compress(struct output *out, size_t *ret_len)
{
	size_t bound = deflateBound(&out->zs, out->pending_len) + 64;
	int err = buffer_reserve((char **)&out->gz, &out->gz_cap, bound);

	if (err)
		return err;
	out->zs.next_in = (unsigned char *)out->pending;
	out->zs.avail_in = out->pending_len;
	out->zs.next_out = out->gz;
	out->zs.avail_out = out->gz_cap;
	if (deflate(&out->zs, Z_FINISH) != Z_STREAM_END) {
		deflateReset(&out->zs);
		return -EIO;
	}
	*ret_len = out->gz_cap - out->zs.avail_out;
	deflateReset(&out->zs);
	return 0;
}

int output_flush(struct output *out, uint64_t *ret_lost_lines)
{
	const void *data = out->pending;
	size_t len = out->pending_len;
	int err = 0;

	*ret_lost_lines = 0;
	if (!out->pending_len)
		return 0;
	if (!out->plain) {
		err = output_compress(out, &len);
		data = out->gz;
	}
	if (!err)
		err = write_all(out->fd, data, len);
	if (err) {
		*ret_lost_lines = out->pending_lines;
		/* A partial member would hide every later one from gunzip: cut it off. */
		if (!out->plain && ftruncate(out->fd, out->good_size) == 0)
			lseek(out->fd, out->good_size, SEEK_SET);
	} else if (!out->plain) {
		out->good_size += len;
	}
	out->pending_len = 0;
	out->pending_lines = 0;
	return err;
}

int output_close(struct output *out, uint64_t *ret_lost_lines)
{
	int err;

	*ret_lost_lines = 0;
	if (!out)
		return 0;
	err = output_flush(out, ret_lost_lines);
	if (!out->plain) {
		if (fsync(out->fd) < 0 && !err && errno != EINVAL)
			err = -errno;
		if (close(out->fd) < 0 && !err)
			err = -errno;
	}
	if (out->zs_ready)
		deflateEnd(&out->zs);
	free(out->pending);
	free(out->gz);
	free(out);
	return err;
}
