/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * exehash.c and linehold.c: exec lines wait for the hasher with the lines after them, in
 * record order; the cache answers a known file at once; limits give busy; trace_end counts.
 * The test plays the hasher on the other end of the socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "capture.h"
#include "exehash.h"
#include "records.h"

static struct capture cap;
static struct trace trace;
static struct records records;
static struct cgroup_cache *cgroups;
static struct exehash *hashes;
static int hasher_end;

static const struct rec_file_id dash_id = { .ino = 1312,
					    .size = 125688,
					    .ctime_sec = 1700000000,
					    .ctime_nsec = 5,
					    .dev = 259 << 20 | 1 };

static int take_totals(void *ctx, const struct write_key *key, struct write_totals *totals)
{
	return -ENOENT;
}

static int setup(void **state)
{
	struct records_config cfg = { .trace = &trace, .take_write_totals = take_totals };
	int sv[2];

	capture_open(&cap);
	trace_init(&trace, "job", cap.out);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	hasher_end = sv[1];
	hashes = exehash_new(sv[0], &trace);
	assert_non_null(hashes);
	assert_int_equal(cgroup_cache_new_at(&cgroups, -1), 0);
	cfg.cgroups = cgroups;
	cfg.hashes = hashes;
	assert_int_equal(records_init(&records, &cfg), 0);
	return 0;
}

static int teardown(void **state)
{
	records_free(&records);
	exehash_free(hashes);
	close(hasher_end);
	cgroup_cache_free(cgroups);
	trace_free(&trace);
	capture_close(&cap);
	return 0;
}

static struct rec_str put(char *data, size_t *used, const char *s, size_t len)
{
	struct rec_str ref = { .off = (uint16_t)*used, .len = (uint16_t)len };

	memcpy(data + *used, s, len);
	*used += len;
	return ref;
}

static void header(struct rec_header *h, uint16_t type, size_t size, uint32_t pid)
{
	*h = (struct rec_header){ .type = type,
				  .size = (uint16_t)size,
				  .pid = pid,
				  .tid = pid,
				  .ppid = 1,
				  .timestamp_ns = 1000,
				  .exec_ns = 777 };
	strcpy(h->comm, "sh");
}

static void exec_record(uint32_t pid, const char *filename, uint32_t flags,
			const struct rec_file_id *id)
{
	union {
		struct rec_exec rec;
		char bytes[1024];
	} u = { 0 };
	size_t used = 0;

	u.rec.filename = put(u.rec.data, &used, filename, strlen(filename));
	u.rec.exe = put(u.rec.data, &used, "/usr/bin/dash", 13);
	u.rec.cwd = put(u.rec.data, &used, "/work", 5);
	u.rec.args = put(u.rec.data, &used, "sh", 3);
	u.rec.cgroup = put(u.rec.data, &used, "", 0);
	u.rec.flags = flags;
	u.rec.exe_id = *id;
	header(&u.rec.h, REC_EXEC, sizeof(u.rec) + used, pid);
	records_handle(&records, &u, sizeof(u.rec) + used);
}

static void exit_record(uint32_t pid)
{
	struct rec_exit rec = { .exit_code = 0 };

	header(&rec.h, REC_EXIT, sizeof(rec), pid);
	records_handle(&records, &rec, sizeof(rec));
}

/* The next request the daemon sent; false when none. */
static bool request_next(struct exehash_request *req)
{
	ssize_t n = read(hasher_end, req, sizeof(*req));

	if (n < (ssize_t)EXEHASH_REQUEST_HEADER_LEN)
		return false;
	assert_int_equal(n, EXEHASH_REQUEST_HEADER_LEN + req->path_len);
	return true;
}

static void answer(const struct exehash_request *req, int missing, uint8_t fill, bool cached)
{
	struct exehash_answer a = { .token = req->token,
				    .kind = req->kind,
				    .missing = missing,
				    .cached = cached,
				    .id = req->id };

	memset(a.digest, fill, sizeof(a.digest));
	assert_int_equal(write(hasher_end, &a, sizeof(a)), sizeof(a));
	exehash_answers(hashes);
}

