#!/usr/bin/env python3
"""A TCP echo server as a student might write it, correct by default (a thread per client,
recv until the client's FIN, sendall what came), with one deliberate flaw per --flaw (the probe
tests check that each flaw is caught by the right check and by no other). Standard library only.

    python3 student_echo_server.py [--flaw NAME]    prints "READY PORT" once listening

Flaws: tail (drops what it still owes when the client half-closes), single-recv (one recv()
per client), serial (one client at a time), text (decodes and re-encodes the bytes as UTF-8).
"""
import select
import socket
import sys
import threading

FLAW = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--flaw" else "none"


def echo_dropping_tail(conn):
    # The flaw: the echo goes back in blocks of 10000 bytes (or after 0.5 s of quiet), and when
    # recv() returns b"" the loop ends at once, so the last partial block is never sent. The
    # quiet time is long enough that a client slowed down by a loaded machine still sends its
    # FIN before the tail goes back (with 50 ms the tail could go back and the flaw not show).
    pending = b""
    while True:
        readable, _, _ = select.select([conn], [], [], 0.5)
        if not readable:
            if pending:
                conn.sendall(pending)
                pending = b""
            continue
        data = conn.recv(65536)
        if not data:
            return
        pending += data
        while len(pending) >= 10000:
            conn.sendall(pending[:10000])
            pending = pending[10000:]


def serve(conn):
    try:
        if FLAW == "single-recv":
            conn.sendall(conn.recv(4096))  # the flaw: one recv() is taken for the whole message
            return
        if FLAW == "tail":
            echo_dropping_tail(conn)
            return
        while True:
            data = conn.recv(65536)
            if not data:
                return
            if FLAW == "text":
                data = data.decode("utf-8", "replace").encode("utf-8")  # the flaw: bytes treated as text
            conn.sendall(data)
    except OSError:
        pass  # a client that resets ends its own connection, never the server
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
        if FLAW == "serial":
            serve(conn)  # the flaw: the next client waits until this one is done
        else:
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
