/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for json.c: whatever bytes a process uses as its name or arguments,
 * the line must be valid JSON, and valid UTF-8 must come back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json.h"

static struct json_buf buf;

/* True when s is well-formed UTF-8, by a decoder written apart from json.c's. */
static int utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i < n)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t error;
	json_t *v, *s;

	json_buf_reset(&buf);
	json_array_begin(&buf);
	json_write_string(&buf, (const char *)data, size);
	json_array_end(&buf);
	if (buf.oom)
		return 0;
	v = json_loadb(buf.data, buf.len, JSON_ALLOW_NUL, &error);
	if (!v)
		abort();
	s = json_array_get(v, 0);
	if (!json_is_string(s))
		abort();
	if (utf8_valid(data, size) &&
	    (json_string_length(s) != size || memcmp(json_string_value(s), data, size)))
		abort();
	json_decref(v);
	return 0;
}
