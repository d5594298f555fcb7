/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * records.c through its entry point, records_handle(), with records built the way the BPF
 * programs lay them out: the lines they become, what one record leaves for the next, and
 * how a record that cannot be used is counted.
 */
#include <errno.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "capture.h"
#include "records.h"

static struct capture cap;
static struct trace trace;
static struct records records;
static struct cgroup_cache *cgroups;
static unsigned int takes; /* calls of the write-totals callback */

/* The kernel's map, as the daemon sees it: one entry, taken once. */
static struct write_key kernel_key = { .pid = 500, .file = 0xf00 };
static bool kernel_has_totals;

static int take_totals(void *ctx, const struct write_key *key, struct write_totals *totals)
{
	takes++;
	if (!kernel_has_totals || memcmp(key, &kernel_key, sizeof(*key)) != 0)
		return -ENOENT;
	kernel_has_totals = false;
	*totals = (struct write_totals){ .bytes = 4096, .writes = 2 };
	return 0;
}

static int setup(void **state)
{
	struct records_config cfg = {
		.trace = &trace,
		.output_path = "/var/lib/tracerd/job.jsonl.gz",
		.take_write_totals = take_totals,
	};

	capture_open(&cap);
	trace_init(&trace, "job", cap.out);
	assert_int_equal(cgroup_cache_new_at(&cgroups, -1), 0);
	cfg.cgroups = cgroups;
	assert_int_equal(records_init(&records, &cfg), 0);
	takes = 0;
	kernel_has_totals = false;
	return 0;
}

static int teardown(void **state)
{
	records_free(&records);
	cgroup_cache_free(cgroups);
	trace_free(&trace);
	capture_close(&cap);
	return 0;
}

static size_t finish(void)
{
	trace_flush(&trace);
	return capture_read(&cap);
}

static struct rec_header header(uint16_t type, size_t size, uint32_t pid)
{
	struct rec_header h = {
		.type = type,
		.size = (uint16_t)size,
		.pid = pid,
		.tid = pid,
		.ppid = 1,
		.timestamp_ns = 1000,
		.exec_ns = 777,
		.cgroup_id = 1,
	};

	strcpy(h.comm, "sh");
	return h;
}

/* Appends a string to a record's data area; returns its reference. */
static struct rec_str put(char *data, size_t *used, const char *s, size_t len)
{
	struct rec_str ref = { .off = (uint16_t)*used, .len = (uint16_t)len };

	memcpy(data + *used, s, len);
	*used += len;
	return ref;
}

static void exec_record(uint32_t pid, const char *cwd)
{
	static const char args[] = "sh\0-c\0echo hi"; /* the last one cut: no NUL */
	union {
		struct rec_exec rec;
		char bytes[1024];
	} u = { 0 };
	size_t used = 0;

	u.rec.filename = put(u.rec.data, &used, "/bin/sh", 7);
	u.rec.exe = put(u.rec.data, &used, "/usr/bin/dash", 13);
	u.rec.cwd = put(u.rec.data, &used, cwd, strlen(cwd));
	u.rec.args = put(u.rec.data, &used, args, sizeof(args) - 1);
	u.rec.cgroup = put(u.rec.data, &used, "", 0);
	u.rec.flags = EXEC_HAS_PARENT | EXEC_ARGS_TRUNCATED;
	u.rec.parent_exec_ns = 55;
	u.rec.h = header(REC_EXEC, sizeof(u.rec) + used, pid);
	records_handle(&records, &u, sizeof(u.rec) + used);
}

static void test_exec_line(void **state)
{
	json_t *ex, *args;

	exec_record(500, "/work");
	assert_int_equal(finish(), 1);
	ex = capture_find(&cap, "process_exec", 0);
	assert_non_null(ex);
	assert_int_equal(capture_int(ex, "pid"), 500);
	assert_string_equal(capture_str(ex, "comm"), "sh");
	assert_string_equal(capture_str(ex, "exec_id"), "500-777");
	assert_string_equal(capture_str(ex, "parent_exec_id"), "1-55");
	assert_string_equal(capture_str(ex, "filename"), "/bin/sh");
	assert_string_equal(capture_str(ex, "exe"), "/usr/bin/dash");
	assert_string_equal(capture_str(ex, "cwd"), "/work");
	args = json_object_get(ex, "args");
	assert_int_equal(json_array_size(args), 3);
	assert_string_equal(json_string_value(json_array_get(args, 2)), "echo hi");
	assert_true(json_is_true(json_object_get(ex, "args_truncated")));
	assert_null(json_object_get(ex, "exe_memfd"));
}

