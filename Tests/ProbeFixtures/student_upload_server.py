#!/usr/bin/env python3
"""Lesson 9's framed upload receiver as a student might write it, correct by default: a 4-byte
big-endian header length, a JSON header {"name","size","sha256"}, exactly size body bytes, then a
framed JSON reply {"ok": true, ...} or {"ok": false, "error": ...}; a thread per sender. One
deliberate flaw per --flaw. Standard library only.

    python3 student_upload_server.py DIR [--flaw NAME]    prints "READY PORT" once listening

Flaws: header-one-recv (takes the length and the whole header from a single recv()).
"""
import hashlib
import json
import os
import socket
import struct
import sys
import tempfile
import threading

DIR = sys.argv[1]
FLAW = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--flaw" else "none"


def recv_exact(conn, count):
    data = b""
    while len(data) < count:
        piece = conn.recv(min(65536, count - len(data)))
        if not piece:
            raise EOFError("the connection closed after %d of %d bytes" % (len(data), count))
        data += piece
    return data


def reply(conn, obj):
    body = json.dumps(obj).encode()
    conn.sendall(struct.pack(">I", len(body)) + body)


def serve(conn):
    try:
        if FLAW == "header-one-recv":
            first = conn.recv(65536)  # the flaw: a recv() returns what has arrived, maybe one byte
            length = struct.unpack(">I", first[:4])[0]
            header = json.loads(first[4:4 + length])
            rest = first[4 + length:]
        else:
            length = struct.unpack(">I", recv_exact(conn, 4))[0]
            if not 0 < length <= 65536:
                raise ValueError("header length %d is out of range" % length)
            header = json.loads(recv_exact(conn, length))
            rest = b""
        name, size, digest = header["name"], int(header["size"]), header["sha256"]
        if os.path.basename(name) != name or name.startswith(".") or not 0 <= size <= 1 << 30:
            raise ValueError("refused name or size")
        hasher = hashlib.sha256()
        fd, temporary = tempfile.mkstemp(dir=DIR, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                body = rest[:size]
                while True:
                    out.write(body)
                    hasher.update(body)
                    size_left = size - out.tell()
                    if size_left == 0:
                        break
                    body = conn.recv(min(65536, size_left))
                    if not body:
                        raise EOFError("the connection closed after %d of %d bytes" % (out.tell(), size))
            if hasher.hexdigest() != digest:
                raise ValueError("sha256 mismatch")
            os.rename(temporary, os.path.join(DIR, name))
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        reply(conn, {"ok": True, "name": name, "size": size, "sha256": digest})
    except (OSError, ValueError, KeyError, EOFError, struct.error) as error:
        try:
            reply(conn, {"ok": False, "error": str(error)})
        except OSError:
            pass
    finally:
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print("READY %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
