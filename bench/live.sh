#!/usr/bin/env bash
# Live capture under load, in one run (machines are noisy: compare within a run, not across runs):
# a load target on loopback (nginx with one worker, then netlab's events server) serving a
# 1 KiB page to wrk -t1 at 64 and 256 connections, while one capturer at a time records that
# port on lo: netlab sniff (print, -w /dev/null, --http), tcpdump -nn (print, -w /dev/null),
# or nothing (the load without a capturer). Output goes to /dev/null. Prints, per run, the
# load reached (req/s) and the capturer's closing counts: captured / received by filter /
# dropped by kernel. With two or more CPUs the target runs on CPU 1 and wrk on CPU 0
# (taskset, as bench/http.sh); the capturer is not pinned, so it competes for the CPUs
# with both, as it does on a student's machine.
#   DURATION=5 bench/live.sh      (seconds per run; default 5)
# Needs root (live capture on lo).
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/live.sh: live capture on lo needs root; run: sudo bench/live.sh" >&2
  exit 2
fi
../scripts/setup.sh wrk nginx-light curl tcpdump
(cd .. && swift build -c release --product netlab 2>&1 | tail -n 1)
netlab=$(cd .. && pwd)/.build/release/netlab
duration=${DURATION:-5}
mkdir -p out
work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-live-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www"
python3 -c 'import sys; sys.stdout.write("<!doctype html><title>bench</title>\n" + "".join("<p>line %04d of a small page</p>\n" % i for i in range(31)))' \
  > "$work/www/index.html"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
server_cpu=""; client_cpu=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then server_cpu="taskset -c 1"; client_cpu="taskset -c 0"; fi
source ./lib.sh

# start_nginx: one worker on a free port, config in the temporary directory; sets port and target_pid.
start_nginx() {
  port=$(free_port)
  nginx_config "$work/nginx.conf" "$work" "$port" "$work/www" 1
  $server_cpu nginx -c "$work/nginx.conf" &
  target_pid=$!
  pids+=("$target_pid")
  wait_up "http://127.0.0.1:$port/index.html"
}

# start_netlab: the events server on a port it picks; sets port and target_pid.
start_netlab() {
  $server_cpu "$netlab" server http --root "$work/www" --port 0 --model events --quiet --max-connections 2048 \
    >"$work/url.txt" 2>"$work/server.log" &
  target_pid=$!
  pids+=("$target_pid")
  for _ in $(seq 100); do [ -s "$work/url.txt" ] && break; sleep 0.05; done
  local url
  url=$(head -n 1 "$work/url.txt")
  port=${url##*:}; port=${port%%/*}
  wait_up "${url}index.html"
}

# capture NAME PORT: starts capturer NAME on lo for the port, output to /dev/null, summary in $work/capture.err.
capture() {
  local name=$1 port=$2
  : >"$work/capture.err"
  case $name in
    none) capturer_pid=""; return 0 ;;
    netlab-print) "$netlab" sniff lo tcp port "$port" >/dev/null 2>"$work/capture.err" & ;;
    netlab-w) "$netlab" sniff -w /dev/null lo tcp port "$port" 2>"$work/capture.err" & ;;
    netlab-http) "$netlab" sniff --http lo tcp port "$port" >/dev/null 2>"$work/capture.err" & ;;
    tcpdump-print) tcpdump -nn -i lo tcp port "$port" >/dev/null 2>"$work/capture.err" & ;;
    tcpdump-w) tcpdump -i lo -w /dev/null tcp port "$port" 2>"$work/capture.err" & ;;
  esac
  capturer_pid=$!
  for _ in $(seq 200); do grep -q "listening on" "$work/capture.err" && break; sleep 0.05; done
  sleep 0.2
}

# measure TARGET CONNECTIONS CAPTURER: one wrk run with one capturer;
# prints "TARGET CONNECTIONS CAPTURER REQ/S CAPTURED RECEIVED DROPPED".
measure() {
  local target=$1 connections=$2 name=$3 out rps captured received dropped
  capture "$name" "$port"
  out=$($client_cpu wrk -t1 -c"$connections" -d"${duration}s" --timeout 5s "http://127.0.0.1:$port/index.html" 2>&1 || true)
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  if [ -n "$capturer_pid" ]; then
    kill -INT "$capturer_pid"
    wait "$capturer_pid" 2>/dev/null || true
    captured=$(awk '/packets? captured/ { print $1 }' "$work/capture.err")
    received=$(awk '/received by filter/ { print $1 }' "$work/capture.err")
    dropped=$(awk '/dropped by kernel/ { print $1 }' "$work/capture.err")
  else
    captured=-; received=-; dropped=-
  fi
  printf '%s %s %s %s %s %s %s\n' "$target" "$connections" "$name" "${rps:-0}" "${captured:-?}" "${received:-?}" "${dropped:-?}"
  sleep 0.5
}