static void exit_record(uint32_t pid, uint32_t status)
{
	struct rec_exit rec = { .h = header(REC_EXIT, sizeof(rec), pid), .duration_ns = 12345 };

	rec.exit_code = status;
	records_handle(&records, &rec, sizeof(rec));
}

static void test_exit_status(void **state)
{
	json_t *a, *b;

	exit_record(501, 3 << 8);
	exit_record(502, 9 | 0x80); /* killed by SIGKILL... with a core, as the kernel says */
	assert_int_equal(finish(), 2);
	a = capture_find(&cap, "process_exit", 0);
	assert_int_equal(capture_int(a, "exit_code"), 3);
	assert_null(json_object_get(a, "signal"));
	assert_int_equal(capture_int(a, "duration_ns"), 12345);
	b = capture_find(&cap, "process_exit", 1);
	assert_int_equal(capture_int(b, "signal"), 9);
	assert_null(json_object_get(b, "exit_code"));
	assert_true(json_is_true(json_object_get(b, "core_dumped")));
}

/* An open record of pid for path (base: the directory a relative path starts from). */
static void open_record_send(uint32_t pid, const char *path, const char *base, uint32_t flags,
			     int ret, uint64_t file, uint64_t seq)
{
	union {
		struct rec_open rec;
		char bytes[512];
	} u = { 0 };
	size_t used = 0;

	u.rec.path = put(u.rec.data, &used, path, strlen(path));
	u.rec.base = put(u.rec.data, &used, base, strlen(base));
	u.rec.flags = flags;
	u.rec.ret = ret;
	u.rec.open_flags = 01 | 0100; /* O_WRONLY|O_CREAT */
	u.rec.file = file;
	u.rec.open_seq = seq;
	u.rec.h = header(REC_OPEN, sizeof(u.rec) + used, pid);
	records_handle(&records, &u, sizeof(u.rec) + used);
}

static void open_record(uint32_t pid, const char *path, const char *base, uint32_t flags, int ret)
{
	open_record_send(pid, path, base, flags, ret, 0, 0);
}

static void test_open_paths_and_cwd(void **state)
{
	json_t *a, *b;

	exec_record(600, "/home/ci");
	open_record(600, "../etc/./netrc", "/home/ci", OPEN_PATH_RELATIVE, -ENOENT);
	open_record(600, "/tmp/out", "", 0, 3);
	assert_int_equal(finish(), 3);
	a = capture_find(&cap, "file_open", 0);
	assert_string_equal(capture_str(a, "path"), "/home/etc/netrc");
	assert_string_equal(capture_str(a, "flags"), "O_WRONLY|O_CREAT");
	assert_int_equal(capture_int(a, "ret"), -ENOENT);
	/* The exec told where the process was: every later line says so. */
	assert_string_equal(capture_str(a, "cwd"), "/home/ci");
	b = capture_find(&cap, "file_open", 1);
	assert_string_equal(capture_str(b, "path"), "/tmp/out");
	assert_int_equal(capture_int(b, "ret"), 3);
}

static void test_pseudo_file_names(void **state)
{
	union {
		struct rec_open rec;
		char bytes[256];
	} u = { 0 };
	size_t used = 0;

	u.rec.path = put(u.rec.data, &used, "/", 1);
	u.rec.flags = OPEN_PSEUDO;
	u.rec.pseudo_magic = PIPEFS_MAGIC;
	u.rec.pseudo_ino = 4242;
	u.rec.ret = 5;
	u.rec.h = header(REC_OPEN, sizeof(u.rec) + used, 700);
	records_handle(&records, &u, sizeof(u.rec) + used);
	assert_int_equal(finish(), 1);
	assert_string_equal(capture_str(capture_find(&cap, "file_open", 0), "path"), "pipe:[4242]");
}

static void write_record(uint16_t type, const char *path, uint32_t flags)
{
	union {
		struct rec_write rec;
		char bytes[256];
	} u = { 0 };
	size_t used = 0;

	u.rec.key = kernel_key;
	u.rec.path = put(u.rec.data, &used, path, strlen(path));
	u.rec.flags = flags;
	u.rec.totals = (struct write_totals){ .bytes = 10, .writes = 1 };
	u.rec.h = header(type, sizeof(u.rec) + used, kernel_key.pid);
	records_handle(&records, &u, sizeof(u.rec) + used);
}

