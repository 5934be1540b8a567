#!/usr/bin/env python3
"""Structure-aware, seeded packet generator for netlab's differential tests against tcpdump.

Writes captures covering every link type netlab decodes, 802.3/LLC frames, ARP, IPv4 with
options, IPv6 extension-header chains (well formed and broken), TCP options (known, unknown,
malformed, MPTCP, TFO), UDP with correct, zero and wrong checksums, ICMP and ICMPv6 types with
their options, cut snap lengths and odd timestamps, in pcap (microseconds and nanoseconds) and
pcapng. Standard library only, so a bare clone needs nothing else.

    scripts/gen-packets.py --seed 1 --packets 20000 --out DIR

DIR receives one capture per (link type, format) and manifest.tsv: file, packet index (from 1),
class. The same seed always gives the same bytes.
"""
import argparse
import os
import random
import struct

# Ports tcpdump hands to no application decoder (netlab prints what tcpdump prints for them).
PORTS = list(range(40000, 40016)) + list(range(50000, 50008))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    # -- helpers ---------------------------------------------------------------------------
    def chance(self, p):
        return self.r.random() < p

    def bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def v4addr(self):
        return bytes([10, 0, self.r.randrange(3), self.r.randrange(1, 4)])

    def v6addr(self):
        if self.chance(0.2):
            return bytes([0xFE, 0x80] + [0] * 6 + [0x02, 0x42, 0xAC, 0x11, 0, 0, 0, self.r.randrange(1, 4)])
        if self.chance(0.1):
            return bytes([0xFF, 0x02] + [0] * 13 + [self.pick([1, 2, 0x16])])
        return bytes([0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [self.r.randrange(1, 4)])

    # -- transport -------------------------------------------------------------------------
    def pseudo(self, src, dst, proto, length):
        if len(src) == 4:
            return src + dst + struct.pack("!BBH", 0, proto, length)
        return src + dst + struct.pack("!IxxxB", length, proto)

    def fix_checksum(self, data, offset, src, dst, proto, mode):
        """mode: ok, zero, wrong."""
        data = bytearray(data)
        data[offset:offset + 2] = b"\0\0"
        value = csum(self.pseudo(src, dst, proto, len(data)) + bytes(data)) if src is not None else csum(bytes(data))
        if mode == "zero":
            value = 0
        elif mode == "wrong":
            value ^= 1 + self.r.randrange(0xFFFE)
        data[offset:offset + 2] = struct.pack("!H", value)
        return bytes(data)

    def tcp_option(self, cls):
        r = self.r
        kind = self.pick(["mss", "wscale", "sackok", "sack", "ts", "nop", "eol", "md5", "uto", "ao", "mptcp",
                          "tfo", "exp", "unknown", "malformed", "echo", "cc"])
        cls.add("tcpopt/" + kind)
        if kind == "mss":
            return b"\x02\x04" + struct.pack("!H", r.randrange(65536))
        if kind == "wscale":
            return b"\x03\x03" + bytes([r.randrange(20)])
        if kind == "sackok":
            return b"\x04\x02"
        if kind == "sack":
            n = r.randrange(1, 4)
            length = 2 + 8 * n if self.chance(0.8) else 2 + r.randrange(1, 12)
            return bytes([5, length]) + self.bytes(length - 2)
        if kind == "ts":
            return b"\x08\x0a" + self.bytes(8)
        if kind == "nop":
            return b"\x01"
        if kind == "eol":
            return b"\x00"
        if kind == "md5":
            return b"\x13\x12" + self.bytes(16)
        if kind == "uto":
            return b"\x1c\x04" + self.bytes(2)
        if kind == "ao":
            length = r.choice([2, 3, 4, 6, 8, 12, 16])
            return bytes([29, length]) + self.bytes(length - 2)
        if kind == "echo":
            return bytes([r.choice([6, 7]), 6]) + self.bytes(4)
        if kind == "cc":
            return bytes([r.choice([11, 12, 13]), 6]) + self.bytes(4)
        if kind == "mptcp":
            sub = r.randrange(9) if self.chance(0.9) else r.randrange(9, 16)
            lengths = {0: [4, 12, 20, 22, 24], 1: [12, 16, 24], 2: [4, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28],
                       3: [8, 10, 16, 18, 20, 26, 28, 30], 4: [4, 5, 6, 8], 5: [3, 4], 6: [12], 7: [12], 8: [4]}
            length = self.pick(lengths.get(sub, [4, 6])) if self.chance(0.85) else r.randrange(3, 30)
            body = bytearray(self.bytes(length - 3))
            if sub == 2 and body:
                body[0] &= 0x1F  # DSS flags: only the defined bits
            if sub == 3 and body:
                body[0] = r.choice([4, 6])  # ADD_ADDR: IP version in the low bits? keep varied
            return bytes([30, length, (sub << 4) | r.randrange(16)]) + bytes(body)
        if kind == "tfo":
            length = 2 + r.choice([0, 4, 6, 8, 16, 3, 5, 18]) if self.chance(0.9) else 2 + r.randrange(20)
            return bytes([34, length]) + self.bytes(length - 2)
        if kind == "exp":
            length = 4 + r.choice([0, 4, 8, 16, 3])
            magic = b"\xf9\x89" if self.chance(0.7) else self.bytes(2)
            return bytes([254, length]) + magic + self.bytes(length - 4)
        if kind == "unknown":
            k = r.choice([9, 10, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27, 31, 32, 33, 35, 69, 200, 253])
            length = r.randrange(2, 10)
            return bytes([k, length]) + self.bytes(length - 2)
        # malformed: a length of 0 or 1, or past the header
        k = r.choice([2, 3, 5, 8, 30, 34, 99])
        return bytes([k, r.choice([0, 1, 40])]) + self.bytes(r.randrange(4))

    def tcp(self, src, dst, cls, sport=None, dport=None):
        r = self.r
        sport = sport or self.pick(PORTS)
        dport = dport or self.pick(PORTS)
        options = b""
        if self.chance(0.6):
            for _ in range(r.randrange(1, 5)):
                options += self.tcp_option(cls)
            if len(options) > 40:
                options = options[:40]
            options += b"\x00" * (-len(options) % 4)
        flags = self.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19, 0x01, 0x00, 0x29, 0xC2, 0x52, 0xFF])
        payload = b""
        if self.chance(0.4):
            if self.chance(0.3):
                dport = self.pick([80, 8080, 22, 25, 21])
                payload = self.pick([b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n",
                                     b"SSH-2.0-OpenSSH_9.0\r\n", b"220 mail ESMTP\r\n", b"USER bob\r\n",
                                     b"POST /a HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"])
                cls.add("tcp/text")
            else:
                payload = self.bytes(r.randrange(1, 64))
        offset = 5 + len(options) // 4
        if self.chance(0.04):
            offset = r.randrange(16)
            cls.add("tcp/bad-offset")
        seq, ack = self.conversation_numbers(src, dst, sport, dport)
        header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, r.randrange(65536), 0,
                             r.randrange(65536) if flags & 0x20 else 0)
        data = header + options + payload
        mode = "ok" if self.chance(0.8) else "wrong"
        cls.add("tcp/cksum-" + mode)
        return 6, self.fix_checksum(data, 16, src, dst, 6, mode)

    def conversation_numbers(self, src, dst, sport, dport):
        # Small numbers near a per-conversation base, so relative sequence numbers are exercised.
        key = tuple(sorted([(src, sport), (dst, dport)]))
        base = self.bases.setdefault(key, (self.r.getrandbits(32), self.r.getrandbits(32)))
        if (src, sport) == key[0]:
            return (base[0] + self.r.randrange(5000)) & 0xFFFFFFFF, (base[1] + self.r.randrange(5000)) & 0xFFFFFFFF
        return (base[1] + self.r.randrange(5000)) & 0xFFFFFFFF, (base[0] + self.r.randrange(5000)) & 0xFFFFFFFF

    def udp(self, src, dst, cls):
        r = self.r
        payload = self.bytes(r.randrange(0, 40))
        length = 8 + len(payload)
        kind = self.pick(["ok", "ok", "zero", "wrong", "badlen"])
        cls.add("udp/" + kind)
        if kind == "badlen":
            length = r.choice([0, 4, 7, length + r.randrange(1, 100), max(8, length - 3)])
        data = struct.pack("!HHHH", self.pick(PORTS), self.pick(PORTS), length, 0) + payload
        mode = kind if kind in ("zero", "wrong") else "ok"
        if len(src) == 16 and mode == "zero":
            mode = "zero"
        return 17, self.fix_checksum(data, 6, src, dst, 17, mode)

    def quoted_v4(self):
        inner_src, inner_dst = self.v4addr(), self.v4addr()
        proto, body = (17, struct.pack("!HHHH", self.pick(PORTS), self.pick(PORTS), 20, 0x1234)) \
            if self.chance(0.6) else (6, struct.pack("!HHI", self.pick(PORTS), self.pick(PORTS), 1234))
        return self.ipv4_header(inner_src, inner_dst, proto, len(body) + 12 + self.r.randrange(3) * 4) + body

    def icmp(self, src, dst, cls):
        r = self.r
        t = self.pick([0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 3, 3, 11, 1, 30, 40])
        if self.chance(0.05):
            t = r.randrange(256)
            cls.add("icmp/any-type")
        else:
            cls.add("icmp/%d" % t)
        code = 0
        rest = self.bytes(4)
        body = b""
        if t in (0, 8):
            body = self.bytes(r.randrange(0, 32))
        elif t == 3:
            code = r.randrange(16)
            rest = (b"\0\0" + struct.pack("!H", r.choice([0, 1280, 1500]))) if code == 4 else b"\0\0\0\0"
            body = self.quoted_v4()
        elif t == 4:
            rest = b"\0\0\0\0"
            body = self.quoted_v4()
        elif t == 5:
            code = r.randrange(5)
            rest = self.v4addr()
            body = self.quoted_v4()
        elif t == 11:
            code = r.randrange(3)
            rest = b"\0\0\0\0"
            body = self.quoted_v4()
        elif t == 12:
            code = r.randrange(3)
            rest = bytes([r.randrange(40), 0, 0, 0])
            body = self.quoted_v4()
        elif t == 9:
            n = r.randrange(0, 3)
            rest = bytes([n, r.choice([2, 3]), 0, 30])
            body = b"".join(self.v4addr() + self.bytes(4) for _ in range(n))
        elif t in (13, 14):
            body = self.bytes(12)
        elif t in (17, 18):
            body = self.bytes(4)
        else:
            body = self.bytes(r.randrange(0, 16))
        data = bytes([t, code, 0, 0]) + rest + body
        mode = "ok" if self.chance(0.85) else "wrong"
        return 1, self.fix_checksum(data, 2, None, None, 1, mode)

    def nd_options(self, allowed):
        r = self.r
        out = b""
        for _ in range(r.randrange(0, 4)):
            t = self.pick(allowed)
            if t in (1, 2):
                out += bytes([t, 1]) + self.bytes(6)
            elif t == 3:
                out += bytes([3, 4, 64, 0xC0]) + self.bytes(8) + b"\0\0\0\0" + bytes([0x20, 1, 0xD, 0xB8] + [0] * 12)
            elif t == 4:
                out += bytes([4, 1]) + b"\0" * 6
            elif t == 5:
                out += bytes([5, 1, 0, 0]) + struct.pack("!I", r.choice([1280, 1500, 9000]))
            elif t == 14:
                out += bytes([14, 1]) + self.bytes(6)
            elif t == 24:
                out += bytes([24, 2, 48, 0]) + self.bytes(4) + bytes([0x20, 1, 0xD, 0xB8, 0, 0, 0, 0])
            elif t == 25:
                out += bytes([25, 3, 0, 0]) + self.bytes(4) + self.v6addr()
            elif t == 31:
                out += bytes([31, 2, 0, 0]) + self.bytes(4) + b"\x07example\x00\x00\x00\x00"[:8]
            elif t == 0:
                out += bytes([r.randrange(1, 40), 0]) + self.bytes(6)  # zero length: invalid
            else:
                out += bytes([t, 1]) + self.bytes(6)
        return out

    def icmp6(self, src, dst, cls):
        r = self.r
        t = self.pick([1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143, 1, 128, 135, 136, 200, 5])
        if self.chance(0.05):
            t = r.randrange(256)
            cls.add("icmp6/any-type")
        else:
            cls.add("icmp6/%d" % t)
        code = 0
        body = b""
        quoted = lambda: (bytes([0x60, 0, 0, 0, 0, 8, 17, 64]) + self.v6addr() + self.v6addr()
                          + struct.pack("!HHHH", self.pick(PORTS), self.pick(PORTS), 8, 0))
        if t in (1, 3):
            code = r.randrange(8) if t == 1 else r.randrange(2)
            body = b"\0\0\0\0" + quoted()
        elif t == 2:
            body = struct.pack("!I", r.choice([1280, 1500])) + quoted()
        elif t == 4:
            code = r.randrange(4)
            body = struct.pack("!I", r.randrange(60)) + quoted()
        elif t in (128, 129):
            body = self.bytes(4) + self.bytes(r.randrange(0, 24))
        elif t in (130, 131, 132):
            body = struct.pack("!HH", r.randrange(65536), 0) + self.v6addr()
            if t == 130 and self.chance(0.5):
                n = r.randrange(0, 3)
                body += bytes([r.randrange(16), r.randrange(256)]) + struct.pack("!H", n) \
                    + b"".join(self.v6addr() for _ in range(n))
        elif t == 133:
            body = b"\0\0\0\0" + self.nd_options([1, 1, 2, 5, 0])
        elif t == 134:
            body = bytes([64, r.choice([0, 0x80, 0x40, 0x08, 0xC0])]) + struct.pack("!HII", 1800, 0, 0) \
                + self.nd_options([1, 3, 5, 24, 25, 31, 0])
        elif t == 135:
            body = b"\0\0\0\0" + self.v6addr() + self.nd_options([1, 14, 0])
        elif t == 136:
            body = bytes([self.pick([0x20, 0x40, 0x60, 0xE0, 0]), 0, 0, 0]) + self.v6addr() + self.nd_options([2, 0])
        elif t == 137:
            body = b"\0\0\0\0" + self.v6addr() + self.v6addr() + self.nd_options([2, 4])
        elif t == 143:
            n = r.randrange(0, 3)
            body = struct.pack("!HH", 0, n)
            for _ in range(n):
                sources = r.randrange(0, 3)
                body += bytes([r.randrange(1, 7), 0]) + struct.pack("!H", sources) + self.v6addr() \
                    + b"".join(self.v6addr() for _ in range(sources))
        else:
            body = self.bytes(r.randrange(4, 20))
        data = bytes([t, code, 0, 0]) + body
        mode = "ok" if self.chance(0.85) else "wrong"
        return 58, self.fix_checksum(data, 2, src, dst, 58, mode)

    def igmp(self, src, dst, cls):
        r = self.r
        t = self.pick([0x11, 0x12, 0x16, 0x17, 0x22])
        cls.add("igmp/%x" % t)
        if t == 0x22:
            n = r.randrange(0, 3)
            body = b"\0\0" + struct.pack("!H", n)
            for _ in range(n):
                ns = r.randrange(0, 3)
                body += bytes([r.randrange(1, 7), 0]) + struct.pack("!H", ns) + bytes([239, 1, 1, 1]) \
                    + b"".join(self.v4addr() for _ in range(ns))
            data = bytes([t, 0, 0, 0]) + body
        else:
            data = bytes([t, r.choice([0, 100]), 0, 0]) + bytes([224, 0, 0, r.randrange(1, 255)])
            if t == 0x11 and self.chance(0.5):
                data += bytes([2, 125]) + struct.pack("!H", 1) + self.v4addr()
        return 2, self.fix_checksum(data, 2, None, None, 2, "ok")

    # -- network ---------------------------------------------------------------------------
    def ipv4_options(self, cls):
        r = self.r
        out = b""
        for _ in range(r.randrange(1, 4)):
            kind = self.pick(["nop", "eol", "rr", "lsrr", "ssrr", "ts", "ra", "sec", "unknown", "bad"])
            cls.add("ipopt/" + kind)
            if kind == "nop":
                out += b"\x01"
            elif kind == "eol":
                out += b"\x00"
            elif kind in ("rr", "lsrr", "ssrr"):
                n = r.randrange(1, 4)
                out += bytes([{"rr": 7, "lsrr": 131, "ssrr": 137}[kind], 3 + 4 * n, 4 + 4 * r.randrange(n + 1)]) \
                    + b"".join(self.v4addr() for _ in range(n))
            elif kind == "ts":
                n = r.randrange(1, 3)
                out += bytes([68, 4 + 4 * n, 5, 0]) + self.bytes(4 * n)
            elif kind == "ra":
                out += b"\x94\x04\x00\x00"
            elif kind == "sec":
                out += bytes([130, 11]) + self.bytes(9)
            elif kind == "unknown":
                out += bytes([r.choice([25, 30, 150, 222]), 4]) + self.bytes(2)
            else:
                out += bytes([r.choice([7, 68, 131, 148]), r.choice([0, 1, 2, 60])]) + self.bytes(2)
        return (out + b"\0" * (-len(out) % 4))[:40]

    def ipv4_header(self, src, dst, proto, total, options=b"", flags=0, ttl=64, ident=None, tos=0):
        ihl = 5 + len(options) // 4
        ident = self.r.randrange(65536) if ident is None else ident
        h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, total, ident, flags, ttl, proto, 0, src, dst) + options
        return h[:10] + struct.pack("!H", csum(h)) + h[12:]

    def transport(self, src, dst, cls, v6):
        choice = self.r.random()
        if choice < 0.42:
            cls.add("tcp")
            return self.tcp(src, dst, cls)
        if choice < 0.62:
            cls.add("udp")
            return self.udp(src, dst, cls)
        if choice < 0.92:
            return self.icmp6(src, dst, cls) if v6 else self.icmp(src, dst, cls)
        if not v6 and choice < 0.96:
            return self.igmp(src, dst, cls)
        cls.add("ip/other-proto")
        return self.pick([99, 250, 59, 253]), self.bytes(self.r.randrange(0, 20))

    def ipv4(self, cls):
        r = self.r
        src, dst = self.v4addr(), self.v4addr()
        if self.chance(0.1):
            dst = bytes([224, 0, 0, r.randrange(1, 255)])
        proto, payload = self.transport(src, dst, cls, False)
        options = b""
        if self.chance(0.15):
            options = self.ipv4_options(cls)
        flags = 0
        if self.chance(0.08):
            flags = self.pick([0x2000, 0x2000 | r.randrange(1, 100), r.randrange(1, 100), 0x8000])
            cls.add("ip/fragment")
        elif self.chance(0.4):
            flags = 0x4000
        total = 20 + len(options) + len(payload)
        if self.chance(0.04):
            total = self.pick([0, 10, total - 1, total + 20, max(20, total - 30)])
            cls.add("ip/bad-length")
        tos = self.pick([0, 0, 0x10, 0x02, 0x03, 0xB8])
        header = self.ipv4_header(src, dst, proto, total & 0xFFFF, options, flags, self.pick([64, 1, 255]),
                                  tos=tos)
        if self.chance(0.05):
            header = header[:10] + b"\x12\x34" + header[12:]
            cls.add("ip/bad-cksum")
        return header + payload

    def v6_ext_chain(self, cls, final_holder):
        """Returns a list of (type, bytes-without-next-header) and may change the final destination."""
        r = self.r
        chain = []
        broken = self.chance(0.2)
        count = r.randrange(1, 4)
        kinds = []
        for index in range(count):
            kinds.append(self.pick(["hbh", "dst", "rt0", "rt2", "srh", "frag", "frag"]))
        if "hbh" in kinds and not broken:
            kinds.remove("hbh")
            kinds.insert(0, "hbh")
        for kind in kinds:
            cls.add("ip6ext/" + kind)
            if kind in ("hbh", "dst"):
                opts = b""
                for _ in range(r.randrange(0, 3)):
                    o = self.pick(["pad1", "padn", "ra", "unknown", "bad"])
                    if o == "pad1":
                        opts += b"\x00"
                    elif o == "padn":
                        n = r.randrange(0, 4)
                        opts += bytes([1, n]) + b"\0" * n
                    elif o == "ra":
                        opts += b"\x05\x02\x00\x00" if not broken else b"\x05\x03\x00\x00\x00"
                    elif o == "unknown":
                        opts += bytes([self.pick([0x1E, 0x3E, 0x63, 0x8B]), 2]) + self.bytes(2)
                    else:
                        opts += bytes([0x1E, 9])
                        cls.add("ip6ext/bad-option")
                pad = -(len(opts) + 2) % 8
                if pad == 1:
                    opts += b"\x00"
                elif pad:
                    opts += bytes([1, pad - 2]) + b"\0" * (pad - 2)
                chain.append((0 if kind == "hbh" else 60, bytes([(len(opts) + 2) // 8 - 1]) + opts))
            elif kind in ("rt0", "rt2"):
                n = r.randrange(0, 3) if kind == "rt0" else 1
                addrs = [self.v6addr() for _ in range(n)]
                if addrs:
                    final_holder[0] = addrs[-1]
                units = 2 * n
                if broken and self.chance(0.5):
                    units += 1
                    cls.add("ip6ext/rt-odd-length")
                body = bytes([units, 0 if kind == "rt0" else 2, r.randrange(n + 1)]) + b"\0\0\0\0" + b"".join(addrs)
                body += b"\0" * (8 * (units + 1) - 1 - len(body))
                chain.append((43, body))
            elif kind == "srh":
                n = r.randrange(1, 4)
                addrs = [self.v6addr() for _ in range(n)]
                final_holder[0] = addrs[0]
                body = bytes([2 * n, 4, r.randrange(n + 1), n - 1, self.pick([0, 0, 0x80]),
                              ]) + struct.pack("!H", r.randrange(3)) + b"".join(addrs)
                chain.append((43, body))
            elif kind == "frag":
                off = 0 if self.chance(0.6) else r.randrange(1, 200)
                m = 1 if self.chance(0.5) else 0
                chain.append((44, b"\0" + struct.pack("!HI", (off << 3) | m, r.getrandbits(32))))
            if broken and self.chance(0.3):
                chain.append((self.pick([0, 43]), bytes([self.pick([5, 40, 200])]) + b"\x00" * 3))
                cls.add("ip6ext/broken-length")
        if broken:
            cls.add("ip6ext/broken")
        return chain

    def ipv6(self, cls):
        r = self.r
        src, dst = self.v6addr(), self.v6addr()
        chain = []
        final = [dst]
        if self.chance(0.35):
            chain = self.v6_ext_chain(cls, final)
        proto, payload = self.transport(src, final[0], cls, True)
        # Assemble: each extension header's first byte is the next header.
        body = payload
        nxt = proto
        for kind, ext in reversed(chain):
            body = bytes([nxt]) + ext + body
            nxt = kind
        plen = len(body)
        if self.chance(0.03):
            plen = self.pick([0, plen + 10, max(0, plen - 10)])
            cls.add("ip6/bad-length")
        word = (6 << 28) | (self.pick([0, 0, 0x2E, 0x01]) << 20) | (r.randrange(1 << 20) if self.chance(0.3) else 0)
        header = struct.pack("!IHBB", word, plen, nxt, self.pick([64, 255, 1])) + src + dst
        return header + body

    def jumbo(self, cls):
        cls.add("ip6ext/jumbo")
        src, dst = self.v6addr(), self.v6addr()
        proto, payload = (6, self.tcp(src, dst, cls)[1]) if self.chance(0.5) else self.udp(src, dst, cls)
        value = self.pick([70000, 65536, 1000, 65535 + len(payload)])
        hbh = bytes([proto, 0, 0xC2, 4]) + struct.pack("!I", value)
        return struct.pack("!IHBB", 6 << 28, 0, 0, 64) + src + dst + hbh + payload

    def arp(self, cls):
        r = self.r
        cls.add("arp")
        op = self.pick([1, 2, 1, 2, 3, 4, 8, 9, 10, 77])
        hw = self.pick([1, 1, 1, 6, 32, 99])
        hlen = 6 if self.chance(0.9) else self.pick([0, 8, 20])
        plen = 4 if self.chance(0.9) else self.pick([0, 16])
        ptype = 0x0800 if self.chance(0.9) else 0x86DD
        return struct.pack("!HHBBH", hw, ptype, hlen, plen, op) + self.bytes(hlen) + self.bytes(plen) \
            + self.bytes(hlen) + self.bytes(plen)

    def network(self, cls, allow_arp=True):
        """(ethertype, bytes)."""
        c = self.r.random()
        if c < 0.02:
            return 0x86DD, self.jumbo(cls)
        if c < 0.45:
            cls.add("ipv4")
            return 0x0800, self.ipv4(cls)
        if c < 0.92 or not allow_arp:
            cls.add("ipv6")
            return 0x86DD, self.ipv6(cls)
        return 0x0806, self.arp(cls)

    def llc(self, cls):
        cls.add("802.3/llc")
        dsap = self.pick([0x42, 0xAA, 0xE0, 0xF0, 0x06, 0xFE, 0x98])
        ssap = dsap | self.pick([0, 1])
        ctrl = self.pick([0x03, 0x00, 0xF3, 0xAF, 0xE3, 0x01, 0x10])
        body = bytes([dsap, ssap, ctrl]) + self.bytes(self.r.randrange(0, 40))
        return body

    # -- link ------------------------------------------------------------------------------
    def frame(self, link, cls):
        r = self.r
        mac = lambda: bytes([self.pick([0, 2, 1, 0xFF])]) + self.bytes(5)
        if link in ("EN10MB", "EN10MB-VLAN", "BRCM"):
            if link != "EN10MB-VLAN" and self.chance(0.06):
                body = self.llc(cls)
                f = mac() + mac() + struct.pack("!H", len(body) if self.chance(0.9) else 1500) + body
            else:
                et, body = self.network(cls)
                if self.chance(0.03):
                    et = self.pick([0x1234, 0x88B5, 0x88B6, 0x9999])  # no tcpdump decoder
                    cls.add("ether/unknown-type")
                tags = b""
                if link == "EN10MB-VLAN":
                    for _ in range(r.randrange(1, 3)):
                        tags += struct.pack("!HH", self.pick([0x8100, 0x88A8, 0x9100]), r.randrange(65536))
                    cls.add("ether/vlan")
                f = mac() + mac() + tags + struct.pack("!H", et) + body
                if self.chance(0.2):
                    f += b"\0" * r.randrange(1, 20)  # trailing padding
            if link == "BRCM":
                f = self.bytes(4) + f
            return f
        if link in ("NULL", "NULL-BE", "LOOP"):
            et, body = self.network(cls, allow_arp=False)
            fam = 2 if et == 0x0800 else self.pick([24, 28, 30])
            if self.chance(0.03):
                fam = self.pick([1, 50, 99])  # families tcpdump does not decode either
                cls.add("null/other-family")
            order = "<I" if link == "NULL" else ">I"
            return struct.pack(order, fam) + body
        if link in ("RAW", "IPV4", "IPV6"):
            if link == "IPV4":
                cls.add("ipv4")
                return self.ipv4(cls)
            if link == "IPV6":
                cls.add("ipv6")
                return self.ipv6(cls)
            return self.network(cls, allow_arp=False)[1]
        if link == "SLL":
            et, body = self.network(cls)
            tags = b""
            if self.chance(0.15):
                tags = struct.pack("!HH", r.randrange(65536), et)
                et = 0x8100
                cls.add("sll/vlan")
            if self.chance(0.03):
                et = self.pick([0x1234, 0x88B5])  # 1 and 4 (802.3, 802.2) carry LLC: out of scope
                cls.add("sll/other-protocol")
            return struct.pack("!HHH", self.pick([0, 1, 2, 3, 4, 7]), 1, self.pick([6, 6, 0, 8])) + self.bytes(8) \
                + struct.pack("!H", et) + tags + body
        if link == "SLL2":
            et, body = self.network(cls)
            return struct.pack("!HHIHBB", et, 0, self.pick([1, 1, 9999]), 1, self.pick([0, 1, 2, 3, 4, 7]), 6) \
                + self.bytes(8) + body
        if link == "IPNET":
            et, body = self.network(cls, allow_arp=False)
            fam = 2 if et == 0x0800 else 26
            return bytes([1, fam, 0, 0]) + struct.pack("!I", len(body)) + self.bytes(16) + body
        if link == "IPOIB":
            et, body = self.network(cls)
            return self.bytes(40) + struct.pack("!HH", et, 0) + body
        raise ValueError(link)


LINKS = {"EN10MB": 1, "EN10MB-VLAN": 1, "NULL": 0, "NULL-BE": 0, "LOOP": 108, "RAW": 101, "IPV4": 228,
         "IPV6": 229, "SLL": 113, "SLL2": 276, "IPNET": 226, "IPOIB": 242, "BRCM": 282}
# pcap with microsecond and nanosecond stamps; pcapng with the default (µs) and a nanosecond
# if_tsresol.
FORMATS = ["us", "ns", "pcapng", "pcapng-ns"]


class Classes:
    def __init__(self):
        self.names = []

    def add(self, name):
        if name not in self.names:
            self.names.append(name)


def write_pcap(path, linktype, records, nano):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, frac, data, wire in records:
            f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, frac & 0xFFFFFFFF, len(data), wire))
            f.write(data)


def write_pcapng(path, linktype, records, nano=False):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        # if_tsresol (option 9) = 9: nanoseconds; then opt_endofopt.
        options = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0) if nano else b""
        f.write(block(1, struct.pack("<HHI", linktype, 0, 262144) + options))
        for sec, frac, data, wire in records:
            ts = sec * (1_000_000_000 if nano else 1_000_000) + frac
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), wire) + data))


