// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 smoke test's workload (tests/vm/arm64-smoke.sh), built static for the guest.
 *
 *   arm64-workload FILE PORT HOSTNAME
 *
 * does, in order, exactly what the host then looks for in the trace:
 *   - execs itself as `arm64-workload child exec-marker` and waits for it (process_exec);
 *   - changes directory to FILE's, opens FILE there by its relative name and reads it
 *     (file_open with FILE's absolute path, cwd FILE's directory from the chdir);
 *   - resolves HOSTNAME (type A) with a UDP query to 127.0.0.1:53, answered by a responder
 *     it runs itself with 127.0.0.77 (dns_query with that hostname);
 *   - connects over TCP to 127.0.0.77:PORT, where it listens itself (net_connect with that
 *     port, and HOSTNAME, which tracerd learnt from the answer).
 * Everything is on loopback and in one process, in sequence: nothing can race. Exit 0 when
 * every step worked, after one line on stdout (a file_write of that many bytes); otherwise a
 * message on stderr and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ANSWER_ADDR "127.0.0.77"

static int fail(const char *what)
{
	fprintf(stderr, "arm64-workload: %s: %s\n", what, strerror(errno));
	return -1;
}

static int run_child(const char *self)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		execl(self, self, "child", "exec-marker", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "arm64-workload: child status %#x\n", status);
		return -1;
	}
	return 0;
}

/* Opens FILE by its name relative to its directory, after a chdir() there. */
static int read_file(const char *path)
{
	char dir[256], buf[256];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir)) {
		fprintf(stderr, "arm64-workload: %s: not an absolute path in a directory\n", path);
		return -1;
	}
	memcpy(dir, path, slash - path);
	dir[slash - path] = 0;
	if (chdir(dir) < 0)
		return fail(dir);
	fd = open(slash + 1, O_RDONLY);

	if (fd < 0)
		return fail(path);
	if (read(fd, buf, sizeof(buf)) <= 0) {
		close(fd);
		return fail("read");
	}
	close(fd);
	return 0;
}

static struct sockaddr_in loopback(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &sa.sin_addr);
	return sa;
}

/* The query: header, QNAME as labels, QTYPE A, QCLASS IN. */
static size_t dns_query(const char *name, uint8_t *msg, size_t size)
{
	const uint8_t head[12] = { 0x7a, 0x5e, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t off = sizeof(head);
	const char *label = name;

	memcpy(msg, head, sizeof(head));
	while (*label && off + 64 < size) {
		const char *dot = strchr(label, '.');
		size_t n = dot ? (size_t)(dot - label) : strlen(label);

		msg[off++] = n;
		memcpy(msg + off, label, n);
		off += n;
		label += n + (dot ? 1 : 0);
	}
	msg[off++] = 0;
	memcpy(msg + off, "\0\1\0\1", 4);
	return off + 4;
}

/* The answer: the query with QR/RA set, one A record pointing back at the question. */
static size_t dns_answer(uint8_t *msg, size_t len)
{
	const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
	struct in_addr a;

	msg[2] = 0x81;
	msg[3] = 0x80;
	msg[7] = 1;
	memcpy(msg + len, rr, sizeof(rr));
	inet_pton(AF_INET, ANSWER_ADDR, &a);
	memcpy(msg + len + sizeof(rr), &a, 4);
	return len + sizeof(rr) + 4;
}

static int resolve(const char *name)
{
	struct sockaddr_in server = loopback("127.0.0.1", 53), peer;
	socklen_t plen = sizeof(peer);
	uint8_t q[512], r[512];
	size_t qlen = dns_query(name, q, sizeof(q) - 16);
	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;
	int rc = -1;

	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&server, sizeof(server)) < 0) {
		fail("dns responder");
		goto out;
	}
	if (sendto(cli, q, qlen, 0, (struct sockaddr *)&server, sizeof(server)) != (ssize_t)qlen) {
		fail("dns sendto");
		goto out;
	}
	n = recvfrom(srv, r, sizeof(r) - 16, 0, (struct sockaddr *)&peer, &plen);
	if (n != (ssize_t)qlen) {
		fail("dns responder recvfrom");
		goto out;
	}
	n = dns_answer(r, n);
	if (sendto(srv, r, n, 0, (struct sockaddr *)&peer, plen) != n) {
		fail("dns responder sendto");
		goto out;
	}
	/* With the sender's address: that is how tracerd tells an answer from port 53. */
	plen = sizeof(peer);
	if (recvfrom(cli, r, sizeof(r), 0, (struct sockaddr *)&peer, &plen) != n) {
		fail("dns recvfrom");
		goto out;
	}
	rc = 0;
out:
	close(srv);
	close(cli);
	return rc;
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = loopback(ANSWER_ADDR, port);
	int one = 1, rc = -1, conn;
	int lis = socket(AF_INET, SOCK_STREAM, 0), cli = socket(AF_INET, SOCK_STREAM, 0);

	if (lis < 0 || cli < 0)
		return fail("socket");
	setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lis, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lis, 1) < 0)
		fail("listen");
	else if (connect(cli, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail("connect");
	else if ((conn = accept(lis, NULL, NULL)) < 0)
		fail("accept");
	else {
		close(conn);
		rc = 0;
	}
	close(cli);
	close(lis);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return 0;
	if (argc != 4) {
		fprintf(stderr, "usage: arm64-workload FILE PORT HOSTNAME\n");
		return 2;
	}
	if (run_child(argv[0]) || read_file(argv[1]) || resolve(argv[3]) ||
	    tcp_connect(atoi(argv[2])))
		return 1;
	printf("arm64-workload: exec, open, dns, connect done\n");
	return 0;
}