static void test_write_close_takes_the_first_path(void **state)
{
	json_t *w;

	write_record(REC_WRITE_FIRST, "/tmp/build.log", 0);
	write_record(REC_WRITE_CLOSE, "", WRITE_PATH_FROM_FIRST);
	records_finish(&records);
	assert_int_equal(finish(), 1);
	w = capture_find(&cap, "file_write", 0);
	assert_string_equal(capture_str(w, "path"), "/tmp/build.log");
	assert_int_equal(capture_int(w, "bytes"), 10);
	assert_int_equal(capture_int(w, "writes"), 1);
	assert_int_equal(takes, 0); /* the close record carried the totals */
}

static void test_write_flushed_at_exit_from_the_kernel_totals(void **state)
{
	json_t *w;

	write_record(REC_WRITE_FIRST, "/tmp/left-open", 0);
	kernel_has_totals = true;
	exit_record(kernel_key.pid, 0);
	assert_int_equal(finish(), 2);
	w = capture_find(&cap, "file_write", 0);
	assert_string_equal(capture_str(w, "path"), "/tmp/left-open");
	assert_int_equal(capture_int(w, "bytes"), 4096);
	assert_int_equal(capture_int(w, "writes"), 2);
	assert_int_equal(takes, 1);
	/* Taken once: nothing left for the end of the trace. */
	records_finish(&records);
	assert_int_equal(finish(), 2);
}

static void numbered_open_record(uint32_t pid, const char *path, uint64_t file, uint64_t seq,
				 uint32_t flags)
{
	open_record_send(pid, path, "", flags, 3, file, seq);
}

static void write_from_open(uint16_t type, uint64_t seq, uint32_t flags)
{
	struct rec_write rec = { .key = kernel_key, .flags = flags, .open_seq = seq };

	rec.totals = (struct write_totals){ .bytes = 10, .writes = 1 };
	rec.h = header(type, sizeof(rec), kernel_key.pid);
	records_handle(&records, &rec, sizeof(rec));
}

/* A first write that names its open by number gets that open's path, as a walk would. */
static void test_write_first_takes_the_open_path(void **state)
{
	json_t *w;

	numbered_open_record(kernel_key.pid, "/tmp/other", 0xbad, 41, 0);
	numbered_open_record(kernel_key.pid, "/tmp/out/obj.o", kernel_key.file, 42, 0);
	write_from_open(REC_WRITE_FIRST, 42, WRITE_PATH_FROM_OPEN);
	write_record(REC_WRITE_CLOSE, "", WRITE_PATH_FROM_FIRST);
	assert_int_equal(finish(), 3);
	w = capture_find(&cap, "file_write", 0);
	assert_string_equal(capture_str(w, "path"), "/tmp/out/obj.o");
	assert_null(json_object_get(w, "path_truncated"));
	assert_int_equal(capture_int(w, "bytes"), 10);
	assert_int_equal(trace.lost[LOSS_FILE_WRITE], 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 0);
}

/*
 * A number the daemon no longer holds (or whose open was of another file, or whose slot a
 * newer open took): no line with a wrong path, a file_write counted lost.
 */
static void test_write_first_of_an_unknown_open_is_lost(void **state)
{
	numbered_open_record(kernel_key.pid, "/tmp/a", 0xbad, 5, 0);
	write_from_open(REC_WRITE_FIRST, 5, WRITE_PATH_FROM_OPEN); /* another file's */
	write_from_open(REC_WRITE_FIRST, 6, WRITE_PATH_FROM_OPEN); /* never seen */
	numbered_open_record(kernel_key.pid, "/tmp/b", kernel_key.file, 7, 0);
	write_from_open(REC_WRITE_FIRST, 7, WRITE_PATH_FROM_OPEN);
	write_record(REC_WRITE_CLOSE, "", WRITE_PATH_FROM_FIRST);
	numbered_open_record(kernel_key.pid, "/tmp/c", 0xbad, 7 + TRACERD_OPEN_PATHS, 0);
	write_from_open(REC_WRITE_FIRST, 7, WRITE_PATH_FROM_OPEN); /* its slot taken since */
	write_record(REC_WRITE_CLOSE, "", WRITE_PATH_FROM_FIRST);
	assert_int_equal(finish(), 4); /* three opens, one file_write of /tmp/b */
	assert_string_equal(capture_str(capture_find(&cap, "file_write", 0), "path"), "/tmp/b");
	/* Each missing path counts as the first record lost would: at it, and at the close. */
	assert_int_equal(trace.lost[LOSS_FILE_WRITE], 4);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 0);
}

