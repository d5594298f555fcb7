// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "normalize.h"

static const char *const temp_roots[] = { "/tmp/", "/var/tmp/", "/dev/shm/", NULL };

/* Rule 1: the length of a home prefix of path (0: none). */
static size_t home_prefix(const char *path)
{
	const char *end;

	if (strncmp(path, "/root", 5) == 0 && (path[5] == '/' || !path[5]))
		return 5;
	if (strncmp(path, "/home/", 6) == 0 && path[6] && path[6] != '/') {
		end = strchr(path + 6, '/');
		return end ? (size_t)(end - path) : strlen(path);
	}
	return 0;
}

static bool is_hex(char c)
{
	return isdigit((unsigned char)c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Rule 4 on one component [s, s+n). */
static void add_component(struct sbuf *out, const char *s, size_t n)
{
	size_t i = 0, j, k;
	bool digit, letter;

	while (i < n) {
		for (j = i, digit = letter = false; j < n && is_hex(s[j]); j++) {
			digit |= isdigit((unsigned char)s[j]) != 0;
			letter |= isalpha((unsigned char)s[j]) != 0;
		}
		if (j - i >= 8 && digit && letter &&
		    (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
			sbuf_addc(out, 'H');
			i = j;
			continue;
		}
		if (!isdigit((unsigned char)s[i])) {
			sbuf_addc(out, s[i++]);
			continue;
		}
		for (j = i; j < n && isdigit((unsigned char)s[j]); j++)
			;
		k = j;
		while (k + 1 < n && s[k] == '.' && isdigit((unsigned char)s[k + 1]))
			for (k++; k < n && isdigit((unsigned char)s[k]); k++)
				;
		/* A short number ending a word is part of its name: python3, e2e, x86_64. */
		if (k == j && j - i < 4 && i > 0 && isalpha((unsigned char)s[i - 1]))
			sbuf_addn(out, s + i, j - i);
		else
			sbuf_addc(out, k > j ? 'V' : 'N');
		i = k;
	}
}

/* Rule 3: a temporary name, as the length of the prefix to keep (-1: not temporary). */
static long temp_name_keep(const char *s, size_t n, bool under_temp_root)
{
	size_t i, j;
	bool digit = false;

	if (n >= 8 && strncmp(s, "tmp", 3) == 0)
		return 3;
	if (!under_temp_root)
		return -1;
	/* mkdtemp's suffix may hold '_': only '-' and '.' separate it from the prefix. */
	for (i = n; i > 0; i--)
		if (s[i - 1] == '-' || s[i - 1] == '.')
			break;
	for (j = i; j < n; j++)
		digit |= isdigit((unsigned char)s[j]) != 0;
	if (n - i < 6 || strspn(s + i, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_") != n - i)
		return -1;
	/* A whole name is random only if it holds a digit: /tmp/workspace is a name. */
	return i > 0 || digit ? (long)i : -1;
}

static size_t temp_root_len(const char *path)
{
	size_t i, n;

	for (i = 0; temp_roots[i]; i++) {
		n = strlen(temp_roots[i]);
		if (strncmp(path, temp_roots[i], n) == 0)
			return n;
	}
	return 0;
}

void normalize_path(struct sbuf *out, const char *path)
{
	size_t home = home_prefix(path), root = temp_root_len(path), n;
	const char *p = path, *end;
	long keep;

	if (home) {
		sbuf_addc(out, '~');
		p += home;
	}
	while (*p) {
		if (*p == '/') {
			sbuf_addc(out, *p++);
			continue;
		}
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (p - path == 6 && strncmp(path, "/proc/", 6) == 0 &&
		    strspn(p, "0123456789") == n) {
			sbuf_add(out, "PID");
		} else if ((keep = temp_name_keep(p, n, root && p - path == (long)root)) >= 0) {
			add_component(out, p, (size_t)keep);
			sbuf_addc(out, '*');
		} else {
			add_component(out, p, n);
		}
		p = end;
	}
}
