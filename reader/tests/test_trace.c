// SPDX-License-Identifier: GPL-2.0-only
/* The streaming reader: gzip members, plain text, line numbers, cut-short traces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "trace.h"

static int count_lines(const char *path, struct trace_reader *r)
{
	int n = 0, ret;

	assert_int_equal(trace_open(r, path, false), 0);
	while ((ret = trace_next(r)) == 1) {
		assert_non_null(trace_json(r));
		n++;
	}
	return ret < 0 ? ret : n;
}

static void test_members_and_plain_read_the_same(void **state)
{
	const char *text = START EXEC(10, 1, "sh", "/bin/sh", "[\"sh\"]") "\f" OPEN(
		10, 1, "sh", "/etc/passwd", "O_RDONLY", 3) "\f\f" END;
	struct trace_reader r;
	char *plain = xstrdup(text), *p;

	assert_int_equal(count_lines(write_temp(text, 1), &r), 4);
	assert_false(r.truncated);
	assert_int_equal(r.lineno, 4);
	trace_close(&r);
	while ((p = strchr(plain, '\f')))
		memmove(p, p + 1, strlen(p));
	assert_int_equal(count_lines(write_temp(plain, 0), &r), 4);
	trace_close(&r);
	free(plain);
}

static void test_type_peeked_and_parsed(void **state)
{
	struct trace_reader r;
	char path[64];

	assert_int_equal(trace_open(&r,
				    write_temp(START
					       "{\"job_id\":\"t\",\"type\":\"file_open\","
					       "\"path\":\"/x\"}\n" OPEN(
						       1, 0, "a", "/etc/x", "O_RDONLY",
						       3) "{\"type\":\"brand_new\",\"x\":1}\n",
					       0),
				    false),
			 0);
	assert_int_equal(trace_next(&r), 1);
	assert_int_equal(r.type, EV_TRACE_START);
	assert_int_equal(trace_next(&r), 1);
	assert_int_equal(r.type, EV_FILE_OPEN); /* fields in another order: parsed */
	assert_non_null(r.obj);
	assert_int_equal(trace_peek_string(&r, "path", path, sizeof(path)), -EAGAIN);
	assert_int_equal(trace_next(&r), 1);
	assert_null(r.obj); /* peeked only */
	assert_int_equal(trace_peek_string(&r, "path", path, sizeof(path)), 0);
	assert_string_equal(path, "/etc/x");
	assert_int_equal(trace_peek_string(&r, "nothere", path, sizeof(path)), -ENOENT);
	assert_int_equal(trace_peek_string(&r, "path", path, 4), -EAGAIN);
	assert_int_equal(trace_next(&r), 1);
	assert_int_equal(r.type, EV_UNKNOWN);
	assert_string_equal(r.type_name, "brand_new");
	assert_int_equal(trace_next(&r), 0);
	trace_close(&r);
}

static void test_bad_line_named_by_number(void **state)
{
	struct trace_reader r;

	assert_int_equal(trace_open(&r, write_temp(START "\n  \n{\"type\":\"x\",}\n", 0), false),
			 0);
	assert_int_equal(trace_next(&r), 1);
	assert_int_equal(trace_next(&r), -EINVAL);
	assert_non_null(strstr(r.err, ": line 4: invalid JSON"));
	trace_close(&r);
	assert_int_equal(trace_open(&r, write_temp("[1]\n", 0), false), 0);
	assert_int_equal(trace_next(&r), -EINVAL);
	assert_non_null(strstr(r.err, "line 1: not a JSON object with a string \"type\""));
	trace_close(&r);
}

