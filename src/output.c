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

/* Lines are gathered this much at a time before deflate() (or write(), plain) sees them. */
#define OUTPUT_STAGE_SIZE (64 * 1024)

/*
 * Lines go to a small stage, then are compressed as they come into the member being
 * built: memory holds compressed bytes, not a whole flush interval of JSON.
 */
struct output {
	int fd;
	bool plain; /* stdout: uncompressed JSONL, written as the stage fills */
	char *stage;
	size_t stage_len;
	uint64_t stage_lines;
	uint64_t member_lines; /* lines in the member being built, stage included */
	size_t pending_bytes; /* uncompressed bytes since the last flush */
	unsigned char *gz;
	size_t gz_len;
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

	*ret_why = "out of memory";
	if (!out)
		return -ENOMEM;
	out->stage = malloc(OUTPUT_STAGE_SIZE);
	if (!out->stage) {
		free(out);
		return -ENOMEM;
	}
	*ret_why = NULL;
	if (strcmp(path, "-") == 0) {
		out->fd = STDOUT_FILENO;
		out->plain = true;
		*ret_out = out;
		return 0;
	}
	fd = output_create(path, force, ret_why);
	if (fd < 0)
		goto fail;
	/* The umask may have been stricter; never looser than OUTPUT_MODE. */
	fchmod(fd, OUTPUT_MODE);
	out->fd = fd;
	if (deflateInit2(&out->zs, OUTPUT_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		close(fd);
		*ret_why = "zlib initialisation failed";
		fd = -ENOMEM;
		goto fail;
	}
	out->zs_ready = true;
	*ret_out = out;
	return 0;
fail:
	free(out->stage);
	free(out);
	return fd;
}

int output_fd(const struct output *out)
{
	return out->fd;
}

size_t output_pending(const struct output *out)
{
	return out->pending_bytes;
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

/* Makes room for at least want more compressed bytes. */
static int output_gz_reserve(struct output *out, size_t want)
{
	size_t cap = out->gz_cap ? out->gz_cap : 4 * OUTPUT_STAGE_SIZE;
	unsigned char *p;

	if (out->gz_cap - out->gz_len >= want)
		return 0;
	while (cap - out->gz_len < want)
		cap *= 2;
	p = realloc(out->gz, cap);
	if (!p)
		return -ENOMEM;
	out->gz = p;
	out->gz_cap = cap;
	return 0;
}

/* Compresses data into the member; Z_FINISH completes it. */
static int output_deflate(struct output *out, const void *data, size_t len, int mode)
{
	int ret;

	out->zs.next_in = (unsigned char *)data;
	out->zs.avail_in = len;
	do {
		if (output_gz_reserve(out, OUTPUT_STAGE_SIZE) < 0)
			return -ENOMEM;
		out->zs.next_out = out->gz + out->gz_len;
		out->zs.avail_out = out->gz_cap - out->gz_len;
		ret = deflate(&out->zs, mode);
		out->gz_len = out->gz_cap - out->zs.avail_out;
		if (ret == Z_STREAM_ERROR)
			return -EIO;
	} while (out->zs.avail_in > 0 || (mode == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

/* Empties the stage: into the member, or (plain) straight to the file. */
static int output_stage_drain(struct output *out, uint64_t *ret_lost_lines)
{
	int err;

	*ret_lost_lines = 0;
	if (out->plain)
		err = write_all(out->fd, out->stage, out->stage_len);
	else
		err = output_deflate(out, out->stage, out->stage_len, Z_NO_FLUSH);
	if (err)
		*ret_lost_lines = out->stage_lines;
	out->stage_len = 0;
	out->stage_lines = 0;
	return err;
}

int output_append(struct output *out, const char *data, size_t len, uint64_t *ret_lost_lines)
{
	int err;

	*ret_lost_lines = 0;
	if (len > OUTPUT_STAGE_SIZE) { /* longer than any line a record makes */
		*ret_lost_lines = 1;
		return -E2BIG;
	}
	if (out->stage_len + len > OUTPUT_STAGE_SIZE) {
		err = output_stage_drain(out, ret_lost_lines);
		/* Plain output wrote (or lost) the stage and goes on; a member cannot. */
		if (err && !out->plain) {
			*ret_lost_lines += 1;
			return err;
		}
	}
	memcpy(out->stage + out->stage_len, data, len);
	out->stage_len += len;
	out->stage_lines++;
	out->member_lines++;
	out->pending_bytes += len;
	return 0;
}

int output_flush(struct output *out, uint64_t *ret_lost_lines)
{
	int err;

	*ret_lost_lines = 0;
	if (!out->pending_bytes)
		return 0;
	err = output_stage_drain(out, ret_lost_lines);
	if (!out->plain) {
		if (!err)
			err = output_deflate(out, NULL, 0, Z_FINISH);
		if (!err)
			err = write_all(out->fd, out->gz, out->gz_len);
		if (err) {
			*ret_lost_lines = out->member_lines;
			/* A partial member would hide every later one from gunzip: cut it off. */
			if (ftruncate(out->fd, out->good_size) == 0)
				lseek(out->fd, out->good_size, SEEK_SET);
		} else {
			out->good_size += out->gz_len;
		}
		out->gz_len = 0;
		deflateReset(&out->zs);
	}
	out->member_lines = 0;
	out->pending_bytes = 0;
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
	free(out->stage);
	free(out->gz);
	free(out);
	return err;
}
