/* SPDX-License-Identifier: GPL-2.0-only */
/* format.c: open flags, addresses, families and DNS types as the trace spells them. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

/* The kernel's values, as the BPF side reports them (see format.c). */
#include <asm/fcntl.h>

#include "format.h"

static void assert_flags(uint32_t flags, const char *expected)
{
	char buf[512];
	int n = format_open_flags(flags, buf, sizeof(buf));

	assert_string_equal(buf, expected);
	assert_int_equal(n, strlen(expected));
}

static void test_access_mode_first(void **state)
{
	assert_flags(O_RDONLY, "O_RDONLY");
	assert_flags(O_WRONLY, "O_WRONLY");
	assert_flags(O_RDWR, "O_RDWR");
	assert_flags(O_ACCMODE, "O_ACCMODE");
	assert_flags(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	assert_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
	assert_flags(O_TRUNC | O_CREAT | O_WRONLY, "O_WRONLY|O_CREAT|O_TRUNC");
	assert_flags(O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, "O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC");
	assert_flags(O_WRONLY | O_CREAT | O_APPEND, "O_WRONLY|O_CREAT|O_APPEND");
	assert_flags(O_ACCMODE | O_CREAT, "O_ACCMODE|O_CREAT");
}

static void test_single_flags(void **state)
{
	assert_flags(O_NOCTTY, "O_RDONLY|O_NOCTTY");
	assert_flags(O_NONBLOCK, "O_RDONLY|O_NONBLOCK");
	assert_flags(O_DSYNC, "O_RDONLY|O_DSYNC");
	assert_flags(FASYNC, "O_RDONLY|O_ASYNC");
	assert_flags(O_DIRECT, "O_RDONLY|O_DIRECT");
	assert_flags(O_LARGEFILE, "O_RDONLY|O_LARGEFILE");
	assert_flags(O_DIRECTORY, "O_RDONLY|O_DIRECTORY");
	assert_flags(O_NOFOLLOW, "O_RDONLY|O_NOFOLLOW");
	assert_flags(O_NOATIME, "O_RDONLY|O_NOATIME");
	assert_flags(O_PATH, "O_RDONLY|O_PATH");
}

#ifdef __x86_64__
/*
 * Bit order, and so name order, depends on the architecture (O_DIRECT and O_DIRECTORY
 * swap places on arm64): these pin x86_64.
 */

/* What openat(2) of "ls ." looks like from the kernel. */
static void test_typical_kernel_values(void **state)
{
	assert_flags(O_RDONLY | O_NONBLOCK | O_LARGEFILE | O_DIRECTORY | O_CLOEXEC,
		     "O_RDONLY|O_NONBLOCK|O_LARGEFILE|O_DIRECTORY|O_CLOEXEC");
	assert_flags(O_PATH | O_NOFOLLOW | O_CLOEXEC, "O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH");
}

static void test_every_flag(void **state)
{
	assert_flags(
		0xffffffff,
		"O_ACCMODE|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_ASYNC|O_DIRECT|"
		"O_LARGEFILE|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_SYNC|O_PATH|O_TMPFILE|0xff80003c");
}

/* The numbers themselves, so a header change cannot silently move them. */
static void test_x86_64_numbers(void **state)
{
	assert_flags(0x8000, "O_RDONLY|O_LARGEFILE");
	assert_flags(0x80241, "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	assert_flags(0x98800, "O_RDONLY|O_NONBLOCK|O_LARGEFILE|O_DIRECTORY|O_CLOEXEC");
	assert_flags(0x410002, "O_RDWR|O_TMPFILE");
	assert_flags(0x101001, "O_WRONLY|O_SYNC");
	assert_flags(0x4000, "O_RDONLY|O_DIRECT");
	assert_flags(0x10000, "O_RDONLY|O_DIRECTORY");
}
#endif

static void test_composite_flags(void **state)
{
	/* O_TMPFILE includes O_DIRECTORY's bit; it is named once, as itself. */
	assert_flags(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	assert_flags(O_WRONLY | O_TMPFILE | O_EXCL | O_CLOEXEC,
		     "O_WRONLY|O_EXCL|O_CLOEXEC|O_TMPFILE");
	/* O_SYNC includes O_DSYNC's bit. */
	assert_flags(O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC");
	assert_flags(O_WRONLY | O_CREAT | O_SYNC | O_CLOEXEC, "O_WRONLY|O_CREAT|O_CLOEXEC|O_SYNC");
	assert_flags(O_RDWR | O_SYNC | O_TMPFILE, "O_RDWR|O_SYNC|O_TMPFILE");
	/*
	 * Half a composite (a raw open(2) can pass it, and a failed open is traced too): the
	 * private bit has no O_ name of its own, so it is written in hex.
	 */
	assert_flags(O_RDWR | __O_TMPFILE, "O_RDWR|0x400000");
	assert_flags(O_WRONLY | __O_SYNC, "O_WRONLY|0x100000");
}

static void test_unknown_bits_as_hex(void **state)
{
	assert_flags(0x40000000, "O_RDONLY|0x40000000");
	assert_flags(0xc0000000 | O_WRONLY | O_CREAT, "O_WRONLY|O_CREAT|0xc0000000");
	assert_flags(0xff000000, "O_RDONLY|0xff000000");
}

static void test_io_uring_setup_flags(void **state)
{
	char buf[512];

	assert_int_equal(format_io_uring_setup_flags(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_true(format_io_uring_setup_flags(1 << 1, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "IORING_SETUP_SQPOLL");
	format_io_uring_setup_flags(1 << 0 | 1 << 12 | 1 << 13, buf, sizeof(buf));
	assert_string_equal(
		buf, "IORING_SETUP_IOPOLL|IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN");
	format_io_uring_setup_flags(1 << 18 | 1 << 19 | 1u << 31, buf, sizeof(buf));
	assert_string_equal(buf, "IORING_SETUP_CQE_MIXED|0x80080000");
	format_io_uring_setup_flags(1 << 20, buf, sizeof(buf));
	assert_string_equal(buf, "0x100000");
	assert_int_equal(format_io_uring_setup_flags(1 << 1, buf, 19), -ENOSPC);
}

static void test_flags_buffer_too_small(void **state)
{
	char buf[32];

	memset(buf, 'X', sizeof(buf));
	/* "O_WRONLY|O_CREAT" is 16 characters: 17 bytes fit, 16 do not. */
	assert_int_equal(format_open_flags(O_WRONLY | O_CREAT, buf, 17), 16);
	assert_string_equal(buf, "O_WRONLY|O_CREAT");
	assert_int_equal(format_open_flags(O_WRONLY | O_CREAT, buf, 16), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(format_open_flags(0x40000000, buf, 12), -ENOSPC);
	assert_int_equal(format_open_flags(0, buf, 0), -ENOSPC);
	assert_int_equal(format_open_flags(0, NULL, 0), -ENOSPC);
}

/* The last flags' text is reused: the same flags again, others, then back, stay exact. */
static void test_flags_repeated(void **state)
{
	for (int i = 0; i < 3; i++) {
		assert_flags(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
		assert_flags(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
		assert_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
		assert_flags(0x40000000, "O_RDONLY|0x40000000");
	}
}

static void assert_addr6(const char *text, const char *expected)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t addr[16];

	assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
	assert_int_equal(format_addr(AF_INET6, addr, buf, sizeof(buf)), strlen(expected));
	assert_string_equal(buf, expected);
}

static void assert_addr4(const uint8_t addr[4], const char *expected)
{
	char buf[INET_ADDRSTRLEN];

	assert_int_equal(format_addr(AF_INET, addr, buf, sizeof(buf)), strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_ipv4(void **state)
{
	assert_addr4((const uint8_t[]){ 127, 0, 0, 1 }, "127.0.0.1");
	assert_addr4((const uint8_t[]){ 0, 0, 0, 0 }, "0.0.0.0");
	assert_addr4((const uint8_t[]){ 255, 255, 255, 255 }, "255.255.255.255");
	assert_addr4((const uint8_t[]){ 140, 82, 112, 3 }, "140.82.112.3");
}

static void test_ipv6(void **state)
{
	assert_addr6("::1", "::1");
	assert_addr6("::", "::");
	assert_addr6("2001:db8::1", "2001:db8::1");
	assert_addr6("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	assert_addr6("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6");
	assert_addr6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	assert_addr6("fe80::1:2", "fe80::1:2");
	assert_addr6("1::", "1::");
	assert_addr6("2606:4700:4700::1111", "2606:4700:4700::1111");
}

static void test_ipv4_mapped_shown_as_ipv4(void **state)
{
	assert_addr6("::ffff:127.0.0.1", "127.0.0.1");
	assert_addr6("::ffff:140.82.112.3", "140.82.112.3");
	assert_addr6("::ffff:0.0.0.0", "0.0.0.0");
	/* Not mapped: a different prefix stays IPv6. */
	assert_addr6("::fffe:7f00:1", "::fffe:7f00:1");
	assert_addr6("64:ff9b::7f00:1", "64:ff9b::7f00:1");
}

static void test_addr_errors(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	char buf[64];

	assert_int_equal(format_addr(AF_UNIX, v6, buf, sizeof(buf)), -EAFNOSUPPORT);
	assert_int_equal(format_addr(AF_INET6, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(format_addr(AF_INET6, v6, NULL, 0), -EINVAL);
	/* "2001:db8::1" is 11 characters. */
	assert_int_equal(format_addr(AF_INET6, v6, buf, 11), -ENOSPC);
	assert_int_equal(format_addr(AF_INET6, v6, buf, 12), 11);
	assert_string_equal(buf, "2001:db8::1");
	/* A mapped address only needs room for its IPv4 form. */
	assert_int_equal(format_addr(AF_INET6, mapped, buf, 9), 8);
	assert_string_equal(buf, "10.0.0.1");
}

static void test_family(void **state)
{
	assert_string_equal(format_family(AF_INET), "inet");
	assert_string_equal(format_family(AF_INET6), "inet6");
	assert_null(format_family(AF_UNIX));
	assert_null(format_family(AF_UNSPEC));
	assert_null(format_family(-1));
}

static void assert_qtype(uint16_t qtype, const char *expected)
{
	char buf[16];

	assert_int_equal(format_dns_qtype(qtype, buf, sizeof(buf)), strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_dns_qtypes(void **state)
{
	assert_qtype(1, "A");
	assert_qtype(2, "NS");
	assert_qtype(5, "CNAME");
	assert_qtype(6, "SOA");
	assert_qtype(12, "PTR");
	assert_qtype(15, "MX");
	assert_qtype(16, "TXT");
	assert_qtype(28, "AAAA");
	assert_qtype(33, "SRV");
	assert_qtype(35, "NAPTR");
	assert_qtype(43, "DS");
	assert_qtype(46, "RRSIG");
	assert_qtype(47, "NSEC");
	assert_qtype(48, "DNSKEY");
	assert_qtype(64, "SVCB");
	assert_qtype(65, "HTTPS");
	assert_qtype(252, "AXFR");
	assert_qtype(255, "ANY");
	assert_qtype(257, "CAA");
}

static void test_dns_qtype_unknown(void **state)
{
	char buf[16];

	assert_qtype(0, "TYPE0");
	assert_qtype(3, "TYPE3");
	assert_qtype(65280, "TYPE65280");
	assert_qtype(65535, "TYPE65535");
	assert_int_equal(format_dns_qtype(28, buf, 4), -ENOSPC);
	assert_int_equal(format_dns_qtype(28, buf, 5), 4);
	assert_int_equal(format_dns_qtype(65535, buf, 9), -ENOSPC);
	assert_int_equal(format_dns_qtype(65535, buf, 10), 9);
	assert_string_equal(buf, "TYPE65535");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_mode_first),
		cmocka_unit_test(test_single_flags),
#ifdef __x86_64__
		cmocka_unit_test(test_typical_kernel_values),
		cmocka_unit_test(test_every_flag),
		cmocka_unit_test(test_x86_64_numbers),
#endif
		cmocka_unit_test(test_composite_flags),
		cmocka_unit_test(test_unknown_bits_as_hex),
		cmocka_unit_test(test_io_uring_setup_flags),
		cmocka_unit_test(test_flags_buffer_too_small),
		cmocka_unit_test(test_flags_repeated),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv4_mapped_shown_as_ipv4),
		cmocka_unit_test(test_addr_errors),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_dns_qtypes),
		cmocka_unit_test(test_dns_qtype_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
