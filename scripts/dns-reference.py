#!/usr/bin/env python3
"""Asks a DNS server seeded questions built by scapy and decodes its answers with scapy: an
independent check of `netlab server dns` (scapy's DNS layer is not netlab's code). One JSON
line per question: the name and type asked, then what scapy read back (rcode, flags, the
answers as name/type/data), or the error scapy raised.

    dns-reference.py --server 127.0.0.1 --port 5300 --seed 1 --count 300
"""
import argparse
import json
import random
import socket

from scapy.layers.dns import DNS, DNSQR

NAMES = ["www", "web", "mail", "ns1", "@", "_http._tcp", "nope", "a.b.nope", "WWW", "Www.Web"]
TYPES = [1, 28, 5, 15, 16, 33, 6, 2, 12, 255, 99]


def records(section):
    """scapy 2.8 keeps a section as a list of records (older versions chained them)."""
    if not section:
        return []
    return list(section) if isinstance(section, list) else [section]


def text(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list):
        return " ".join('"%s"' % text(item) for item in value)
    return str(value)


def rdata(rr):
    """The data of a record as zone-file text, from scapy's own fields."""
    if rr.type == 15:
        return "%d %s" % (rr.preference, text(rr.exchange))
    if rr.type == 33:
        return "%d %d %d %s" % (rr.priority, rr.weight, rr.port, text(rr.target))
    if rr.type == 6:
        return "%s %s %d %d %d %d %d" % (text(rr.mname), text(rr.rname), rr.serial, rr.refresh, rr.retry,
                                         rr.expire, rr.minimum)
    return text(rr.rdata)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    r = random.Random(args.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    sock.connect((args.server, args.port))
    for index in range(args.count):
        label = r.choice(NAMES)
        if r.random() < 0.1:
            name = r.choice(["example.com.", "test.", "netlab.example."])
        else:
            name = "netlab.test." if label == "@" else label + ".netlab.test."
        qtype = r.choice(TYPES)
        edns = r.random() < 0.3
        query = DNS(id=index, rd=r.choice([0, 1]), qd=DNSQR(qname=name, qtype=qtype))
        if edns:
            from scapy.layers.dns import DNSRROPT
            query.ar = DNSRROPT(rclass=1232)
        sock.send(bytes(query))
        row = {"name": name, "type": qtype, "edns": edns}
        try:
            data = sock.recv(65535)
            answer = DNS(data)
            row.update(rcode=answer.rcode, aa=answer.aa, tc=answer.tc, ra=answer.ra, id=answer.id,
                       answers=[[rr.rrname.decode(), rr.type, rdata(rr)] for rr in records(answer.an)],
                       authority=len(records(answer.ns)))
        except Exception as error:  # scapy could not read it: report, the test fails on it
            row["error"] = repr(error)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
