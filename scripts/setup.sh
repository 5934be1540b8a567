#!/usr/bin/env bash
# Installs what netlab needs to build and test on Debian: libpcap-dev (build), pkg-config.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
for extra in "$@"; do
  dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (install the Swift toolchain)" >&2; exit 1; }
