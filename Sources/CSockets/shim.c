#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CSockets.h"

int netlab_accept4(int fd, struct sockaddr *address, socklen_t *length, int nonblocking) {
    return accept4(fd, address, length, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}

int netlab_tun_create(const char *name, const char *address, int prefix, int mtu, char *actual) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int failure = errno;
        close(fd);
        return -failure;
    }
    memcpy(actual, request.ifr_name, IFNAMSIZ);
    int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (control < 0) {
        int failure = errno;
        close(fd);
        return -failure;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)&request.ifr_addr;
    int failure = 0;
    memset(&request.ifr_addr, 0, sizeof request.ifr_addr);
    in->sin_family = AF_INET;
    if (inet_pton(AF_INET, address, &in->sin_addr) != 1) failure = EINVAL;
    if (!failure && ioctl(control, SIOCSIFADDR, &request) < 0) failure = errno;
    if (!failure) {
        memset(&request.ifr_netmask, 0, sizeof request.ifr_netmask);
        in = (struct sockaddr_in *)&request.ifr_netmask;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(prefix == 0 ? 0 : 0xffffffffu << (32 - prefix));
        if (ioctl(control, SIOCSIFNETMASK, &request) < 0) failure = errno;
    }
    if (!failure) {
        request.ifr_mtu = mtu;
        if (ioctl(control, SIOCSIFMTU, &request) < 0) failure = errno;
    }
    if (!failure && ioctl(control, SIOCGIFFLAGS, &request) < 0) failure = errno;
    if (!failure) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(control, SIOCSIFFLAGS, &request) < 0) failure = errno;
    }
    close(control);
    if (failure) {
        close(fd);
        return -failure;
    }
    return fd;
}

long netlab_tcp_total_retransmissions(int fd) {
    struct tcp_info info;
    socklen_t length = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) return -1;
    return (long)info.tcpi_total_retrans;
}

int netlab_unshare_network(void) {
    if (unshare(CLONE_NEWNET) < 0) return -errno;
    int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (control < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int failure = 0;
    if (ioctl(control, SIOCGIFFLAGS, &request) < 0) failure = errno;
    if (!failure) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(control, SIOCSIFFLAGS, &request) < 0) failure = errno;
    }
    close(control);
    return -failure;
}
