/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hashcache.c: the line format both ways, hostile lines and files refused, a rewrite that
 * leaves only what was written, and what a torn or mixed file can and cannot give.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hashcache.h"

#define DIGEST_HEX "f5adb8bf0100ed0f8c7782ca5f92814e9229525a4b4e0d401cf3bea09ac960a6"

static const struct rec_file_id dash_id = {
	.ino = 247728,
	.size = 125640,
	.ctime_sec = 1796225455,
	.ctime_nsec = 692960734,
	.dev = 254 << 20 | 1,
};

static char dir[] = "/tmp/test_hashcache.XXXXXX";
static char path[sizeof(dir) + 16];

static void digest_of(const char *hex, uint8_t *digest)
{
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &digest[i]), 1);
}

static int parse(const char *line, struct rec_file_id *id, uint8_t *digest)
{
	return hashcache_parse_line(line, strlen(line), id, digest);
}

static void test_line_round_trip(void **state)
{
	uint8_t digest[SHA256_DIGEST_LEN], back[SHA256_DIGEST_LEN];
	char line[HASHCACHE_LINE_MAX];
	struct rec_file_id id;
	int n;

	digest_of(DIGEST_HEX, digest);
	n = hashcache_format_line(&dash_id, digest, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_string_equal(line, DIGEST_HEX " 266338305 247728 125640 1796225455 692960734\n");
	assert_int_equal(hashcache_parse_line(line, n - 1, &id, back), 0);
	assert_memory_equal(&id, &dash_id, sizeof(id));
	assert_memory_equal(back, digest, sizeof(back));
}

static void test_line_limits(void **state)
{
	struct rec_file_id id, max_id = { .ino = UINT64_MAX,
					  .size = INT64_MAX,
					  .ctime_sec = INT64_MAX,
					  .ctime_nsec = 999999999,
					  .dev = UINT32_MAX };
	uint8_t digest[SHA256_DIGEST_LEN] = { 0 };
	char line[HASHCACHE_LINE_MAX];
	int n;

	n = hashcache_format_line(&max_id, digest, line, sizeof(line));
	assert_true(n > 0 && n < HASHCACHE_LINE_MAX);
	assert_int_equal(hashcache_parse_line(line, n - 1, &id, digest), 0);
	assert_memory_equal(&id, &max_id, sizeof(id));
	assert_int_equal(parse(DIGEST_HEX " 1048576 0 0 0 0", &id, digest), 0);
	assert_int_equal(id.ino, 0);
	assert_int_equal(id.dev, 1 << 20);
	/* Anonymous devices (major 0: tmpfs, overlayfs, FUSE) are neither read nor written. */
	assert_int_equal(parse(DIGEST_HEX " 1048575 1 2 3 4", &id, digest), -EINVAL);
	max_id.dev = 42;
	assert_int_equal(hashcache_format_line(&max_id, digest, line, sizeof(line)), -EINVAL);
	max_id.dev = UINT32_MAX;
	/* What the format cannot say is not written. */
	max_id.ctime_sec = -1;
	assert_int_equal(hashcache_format_line(&max_id, digest, line, sizeof(line)), -EINVAL);
	assert_int_equal(hashcache_format_line(&dash_id, digest, line, 100), -ENOSPC);
}

static void test_hostile_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"# tracerd hash cache 1",
		DIGEST_HEX,
		DIGEST_HEX " 1 2 3 4",
		DIGEST_HEX " 1 2 3 4 5 6",
		DIGEST_HEX " 1 2 3 4 5 ",
		DIGEST_HEX "  1 2 3 4 5",
		DIGEST_HEX "\t1 2 3 4 5",
		DIGEST_HEX " 01 2 3 4 5",
		DIGEST_HEX " -1 2 3 4 5",
		DIGEST_HEX " +1 2 3 4 5",
		DIGEST_HEX " 1 2 3 4 1000000000",
		DIGEST_HEX " 4294967296 2 3 4 5",
		DIGEST_HEX " 1 18446744073709551616 3 4 5",
		DIGEST_HEX " 1 2 9223372036854775808 4 5",
		DIGEST_HEX " 1 2 3 9223372036854775808 5",
		DIGEST_HEX " 1 2 3 4 5x",
		DIGEST_HEX "0 1 2 3 4 5",
		"F5ADB8BF0100ED0F8C7782CA5F92814E9229525A4B4E0D401CF3BEA09AC960A6 1 2 3 4 5",
		"g5adb8bf0100ed0f8c7782ca5f92814e9229525a4b4e0d401cf3bea09ac960a6 1 2 3 4 5",
		"5adb8bf0100ed0f8c7782ca5f92814e9229525a4b4e0d401cf3bea09ac960a6 1 2 3 4 5",
		/* The tail of a line after a cut: fewer than 64 digits before the numbers. */
		"ac960a6 266338305 247728 125640 1796225455 692960734",
	};
	uint8_t digest[SHA256_DIGEST_LEN];
	struct rec_file_id id;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &id, digest) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
	}
	/* A NUL inside the line. */
	assert_int_equal(hashcache_parse_line(DIGEST_HEX " 1 2\0 3 4 5", 75, &id, digest), -EINVAL);
	assert_int_equal(hashcache_parse_line(NULL, 0, &id, digest), -EINVAL);
}

