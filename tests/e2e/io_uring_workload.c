// SPDX-License-Identifier: GPL-2.0-only
/*
 * The io_uring workload of test_io_uring.py, on raw syscalls (no liburing): opens, writes
 * and closes a file, fails an open, connects over TCP and sends two DNS queries, each as an
 * io_uring request; then does the file part again on an SQPOLL ring, whose requests a
 * kernel thread of this process submits. Prints what it did as one JSON line.
 *
 * usage: io_uring_workload DIR DNS_ADDR TCP_PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int flags;
};

static void die(const char *what)
{
	fprintf(stderr, "io_uring_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static void ring_open(struct ring *r, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 1000 };
	void *sq, *cq;

	r->fd = setup(8, &p);
	if (r->fd < 0)
		die("io_uring_setup");
	r->flags = flags;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		die("mmap");
	r->sq_tail = sq + p.sq_off.tail;
	r->sq_mask = sq + p.sq_off.ring_mask;
	r->sq_array = sq + p.sq_off.array;
	r->sq_flags = sq + p.sq_off.flags;
	r->cq_head = cq + p.cq_off.head;
	r->cq_tail = cq + p.cq_off.tail;
	r->cq_mask = cq + p.cq_off.ring_mask;
	r->cqes = cq + p.cq_off.cqes;
}

/* Submits sqe alone and waits for its completion: the result. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned int tail = *r->sq_tail, head, enter = IORING_ENTER_GETEVENTS;
	unsigned int idx = tail & *r->sq_mask;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if ((r->flags & IORING_SETUP_SQPOLL) &&
	    (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP))
		enter |= IORING_ENTER_SQ_WAKEUP;
	/* With SQPOLL the kernel thread submits: the call only waits. */
	if (syscall(__NR_io_uring_enter, r->fd, r->flags & IORING_SETUP_SQPOLL ? 0 : 1, 1, enter,
		    NULL, 0) < 0)
		die("io_uring_enter");
	head = *r->cq_head;
	while (__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) == head)
		syscall(__NR_io_uring_enter, r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int ring_openat(struct ring *r, int dfd, const char *path, int flags)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_OPENAT, .fd = dfd };

	sqe.addr = (uintptr_t)path;
	sqe.open_flags = flags;
	sqe.len = 0644;
	return ring_run(r, &sqe);
}

static int ring_write(struct ring *r, int fd, const void *buf, unsigned int len)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_WRITE, .fd = fd, .len = len };

	sqe.addr = (uintptr_t)buf;
	sqe.off = -1; /* the file position, as write(2) */
	return ring_run(r, &sqe);
}

static int ring_writev(struct ring *r, int fd, const struct iovec *iov, unsigned int n)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_WRITEV, .fd = fd, .len = n };

	sqe.addr = (uintptr_t)iov;
	sqe.off = -1;
	return ring_run(r, &sqe);
}

static int ring_close(struct ring *r, int fd)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_CLOSE, .fd = fd };

	return ring_run(r, &sqe);
}

/* A DNS query for name, type A: header, question. */
static size_t dns_query(const char *name, uint16_t id, unsigned char *msg)
{
	size_t n = 12;
	const char *label = name;

	memset(msg, 0, 12);
	msg[0] = id >> 8;
	msg[1] = id & 0xff;
	msg[2] = 0x01; /* RD */
	msg[5] = 1; /* QDCOUNT */
	while (*label) {
		const char *dot = strchr(label, '.');
		size_t len = dot ? (size_t)(dot - label) : strlen(label);

		msg[n++] = len;
		memcpy(msg + n, label, len);
		n += len;
		label += len + (dot ? 1 : 0);
	}
	msg[n++] = 0;
	msg[n++] = 0;
	msg[n++] = 1; /* A */
	msg[n++] = 0;
	msg[n++] = 1; /* IN */
	return n;
}

