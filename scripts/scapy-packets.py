#!/usr/bin/env python3
"""Seeded packets built by scapy's own layer code, for netlab's differential tests against tcpdump.

scripts/gen-packets.py writes its packets byte by byte; this generator chooses random field
values and lets scapy (2.8.0, pinned in scripts/test-requirements.txt) build the packets:
lengths, checksums, option encodings and extension-header chains come from scapy's layers, an
independent implementation of the same RFCs. Classes: TCP over IPv4 and IPv6 with random option
lists (scapy's known options, unknown kinds, known kinds with an odd length), IPv6 extension
chains (hop-by-hop with Pad1/PadN/router alert/jumbo, destination options, routing types 0, 2
and segment routing, fragments), IPv4 options, UDP with right, zero and wrong checksums,
ICMP and ICMPv6 (echo, errors quoting a packet, neighbour discovery with options), ARP; on
Ethernet, raw IP and Linux cooked links, in pcap with micro- and nanosecond stamps and pcapng,
some cut short of their length.

    scripts/scapy-packets.py --seed 1 --packets 5000 --out DIR

DIR receives one capture per (link, format) and manifest.tsv as gen-packets.py writes it: file,
packet index (from 1), classes separated by spaces. The same seed gives the same bytes.
"""
import argparse
import logging
import os
from decimal import Decimal
import random
import sys

try:
    from scapy.config import conf
    from scapy.layers.inet import (
        ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_Router_Alert, IPOption_RR, IPOption_Timestamp,
        IPOption_LSRR, IPOption_SSRR, IPOption_EOL)
    from scapy.layers.inet6 import (
        IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
        IPv6ExtHdrSegmentRouting, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6DestUnreach,
        ICMPv6TimeExceeded, ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6ND_NS, ICMPv6ND_NA,
        ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
        ICMPv6NDOptPrefixInfo, Jumbo, Pad1, PadN, RouterAlert)
    from scapy.layers.l2 import ARP, CookedLinux, Ether
    from scapy.packet import Raw
    from scapy.utils import PcapNgWriter, PcapWriter
except ImportError as error:  # the tests skip with this reason
    sys.stderr.write("scapy-packets: scapy is not installed (%s); scripts/setup.sh --python installs it\n" % error)
    sys.exit(69)

