/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for records.c, the first code to read what the kernel sends: whatever
 * bytes arrive as a ring buffer record, nothing reads outside them and every line that
 * comes out, through trace.c, json.c and output.c's gzip members, is one valid JSON
 * object (jansson, duplicate keys refused) that its line type's schema in schemas/ accepts:
 * every field's JSON type, range and pattern, required fields present, no field the
 * schema does not name (schema_check.c).
 *
 * Each input is handled twice: as it is (the header's size must match, as a real record's
 * does) and with the header's size set to the input's, so that the fuzzer reaches the
 * per-type decoders without having to guess it. Built with -DFUZZ_RECORDS_SEEDS it is
 * instead a program writing well-formed records of every type into a corpus directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tracerd_event.h"

#ifndef FUZZ_RECORDS_SEEDS

#include <jansson.h>
#include <zlib.h>

#include "records.h"
#include "schema_check.h"

/* run.sh passes the source tree's schemas/. */
#ifndef FUZZ_SCHEMA_DIR
#define FUZZ_SCHEMA_DIR "schemas"
#endif

static struct output *out;
static int read_fd = -1;
static struct trace trace;
static struct records records;
static int hasher_fds[2] = { -1, -1 };

static int take_write_totals(void *ctx, const struct write_key *key, struct write_totals *totals);

static struct records_config config = {
	.trace = &trace,
	.output_path = "/var/lib/tracerd/fuzz-job.jsonl.gz",
	.take_write_totals = take_write_totals,
};

static void fail(const char *what, const void *data, size_t len)
{
	fprintf(stderr, "fuzz_records: %s: %.*s\n", what, (int)(len > 2000 ? 2000 : len),
		(const char *)data);
	abort();
}

/*
 * The output goes to a file created once (output_open() insists on O_EXCL) and unlinked
 * at once: nothing is left behind, and a second descriptor reads back what was written.
 */
static void setup(void)
{
	char path[] = "/tmp/fuzz_records-XXXXXX";
	const char *why = NULL;
	char schema_why[512];
	int fd;

	if (schema_check_load(FUZZ_SCHEMA_DIR, schema_why, sizeof(schema_why)) < 0)
		fail("cannot load the schemas", schema_why, strlen(schema_why));
	fd = mkstemp(path);
	if (fd < 0 || close(fd) < 0 || unlink(path) < 0)
		fail("cannot make a temporary name", path, strlen(path));
	if (output_open(path, false, &out, &why) < 0)
		fail("output_open", why, strlen(why));
	read_fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (read_fd < 0)
		fail("cannot read the output back", path, strlen(path));
	trace_init(&trace, "fuzz-job", out);
	/*
	 * Exec lines wait for a hasher: this harness plays it on the socket's other end, so that
	 * held lines, answers and every *_hash_missing word go through the schema check too.
	 */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, hasher_fds) < 0)
		abort();
	config.hashes = exehash_new(hasher_fds[0], &trace);
	if (!config.hashes)
		abort();
	/* No cgroupfs: container ids come from exec records only, never from this machine. */
	if (cgroup_cache_new_at(&config.cgroups, -1) < 0)
		abort();
}

/*
 * The kernel's write totals, made up from the key: files of odd pointers were already
 * reported by a close record, the others flush with totals, so both paths are fuzzed.
 */
static int take_write_totals(void *ctx, const struct write_key *key, struct write_totals *totals)
{
	if (key->file & 1)
		return -ENOENT;
	totals->bytes = key->file >> 1;
	totals->writes = key->pid; /* 0 too: the daemon must not write a line of no write */
	totals->inode = 0;
	totals->path_sent = 1;
	totals->via_io_uring = key->file >> 63; /* the io_uring mark from the kernel's map */
	return 0;
}

