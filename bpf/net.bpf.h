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
#define SENDMMSG_MAX 4 /* glibc sends A and AAAA in one sendmmsg(): two is the usual */
#define IOV_MAX_SEEN 2 /* iovecs looked at per vectored transfer */

struct udp_dest_key {
	__u32 pid;
	__u16 port;
	__u16 family;
	__u8 addr[16];
};

/* Destinations already reported per process; an evicted one is reported again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct udp_dest_key);
	__type(value, __u8);
} udp_dests SEC(".maps");

static __always_inline struct sock *file_sock(struct file *file)
{
	struct socket *sock;

	if (!file || file_mode_type(file) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
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

static __always_inline void net_connect_output(struct rec_net *dst, long ret)
{
	struct rec_connect *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec) {
		lost_count(REC_CONNECT);
		return;
	}
	header_fill(&rec->h, REC_CONNECT, sizeof(*rec));
	rec->dst = *dst;
	rec->ret = ret;
	rec->pad = 0;
	bpf_ringbuf_submit(rec, ringbuf_wakeup_flag());
}

static __always_inline void net_connect(struct pt_regs *regs, long ret)
{
	struct sock *sk = file_sock(fd_to_file(PT_REGS_PARM1_CORE_SYSCALL(regs)));
	struct rec_net dst;

	if (!sk || !net_sock_fill(sk, &dst))
		return;
	if (!net_dest_from_user((void *)PT_REGS_PARM2_CORE_SYSCALL(regs), &dst))
		return;
	net_connect_output(&dst, ret);
}

/* The first datagram of this process to dst is reported like a connect. */
static __always_inline void net_udp_first_datagram(struct rec_net *dst, long ret)
{
	struct udp_dest_key key = {
		.pid = bpf_get_current_pid_tgid() >> 32,
		.port = dst->port,
		.family = dst->addr_family,
	};
	__u8 one = 1;

	__builtin_memcpy(key.addr, dst->addr, sizeof(key.addr));
	if (bpf_map_lookup_elem(&udp_dests, &key))
		return;
	bpf_map_update_elem(&udp_dests, &key, &one, BPF_ANY);
	net_connect_output(dst, ret < 0 ? ret : 0);
}

static __always_inline void net_dns_output(struct rec_net *peer, const void *buf, __u64 len,
					   __u16 flags)
{
	struct rec_dns *rec = record_buf_get();
	__u32 n = len;

	if (!rec)
		return;
	if (len > TRACERD_DNS_PAYLOAD_MAX) {
		n = TRACERD_DNS_PAYLOAD_MAX;
		flags |= DNS_TRUNCATED;
	}
	header_fill(&rec->h, REC_DNS, 0);
	rec->dst = *peer;
	rec->flags = flags;
	rec->pad = 0;
	barrier_var(n);
	if (bpf_probe_read_user(rec->payload, n & (TRACERD_DNS_PAYLOAD_MAX * 2 - 1), buf))
		return;
	rec->len = n;
	n += __builtin_offsetof(struct rec_dns, payload);
	rec->h.size = n;
	record_output(rec, n, REC_DNS);
}

/*
 * len bytes at buf sent (or received, with DNS_RECEIVED in dir) on sk; the peer is uaddr
 * when given, else the socket's. Sent datagrams to new destinations are reported like
 * connects; anything to or from port 53 goes to the daemon's DNS parser.
 */
static __always_inline void net_transfer(struct sock *sk, const void *uaddr, const void *buf,
					 __u64 len, long ret, __u16 dir)
{
	struct rec_net peer;
	bool explicit_peer;

	if (!net_sock_fill(sk, &peer))
		return;
	explicit_peer = uaddr && net_dest_from_user(uaddr, &peer);
	if (!explicit_peer && !net_dest_from_sock(sk, &peer))
		return;
	if (explicit_peer && peer.protocol == NET_PROTO_UDP && !(dir & DNS_RECEIVED))
		net_udp_first_datagram(&peer, ret);
	if (peer.port != DNS_PORT || ret < 0 || len == 0)
		return;
	if (peer.protocol == NET_PROTO_TCP)
		dir |= DNS_TCP;
	net_dns_output(&peer, buf, len, dir);
}

