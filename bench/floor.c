// SPDX-License-Identifier: GPL-2.0-only
/*
 * floor: the benchmark's reference tracers. Attaches to tracerd's tracepoints either
 * programs that do nothing (--mode null) or programs sending one 64-byte record per event
 * (--mode record), drained by a reader that only counts, in tracerd's own event loop
 * (src/evloop.c). Writes --pid-file once attached,
 * runs until SIGTERM or SIGINT, then prints one JSON line: records read and records lost.
 *
 *   floor --mode null|record --pid-file PATH [--ring-buffer-kb N]
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "floor.h"
#include "floor_null.skel.h"
#include "floor_record.skel.h"
#include "tracerd_event.h"

#define TICK_MS 100 /* drain period when the kernel does not wake us, as tracerd's */

struct floor {
	bool record;
	const char *pid_file;
	unsigned int ringbuf_kb;
	struct floor_null_bpf *null_skel;
	struct floor_record_bpf *record_skel;
	struct ring_buffer *ring;
	struct evloop loop;
	uint64_t records;
	uint64_t wakeups;
};

static int floor_count(void *ctx, void *data, size_t size)
{
	struct floor *f = ctx;

	f->records++;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level > LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int floor_load(struct floor *f)
{
	struct floor_record_bpf *skel;
	int err;

	if (!f->record) {
		f->null_skel = floor_null_bpf__open_and_load();
		if (!f->null_skel)
			return -errno;
		return floor_null_bpf__attach(f->null_skel);
	}
	skel = floor_record_bpf__open();
	if (!skel)
		return -errno;
	f->record_skel = skel;
	skel->rodata->self_tgid = getpid();
	skel->rodata->wakeup_bytes = f->ringbuf_kb * 1024ull / TRACERD_WAKEUP_FRACTION;
	err = bpf_map__set_max_entries(skel->maps.floor_events, f->ringbuf_kb * 1024u);
	if (!err)
		err = floor_record_bpf__load(skel);
	if (!err)
		err = floor_record_bpf__attach(skel);
	if (err)
		return err;
	f->ring = ring_buffer__new(bpf_map__fd(skel->maps.floor_events), floor_count, f, NULL);
	if (!f->ring)
		return -errno;
	return 0;
}

/* tracerd's own loop; the null floor has no ring buffer, so no timer either. */
static int floor_loop_open(struct floor *f)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	return evloop_open(&f->loop, &mask, NULL, f->ring ? TICK_MS : 0,
			   f->ring ? ring_buffer__epoll_fd(f->ring) : -1);
}

static int pid_file_write(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		err = -EIO;
	close(fd);
	return err;
}

static int floor_loop(struct floor *f)
{
	for (;;) {
		int ready = evloop_wait(&f->loop);

		if (ready < 0)
			return ready;
		if (ready & EVLOOP_SIGNAL)
			return 0;
		if (ready & EVLOOP_DATA)
			f->wakeups++;
		ring_buffer__consume(f->ring);
	}
}

static uint64_t floor_lost(struct floor *f)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values;
	uint64_t total = 0;
	__u32 zero = 0;

	if (!f->record_skel || ncpus <= 0)
		return 0;
	values = calloc(ncpus, sizeof(*values));
	if (!values)
		return 0;
	if (bpf_map__lookup_elem(f->record_skel->maps.floor_lost, &zero, sizeof(zero), values,
				 sizeof(*values) * ncpus, 0) == 0) {
		for (int cpu = 0; cpu < ncpus; cpu++)
			total += values[cpu];
	}
	free(values);
	return total;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: floor --mode null|record --pid-file PATH [--ring-buffer-kb N]\n");
}

static int options_parse(int argc, char **argv, struct floor *f)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "ring-buffer-kb", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "null") && strcmp(optarg, "record"))
				return -EINVAL;
			f->record = strcmp(optarg, "record") == 0;
			break;
		case 'p':
			f->pid_file = optarg;
			break;
		case 'r':
			f->ringbuf_kb = strtoul(optarg, NULL, 10);
			if (f->ringbuf_kb < 64 || (f->ringbuf_kb & (f->ringbuf_kb - 1)))
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return f->pid_file && optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct floor f = { .ringbuf_kb = 16384 };
	bool pid_file_written = false;
	int err;

	if (options_parse(argc, argv, &f)) {
		usage(stderr);
		return 2;
	}
	evloop_init(&f.loop);
	libbpf_set_print(libbpf_print);
	err = floor_load(&f);
	if (err) {
		fprintf(stderr, "floor: cannot load or attach the BPF programs: %s\n",
			strerror(-err));
		goto cleanup;
	}
	err = floor_loop_open(&f);
	if (err) {
		fprintf(stderr, "floor: cannot set up the event loop: %s\n", strerror(-err));
		goto cleanup;
	}
	err = pid_file_write(f.pid_file);
	if (err) {
		fprintf(stderr, "floor: cannot write %s: %s\n", f.pid_file, strerror(-err));
		goto cleanup;
	}
	pid_file_written = true;
	err = floor_loop(&f);
	if (f.ring)
		ring_buffer__consume(f.ring);
	printf("{\"mode\":\"%s\",\"records\":%llu,\"lost\":%llu,\"wakeups\":%llu}\n",
	       f.record ? "record" : "null", (unsigned long long)f.records,
	       (unsigned long long)floor_lost(&f), (unsigned long long)f.wakeups);
cleanup:
	if (pid_file_written)
		unlink(f.pid_file);
	ring_buffer__free(f.ring);
	floor_null_bpf__destroy(f.null_skel);
	floor_record_bpf__destroy(f.record_skel);
	evloop_close(&f.loop);
	return err ? 1 : 0;
}
