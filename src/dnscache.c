// SPDX-License-Identifier: GPL-2.0-only
#include "dnscache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format.h"
#include "table.h"

#define DNS_CACHE_INITIAL_SLOTS 1024
#define IPV4_LEN 4
#define IPV6_LEN 16

/* The address, zero-padded, then 4 or 6: never all zero, as open_table wants. */
struct dns_cache_key {
	uint8_t addr[IPV6_LEN];
	uint32_t version;
	uint32_t zero;
};

struct dns_cache_entry {
	struct dns_cache_key key;
	char *hostname;
};

struct dns_cache {
	struct open_table entries;
};

int dns_cache_new(struct dns_cache **ret)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	err = open_table_init(&c->entries, sizeof(struct dns_cache_entry),
			      sizeof(struct dns_cache_key), DNS_CACHE_INITIAL_SLOTS,
			      DNS_CACHE_MAX_ENTRIES);
	if (err) {
		free(c);
		return err;
	}
	*ret = c;
	return 0;
}

void dns_cache_free(struct dns_cache *c)
{
	struct dns_cache_entry *e;
	size_t pos = 0;

	if (!c)
		return;
	while ((e = open_table_next(&c->entries, &pos)))
		free(e->hostname);
	open_table_fini(&c->entries);
	free(c);
}

/* IPv4-mapped IPv6 addresses are keyed as the IPv4 address they carry. */
static void dns_cache_key(int family, const uint8_t *addr, struct dns_cache_key *key)
{
	memset(key, 0, sizeof(*key));
	addr = addr_unmap_ipv4(&family, addr);
	key->version = family == AF_INET ? 4 : 6;
	memcpy(key->addr, addr, family == AF_INET ? IPV4_LEN : IPV6_LEN);
}

int dns_cache_add(struct dns_cache *c, int family, const uint8_t *addr, const char *hostname)
{
	struct dns_cache_entry *e;
	struct dns_cache_key key;
	char *copy;
	int ret;

	dns_cache_key(family, addr, &key);
	e = open_table_find(&c->entries, &key, sizeof(key));
	if (e && strcmp(e->hostname, hostname) == 0)
		return 0;
	/* The copy first: an entry is never left without a hostname. */
	copy = strdup(hostname);
	if (!copy)
		return -ENOMEM;
	ret = open_table_insert(&c->entries, &key, (void **)&e);
	if (ret < 0) {
		free(copy);
		return ret;
	}
	free(e->hostname);
	e->hostname = copy;
	return 0;
}

const char *dns_cache_lookup(const struct dns_cache *c, int family, const uint8_t *addr)
{
	const struct dns_cache_entry *e;
	struct dns_cache_key key;

	dns_cache_key(family, addr, &key);
	e = open_table_find(&c->entries, &key, sizeof(key));
	return e ? e->hostname : NULL;
}
