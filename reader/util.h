/* SPDX-License-Identifier: GPL-2.0-only */
/* The reader's small tools: a growable string, a string-keyed hash map, path helpers. */
#ifndef READER_UTIL_H
#define READER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* A growable NUL-terminated string. Allocation failure aborts: the reader is a CLI. */
struct sbuf {
	char *s;
	size_t len, cap;
};

void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_addc(struct sbuf *b, char c);
__attribute__((format(printf, 2, 3))) void sbuf_printf(struct sbuf *b, const char *fmt, ...);
/* Adds s, quoted for a shell when it holds anything but safe characters. */
void sbuf_add_shell_word(struct sbuf *b, const char *s);
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);

/* Open-addressing hash map from strings (copied) to pointers. */
struct strmap {
	char **keys;
	void **values;
	size_t cap, count;
};

/* The value slot of key, inserted (value NULL, *created true) when missing. */
void **strmap_slot(struct strmap *m, const char *key, bool *created);
void *strmap_get(const struct strmap *m, const char *key);
/* Keys in strcmp order, NULL-terminated; free() the array only. */
const char **strmap_sorted_keys(const struct strmap *m);
void strmap_free(struct strmap *m, void (*free_value)(void *));
/* A counter map: value is the count itself, stored in the pointer. */
void strmap_count(struct strmap *m, const char *key, unsigned long n);
unsigned long strmap_counted(const struct strmap *m, const char *key);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* The last component of a path ("" stays ""). */
const char *path_base(const char *path);
/* fnmatch with FNM_PATHNAME off, so that '*' crosses '/'; "**" is the same as '*'. */
bool glob_match(const char *pattern, const char *s);

#endif
