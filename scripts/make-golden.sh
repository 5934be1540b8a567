#!/usr/bin/env bash
# Regenerates Tests/Golden: small captures written by scripts/gen-packets.py (one per link type,
# formats in turn, plus the connection shapes) and the installed tcpdump's -nn and -nn -v output
# for each, in UTC. GoldenTests compares netlab with these files, so a bare clone (without
# ../shared/corpus) still tests decoding. Needs python3 and tcpdump 4.99.3.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(tcpdump --version 2>&1 | head -1)
[ "$version" = "tcpdump version 4.99.3" ] || { echo "make-golden: need tcpdump 4.99.3, found: $version" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen-packets.py --seed 2026 --packets 1560 --out "$tmp/gen" # 30 packets a file
python3 scripts/gen-packets.py --flows --out "$tmp/flows"
out=Tests/Golden
rm -rf "$out"
mkdir -p "$out"
formats=(us ns pcapng pcapng-ns)
index=0
for link in en10mb en10mb-vlan null null-be loop raw ipv4 ipv6 sll sll2 ipnet ipoib brcm; do
  format=${formats[$((index % 4))]}
  extension=$([ "${format#pcapng}" != "$format" ] && echo pcapng || echo pcap)
  cp "$tmp/gen/$link-$format.$extension" "$out/"
  index=$((index + 1))
done
cp "$tmp/flows/"*.pcap "$out/"
for capture in "$out"/*.pcap "$out"/*.pcapng; do
  TZ=UTC tcpdump -nn -r "$capture" > "$capture.nn.txt" 2>/dev/null
  TZ=UTC tcpdump -nn -v -r "$capture" > "$capture.v.txt" 2>/dev/null
done
ls "$out" | wc -l
du -sh "$out"
