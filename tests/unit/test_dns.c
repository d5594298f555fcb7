/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dns.c on hand-built messages: well-formed questions and answers, every way a name can
 * be malformed, and random corruption of valid messages (which must never crash).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns.h"

#define TYPE_A 1
#define TYPE_NS 2
#define TYPE_CNAME 5
#define TYPE_MX 15
#define TYPE_TXT 16
#define TYPE_AAAA 28
#define CLASS_IN 1
#define CLASS_CH 3

#define FLAGS_QUERY 0x0100 /* RD */
#define FLAGS_RESPONSE 0x8180 /* QR RD RA */

struct packet {
	uint8_t bytes[2048];
	size_t len;
};

static void put8(struct packet *p, uint8_t v)
{
	assert_true(p->len < sizeof(p->bytes));
	p->bytes[p->len++] = v;
}

static void put16(struct packet *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct packet *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void put_bytes(struct packet *p, const void *data, size_t len)
{
	assert_true(len <= sizeof(p->bytes) - p->len);
	memcpy(p->bytes + p->len, data, len);
	p->len += len;
}

/* Labels of a dotted name (no escapes), then the root label. */
static void put_name(struct packet *p, const char *dotted)
{
	const char *label = dotted, *dot;

	while (*label) {
		dot = strchr(label, '.');
		if (!dot)
			dot = label + strlen(label);
		put8(p, (uint8_t)(dot - label));
		put_bytes(p, label, (size_t)(dot - label));
		label = *dot ? dot + 1 : dot;
	}
	put8(p, 0);
}

static void put_pointer(struct packet *p, uint16_t offset)
{
	put16(p, (uint16_t)(0xc000 | offset));
}

static void put_header(struct packet *p, uint16_t id, uint16_t flags, uint16_t qdcount,
		       uint16_t ancount)
{
	p->len = 0;
	put16(p, id);
	put16(p, flags);
	put16(p, qdcount);
	put16(p, ancount);
	put16(p, 0);
	put16(p, 0);
}

static void put_question(struct packet *p, const char *name, uint16_t type)
{
	put_name(p, name);
	put16(p, type);
	put16(p, CLASS_IN);
}

/* A record whose owner is the question name (offset 12), the usual compression. */
static void put_rr(struct packet *p, uint16_t type, uint16_t class, uint32_t ttl, const void *rdata,
		   uint16_t rdlength)
{
	put_pointer(p, 12);
	put16(p, type);
	put16(p, class);
	put32(p, ttl);
	put16(p, rdlength);
	put_bytes(p, rdata, rdlength);
}

static void build_query(struct packet *p, const char *name, uint16_t type)
{
	put_header(p, 0x1234, FLAGS_QUERY, 1, 0);
	put_question(p, name, type);
}

static int parse(const struct packet *p, struct dns_question *q)
{
	memset(q, 0x55, sizeof(*q));
	return dns_parse_question(p->bytes, p->len, q);
}

static void test_a_question(void **state)
{
	struct dns_question q;
	struct packet p;

	build_query(&p, "www.example.com", TYPE_A);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_false(q.is_response);
	assert_int_equal(q.qtype, TYPE_A);
	assert_int_equal(q.qclass, CLASS_IN);
	assert_string_equal(q.name, "www.example.com");
}

static void test_aaaa_and_txt_questions(void **state)
{
	struct dns_question q;
	struct packet p;

	build_query(&p, "registry.npmjs.org", TYPE_AAAA);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(q.qtype, TYPE_AAAA);
	assert_string_equal(q.name, "registry.npmjs.org");

	/* DNS tunnelling looks like this: long random labels, TXT answers. */
	build_query(&p, "aGVsbG8gd29ybGQ.t.exfil.example", TYPE_TXT);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(q.qtype, TYPE_TXT);
	assert_string_equal(q.name, "aGVsbG8gd29ybGQ.t.exfil.example");
}

static void test_response_flag_and_case(void **state)
{
	struct dns_question q;
	struct packet p;

	put_header(&p, 0xbeef, FLAGS_RESPONSE, 1, 0);
	put_question(&p, "WwW.ExAmPlE.CoM", TYPE_A);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(q.id, 0xbeef);
	assert_true(q.is_response);
	/* 0x20-randomised case is kept as sent. */
	assert_string_equal(q.name, "WwW.ExAmPlE.CoM");
}

static void test_root_name(void **state)
{
	struct dns_question q;
	struct packet p;

	build_query(&p, "", TYPE_NS);
	assert_int_equal(parse(&p, &q), 0);
	assert_string_equal(q.name, ".");
	assert_int_equal(q.qtype, TYPE_NS);
}

static void test_label_escaping(void **state)
{
	static const uint8_t label[] = { 'a', '.', 'b', '\\', ' ', 0, 0xff, '"', 0x7f, '~', '!' };
	struct dns_question q;
	struct packet p;

	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put8(&p, sizeof(label));
	put_bytes(&p, label, sizeof(label));
	put8(&p, 3);
	put_bytes(&p, "com", 3);
	put8(&p, 0);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), 0);
	assert_string_equal(q.name, "a\\.b\\\\\\032\\000\\255\"\\127~!.com");
}

