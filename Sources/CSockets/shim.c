#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <stdio.h>
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
    if (!failure) {
        // Room for bursts while the reader is busy: the kernel must not drop before the relay
        // sees a packet (the relay's own queue is the bounded one that drops).
        request.ifr_qlen = 10000;
        if (ioctl(control, SIOCSIFTXQLEN, &request) < 0) failure = errno;
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

static int bring_loopback_up(void) {
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

int netlab_netns_current(void) {
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int netlab_netns_create(void) {
    int original = netlab_netns_current();
    if (original < 0) return original;
    if (unshare(CLONE_NEWNET) < 0) {
        int failure = errno;
        close(original);
        return -failure;
    }
    int result = bring_loopback_up();
    if (result == 0) result = netlab_netns_current();
    // Back where the thread was, whatever happened: the new namespace lives on through `result`.
    if (setns(original, CLONE_NEWNET) < 0) {
        int failure = errno;
        if (result >= 0) close(result);
        result = -failure;
    }
    close(original);
    return result;
}

int netlab_netns_enter(int fd) { return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0; }

int netlab_netns_bind(int fd, const char *path) {
    if (mkdir("/run/netns", 0755) < 0 && errno != EEXIST) return -errno;
    int file = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (file < 0) return -errno;
    close(file);
    char source[64];
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    if (mount(source, path, "none", MS_BIND, NULL) < 0) {
        int failure = errno;
        unlink(path);
        return -failure;
    }
    return 0;
}

int netlab_netns_unbind(const char *path) {
    umount2(path, MNT_DETACH);
    return unlink(path) < 0 ? -errno : 0;
}

pid_t netlab_spawn_in_netns(int fd, char *const argv[]) {
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) return -errno;
    if (child > 0) return child;
    // The child: only async-signal-safe calls until exec.
    if (setns(fd, CLONE_NEWNET) < 0) _exit(126);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);
    for (int sig = 1; sig < 32; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    _exit(127);
}

static char crash_names[2][256];

static void unbind_and_reraise(int sig) {
    for (int index = 0; index < 2; index++) {
        if (crash_names[index][0] == 0) continue;
        umount2(crash_names[index], MNT_DETACH);
        unlink(crash_names[index]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void netlab_unbind_on_crash(const char *first, const char *second) {
    const char *names[2] = {first, second};
    for (int index = 0; index < 2; index++) {
        crash_names[index][0] = 0;
        if (names[index]) strncpy(crash_names[index], names[index], sizeof crash_names[index] - 1);
    }
    int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (unsigned index = 0; index < sizeof fatal / sizeof fatal[0]; index++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = first || second ? unbind_and_reraise : SIG_DFL;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_NODEFER;
        sigaction(fatal[index], &action, NULL);
    }
}
