#!/usr/bin/env bash
# Quick start, command 2: set up and run every test (unit, conformance against tcpdump's
# outputs in ../shared/corpus, differential tests against tcpdump, httptools and h11, soak tests,
# and live capture on lo when root).
#
# Root and plain-user runs of one checkout each build in their own folder (.build for whoever
# owns it, .build-user-UID for anyone else), so either may run first, or both at once.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build
if [ -e .build ] && [ ! -w .build ]; then scratch=.build-user-$(id -u); fi
scripts/setup.sh --python "$scratch/test-venv" tcpdump tshark chromium curl
export NETLAB_TEST_PYTHON="$PWD/$scratch/test-venv/bin/python"
swift build --scratch-path "$scratch" --build-tests 2>&1 | tail -n 1
output=$(mktemp "${TMPDIR:-/tmp}/netlab-test-output.XXXXXX")
trap 'rm -f "$output"' EXIT
set +e
# All tests are XCTest. Passing test cases are many and say little: show everything else
# (conformance and robustness reports, skips with their reasons, failures, totals).
swift test --scratch-path "$scratch" --disable-swift-testing 2>&1 | tee "$output" \
  | grep -vE "^Test (Case|Suite) .*(started|passed)"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: "tests: N passed, N failed, N skipped" from XCTest's last total.
total=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$output" | tail -n 1 || true)
if [ -n "$total" ]; then
  executed=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$total")
  failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$total")
  skipped=0
  grep -q "skipped" <<<"$total" && skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$total")
  echo "tests: $((executed - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