capturers="none netlab-print netlab-w netlab-http tcpdump-print tcpdump-w"
{
  for target in nginx netlab-events; do
    if [ "$target" = nginx ]; then start_nginx; else start_netlab; fi
    for connections in 64 256; do
      for name in $capturers; do measure "$target" "$connections" "$name"; done
    done
    kill -INT "$target_pid"; wait "$target_pid" 2>/dev/null || true
  done
} | tee out/live-results.txt >&2

awk -v duration="$duration" '
  function share(key) { return sprintf("%.1f%%", rec[key] > 0 ? 100 * drop[key] / rec[key] : 0) }
  function kept(k, name) { return rps[k " none"] > 0 ? rps[k " " name] / rps[k " none"] : 0 }
  function n(x) { s = sprintf("%.0f", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
  { key = $1 " " $2 " " $3; rps[key] = $4; cap[key] = $5; rec[key] = $6; drop[key] = $7 }
  END {
    printf "\nLive capture benchmark: wrk -t1, keep-alive, %d s per run, 1 KiB page, loopback, capturer on lo filtered to the port, output to /dev/null\n", duration
    printf "%-14s %5s %-14s %10s %11s %11s %11s %7s\n", "target", "conns", "capturer", "req/s", "captured", "received", "dropped", "drop %"
    nt = split("nginx netlab-events", targets, " ")
    nc = split("none netlab-print netlab-w netlab-http tcpdump-print tcpdump-w", caps, " ")
    goal = 1; beyond = 1; lossy = 0
    for (t = 1; t <= nt; t++) for (c = 64; c <= 256; c *= 4) {
      for (i = 1; i <= nc; i++) {
        key = targets[t] " " c " " caps[i]
        if (caps[i] == "none") {
          printf "%-14s %5d %-14s %10s %11s %11s %11s %7s\n", targets[t], c, caps[i], n(rps[key]), "-", "-", "-", "-"
        } else {
          pct = rec[key] > 0 ? 100 * drop[key] / rec[key] : 0
          printf "%-14s %5d %-14s %10s %11s %11s %11s %6.1f%%\n", targets[t], c, caps[i], n(rps[key]), n(cap[key]), n(rec[key]), n(drop[key]), pct
        }
      }
      # netlab print/-w against tcpdump print/-w: zero drops where tcpdump has zero, fewer beyond.
      for (m = 0; m < 2; m++) {
        mine = targets[t] " " c " " (m ? "netlab-w" : "netlab-print"); theirs = targets[t] " " c " " (m ? "tcpdump-w" : "tcpdump-print")
        if (drop[theirs] == 0 && drop[mine] != 0) goal = 0
        if (drop[theirs] > 0) { lossy++; if (drop[mine] >= drop[theirs]) beyond = 0 }
      }
    }
    printf "zero drops wherever tcpdump has zero (print vs print, -w vs -w): %s\n", goal ? "yes" : "NO"
    if (lossy == 0) printf "fewer drops than tcpdump where tcpdump drops: no such case in this run (tcpdump dropped nothing)\n"
    else printf "fewer drops than tcpdump where tcpdump drops (%d cases): %s\n", lossy, beyond ? "yes" : "NO"
    # Captured counts follow the load each run reached (noisy); drop shares and req/s against
    # the run without a capturer are what to compare.
    for (t = 1; t <= nt; t++) for (c = 64; c <= 256; c *= 4) {
      k = targets[t] " " c
      printf "%s c%d dropped: netlab print %s vs tcpdump print %s, netlab -w %s vs tcpdump -w %s, netlab --http %s\n", targets[t], c,
        share(k " netlab-print"), share(k " tcpdump-print"), share(k " netlab-w"), share(k " tcpdump-w"), share(k " netlab-http")
      printf "%s c%d load kept (req/s vs no capturer): netlab print %.2f, -w %.2f, --http %.2f; tcpdump print %.2f, -w %.2f\n", targets[t], c,
        kept(k, "netlab-print"), kept(k, "netlab-w"), kept(k, "netlab-http"), kept(k, "tcpdump-print"), kept(k, "tcpdump-w")
    }
  }' out/live-results.txt
