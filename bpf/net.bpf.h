/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network: connect() records, the first UDP datagram a process sends to each destination
 * on an unconnected socket, and DNS traffic (anything to or from port 53, UDP or TCP),
 * whichever syscall moved it: queries become dns_query lines, answers name the addresses
 * later connections go to.
 */
#ifndef TRACERD_NET_BPF_H
#define TRACERD_NET_BPF_H

#include "common.bpf.h"

#define DNS_PORT 53
#define MMSG_MAX 8 /* messages per sendmmsg()/recvmmsg() (glibc sends A and AAAA: two) */
#define IOV_MAX_SEEN 16 /* iovecs gathered per vectored transfer (glibc's TCP query: 4) */
#define MSG_FASTOPEN 0x20000000 /* <linux/socket.h>, not in vmlinux.h */
#define DNS_PAYLOAD_MASK 2047 /* covers TRACERD_DNS_PAYLOAD_MAX, for the verifier */
#define UDP_DESTS_MAX 16384 /* (process, destination) pairs remembered; LRU beyond */

struct udp_dest_key {
	__u32 pid;
	__u16 port;
	__u16 family;
	__u8 addr[16];
};

/* Destinations already reported per process; an evicted one is reported again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, UDP_DESTS_MAX);
	__type(key, struct udp_dest_key);
	__type(value, __u8);
} udp_dests SEC(".maps");

/* The sock of a file known to be a socket. */
static __always_inline struct sock *socket_file_sock(struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);

	return BPF_CORE_READ(sock, sk);
}

static __always_inline struct sock *file_sock(struct file *file)
{
	if (!file || file_mode_type(file) != S_IFSOCK)
		return NULL;
	return socket_file_sock(file);
}

/* The socket of the syscall's first argument, an fd; NULL when it is not one. */
static __always_inline struct sock *syscall_fd_sock(struct pt_regs *regs)
{
	return file_sock(fd_to_file(SYSCALL_ARG1(regs)));
}

/* Fills the socket's side of n: family and protocol. False for anything not TCP/UDP/IP. */
static __always_inline bool net_sock_fill(struct sock *sk, struct rec_net *n)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);

	if (family != AF_INET && family != AF_INET6)
		return false;
	if (proto == IPPROTO_TCP)
		n->protocol = NET_PROTO_TCP;
	else if (proto == IPPROTO_UDP)
		n->protocol = NET_PROTO_UDP;
	else
		return false;
	n->family = family;
	n->pad = 0;
	return true;
}

/* The destination from a user sockaddr; false for families other than IPv4/IPv6. */
static __always_inline bool net_dest_from_user(const void *uaddr, struct rec_net *n)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
			return false;
	__builtin_memset(n->addr, 0, sizeof(n->addr));
	n->addr_family = sa.sin6_family;
	n->port = bpf_ntohs(sa.sin6_port);
	if (sa.sin6_family == AF_INET) {
		struct sockaddr_in *sin = (void *)&sa;

		__builtin_memcpy(n->addr, &sin->sin_addr, 4);
		return true;
	}
	if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(n->addr, &sa.sin6_addr, 16);
		return true;
	}
	return false;
}

