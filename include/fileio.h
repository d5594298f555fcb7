/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole reads and writes on an fd, through short counts and EINTR. */
#ifndef TRACERD_FILEIO_H
#define TRACERD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* All of len bytes to fd; 0 or -errno. */
int fileio_write_all(int fd, const void *data, size_t len);

/* Up to size bytes from fd, fewer only at end of file; the count or -errno. */
ssize_t fileio_read_all(int fd, void *buf, size_t size);

#endif