def flow_captures(out):
    """Whole TCP connections in shapes the connection views must handle (Ethernet, pcap µs):
    over IPv6 with hop-by-hop and destination options; with the SYN-ACK recorded before the SYN;
    an IPv4 segment in two fragments."""
    gen = Gen(0)
    mac = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02"

    def segment(src, dst, sport, dport, seq, ack, flags, payload=b""):
        header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        return gen.fix_checksum(header + payload, 16, src, dst, 6, "ok")

    def conversation(client, server, cport, sport, synack_first=False):
        c, s = 1000, 5000
        steps = [(True, c, 0, 0x02, b""), (False, s, c + 1, 0x12, b""), (True, c + 1, s + 1, 0x10, b""),
                 (True, c + 1, s + 1, 0x18, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                 (False, s + 1, c + 29, 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
                 (True, c + 29, s + 41, 0x11, b""), (False, s + 41, c + 30, 0x11, b""),
                 (True, c + 30, s + 42, 0x10, b"")]
        if synack_first:
            steps[0], steps[1] = steps[1], steps[0]
        for from_client, seq, ack, flags, payload in steps:
            a, b = (client, server) if from_client else (server, client)
            pa, pb = (cport, sport) if from_client else (sport, cport)
            yield a, b, segment(a, b, pa, pb, seq, ack, flags, payload)

    def v6_frame(src, dst, tcp):
        hbh = bytes([60, 0, 5, 2, 0, 0, 1, 0])  # router alert, PadN
        dstopt = bytes([6, 0, 1, 4, 0, 0, 0, 0])  # PadN
        body = hbh + dstopt + tcp
        return mac + b"\x86\xdd" + struct.pack("!IHBB", 6 << 28, len(body), 0, 64) + src + dst + body

    def v4_frame(src, dst, tcp):
        return mac + b"\x08\x00" + gen.ipv4_header(src, dst, 6, 20 + len(tcp), b"", 0x4000, ident=7) + tcp

    def write(name, frames):
        write_pcap(os.path.join(out, name), 1, [(1_700_000_000 + i, 1000 * i, f, len(f)) for i, f in enumerate(frames)],
                   False)

    a6 = bytes([0x20, 1, 0xD, 0xB8] + [0] * 11 + [1])
    b6 = bytes([0x20, 1, 0xD, 0xB8] + [0] * 11 + [2])
    write("tcp-ipv6-options.pcap", [v6_frame(x, y, t) for x, y, t in conversation(a6, b6, 40000, 8080)])
    a4, b4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    write("synack-first.pcap", [v4_frame(x, y, t) for x, y, t in conversation(a4, b4, 40001, 8080, True)])
    frames = []
    for index, (x, y, t) in enumerate(conversation(a4, b4, 40002, 8080)):
        if index == 3:  # the request, in two fragments of 24 and the rest
            first = gen.ipv4_header(x, y, 6, 20 + 24, b"", 0x2000, ident=99) + t[:24]
            second = gen.ipv4_header(x, y, 6, 20 + len(t) - 24, b"", 3, ident=99) + t[24:]
            frames += [mac + b"\x08\x00" + first, mac + b"\x08\x00" + second]
        else:
            frames.append(v4_frame(x, y, t))
    write("tcp-fragmented.pcap", frames)
    frames = []
    for index, (x, y, t) in enumerate(conversation(a6, b6, 40003, 8080)):
        if index == 4:  # the response, in two IPv6 fragments (the fragment header right before TCP)
            for offset, more, piece in [(0, 1, t[:32]), (32, 0, t[32:])]:
                body = bytes([6, 0]) + struct.pack("!HI", offset | more, 0x1234) + piece
                frames.append(mac + b"\x86\xdd" + struct.pack("!IHBB", 6 << 28, len(body), 44, 64) + x + y + body)
        else:
            frames.append(v6_frame(x, y, t))
    write("tcp6-fragmented.pcap", frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--flows", action="store_true", help="write the connection-shape captures instead")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.flows:
        flow_captures(args.out)
        return
    gen = Gen(args.seed)
    gen.bases = {}
    files = [(link, fmt) for link in LINKS for fmt in FORMATS]
    per_file = max(1, -(-args.packets // len(files)))  # at least --packets in all
    manifest = []
    for link, fmt in files:
        name = "%s-%s.%s" % (link.lower(), fmt, "pcapng" if fmt.startswith("pcapng") else "pcap")
        records = []
        sec = 1_700_000_000 + gen.r.randrange(86400)
        for index in range(per_file):
            cls = Classes()
            cls.add("link/" + link)
            cls.add("format/" + fmt)
            data = gen.frame(link, cls)
            wire = len(data)
            if gen.chance(0.2):
                data = data[:gen.r.randrange(1, len(data))] if len(data) > 1 else data
                cls.add("cut-snaplen")
            sec += gen.r.randrange(0, 3)
            frac = gen.r.randrange(1_000_000_000 if fmt.endswith("ns") else 1_000_000)
            if not fmt.startswith("pcapng") and gen.chance(0.01):
                cls.add("time/odd")
                frac = gen.pick([1_000_000, 1_999_999, 0xFFFFFFFF, 4_000_000_000]) if fmt == "us" \
                    else gen.pick([1_000_000_000, 0xFFFFFFFF, 999_999_999])
                if gen.chance(0.3):
                    sec_odd = gen.pick([0x80000000, 0xFFFFFFFF, 0x7FFFFFFF])
                    records.append((sec_odd, frac, data, wire))
                    manifest.append((name, index + 1, " ".join(cls.names)))
                    continue
            records.append((sec, frac, data, wire))
            manifest.append((name, index + 1, " ".join(cls.names)))
        path = os.path.join(args.out, name)
        if fmt.startswith("pcapng"):
            write_pcapng(path, LINKS[link], records, fmt == "pcapng-ns")
        else:
            write_pcap(path, LINKS[link], records, fmt == "ns")
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for row in manifest:
            f.write("%s\t%d\t%s\n" % row)


if __name__ == "__main__":
    main()