static void test_cut_short(void **state)
{
	struct trace_reader r;
	const char *path = write_temp(START OPEN(1, 0, "a", "/etc/x", "O_RDONLY", 3), 1);
	FILE *f = fopen(path, "rb");
	char data[4096];
	size_t n = fread(data, 1, sizeof(data), f);

	fclose(f);
	/* Half a second member after the first: what a crash leaves. */
	path = write_temp(START OPEN(1, 0, "a", "/etc/x", "O_RDONLY", 3), 1);
	f = fopen(path, "ab");
	fwrite(data, 1, n / 2, f);
	fclose(f);
	assert_int_equal(count_lines(path, &r), 2);
	assert_true(r.truncated);
	trace_close(&r);
	/* A plain file whose last line lacks its end: kept when it parses. */
	assert_int_equal(count_lines(write_temp(START "{\"type\":\"trace_end\"}", 0), &r), 2);
	trace_close(&r);
	assert_int_equal(count_lines(write_temp(START "{\"type\":\"trace_e", 0), &r), 1);
	assert_true(r.truncated);
	trace_close(&r);
}

static void test_missing_file_and_corrupt_gzip(void **state)
{
	struct trace_reader r;
	const char *path = write_temp(START START START START, 1);
	FILE *f = fopen(path, "r+b");

	assert_int_equal(trace_open(&r, "/nonexistent/x.jsonl.gz", false), -ENOENT);
	assert_non_null(strstr(r.err, "No such file"));
	fseek(f, 12, SEEK_SET);
	fwrite("\xff\xff\xff\xff\xff\xff", 1, 6, f);
	fclose(f);
	assert_int_equal(trace_open(&r, path, false), 0);
	assert_true(trace_next(&r) < 0);
	assert_non_null(strstr(r.err, path));
	trace_close(&r);
}

static void test_render(void **state)
{
	struct sbuf b = { 0 };
	json_t *o = json_loads("{\"type\":\"file_open\",\"path\":\"/a b\",\"flags\":\"O_RDONLY\","
			       "\"ret\":-2}",
			       0, NULL);

	ev_render(&b, EV_FILE_OPEN, o);
	assert_string_equal(b.s, "open /a b O_RDONLY = ENOENT");
	json_decref(o);
	sbuf_reset(&b);
	o = json_loads("{\"type\":\"process_exec\",\"exe\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		       "\"echo 'hi'\"]}",
		       0, NULL);
	ev_render(&b, EV_PROCESS_EXEC, o);
	assert_string_equal(b.s, "exec /bin/sh -c 'echo '\\''hi'\\'''");
	json_decref(o);
	sbuf_reset(&b);
	o = json_loads("{\"type\":\"net_connect\",\"dst_addr\":\"::1\",\"dst_port\":443,"
		       "\"protocol\":\"tcp\",\"hostname\":\"h.test\",\"ret\":-111}",
		       0, NULL);
	ev_render(&b, EV_NET_CONNECT, o);
	assert_string_equal(b.s, "connect h.test [::1]:443/tcp = ECONNREFUSED");
	json_decref(o);
	sbuf_reset(&b);
	o = json_loads("{\"type\":\"file_write\",\"path\":\"/t/f\",\"bytes\":35,\"writes\":2,"
		       "\"via\":\"io_uring\"}",
		       0, NULL);
	ev_render(&b, EV_FILE_WRITE, o);
	assert_string_equal(b.s, "write /t/f 35 bytes in 2 writes [io_uring]");
	json_decref(o);
	sbuf_reset(&b);
	o = json_loads("{\"type\":\"io_uring_setup\",\"entries\":8,\"setup_flags\":"
		       "\"IORING_SETUP_SQPOLL\",\"sqpoll\":true,\"ops_traced\":false,\"ret\":5}",
		       0, NULL);
	ev_render(&b, EV_IO_URING_SETUP, o);
	assert_string_equal(b.s, "io_uring_setup 8 entries IORING_SETUP_SQPOLL = fd 5 "
				 "[requests not traced on this kernel]");
	json_decref(o);
	sbuf_reset(&b);
	o = json_loads("{\"type\":\"zz\",\"pid\":1,\"b\":[1],\"a\":\"x\"}", 0, NULL);
	ev_render(&b, EV_UNKNOWN, o);
	assert_string_equal(b.s, "zz {\"a\":\"x\",\"b\":[1]}");
	json_decref(o);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_and_plain_read_the_same),
		cmocka_unit_test(test_type_peeked_and_parsed),
		cmocka_unit_test(test_bad_line_named_by_number),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_missing_file_and_corrupt_gzip),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