static size_t finish(void)
{
	trace_flush(&trace);
	return capture_read(&cap);
}

static const char ab_hex[] = "abababababababababababababababababababababababababababababababab";

static void test_held_in_order_then_cached(void **state)
{
	struct exehash_request req;
	json_t *ex, *end, *h;

	exec_record(10, "/bin/sh", 0, &dash_id);
	exit_record(10);
	/* Nothing written while the exec waits: the exit stays behind it. */
	assert_int_equal(finish(), 0);
	assert_true(request_next(&req));
	assert_int_equal(req.kind, EXEHASH_EXE);
	assert_int_equal(req.pid, 10);
	assert_memory_equal(&req.id, &dash_id, sizeof(dash_id));
	assert_int_equal(req.path_len, 13);
	assert_memory_equal(req.path, "/usr/bin/dash", 13);
	answer(&req, -1, 0xab, false);
	assert_int_equal(exehash_pending(hashes), 0);
	/* The same file again: from the cache, no request. */
	exec_record(11, "/bin/sh", 0, &dash_id);
	assert_false(request_next(&req));
	trace_write_end(&trace);
	assert_int_equal(finish(), 4);
	ex = capture_find(&cap, "process_exec", 0);
	assert_string_equal(capture_str(ex, "exe_sha256"), ab_hex);
	assert_null(json_object_get(ex, "exe_hash_missing"));
	assert_string_equal(json_string_value(json_object_get(cap.lines[1], "type")),
			    "process_exit");
	ex = capture_find(&cap, "process_exec", 1);
	assert_string_equal(capture_str(ex, "exe_sha256"), ab_hex);
	end = capture_find(&cap, "trace_end", 0);
	h = json_object_get(end, "hashes");
	assert_int_equal(json_integer_value(json_object_get(h, "computed")), 1);
	assert_int_equal(json_integer_value(json_object_get(h, "cached")), 1);
}

/*
 * The hash cache of earlier runs: a preloaded identity answers at once, as cached; another
 * identity (the same file changed) is asked of the hasher; saving gives both, the one still
 * waiting for an answer not.
 */
static void test_preloaded_cache(void **state)
{
	struct rec_file_id changed = dash_id, waiting = dash_id, id;
	uint8_t digest[SHA256_DIGEST_LEN], saved[4][SHA256_DIGEST_LEN];
	struct rec_file_id saved_ids[4];
	struct exehash_request req;
	unsigned int pos = 0;
	int count = 0;
	json_t *ex, *h;

	memset(digest, 0xab, sizeof(digest));
	exehash_cache_preload(hashes, &dash_id, digest);
	exec_record(10, "/bin/sh", 0, &dash_id);
	assert_false(request_next(&req));
	changed.ctime_nsec++;
	exec_record(11, "/bin/sh", 0, &changed);
	assert_true(request_next(&req));
	assert_memory_equal(&req.id, &changed, sizeof(changed));
	answer(&req, -1, 0xcd, false);
	waiting.ino++;
	exec_record(12, "/bin/sh", 0, &waiting);
	assert_true(request_next(&req));
	while (count < 4 && exehash_cache_next(hashes, &pos, &id, digest)) {
		saved_ids[count] = id;
		memcpy(saved[count++], digest, sizeof(digest));
	}
	assert_int_equal(count, 2);
	for (int i = 0; i < count; i++) {
		bool first = !memcmp(&saved_ids[i], &dash_id, sizeof(dash_id));

		assert_true(first || !memcmp(&saved_ids[i], &changed, sizeof(changed)));
		assert_int_equal(saved[i][0], first ? 0xab : 0xcd);
	}
	answer(&req, -1, 0xef, false);
	trace_write_end(&trace);
	finish();
	ex = capture_find(&cap, "process_exec", 0);
	assert_string_equal(capture_str(ex, "exe_sha256"), ab_hex);
	h = json_object_get(capture_find(&cap, "trace_end", 0), "hashes");
	assert_int_equal(json_integer_value(json_object_get(h, "computed")), 2);
	assert_int_equal(json_integer_value(json_object_get(h, "cached")), 1);
	/* Too large to hash: never preloaded. */
	changed.size = EXEHASH_SIZE_MAX + 1;
	exehash_cache_preload(hashes, &changed, digest);
	pos = 0;
	count = 0;
	while (exehash_cache_next(hashes, &pos, &id, digest))
		assert_true(id.size <= EXEHASH_SIZE_MAX && ++count <= 3);
}