conf.verb = 0
# scapy warns when it builds what we asked for (two source routes): these packets are meant.
logging.getLogger("scapy").setLevel(logging.ERROR)
# Ports tcpdump hands to no application decoder (as in gen-packets.py).
PORTS = list(range(40000, 40016)) + list(range(50000, 50008))
LINKS = {"ether": 1, "raw": 101, "sll": 113}
FORMATS = ["us", "ns", "pcapng"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def v4(self):
        return "10.%d.%d.%d" % (self.r.randrange(3), self.r.randrange(3), self.r.randrange(1, 250))

    def v6(self):
        if self.chance(0.2):
            return "fe80::42:acff:fe11:%x" % self.r.randrange(1, 9)
        return "2001:db8::%x:%x" % (self.r.randrange(3), self.r.randrange(1, 0xFFFF))

    def payload(self):
        return Raw(self.bytes(self.pick([0, 0, 0, 1, 7, 20, 64]))) if self.chance(0.5) else None

    # -- TCP ---------------------------------------------------------------------------------
    def tcp_options(self, cls):
        r = self.r
        options = []
        for _ in range(r.randrange(1, 6)):
            kind = self.pick(["MSS", "WScale", "SAckOK", "SAck", "Timestamp", "NOP", "EOL", "MD5", "UTO", "TFO",
                              "unknown", "odd-length"])
            cls.add("scapy/tcpopt/" + kind)
            if kind == "MSS":
                options.append(("MSS", r.randrange(65536)))
            elif kind == "WScale":
                options.append(("WScale", r.randrange(20)))
            elif kind == "SAckOK":
                options.append(("SAckOK", b""))
            elif kind == "SAck":
                options.append(("SAck", tuple(r.getrandbits(32) for _ in range(2 * r.randrange(1, 4)))))
            elif kind == "Timestamp":
                options.append(("Timestamp", (r.getrandbits(32), r.getrandbits(32))))
            elif kind in ("NOP", "EOL"):
                options.append((kind, None))
            elif kind == "MD5":
                options.append(("MD5", self.bytes(16)))
            elif kind == "UTO":
                options.append(("UTO", r.randrange(65536)))
            elif kind == "TFO":
                options.append(("TFO", (r.getrandbits(32), r.getrandbits(32))))
            elif kind == "unknown":
                options.append((self.pick([9, 10, 16, 17, 21, 24, 31, 33, 69, 200]), self.bytes(r.randrange(0, 8))))
            else:
                # A known kind whose length byte disagrees with its size: tcpdump steps over the
                # size it expects and marks `[len N]`.
                kind = self.pick([2, 3, 8, 28, 6, 7])
                options.append((kind, self.bytes(self.pick([0, 1, 3, 5, 7]))))
        return options

    def tcp(self, cls):
        r = self.r
        flags = self.pick(["S", "SA", "A", "PA", "FA", "R", "RA", "", "SEC", "PAU", "FPU"])
        segment = TCP(sport=self.pick(PORTS), dport=self.pick(PORTS), seq=r.getrandbits(32), ack=r.getrandbits(32),
                      flags=flags, window=r.randrange(65536), urgptr=r.randrange(65536) if "U" in flags else 0)
        if self.chance(0.7):
            segment.options = self.tcp_options(cls)
        if self.chance(0.1):
            segment.chksum = r.randrange(65536)
            cls.add("scapy/tcp/wrong-checksum")
        payload = self.payload()
        return segment / payload if payload else segment

    # -- UDP ---------------------------------------------------------------------------------
    def udp(self, cls):
        datagram = UDP(sport=self.pick(PORTS), dport=self.pick(PORTS))
        mode = self.pick(["ok", "ok", "zero", "wrong"])
        cls.add("scapy/udp/checksum-" + mode)
        if mode == "zero":
            datagram.chksum = 0
        elif mode == "wrong":
            datagram.chksum = self.r.randrange(1, 65536)
        payload = self.payload()
        return datagram / payload if payload else datagram

    # -- IPv4 --------------------------------------------------------------------------------
    def ipv4_options(self, cls):
        r = self.r
        options = []
        for _ in range(r.randrange(1, 3)):
            kind = self.pick(["nop", "rr", "ts", "ra", "lsrr", "ssrr", "eol"])
            cls.add("scapy/ipopt/" + kind)
            if kind == "nop":
                options.append(IPOption_NOP())
            elif kind == "rr":
                options.append(IPOption_RR(routers=[self.v4() for _ in range(r.randrange(0, 3))]))
            elif kind == "ts":
                options.append(IPOption_Timestamp(flg=0, timestamp=r.getrandbits(32)))
            elif kind == "ra":
                options.append(IPOption_Router_Alert())
            elif kind == "lsrr":
                options.append(IPOption_LSRR(routers=[self.v4() for _ in range(r.randrange(1, 3))]))
            elif kind == "ssrr":
                options.append(IPOption_SSRR(routers=[self.v4() for _ in range(r.randrange(1, 3))]))
            else:
                options.append(IPOption_EOL())
        return options

    def ipv4(self, cls):
        r = self.r
        header = IP(src=self.v4(), dst=self.v4(), ttl=r.randrange(1, 256), id=r.randrange(65536),
                    tos=self.pick([0, 0, 0x10, 0xB8, 3]), flags=self.pick([0, "DF", 0]))
        if self.chance(0.15):
            header.options = self.ipv4_options(cls)
        upper = self.pick(["tcp", "tcp", "udp", "icmp"])
        cls.add("scapy/ipv4/" + upper)
        if upper == "tcp":
            return header / self.tcp(cls)
        if upper == "udp":
            return header / self.udp(cls)
        return header / self.icmp(cls)

    def icmp(self, cls):
        r = self.r
        kind = self.pick(["echo", "echo-reply", "unreach", "time-exceeded", "redirect", "timestamp"])
        cls.add("scapy/icmp/" + kind)
        if kind in ("echo", "echo-reply"):
            message = ICMP(type=8 if kind == "echo" else 0, id=r.randrange(65536), seq=r.randrange(65536))
            return message / Raw(self.bytes(self.pick([0, 8, 56])))
        quoted = IP(src=self.v4(), dst=self.v4()) / UDP(sport=self.pick(PORTS), dport=self.pick(PORTS))
        if kind == "unreach":
            message = ICMP(type=3, code=self.pick([0, 1, 2, 3, 4, 9, 10, 13]))
            if message.code == 4:
                message.nexthopmtu = self.pick([576, 1280, 1500])
        elif kind == "time-exceeded":
            message = ICMP(type=11, code=self.pick([0, 1]))
        elif kind == "redirect":
            message = ICMP(type=5, code=self.pick([0, 1]), gw=self.v4())
        else:
            return ICMP(type=13, id=r.randrange(65536), seq=r.randrange(65536), ts_ori=r.getrandbits(32),
                        ts_rx=r.getrandbits(32), ts_tx=r.getrandbits(32))
        return message / quoted

    # -- IPv6 --------------------------------------------------------------------------------
    def hop_options(self, cls, hop_by_hop):
        options = []
        for _ in range(self.r.randrange(0, 3)):
            kind = self.pick(["pad1", "padn", "ra"] + (["jumbo"] if hop_by_hop else []))
            cls.add("scapy/ip6opt/" + kind)
            if kind == "pad1":
                options.append(Pad1())
            elif kind == "padn":
                options.append(PadN(optdata=b"\0" * self.r.randrange(0, 4)))
            elif kind == "ra":
                options.append(RouterAlert(value=self.pick([0, 1, 2])))
            else:
                # Jumbo with a non-zero payload length: tcpdump names what is wrong with it.
                options.append(Jumbo(jumboplen=self.pick([65536, 70000, 1000])))
        return options

    def ipv6(self, cls):
        r = self.r
        header = IPv6(src=self.v6(), dst=self.v6(), hlim=r.randrange(1, 256), tc=self.pick([0, 0, 0x28]),
                      fl=self.pick([0, 0, r.randrange(1 << 20)]))
        chain = []
        if self.chance(0.5):
            for _ in range(r.randrange(1, 4)):
                kind = self.pick(["hbh", "dst", "rt0", "rt2", "srh", "frag"])
                # Hop-by-hop only first (anything else is tcpdump's "invalid": also covered).
                if kind == "hbh" and chain and self.chance(0.8):
                    kind = "dst"
                cls.add("scapy/ip6ext/" + kind)
                if kind == "hbh":
                    chain.append(IPv6ExtHdrHopByHop(options=self.hop_options(cls, True)))
                elif kind == "dst":
                    chain.append(IPv6ExtHdrDestOpt(options=self.hop_options(cls, False)))
                elif kind == "rt0":
                    chain.append(IPv6ExtHdrRouting(type=0, addresses=[self.v6() for _ in range(r.randrange(0, 3))],
                                                   segleft=r.randrange(0, 3)))
                elif kind == "rt2":
                    chain.append(IPv6ExtHdrRouting(type=2, addresses=[self.v6()], segleft=1))
                elif kind == "srh":
                    addresses = [self.v6() for _ in range(r.randrange(1, 4))]
                    chain.append(IPv6ExtHdrSegmentRouting(addresses=addresses, segleft=len(addresses) - 1,
                                                          tag=r.randrange(65536)))
                else:
                    # A first fragment keeps the headers after it; a later one is data.
                    offset = 0 if self.chance(0.7) else r.randrange(1, 200)
                    chain.append(IPv6ExtHdrFragment(offset=offset, m=self.pick([0, 1]), id=r.getrandbits(32)))
        upper = self.pick(["tcp", "tcp", "udp", "icmp6"])
        cls.add("scapy/ipv6/" + upper)
        packet = header
        for extension in chain:
            packet = packet / extension
        if upper == "tcp":
            return packet / self.tcp(cls)
        if upper == "udp":
            return packet / self.udp(cls)
        return packet / self.icmp6(cls)

    def icmp6(self, cls):
        r = self.r
        kind = self.pick(["echo", "echo-reply", "unreach", "time-exceeded", "too-big", "param", "ns", "na", "rs",
                          "ra"])
        cls.add("scapy/icmp6/" + kind)
        mac = "02:42:ac:11:00:%02x" % r.randrange(1, 9)
        if kind == "echo":
            return ICMPv6EchoRequest(id=r.randrange(65536), seq=r.randrange(65536), data=self.bytes(r.randrange(9)))
        if kind == "echo-reply":
            return ICMPv6EchoReply(id=r.randrange(65536), seq=r.randrange(65536), data=self.bytes(r.randrange(9)))
        quoted = IPv6(src=self.v6(), dst=self.v6()) / UDP(sport=self.pick(PORTS), dport=self.pick(PORTS))
        if kind == "unreach":
            return ICMPv6DestUnreach(code=self.pick([0, 1, 3, 4])) / quoted
        if kind == "time-exceeded":
            return ICMPv6TimeExceeded(code=self.pick([0, 1])) / quoted
        if kind == "too-big":
            return ICMPv6PacketTooBig(mtu=self.pick([1280, 1400, 1500])) / quoted
        if kind == "param":
            return ICMPv6ParamProblem(code=self.pick([0, 1, 2]), ptr=r.randrange(60)) / quoted
        if kind == "ns":
            message = ICMPv6ND_NS(tgt=self.v6())
            return message / ICMPv6NDOptSrcLLAddr(lladdr=mac) if self.chance(0.7) else message
        if kind == "na":
            message = ICMPv6ND_NA(tgt=self.v6(), R=self.pick([0, 1]), S=self.pick([0, 1]), O=self.pick([0, 1]))
            return message / ICMPv6NDOptDstLLAddr(lladdr=mac) if self.chance(0.7) else message
        if kind == "rs":
            message = ICMPv6ND_RS()
            return message / ICMPv6NDOptSrcLLAddr(lladdr=mac) if self.chance(0.7) else message
        message = ICMPv6ND_RA(chlim=self.pick([0, 64]), M=self.pick([0, 1]), O=self.pick([0, 1]),
                              routerlifetime=self.pick([0, 1800]), reachabletime=r.randrange(100000),
                              retranstimer=r.randrange(5000))
        if self.chance(0.6):
            message = message / ICMPv6NDOptSrcLLAddr(lladdr=mac)
        if self.chance(0.5):
            message = message / ICMPv6NDOptMTU(mtu=self.pick([1280, 1500]))
        if self.chance(0.6):
            message = message / ICMPv6NDOptPrefixInfo(prefix="2001:db8:%x::" % r.randrange(16), prefixlen=64,
                                                      validlifetime=self.pick([0xFFFFFFFF, 86400]),
                                                      preferredlifetime=self.pick([0xFFFFFFFF, 14400]))
        return message

    def arp(self, cls):
        cls.add("scapy/arp")
        return ARP(op=self.pick([1, 2]), hwsrc="02:42:ac:11:00:%02x" % self.r.randrange(1, 9), psrc=self.v4(),
                   hwdst=self.pick(["00:00:00:00:00:00", "02:42:ac:11:00:01"]), pdst=self.v4())

    def network(self, link, cls):
        choice = self.pick(["ipv4", "ipv6", "ipv6"] + (["arp"] if link != "raw" else []))
        if choice == "ipv4":
            return self.ipv4(cls)
        if choice == "ipv6":
            return self.ipv6(cls)
        return self.arp(cls)

    def frame(self, link, cls):
        inner = self.network(link, cls)
        if link == "raw":
            return inner
        if link == "ether":
            return Ether(src="02:42:ac:11:00:%02x" % self.r.randrange(1, 9), dst="02:42:ac:11:00:01") / inner
        return CookedLinux(pkttype=self.pick([0, 4]), lladdrtype=1, lladdrlen=6,
                           src=b"\x02\x42\xac\x11\x00\x02\x00\x00") / inner


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--packets", type=int, default=5000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = Gen(args.seed)
    files = [(link, fmt) for link in LINKS for fmt in FORMATS]
    per_file = max(1, -(-args.packets // len(files)))
    manifest = []
    for link, fmt in files:
        name = "scapy-%s-%s.%s" % (link, fmt, "pcapng" if fmt == "pcapng" else "pcap")
        path = os.path.join(args.out, name)
        if fmt == "pcapng":
            writer = PcapNgWriter(path)
            writer.linktype = LINKS[link]  # one interface for the file, whatever the first packet's class
            writer.write_header(None)
            writer.header_present = True
        else:
            writer = PcapWriter(path, linktype=LINKS[link], nano=fmt == "ns", sync=False)
            writer.write_header(None)  # written from the first packet otherwise, which is bytes here
            writer.header_present = True
        seconds = 1_700_000_000 + gen.r.randrange(86400)
        for index in range(per_file):
            cls = Classes()
            cls.add("scapy/link/" + link)
            cls.add("scapy/format/" + fmt)
            data = bytes(gen.frame(link, cls))
            seconds += gen.r.randrange(0, 3)
            fraction = gen.r.randrange(1_000_000_000 if fmt == "ns" else 1_000_000)
            caplen = len(data)
            if gen.chance(0.15) and len(data) > 1:
                caplen = gen.r.randrange(1, len(data))
                cls.add("scapy/cut-snaplen")
            if fmt == "pcapng":
                # pcapng takes one time value (microsecond resolution): exact as a Decimal.
                when = Decimal(seconds) + Decimal(fraction) / 1_000_000
                writer.write_packet(data[:caplen], sec=when, caplen=caplen, wirelen=len(data))
            else:
                writer.write_packet(data[:caplen], sec=seconds, usec=fraction, caplen=caplen, wirelen=len(data))
            manifest.append((name, index + 1, " ".join(cls.names)))
        writer.close()
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for row in manifest:
            f.write("%s\t%d\t%s\n" % row)


class Classes:
    def __init__(self):
        self.names = []

    def add(self, name):
        if name not in self.names:
            self.names.append(name)


if __name__ == "__main__":
    main()