/* The destination of a connected socket. */
static __always_inline bool net_dest_from_sock(struct sock *sk, struct rec_net *n)
{
	__builtin_memset(n->addr, 0, sizeof(n->addr));
	n->addr_family = n->family;
	n->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (n->family == AF_INET) {
		__u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(n->addr, &daddr, 4);
	} else {
		BPF_CORE_READ_INTO(&n->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	return n->port != 0;
}

/*
 * Built in the scratch buffer, not on the stack: it is inlined into the global functions
 * below, and a caller's stack plus a global function's must stay within 512 bytes on
 * kernels before 6.13 (no private stacks).
 */
static __always_inline void net_connect_output(struct rec_net *dst, long ret, __u32 flags)
{
	struct rec_connect *rec = record_start(REC_CONNECT);

	if (!rec)
		return;
	rec->dst = *dst;
	rec->ret = ret;
	rec->flags = flags;
	record_submit(&rec->h, sizeof(*rec));
}

static __always_inline void net_connect(struct pt_regs *regs, long ret)
{
	struct sock *sk = syscall_fd_sock(regs);
	struct rec_net dst;

	if (!sk || !net_sock_fill(sk, &dst))
		return;
	if (!net_dest_from_user((void *)SYSCALL_ARG2(regs), &dst))
		return;
	net_connect_output(&dst, ret, 0);
}

/* The first datagram of this process to dst is reported like a connect. */
static __always_inline void net_udp_first_datagram(struct rec_net *dst, long ret, __u32 flags)
{
	struct udp_dest_key key = {
		.pid = current_tgid(),
		.port = dst->port,
		.family = dst->addr_family,
	};
	__u8 one = 1;

	__builtin_memcpy(key.addr, dst->addr, sizeof(key.addr));
	if (bpf_map_lookup_elem(&udp_dests, &key))
		return;
	bpf_map_update_elem(&udp_dests, &key, &one, BPF_ANY);
	net_connect_output(dst, ret < 0 ? ret : 0, flags);
}

/* Data moved by one syscall: one buffer, or the iovecs of a vectored call (user memory). */
struct net_data {
	const struct iovec *uiov; /* NULL: buf and len */
	__u64 iovcnt;
	const void *buf;
	__u64 len;
};

/* The i-th chunk of data: iovec i of the array ptr (count long), or the buffer ptr itself. */
static __always_inline bool net_chunk(__u64 ptr, __u64 count, bool vector, int i, struct iovec *iov)
{
	if (!vector) {
		iov->iov_base = (void *)ptr;
		iov->iov_len = count;
		return i == 0;
	}
	return i < count && !bpf_probe_read_user(iov, sizeof(*iov), &((struct iovec *)ptr)[i]);
}

/*
 * Completes the DNS record rec: copies up to TRACERD_DNS_PAYLOAD_MAX of the total bytes
 * moved, gathered from the iovecs in order (a DNS message may come as header and
 * question, or as TCP length prefix and message, in separate iovecs), and sends it. ptr
 * and count are the iovec array and its length when vector, else the buffer and its
 * length. The 16-iovec loop is checked by the verifier once per call site: the call
 * sites are sys_exit's writev and net_transfer_msghdr(), a global function checked once
 * for all the msghdr calls.
 */
static __always_inline void net_dns_fill(struct rec_dns *rec, __u64 ptr, __u64 count, __u64 total,
					 __u16 flags, bool vector)
{
	__u32 off = 0;

	for (int i = 0; i < IOV_MAX_SEEN && total > 0; i++) {
		struct iovec iov;
		__u32 n;

		if (!net_chunk(ptr, count, vector, i, &iov))
			break;
		n = iov.iov_len < total ? iov.iov_len : total;
		if (n > TRACERD_DNS_PAYLOAD_MAX - off)
			n = TRACERD_DNS_PAYLOAD_MAX - off;
		/* Keep clang from dropping the masks the verifier needs to see. */
		barrier_var(n);
		barrier_var(off);
		if (bpf_probe_read_user(&rec->payload[off & DNS_PAYLOAD_MASK], n & DNS_PAYLOAD_MASK,
					iov.iov_base))
			break;
		off += n;
		total -= n;
		if (off >= TRACERD_DNS_PAYLOAD_MAX)
			break;
	}
	if (off == 0)
		return;
	rec->flags = total > 0 ? flags | DNS_TRUNCATED : flags;
	rec->len = off;
	record_submit(&rec->h, __builtin_offsetof(struct rec_dns, payload) + off);
}

static __always_inline void net_dns_output(struct rec_net *peer, const struct net_data *d,
					   __u64 total, __u16 flags)
{
	struct rec_dns *rec = record_start(REC_DNS);

	if (!rec)
		return;
	rec->dst = *peer;
	rec->pad = 0;
	if (d->uiov)
		net_dns_fill(rec, (__u64)d->uiov, d->iovcnt, total, flags, true);
	else
		net_dns_fill(rec, (__u64)d->buf, d->len, total, flags, false);
}

/*
 * Data sent (or received, with DNS_RECEIVED in dir) on sk; the peer is uaddr when
 * given, else the socket's. Sent datagrams to new destinations are reported like
 * connects; anything to or from port 53 goes to the daemon's DNS parser.
 */
static __always_inline void net_transfer(struct sock *sk, const void *uaddr,
					 const struct net_data *d, long ret, __u16 dir)
{
	struct rec_net peer;
	bool explicit_peer;

	if (!net_sock_fill(sk, &peer))
		return;
	explicit_peer = uaddr && net_dest_from_user(uaddr, &peer);
	if (!explicit_peer && !net_dest_from_sock(sk, &peer))
		return;
	if (explicit_peer && peer.protocol == NET_PROTO_UDP && !(dir & DNS_RECEIVED))
		net_udp_first_datagram(&peer, ret,
				       dir & DNS_VIA_IO_URING ? CONNECT_VIA_IO_URING : 0);
	if (peer.port != DNS_PORT || ret <= 0)
		return;
	if (peer.protocol == NET_PROTO_TCP)
		dir |= DNS_TCP;
	net_dns_output(&peer, d, ret, dir);
}

/*
 * TCP Fast Open: sendto()/sendmsg() with MSG_FASTOPEN and a destination connects the
 * socket as connect() would, the SYN carrying the data: reported as that connect, ret 0
 * when the send succeeded, else its -errno (-EINPROGRESS on a non-blocking socket).
 */
static __always_inline void net_fastopen(struct sock *sk, const void *uaddr, long ret)
{
	struct rec_net dst;

	if (!net_sock_fill(sk, &dst) || dst.protocol != NET_PROTO_TCP)
		return;
	if (net_dest_from_user(uaddr, &dst))
		net_connect_output(&dst, ret < 0 ? ret : 0, 0);
}

/* sendto() or recvfrom(): same arguments, the data flowing the other way. */
static __always_inline void net_sendto_recvfrom(struct pt_regs *regs, long ret, __u16 dir)
{
	struct sock *sk = syscall_fd_sock(regs);
	const void *uaddr = (void *)SYSCALL_ARG5(regs);
	struct net_data d = {
		.buf = (void *)SYSCALL_ARG2(regs),
		.len = SYSCALL_ARG3(regs),
	};

	if (!sk)
		return;
	if (!dir && (SYSCALL_ARG4(regs) & MSG_FASTOPEN))
		net_fastopen(sk, uaddr, ret);
	net_transfer(sk, uaddr, &d, ret, dir);
}

/*
 * The transfer of one user msghdr on the socket sk_ptr. A global function, checked once
 * by the verifier for sendmsg, recvmsg and each message of sendmmsg/recvmmsg.
 */
__noinline int net_transfer_msghdr(__u64 sk_ptr, __u64 umsg, long ret, __u32 dir)
{
	struct sock *sk = (struct sock *)sk_ptr;
	struct user_msghdr msg;
	const void *uaddr;

	struct net_data d = {};

	if (bpf_probe_read_user(&msg, sizeof(msg), (void *)umsg))
		return 0;
	d.uiov = msg.msg_iov;
	d.iovcnt = msg.msg_iovlen;
	uaddr = msg.msg_namelen ? msg.msg_name : NULL;
	net_transfer(sk, uaddr, &d, ret, dir);
	return 0;
}

/*
 * sendmsg() or recvmsg(): the data and the peer in a user msghdr. A sendmsg() with
 * MSG_FASTOPEN is seen here, not in net_transfer_msghdr(), to keep that function's stack
 * small (see net_connect_output()).
 */
static __always_inline void net_sendmsg_recvmsg(struct pt_regs *regs, long ret, __u16 dir)
{
	struct sock *sk = syscall_fd_sock(regs);
	struct user_msghdr *umsg = (void *)SYSCALL_ARG2(regs);
	void *name = NULL;
	int namelen = 0;

	if (!sk)
		return;
	if (!dir && (SYSCALL_ARG3(regs) & MSG_FASTOPEN) &&
	    !bpf_probe_read_user(&name, sizeof(name), &umsg->msg_name) &&
	    !bpf_probe_read_user(&namelen, sizeof(namelen), &umsg->msg_namelen) && namelen)
		net_fastopen(sk, name, ret);
	net_transfer_msghdr((__u64)sk, (__u64)umsg, ret, dir);
}

/*
 * sendmmsg() or recvmmsg(): ret is the number of messages moved; the kernel stores what
 * each one carried in its msg_len. A TCP Fast Open through sendmmsg() is not looked for
 * (README, Limits): no client is known to connect that way.
 */
static __always_inline void net_mmsg(struct pt_regs *regs, long ret, __u16 dir)
{
	struct sock *sk = syscall_fd_sock(regs);
	struct mmsghdr *msgs = (void *)SYSCALL_ARG2(regs);

	if (!sk || ret <= 0)
		return;
	for (int i = 0; i < MMSG_MAX; i++) {
		unsigned int len = 0;

		if (i >= ret)
			break;
		bpf_probe_read_user(&len, sizeof(len), &msgs[i].msg_len);
		net_transfer_msghdr((__u64)sk, (__u64)&msgs[i].msg_hdr, len, dir);
	}
}

/*
 * read()/write()/writev() on a connected socket: DNS clients do this too (Go's resolver
 * reads its answers with read(), DNS over TCP is often written with write()).
 */
static __always_inline void net_socket_rw(struct sock *sk, struct pt_regs *regs, long nr, long ret)
{
	struct net_data d = {};

	if (nr == NR_write || nr == NR_read) {
		d.buf = (void *)SYSCALL_ARG2(regs);
		d.len = SYSCALL_ARG3(regs);
	} else if (nr == NR_writev) {
		d.uiov = (void *)SYSCALL_ARG2(regs);
		d.iovcnt = SYSCALL_ARG3(regs);
	} else {
		return;
	}
	net_transfer(sk, NULL, &d, ret, nr == NR_read ? DNS_RECEIVED : 0);
}

/* The socket's own address and port (skc_num: host order), for listeners and accepts. */
static __always_inline void net_local_from_sock(struct sock *sk, struct rec_net *n)
{
	__builtin_memset(n->addr, 0, sizeof(n->addr));
	n->addr_family = n->family;
	n->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (n->family == AF_INET) {
		__u32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(n->addr, &saddr, 4);
	} else {
		BPF_CORE_READ_INTO(&n->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	}
}

/*
 * A zeroed listen record in this CPU's scratch buffer, not on the stack: sys_exit's stack
 * plus net_transfer_msghdr()'s must stay within 512 bytes before 6.13 (see
 * net_connect_output()).
 */
static __always_inline struct rec_listen *net_listen_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct rec_listen *rec = bpf_map_lookup_elem(&record_scratch, &cpu);

	if (!rec) {
		record_lost(REC_LISTEN, REC_LOST_NO_SCRATCH);
		return NULL;
	}
	__builtin_memset(rec, 0, sizeof(*rec));
	return rec;
}

static __always_inline void net_listen_output(struct rec_listen *rec, __u32 kind, long ret)
{
	record_header_fill(&rec->h, kind == LISTEN_ACCEPT ? REC_ACCEPT : REC_LISTEN);
	rec->kind = kind;
	rec->ret = ret;
	record_submit(&rec->h, sizeof(*rec));
}

/*
 * listen(): a TCP listener, with the address and port it is bound to, read from the
 * socket after the call (listen() on an unbound socket binds an ephemeral port itself).
 * bind() of a TCP socket is not reported: a client may bind too, only listen() listens.
 */
static __always_inline void net_listen(struct pt_regs *regs, long ret)
{
	struct sock *sk = syscall_fd_sock(regs);
	struct rec_listen *rec;

	if (!sk || !(rec = net_listen_scratch()) || !net_sock_fill(sk, &rec->local) ||
	    rec->local.protocol != NET_PROTO_TCP)
		return;
	net_local_from_sock(sk, &rec->local);
	net_listen_output(rec, LISTEN_TCP, ret);
}

/*
 * bind() of a UDP socket to a port: a UDP listener. The address is the one asked for (the
 * user sockaddr), so a failed bind shows what was tried. Port 0 asks for an ephemeral port,
 * which is what a client does: not a listener.
 */
static __always_inline void net_bind(struct pt_regs *regs, long ret)
{
	struct sock *sk = syscall_fd_sock(regs);
	struct rec_listen *rec;

	if (!sk || !(rec = net_listen_scratch()) || !net_sock_fill(sk, &rec->local) ||
	    rec->local.protocol != NET_PROTO_UDP)
		return;
	if (!net_dest_from_user((void *)SYSCALL_ARG2(regs), &rec->local) || rec->local.port == 0)
		return;
	net_listen_output(rec, LISTEN_UDP_BIND, ret);
}

/* accept()/accept4() that returned a TCP connection: ret is its fd. */
static __always_inline void net_accept(long ret)
{
	struct rec_listen *rec;
	struct sock *sk;

	if (ret < 0)
		return;
	sk = file_sock(fd_to_file(ret));
	if (!sk || !(rec = net_listen_scratch()) || !net_sock_fill(sk, &rec->local) ||
	    rec->local.protocol != NET_PROTO_TCP)
		return;
	rec->peer = rec->local;
	net_local_from_sock(sk, &rec->local);
	if (!net_dest_from_sock(sk, &rec->peer))
		return;
	net_listen_output(rec, LISTEN_ACCEPT, ret);
}

#endif
