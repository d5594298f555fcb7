/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Executables' hashes kept from one run of tracerd to the next (--hash-cache FILE): on a
 * runner that runs job after job, each job's daemon would otherwise read and hash the whole
 * toolchain again (a C compiler alone is 33 MB). A text file, one executable a line:
 *
 *   # tracerd hash cache 1
 *   <sha256, 64 hex digits> <dev> <inode> <size> <ctime seconds> <ctime nanoseconds>
 *
 * keyed by the identity the kernel gives at exec (dev in its encoding, major << 20 |
 * minor). Writing a file moves its ctime, so an entry only ever answers for the unchanged
 * inode, as the daemon's own cache does within a run. Read only from a regular file owned
 * by the user tracerd runs as, writable by no one else; rewritten in place when the daemon
 * exits, through the fd opened at start (after go-live the daemon opens no file).
 */
#ifndef TRACERD_HASHCACHE_H
#define TRACERD_HASHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"
#include "tracerd_event.h"

#define HASHCACHE_HEADER "# tracerd hash cache 1\n"
#define HASHCACHE_FILE_MAX (1u << 20) /* a larger file is not read: about 9,000 entries */
#define HASHCACHE_LINE_MAX 160

/* One line without its newline into id and digest; -EINVAL when it is not an entry. */
int hashcache_parse_line(const char *line, size_t len, struct rec_file_id *id, uint8_t *digest);

/* The entry's line, newline included, into buf; its length, or -ENOSPC. */
int hashcache_format_line(const struct rec_file_id *id, const uint8_t *digest, char *buf,
			  size_t size);

typedef void (*hashcache_entry_fn)(void *ctx, const struct rec_file_id *id, const uint8_t *digest);

/*
 * Opens the file at path for reading and, at exit, rewriting (created, mode 0600, when
 * there is none): before the daemon gives up opening files. -ELOOP for a symlink, -EPERM
 * when it is not a regular file owned by us, or is writable by group or others, -EFBIG,
 * another -errno. The fd in *ret_fd.
 */
int hashcache_open(const char *path, int *ret_fd);

/*
 * Calls fn for every entry of the file; returns the number of entries, or -EBADMSG when
 * a file with content does not begin with the header (not a hash cache: never to be
 * rewritten), another -errno. A malformed line is skipped and counted in *ret_bad.
 */
int hashcache_read(int fd, hashcache_entry_fn fn, void *ctx, unsigned int *ret_bad);

/* The next entry to save, from *pos on; false once there is none. */
typedef bool (*hashcache_next_fn)(void *ctx, unsigned int *pos, struct rec_file_id *id,
				  uint8_t *digest);

/*
 * Replaces the file's content with every entry next gives, in one write after a truncate,
 * then fdatasync(): a crash or a second daemon writing at the same time can leave a line
 * cut short or a piece of one after another's end, never a valid line that was not
 * written whole (a digest is 64 hex digits, then exactly five numbers): those are skipped
 * when read. Returns the number of entries written or -errno.
 */
int hashcache_write(int fd, hashcache_next_fn next, void *ctx);

#endif
