/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS message parsing on bytes the kernel copied from a process: every read is bounds
 * checked, compression pointers are followed a bounded number of times, and a malformed
 * message is an error, never a crash.
 */
#ifndef TRACERD_DNS_H
#define TRACERD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Dotted name, no trailing dot: at most 253 characters, but escaping can lengthen it. */
#define DNS_NAME_MAX 1024
#define DNS_ANSWERS_MAX 32

struct dns_question {
	uint16_t id;
	bool is_response;
	uint16_t qtype;
	uint16_t qclass;
	char name[DNS_NAME_MAX]; /* "." for the root */
};

struct dns_answer {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/*
 * Parses the header and first question of a DNS message. Label bytes are copied as they
 * are, except '.' and '\\' inside a label, written as "\\." and "\\\\", and bytes below
 * 0x21 or above 0x7e, written as "\\DDD" (RFC 4343), so the name is always printable.
 * Returns 0 or -EINVAL (malformed, truncated, pointer loop, no question).
 */
int dns_parse_question(const uint8_t *msg, size_t len, struct dns_question *q);

/*
 * Parses a response: the question into q, and the A/AAAA records of the answer section
 * into answers (at most max). *count receives how many were stored. Returns 0 or -EINVAL.
 */
int dns_parse_answers(const uint8_t *msg, size_t len, struct dns_question *q,
		      struct dns_answer *answers, size_t max, size_t *count);

/*
 * DNS over TCP: each message is preceded by a 2-byte big-endian length. Returns the
 * message length announced at the start of buf, or -EINVAL if fewer than 2 bytes.
 */
int dns_tcp_message_length(const uint8_t *buf, size_t len);

#endif
