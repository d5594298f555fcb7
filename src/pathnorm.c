// SPDX-License-Identifier: GPL-2.0-only
#include "pathnorm.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Appends one component to out (length *len), applying "." and ".." down to floor. */
static int path_push(char *out, size_t out_size, size_t *len, size_t floor, const char *name,
		     size_t n)
{
	if (n == 0 || (n == 1 && name[0] == '.'))
		return 0;
	if (n == 2 && name[0] == '.' && name[1] == '.') {
		while (*len > floor && out[*len - 1] != '/')
			(*len)--;
		if (*len > floor)
			(*len)--; /* the '/' before the removed name */
		return 0;
	}
	if (*len + 1 + n + 1 > out_size)
		return -ENAMETOOLONG;
	out[(*len)++] = '/';
	memcpy(out + *len, name, n);
	*len += n;
	return 0;
}

static int path_push_all(char *out, size_t out_size, size_t *len, size_t floor, const char *p,
			 size_t n)
{
	size_t start = 0;
	int err;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		err = path_push(out, out_size, len, floor, p + start, i - start);
		if (err)
			return err;
		start = i + 1;
	}
	return 0;
}

static int path_finish(char *out, size_t len, int err)
{
	if (err)
		return err;
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return len;
}

int path_normalize(const char *base, size_t base_len, const char *rel, size_t rel_len, char *out,
		   size_t out_size)
{
	bool absolute = rel_len > 0 && rel[0] == '/';
	size_t len = 0;
	int err;

	if (out_size < 2)
		return -ENAMETOOLONG;
	if (!absolute) {
		err = path_push_all(out, out_size, &len, 0, base, base_len);
		if (err)
			return err;
	}
	err = path_push_all(out, out_size, &len, 0, rel, rel_len);
	return path_finish(out, len, err);
}

int path_normalize_in_root(const char *base, size_t base_len, const char *rel, size_t rel_len,
			   char *out, size_t out_size)
{
	size_t len = 0;
	int err;

	if (out_size < 2)
		return -ENAMETOOLONG;
	err = path_push_all(out, out_size, &len, 0, base, base_len);
	if (!err)
		err = path_push_all(out, out_size, &len, len, rel, rel_len);
	return path_finish(out, len, err);
}
