/* SPDX-License-Identifier: GPL-2.0-only */
/* Test helpers: small traces written to temporary files, plain or as gzip members. */
#ifndef READER_TESTS_HELPERS_H
#define READER_TESTS_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char temp_paths[128][64];
static int n_temp_paths;

static void remove_temp_files(void)
{
	while (n_temp_paths > 0)
		unlink(temp_paths[--n_temp_paths]);
}

/* Writes text to a new temporary file, as one gzip member per chunk separated by '\f'
 * when gz is set; returns the path (static buffer). */
static inline const char *write_temp(const char *text, int gz)
{
	static char path[64];
	const char *p = text, *ff;
	gzFile g;
	int fd;

	snprintf(path, sizeof(path), "/tmp/reader-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || n_temp_paths == 128)
		abort();
	if (!n_temp_paths)
		atexit(remove_temp_files);
	memcpy(temp_paths[n_temp_paths++], path, sizeof(path));
	if (!gz) {
		if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			abort();
		close(fd);
		return path;
	}
	close(fd);
	do {
		ff = strchr(p, '\f');
		g = gzopen(path, "ab");
		gzwrite(g, p, ff ? (unsigned)(ff - p) : (unsigned)strlen(p));
		gzclose(g);
		p = ff ? ff + 1 : NULL;
	} while (p);
	return path;
}

#define START \
	"{\"type\":\"trace_start\",\"timestamp\":\"2026-01-01T00:00:00.000000000Z\",\"job_id\":\"t\"}\n"
#define END \
	"{\"type\":\"trace_end\",\"timestamp\":\"2026-01-01T00:00:09.000000000Z\",\"job_id\":\"t\",\"events\":1,\"by_type\":{},\"lost\":0,\"duration_ns\":9}\n"
#define EV(type, pid, ppid, comm, rest)                                                   \
	"{\"type\":\"" type                                                               \
	"\",\"timestamp\":\"2026-01-01T00:00:01.000000000Z\",\"job_id\":\"t\","           \
	"\"pid\":" #pid ",\"tid\":" #pid ",\"ppid\":" #ppid ",\"uid\":0,\"comm\":\"" comm \
	"\",\"exec_id\":\"" #pid "-1\",\"cgroup_id\":1" rest "}\n"
#define EXEC(pid, ppid, comm, exe, args)                                  \
	EV("process_exec", pid, ppid, comm,                               \
	   ",\"filename\":\"" exe "\",\"exe\":\"" exe "\",\"args\":" args \
	   ",\"parent_exec_id\":\"" #ppid "-1\"")
#define OPEN(pid, ppid, comm, path, flags, ret) \
	EV("file_open", pid, ppid, comm,        \
	   ",\"path\":\"" path "\",\"flags\":\"" flags "\",\"ret\":" #ret)
#define CONNECT(pid, ppid, comm, addr, port, host)          \
	EV("net_connect", pid, ppid, comm,                  \
	   ",\"dst_addr\":\"" addr "\",\"dst_port\":" #port \
	   ",\"protocol\":\"tcp\",\"family\":\"inet\",\"ret\":0" host)

#endif