/* Numbers and the flag only where the kernel sends them. */
static void test_bad_open_numbers_are_refused(void **state)
{
	numbered_open_record(1, "/tmp/a", 0xf00, 0, 0); /* a file without a number */
	numbered_open_record(1, "/tmp/a", 0, 3, 0); /* a number without a file */
	numbered_open_record(1, "/tmp/a", 0xf00, 3, OPEN_PATH_TRUNCATED);
	numbered_open_record(1, "/", 0xf00, 3, OPEN_PSEUDO);
	numbered_open_record(1, "rel", 0xf00, 3, OPEN_PATH_RELATIVE);
	write_from_open(REC_WRITE_CLOSE, 3, WRITE_PATH_FROM_OPEN); /* first writes only */
	write_from_open(REC_WRITE_FIRST, 0, WRITE_PATH_FROM_OPEN); /* no number */
	write_from_open(REC_WRITE_FIRST, 3, WRITE_PATH_FROM_OPEN | WRITE_PATH_TRUNCATED);
	write_from_open(REC_WRITE_FIRST, 3, WRITE_PATH_FROM_OPEN | WRITE_PATH_FROM_FIRST);
	write_from_open(REC_WRITE_FIRST, 3, 0); /* a number without the flag */
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 10);
}

static void test_dns_answer_names_a_connect(void **state)
{
	static const uint8_t answer[] = {
		0x12, 0x34, 0x81, 0x80, 0,   1, 0,   1,	  0,   0,   0, 0, /* header: 1 question, 1 answer */
		4,    'r',  'e',  'p',	'o', 4, 't', 'e', 's', 't', 0, 0, 1,
		0,    1, /* repo.test A IN */
		0xc0, 12,   0,	  1,	0,   1, 0,   0,	  0,   60,  0, 4, 10,
		1,    2,    3, /* A 10.1.2.3 */
	};
	struct rec_dns dns = { .h = header(REC_DNS, 0, 800) };
	struct rec_connect conn = { .h = header(REC_CONNECT, sizeof(conn), 800) };
	size_t size = offsetof(struct rec_dns, payload) + sizeof(answer);
	json_t *c;

	dns.h.size = (uint16_t)size;
	dns.flags = DNS_RECEIVED;
	dns.len = sizeof(answer);
	memcpy(dns.payload, answer, sizeof(answer));
	records_handle(&records, &dns, size);
	conn.dst = (struct rec_net){ .family = AF_INET,
				     .addr_family = AF_INET,
				     .port = 443,
				     .protocol = NET_PROTO_TCP,
				     .addr = { 10, 1, 2, 3 } };
	conn.ret = -115;
	records_handle(&records, &conn, sizeof(conn));
	assert_int_equal(finish(), 1);
	c = capture_find(&cap, "net_connect", 0);
	assert_string_equal(capture_str(c, "dst_addr"), "10.1.2.3");
	assert_int_equal(capture_int(c, "dst_port"), 443);
	assert_string_equal(capture_str(c, "protocol"), "tcp");
	assert_string_equal(capture_str(c, "family"), "inet");
	assert_string_equal(capture_str(c, "hostname"), "repo.test");
	assert_int_equal(capture_int(c, "ret"), -115);
}

static void test_supervisor_stop_is_no_tamper(void **state)
{
	struct rec_tamper stop = { .h = header(REC_TAMPER, sizeof(stop), 1) };
	struct rec_tamper sig = { .h = header(REC_TAMPER, sizeof(sig), 900) };

	stop.action = TAMPER_SUPERVISOR_STOP;
	stop.value = 15;
	stop.target_pid = 42;
	strcpy(stop.h.comm, "systemd");
	records_handle(&records, &stop, sizeof(stop));
	sig.action = TAMPER_SIGNAL;
	sig.value = 10;
	sig.target_pid = 42;
	records_handle(&records, &sig, sizeof(sig));
	assert_int_equal(finish(), 1);
	assert_int_equal(capture_int(capture_find(&cap, "tamper", 0), "signal"), 10);
	assert_int_equal(trace.signal_senders[15].pid, 1);
	assert_string_equal(trace.signal_senders[15].comm, "systemd");
	assert_int_equal(trace.signal_senders[10].pid, 900);
}

