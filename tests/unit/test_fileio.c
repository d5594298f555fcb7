/* SPDX-License-Identifier: GPL-2.0-only */
/* fileio.c: whole writes and reads through a pipe that takes less than asked, and errors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"

#define BIG (1 << 20) /* sixteen times a pipe's default buffer: many short writes */

static uint8_t sent[BIG], received[BIG + 1];

static void *reader(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(intptr_t)fileio_read_all(fd, received, sizeof(received));
}

static void test_through_a_pipe(void **state)
{
	pthread_t t;
	void *got;
	int p[2];

	for (size_t i = 0; i < BIG; i++)
		sent[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&t, NULL, reader, &p[0]), 0);
	assert_int_equal(fileio_write_all(p[1], sent, BIG), 0);
	close(p[1]);
	assert_int_equal(pthread_join(t, &got), 0);
	/* Short at end of file only: everything, then nothing more. */
	assert_int_equal((intptr_t)got, BIG);
	assert_memory_equal(received, sent, BIG);
	close(p[0]);
}

static void test_errors(void **state)
{
	char buf[4];
	int p[2];

	assert_int_equal(fileio_write_all(-1, "x", 1), -EBADF);
	assert_int_equal(fileio_read_all(-1, buf, sizeof(buf)), -EBADF);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(fileio_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	/* Nothing to write is done at once, even on a bad fd. */
	assert_int_equal(fileio_write_all(-1, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_through_a_pipe),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