/* Random bytes and random cuts of a valid line never crash, and only whole lines pass. */
static void test_fuzz(void **state)
{
	const char *good = DIGEST_HEX " 266338305 247728 125640 1796225455 692960734";
	uint8_t digest[SHA256_DIGEST_LEN];
	char buf[HASHCACHE_LINE_MAX];
	struct rec_file_id id;
	uint32_t x = 2463534242u;

	for (int round = 0; round < 200000; round++) {
		size_t len;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (round % 2) {
			len = x % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = "0123456789abcdef \n-x"[(x >> (i % 24)) % 20];
		} else {
			/* A valid line from some offset on: only offset 0 may pass. */
			size_t from = x % strlen(good);

			len = strlen(good) - from;
			memcpy(buf, good + from, len);
			if (from)
				assert_int_equal(hashcache_parse_line(buf, len, &id, digest),
						 -EINVAL);
		}
		hashcache_parse_line(buf, len, &id, digest);
	}
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/cache", dir);
	return 0;
}

static int teardown(void **state)
{
	char link[sizeof(path) + 8];

	snprintf(link, sizeof(link), "%s.link", path);
	unlink(link);
	unlink(path);
	return rmdir(dir);
}

static void write_file(const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

struct seen {
	int count;
	struct rec_file_id ids[8];
	uint8_t digests[8][SHA256_DIGEST_LEN];
};

static void entry_seen(void *ctx, const struct rec_file_id *id, const uint8_t *digest)
{
	struct seen *s = ctx;

	if (s->count < 8) {
		s->ids[s->count] = *id;
		memcpy(s->digests[s->count], digest, SHA256_DIGEST_LEN);
	}
	s->count++;
}

static int load(struct seen *s, unsigned int *bad)
{
	int fd, n;

	memset(s, 0, sizeof(*s));
	n = hashcache_open(path, &fd);
	if (n < 0)
		return n;
	n = hashcache_read(fd, entry_seen, s, bad);
	close(fd);
	return n;
}

static void test_read_skips_bad_lines(void **state)
{
	static const char text[] = HASHCACHE_HEADER DIGEST_HEX
		" 266338305 247728 125640 1796225455 692960734\n"
		"garbage\n" DIGEST_HEX " 1 2 3 4 5 6\n"
		"\n" DIGEST_HEX " 1048577 2 3 4 5\n" DIGEST_HEX
		" 7 8 9 10"; /* the last cut short */
	uint8_t digest[SHA256_DIGEST_LEN];
	unsigned int bad = 99;
	struct seen s;

	write_file(text, sizeof(text) - 1, 0600);
	assert_int_equal(load(&s, &bad), 2);
	assert_int_equal(s.count, 2);
	assert_int_equal(bad, 4);
	digest_of(DIGEST_HEX, digest);
	assert_memory_equal(&s.ids[0], &dash_id, sizeof(dash_id));
	assert_memory_equal(s.digests[0], digest, sizeof(digest));
	assert_int_equal(s.ids[1].dev, 1 << 20 | 1);
	assert_int_equal(s.ids[1].ino, 2);
	assert_int_equal(s.ids[1].ctime_nsec, 5);
}

static void test_refused_files(void **state)
{
	static const char text[] = HASHCACHE_HEADER DIGEST_HEX " 1 2 3 4 5\n";
	char link[sizeof(path) + 8];
	unsigned int bad = 0;
	struct seen s;
	struct stat st;
	int fd;

	/* Anyone else could have written it: not trusted. */
	write_file(text, sizeof(text) - 1, 0620);
	assert_int_equal(load(&s, &bad), -EPERM);
	write_file(text, sizeof(text) - 1, 0602);
	assert_int_equal(load(&s, &bad), -EPERM);
	assert_int_equal(s.count, 0);
	/* A symlink to a good cache is not followed. */
	write_file(text, sizeof(text) - 1, 0600);
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(hashcache_open(link, &fd), -ELOOP);
	/* Not a cache: refused, and never to be rewritten (the caller drops the fd). */
	write_file("hello\n", 6, 0600);
	assert_int_equal(load(&s, &bad), -EBADMSG);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	/* An empty file is not one either: tracerd's own are never empty (--out given twice). */
	write_file("", 0, 0600);
	assert_int_equal(load(&s, &bad), -EBADMSG);
	/* A FIFO is refused before it is opened. */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(hashcache_open(path, &fd), -EPERM);
	unlink(path);
	/* A directory. */
	assert_int_equal(hashcache_open(dir, &fd), -EPERM);
}

static void test_new_file_created_private(void **state)
{
	unsigned int bad = 1;
	struct seen s;
	struct stat st;

	unlink(path);
	assert_int_equal(load(&s, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Born with its header: a crash before the first rewrite leaves a cache. */
	assert_int_equal(st.st_size, strlen(HASHCACHE_HEADER));
}

struct entries {
	const struct rec_file_id *ids;
	int count;
};

static bool entries_next(void *ctx, unsigned int *pos, struct rec_file_id *id, uint8_t *digest)
{
	struct entries *e = ctx;

	if ((int)*pos >= e->count)
		return false;
	*id = e->ids[*pos];
	memset(digest, *pos + 1, SHA256_DIGEST_LEN);
	(*pos)++;
	return true;
}

static void test_write_replaces_everything(void **state)
{
	struct rec_file_id ids[3] = { dash_id, dash_id, dash_id };
	struct entries e = { .ids = ids, .count = 3 };
	char big[4096];
	unsigned int bad = 0;
	struct seen s;
	int fd;

	ids[1].ino = 7;
	ids[2].ctime_sec = -5; /* not expressible: left out */
	/* A longer file before: nothing of it may remain. */
	memset(big, 'z', sizeof(big));
	memcpy(big, HASHCACHE_HEADER, strlen(HASHCACHE_HEADER));
	write_file(big, sizeof(big), 0600);
	assert_int_equal(hashcache_open(path, &fd), 0);
	assert_int_equal(hashcache_write(fd, entries_next, &e), 2);
	close(fd);
	assert_int_equal(load(&s, &bad), 2);
	assert_int_equal(bad, 0);
	assert_memory_equal(&s.ids[0], &dash_id, sizeof(dash_id));
	assert_int_equal(s.ids[1].ino, 7);
	assert_int_equal(s.digests[1][0], 2);
	/* Nothing to write: the header alone, still a cache. */
	e.count = 0;
	assert_int_equal(hashcache_open(path, &fd), 0);
	assert_int_equal(hashcache_write(fd, entries_next, &e), 0);
	close(fd);
	assert_int_equal(load(&s, &bad), 0);
}

/* A rewrite cut anywhere (a crash) leaves whole entries and at most one bad line. */
static void test_torn_rewrite(void **state)
{
	struct rec_file_id ids[4] = { dash_id, dash_id, dash_id, dash_id };
	struct entries e = { .ids = ids, .count = 4 };
	unsigned int bad = 0;
	struct stat st;
	struct seen s;
	off_t full;
	int fd;

	for (int i = 0; i < 4; i++)
		ids[i].ino = 100 + i;
	unlink(path);
	assert_int_equal(hashcache_open(path, &fd), 0);
	assert_int_equal(hashcache_write(fd, entries_next, &e), 4);
	assert_int_equal(fstat(fd, &st), 0);
	full = st.st_size;
	for (off_t cut = strlen(HASHCACHE_HEADER); cut < full; cut += 7) {
		assert_int_equal(hashcache_write(fd, entries_next, &e), 4);
		assert_int_equal(ftruncate(fd, cut), 0);
		assert_true(load(&s, &bad) >= 0);
		assert_true(bad <= 1);
		for (int i = 0; i < s.count && i < 8; i++) {
			assert_int_equal(s.ids[i].ino, 100 + i);
			assert_int_equal(s.digests[i][0], i + 1);
		}
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_round_trip),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_read_skips_bad_lines),
		cmocka_unit_test(test_refused_files),
		cmocka_unit_test(test_new_file_created_private),
		cmocka_unit_test(test_write_replaces_everything),
		cmocka_unit_test(test_torn_rewrite),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
