// Linux socket facilities the Swift Glibc module does not export or cannot call (variadic
// ioctl): epoll(7), accept4(2), TUN devices and TCP_INFO.
#ifndef NETLAB_CSOCKETS_H
#define NETLAB_CSOCKETS_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

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
