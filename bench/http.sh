#!/usr/bin/env bash
# HTTP server throughput in one run (machines are noisy: compare within a run, not across runs):
# wrk against netlab's four models, nginx with one worker, and python3 -m http.server, all
# serving the same 1 KiB file on loopback with keep-alive: -t1 -c64, then -t1 -c1000.
# Prints requests/s, errors and the ratios to nginx and python. With two or more CPUs, every
# server runs on CPU 1 and wrk on CPU 0 (taskset): one core each, as nginx's one worker has,
# and far less noise than letting the scheduler move them.
# Then parallelism: netlab's events model with --workers N (N event loops, SO_REUSEPORT) against
# nginx with N worker processes, neither pinned (N = WORKERS, default: the number of CPUs).
#   DURATION=10 bench/http.sh      (seconds per run; default 10)
#   WORKERS=2 bench/http.sh        (event loops / nginx workers for the parallel part)
#   ROUNDS=5 bench/http.sh         (parallel part: runs per server, interleaved; default 3)
# Unpinned servers share the CPUs with wrk, so one run of the parallel part varies by +-5%;
# it is run ROUNDS times, netlab and nginx taking turns, and the medians are compared.
set -euo pipefail
cd "$(dirname "$0")"
../scripts/setup.sh wrk nginx-light curl
(cd .. && swift build -c release --product netlab 2>&1 | tail -n 1)
netlab=../.build/release/netlab
duration=${DURATION:-10}
mkdir -p out/http-www
# The same 1 KiB page every run.
python3 -c 'import sys; sys.stdout.write("<!doctype html><title>bench</title>\n" + "".join("<p>line %04d of a small page</p>\n" % i for i in range(31)))' \
  > out/http-www/index.html
root=$(cd out/http-www && pwd)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
server_cpu=""; client_cpu=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then server_cpu="taskset -c 1"; client_cpu="taskset -c 0"; fi
source ./lib.sh

# measure NAME CONNECTIONS URL: one wrk run; prints "NAME CONNECTIONS REQ/S ERRORS".
measure() {
  local name=$1 connections=$2 url=$3 out errors
  out=$($client_cpu wrk -t1 -c"$connections" -d"${duration}s" --timeout 5s "$url" 2>&1 || true)
  errors=$(awk '/Socket errors/ { gsub(",", ""); s = $4 + $6 + $8 + $10 } /Non-2xx/ { n = $NF } END { print s + n + 0 }' <<<"$out")
  printf '%s %s %s %s\n' "$name" "$connections" "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" "$errors"
}

workers=${WORKERS:-$(nproc)}

# run_netlab MODEL CONNECTIONS [WORKERS]: with WORKERS, N event loops on any CPU.
run_netlab() {
  local model=$1 connections=$2 loops=${3:-} pid url name=netlab-$1 cpu=$server_cpu
  local extra=()
  if [ -n "$loops" ]; then extra=(--workers "$loops"); name="netlab-events-w$loops"; cpu=""; fi
  $cpu "$netlab" server http --root "$root" --port 0 --model "$model" --quiet --max-connections 2048 "${extra[@]}" \
    >out/url.txt 2>out/server.log &
  pid=$!
  for _ in $(seq 100); do [ -s out/url.txt ] && break; sleep 0.05; done
  url=$(head -n 1 out/url.txt)index.html
  wait_up "$url"
  measure "$name" "$connections" "$url"
  kill -INT $pid; wait $pid 2>/dev/null || true
  rm -f out/url.txt
}

# run_nginx CONNECTIONS [WORKERS]: one worker on the server CPU, or N workers on any CPU.
run_nginx() {
  local connections=$1 processes=${2:-1} port pid name=nginx cpu=$server_cpu
  if [ -n "${2:-}" ]; then name="nginx-w$processes"; cpu=""; fi
  port=$(free_port)
  nginx_config out/nginx.conf "$PWD/out" "$port" "$root" "$processes"
  $cpu nginx -c "$PWD/out/nginx.conf" &
  pid=$!
  wait_up "http://127.0.0.1:$port/index.html"
  measure "$name" "$connections" "http://127.0.0.1:$port/index.html"
  kill $pid; wait $pid 2>/dev/null || true
}

run_python() {
  local connections=$1 port pid
  port=$(free_port)
  $server_cpu python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >/dev/null 2>&1 &
  pid=$!
  wait_up "http://127.0.0.1:$port/index.html"
  measure python "$connections" "http://127.0.0.1:$port/index.html"
  kill $pid; wait $pid 2>/dev/null || true
}

{
  for connections in 64 1000; do
    for model in events threads fork serial; do run_netlab "$model" "$connections"; done
    run_nginx "$connections"
    run_python "$connections"
  done
  for connections in 64 1000; do
    for _ in $(seq "${ROUNDS:-3}"); do
      run_netlab events "$connections" "$workers"
      run_nginx "$connections" "$workers"
    done
  done
} | tee out/http-results.txt >&2

awk -v duration="$duration" -v workers="$workers" -v rounds="${ROUNDS:-3}" '
  # Several runs of one server and load: the median requests/s, the errors of all of them.
  { k = $1 " " $2; runs[k]++; seen[k, runs[k]] = $3; errors[k] += $4 }
  END {
    for (k in runs) {
      m = runs[k]
      for (i = 1; i <= m; i++) v[i] = seen[k, i]
      for (i = 2; i <= m; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
      rps[k] = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    printf "\nHTTP benchmark: wrk -t1, keep-alive, %d s per run, 1 KiB file, loopback, server and wrk on one core each\n", duration
    printf "%-16s %14s %8s %14s %8s\n", "server", "c64 req/s", "errors", "c1000 req/s", "errors"
    n = split("netlab-events netlab-threads netlab-fork netlab-serial nginx python", order, " ")
    for (i = 1; i <= n; i++) {
      s = order[i]
      printf "%-16s %14.0f %8d %14.0f %8d\n", s, rps[s " 64"], errors[s " 64"], rps[s " 1000"], errors[s " 1000"]
    }
    for (c = 0; c < 2; c++) {
      k = c == 0 ? "64" : "1000"
      printf "c%s: events/nginx %.2fx (goal >= 1.0)  events/python %.1fx (goal >= 30)  threads/nginx %.2fx  fork/nginx %.2fx\n", k,
        rps["netlab-events " k] / rps["nginx " k], rps["netlab-events " k] / rps["python " k],
        rps["netlab-threads " k] / rps["nginx " k], rps["netlab-fork " k] / rps["nginx " k]
    }
    w = "-w" workers
    printf "\nParallel: %d event loops (netlab --workers %d) against nginx with %d workers, not pinned; median of %d runs each\n", workers, workers, workers, rounds
    printf "%-16s %14s %8s %14s %8s\n", "server", "c64 req/s", "errors", "c1000 req/s", "errors"
    n = split("netlab-events" w " nginx" w, order, " ")
    for (i = 1; i <= n; i++) {
      s = order[i]
      printf "%-16s %14.0f %8d %14.0f %8d\n", s, rps[s " 64"], errors[s " 64"], rps[s " 1000"], errors[s " 1000"]
    }
    printf "events --workers %d / nginx %d workers: c64 %.2fx, c1000 %.2fx (goal >= 1.0)\n", workers, workers,
      rps["netlab-events" w " 64"] / rps["nginx" w " 64"], rps["netlab-events" w " 1000"] / rps["nginx" w " 1000"]
  }' out/http-results.txt
