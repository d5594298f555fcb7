/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRACERD_PATHNORM_H
#define TRACERD_PATHNORM_H

#include <stddef.h>

/*
 * Joins base (absolute) and rel (relative, or absolute: then base is ignored) and
 * removes empty, "." and ".." components lexically, as the path a process asked for
 * (symlinks are not resolved: the file may not exist). ".." at the root stays at the
 * root. Writes a NUL-terminated absolute path; returns its length or -ENAMETOOLONG.
 */
int path_normalize(const char *base, size_t base_len, const char *rel, size_t rel_len, char *out,
		   size_t out_size);

/*
 * The same for openat2(RESOLVE_IN_ROOT): base is the root rel is resolved in, so a
 * leading '/' means base and ".." never climbs above it.
 */
int path_normalize_in_root(const char *base, size_t base_len, const char *rel, size_t rel_len,
			   char *out, size_t out_size);

#endif
