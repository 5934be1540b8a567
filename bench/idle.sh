#!/usr/bin/env bash
# Memory per idle connection of netlab's events server, in one run: the server's resident set
# (VmRSS) before and while CONNECTIONS (default 10,000) keep-alive connections sit idle after
# one request each, divided by the connections. Goal: < 4 KB per connection.
#   CONNECTIONS=10000 bench/idle.sh
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh
(cd .. && swift build -c release --product netlab 2>&1 | tail -n 1)
netlab=$(cd .. && pwd)/.build/release/netlab
connections=${CONNECTIONS:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-idle-bench.XXXXXX")
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The server and the client (two processes) each hold one descriptor per connection.
want=$((connections + 256))
hard=$(ulimit -Hn)
[ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && { echo "bench/idle.sh: needs $want open files, the hard limit is $hard" >&2; exit 2; }
ulimit -n "$want"
mkdir -p "$work/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
port=$(free_port)
"$netlab" server http --model events --root "$work/www" --port "$port" --quiet \
  --max-connections $((connections + 100)) --request-timeout 600 --idle-timeout 600 \
  >"$work/server.out" 2>"$work/server.err" &
server=$!
wait_up "http://127.0.0.1:$port/"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
before=$(rss)
python3 - "$port" "$connections" "$server" "$before" <<'PY'
import socket, sys, time
port, count, pid, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
request = b"GET /index.html HTTP/1.1\r\nHost: bench\r\n\r\n"
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    sockets.append(s)
# Read every response, so each connection is idle keep-alive with nothing queued.
for s in sockets:
    need, got = None, b""
    while need is None or len(got) < need:
        got += s.recv(65536)
        if need is None and b"\r\n\r\n" in got:
            head, _, _ = got.partition(b"\r\n\r\n")
            length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0]
            need = len(head) + 4 + length
time.sleep(1)
with open("/proc/%s/status" % pid) as f:
    after = int([l.split()[1] for l in f if l.startswith("VmRSS")][0])
print("idle benchmark: netlab server http --model events, %d idle keep-alive connections" % count)
print("server RSS: %.1f MB before, %.1f MB with the connections open" % (before / 1024, after / 1024))
print("per connection: %.2f KiB (goal < 4 KB)" % ((after - before) / count))
for s in sockets:
    s.close()
PY
