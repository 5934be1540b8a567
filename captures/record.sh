#!/usr/bin/env bash
# Re-records every capture in captures/ with netlab's own servers and clients on lo (needs
# root for the capture). Each lesson's capture is its exercise, run live by
# `netlab lesson check N --save FILE` (the file named in the lesson's check block), so the
# captures always match what the lessons ask for. The tour's capture comes from `netlab tour -w`.
# Each lesson also gets a failure-mode capture, captures/lesson-NN-<failure>.pcap: the mistake
# the lesson teaches, recorded below with the same programs, which its check must reject.
#   sudo captures/record.sh            all of them
#   sudo captures/record.sh 3 8        only lessons 3 and 8
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "record.sh: capturing needs root (sudo captures/record.sh)" >&2; exit 77; }
swift build --product netlab 2>&1 | tail -n 1
netlab=$(swift build --show-bin-path)/netlab
lessons=("$@")
if [ ${#lessons[@]} -eq 0 ]; then
  "$netlab" tour -w captures/http-get.pcap >/dev/null
  echo "captures/http-get.pcap: $("$netlab" sniff -r captures/http-get.pcap 2>/dev/null | wc -l) packets"
  for file in lessons/[0-9][0-9]-*.md; do lessons+=("$(basename "$file" | cut -c1-2)"); done
fi
# Failure-mode captures: what each lesson's check must reject, recorded the same way (the
# tests hold each lesson to failing exactly the checks its failure breaks, with their advice).
wanted() {
  local number
  for number in "${lessons[@]}"; do [ $((10#$number)) -eq "$1" ] && return 0; done
  return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start_capture FILE FILTER...: sniff lo into FILE until stop_capture.
start_capture() {
  "$netlab" sniff -w "$1" lo "${@:2}" 2>/dev/null &
  sniffer=$!
  sleep 0.5
}
stop_capture() {
  sleep 0.5
  kill -INT "$sniffer"
  wait "$sniffer" || true
  echo "$1: lesson $2's check must fail on it"
}
stop_server() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
failures=()
if wanted 1; then
  # Lesson 1: nothing listens (the server was never started): both connections refused.
  port=$(free_port) port2=$(free_port)
  start_capture captures/lesson-01-no-listener.pcap tcp port "$port" or tcp port "$port2"
  echo hello | "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  "$netlab" client tcp 127.0.0.1 "$port2" </dev/null >/dev/null 2>&1 || true
  stop_capture captures/lesson-01-no-listener.pcap 1
fi
if wanted 2; then
  # Lesson 2: a client that sends without reading, then close()s with the echo unread: the
  # kernel resets the connection and the rest of the echo is lost.
  port=$(free_port)
  start_capture captures/lesson-02-unread-close.pcap tcp port "$port"
  "$netlab" server echo --port "$port" >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
# Small buffers: the unread echo fills the client's window after a few KB.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(1)
data = bytes(i % 251 for i in range(65536))
try:
    s.sendall(data)
except OSError:
    pass
s.close()
PY
  stop_server "$server"
  stop_capture captures/lesson-02-unread-close.pcap 2
fi
if wanted 3; then
  # Lesson 3: the method typed in lower case: method names are case-sensitive, so `delete` is
  # a method the server does not implement (501), not DELETE refused on the file (405).
  port=$(free_port)
  start_capture captures/lesson-03-lowercase-method.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  for path in / /nope; do "$netlab" client http "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true; done
  "$netlab" client http "http://127.0.0.1:$port/notes.txt" -X delete >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-03-lowercase-method.pcap 3
fi
if wanted 4; then
  # Lesson 4: the serial server holds the second client until the silent one leaves, after
  # that client gave up.
  port=$(free_port)
  start_capture captures/lesson-04-serial-timeout.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --model serial --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client tcp 127.0.0.1 "$port" --linger 3 </dev/null >/dev/null 2>&1 &
  sleep 0.3
  "$netlab" client http "http://127.0.0.1:$port/" --timeout 1 >/dev/null 2>&1 || true
  sleep 3.5
  stop_server "$server"
  stop_capture captures/lesson-04-serial-timeout.pcap 4
fi
if wanted 5; then
  # Lesson 5: the first request says `Connection: close`: the server answers it and closes,
  # and the second request on that connection is never answered.
  port=$(free_port)
  start_capture captures/lesson-05-closed-first.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  printf 'GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\nGET /about.html HTTP/1.1\r\nHost: lab\r\n\r\n' |
    "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  "$netlab" client http "http://127.0.0.1:$port/" -H 'Cookie: session=abc123' >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-05-closed-first.pcap 5
fi
if wanted 6; then
  # Lesson 6: the hand-written request lacks the empty line that ends the header section.
  port=$(free_port)
  start_capture captures/lesson-06-no-empty-line.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  printf 'GET /notes.txt HTTP/1.0\r\n' | "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  printf 'GET / HTTP/1.1\r\n\r\n' | "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-06-no-empty-line.pcap 6
fi
if wanted 7; then
  # Lesson 7: the receiver was never started: every datagram is answered by ICMP.
  port=$(free_port) port2=$(free_port)
  start_capture captures/lesson-07-no-receiver.pcap udp port "$port" or udp port "$port2" or icmp
  "$netlab" udp send 127.0.0.1 "$port" one "two words" three >/dev/null 2>&1 || true
  "$netlab" udp send 127.0.0.1 "$port2" "anyone there?" >/dev/null 2>&1 || true
  stop_capture captures/lesson-07-no-receiver.pcap 7
fi
if wanted 8; then
  # Lesson 8: the capture filter names only the server's port, so the refused connection to
  # the other port is not in it.
  port=$(free_port) port2=$(free_port)
  start_capture captures/lesson-08-one-port.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client http "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  "$netlab" client http "http://127.0.0.1:$port2/" >/dev/null 2>&1 || true
  sleep 0.5
  stop_server "$server"
  stop_capture captures/lesson-08-one-port.pcap 8
fi
if wanted 9; then
  # Lesson 9: the file's bytes sent raw, without framing: the receiver reads their first 4
  # bytes as a header length and refuses.
  port=$(free_port)
  scratch=$(mktemp -d)
  head -c 200000 /dev/urandom >"$scratch/blob.bin"
  mkdir "$scratch/received"
  start_capture captures/lesson-09-unframed.pcap tcp port "$port"
  "$netlab" server files --dir "$scratch/received" --port "$port" >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client tcp 127.0.0.1 "$port" <"$scratch/blob.bin" >/dev/null 2>&1 || true
  stop_server "$server"
  rm -rf "$scratch"
  stop_capture captures/lesson-09-unframed.pcap 9
fi
if wanted 10; then
  # Lesson 10: no loss configured: every datagram crosses the relay, so nothing shows what
  # UDP does under loss.
  start_capture captures/lesson-10-no-loss.pcap udp or tcp
  "$netlab" compare --count 300 --size 128 --loss 0% --relay socket >/dev/null 2>&1 || true
  stop_capture captures/lesson-10-no-loss.pcap 10
fi
# Lessons 15–17 (HTTP in depth, bytes and text, concurrency measured).
if wanted 15; then
  # Lesson 15: the client never sends the cookie back: every /counter visit is the first.
  port=$(free_port)
  start_capture captures/lesson-15-cookie-dropped.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --demo-endpoints --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  url="http://127.0.0.1:$port"
  since=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
  "$netlab" client http "$url/text" >/dev/null 2>&1 || true
  "$netlab" client http "$url/notes.txt" -H "If-Modified-Since: $since" >/dev/null 2>&1 || true
  "$netlab" client http "$url/notes.txt" -H 'Range: bytes=0-9' >/dev/null 2>&1 || true
  "$netlab" client http "$url/notes.txt" -H 'Range: bytes=100000-' >/dev/null 2>&1 || true
  "$netlab" client http "$url/echo" -d 'name=netlab&lesson=15' >/dev/null 2>&1 || true
  "$netlab" client http "$url/counter" >/dev/null 2>&1 || true
  "$netlab" client http "$url/counter" >/dev/null 2>&1 || true
  "$netlab" client http "$url/status/500" >/dev/null 2>&1 || true
  "$netlab" client http "$url/chunked" >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-15-cookie-dropped.pcap 15
fi
if wanted 16; then
  # Lesson 16: the student's text sent in latin-1 but labelled charset=utf-8.
  port=$(free_port)
  start_capture captures/lesson-16-latin1-as-utf8.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --demo-endpoints --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client http "http://127.0.0.1:$port/text/utf-8.txt" >/dev/null 2>&1 || true
  "$netlab" client http "http://127.0.0.1:$port/text/latin-1.txt" >/dev/null 2>&1 || true
  printf 'POST /echo HTTP/1.1\r\nHost: lab\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\nConnection: close\r\n\r\nGr\374\337e, caf\351' |
    "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-16-latin1-as-utf8.pcap 16
fi
if wanted 17; then
  # Lesson 17: the bench against the serial server: one connection served, nine in turn too late.
  port=$(free_port)
  start_capture captures/lesson-17-serial-bench.pcap tcp port "$port"
  "$netlab" server http --root lessons/site --port "$port" --model serial --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" bench http "http://127.0.0.1:$port/notes.txt" -c 10 -d 0.2 --quiet >/dev/null 2>&1 || true
  sleep 0.5
  stop_server "$server"
  stop_capture captures/lesson-17-serial-bench.pcap 17
fi
# Lessons 18–20 (TCP dynamics). Their bundled captures of 19 and 20 come from exercises that run
# on a `netlab path` and record inside it; the failure modes are the same traffic on lo.
if wanted 18; then
  # Lesson 18: a receiver that reads at once, with the default buffer: its window never
  # closes, so there is no zero window and nothing to probe.
  port=$(free_port)
  start_capture captures/lesson-18-fast-reader.pcap tcp port "$port"
  "$netlab" server echo --port "$port" >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  head -c 20000 /dev/zero | "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  stop_server "$server"
  stop_capture captures/lesson-18-fast-reader.pcap 18
fi
if wanted 19 || wanted 20; then
  # Lessons 19 and 20: the same downloads on loopback: MSS 65495, no bottleneck, nothing lost,
  # the page in one or two segments.
  scratch=$(mktemp -d)
  head -c 1000000 /dev/urandom >"$scratch/big.bin"
  seq 1 3000 >"$scratch/page.txt"
  for item in 19:big.bin:lesson-19-loopback 20:page.txt:lesson-20-loopback; do
    IFS=: read -r number file name <<<"$item"
    wanted "$number" || continue
    port=$(free_port)
    start_capture "captures/$name.pcap" tcp port "$port"
    "$netlab" server http --root "$scratch" --port "$port" --quiet >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    "$netlab" client http "http://127.0.0.1:$port/$file" >/dev/null 2>&1 || true
    sleep 0.3
    stop_server "$server"
    stop_capture "captures/$name.pcap" "$number"
  done
  rm -rf "$scratch"
fi
# lessons 11–14: their failure-mode captures.
if wanted 11; then
  # Lesson 11: the server restarted with --no-reuseaddr while its port waits in TIME-WAIT: bind
  # fails (EADDRINUSE), nothing listens, and the next connection is refused. The backlog part
  # is done right, so only the reuse check fails.
  port=$(free_port) port2=$(free_port)
  start_capture captures/lesson-11-no-reuseaddr.pcap tcp port "$port" or tcp port "$port2"
  "$netlab" server http --root lessons/site --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  printf 'GET / HTTP/1.0\r\n\r\n' | "$netlab" client tcp 127.0.0.1 "$port" --linger 1 >/dev/null 2>&1 || true
  stop_server "$server"
  "$netlab" server http --root lessons/site --port "$port" --no-reuseaddr --quiet >/dev/null 2>&1 || true
  "$netlab" client http "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  "$netlab" server http --root lessons/site --port "$port2" --model serial --backlog 1 --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client tcp 127.0.0.1 "$port2" --linger 2 </dev/null >/dev/null 2>&1 &
  silent=$!
  sleep 0.3
  "$netlab" client http "http://127.0.0.1:$port2/" --timeout 10 >/dev/null 2>&1 || true
  wait "$silent" || true
  stop_server "$server"
  stop_capture captures/lesson-11-no-reuseaddr.pcap 11
fi
if wanted 12; then
  # Lesson 12: alice's line has no newline: it never becomes a line, so bob gets nothing of it.
  port=$(free_port)
  start_capture captures/lesson-12-no-newline.pcap tcp port "$port"
  "$netlab" server chat --port "$port" --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  (printf 'bob\n'; sleep 2; printf '/quit\n') | "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 &
  bob=$!
  (sleep 0.5; printf 'alice\n'; sleep 0.5; printf 'hello, bob') |
    "$netlab" client tcp 127.0.0.1 "$port" >/dev/null 2>&1 || true
  wait "$bob" || true
  stop_server "$server"
  stop_capture captures/lesson-12-no-newline.pcap 12
fi
if wanted 13; then
  # Lesson 13: a host that ignores pings (net.ipv4.icmp_echo_ignore_all=1, set in a private
  # network namespace so the host's own setting is untouched): requests without replies.
  port=$(free_port)
  unshare -n sh -c '
    ip link set lo up && sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || exit 1
    "$0" sniff -w captures/lesson-13-ignored.pcap lo icmp or udp port "$1" 2>/dev/null &
    sniffer=$!
    sleep 0.5
    "$0" ping 127.0.0.1 -c 3 -i 0.2 -W 0.5 >/dev/null 2>&1
    "$0" udp send 127.0.0.1 "$1" "anyone there?" >/dev/null 2>&1
    sleep 0.5
    kill -INT "$sniffer"
    wait "$sniffer"
  ' "$netlab" "$port" || true
  echo "captures/lesson-13-ignored.pcap: lesson 13's check must fail on it"
fi
if wanted 14; then
  # Lesson 14: the DNS server was never started: every query goes unanswered.
  port=$(free_port)
  start_capture captures/lesson-14-no-server.pcap udp port "$port"
  for name in www.netlab.test web.netlab.test nope.netlab.test; do
    "$netlab" resolve "$name" --server "127.0.0.1:$port" --timeout 0.3 >/dev/null 2>&1 || true
  done
  stop_capture captures/lesson-14-no-server.pcap 14
fi
for number in "${lessons[@]}"; do
  number=$((10#$number))
  file=$(ls lessons/"$(printf %02d "$number")"-*.md)
  target=$(sed -n 's/^capture: *\(captures\/.*\.pcap\)$/\1/p' "$file" | head -n 1)
  [ -n "$target" ] || { echo "record.sh: $file names no capture" >&2; exit 1; }
  "$netlab" lesson check "$number" --save "$target" >/dev/null
  echo "$target: $("$netlab" sniff -r "$target" 2>/dev/null | wc -l) packets, lesson $number's checks pass"
done
