#include "CSockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>

int netlab_request_hop_limit(int fd, int family) {
    int on = 1;
    int status = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on)
                                    : setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    return status < 0 ? -errno : 0;
}

long netlab_receive_with_hop_limit(
    int fd, void *buffer, size_t length, struct sockaddr *from, socklen_t *from_length, int *hop_limit) {
    struct iovec vector = {.iov_base = buffer, .iov_len = length};
    // Room for one int-sized control message of each kind, aligned as the kernel writes them.
    union {
        char bytes[CMSG_SPACE(sizeof(int)) * 2];
        struct cmsghdr align;
    } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = from;
    message.msg_namelen = from_length ? *from_length : 0;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    long count;
    do {
        count = recvmsg(fd, &message, 0);
    } while (count < 0 && errno == EINTR);
    if (count < 0) return -errno;
    if (from_length) *from_length = message.msg_namelen;
    *hop_limit = -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if ((header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_TTL) ||
            (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT)) {
            int value;
            memcpy(&value, CMSG_DATA(header), sizeof value);
            *hop_limit = value;
        }
    }
    return count;
}
