#!/usr/bin/env python3
"""A small static HTTP/1.1 server as a student might write it, correct by default, with one
deliberate flaw per --flaw (the probe tests check that each flaw is caught by the right check
and by no other). Standard library only.

    python3 student_http_server.py ROOT [--flaw NAME]    prints "READY PORT" once listening

Flaws: bare-lf, no-length, single-recv, sigpipe, serial, traversal.
"""
import mimetypes
import os
import signal
import socket
import sys
import threading
import urllib.parse

ROOT = os.path.realpath(sys.argv[1])
FLAW = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--flaw" else "none"
EOL = b"\n" if FLAW == "bare-lf" else b"\r\n"
HEAD_LIMIT = 65536
REASONS = {200: "OK", 301: "Moved Permanently", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


def response_head(status, fields):
    lines = [("HTTP/1.1 %d %s" % (status, REASONS[status])).encode()]
    for name, value in fields:
        if FLAW == "no-length" and name == "Content-Length":
            continue  # the flaw: the body's end is known only when the connection closes
        lines.append(("%s: %s" % (name, value)).encode())
    return EOL.join(lines) + EOL + EOL


def send_simple(conn, status, text, keep, head_only=False, extra=()):
    body = text.encode()
    fields = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))] + list(extra)
    if not keep:
        fields.append(("Connection", "close"))
    conn.sendall(response_head(status, fields) + (b"" if head_only else body))


def send_file(conn, path, keep, head_only):
    size = os.path.getsize(path)
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    fields = [("Content-Type", kind), ("Content-Length", str(size))]
    if not keep:
        fields.append(("Connection", "close"))
    conn.sendall(response_head(200, fields))
    if head_only:
        return
    with open(path, "rb") as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            if FLAW == "sigpipe":
                # The flaw: errors ignored, like a C loop that never checks write()'s result.
                # The next write after the client is gone raises SIGPIPE, which kills the process.
                try:
                    conn.send(chunk)
                except OSError:
                    pass
            else:
                conn.sendall(chunk)


def listing(path, target):
    names = sorted(os.listdir(path))
    links = "".join('<li><a href="%s">%s</a></li>' % (urllib.parse.quote(n + ("/" if os.path.isdir(os.path.join(path, n)) else "")), n) for n in names)
    return "<html><body><h1>%s</h1><ul>%s</ul></body></html>" % (target, links)


def resolve(target):
    """The file for a target, or an error status."""
    path = target.split("?", 1)[0]
    decoded = urllib.parse.unquote(path)
    if FLAW == "traversal":
        return ROOT + decoded, None  # the flaw: no check for .. at all
    if "\x00" in decoded or ".." in decoded.split("/") or "\\" in decoded:
        return None, 403
    full = os.path.realpath(os.path.join(ROOT, decoded.lstrip("/")))
    if full != ROOT and not full.startswith(ROOT + os.sep):
        return None, 403
    return full, None


def answer(conn, method, target, keep):
    head_only = method == "HEAD"
    full, error = resolve(target)
    if error:
        send_simple(conn, error, "forbidden\n", keep, head_only)
    elif full is None or not os.path.exists(full):
        send_simple(conn, 404, "not found: %s\n" % target, keep, head_only)
    elif os.path.isdir(full):
        if not target.split("?")[0].endswith("/"):
            send_simple(conn, 301, "moved\n", keep, head_only, [("Location", target + "/")])
        elif os.path.isfile(os.path.join(full, "index.html")):
            send_file(conn, os.path.join(full, "index.html"), keep, head_only)
        else:
            body = listing(full, target).encode()
            fields = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
            if not keep:
                fields.append(("Connection", "close"))
            conn.sendall(response_head(200, fields) + (b"" if head_only else body))
    else:
        try:
            send_file(conn, full, keep, head_only)
        except (IsADirectoryError, PermissionError, FileNotFoundError):
            send_simple(conn, 404, "not found\n", keep, head_only)


def refuse(conn, status):
    """An error answer, then half-close and drain, so the client reads it rather than a reset."""
    try:
        send_simple(conn, status, REASONS[status] + "\n", False)
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1)
        drained = 0
        while drained < (1 << 20):
            data = conn.recv(65536)
            if not data:
                break
            drained += len(data)
    except OSError:
        pass


def serve(conn):
    conn.settimeout(10)
    buffer = b""
    try:
        while True:
            if FLAW == "single-recv":
                buffer = conn.recv(4096)  # the flaw: one recv() is taken to be one whole request
                if not buffer:
                    return
                if b"\r\n\r\n" not in buffer:
                    refuse(conn, 400)  # what arrived so far is taken for a broken request
                    return
            else:
                while b"\r\n\r\n" not in buffer:
                    if len(buffer) > HEAD_LIMIT:
                        refuse(conn, 414 if b"\n" not in buffer else 431)
                        return
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3 or not parts[0].isalpha() or not parts[1].startswith(b"/") or parts[2] not in (b"HTTP/1.0", b"HTTP/1.1"):
                refuse(conn, 400)
                return
            method, target, version = (p.decode("latin-1") for p in parts)
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
            if version == "HTTP/1.1" and "host" not in fields:
                refuse(conn, 400)
                return
            connection = fields.get("connection", "").lower()
            keep = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
            length = int(fields.get("content-length", "0") or "0")
            if FLAW != "single-recv":
                while len(buffer) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                buffer = buffer[length:]
            else:
                buffer = b""
            if method not in ("GET", "HEAD"):
                send_simple(conn, 405, "method not allowed\n", keep, extra=[("Allow", "GET, HEAD")])
            else:
                answer(conn, method, target, keep)
            if not keep:
                return
    except OSError:
        pass
    finally:
        conn.close()


def main():
    if FLAW == "sigpipe":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # what a C program has unless it ignores SIGPIPE
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print("READY %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        if FLAW == "serial":
            serve(conn)  # the flaw (lesson 4's first model): one client at a time
        else:
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
