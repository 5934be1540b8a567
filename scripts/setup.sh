#!/usr/bin/env bash
# Installs what netlab needs to build and test on Debian: libpcap-dev (build), pkg-config,
# the Debian packages named as arguments, and with `--python DIR` the pinned Python test references.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

python_venv=""
if [ "${1:-}" = "--python" ]; then
  python_venv=$2
  shift 2
fi

need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# Debian's python3 makes virtual environments only with python3-venv (ensurepip).
if [ -n "$python_venv" ] && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then need+=(python3-venv); fi
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

# The test-only Python references (scripts/test-requirements.txt), pinned, in a virtual
# environment of this user's build directory, so root and plain-user runs never share one.
if [ -n "$python_venv" ]; then
  if [ ! -x "$python_venv/bin/python" ] \
    || ! cmp -s scripts/test-requirements.txt "$python_venv/requirements.txt"; then
    echo "setup: installing the Python test references into $python_venv" >&2
    rm -rf "$python_venv"
    python3 -m venv "$python_venv"
    "$python_venv/bin/pip" install -q --disable-pip-version-check -r scripts/test-requirements.txt
    cp scripts/test-requirements.txt "$python_venv/requirements.txt"
  fi
fi