static void test_bad_records_are_counted(void **state)
{
	struct rec_exit rec = { .h = header(REC_EXIT, sizeof(rec), 1) };
	struct rec_header unknown = header(REC_TYPE_MAX, sizeof(unknown), 1);
	union {
		struct rec_open rec;
		char bytes[64];
	} u = { 0 };

	rec.h.size = sizeof(rec) + 1; /* says more than it holds */
	records_handle(&records, &rec, sizeof(rec));
	records_handle(&records, &rec, 3); /* not even a header */
	records_handle(&records, &unknown, sizeof(unknown));
	u.rec.h = header(REC_OPEN, sizeof(u.rec) + 4, 1);
	u.rec.path = (struct rec_str){ .off = 2, .len = 10 }; /* past the data */
	records_handle(&records, &u, sizeof(u.rec) + 4);
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 4);
}

/* What the schema-checking fuzzer found: values no kernel sends, refused, never written. */
static void test_out_of_range_values_are_refused(void **state)
{
	struct rec_exit ex = { .h = header(REC_EXIT, sizeof(ex), 1), .exit_code = 100 };
	struct rec_connect conn = { .h = header(REC_CONNECT, sizeof(conn), 1), .ret = 5 };
	struct rec_tamper sig = { .h = header(REC_TAMPER, sizeof(sig), 1) };
	struct rec_exit pid0 = { .h = header(REC_EXIT, sizeof(pid0), 0) };

	records_handle(&records, &ex, sizeof(ex)); /* "killed by signal 100" */
	conn.dst = (struct rec_net){ .family = AF_INET, .addr_family = AF_INET, .port = 1 };
	records_handle(&records, &conn, sizeof(conn)); /* a connect does not return 5 */
	sig.action = TAMPER_SIGNAL;
	sig.value = 65;
	records_handle(&records, &sig, sizeof(sig));
	records_handle(&records, &pid0, sizeof(pid0));
	exit_record(1, 0x80); /* "exited 0 with a core dump" */
	exit_record(1, (3 << 8) | 9); /* an exit code and a signal */
	exit_record(1, 1 << 16);
	open_record(1, "relative/without/its/flag", "", 0, 3);
	open_record(1, "/etc/passwd", "", 0, -100000); /* not an errno */
	write_record(REC_WRITE_FIRST, "", WRITE_PATH_FROM_FIRST); /* a first write has a path */
	exec_record(1, "not/absolute");
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 11);
}

static struct rec_listen listen_record(uint16_t type, uint32_t kind, uint8_t protocol, int ret)
{
	struct rec_listen rec = { .h = header(type, sizeof(rec), 700), .kind = kind, .ret = ret };

	rec.local = (struct rec_net){
		.family = AF_INET6, .addr_family = AF_INET6, .port = 8080, .protocol = protocol
	};
	rec.peer = rec.local;
	rec.peer.port = 50123;
	rec.peer.addr[15] = 1;
	return rec;
}

static void test_listen_and_accept_lines(void **state)
{
	struct rec_listen ln = listen_record(REC_LISTEN, LISTEN_TCP, NET_PROTO_TCP, 0);
	struct rec_listen udp = listen_record(REC_LISTEN, LISTEN_UDP_BIND, NET_PROTO_UDP, -98);
	struct rec_listen acc = listen_record(REC_ACCEPT, LISTEN_ACCEPT, NET_PROTO_TCP, 7);
	json_t *o;

	udp.local.addr_family = AF_INET;
	udp.local.family = AF_INET;
	memcpy(udp.local.addr, (uint8_t[]){ 127, 0, 0, 1 }, 4);
	records_handle(&records, &ln, sizeof(ln));
	records_handle(&records, &udp, sizeof(udp));
	records_handle(&records, &acc, sizeof(acc));
	assert_int_equal(finish(), 3);
	o = capture_find(&cap, "net_listen", 0);
	assert_string_equal(capture_str(o, "addr"), "::");
	assert_int_equal(capture_int(o, "port"), 8080);
	assert_string_equal(capture_str(o, "protocol"), "tcp");
	assert_string_equal(capture_str(o, "family"), "inet6");
	assert_int_equal(capture_int(o, "ret"), 0);
	o = capture_find(&cap, "net_listen", 1);
	assert_string_equal(capture_str(o, "addr"), "127.0.0.1");
	assert_string_equal(capture_str(o, "protocol"), "udp");
	assert_string_equal(capture_str(o, "family"), "inet");
	assert_int_equal(capture_int(o, "ret"), -98);
	o = capture_find(&cap, "net_accept", 0);
	assert_string_equal(capture_str(o, "addr"), "::");
	assert_int_equal(capture_int(o, "port"), 8080);
	assert_string_equal(capture_str(o, "peer_addr"), "::1");
	assert_int_equal(capture_int(o, "peer_port"), 50123);
	assert_int_equal(capture_int(o, "ret"), 7);
	assert_int_equal(trace.lines[LINE_NET_LISTEN], 2);
	assert_int_equal(trace.lines[LINE_NET_ACCEPT], 1);
}