/* Open, write (WRITE then WRITEV), close: the bytes written. */
static int file_part(struct ring *r, const char *path, int *open_ret, int *close_ret)
{
	static const char first[] = "written by io_uring\n";
	static char a[] = "vectored ", b[] = "write\n";
	struct iovec iov[2] = { { a, strlen(a) }, { b, strlen(b) } };
	int fd = ring_openat(r, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC);
	int n1, n2;

	*open_ret = fd;
	if (fd < 0)
		return fd;
	n1 = ring_write(r, fd, first, strlen(first));
	n2 = ring_writev(r, fd, iov, 2);
	*close_ret = ring_close(r, fd);
	return n1 < 0 || n2 < 0 ? -1 : n1 + n2;
}

int main(int argc, char **argv)
{
	struct io_uring_params bad = { 0 };
	struct sockaddr_in tcp = { .sin_family = AF_INET }, dns = { .sin_family = AF_INET };
	unsigned char q1[512], q2[512];
	struct iovec qiov;
	struct msghdr msg = { 0 };
	struct io_uring_sqe sqe;
	char path[4096], sq_path[4096], marker[4096];
	int bad_ret, open_ret, close_ret, bytes, missing_ret, sock, udp, udp2, connect_ret;
	int sendmsg_ret, send_ret, sq_open_ret, sq_close_ret, sq_bytes;
	struct ring r, sq;

	if (argc != 4)
		return 2;
	snprintf(path, sizeof(path), "%s/uring-file.txt", argv[1]);
	snprintf(sq_path, sizeof(sq_path), "%s/uring-sqpoll.txt", argv[1]);
	snprintf(marker, sizeof(marker), "%s/after-close.txt", argv[1]);
	inet_pton(AF_INET, "127.0.0.1", &tcp.sin_addr);
	tcp.sin_port = htons(atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &dns.sin_addr);
	dns.sin_port = htons(53);

	/* A ring the kernel refuses: 0 entries. */
	bad_ret = setup(0, &bad) < 0 ? -errno : 0;
	ring_open(&r, 0);
	bytes = file_part(&r, path, &open_ret, &close_ret);
	/* The file_write line must come at the close, before this open. */
	close(open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (chdir(argv[1]) < 0)
		die("chdir");
	missing_ret = ring_openat(&r, AT_FDCWD, "no-such-dir/file", O_RDONLY);

	sock = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = sock;
	sqe.addr = (uintptr_t)&tcp;
	sqe.off = sizeof(tcp); /* addrlen */
	connect_ret = ring_run(&r, &sqe);

	/* sendmsg to the responder from an unconnected socket: the destination in msg_name. */
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	qiov.iov_base = q1;
	qiov.iov_len = dns_query("uring-sendmsg.tracerd.test", 0x1111, q1);
	msg.msg_name = &dns;
	msg.msg_namelen = sizeof(dns);
	msg.msg_iov = &qiov;
	msg.msg_iovlen = 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_SENDMSG;
	sqe.fd = udp;
	sqe.addr = (uintptr_t)&msg;
	sendmsg_ret = ring_run(&r, &sqe);

	/* send on a socket connected (by connect(2)) to the responder. */
	udp2 = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(udp2, (struct sockaddr *)&dns, sizeof(dns)) < 0)
		die("connect udp");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_SEND;
	sqe.fd = udp2;
	sqe.addr = (uintptr_t)q2;
	sqe.len = dns_query("uring-send.tracerd.test", 0x2222, q2);
	send_ret = ring_run(&r, &sqe);

	ring_open(&sq, IORING_SETUP_SQPOLL);
	sq_bytes = file_part(&sq, sq_path, &sq_open_ret, &sq_close_ret);

	printf("{\"pid\": %d, \"bad_setup\": %d, \"ring_fd\": %d, \"sqpoll_fd\": %d, "
	       "\"open\": %d, \"bytes\": %d, \"close\": %d, \"missing\": %d, \"connect\": %d, "
	       "\"sendmsg\": %d, \"send\": %d, \"sq_open\": %d, \"sq_bytes\": %d, "
	       "\"sq_close\": %d}\n",
	       getpid(), bad_ret, r.fd, sq.fd, open_ret, bytes, close_ret, missing_ret, connect_ret,
	       sendmsg_ret, send_ret, sq_open_ret, sq_bytes, sq_close_ret);
	return 0;
}
