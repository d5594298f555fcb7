// SPDX-License-Identifier: GPL-2.0-only
/* The bench-only stage timer (include/stages.h): empty unless TRACERD_STAGE_TIMING. */
#include "stages.h"

#ifdef TRACERD_STAGE_TIMING
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define STAGE_DEPTH 8

static const char *const stage_names[STAGES] = {
	[STAGE_LOOP] = "loop",	   [STAGE_READ] = "read", [STAGE_DECODE] = "decode",
	[STAGE_ENRICH] = "enrich", [STAGE_JSON] = "json", [STAGE_COMPRESS] = "compress",
	[STAGE_WRITE] = "write",
};

static struct {
	uint64_t ticks[STAGES];
	uint64_t cpu_ns[STAGES]; /* the long stages' own CPU time (stage_cpu_timed) */
	uint64_t cpu_start;
	enum stage stack[STAGE_DEPTH];
	int depth;
	uint64_t last;
	uint64_t records;
	enum stage line_saved; /* the stage a line's building interrupted */
	uint64_t first_tick, first_ns; /* calibration: ticks against the monotonic clock */
} st;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A cheap counter: the TSC on x86-64 (a few ns), the monotonic clock elsewhere. */
static inline uint64_t stage_now(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return mono_ns();
#endif
}

/*
 * Compressing and writing run for a whole stage of lines at once: long enough to read the
 * thread's CPU clock around them (a syscall), which a preemption does not inflate.
 */
static bool stage_cpu_timed(enum stage s)
{
	return s == STAGE_COMPRESS || s == STAGE_WRITE;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void stage_enter(enum stage s)
{
	uint64_t now = stage_now();

	if (stage_cpu_timed(s))
		st.cpu_start = thread_cpu_ns();
	if (!st.first_ns) {
		st.first_ns = mono_ns();
		st.first_tick = stage_now();
	}
	if (st.depth > 0)
		st.ticks[st.stack[st.depth - 1]] += now - st.last;
	if (st.depth < STAGE_DEPTH)
		st.stack[st.depth] = s;
	st.depth++;
	st.last = now;
}

void stage_leave(void)
{
	uint64_t now = stage_now();

	if (st.depth <= 0)
		return;
	st.depth--;
	if (st.depth < STAGE_DEPTH) {
		st.ticks[st.stack[st.depth]] += now - st.last;
		if (stage_cpu_timed(st.stack[st.depth]))
			st.cpu_ns[st.stack[st.depth]] += thread_cpu_ns() - st.cpu_start;
	}
	st.last = now;
}

/* Charges the running stage and makes s the running one. */
static void stage_switch(enum stage s)
{
	uint64_t now = stage_now();

	if (st.depth <= 0 || st.depth > STAGE_DEPTH)
		return;
	st.ticks[st.stack[st.depth - 1]] += now - st.last;
	st.stack[st.depth - 1] = s;
	st.last = now;
}

void stage_line_begin(void)
{
	if (st.depth > 0 && st.depth <= STAGE_DEPTH)
		st.line_saved = st.stack[st.depth - 1];
	stage_switch(STAGE_JSON);
}

void stage_line_end(void)
{
	stage_switch(st.line_saved);
}

void stage_records(uint64_t n)
{
	st.records += n;
}

void stages_report(void)
{
	uint64_t ns = mono_ns() - st.first_ns, ticks = stage_now() - st.first_tick;
	double ns_per_tick = ticks ? (double)ns / ticks : 0;

	char line[512];
	int n = snprintf(line, sizeof(line), "{\"records\":%llu", (unsigned long long)st.records);

	for (int i = 0; i < STAGES && n > 0 && (size_t)n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, ",\"%s_ns\":%.0f", stage_names[i],
			      st.ticks[i] * ns_per_tick);
	for (int i = 0; i < STAGES && n > 0 && (size_t)n < sizeof(line); i++) {
		if (stage_cpu_timed(i))
			n += snprintf(line + n, sizeof(line) - n, ",\"%s_cpu_ns\":%llu",
				      stage_names[i], (unsigned long long)st.cpu_ns[i]);
	}
	/* One write: the benchmark finds this line in tracerd's stderr. */
	log_msg("stages %s}", line);
}
#endif
