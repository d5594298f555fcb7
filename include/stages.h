/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where the daemon's time goes, stage by stage (make bench's breakdown). Only a build with
 * -DTRACERD_STAGE_TIMING (bench/bench.mk builds one apart) counts anything; in tracerd
 * itself every macro below is empty, so the switch costs nothing when off.
 *
 * Time is charged exclusively: entering a stage charges the time since the last switch to
 * the stage that was running, so nested stages (a lookup inside building a line) are not
 * counted twice. Ticks are the CPU's time-stamp counter, converted with the monotonic
 * clock at the report.
 */
#ifndef TRACERD_STAGES_H
#define TRACERD_STAGES_H

#include <stdint.h>

enum stage {
	STAGE_LOOP, /* the event loop, timers, loss counters: all not below */
	STAGE_READ, /* libbpf's ring buffer consumption, outside our callback */
	STAGE_DECODE, /* record checks and dispatch */
	STAGE_ENRICH, /* lookups: cwd, containers, first writes, path normalization */
	STAGE_JSON, /* building the line and staging it */
	STAGE_COMPRESS, /* libdeflate */
	STAGE_WRITE, /* write(2) of gzip members */
	STAGES,
};

#ifdef TRACERD_STAGE_TIMING
void stage_enter(enum stage s);
void stage_leave(void);
void stage_records(uint64_t n);
/*
 * A trace line is being built: the running stage becomes STAGE_JSON until the line ends
 * (a switch, not a push: a line given up halfway leaves the stack as it was).
 */
void stage_line_begin(void);
void stage_line_end(void);
/* One line on stderr: nanoseconds spent in each stage, and the records handled. */
void stages_report(void);
#define STAGE_ENTER(s) stage_enter(s)
#define STAGE_LEAVE() stage_leave()
#define STAGE_RECORD() stage_records(1)
#define STAGE_LINE_BEGIN() stage_line_begin()
#define STAGE_LINE_END() stage_line_end()
#define STAGES_REPORT() stages_report()
#else
#define STAGE_ENTER(s) ((void)0)
#define STAGE_LEAVE() ((void)0)
#define STAGE_RECORD() ((void)0)
#define STAGE_LINE_BEGIN() ((void)0)
#define STAGE_LINE_END() ((void)0)
#define STAGES_REPORT() ((void)0)
#endif

#endif
