#!/usr/bin/env bash
# Builds bench/out/big.pcap: >= 1,000,000 packets of real loopback HTTP traffic.
# 1. Records a sample (once, kept in bench/out/sample.pcap): netlab captures on lo while curl
#    makes 1000 HTTP/1.0 requests to python's http.server (each a full connection:
#    handshake, request, response, teardown). Needs root for the capture.
# 2. Records bench/out/keepalive.pcap (once): wrk -t1 -c64 for 2 s against netlab's events
#    server on keep-alive connections, so most packets carry a whole HTTP message (--http's
#    cost per message, which the one-request-per-connection sample hides behind handshakes).
# 3. Doubles the sample deterministically with editcap (time shift) and mergecap (append) until it
#    holds at least 1,000,000 packets, so the big file is the same for the same sample.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p out
netlab=${NETLAB:-../.build/release/netlab}
target=${PACKETS:-1000000}
if [ ! -s out/sample.pcap ]; then
  mkdir -p out/www
  head -c 1500 /dev/zero | tr '\0' 'x' > out/www/index.html
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory out/www >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  "$netlab" sniff -w out/sample.pcap lo tcp port "$port" 2>/dev/null &
  sniffer=$!
  sleep 1
  for _ in $(seq 1000); do curl -s -o /dev/null "http://127.0.0.1:$port/index.html"; done
  sleep 0.5
  kill -INT $sniffer; wait $sniffer || true
  kill $server; wait $server 2>/dev/null || true
  trap - EXIT
fi
if [ ! -s out/keepalive.pcap ]; then
  mkdir -p out/www-ka
  python3 -c 'import sys; sys.stdout.write("<!doctype html><title>bench</title>\n" + "".join("<p>line %04d of a small page</p>\n" % i for i in range(31)))' \
    > out/www-ka/index.html
  "$netlab" server http --root out/www-ka --port 0 --model events --quiet >out/ka-url.txt 2>/dev/null &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -s out/ka-url.txt ] && break; sleep 0.05; done
  url=$(head -n 1 out/ka-url.txt)
  port=${url##*:}; port=${port%%/*}
  "$netlab" sniff -w out/keepalive.pcap lo tcp port "$port" 2>/dev/null &
  sniffer=$!
  sleep 1
  wrk -t1 -c64 -d2s "${url}index.html" >/dev/null
  sleep 0.5
  kill -INT $sniffer; wait $sniffer || true
  kill -INT $server; wait $server 2>/dev/null || true
  trap - EXIT
fi
count() { capinfos -Mc "$1" | awk '/Number of packets/ {print $NF}'; }
cp out/sample.pcap out/big.pcap
while [ "$(count out/big.pcap)" -lt "$target" ]; do
  span=$(capinfos -Ma out/big.pcap out/big.pcap >/dev/null; capinfos -Mu out/big.pcap | awk '/Capture duration/ {print int($3)+1}')
  editcap -t "$span" out/big.pcap out/shifted.pcap
  mergecap -F pcap -a -w out/next.pcap out/big.pcap out/shifted.pcap
  mv out/next.pcap out/big.pcap
  rm -f out/shifted.pcap
done
echo "bench: out/big.pcap has $(count out/big.pcap) packets ($(du -h out/big.pcap | cut -f1))" >&2