/* A build runs cc many times before the first answer: one request, all lines hashed. */
static void test_same_file_asked_once(void **state)
{
	struct exehash_request req, again;
	json_t *h;

	exec_record(70, "/bin/sh", 0, &dash_id);
	exec_record(71, "/bin/sh", 0, &dash_id);
	exec_record(72, "/bin/sh", 0, &dash_id);
	assert_true(request_next(&req));
	assert_false(request_next(&again));
	/* The first one's process is gone: the others ask for their own, by pid only. */
	answer(&req, HASH_MISSING_GONE, 0, false);
	assert_true(request_next(&again));
	assert_int_equal(again.pid, 71);
	assert_int_equal(again.path_len, 0);
	assert_true(request_next(&req));
	assert_int_equal(req.pid, 72);
	answer(&again, -1, 0xab, false);
	assert_false(request_next(&again));
	answer(&req, -1, 0xab, true);
	assert_int_equal(exehash_pending(hashes), 0);
	trace_write_end(&trace);
	assert_int_equal(finish(), 4);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0), "exe_hash_missing"),
			    "gone");
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 1), "exe_sha256"),
			    ab_hex);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 2), "exe_sha256"),
			    ab_hex);
	h = json_object_get(capture_find(&cap, "trace_end", 0), "hashes");
	assert_int_equal(json_integer_value(json_object_get(h, "computed")), 1);
	assert_int_equal(json_integer_value(json_object_get(h, "cached")), 1);
}

static void test_followers_share_answer(void **state)
{
	struct exehash_request req;

	for (uint32_t pid = 80; pid < 80 + 500; pid++)
		exec_record(pid, "/bin/sh", 0, &dash_id);
	assert_true(request_next(&req));
	assert_false(request_next(&req) && req.pid != 80);
	answer(&req, -1, 0xab, false);
	assert_int_equal(exehash_pending(hashes), 0);
	assert_int_equal(trace.hashes.computed, 1);
	assert_int_equal(trace.hashes.cached, 499);
}

static void test_script_two_parts(void **state)
{
	struct exehash_request exe, script;
	json_t *ex;

	exec_record(20, "./run.sh", EXEC_INTERPRETED, &dash_id);
	assert_true(request_next(&exe));
	assert_true(request_next(&script));
	assert_int_equal(script.kind, EXEHASH_SCRIPT);
	assert_int_equal(script.path_len, strlen("/work/./run.sh"));
	assert_memory_equal(script.path, "/work/./run.sh", script.path_len);
	assert_int_equal(script.exec_unix_ns, 1000 + trace.boot_to_unix_ns);
	answer(&script, -1, 0x01, false);
	assert_int_equal(exehash_pending(hashes), 1);
	answer(&exe, HASH_MISSING_GONE, 0, false);
	assert_int_equal(finish(), 1);
	ex = capture_find(&cap, "process_exec", 0);
	assert_string_equal(capture_str(ex, "exe_hash_missing"), "gone");
	assert_string_equal(capture_str(ex, "script_sha256"),
			    "0101010101010101010101010101010101010101010101010101010101010101");
	assert_null(json_object_get(ex, "exe_sha256"));
}

