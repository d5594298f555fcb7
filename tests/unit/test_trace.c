/* SPDX-License-Identifier: GPL-2.0-only */
/* trace.c: the lines it writes itself, the counts in trace_end, losses, why a trace ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "capture.h"
#include "trace.h"

static struct capture cap;
static struct trace t;

static int setup(void **state)
{
	capture_open(&cap);
	trace_init(&t, "job-7", cap.out);
	return 0;
}

static int teardown(void **state)
{
	trace_free(&t);
	capture_close(&cap);
	return 0;
}

/* An event line as records.c writes one, with nothing but its type. */
static void event_line(enum trace_line_type type)
{
	trace_line_begin(&t, type, trace_boot_now_ns());
	trace_line_end(&t, type);
}

static void test_start_line(void **state)
{
	json_t *start;

	trace_write_start(&t);
	trace_flush(&t);
	assert_int_equal(capture_read(&cap), 1);
	start = capture_find(&cap, "trace_start", 0);
	assert_non_null(start);
	assert_string_equal(capture_str(start, "job_id"), "job-7");
	assert_string_equal(capture_str(start, "version"), TRACERD_VERSION);
	assert_non_null(capture_str(start, "kernel"));
	assert_int_equal(strlen(capture_str(start, "boot_id")), 36);
	/* RFC 3339 with nanoseconds, UTC. */
	assert_int_equal(strlen(capture_str(start, "timestamp")), 30);
	assert_int_equal(capture_str(start, "timestamp")[29], 'Z');
}

static void test_end_counts_events_not_tamper(void **state)
{
	json_t *end, *by_type;

	event_line(LINE_PROCESS_EXEC);
	event_line(LINE_FILE_OPEN);
	event_line(LINE_FILE_OPEN);
	trace_flush(&t); /* some written, some still staged at the end */
	event_line(LINE_FILE_OPEN);
	event_line(LINE_TAMPER);
	t.stop.reason = STOP_COMMAND_EXITED;
	trace_write_end(&t);
	trace_flush(&t);
	assert_int_equal(capture_read(&cap), 6);
	end = capture_find(&cap, "trace_end", 0);
	assert_non_null(end);
	assert_int_equal(capture_int(end, "events"), 4);
	by_type = json_object_get(end, "by_type");
	assert_int_equal(json_object_size(by_type), 2);
	assert_int_equal(capture_int(by_type, "process_exec"), 1);
	assert_int_equal(capture_int(by_type, "file_open"), 3);
	assert_int_equal(capture_int(end, "lost"), 0);
	assert_string_equal(capture_str(end, "stop_reason"), "command_exited");
	assert_null(json_object_get(end, "stop_signal"));
	assert_null(json_object_get(end, "stopped_by_pid"));
}

static void test_end_names_who_stopped(void **state)
{
	json_t *end;

	/* The kernel saw pid 1 send SIGTERM; signalfd says the same pid. */
	trace_signal_sender(&t, 15, 1, "systemd");
	t.stop = (struct trace_stop){ .reason = STOP_SIGNAL, .signal = 15, .sender_pid = 1 };
	trace_write_end(&t);
	trace_flush(&t);
	capture_read(&cap);
	end = capture_find(&cap, "trace_end", 0);
	assert_string_equal(capture_str(end, "stop_reason"), "signal");
	assert_int_equal(capture_int(end, "stop_signal"), 15);
	assert_int_equal(capture_int(end, "stopped_by_pid"), 1);
	assert_string_equal(capture_str(end, "stopped_by_comm"), "systemd");
}

static void test_end_sender_unknown_to_kernel(void **state)
{
	json_t *end;

	/* The kernel's record names another sender (or was lost): signalfd's pid, no comm. */
	trace_signal_sender(&t, 2, 4242, "other");
	trace_signal_sender(&t, 99, 1, "out-of-range"); /* ignored, not a crash */
	t.stop = (struct trace_stop){ .reason = STOP_SIGNAL, .signal = 2, .sender_pid = 77 };
	trace_write_end(&t);
	trace_flush(&t);
	capture_read(&cap);
	end = capture_find(&cap, "trace_end", 0);
	assert_int_equal(capture_int(end, "stop_signal"), 2);
	assert_int_equal(capture_int(end, "stopped_by_pid"), 77);
	assert_null(json_object_get(end, "stopped_by_comm"));
}

static void test_losses_reported_once_as_deltas(void **state)
{
	json_t *first, *second, *end;

	trace_report_losses(&t); /* nothing lost: no line */
	trace_lost_add(&t, LOSS_FILE_OPEN, 3);
	trace_lost_add(&t, LOSS_DECODE_ERROR, 1);
	trace_report_losses(&t);
	trace_report_losses(&t); /* nothing new: no line */
	trace_lost_add(&t, LOSS_FILE_OPEN, 2);
	trace_report_losses(&t);
	trace_write_end(&t);
	trace_flush(&t);
	assert_int_equal(capture_read(&cap), 3);
	first = capture_find(&cap, "events_lost", 0);
	assert_int_equal(capture_int(first, "count"), 4);
	assert_int_equal(capture_int(json_object_get(first, "by_type"), "file_open"), 3);
	assert_int_equal(capture_int(json_object_get(first, "by_type"), "decode_error"), 1);
	second = capture_find(&cap, "events_lost", 1);
	assert_int_equal(capture_int(second, "count"), 2);
	assert_int_equal(json_object_size(json_object_get(second, "by_type")), 1);
	end = capture_find(&cap, "trace_end", 0);
	assert_int_equal(capture_int(end, "lost"), 6);
}

static void test_line_too_long_is_a_write_error(void **state)
{
	static char big[300 * 1024];
	json_t *end;

	memset(big, 'a', sizeof(big));
	trace_line_begin(&t, LINE_FILE_OPEN, trace_boot_now_ns());
	JSON_FIELD_STRING(&t.line, "path", big, sizeof(big));
	trace_line_end(&t, LINE_FILE_OPEN); /* larger than a whole stage: never fits */
	event_line(LINE_FILE_OPEN);
	trace_write_end(&t);
	trace_flush(&t);
	capture_read(&cap);
	end = capture_find(&cap, "trace_end", 0);
	assert_int_equal(capture_int(end, "events"), 1);
	assert_int_equal(capture_int(end, "lost"), 1);
	assert_int_equal(t.lost[LOSS_WRITE_ERROR], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_counts_events_not_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_names_who_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_sender_unknown_to_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_losses_reported_once_as_deltas, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long_is_a_write_error, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
