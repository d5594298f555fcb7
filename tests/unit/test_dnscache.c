// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
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
	dns_cache_add(c, family, buf, name);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ipv4_and_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_ipv6_finds_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_answer_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_entries_survive_growth, setup, teardown),
	};

	return cmocka_run_group_tests_name("dnscache", tests, NULL, NULL);
}