/* Listener records the kernel does not send: each refused, none written. */
static void test_bad_listen_records_are_refused(void **state)
{
	struct rec_listen bad[] = {
		listen_record(REC_LISTEN, LISTEN_TCP, NET_PROTO_TCP, 3), /* listen returns 0 */
		listen_record(REC_LISTEN, LISTEN_TCP, NET_PROTO_UDP, 0), /* a UDP listen() */
		listen_record(REC_LISTEN, LISTEN_UDP_BIND, NET_PROTO_TCP, 0), /* bind of TCP */
		listen_record(REC_LISTEN, LISTEN_UDP_BIND, NET_PROTO_UDP, 0), /* port 0, below */
		listen_record(REC_LISTEN, LISTEN_ACCEPT, NET_PROTO_TCP, 4), /* kind of type */
		listen_record(REC_ACCEPT, LISTEN_TCP, NET_PROTO_TCP, 0), /* type of kind */
		listen_record(REC_ACCEPT, LISTEN_ACCEPT, NET_PROTO_TCP, -11), /* no fd */
		listen_record(REC_ACCEPT, LISTEN_ACCEPT, NET_PROTO_TCP, 4), /* peer port 0, below */
		listen_record(REC_ACCEPT, LISTEN_ACCEPT, NET_PROTO_TCP, 4), /* peer family 0 */
		listen_record(REC_LISTEN, LISTEN_TCP, NET_PROTO_TCP, 0), /* family AF_UNIX */
		listen_record(REC_LISTEN, LISTEN_TCP, NET_PROTO_TCP, -5000), /* not an errno */
		listen_record(REC_LISTEN, 9, NET_PROTO_TCP, 0), /* no such kind */
	};
	size_t i;

	bad[3].local.port = 0;
	bad[7].peer.port = 0;
	bad[8].peer.addr_family = 0;
	bad[9].local.family = AF_UNIX;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		records_handle(&records, &bad[i], sizeof(bad[i]));
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], sizeof(bad) / sizeof(bad[0]));
}

static struct rec_access access_record(uint32_t action, int64_t value, int ret)
{
	struct rec_access rec = { .h = header(REC_ACCESS, sizeof(rec), 700) };

	rec.action = action;
	rec.target_pid = 4321;
	rec.target_exec_ns = 987654321;
	rec.value = value;
	rec.ret = ret;
	return rec;
}

static void test_process_access_lines(void **state)
{
	struct rec_access attach = access_record(ACCESS_PTRACE, 16, 0);
	struct rec_access getfd = access_record(ACCESS_PIDFD_GETFD, 2, 5);
	struct rec_access readv = access_record(ACCESS_MEM_READ, 0, -14);
	json_t *o;

	getfd.flags = ACCESS_PID_NAMESPACED;
	getfd.target_exec_ns = 0;
	records_handle(&records, &attach, sizeof(attach));
	records_handle(&records, &getfd, sizeof(getfd));
	records_handle(&records, &readv, sizeof(readv));
	assert_int_equal(finish(), 3);
	o = capture_find(&cap, "process_access", 0);
	assert_string_equal(capture_str(o, "action"), "ptrace");
	assert_int_equal(capture_int(o, "target_pid"), 4321);
	assert_string_equal(capture_str(o, "target_exec_id"), "4321-987654321");
	assert_int_equal(capture_int(o, "request"), 16);
	assert_string_equal(capture_str(o, "request_name"), "PTRACE_ATTACH");
	assert_int_equal(capture_int(o, "ret"), 0);
	o = capture_find(&cap, "process_access", 1);
	assert_string_equal(capture_str(o, "action"), "pidfd_getfd");
	assert_null(json_object_get(o, "target_exec_id"));
	assert_true(json_is_true(json_object_get(o, "target_pid_namespaced")));
	assert_int_equal(capture_int(o, "target_fd"), 2);
	assert_int_equal(capture_int(o, "ret"), 5);
	o = capture_find(&cap, "process_access", 2);
	assert_string_equal(capture_str(o, "action"), "process_vm_readv");
	assert_null(json_object_get(o, "request"));
	assert_int_equal(capture_int(o, "ret"), -14);
	assert_int_equal(trace.lines[LINE_PROCESS_ACCESS], 3);
}