static void test_limits_give_busy(void **state)
{
	struct rec_file_id big = dash_id;
	struct exehash_request req;
	json_t *ex, *h;

	big.ino = 99;
	big.size = EXEHASH_SIZE_MAX + 1;
	exec_record(30, "/bin/sh", 0, &dash_id);
	exec_record(31, "/opt/node", 0, &big); /* too large: no request, but behind the first */
	assert_true(request_next(&req));
	assert_false(request_next(&req));
	exehash_expire(hashes, 1000 + EXEHASH_HOLD_NS - 1);
	assert_int_equal(finish(), 0);
	exehash_expire(hashes, 1000 + EXEHASH_HOLD_NS);
	/* A late answer still fills the cache. */
	answer(&req, -1, 0xab, false);
	exec_record(32, "/bin/sh", 0, &dash_id);
	trace_write_end(&trace);
	assert_int_equal(finish(), 4);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0), "exe_hash_missing"),
			    "busy");
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 1), "exe_hash_missing"),
			    "too_large");
	ex = capture_find(&cap, "process_exec", 2);
	assert_string_equal(capture_str(ex, "exe_sha256"), ab_hex);
	h = json_object_get(capture_find(&cap, "trace_end", 0), "hashes");
	assert_int_equal(json_integer_value(json_object_get(h, "computed")), 1);
	assert_int_equal(json_integer_value(json_object_get(h, "cached")), 1);
	h = json_object_get(h, "missing");
	assert_int_equal(json_integer_value(json_object_get(h, "busy")), 1);
	assert_int_equal(json_integer_value(json_object_get(h, "too_large")), 1);
	assert_int_equal(json_integer_value(json_object_get(h, "gone")), 0);
}

/* Lines held behind a waiting exec line past EXEHASH_HOLD_BYTES: the exec line gives up. */
static void test_hold_bytes_give_busy(void **state)
{
	struct exehash_request req;

	size_t held_max = 0;

	exec_record(40, "/bin/sh", 0, &dash_id);
	assert_true(request_next(&req));
	/* Lines of about 200 bytes: twice the bound's worth, and no call to exehash_expire(). */
	for (size_t i = 0; i < 2 * EXEHASH_HOLD_BYTES / 200; i++) {
		exit_record(41);
		if (trace.hold.bytes > held_max)
			held_max = trace.hold.bytes;
	}
	assert_true(held_max <= EXEHASH_HOLD_BYTES);
	assert_true(held_max > EXEHASH_HOLD_BYTES / 2); /* they were held, in order */
	assert_int_equal(trace.hold.bytes, 0);
	assert_int_equal(finish(), CAPTURE_MAX_LINES); /* the capture's first lines */
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0), "exe_hash_missing"),
			    "busy");
	assert_non_null(capture_find(&cap, "process_exit", CAPTURE_MAX_LINES - 2));
}

static void test_hasher_gone(void **state)
{
	struct exehash_request req;

	exec_record(40, "/bin/sh", 0, &dash_id);
	assert_true(request_next(&req));
	close(hasher_end);
	hasher_end = -1;
	exehash_answers(hashes);
	assert_int_equal(exehash_pending(hashes), 0);
	exec_record(41, "/bin/sh", 0, &dash_id);
	assert_int_equal(finish(), 2);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0), "exe_hash_missing"),
			    "busy");
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 1), "exe_hash_missing"),
			    "busy");
}

/* A script run by its path from a descriptor (fexecve) has no path the hasher can open. */
static void test_script_by_fd(void **state)
{
	struct exehash_request req;

	exec_record(50, "/dev/fd/3", EXEC_INTERPRETED, &dash_id);
	assert_true(request_next(&req));
	assert_int_equal(req.kind, EXEHASH_EXE);
	assert_false(request_next(&req));
	answer(&req, -1, 0xab, true);
	assert_int_equal(finish(), 1);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0),
					"script_hash_missing"),
			    "unreadable");
}

