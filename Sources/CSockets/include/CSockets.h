// Linux socket facilities the Swift Glibc module does not export or cannot call (variadic
// ioctl): epoll(7), accept4(2), TUN devices, network namespaces and TCP_INFO.
#ifndef NETLAB_CSOCKETS_H
#define NETLAB_CSOCKETS_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

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
/// `address`/`prefix` (IPv4, dotted), the MTU and a 10,000-packet transmit queue, and brings it up. Writes the name the kernel
/// chose into `actual` (16 bytes). Returns the descriptor, or -errno. Needs CAP_NET_ADMIN.
/// Closing the descriptor removes the device.
int netlab_tun_create(const char *name, const char *address, int prefix, int mtu, char *actual);

/// TCP_INFO's tcpi_total_retrans (segments retransmitted over the connection's life), or -1.
long netlab_tcp_total_retransmissions(int fd);

/// Network namespaces for `netlab path`. Every call changes only the calling thread's namespace
/// (setns(2) and unshare(CLONE_NEWNET) are per thread), so a relay can hold devices in two
/// namespaces while the rest of the process stays where it was.

/// A descriptor for the calling thread's network namespace, or -errno.
int netlab_netns_current(void);

/// Makes a new network namespace with its loopback up and returns a descriptor for it (-errno on
/// failure); the calling thread stays in (returns to) the namespace it was in. Needs CAP_SYS_ADMIN.
int netlab_netns_create(void);

/// Moves the calling thread into the namespace `fd` refers to. Returns 0 or -errno.
int netlab_netns_enter(int fd);

/// Gives the namespace `fd` a name others can enter, as `ip netns add` does: an empty file at
/// `path` (under /run/netns, made if missing) with the namespace bind-mounted on it. 0 or -errno.
int netlab_netns_bind(int fd, const char *path);

/// Removes such a name: lazy unmount, then the file. 0 or -errno (of the unlink).
int netlab_netns_unbind(const char *path);

/// Starts `argv` (execvp) in the namespace `fd` as a child: default signal dispositions and an
/// empty signal mask, and SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG), so a
/// crashed netlab does not leave it running. Returns the pid or -errno.
pid_t netlab_spawn_in_netns(int fd, char *const argv[]);

/// Remembers up to two namespace names (copied) to unbind if the process crashes: handlers for
/// SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT and SIGFPE unmount and unlink them (system calls
/// only, async-signal-safe), then let the signal do what it would have done. NULL forgets.
void netlab_unbind_on_crash(const char *first, const char *second);

#endif