/* sendto() or recvfrom(): same arguments, the data flowing the other way. */
static __always_inline void net_sendto(struct pt_regs *regs, long ret, __u16 dir)
{
	struct sock *sk = file_sock(fd_to_file(PT_REGS_PARM1_CORE_SYSCALL(regs)));
	__u64 len = dir ? ret : PT_REGS_PARM3_CORE_SYSCALL(regs);

	if (!sk)
		return;
	net_transfer(sk, (void *)PT_REGS_PARM5_CORE_SYSCALL(regs),
		     (void *)PT_REGS_PARM2_CORE_SYSCALL(regs), len, ret, dir);
}

/*
 * The first iovecs of a vectored transfer, each as a chunk of its own: DNS-over-TCP
 * clients (libuv, as in dig) write the length prefix and the message as two iovecs.
 */
static __always_inline void net_transfer_iovecs(struct sock *sk, const void *uaddr,
						const struct iovec *uiov, __u64 iovcnt, long ret,
						__u16 dir)
{
	__u64 left = ret > 0 ? ret : 0;

	for (int i = 0; i < IOV_MAX_SEEN; i++) {
		struct iovec iov;
		__u64 len;

		if (i >= iovcnt || bpf_probe_read_user(&iov, sizeof(iov), &uiov[i]))
			break;
		len = iov.iov_len < left ? iov.iov_len : left;
		net_transfer(sk, uaddr, iov.iov_base, len, ret, dir);
		left -= len;
		if (!left)
			break;
	}
}

static __always_inline void net_transfer_msghdr(struct sock *sk, struct user_msghdr *umsg, long ret,
						__u16 dir)
{
	struct user_msghdr msg;

	if (bpf_probe_read_user(&msg, sizeof(msg), umsg))
		return;
	net_transfer_iovecs(sk, msg.msg_namelen ? msg.msg_name : NULL, msg.msg_iov, msg.msg_iovlen,
			    ret, dir);
}

/* sendmsg() or recvmsg() */
static __always_inline void net_sendmsg(struct pt_regs *regs, long ret, __u16 dir)
{
	struct sock *sk = file_sock(fd_to_file(PT_REGS_PARM1_CORE_SYSCALL(regs)));

	if (sk)
		net_transfer_msghdr(sk, (void *)PT_REGS_PARM2_CORE_SYSCALL(regs), ret, dir);
}

static __always_inline void net_sendmmsg(struct pt_regs *regs, long ret)
{
	struct sock *sk = file_sock(fd_to_file(PT_REGS_PARM1_CORE_SYSCALL(regs)));
	struct mmsghdr *msgs = (void *)PT_REGS_PARM2_CORE_SYSCALL(regs);

	if (!sk || ret <= 0)
		return;
	for (int i = 0; i < SENDMMSG_MAX; i++) {
		unsigned int sent = 0;

		if (i >= ret)
			break;
		/* The kernel stores what each message sent in its msg_len. */
		bpf_probe_read_user(&sent, sizeof(sent), &msgs[i].msg_len);
		net_transfer_msghdr(sk, (struct user_msghdr *)&msgs[i].msg_hdr, sent, 0);
	}
}

/*
 * read()/write()/writev() on a connected socket: DNS clients do this too (Go's resolver
 * reads its answers with read(), DNS over TCP is often written with write()).
 */
static __always_inline void net_socket_rw(struct sock *sk, struct pt_regs *regs, long nr, long ret)
{
	if (nr == NR_write || nr == NR_read) {
		net_transfer(sk, NULL, (void *)PT_REGS_PARM2_CORE_SYSCALL(regs), ret, ret,
			     nr == NR_read ? DNS_RECEIVED : 0);
		return;
	}
	if (nr == NR_writev)
		net_transfer_iovecs(sk, NULL, (void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
				    PT_REGS_PARM3_CORE_SYSCALL(regs), ret, 0);
}

#endif
