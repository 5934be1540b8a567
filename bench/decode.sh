#!/usr/bin/env bash
# Decoding speed in one run (machines are noisy: compare within a run, not across runs):
# netlab sniff -r, tcpdump -nn -r, tshark -n -r, and a libpcap loop that only counts packets,
# all writing to /dev/null, on >= 1,000,000 packets of loopback HTTP. Prints packets/s,
# ratios and peak RSS. Also checks RSS stays flat as the file grows (half vs whole file).
set -euo pipefail
cd "$(dirname "$0")"
../scripts/setup.sh tcpdump tshark curl time gcc wrk
(cd .. && swift build -c release --product netlab 2>&1 | tail -n 1)
export NETLAB=../.build/release/netlab
mkdir -p out
gcc -O2 -o out/count count.c -lpcap
./make-capture.sh
file=out/big.pcap
packets=$(out/count $file)
half=out/half.pcap
# (again when big.pcap is newer: a half of an older capture would compare nothing)
[ -s $half ] && [ $half -nt $file ] || editcap -r $file $half 1-$((packets / 2)) >/dev/null

# run NAME CMD...: wall seconds, peak RSS (KiB) and CPU seconds (user + system, all threads:
# netlab reads a file on a second thread while it decodes) of one run, output to /dev/null.
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o out/time.txt "$@" >/dev/null 2>/dev/null || true
  read -r secs rss user system < out/time.txt
  printf '%s %s %s %s\n' "$name" "$secs" "$rss" "$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')"
}
# median NAME: the run of NAME with the median wall time among its rounds.
median() { grep "^$1 " out/rounds.txt | sort -k2 -n | awk -v name="$1" '{ line[NR] = $0 } END { $0 = line[int((NR + 1) / 2)]; $1 = name; print }'; }
# The floor and netlab's main case, ROUNDS times each (default 5), taking turns: the ratio is of
# their medians, so a stall of the machine in one run does not decide it.
: > out/rounds.txt
for _ in $(seq "${ROUNDS:-5}"); do
  run floor out/count $file >> out/rounds.txt
  run netlab $NETLAB sniff -r $file >> out/rounds.txt
done
{
  median floor
  median netlab
  run tcpdump tcpdump -nn -r $file
  run tshark tshark -n -r $file
  run netlab-half $NETLAB sniff -r $half
  # Decode + TCP tracking + reassembly + HTTP parsing: one line per HTTP message, and every
  # packet with its explanation, state changes and analysis flags.
  run http $NETLAB sniff -r $file --http
  run explain $NETLAB sniff -r $file --explain
  run http-half $NETLAB sniff -r $half --http
  # Keep-alive traffic: most packets carry a whole HTTP message (--http's cost per message).
  run ka-tcpdump tcpdump -nn -r out/keepalive.pcap
  run ka-netlab $NETLAB sniff -r out/keepalive.pcap
  run ka-http $NETLAB sniff -r out/keepalive.pcap --http
} > out/results.txt
ka_packets=$(out/count out/keepalive.pcap)

# Same output? netlab is meant to print exactly what tcpdump -nn prints.
if cmp -s <($NETLAB sniff -r $file 2>/dev/null) <(tcpdump -nn -r $file 2>/dev/null); then
  identical="identical to tcpdump -nn on all $packets packets"
else
  identical="DIFFERENT from tcpdump -nn (run: diff <(netlab sniff -r $file) <(tcpdump -nn -r $file))"
fi
if ! cmp -s <($NETLAB sniff -r out/keepalive.pcap 2>/dev/null) <(tcpdump -nn -r out/keepalive.pcap 2>/dev/null); then
  identical="$identical; DIFFERENT on out/keepalive.pcap"
fi

awk -v packets="$packets" -v identical="$identical" -v ka="$ka_packets" -v rounds="${ROUNDS:-5}" '
  { secs[$1] = $2; rss[$1] = $3; cpu[$1] = $4 }
  END {
    printf "decode benchmark: %d packets, release build, output to /dev/null\n", packets
    printf "(floor and netlab: the median of %d runs each, taking turns; the rest: one run)\n", rounds
    printf "%-10s %9s %12s %10s\n", "tool", "seconds", "packets/s", "peak RSS"
    n = split("floor netlab tcpdump tshark", order, " ")
    for (i = 1; i <= n; i++) {
      t = order[i]
      printf "%-10s %9.2f %12.0f %7.1f MB\n", t, secs[t], packets / (secs[t] > 0 ? secs[t] : 0.001), rss[t] / 1024
    }
    printf "netlab vs tcpdump: %.2fx faster (goal >= 1.5x)\n", secs["tcpdump"] / secs["netlab"]
    printf "netlab vs tshark:  %.2fx faster (goal >= 3x)\n", secs["tshark"] / secs["netlab"]
    printf "netlab vs floor:   %.2fx the time of a counting loop (goal <= 2x)\n", secs["netlab"] / (secs["floor"] > 0 ? secs["floor"] : 0.01)
    printf "CPU time (user + system, all threads): floor %.2f s, netlab %.2f s (%.2fx), tcpdump %.2f s\n", cpu["floor"], cpu["netlab"], cpu["netlab"] / (cpu["floor"] > 0 ? cpu["floor"] : 0.01), cpu["tcpdump"]
    printf "netlab RSS: %.1f MB on half the file, %.1f MB on all of it (goal: flat, < 64 MB)\n", rss["netlab-half"] / 1024, rss["netlab"] / 1024
    printf "netlab output: %s\n", identical
    printf "with tracking + reassembly + HTTP parsing (goal: --http >= 1.5x tcpdump -nn):\n"
    printf "  sniff --http    %6.2f s  %5.2fx tcpdump  RSS %.1f MB (half file: %.1f MB)\n", secs["http"], secs["tcpdump"] / secs["http"], rss["http"] / 1024, rss["http-half"] / 1024
    printf "  sniff --explain %6.2f s  %5.2fx tcpdump  RSS %.1f MB\n", secs["explain"], secs["tcpdump"] / secs["explain"], rss["explain"] / 1024
    printf "keep-alive traffic (out/keepalive.pcap, %d packets, wrk c64 against the events server):\n", ka
    printf "  tcpdump -nn %6.2f s; sniff -r %6.2f s (%.2fx tcpdump); sniff --http %6.2f s (%.2fx tcpdump, goal >= 1.5x)\n",
      secs["ka-tcpdump"], secs["ka-netlab"], secs["ka-tcpdump"] / secs["ka-netlab"], secs["ka-http"], secs["ka-tcpdump"] / secs["ka-http"]
  }' out/results.txt
