#!/usr/bin/env python3
"""A line-based chat server as a student might write it, correct by default (a reader thread per
client cuts lines at each newline and relays "[addr] line" to every other client through that
client's own queue and writer thread; a client with 256 KiB waiting for a second is dropped), with one
deliberate flaw per --flaw. Standard library only.

    python3 student_chat_server.py [--flaw NAME]    prints "READY PORT" once listening

Flaws: sender-only (each line goes back to its sender only), split (each recv() is relayed as it
came, decorated once), blocking (relays with sendall() to each client in turn, under a lock).
"""
import select
import socket
import sys
import threading

FLAW = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--flaw" else "none"
QUEUE_LIMIT = 256 * 1024
clients = []
clients_lock = threading.Lock()


class Client:
    def __init__(self, conn, addr):
        self.conn = conn
        self.name = "%s:%d" % addr
        self.queue = []
        self.queued = 0
        self.closed = False
        self.cond = threading.Condition()

    def put(self, data):
        """Queues bytes for the writer thread; never blocks, drops a client that stopped reading."""
        with self.cond:
            # A writer that is merely behind catches up within a second; one that does not is
            # writing to a client that stopped reading.
            self.cond.wait_for(lambda: self.closed or self.queued + len(data) <= QUEUE_LIMIT, timeout=1)
            if self.closed:
                return
            if self.queued + len(data) > QUEUE_LIMIT:
                self.closed = True  # its writer hangs up
            else:
                self.queue.append(data)
                self.queued += len(data)
            self.cond.notify_all()

    def write(self):
        try:
            while True:
                with self.cond:
                    while not self.queue and not self.closed:
                        self.cond.wait()
                    if self.closed:
                        return
                    data = memoryview(b"".join(self.queue))
                    self.queue = []
                while data:
                    if self.closed:
                        return
                    # Never blocked in send(): a dropped client must be noticed within 0.2 s.
                    _, writable, _ = select.select([], [self.conn], [], 0.2)
                    if writable:
                        try:
                            sent = self.conn.send(data, socket.MSG_DONTWAIT)
                        except BlockingIOError:
                            sent = 0
                        data = data[sent:]
                        with self.cond:
                            self.queued -= sent
                            self.cond.notify_all()
        except OSError:
            pass
        finally:
            try:
                self.conn.shutdown(socket.SHUT_RDWR)  # its reader sees the end too
            except OSError:
                pass


def relay(sender, data):
    with clients_lock:
        others = [c for c in clients if (c is sender) == (FLAW == "sender-only")]
        if FLAW == "blocking":
            for client in others:  # the flaw: one client that does not read stops everyone
                try:
                    client.conn.sendall(data)
                except OSError:
                    pass
            return
    for client in others:
        client.put(data)


def serve(client):
    pending = b""
    try:
        client.conn.sendall(b"welcome to the room\n")
        while True:
            data = client.conn.recv(65536)
            if not data:
                return
            if FLAW == "split":
                relay(client, ("%s: " % client.name).encode() + data)  # the flaw: a recv() is not a line
                continue
            pending += data
            *lines, pending = pending.split(b"\n")
            if lines:
                # Every complete line this recv() finished, each decorated, relayed in one go.
                relay(client, b"".join(("[%s] " % client.name).encode() + line + b"\n" for line in lines))
    except OSError:
        pass
    finally:
        with clients_lock:
            if client in clients:
                clients.remove(client)
        with client.cond:
            client.closed = True
            client.cond.notify()
        client.conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print("READY %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, addr = listener.accept()
        client = Client(conn, addr)
        with clients_lock:
            clients.append(client)
        threading.Thread(target=client.write, daemon=True).start()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