static void test_longest_name(void **state)
{
	char label[64], name[300], expected[300];
	struct dns_question q;
	struct packet p;

	memset(label, 'a', 63);
	label[63] = '\0';
	/* 3 * (1 + 63) + (1 + 61) + 1 = 255 bytes on the wire: the limit. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	build_query(&p, name, TYPE_A);
	assert_int_equal(p.len, 12 + 255 + 4);
	assert_int_equal(parse(&p, &q), 0);
	strcpy(expected, name);
	assert_string_equal(q.name, expected);
	assert_int_equal(strlen(q.name), 253);

	/* One byte more is too long. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label, label);
	build_query(&p, name, TYPE_A);
	assert_int_equal(parse(&p, &q), -EINVAL);
}

/* The worst case for escaping: every byte becomes \DDD, and the result still fits. */
static void test_longest_escaped_name(void **state)
{
	struct dns_question q;
	struct packet p;
	int i;

	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	for (i = 0; i < 3; i++) {
		put8(&p, 63);
		for (int j = 0; j < 63; j++)
			put8(&p, 0xff);
	}
	put8(&p, 61);
	for (i = 0; i < 61; i++)
		put8(&p, 0x01);
	put8(&p, 0);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(strlen(q.name), 253 * 4 - 3 * 3);
	assert_memory_equal(q.name, "\\255\\255", 8);
	assert_string_equal(q.name + strlen(q.name) - 8, "\\001\\001");
}

static void test_label_length_top_bits(void **state)
{
	struct dns_question q;
	struct packet p;

	/* 64 (0x40) and 128 (0x80) are not lengths: 01 and 10 in the top bits. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put8(&p, 64);
	for (int i = 0; i < 64; i++)
		put8(&p, 'a');
	put8(&p, 0);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), -EINVAL);

	p.bytes[12] = 0x80;
	assert_int_equal(parse(&p, &q), -EINVAL);
	p.bytes[12] = 0xbf;
	assert_int_equal(parse(&p, &q), -EINVAL);

	/* 63 is the longest label. */
	p.bytes[12] = 63;
	p.bytes[12 + 64] = 0;
	p.len = 12 + 65;
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), 0);
	assert_int_equal(strlen(q.name), 63);
}

static void test_truncated(void **state)
{
	struct dns_question q;
	struct packet p;
	size_t full;

	assert_int_equal(dns_parse_question(NULL, 0, &q), -EINVAL);
	build_query(&p, "example.com", TYPE_A);
	full = p.len;
	assert_int_equal(dns_parse_question(p.bytes, full, NULL), -EINVAL);
	assert_int_equal(dns_parse_question(p.bytes, 0, &q), -EINVAL);
	/* Header cut short. */
	assert_int_equal(dns_parse_question(p.bytes, 11, &q), -EINVAL);
	assert_int_equal(dns_parse_question(p.bytes, 12, &q), -EINVAL);
	/* Inside a label, before the root label, inside qtype/qclass. */
	for (p.len = 13; p.len < full; p.len++)
		assert_int_equal(parse(&p, &q), -EINVAL);
	p.len = full;
	assert_int_equal(parse(&p, &q), 0);
	assert_string_equal(q.name, "example.com");
}

static void test_label_longer_than_message(void **state)
{
	struct dns_question q;
	struct packet p;

	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put8(&p, 10);
	put_bytes(&p, "short", 5);
	assert_int_equal(parse(&p, &q), -EINVAL);
}

