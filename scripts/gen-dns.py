#!/usr/bin/env python3
"""Seeded, structure-aware DNS messages over UDP, for the differential test against tcpdump.

Each message is built field by field (header flags and counts, names with labels, compression
pointers that point back, forward or into loops, bit labels and unknown label types, records
of every type tcpdump decodes with well-formed and broken rdata, EDNS OPT records with extended
response codes), then cut or mutated now and then, and wrapped by scapy in IPv4 or IPv6 and UDP
(port 53 on one side). Writes dns.pcap (raw IP link type, with cut snap lengths) and
manifest.tsv (file, index, classes).

    gen-dns.py --seed 1 --packets 4000 --out DIR
"""
import argparse
import os
import random
import struct

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6

TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 38, 39, 41, 104, 256, 250, 13, 99, 255, 3, 47, 64, 65, 1000, 65535]


class Builder:
    def __init__(self, rng):
        self.r = rng
        self.classes = set()
        self.buf = bytearray()
        self.names = []  # offsets of names written, for backward pointers

    def label_bytes(self):
        r = self.r
        length = r.choice([1, 1, 2, 3, 5, 8, 13, 63] if r.random() < 0.9 else [0, 64, 100])
        if r.random() < 0.15:
            self.classes.add("odd-bytes")
            return bytes(r.randrange(256) for _ in range(length))
        alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-_"
        return bytes(r.choice(alphabet) for _ in range(length))

    def name(self):
        """Writes a name at the end of the buffer."""
        r = self.r
        start = len(self.buf)
        if r.random() < 0.05:
            self.buf += b"\x00"
            self.classes.add("root")
            return
        labels = r.choice([1, 2, 2, 3, 3, 4, 6])
        if r.random() < 0.03:
            labels = r.randrange(20, 140)  # long names: NS_MAXDNAME
            self.classes.add("long-name")
        for _ in range(labels):
            choice = r.random()
            if choice < 0.02:
                self.classes.add("bit-label")
                bits = r.choice([0, 1, 4, 7, 8, 9, 12, 16, 31, 32, 100])
                self.buf += bytes([0x41, bits]) + bytes(r.randrange(256) for _ in range(((bits or 256) + 7) // 8))
            elif choice < 0.03:
                self.classes.add("unknown-label-type")
                self.buf += bytes([r.choice([0x40, 0x42, 0x7F, 0x80, 0xBF]), r.randrange(256)])
            else:
                label = self.label_bytes()
                self.buf += bytes([len(label) & 0xFF]) + label
        if self.names and r.random() < 0.4:
            self.classes.add("compression")
            target = r.choice(self.names)
            if r.random() < 0.1:
                self.classes.add("bad-pointer")
                target = r.choice([start, len(self.buf), len(self.buf) + 50, 0x3FFF])
            self.buf += struct.pack("!H", 0xC000 | (target & 0x3FFF))
        else:
            self.buf += b"\x00"
        self.names.append(start)

    def rdata(self, rtype):
        r = self.r
        start = len(self.buf)
        self.buf += b"\x00\x00"  # rdlength, patched below
        body = len(self.buf)
        if rtype == 1:
            self.buf += bytes(r.randrange(256) for _ in range(4))
        elif rtype == 28:
            self.buf += bytes(r.randrange(256) for _ in range(16))
        elif rtype in (2, 5, 12, 39):
            self.name()
        elif rtype == 15:
            self.buf += struct.pack("!H", r.randrange(65536))
            self.name()
        elif rtype == 6:
            self.name()
            self.name()
            self.buf += struct.pack("!5I", *(r.randrange(2**32) for _ in range(5)))
        elif rtype == 16:
            for _ in range(r.choice([0, 1, 1, 2, 3])):
                text = bytes(r.randrange(256) if r.random() < 0.1 else r.randrange(32, 127)
                             for _ in range(r.choice([0, 1, 5, 20, 255])))
                self.buf += bytes([len(text)]) + text
        elif rtype == 33:
            self.buf += struct.pack("!3H", r.randrange(65536), r.randrange(65536), r.randrange(65536))
            self.name()
        elif rtype == 38:
            bits = r.choice([0, 8, 64, 127, 128, 129, 200])
            self.buf += bytes([bits]) + bytes(r.randrange(256) for _ in range(16 - (bits & ~7) // 8 if bits <= 128 else 0))
            if 0 < bits <= 128:
                self.name()
        elif rtype == 256:
            self.buf += struct.pack("!2H", r.randrange(65536), r.randrange(65536))
            self.buf += bytes(r.randrange(32, 127) for _ in range(r.randrange(0, 30)))
        elif rtype == 250:
            self.name()
            self.buf += bytes(r.randrange(256) for _ in range(6))
            self.buf += struct.pack("!H", r.randrange(65536))
            mac = r.randrange(0, 20)
            self.buf += struct.pack("!H", mac) + bytes(r.randrange(256) for _ in range(mac))
            self.buf += struct.pack("!3H", r.randrange(65536), r.randrange(24), 0)
        else:
            self.buf += bytes(r.randrange(256) for _ in range(r.choice([0, 1, 4, 10])))
        length = len(self.buf) - body
        if r.random() < 0.05:
            self.classes.add("lying-rdlength")
            length = r.choice([0, length + 1, max(0, length - 1), 65535])
        self.buf[start:start + 2] = struct.pack("!H", length & 0xFFFF)

    def record(self, section):
        r = self.r
        rtype = r.choice(TYPES)
        if section != "additional" and rtype == 41:
            rtype = 1
        self.classes.add("type:%d" % rtype)
        self.name()
        rclass = r.choice([1, 1, 1, 1, 3, 4, 255, 0x8001, 0, 254])
        self.buf += struct.pack("!HHI", rtype, rclass, r.randrange(2**32))
        self.rdata(rtype)

    def opt(self):
        r = self.r
        self.classes.add("edns")
        self.buf += b"\x00" + struct.pack("!HH", 41, r.choice([512, 1232, 4096, 65535]))
        ext = r.choice([0, 0, 0, 1, 2, 255])
        if ext:
            self.classes.add("extended-rcode")
        self.buf += bytes([ext, 0]) + struct.pack("!H", r.choice([0, 0x8000]))
        self.buf += struct.pack("!H", 0)

    def message(self):
        r = self.r
        response = r.random() < 0.55
        self.classes.add("response" if response else "query")
        flags = (0x8000 if response else 0) | (r.choice([0] * 12 + list(range(1, 16))) << 11)
        for bit, p in [(0x0400, 0.3), (0x0200, 0.1), (0x0100, 0.7), (0x0080, 0.7), (0x0040, 0.05),
                       (0x0020, 0.1), (0x0010, 0.1)]:
            if r.random() < p:
                flags |= bit
        flags |= r.choice([0] * 10 + list(range(1, 16)))
        counts = [r.choice([1, 1, 1, 0, 2]), r.choice([0, 1, 2, 3]) if response else r.choice([0] * 8 + [1]),
                  r.choice([0, 0, 1]), r.choice([0, 0, 1, 2])]
        self.buf += struct.pack("!6H", r.randrange(65536), flags, *counts)
        for _ in range(counts[0]):
            self.name()
            qtype = r.choice(TYPES)
            self.classes.add("qtype:%d" % qtype)
            self.buf += struct.pack("!HH", qtype, r.choice([1, 1, 1, 3, 4, 255, 0x8001, 0, 0x8003]))
        for _ in range(counts[1]):
            self.record("answer")
        for _ in range(counts[2]):
            self.record("authority")
        for index in range(counts[3]):
            if index == 0 and r.random() < 0.6:
                self.opt()
            else:
                self.record("additional")
        if r.random() < 0.05:
            self.classes.add("lying-counts")
            field = r.randrange(4)
            self.buf[4 + 2 * field:6 + 2 * field] = struct.pack("!H", r.choice([0, 1, 5, 300, 65535]))
        if r.random() < 0.03:
            self.classes.add("short")
            del self.buf[r.randrange(0, 12):]
        if r.random() < 0.05:
            self.classes.add("mutated")
            for _ in range(r.randrange(1, 4)):
                if self.buf:
                    self.buf[r.randrange(len(self.buf))] = r.randrange(256)
        return bytes(self.buf)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--packets", type=int, default=4000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    r = random.Random(args.seed)
    records = []
    manifest = []
    for index in range(args.packets):
        b = Builder(r)
        payload = b.message()
        sport, dport = 53, r.choice([1024, 33333, 40000, 61000])
        if not b.classes & {"response"} and r.random() < 0.9:
            sport, dport = dport, sport
        if r.random() < 0.3:
            b.classes.add("ipv6")
            packet = IPv6(src="::1", dst="2001:db8::53") / UDP(sport=sport, dport=dport) / payload
        else:
            packet = IP(src="127.0.0.1", dst="10.0.0.53", id=index & 0xFFFF) / UDP(sport=sport, dport=dport) / payload
        data = bytes(packet)
        caplen = len(data)
        if r.random() < 0.1:
            b.classes.add("snap-cut")
            caplen = r.randrange(28 if data[0] >> 4 == 4 else 48, len(data) + 1)
        records.append((data[:caplen], len(data)))
        manifest.append("dns.pcap\t%d\t%s" % (index + 1, " ".join(sorted(b.classes))))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "dns.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for index, (data, length) in enumerate(records):
            f.write(struct.pack("<IIII", 1700000000 + index, index % 1000000, len(data), length) + data)
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