static void test_bad_access_records_are_refused(void **state)
{
	struct rec_access bad[] = {
		access_record(0, 0, 0), /* no action */
		access_record(ACCESS_PIDFD_GETFD + 1, 0, 0), /* no such action */
		access_record(ACCESS_PTRACE, 7, 0), /* PTRACE_CONT: not reported */
		access_record(ACCESS_PTRACE, 16, 3), /* an attach returns 0 */
		access_record(ACCESS_MEM_READ, 1, 64), /* no value for process_vm_readv */
		access_record(ACCESS_PIDFD_GETFD, -1, 3), /* no fd -1 */
		access_record(ACCESS_MEM_WRITE, 0, -5000), /* not an errno */
		access_record(ACCESS_MEM_WRITE, 0, 0), /* no target, below */
		access_record(ACCESS_MEM_WRITE, 0, 0), /* unknown flag, below */
		access_record(ACCESS_MEM_WRITE, 0, 0), /* exec_ns of a namespaced pid, below */
	};
	size_t i;

	bad[7].target_pid = 0;
	bad[8].flags = 1 << 5;
	bad[9].flags = ACCESS_PID_NAMESPACED;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		records_handle(&records, &bad[i], sizeof(bad[i]));
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], sizeof(bad) / sizeof(bad[0]));
}

static struct rec_io_uring_setup io_uring_setup_record(int ret, uint32_t flags, uint32_t sq,
						       uint32_t cq)
{
	struct rec_io_uring_setup rec = {
		.h = header(REC_IO_URING_SETUP, sizeof(rec), 900),
		.ret = ret,
		.entries = 8,
		.setup_flags = flags,
		.sq_entries = sq,
		.cq_entries = cq,
		.ops_traced = 1,
	};

	return rec;
}

static void test_io_uring_setup_lines(void **state)
{
	struct rec_io_uring_setup sqpoll = io_uring_setup_record(3, 1 << 1 | 1 << 2, 8, 16);
	struct rec_io_uring_setup refused = io_uring_setup_record(-22, 1u << 31, 0, 0);
	json_t *o;

	refused.ops_traced = 0;
	records_handle(&records, &sqpoll, sizeof(sqpoll));
	records_handle(&records, &refused, sizeof(refused));
	assert_int_equal(finish(), 2);
	o = capture_find(&cap, "io_uring_setup", 0);
	assert_int_equal(capture_int(o, "entries"), 8);
	assert_string_equal(capture_str(o, "setup_flags"),
			    "IORING_SETUP_SQPOLL|IORING_SETUP_SQ_AFF");
	assert_true(json_is_true(json_object_get(o, "sqpoll")));
	assert_int_equal(capture_int(o, "sq_entries"), 8);
	assert_int_equal(capture_int(o, "cq_entries"), 16);
	assert_true(json_is_true(json_object_get(o, "ops_traced")));
	assert_int_equal(capture_int(o, "ret"), 3);
	o = capture_find(&cap, "io_uring_setup", 1);
	assert_string_equal(capture_str(o, "setup_flags"), "0x80000000");
	assert_null(json_object_get(o, "sqpoll"));
	assert_null(json_object_get(o, "sq_entries"));
	assert_true(json_is_false(json_object_get(o, "ops_traced")));
	assert_int_equal(capture_int(o, "ret"), -22);
	assert_int_equal(trace.lines[LINE_IO_URING_SETUP], 2);
}

/* Setup records the kernel does not send: each refused, none written. */
static void test_bad_io_uring_setup_records_are_refused(void **state)
{
	struct rec_io_uring_setup bad[] = {
		io_uring_setup_record(-22, 0, 8, 16), /* sizes of a ring not made */
		io_uring_setup_record(-5000, 0, 0, 0), /* not an errno */
		io_uring_setup_record(3, 0, 8, 16), /* ops_traced 2, below */
		io_uring_setup_record(3, 0, 0, 16), /* a ring made without its SQ */
	};
	size_t i;

	bad[2].ops_traced = 2;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		records_handle(&records, &bad[i], sizeof(bad[i]));
	assert_int_equal(finish(), 0);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], sizeof(bad) / sizeof(bad[0]));
}

