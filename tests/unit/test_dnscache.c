// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dnscache.h"

static int setup(void **state)
{
	struct dns_cache *c;

	if (dns_cache_new(&c) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	dns_cache_free(*state);
	return 0;
}

static void add(struct dns_cache *c, const char *addr, const char *name)
{
	uint8_t buf[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, addr, buf), 1);
	assert_int_equal(dns_cache_add(c, family, buf, name), 0);
}

static const char *lookup(struct dns_cache *c, const char *addr)
{
	uint8_t buf[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, addr, buf), 1);
	return dns_cache_lookup(c, family, buf);
}

static void test_ipv4_and_ipv6(void **state)
{
	struct dns_cache *c = *state;

	add(c, "104.16.23.35", "registry.npmjs.org");
	add(c, "2606:4700::6810:1723", "registry.npmjs.org");
	assert_string_equal(lookup(c, "104.16.23.35"), "registry.npmjs.org");
	assert_string_equal(lookup(c, "2606:4700::6810:1723"), "registry.npmjs.org");
	assert_null(lookup(c, "104.16.23.36"));
	assert_null(lookup(c, "2606:4700::6810:1724"));
}

static void test_mapped_ipv6_finds_ipv4(void **state)
{
	struct dns_cache *c = *state;

	add(c, "10.1.2.3", "internal.example");
	assert_string_equal(lookup(c, "::ffff:10.1.2.3"), "internal.example");
	add(c, "::ffff:10.9.9.9", "mapped.example");
	assert_string_equal(lookup(c, "10.9.9.9"), "mapped.example");
}

static void test_last_answer_wins(void **state)
{
	struct dns_cache *c = *state;

	add(c, "1.2.3.4", "first.example");
	add(c, "1.2.3.4", "second.example");
	assert_string_equal(lookup(c, "1.2.3.4"), "second.example");
}

static void test_many_entries_survive_growth(void **state)
{
	struct dns_cache *c = *state;
	char addr[32], name[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		snprintf(name, sizeof(name), "host%d.example", i);
		add(c, addr, name);
	}
	for (int i = 0; i < 5000; i += 37) {
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		snprintf(name, sizeof(name), "host%d.example", i);
		assert_string_equal(lookup(c, addr), name);
	}
}

/* The address of entry i: 10.x.y.z, i in 24 bits. */
static int add_nth(struct dns_cache *c, uint32_t i, const char *name)
{
	uint8_t addr[4] = { 10, i >> 16, i >> 8, i };

	return dns_cache_add(c, AF_INET, addr, name);
}

static const char *lookup_nth(struct dns_cache *c, uint32_t i)
{
	uint8_t addr[4] = { 10, i >> 16, i >> 8, i };

	return dns_cache_lookup(c, AF_INET, addr);
}

/*
 * At DNS_CACHE_MAX_ENTRIES addresses, a new address is refused (-ENOSPC) and not found;
 * the addresses kept still take the name of their latest answer, in both families.
 */
static void test_entry_cap(void **state)
{
	struct dns_cache *c = *state;
	uint32_t i;

	for (i = 0; i < DNS_CACHE_MAX_ENTRIES - 1; i++)
		assert_int_equal(add_nth(c, i, "kept.example"), 0);
	/* The last one that fits: an IPv6 address, so that both families count. */
	add(c, "2001:db8::1", "v6.example");
	assert_int_equal(add_nth(c, i, "over.example"), -ENOSPC);
	assert_null(lookup_nth(c, i));
	assert_int_equal(add_nth(c, i + 1, "over.example"), -ENOSPC);
	assert_null(lookup_nth(c, i + 1));
	/* IPv4-mapped is the IPv4 entry, not a new one. */
	add(c, "::ffff:10.0.0.7", "renamed.example");
	assert_string_equal(lookup_nth(c, 7), "renamed.example");
	assert_int_equal(add_nth(c, 0, "kept.example"), 0);
	add(c, "2001:db8::1", "v6-renamed.example");
	assert_string_equal(lookup(c, "2001:db8::1"), "v6-renamed.example");
	assert_string_equal(lookup_nth(c, 0), "kept.example");
	assert_string_equal(lookup_nth(c, DNS_CACHE_MAX_ENTRIES - 2), "kept.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ipv4_and_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_ipv6_finds_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_answer_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_entries_survive_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_cap, setup, teardown),
	};

	return cmocka_run_group_tests_name("dnscache", tests, NULL, NULL);
}
