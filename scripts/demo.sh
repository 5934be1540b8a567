#!/usr/bin/env bash
# Quick start, command 1: set up, build, and run the guided demo (a real HTTP exchange on
# loopback, captured and explained). Live capture needs root: the demo uses sudo when it can,
# and otherwise replays the bundled capture, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product netlab 2>&1 | tail -n 1
bin=$(swift build --show-bin-path)/netlab
if [ "$(id -u)" -eq 0 ]; then
  exec "$bin" tour "$@"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  exec sudo "$bin" tour "$@"
else
  exec "$bin" tour "$@"
fi
