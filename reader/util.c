// SPDX-License-Identifier: GPL-2.0-only
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("tracerd: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("tracerd: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void sbuf_grow(struct sbuf *b, size_t more)
{
	char *s;

	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = (b->len + more + 1) * 2;
	s = realloc(b->s, b->cap);
	if (!s) {
		fputs("tracerd: out of memory\n", stderr);
		abort();
	}
	b->s = s;
}

void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	sbuf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_add(struct sbuf *b, const char *s)
{
	sbuf_addn(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_addn(b, &c, 1);
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sbuf_add_shell_word(struct sbuf *b, const char *s)
{
	const char *p;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "@%_+=:,./-") == strlen(s)) {
		sbuf_add(b, s);
		return;
	}
	sbuf_addc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			sbuf_add(b, "'\\''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			sbuf_printf(b, "\\x%02x", (unsigned char)*p);
		else
			sbuf_addc(b, *p);
	}
	sbuf_addc(b, '\'');
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t strmap_find(const struct strmap *m, const char *key)
{
	size_t i = hash_string(key) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void strmap_rehash(struct strmap *m)
{
	struct strmap bigger = { .cap = m->cap ? m->cap * 2 : 16 };
	size_t i, j;

	bigger.keys = xcalloc(bigger.cap, sizeof(char *));
	bigger.values = xcalloc(bigger.cap, sizeof(void *));
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		j = strmap_find(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
	}
	bigger.count = m->count;
	free(m->keys);
	free(m->values);
	*m = bigger;
}

void **strmap_slot(struct strmap *m, const char *key, bool *created)
{
	size_t i;

	if ((m->count + 1) * 4 > m->cap * 3)
		strmap_rehash(m);
	i = strmap_find(m, key);
	if (created)
		*created = !m->keys[i];
	if (!m->keys[i]) {
		m->keys[i] = xstrdup(key);
		m->values[i] = NULL;
		m->count++;
	}
	return &m->values[i];
}

void *strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = strmap_find(m, key);
	return m->keys[i] ? m->values[i] : NULL;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **strmap_sorted_keys(const struct strmap *m)
{
	const char **keys = xcalloc(m->count + 1, sizeof(char *));
	size_t i, n = 0;

	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			keys[n++] = m->keys[i];
	qsort(keys, n, sizeof(char *), compare_strings);
	return keys;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		if (free_value)
			free_value(m->values[i]);
		free(m->keys[i]);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

void strmap_count(struct strmap *m, const char *key, unsigned long n)
{
	void **slot = strmap_slot(m, key, NULL);

	*slot = (void *)((uintptr_t)*slot + n);
}

unsigned long strmap_counted(const struct strmap *m, const char *key)
{
	return (unsigned long)(uintptr_t)strmap_get(m, key);
}

const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool glob_match(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}
