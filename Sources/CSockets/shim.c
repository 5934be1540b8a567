#define _GNU_SOURCE
#include <sys/socket.h>
#include "CSockets.h"

int netlab_accept4(int fd, struct sockaddr *address, socklen_t *length, int nonblocking) {
    return accept4(fd, address, length, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}