static void test_qdcount_zero(void **state)
{
	struct dns_question q;
	struct packet p;

	put_header(&p, 1, FLAGS_QUERY, 0, 0);
	put_question(&p, "example.com", TYPE_A);
	assert_int_equal(parse(&p, &q), -EINVAL);
}

static void test_bad_pointers_in_question(void **state)
{
	struct dns_question q;
	struct packet p;

	/* Forward: to a valid name that comes later. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put_pointer(&p, 18);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	put_name(&p, "evil.example");
	assert_int_equal(parse(&p, &q), -EINVAL);

	/* To itself. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put_pointer(&p, 12);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), -EINVAL);

	/* Into the header. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put_pointer(&p, 4);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), -EINVAL);

	/* A loop: "a" then a pointer back to "a", forever. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put8(&p, 1);
	put8(&p, 'a');
	put_pointer(&p, 12);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	assert_int_equal(parse(&p, &q), -EINVAL);

	/* A pointer cut in half at the end of the message. */
	put_header(&p, 1, FLAGS_QUERY, 1, 0);
	put8(&p, 1);
	put8(&p, 'a');
	put8(&p, 0xc0);
	assert_int_equal(parse(&p, &q), -EINVAL);
}

static int parse_answers(const struct packet *p, struct dns_answer *answers, size_t max,
			 size_t *count)
{
	struct dns_question q;

	memset(&q, 0x55, sizeof(q));
	return dns_parse_answers(p->bytes, p->len, &q, answers, max, count);
}

static const uint8_t addr_a1[4] = { 93, 184, 216, 34 };
static const uint8_t addr_a2[4] = { 140, 82, 112, 3 };
static const uint8_t addr_aaaa[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
				       0,    0,	   0,	 0,    0,    0,	   0,	 1 };

/* example.com CNAME edge.example.net, then addresses and records to ignore. */
static void build_mixed_response(struct packet *p)
{
	struct packet cname = { .len = 0 };

	put_header(p, 0x4242, FLAGS_RESPONSE, 1, 7);
	put_question(p, "example.com", TYPE_A);
	/* CNAME rdata: "edge" + pointer to "com" in the question (offset 12 + 8). */
	put8(&cname, 4);
	put_bytes(&cname, "edge", 4);
	put_pointer(&cname, 20);
	put_rr(p, TYPE_CNAME, CLASS_IN, 60, cname.bytes, (uint16_t)cname.len);
	put_rr(p, TYPE_A, CLASS_IN, 300, addr_a1, 4);
	put_rr(p, TYPE_TXT, CLASS_IN, 5, "\x05hello", 6);
	put_rr(p, TYPE_AAAA, CLASS_IN, 3600, addr_aaaa, 16);
	/* Class CH (chaosnet) records are not internet addresses. */
	put_rr(p, TYPE_A, CLASS_CH, 1, addr_a2, 4);
	put_rr(p, TYPE_MX, CLASS_IN, 7, "\x00\x0a\xc0\x0c", 4);
	/* Owner "www" + pointer to the question name: compression in an owner name. */
	put8(p, 3);
	put_bytes(p, "www", 3);
	put_pointer(p, 12);
	put16(p, TYPE_A);
	put16(p, CLASS_IN);
	put32(p, 0xffffffff);
	put16(p, 4);
	put_bytes(p, addr_a2, 4);
}

static void test_answers_mixed(void **state)
{
	struct dns_answer answers[DNS_ANSWERS_MAX];
	struct dns_question q;
	struct packet p;
	size_t count = 99;

	build_mixed_response(&p);
	memset(answers, 0x55, sizeof(answers));
	assert_int_equal(dns_parse_answers(p.bytes, p.len, &q, answers, DNS_ANSWERS_MAX, &count),
			 0);
	assert_int_equal(q.id, 0x4242);
	assert_true(q.is_response);
	assert_string_equal(q.name, "example.com");
	assert_int_equal(q.qtype, TYPE_A);
	assert_int_equal(count, 3);

	assert_int_equal(answers[0].family, AF_INET);
	assert_memory_equal(answers[0].addr, addr_a1, 4);
	assert_memory_equal(answers[0].addr + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);

	assert_int_equal(answers[1].family, AF_INET6);
	assert_memory_equal(answers[1].addr, addr_aaaa, 16);

	assert_int_equal(answers[2].family, AF_INET);
	assert_memory_equal(answers[2].addr, addr_a2, 4);
}