/* Every line of the decompressed members: '\n' ended, and what its type's schema allows. */
static void check_lines(const char *text, size_t len)
{
	size_t start = 0;

	if (len && text[len - 1] != '\n')
		fail("output does not end with a newline", text, len);
	for (size_t i = 0; i < len; i++) {
		json_error_t error;
		char why[1024];
		json_t *v;

		if (text[i] != '\n')
			continue;
		v = json_loadb(text + start, i - start,
			       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
			       &error);
		if (!v)
			fail(error.text, text + start, i - start);
		if (!json_is_object(v))
			fail("not an object", text + start, i - start);
		if (schema_check_line(v, why, sizeof(why)) < 0) {
			fprintf(stderr, "fuzz_records: the schema refuses a line: %s\n", why);
			fail("line", text + start, i - start);
		}
		json_decref(v);
		start = i + 1;
	}
}

/* Reads back the gzip members written since the last call, checks them, empties the file. */
static void check_output(void)
{
	static unsigned char gz[1 << 20];
	static char text[16 << 20];
	size_t gz_len = 0, text_len = 0;
	z_stream zs = { 0 };
	int ret = Z_STREAM_END;
	ssize_t n;

	while ((n = pread(read_fd, gz + gz_len, sizeof(gz) - gz_len, gz_len)) > 0)
		gz_len += n;
	if (gz_len == sizeof(gz))
		fail("more output than expected", "", 0);
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		abort();
	zs.next_in = gz;
	zs.avail_in = gz_len;
	while (zs.avail_in > 0) {
		zs.next_out = (unsigned char *)text + text_len;
		zs.avail_out = sizeof(text) - text_len;
		ret = inflate(&zs, Z_NO_FLUSH);
		text_len = sizeof(text) - zs.avail_out;
		if (ret == Z_STREAM_END) {
			inflateReset(&zs);
			continue;
		}
		if (ret != Z_OK || zs.avail_out == 0)
			fail("the output is not complete gzip members", "", 0);
	}
	inflateEnd(&zs);
	if (ret != Z_STREAM_END)
		fail("the output ends inside a gzip member", "", 0);
	check_lines(text, text_len);
	if (ftruncate(output_fd(out), 0) < 0 || lseek(output_fd(out), 0, SEEK_SET) < 0)
		abort();
}

static void handle(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan sees any read past the record. */
	uint8_t *rec = malloc(size ? size : 1);

	if (!rec)
		return;
	memcpy(rec, data, size);
	records_handle(&records, rec, size);
	if (size >= sizeof(struct rec_header) && size <= UINT16_MAX) {
		((struct rec_header *)rec)->size = (uint16_t)size;
		records_handle(&records, rec, size);
	}
	free(rec);
}

/*
 * Answers every request: a made-up digest for an even inode, a missing reason chosen by
 * the inode otherwise; an odd token's answer is not sent (the line is finished as busy).
 */
