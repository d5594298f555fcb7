// SPDX-License-Identifier: GPL-2.0-only
#include "dnscache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A job that resolves more names than this keeps the first ones; connects still appear. */
#define DNS_CACHE_MAX_ENTRIES (1u << 18)

struct dns_cache_entry {
	uint8_t key[17]; /* family byte + 16 address bytes; key[0] == 0: free */
	char *hostname;
};

struct dns_cache {
	struct dns_cache_entry *slots;
	size_t cap;
	size_t used;
};

int dns_cache_new(struct dns_cache **ret)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cap = 1024;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].hostname);
	free(c->slots);
	free(c);
}

/* IPv4-mapped IPv6 addresses are keyed as the IPv4 address they carry. */
static void dns_cache_key(int family, const uint8_t *addr, uint8_t key[17])
{
	static const uint8_t mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, 17);
	if (family == AF_INET6 && memcmp(addr, mapped_prefix, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	key[0] = family == AF_INET ? 4 : 6;
	memcpy(key + 1, addr, family == AF_INET ? 4 : 16);
}

static size_t dns_cache_hash(const uint8_t key[17])
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return h;
}

static struct dns_cache_entry *dns_cache_slot(struct dns_cache_entry *slots, size_t cap,
					      const uint8_t key[17])
{
	size_t i = dns_cache_hash(key) & (cap - 1);

	while (slots[i].key[0] && memcmp(slots[i].key, key, 17) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int dns_cache_grow(struct dns_cache *c)
{
	size_t cap = c->cap * 2;
	struct dns_cache_entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slots[i].key[0])
			*dns_cache_slot(slots, cap, c->slots[i].key) = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return 0;
}

void dns_cache_add(struct dns_cache *c, int family, const uint8_t *addr, const char *hostname)
{
	struct dns_cache_entry *e;
	uint8_t key[17];
	char *copy;

	dns_cache_key(family, addr, key);
	e = dns_cache_slot(c->slots, c->cap, key);
	if (!e->key[0]) {
		if (c->used >= DNS_CACHE_MAX_ENTRIES)
			return;
		if ((c->used + 1) * 2 > c->cap) {
			if (dns_cache_grow(c) < 0)
				return;
			e = dns_cache_slot(c->slots, c->cap, key);
		}
	} else if (strcmp(e->hostname, hostname) == 0) {
		return;
	}
	copy = strdup(hostname);
	if (!copy)
		return;
	if (!e->key[0]) {
		memcpy(e->key, key, sizeof(key));
		c->used++;
	}
	free(e->hostname);
	e->hostname = copy;
}

const char *dns_cache_lookup(const struct dns_cache *c, int family, const uint8_t *addr)
{
	struct dns_cache_entry *e;
	uint8_t key[17];

	dns_cache_key(family, addr, key);
	e = dns_cache_slot(c->slots, c->cap, key);
	return e->key[0] ? e->hostname : NULL;
}
