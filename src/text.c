// SPDX-License-Identifier: GPL-2.0-only
#include "text.h"

#include <errno.h>
#include <string.h>

int text_put(struct text *t, const char *s, size_t n)
{
	if (t->overflow || n >= t->size - t->len) {
		t->overflow = true;
		return -ENOSPC;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

int text_add(struct text *t, const char *s)
{
	return text_put(t, s, strlen(s));
}

int text_finish(struct text *t)
{
	if (t->overflow) {
		if (t->size)
			t->buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)t->len;
}

/* Two digits per division: "00" to "99". */
static const char digit_pairs[] = "00010203040506070809"
				  "10111213141516171819"
				  "20212223242526272829"
				  "30313233343536373839"
				  "40414243444546474849"
				  "50515253545556575859"
				  "60616263646566676869"
				  "70717273747576777879"
				  "80818283848586878889"
				  "90919293949596979899";

char *decimal_before(char *end, uint64_t v)
{
	char *p = end;

	while (v >= 100) {
		unsigned int pair = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = digit_pairs[pair + 1];
		*--p = digit_pairs[pair];
	}
	if (v >= 10) {
		*--p = digit_pairs[v * 2 + 1];
		*--p = digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}
