/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Address -> hostname, from the DNS answers the traced processes received, so that a
 * connection to 104.16.23.35 reads as one to registry.npmjs.org.
 */
#ifndef TRACERD_DNSCACHE_H
#define TRACERD_DNSCACHE_H

#include <stdint.h>

/*
 * A job that resolves more addresses than this keeps the first ones (their hostnames
 * still follow later answers); connects to the others still appear, without a hostname.
 * 2^18 entries take 16 MiB of slots at most.
 */
#define DNS_CACHE_MAX_ENTRIES (1u << 18)

struct dns_cache;

int dns_cache_new(struct dns_cache **ret);
void dns_cache_free(struct dns_cache *c);

/*
 * Remembers that addr (4 or 16 bytes by family) was an answer for hostname: 0, -ENOSPC
 * for a new address when DNS_CACHE_MAX_ENTRIES are kept already, -ENOMEM.
 */
int dns_cache_add(struct dns_cache *c, int family, const uint8_t *addr, const char *hostname);

/* The last hostname whose answer held addr, or NULL. IPv4-mapped IPv6 is looked up as IPv4. */
const char *dns_cache_lookup(const struct dns_cache *c, int family, const uint8_t *addr);

#endif
