/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for dns.c: any bytes, as a UDP message and as a TCP stream. A crash,
 * a sanitizer report, or an unprintable or unterminated name is a bug.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static void check_name(const struct dns_question *q)
{
	size_t len = strnlen(q->name, sizeof(q->name));
	size_t i;

	if (len == 0 || len == sizeof(q->name))
		abort();
	for (i = 0; i < len; i++) {
		if (q->name[i] < 0x21 || q->name[i] > 0x7e)
			abort();
	}
}

static void parse_message(const uint8_t *data, size_t size)
{
	struct dns_answer answers[DNS_ANSWERS_MAX];
	struct dns_question q;
	size_t count = 0;
	int r;

	r = dns_parse_question(data, size, &q);
	if (r != 0 && r != -EINVAL)
		abort();
	if (r == 0)
		check_name(&q);
	r = dns_parse_answers(data, size, &q, answers, DNS_ANSWERS_MAX, &count);
	if ((r != 0 && r != -EINVAL) || count > DNS_ANSWERS_MAX)
		abort();
	if (r == 0)
		check_name(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n;

	parse_message(data, size);
	/* The same bytes as a TCP stream: length prefix, then the message it announces. */
	n = dns_tcp_message_length(data, size);
	if (size < 2 ? n != -EINVAL : n < 0 || n > 65535)
		abort();
	if (n >= 0 && (size_t)n <= size - 2)
		parse_message(data + 2, (size_t)n);
	return 0;
}