static void test_answers_max(void **state)
{
	struct dns_answer answers[2];
	struct packet p;
	size_t count = 99;

	build_mixed_response(&p);
	assert_int_equal(parse_answers(&p, answers, 2, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(answers[1].family, AF_INET6);

	assert_int_equal(parse_answers(&p, NULL, 0, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(parse_answers(&p, NULL, 1, &count), -EINVAL);
	assert_int_equal(parse_answers(&p, answers, 2, NULL), -EINVAL);
}

static void test_answers_need_a_response(void **state)
{
	struct dns_answer answers[4];
	struct packet p;
	size_t count = 99;

	build_query(&p, "example.com", TYPE_A);
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);
	assert_int_equal(count, 0);
}

static void test_answers_empty(void **state)
{
	struct dns_answer answers[4];
	struct packet p;
	size_t count = 99;

	/* NXDOMAIN: no answer records. */
	put_header(&p, 7, FLAGS_RESPONSE | 3, 1, 0);
	put_question(&p, "nope.example", TYPE_AAAA);
	assert_int_equal(parse_answers(&p, answers, 4, &count), 0);
	assert_int_equal(count, 0);
}

static void test_answers_malformed(void **state)
{
	struct dns_answer answers[4];
	struct packet p;
	size_t count, full;

	/* An A record must hold 4 bytes, an AAAA record 16. */
	put_header(&p, 7, FLAGS_RESPONSE, 1, 1);
	put_question(&p, "example.com", TYPE_A);
	put_rr(&p, TYPE_A, CLASS_IN, 1, "\1\2\3\4\5", 5);
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);
	put_header(&p, 7, FLAGS_RESPONSE, 1, 1);
	put_question(&p, "example.com", TYPE_AAAA);
	put_rr(&p, TYPE_AAAA, CLASS_IN, 1, addr_a1, 4);
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);

	/* rdlength past the end. */
	put_header(&p, 7, FLAGS_RESPONSE, 1, 1);
	put_question(&p, "example.com", TYPE_A);
	put_rr(&p, TYPE_A, CLASS_IN, 1, addr_a1, 4);
	full = p.len;
	p.bytes[full - 5] = 5;
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);
	p.bytes[full - 5] = 4;
	assert_int_equal(parse_answers(&p, answers, 4, &count), 0);
	assert_int_equal(count, 1);

	/* Any cut inside the record. */
	for (p.len = full - 1; p.len > full - 16; p.len--)
		assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);

	/* More records announced than present: what was read is kept in *count. */
	p.len = full;
	p.bytes[7] = 2;
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);
	assert_int_equal(count, 1);
}

static void test_answers_second_question_compressed(void **state)
{
	struct dns_answer answers[4];
	struct dns_question q;
	struct packet p;
	size_t count;

	put_header(&p, 9, FLAGS_RESPONSE, 2, 1);
	put_question(&p, "example.com", TYPE_A);
	/* The second question is "www" + pointer to the first name. */
	put8(&p, 3);
	put_bytes(&p, "www", 3);
	put_pointer(&p, 12);
	put16(&p, TYPE_A);
	put16(&p, CLASS_IN);
	put_rr(&p, TYPE_A, CLASS_IN, 30, addr_a2, 4);
	assert_int_equal(dns_parse_answers(p.bytes, p.len, &q, answers, 4, &count), 0);
	assert_string_equal(q.name, "example.com");
	assert_int_equal(count, 1);
	assert_memory_equal(answers[0].addr, addr_a2, 4);
}

/*
 * A chain of pointers stored in a record's rdata, each pointing to the one before and
 * the first to the question name; the last answer's owner points at the chain's end.
 */
static void build_pointer_chain(struct packet *p, unsigned int jumps)
{
	uint16_t prev = 12;
	uint16_t i;
	size_t rdata;

	put_header(p, 1, FLAGS_RESPONSE, 1, 2);
	put_question(p, "example.com", TYPE_A);
	put_pointer(p, 12);
	put16(p, TYPE_TXT);
	put16(p, CLASS_IN);
	put32(p, 0);
	put16(p, (uint16_t)(2 * (jumps - 1)));
	rdata = p->len;
	for (i = 0; i < jumps - 1; i++) {
		put_pointer(p, prev);
		prev = (uint16_t)(rdata + 2 * i);
	}
	put_pointer(p, prev);
	put16(p, TYPE_A);
	put16(p, CLASS_IN);
	put32(p, 1);
	put16(p, 4);
	put_bytes(p, addr_a1, 4);
}

