#!/usr/bin/env python3
"""An HTTP/1.1 client as a student might write it from raw sockets, correct by default, with
one deliberate flaw per --flaw (the probe tests check that each flaw is caught by the right
check and by no other). Prints the response body on stdout. Standard library only.

    python3 student_http_client.py URL [--flaw NAME]

Flaws: ignore-length (reads until the close), single-recv (one recv() for the whole response),
no-host, bare-lf.
"""
import socket
import sys
import urllib.parse

FLAW = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--flaw" else "none"


def read_head(sock, data):
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise SystemExit("closed before the head ended")
        data += more
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower().decode()] = value.strip().decode()
    return status, fields, rest


def read_until_close(sock, data):
    while True:
        more = sock.recv(65536)
        if not more:
            return data
        data += more


def decode_chunked(sock, data, may_read=True):
    body = b""
    while True:
        while b"\r\n" not in data:
            more = sock.recv(65536) if may_read else b""
            if not more:
                return body
            data += more
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        while len(data) < size + 2:
            more = sock.recv(65536) if may_read else b""
            if not more:
                return body + data[:size]
            data += more
        body += data[:size]
        data = data[size + 2:]


def fetch(url, hops=0):
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=30)
    eol = "\n" if FLAW == "bare-lf" else "\r\n"
    lines = ["GET %s HTTP/1.1" % (parts.path or "/")]
    if FLAW != "no-host":
        lines.append("Host: %s" % parts.netloc)
    lines += ["User-Agent: student-client/0.1", "Connection: close"]
    sock.sendall((eol.join(lines) + eol + eol).encode())
    if FLAW == "single-recv":
        data = sock.recv(65536)  # the flaw: one recv() is taken to be the whole response
        status, fields, body = read_head(sock, data)
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = decode_chunked(sock, body, may_read=False)
        elif "content-length" in fields:
            body = body[: int(fields["content-length"])]
    else:
        status, fields, rest = read_head(sock, b"")
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = decode_chunked(sock, rest)
        elif "content-length" in fields and FLAW != "ignore-length":
            length = int(fields["content-length"])
            body = rest
            while len(body) < length:
                more = sock.recv(65536)
                if not more:
                    break
                body += more
            body = body[:length]
        else:
            body = read_until_close(sock, rest)  # the flaw, with ignore-length: wait for a close
    sock.close()
    if status in (301, 302, 307, 308) and "location" in fields and hops < 3:
        return fetch(urllib.parse.urljoin(url, fields["location"]), hops + 1)
    return body


if __name__ == "__main__":
    sys.stdout.buffer.write(fetch(sys.argv[1]))
    sys.stdout.flush()