static void hasher_answer_all(void)
{
	struct exehash_request req;
	struct exehash_answer a;

	while (read(hasher_fds[1], &req, sizeof(req)) >= (ssize_t)EXEHASH_REQUEST_HEADER_LEN) {
		if (req.id.ino % 7 == 3)
			continue;
		memset(&a, 0, sizeof(a));
		a.token = req.token;
		a.kind = req.kind;
		a.id = req.id;
		a.cached = req.id.ino % 3 == 0;
		a.missing = req.id.ino & 1 ? (int32_t)(req.id.ino >> 1) % HASH_MISSING_REASONS : -1;
		memset(a.digest, (int)req.id.ino, sizeof(a.digest));
		if (write(hasher_fds[1], &a, sizeof(a)) < 0)
			break;
	}
	exehash_answers(config.hashes);
	exehash_finish(config.hashes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (read_fd < 0)
		setup();
	if (records_init(&records, &config) < 0)
		abort();

	if (size >= 2 && data[0] == 0xff && data[1] == 0xff) {
		/*
		 * 0xffff (no record type): a stream of records, each after its 16-bit length,
		 * for what one record leaves for the next (DNS answers, writes, TCP prefixes).
		 */
		for (size_t off = 2; off + 2 <= size;) {
			size_t len = data[off] | data[off + 1] << 8;

			off += 2;
			if (len > size - off)
				len = size - off;
			handle(data + off, len);
			off += len;
		}
	} else {
		handle(data, size);
	}
	hasher_answer_all();
	records_finish(&records);
	trace_report_losses(&trace);
	trace_flush(&trace);
	check_output();
	records_free(&records);
	return 0;
}

#else /* FUZZ_RECORDS_SEEDS */

#define CONTAINER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint8_t buf[65536];
static size_t used;
static const char *dir;
static uint8_t stream[65536] = { 0xff, 0xff };
static size_t stream_used = 2;

static void header(struct rec_header *h, uint16_t type, const char *comm)
{
	h->type = type;
	h->pid = 4242;
	h->tid = 4243;
	h->ppid = 4200;
	h->uid = 1000;
	h->timestamp_ns = 123456789012ull;
	h->exec_ns = 120000000000ull;
	h->cgroup_id = 7777;
	strncpy(h->comm, comm, sizeof(h->comm));
}

/*
 * Appends a string to the data area that starts at base (offsetof data); returns its
 * rec_str. As the BPF side does, a record's size is sizeof() plus the data used, which
 * leaves the struct's tail padding unused at the end.
 */
static struct rec_str put(size_t base, const char *s, size_t len)
{
	struct rec_str r = { .off = (uint16_t)(used - base), .len = (uint16_t)len };

	memcpy(buf + used, s, len);
	used += len;
	return r;
}

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Writes the record in buf as one seed, and appends it to the stream seed. */
static void save(const char *name)
{
	((struct rec_header *)buf)->size = (uint16_t)used;
	if (stream_used + 2 + used <= sizeof(stream)) {
		stream[stream_used++] = used & 0xff;
		stream[stream_used++] = used >> 8;
		memcpy(stream + stream_used, buf, used);
		stream_used += used;
	}
	write_file(name, buf, used);
	memset(buf, 0, sizeof(buf));
	used = 0;
}

static void seed_exec_id(const char *name, const char *comm, const char *args, size_t args_len,
			 uint32_t flags, const struct rec_file_id *id)
{
	struct rec_exec *e = (struct rec_exec *)buf;
	const char *cg = "system.slice/docker-" CONTAINER ".scope";

	header(&e->h, REC_EXEC, comm);
	used = offsetof(struct rec_exec, data);
	e->flags = flags;
	e->parent_exec_ns = 110000000000ull;
	e->filename = put(offsetof(struct rec_exec, data), "/usr/bin/curl", 13);
	e->exe = put(offsetof(struct rec_exec, data), "/usr/bin/curl", 13);
	e->cwd = put(offsetof(struct rec_exec, data), "/home/runner/work", 17);
	e->args = put(offsetof(struct rec_exec, data), args, args_len);
	e->cgroup = put(offsetof(struct rec_exec, data), cg, strlen(cg));
	e->exe_id = *id;
	used += sizeof(*e) - offsetof(struct rec_exec, data);
	save(name);
}

static void seed_exec(const char *name, const char *comm, const char *args, size_t args_len,
		      uint32_t flags)
{
	struct rec_file_id id = { .ino = 1312,
				  .size = 260328,
				  .ctime_sec = 1700000000,
				  .ctime_nsec = 123456789,
				  .dev = 8 << 20 | 1 };

	seed_exec_id(name, comm, args, args_len, flags, &id);
}

static void seed_exit(const char *name, uint32_t status)
{
	struct rec_exit *x = (struct rec_exit *)buf;

	header(&x->h, REC_EXIT, "curl");
	x->duration_ns = 5000000;
	x->exit_code = status;
	used = sizeof(*x);
	save(name);
}

static void net(struct rec_net *n, int family, int addr_family, const uint8_t *addr, uint16_t port,
		uint8_t protocol)
{
	n->family = family;
	n->addr_family = addr_family;
	n->port = port;
	n->protocol = protocol;
	memcpy(n->addr, addr, addr_family == AF_INET ? 4 : 16);
}

static void seed_connect(const char *name, int family, int addr_family, const uint8_t *addr,
			 int32_t ret)
{
	struct rec_connect *c = (struct rec_connect *)buf;

	header(&c->h, REC_CONNECT, "curl");
	net(&c->dst, family, addr_family, addr, 443, NET_PROTO_TCP);
	c->ret = ret;
	used = sizeof(*c);
	save(name);
}

static void seed_connect_via_io_uring(const char *name)
{
	static const uint8_t loopback[4] = { 127, 0, 0, 1 };
	struct rec_connect *c = (struct rec_connect *)buf;

	header(&c->h, REC_CONNECT, "iou-wrk-4242");
	net(&c->dst, AF_INET, AF_INET, loopback, 8080, NET_PROTO_TCP);
	c->ret = 0;
	c->flags = CONNECT_VIA_IO_URING;
	used = sizeof(*c);
	save(name);
}

static void seed_io_uring_setup(const char *name, int32_t ret, uint32_t flags)
{
	struct rec_io_uring_setup *u = (struct rec_io_uring_setup *)buf;

	header(&u->h, REC_IO_URING_SETUP, "fio");
	u->ret = ret;
	u->entries = 64;
	u->setup_flags = flags;
	u->sq_entries = ret >= 0 ? 64 : 0;
	u->cq_entries = ret >= 0 ? 128 : 0;
	u->ops_traced = 1;
	used = sizeof(*u);
	save(name);
}

static void seed_listen(const char *name, uint16_t type, uint32_t kind, uint8_t protocol,
			int family, const uint8_t *addr, int32_t ret)
{
	static const uint8_t peer[4] = { 10, 0, 0, 7 };
	struct rec_listen *l = (struct rec_listen *)buf;

	header(&l->h, type, "nc");
	net(&l->local, family, family, addr, 8080, protocol);
	net(&l->peer, AF_INET, AF_INET, peer, 40000, protocol);
	l->kind = kind;
	l->ret = ret;
	used = sizeof(*l);
	save(name);
}

static void seed_access(const char *name, uint32_t action, int64_t value, int32_t ret,
			uint32_t flags)
{
	struct rec_access *a = (struct rec_access *)buf;

	header(&a->h, REC_ACCESS, "gdb");
	a->action = action;
	a->target_pid = 4321;
	a->target_exec_ns = flags ? 0 : 987654321;
	a->value = value;
	a->ret = ret;
	a->flags = flags;
	used = sizeof(*a);
	save(name);
}

static void seed_dns(const char *name, const uint8_t *msg, size_t len, uint16_t flags)
{
	static const uint8_t resolver[4] = { 127, 0, 0, 53 };
	struct rec_dns *d = (struct rec_dns *)buf;

	header(&d->h, REC_DNS, "curl");
	net(&d->dst, AF_INET, AF_INET, resolver, 53,
	    flags & DNS_TCP ? NET_PROTO_TCP : NET_PROTO_UDP);
	d->flags = flags;
	d->len = (uint16_t)len;
	memcpy(d->payload, msg, len);
	used = offsetof(struct rec_dns, payload) + len;
	save(name);
}

static void seed_open(const char *name, const char *path, const char *base, uint32_t flags,
		      int32_t ret)
{
	struct rec_open *o = (struct rec_open *)buf;

	header(&o->h, REC_OPEN, "cat");
	used = offsetof(struct rec_open, data);
	o->ret = ret;
	o->open_flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	o->flags = flags;
	o->path = put(offsetof(struct rec_open, data), path, strlen(path));
	o->base = put(offsetof(struct rec_open, data), base, strlen(base));
	used += sizeof(*o) - offsetof(struct rec_open, data);
	save(name);
}

/* An open whose first write may take its path: the struct file pointer and a number. */
static void seed_open_numbered(const char *name, const char *path, uint64_t seq)
{
	struct rec_open *o = (struct rec_open *)buf;

	header(&o->h, REC_OPEN, "tar");
	used = offsetof(struct rec_open, data);
	o->ret = 5;
	o->open_flags = O_WRONLY | O_CREAT | O_TRUNC;
	o->file = 0xffff888012345678ull; /* seed_write()'s */
	o->open_seq = seq;
	o->path = put(offsetof(struct rec_open, data), path, strlen(path));
	o->base = put(offsetof(struct rec_open, data), "", 0);
	used += sizeof(*o) - offsetof(struct rec_open, data);
	save(name);
}

/* A first write naming its open by number: no path of its own. */
static void seed_write_from_open(const char *name, uint64_t seq)
{
	struct rec_write *w = (struct rec_write *)buf;

	header(&w->h, REC_WRITE_FIRST, "tar");
	used = sizeof(*w);
	w->key.pid = 4242;
	w->key.file = 0xffff888012345678ull;
	w->totals.bytes = 512;
	w->totals.writes = 1;
	w->flags = WRITE_PATH_FROM_OPEN;
	w->open_seq = seq;
	save(name);
}

/* As the BPF side sends them: a path, unless a close says to take the first write's. */
static void seed_write(const char *name, uint16_t type, uint32_t flags)
{
	struct rec_write *w = (struct rec_write *)buf;

	header(&w->h, type, "sh");
	used = offsetof(struct rec_write, data);
	w->key.pid = 4242;
	w->key.file = 0xffff888012345678ull;
	w->totals.bytes = 4096;
	w->totals.writes = 3;
	w->totals.via_io_uring = name[strlen(name) - 1] == 'u'; /* "...-via-io_uring" */
	w->flags = flags;
	if (!(flags & WRITE_PATH_FROM_FIRST))
		w->path = put(offsetof(struct rec_write, data), "/tmp/out.txt", 12);
	used += sizeof(*w) - offsetof(struct rec_write, data);
	save(name);
}

static void seed_tamper(const char *name, uint32_t action, int64_t value)
{
	struct rec_tamper *t = (struct rec_tamper *)buf;

	header(&t->h, REC_TAMPER, "kill");
	t->action = action;
	t->target_pid = 1000;
	t->value = value;
	t->ret = 0;
	used = sizeof(*t);
	save(name);
}

int main(int argc, char **argv)
{
	static const uint8_t v4[4] = { 93, 184, 216, 34 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	static const uint8_t v6[16] = { 0x26, 0x06, 0x28, 0x00, [15] = 1 };
	/* A query for example.com A, and the answer 93.184.216.34 with a compression pointer. */
	static const uint8_t query[] = { 0x12, 0x34, 1,	  0,   0,   1,	 0,   0,   0,	0,
					 0,    0,    7,	  'e', 'x', 'a', 'm', 'p', 'l', 'e',
					 3,    'c',  'o', 'm', 0,   0,	 1,   0,   1 };
	static const uint8_t answer[] = { 0x12, 0x34, 0x81, 0x80, 0,   1,   0,	 1,   0,
					  0,	0,    0,    7,	  'e', 'x', 'a', 'm', 'p',
					  'l',	'e',  3,    'c',  'o', 'm', 0,	 0,   1,
					  0,	1,    0xc0, 12,	  0,   1,   0,	 1,   0,
					  0,	0,    60,   0,	  4,   93,  184, 216, 34 };
	static const char args[] = "curl\0-s\0https://example.com/\0";
	uint8_t framed[sizeof(query) + 2] = { 0, sizeof(query) };

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	memcpy(framed + 2, query, sizeof(query));
	seed_exec("exec", "curl", args, sizeof(args) - 1, EXEC_HAS_PARENT);
	seed_exec("exec-cut", "\xff\"q\\\n", "a\0b\xc3", 5,
		  EXEC_ARGS_TRUNCATED | EXEC_EXE_MEMFD | EXEC_EXE_DELETED);
	seed_exec_id("exec-script", "sh", args, sizeof(args) - 1,
		     EXEC_HAS_PARENT | EXEC_INTERPRETED,
		     &(struct rec_file_id){ .ino = 4, .size = 125688, .dev = 259 << 20 });
	seed_exec_id("exec-too-large", "node", args, sizeof(args) - 1, EXEC_HAS_PARENT,
		     &(struct rec_file_id){ .ino = 9, .size = 1ull << 40 });
	seed_exec_id("exec-bad-ctime", "curl", args, sizeof(args) - 1, 0,
		     &(struct rec_file_id){ .ino = 2, .ctime_nsec = 1000000000 });
	seed_exit("exit-code", 1 << 8);
	seed_exit("exit-signal", 9 | 0x80);
	seed_connect("connect-v4", AF_INET, AF_INET, v4, -115);
	seed_connect("connect-mapped", AF_INET6, AF_INET6, mapped, 0);
	seed_connect("connect-v6", AF_INET6, AF_INET6, v6, -111);
	seed_listen("listen-tcp", REC_LISTEN, LISTEN_TCP, NET_PROTO_TCP, AF_INET, v4, 0);
	seed_listen("listen-udp", REC_LISTEN, LISTEN_UDP_BIND, NET_PROTO_UDP, AF_INET6, v6, -98);
	seed_listen("accept", REC_ACCEPT, LISTEN_ACCEPT, NET_PROTO_TCP, AF_INET, v4, 5);
	seed_access("access-attach", ACCESS_PTRACE, 16, 0, 0);
	seed_access("access-seize", ACCESS_PTRACE, 0x4206, -1, 0);
	seed_access("access-readv", ACCESS_MEM_READ, 0, 64, 0);
	seed_access("access-getfd", ACCESS_PIDFD_GETFD, 2, 5, ACCESS_PID_NAMESPACED);
	seed_dns("dns-query", query, sizeof(query), 0);
	seed_dns("dns-answer", answer, sizeof(answer), DNS_RECEIVED);
	seed_dns("dns-tcp", framed, sizeof(framed), DNS_TCP);
	seed_open("open", "/etc/passwd", "", 0, 3);
	seed_open("open-relative", "../x/./y", "/home/runner/work", OPEN_PATH_RELATIVE, -2);
	seed_write("write-first", REC_WRITE_FIRST, 0);
	seed_write("write-close-via-io_uring", REC_WRITE_CLOSE, 0);
	seed_open("open-via-io_uring", "/tmp/ring", "", OPEN_VIA_IO_URING, 4);
	seed_open("open-failed-via-io_uring", "no/such", "/tmp",
		  OPEN_PATH_RELATIVE | OPEN_VIA_IO_URING, -2);
	seed_connect_via_io_uring("connect-via-io_uring");
	seed_dns("dns-query-via-io_uring", query, sizeof(query), DNS_VIA_IO_URING);
	seed_io_uring_setup("io_uring-setup-sqpoll", 5, 1 << 1 | 1 << 3);
	seed_io_uring_setup("io_uring-setup-refused", -22, 1u << 31);
	seed_write("write-close", REC_WRITE_CLOSE, 0);
	seed_write("write-first-again", REC_WRITE_FIRST, 0);
	seed_write("write-close-from-first", REC_WRITE_CLOSE, WRITE_PATH_FROM_FIRST);
	/* An open, its first write taking its path by number, the close; then an unknown one. */
	seed_open_numbered("open-numbered", "/tmp/build/out.o", 42);
	seed_write_from_open("write-first-from-open", 42);
	seed_write("write-close-from-first-after-open", REC_WRITE_CLOSE, WRITE_PATH_FROM_FIRST);
	seed_write_from_open("write-first-from-unknown-open", 43);
	seed_tamper("tamper-signal", TAMPER_SIGNAL, 15);
	seed_tamper("tamper-ptrace", TAMPER_PTRACE, 16);
	seed_tamper("tamper-open", TAMPER_OPEN_OUTPUT, O_RDWR);
	/* All of them in one stream: the answer names the connect, the close ends the write. */
	write_file("stream", stream, stream_used);
	return 0;
}

#endif /* FUZZ_RECORDS_SEEDS */
