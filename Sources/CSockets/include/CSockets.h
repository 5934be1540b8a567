// Linux socket facilities the Swift Glibc module does not export: epoll(7) and accept4(2).
#ifndef NETLAB_CSOCKETS_H
#define NETLAB_CSOCKETS_H

#include <sys/epoll.h>
#include <sys/socket.h>

/// accept4(2) with SOCK_CLOEXEC (and SOCK_NONBLOCK when nonblocking != 0): no window in which a
/// forked child could inherit the descriptor before close-on-exec is set.
int netlab_accept4(int fd, struct sockaddr *address, socklen_t *length, int nonblocking);

#endif
