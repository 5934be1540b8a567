#!/usr/bin/env bash
# The load generator against wrk, in one run: `netlab bench http` and `wrk` take turns loading
# the same nginx (one worker, the same 1 KiB page), -t1 at c64 and c256, each pinned to its own
# CPU when there are two. Prints requests/s of each and netlab's share of wrk's: a load generator
# far below wrk would measure itself, not the server.
#   DURATION=10 bench/load.sh      (seconds per run; default 5)
set -euo pipefail
cd "$(dirname "$0")"
../scripts/setup.sh wrk nginx-light curl
(cd .. && swift build -c release --product netlab 2>&1 | tail -n 1)
netlab=../.build/release/netlab
duration=${DURATION:-5}
source ./lib.sh
work=$(mktemp -d)
trap 'kill "$nginx" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -c 'import sys; sys.stdout.write("<!doctype html><title>bench</title>\n" + "".join("<p>line %04d of a small page</p>\n" % i for i in range(31)))' \
  >"$work/index.html"
server_cpu=""; client_cpu=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then server_cpu="taskset -c 1"; client_cpu="taskset -c 0"; fi
port=$(free_port)
nginx_config "$work/nginx.conf" "$work" "$port" "$work" 1
$server_cpu nginx -c "$work/nginx.conf" &
nginx=$!
wait_up "http://127.0.0.1:$port/"
printf '%-12s %6s %12s %12s %8s\n' generator conns "req/s" "p99 (ms)" "vs wrk"
for connections in 64 256; do
  out=$($client_cpu wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/" 2>&1)
  wrk_rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  wrk_p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub("us", "", v); v /= 1000 } else if (v ~ /ms$/) { sub("ms", "", v) } else if (v ~ /s$/) { sub("s", "", v); v *= 1000 } print v }' <<<"$out")
  printf '%-12s %6s %12.0f %12s %8s\n' wrk "$connections" "$wrk_rate" "$wrk_p99" "1.00"
  json=$($client_cpu "$netlab" bench http "http://127.0.0.1:$port/" -c "$connections" -d "$duration" --json -q)
  rate=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_second"])' <<<"$json")
  p99=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_us"]["p99"] / 1000)' <<<"$json")
  printf '%-12s %6s %12.0f %12.2f %8.2f\n' "netlab bench" "$connections" "$rate" "$p99" "$(python3 -c "print($rate / $wrk_rate)")"
done