/* Lengths a kernel never sends (beyond PATH_MAX) are not copied into a request. */
static void test_overlong_paths(void **state)
{
	static union {
		struct rec_exec rec;
		char bytes[20000];
	} u;
	static char path[6000];
	struct exehash_request req;
	size_t used = 0;

	memset(&u, 0, sizeof(u));
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	u.rec.filename = put(u.rec.data, &used, "run.sh", 6);
	u.rec.exe = put(u.rec.data, &used, path, sizeof(path));
	u.rec.cwd = put(u.rec.data, &used, path, sizeof(path));
	u.rec.args = put(u.rec.data, &used, "sh", 3);
	u.rec.cgroup = put(u.rec.data, &used, "", 0);
	u.rec.flags = EXEC_INTERPRETED;
	u.rec.exe_id = dash_id;
	header(&u.rec.h, REC_EXEC, sizeof(u.rec) + used, 90);
	records_handle(&records, &u, sizeof(u.rec) + used);
	assert_true(request_next(&req));
	assert_int_equal(req.kind, EXEHASH_EXE);
	assert_int_equal(req.path_len, 0);
	assert_false(request_next(&req));
	answer(&req, -1, 0xab, false);
	assert_int_equal(finish(), 1);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0),
					"script_hash_missing"),
			    "unreadable");
}

/* A busy ring buffer pauses the hasher: exec lines are not held meanwhile. */
static void test_ring_busy_holds_nothing(void **state)
{
	struct exehash_request req;

	exehash_ring_busy(hashes, 1000);
	assert_true(request_next(&req));
	assert_int_equal(req.kind, EXEHASH_PAUSE);
	assert_int_equal(req.pid, EXEHASH_PAUSE_MS);
	exec_record(100, "/bin/sh", 0, &dash_id);
	/* Written at once, busy; the file is asked for all the same, for the cache. */
	assert_int_equal(finish(), 1);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 0), "exe_hash_missing"),
			    "busy");
	assert_true(request_next(&req));
	assert_int_equal(req.kind, EXEHASH_EXE);
	answer(&req, -1, 0xab, false);
	exehash_expire(hashes, 1000 + EXEHASH_PAUSE_MS * 1000000ull);
	exec_record(101, "/bin/sh", 0, &dash_id);
	assert_int_equal(finish(), 2);
	assert_string_equal(capture_str(capture_find(&cap, "process_exec", 1), "exe_sha256"),
			    ab_hex);
}

static void test_bad_ctime_refused(void **state)
{
	struct rec_file_id bad = dash_id;

	bad.ctime_nsec = 1000000000;
	exec_record(60, "/bin/sh", 0, &bad);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 1);
	assert_int_equal(finish(), 0);
}

static void test_linehold_order(void **state)
{
	struct linehold h;
	uint64_t a, b;

	linehold_init(&h);
	assert_int_equal(linehold_push(&h, 1, "{\"a\":1", 6, true, &a), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(linehold_push(&h, 2, "{}\n", 3, false, NULL), 0);
	assert_int_equal(linehold_push(&h, 1, "{\"b\":1", 6, true, &b), 0);
	assert_null(linehold_ready(&h));
	assert_int_equal(linehold_complete(&h, b, "}\n", 2), 0);
	assert_null(linehold_ready(&h));
	assert_int_equal(linehold_complete(&h, b, "}\n", 2), -ENOENT);
	assert_int_equal(linehold_complete(&h, a, ",\"x\":2}\n", 8), 0);
	assert_int_equal(linehold_ready(&h)->len, 14);
	assert_memory_equal(linehold_ready(&h)->data, "{\"a\":1,\"x\":2}\n", 14);
	linehold_pop(&h);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(linehold_ready(&h)->type, 2);
		linehold_pop(&h);
	}
	assert_memory_equal(linehold_ready(&h)->data, "{\"b\":1}\n", 8);
	linehold_pop(&h);
	assert_true(linehold_empty(&h));
	assert_int_equal(h.bytes, 0);
	assert_int_equal(linehold_complete(&h, a, "}\n", 2), -ENOENT);
	linehold_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_in_order_then_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preloaded_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_file_asked_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_followers_share_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_two_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_give_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hasher_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_by_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_busy_holds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_bytes_give_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ctime_refused, setup, teardown),
		cmocka_unit_test(test_linehold_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
