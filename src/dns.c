/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS messages (RFC 1035 section 4) as a process sent or received them. The bytes come
 * from any process on the machine, so nothing in them is trusted: every read is checked
 * against the length, and names are bounded in jumps and in size.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "text.h"

#define DNS_HEADER_LEN 12
#define DNS_QUESTION_FIXED_LEN 4 /* qtype, qclass */
#define DNS_RR_FIXED_LEN 10 /* type, class, ttl, rdlength */
#define DNS_FLAG_QR 0x8000

#define DNS_LABEL_MAX 63
#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 2.3.4, length octets and the root included */
#define DNS_POINTER_MAX_JUMPS 16

#define DNS_LABEL_KIND_MASK 0xc0
#define DNS_LABEL_KIND_POINTER 0xc0

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

static uint16_t read_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 4343 escaping keeps a name printable and keeps "a.b" apart from the label "a\.b". */
static int name_put_label(struct text *t, const uint8_t *label, size_t n)
{
	char esc[4];
	size_t i;
	int err;

	if (t->len) {
		err = text_put(t, ".", 1);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = label[i];

		if (c == '.' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			err = text_put(t, esc, 2);
		} else if (c < 0x21 || c > 0x7e) {
			esc[0] = '\\';
			esc[1] = (char)('0' + c / 100);
			esc[2] = (char)('0' + c / 10 % 10);
			esc[3] = (char)('0' + c % 10);
			err = text_put(t, esc, 4);
		} else {
			err = text_put(t, (const char *)&c, 1);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * Reads the name at off into text, or only checks it when text is NULL. *ret_next is
 * where the record continues: after the root label, or after the first compression
 * pointer. A pointer must point before itself, which with the jump limit rules out
 * loops, and the name's labels may total 255 bytes.
 */
static int dns_read_name(const uint8_t *msg, size_t len, size_t off, struct text *text,
			 size_t *ret_next)
{
	size_t pos = off, wire_len = 0, next = 0;
	unsigned int jumps = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EINVAL;
		c = msg[pos];
		if ((c & DNS_LABEL_KIND_MASK) == DNS_LABEL_KIND_POINTER) {
			size_t target;

			if (len - pos < 2)
				return -EINVAL;
			target = (size_t)(c & ~DNS_LABEL_KIND_MASK) << 8 | msg[pos + 1];
			if (target >= pos || target < DNS_HEADER_LEN ||
			    ++jumps > DNS_POINTER_MAX_JUMPS)
				return -EINVAL;
			if (jumps == 1)
				next = pos + 2;
			pos = target;
			continue;
		}
		/* Top bits 01 and 10 were extended label types, withdrawn by RFC 6891. */
		if (c > DNS_LABEL_MAX)
			return -EINVAL;
		wire_len += 1 + (size_t)c;
		if (wire_len > DNS_NAME_WIRE_MAX)
			return -EINVAL;
		if (c == 0)
			break;
		if (len - pos - 1 < c)
			return -EINVAL;
		/* Escapes can make a legal name too long for its text: treated as malformed. */
		if (text && name_put_label(text, msg + pos + 1, c) < 0)
			return -EINVAL;
		pos += 1 + (size_t)c;
	}
	if (text && text->len == 0 && text_put(text, ".", 1) < 0)
		return -EINVAL;
	*ret_next = jumps ? next : pos + 1;
	return 0;
}

/* Header and first question; *ret_next is the offset just after that question. */
static int dns_read_question(const uint8_t *msg, size_t len, struct dns_question *q,
			     size_t *ret_next)
{
	struct text text = TEXT_INIT(q->name, sizeof(q->name));
	size_t off;
	int err;

	q->name[0] = '\0';
	if (len < DNS_HEADER_LEN)
		return -EINVAL;
	q->id = read_u16(msg);
	q->is_response = read_u16(msg + 2) & DNS_FLAG_QR;
	if (read_u16(msg + 4) == 0)
		return -EINVAL;
	err = dns_read_name(msg, len, DNS_HEADER_LEN, &text, &off);
	if (err)
		return err;
	if (len - off < DNS_QUESTION_FIXED_LEN)
		return -EINVAL;
	q->qtype = read_u16(msg + off);
	q->qclass = read_u16(msg + off + 2);
	*ret_next = off + DNS_QUESTION_FIXED_LEN;
	return 0;
}

int dns_parse_question(const uint8_t *msg, size_t len, struct dns_question *q)
{
	size_t next;

	if (!msg || !q)
		return -EINVAL;
	return dns_read_question(msg, len, q, &next);
}

static int dns_skip_questions(const uint8_t *msg, size_t len, unsigned int count, size_t *off)
{
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = dns_read_name(msg, len, *off, NULL, off);
		if (err)
			return err;
		if (len - *off < DNS_QUESTION_FIXED_LEN)
			return -EINVAL;
		*off += DNS_QUESTION_FIXED_LEN;
	}
	return 0;
}

/* Stores the record's address when it is an A or AAAA record of class IN. */
static int dns_store_address(uint16_t type, uint16_t class, const uint8_t *rdata, uint16_t rdlength,
			     struct dns_answer *a, size_t *count)
{
	size_t addr_len;

	if (class != DNS_CLASS_IN)
		return 0;
	if (type == DNS_TYPE_A) {
		a->family = AF_INET;
		addr_len = 4;
	} else if (type == DNS_TYPE_AAAA) {
		a->family = AF_INET6;
		addr_len = 16;
	} else {
		return 0;
	}
	if (rdlength != addr_len)
		return -EINVAL;
	memset(a->addr, 0, sizeof(a->addr));
	memcpy(a->addr, rdata, addr_len);
	(*count)++;
	return 0;
}

/*
 * Walks the answer section. Records after the max-th address are not read: the
 * caller asked for no more, and a damaged tail does not undo what was found.
 */
static int dns_read_answers(const uint8_t *msg, size_t len, size_t off, unsigned int ancount,
			    struct dns_answer *answers, size_t max, size_t *count)
{
	unsigned int i;
	int err;

	for (i = 0; i < ancount && *count < max; i++) {
		uint16_t type, class, rdlength;

		err = dns_read_name(msg, len, off, NULL, &off);
		if (err)
			return err;
		if (len - off < DNS_RR_FIXED_LEN)
			return -EINVAL;
		type = read_u16(msg + off);
		class = read_u16(msg + off + 2);
		rdlength = read_u16(msg + off + 8);
		off += DNS_RR_FIXED_LEN;
		if (len - off < rdlength)
			return -EINVAL;
		err = dns_store_address(type, class, msg + off, rdlength, &answers[*count], count);
		if (err)
			return err;
		off += rdlength;
	}
	return 0;
}

int dns_parse_answers(const uint8_t *msg, size_t len, struct dns_question *q,
		      struct dns_answer *answers, size_t max, size_t *count)
{
	size_t off;
	int err;

	if (!count)
		return -EINVAL;
	*count = 0;
	if (!msg || !q || (max && !answers))
		return -EINVAL;
	err = dns_read_question(msg, len, q, &off);
	if (err)
		return err;
	if (!q->is_response)
		return -EINVAL;
	err = dns_skip_questions(msg, len, read_u16(msg + 4) - 1U, &off);
	if (err)
		return err;
	return dns_read_answers(msg, len, off, read_u16(msg + 6), answers, max, count);
}

int dns_tcp_message_length(const uint8_t *buf, size_t len)
{
	if (!buf || len < 2)
		return -EINVAL;
	return read_u16(buf);
}
