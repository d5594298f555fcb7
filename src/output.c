// SPDX-License-Identifier: GPL-2.0-only
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "gzip.h"
#include "stages.h"

/* Each stage of lines becomes one complete gzip member (gzip.h), written at once. */
#define OUTPUT_MODE 0640
/* Lines are gathered this much at a time into one member (or, plain, one write). */
#ifndef OUTPUT_STAGE_SIZE
#define OUTPUT_STAGE_SIZE (256 * 1024)
#endif

struct output {
	int fd;
	bool plain; /* stdout: uncompressed JSONL */
	char *stage;
	size_t stage_len;
	uint64_t stage_lines;
	struct gzip_encoder *encoder;
	void *member;
	size_t member_cap;
	off_t good_size; /* end of the last complete member */
};

static int output_create(const char *path, bool force, const char **ret_why)
{
	struct stat st;
	int fd, err;

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
	err = -errno; /* before lstat() below can change errno */
	if (err == -EEXIST) {
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			*ret_why = "it is a symlink (never followed)";
		else
			*ret_why = "it already exists (use --force to replace it)";
	} else if (err == -ENOENT) {
		*ret_why = "its directory does not exist";
	} else if (err == -ELOOP) {
		*ret_why = "it is a symlink (never followed)";
	} else {
		*ret_why = strerror(-err);
	}
	return err;
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
	if (gzip_encoder_new(OUTPUT_STAGE_SIZE, &out->encoder) == 0) {
		out->member_cap = gzip_encoder_bound(out->encoder);
		out->member = malloc(out->member_cap);
	}
	if (!out->member) {
		close(fd);
		*ret_why = "out of memory";
		fd = -ENOMEM;
		goto fail;
	}
	*ret_out = out;
	return 0;
fail:
	gzip_encoder_free(out->encoder);
	free(out->stage);
	free(out);
	return fd;
}

int output_fd(const struct output *out)
{
	return out->fd;
}

/* The stage as one complete gzip member, in one write. */
static int output_write_member(struct output *out)
{
	size_t len;
	int err;

	STAGE_ENTER(STAGE_COMPRESS);
	len = gzip_encode(out->encoder, out->stage, out->stage_len, out->member, out->member_cap);
	STAGE_LEAVE();
	STAGE_ENTER(STAGE_WRITE);
	err = len ? fileio_write_all(out->fd, out->member, len) : -EIO;
	STAGE_LEAVE();

	if (!err) {
		out->good_size += len;
		return 0;
	}
	/* A partial member would hide every later one from gunzip: cut it off. */
	if (ftruncate(out->fd, out->good_size) == 0)
		lseek(out->fd, out->good_size, SEEK_SET);
	return err;
}

int output_flush(struct output *out, uint64_t *ret_lost_lines)
{
	int err = 0;

	*ret_lost_lines = 0;
	if (!out->stage_len)
		return 0;
	if (out->plain) {
		STAGE_ENTER(STAGE_WRITE);
		err = fileio_write_all(out->fd, out->stage, out->stage_len);
		STAGE_LEAVE();
	} else {
		err = output_write_member(out);
	}
	if (err)
		*ret_lost_lines = out->stage_lines;
	out->stage_len = 0;
	out->stage_lines = 0;
	return err;
}

bool output_fits(const struct output *out, size_t len)
{
	return out->stage_len + len <= OUTPUT_STAGE_SIZE;
}

int output_append(struct output *out, const char *data, size_t len)
{
	if (!output_fits(out, len))
		return len > OUTPUT_STAGE_SIZE ? -E2BIG : -ENOSPC;
	memcpy(out->stage + out->stage_len, data, len);
	out->stage_len += len;
	out->stage_lines++;
	return 0;
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
	gzip_encoder_free(out->encoder);
	free(out->stage);
	free(out->member);
	free(out);
	return err;
}
