// Linux socket facilities the Swift Glibc module does not export or cannot call (variadic
// ioctl): epoll(7), accept4(2), TUN devices and TCP_INFO.
#ifndef NETLAB_CSOCKETS_H
#define NETLAB_CSOCKETS_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

// recvmsg(2) with the IP TTL / IPv6 hop limit of the datagram, which arrive as ancillary data
// (cmsg): the CMSG_* macros are not callable from Swift.
/// Asks the kernel to attach the TTL (IPv4: IP_RECVTTL) or hop limit (IPv6: IPV6_RECVHOPLIMIT)
/// to each received datagram. Returns 0 or -errno.
int netlab_request_hop_limit(int fd, int family);

/// recvmsg into `buffer`; the sender's address into `from` (`*from_length` in/out), the
/// datagram's TTL or hop limit into `*hop_limit` (-1 when the kernel attached none). Returns the
/// byte count, or -errno (-EAGAIN when a non-blocking socket has nothing).
long netlab_receive_with_hop_limit(
    int fd, void *buffer, size_t length, struct sockaddr *from, socklen_t *from_length, int *hop_limit);

/// accept4(2) with SOCK_CLOEXEC (and SOCK_NONBLOCK when nonblocking != 0): no window in which a
/// forked child could inherit the descriptor before close-on-exec is set.
int netlab_accept4(int fd, struct sockaddr *address, socklen_t *length, int nonblocking);

/// Creates a TUN device (IFF_TUN | IFF_NO_PI) named like `name` (e.g. "nltun%d"), gives it
/// `address`/`prefix` (IPv4, dotted) and the MTU, and brings it up. Writes the name the kernel
/// chose into `actual` (16 bytes). Returns the descriptor, or -errno. Needs CAP_NET_ADMIN.
/// Closing the descriptor removes the device.
int netlab_tun_create(const char *name, const char *address, int prefix, int mtu, char *actual);

/// Moves the calling thread (the whole process, when it is single-threaded) into a new, empty
/// network namespace and brings its loopback up. Returns 0 or -errno. Needs CAP_SYS_ADMIN.
int netlab_unshare_network(void);

/// TCP_INFO's tcpi_total_retrans (segments retransmitted over the connection's life), or -1.
long netlab_tcp_total_retransmissions(int fd);

#endif
