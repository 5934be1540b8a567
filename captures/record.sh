#!/usr/bin/env bash
# Re-records every capture in captures/ with netlab's own servers and clients on lo (needs
# root for the capture). Each lesson's capture is its exercise, run live by
# `netlab lesson check N --save FILE` (the file named in the lesson's check block), so the
# captures always match what the lessons ask for. The tour's capture comes from `netlab tour -w`.
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
# Failure-mode captures: what a lesson's check must reject. Lesson 4: the serial server holds
# the second client until the silent one leaves, after that client gave up.
if [ ${#lessons[@]} -eq 0 ] || [[ " ${lessons[*]} " == *" 4 "* ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$netlab" sniff -w captures/lesson-04-serial-timeout.pcap lo tcp port "$port" 2>/dev/null &
  sniffer=$!
  sleep 0.5
  "$netlab" server http --root lessons/site --port "$port" --model serial --quiet >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  "$netlab" client tcp 127.0.0.1 "$port" --linger 3 </dev/null >/dev/null 2>&1 &
  sleep 0.3
  "$netlab" client http "http://127.0.0.1:$port/" --timeout 1 >/dev/null 2>&1 || true
  sleep 3.5
  kill -INT "$server"
  sleep 0.5
  kill -INT "$sniffer"
  wait "$sniffer" || true
  echo "captures/lesson-04-serial-timeout.pcap: lesson 4's check must fail on it"
fi
for number in "${lessons[@]}"; do
  number=$((10#$number))
  file=$(ls lessons/"$(printf %02d "$number")"-*.md)
  target=$(sed -n 's/^capture: *\(captures\/.*\.pcap\)$/\1/p' "$file" | head -n 1)
  [ -n "$target" ] || { echo "record.sh: $file names no capture" >&2; exit 1; }
  "$netlab" lesson check "$number" --save "$target" >/dev/null
  echo "$target: $("$netlab" sniff -r "$target" 2>/dev/null | wc -l) packets, lesson $number's checks pass"
done