static void test_pointer_jump_limit(void **state)
{
	struct dns_answer answers[4];
	struct packet p;
	size_t count;

	build_pointer_chain(&p, 16);
	assert_int_equal(parse_answers(&p, answers, 4, &count), 0);
	assert_int_equal(count, 1);
	build_pointer_chain(&p, 17);
	assert_int_equal(parse_answers(&p, answers, 4, &count), -EINVAL);
}

static void test_tcp_length_prefix(void **state)
{
	struct dns_question q;
	struct packet msg, tcp;
	int n;

	build_query(&msg, "example.com", TYPE_AAAA);
	tcp.len = 0;
	put16(&tcp, (uint16_t)msg.len);
	put_bytes(&tcp, msg.bytes, msg.len);
	n = dns_tcp_message_length(tcp.bytes, tcp.len);
	assert_int_equal(n, 29);
	assert_int_equal(dns_parse_question(tcp.bytes + 2, (size_t)n, &q), 0);
	assert_string_equal(q.name, "example.com");
	assert_int_equal(q.qtype, TYPE_AAAA);

	assert_int_equal(dns_tcp_message_length((const uint8_t *)"\xff\xff", 2), 65535);
	assert_int_equal(dns_tcp_message_length((const uint8_t *)"\x01\x00", 2), 256);
	assert_int_equal(dns_tcp_message_length((const uint8_t *)"\x00\x00", 2), 0);
	assert_int_equal(dns_tcp_message_length(tcp.bytes, 1), -EINVAL);
	assert_int_equal(dns_tcp_message_length(tcp.bytes, 0), -EINVAL);
	assert_int_equal(dns_tcp_message_length(NULL, 2), -EINVAL);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void assert_printable_name(const struct dns_question *q)
{
	size_t len = strnlen(q->name, sizeof(q->name));

	assert_true(len > 0 && len < sizeof(q->name));
	for (size_t i = 0; i < len; i++)
		assert_true(q->name[i] >= 0x21 && q->name[i] <= 0x7e);
}

/* Random damage to a valid response: any result but a crash or an unprintable name. */
static void test_random_corruption(void **state)
{
	struct dns_answer answers[DNS_ANSWERS_MAX];
	struct dns_question q;
	struct packet base, p;
	size_t count;
	int round, r;

	build_mixed_response(&base);
	for (round = 0; round < 50000; round++) {
		unsigned int flips = 1 + rng_next() % 4;

		p = base;
		while (flips--)
			p.bytes[rng_next() % p.len] = (uint8_t)rng_next();
		if (rng_next() % 4 == 0)
			p.len = rng_next() % (p.len + 1);
		r = dns_parse_question(p.bytes, p.len, &q);
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0)
			assert_printable_name(&q);
		r = dns_parse_answers(p.bytes, p.len, &q, answers, DNS_ANSWERS_MAX, &count);
		assert_true(r == 0 || r == -EINVAL);
		assert_true(count <= DNS_ANSWERS_MAX);
		if (r == 0)
			assert_printable_name(&q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_question),
		cmocka_unit_test(test_aaaa_and_txt_questions),
		cmocka_unit_test(test_response_flag_and_case),
		cmocka_unit_test(test_root_name),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_longest_name),
		cmocka_unit_test(test_longest_escaped_name),
		cmocka_unit_test(test_label_length_top_bits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_label_longer_than_message),
		cmocka_unit_test(test_qdcount_zero),
		cmocka_unit_test(test_bad_pointers_in_question),
		cmocka_unit_test(test_answers_mixed),
		cmocka_unit_test(test_answers_max),
		cmocka_unit_test(test_answers_need_a_response),
		cmocka_unit_test(test_answers_empty),
		cmocka_unit_test(test_answers_malformed),
		cmocka_unit_test(test_answers_second_question_compressed),
		cmocka_unit_test(test_pointer_jump_limit),
		cmocka_unit_test(test_tcp_length_prefix),
		cmocka_unit_test(test_random_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