/* Lines of io_uring requests say so; the same records from syscalls do not. */
static void test_via_io_uring(void **state)
{
	struct rec_connect conn = { .h = header(REC_CONNECT, sizeof(conn), 800) };
	union {
		struct rec_write rec;
		char bytes[256];
	} u = { 0 };
	size_t used = 0;
	json_t *o;

	open_record(800, "/tmp/ring", "", OPEN_VIA_IO_URING, 4);
	open_record(800, "/tmp/plain", "", 0, 5);
	conn.dst = (struct rec_net){ .family = AF_INET,
				     .addr_family = AF_INET,
				     .port = 80,
				     .protocol = NET_PROTO_TCP,
				     .addr = { 127, 0, 0, 1 } };
	conn.flags = CONNECT_VIA_IO_URING;
	records_handle(&records, &conn, sizeof(conn));
	conn.flags = 1 << 1; /* no such flag: refused */
	records_handle(&records, &conn, sizeof(conn));
	u.rec.key = kernel_key;
	u.rec.path = put(u.rec.data, &used, "/tmp/ring", 9);
	u.rec.totals = (struct write_totals){ .bytes = 35, .writes = 2, .via_io_uring = 1 };
	u.rec.h = header(REC_WRITE_CLOSE, sizeof(u.rec) + used, kernel_key.pid);
	records_handle(&records, &u, sizeof(u.rec) + used);
	u.rec.totals.via_io_uring = 2; /* a boolean the kernel never sets so: refused */
	records_handle(&records, &u, sizeof(u.rec) + used);
	assert_int_equal(finish(), 4);
	assert_int_equal(trace.lost[LOSS_DECODE_ERROR], 2);
	assert_string_equal(capture_str(capture_find(&cap, "file_open", 0), "via"), "io_uring");
	assert_null(json_object_get(capture_find(&cap, "file_open", 1), "via"));
	assert_string_equal(capture_str(capture_find(&cap, "net_connect", 0), "via"), "io_uring");
	o = capture_find(&cap, "file_write", 0);
	assert_int_equal(capture_int(o, "bytes"), 35);
	assert_string_equal(capture_str(o, "via"), "io_uring");
}

static void test_comm_of_sixteen_bytes(void **state)
{
	struct rec_exit rec = { .h = header(REC_EXIT, sizeof(rec), 1) };

	memcpy(rec.h.comm, "0123456789abcdef", 16); /* no NUL: the kernel keeps 15 */
	records_handle(&records, &rec, sizeof(rec));
	assert_int_equal(finish(), 1);
	assert_string_equal(capture_str(capture_find(&cap, "process_exit", 0), "comm"),
			    "0123456789abcde");
}

static void test_loss_reasons(void **state)
{
	assert_int_equal(records_loss_reason(REC_EXEC), LOSS_PROCESS_EXEC);
	assert_int_equal(records_loss_reason(REC_WRITE_CLOSE), LOSS_FILE_WRITE);
	assert_int_equal(records_loss_reason(REC_CHDIR), LOSS_CWD);
	assert_int_equal(records_loss_reason(REC_TAMPER), LOSS_TAMPER);
	assert_int_equal(records_loss_reason(REC_LISTEN), LOSS_NET_LISTEN);
	assert_int_equal(records_loss_reason(REC_ACCEPT), LOSS_NET_ACCEPT);
	assert_int_equal(records_loss_reason(REC_ACCESS), LOSS_PROCESS_ACCESS);
	assert_int_equal(records_loss_reason(REC_IO_URING_SETUP), LOSS_IO_URING_SETUP);
	assert_int_equal(records_loss_reason(0), LOSS_DECODE_ERROR);
	assert_int_equal(records_loss_reason(REC_TYPE_MAX), LOSS_DECODE_ERROR);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_exec_line),
		T(test_exit_status),
		T(test_open_paths_and_cwd),
		T(test_pseudo_file_names),
		T(test_write_close_takes_the_first_path),
		T(test_write_flushed_at_exit_from_the_kernel_totals),
		T(test_write_first_takes_the_open_path),
		T(test_write_first_of_an_unknown_open_is_lost),
		T(test_bad_open_numbers_are_refused),
		T(test_dns_answer_names_a_connect),
		T(test_supervisor_stop_is_no_tamper),
		T(test_bad_records_are_counted),
		T(test_out_of_range_values_are_refused),
		T(test_listen_and_accept_lines),
		T(test_bad_listen_records_are_refused),
		T(test_process_access_lines),
		T(test_bad_access_records_are_refused),
		T(test_io_uring_setup_lines),
		T(test_bad_io_uring_setup_records_are_refused),
		T(test_via_io_uring),
		T(test_comm_of_sixteen_bytes),
		T(test_loss_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
