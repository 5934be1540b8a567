/* The floor for decoding speed: a libpcap read loop that only counts packets. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: count FILE\n"); return 64; }
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) { fprintf(stderr, "count: %s\n", errbuf); return 66; }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) n++;
    printf("%lu\n", n);
    pcap_close(p);
    return rc == PCAP_ERROR_BREAK ? 0 : 1;
}
