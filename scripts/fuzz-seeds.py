#!/usr/bin/env python3
"""Writes seed inputs for the netlab fuzz targets (Fuzz/), one directory per target.

Seeds come from the shared corpus (pcaps, HTTP parser cases), the repo's own captures and
lessons, and a few framing/header examples built here. Input formats are described in
Fuzz/Sources/netlab-fuzz/*Target.swift; the link-type table must match PrinterTarget.linkTypes.

usage: fuzz-seeds.py CORPUS_DIR REPO_DIR OUT_DIR
"""
import base64
import glob
import hashlib
import json
import os
import struct
import sys

# PrinterTarget.linkTypes, in order; any other DLT maps to the last entry (unsupported).
LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 226, 242, 282, 147]
# Each target's -max_len in scripts/fuzz.sh.
MAX_LEN = {"printer": 4096, "flow": 16384, "http": 4096, "lesson": 8192, "transfer": 2048, "dns": 1024}


def read_pcap(path):
    """(linktype, [(seconds, microseconds, wire_length, bytes)]) for a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None, []  # pcapng and others: not used for seeds
    nanoseconds = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    records, offset = [], 24
    while offset + 16 <= len(data):
        seconds, fraction, caplen, wirelen = struct.unpack(endian + "IIII", data[offset : offset + 16])
        offset += 16
        records.append((seconds, fraction // 1000 if nanoseconds else fraction, wirelen, data[offset : offset + caplen]))
        offset += caplen
    return linktype, records


class Seeds:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, data):
        data = bytes(data[: MAX_LEN[target]])
        directory = os.path.join(self.out, target)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def link_selector(linktype):
    return LINK_TYPES.index(linktype) if linktype in LINK_TYPES else len(LINK_TYPES) - 1


def pcap_seeds(seeds, paths):
    for path in paths:
        linktype, records = read_pcap(path)
        if linktype is None:
            continue
        selector = link_selector(linktype)
        for _, _, wirelen, packet in records:
            seeds.add("printer", bytes([selector, min(255, max(0, wirelen - len(packet)))]) + packet)
        # Flow: consecutive frames, as many as fit in one input; long frames cut to 1500 bytes.
        window, previous = bytearray([selector]), None
        for seconds, microseconds, _, packet in records:
            now = seconds * 1000 + microseconds // 1000
            step = 0 if previous is None else max(0, min(255, now - previous))
            previous = now
            frame = packet[:1500]
            record = bytes([step]) + struct.pack(">H", len(frame)) + frame
            if len(window) + len(record) > MAX_LEN["flow"] and len(window) > 1:
                seeds.add("flow", window)
                window = bytearray([selector])
            window += record
        if len(window) > 1:
            seeds.add("flow", window)


def http_seeds(seeds, cases_path):
    if not os.path.exists(cases_path):
        print(f"fuzz-seeds: no {cases_path}: the http target starts from its dictionary", file=sys.stderr)
        return
    with open(cases_path) as f:
        for line in f:
            case = json.loads(line)
            raw = base64.b64decode(case["raw_b64"])
            if case["kind"] == "response":
                # Flag bit 0: response; methods answered: GET, then HEAD for a variant.
                seeds.add("http", bytes([0x01]) + raw)
                seeds.add("http", bytes([0x05]) + raw)
            else:
                seeds.add("http", bytes([0x00]) + raw)


def transfer_seeds(seeds):
    def length(message):
        return struct.pack(">I", len(message)) + message

    def json_header(message):
        header = b'{"type":"text","size":%d}' % len(message)
        return struct.pack(">H", len(header)) + header + message

    messages = [b"hello", b"", b"two\nlines", bytes(range(40))]
    seeds.add("transfer", bytes([0]) + b"".join(length(m) for m in messages))
    seeds.add("transfer", bytes([1]) + b"".join(json_header(m) for m in messages))
    seeds.add("transfer", bytes([2]) + b"hello\n\nworld\n" + b"x" * 70 + b"\n")
    header = b'{"name":"notes.txt","size":12,"sha256":"%s","note":"caf\\u00e9 \\"q\\" \\\\ \\/ \\n","ok":true,"n":-7}' % (
        hashlib.sha256(b"hello world\n").hexdigest().encode()
    )
    seeds.add("transfer", bytes([3]) + length(header))
    seeds.add("transfer", bytes([3]) + length(b'{"ok":false,"error":"busy: try again later"}'))


def dns_seeds(seeds, paths):
    """The UDP payloads of port-53 datagrams in the captures (IPv4 and IPv6, any link type)."""
    for path in paths:
        try:
            linktype, packets = read_pcap(path)
        except Exception:
            continue
        for _, _, _, data in packets:
            for start in range(0, min(len(data), 80)):
                version = data[start] >> 4
                if version == 4 and len(data) >= start + 28 and data[start + 9] == 17:
                    ihl = (data[start] & 15) * 4
                    udp = start + ihl
                elif version == 6 and len(data) >= start + 48 and data[start + 6] == 17:
                    udp = start + 40
                else:
                    continue
                if len(data) >= udp + 8 and 53 in struct.unpack("!HH", data[udp:udp + 4]):
                    seeds.add("dns", data[udp + 8:])
                break


def main():
    corpus, repo, out = sys.argv[1:4]
    seeds = Seeds(out)
    if not os.path.isdir(corpus):
        print(f"fuzz-seeds: no corpus at {corpus}: seeds from the repo only", file=sys.stderr)
    pcaps = sorted(glob.glob(os.path.join(corpus, "tcpdump/pcaps/*")))
    pcaps += sorted(glob.glob(os.path.join(corpus, "loopback/*.pcap")))
    pcaps += sorted(glob.glob(os.path.join(repo, "captures/*.pcap")))
    pcap_seeds(seeds, pcaps)
    http_seeds(seeds, os.path.join(corpus, "http/cases.jsonl"))
    for path in sorted(glob.glob(os.path.join(repo, "lessons/*.md"))):
        with open(path, "rb") as f:
            seeds.add("lesson", f.read())
    transfer_seeds(seeds)
    dns_seeds(seeds, pcaps)
    for query in [b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x06netlab\x04test\x00\x00\x01\x00\x01",
                  b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03web\x06netlab\x04test\x00\x00\xff\x00\x01"
                  b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"]:
        seeds.add("dns", query)
    print(" ".join(f"{target}={count}" for target, count in sorted(seeds.count.items())))


if __name__ == "__main__":
    main()
