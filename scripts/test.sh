#!/usr/bin/env bash
# Quick start, command 2: set up and run every test (unit, conformance against tcpdump's
# outputs in ../shared/corpus, robustness, CLI, and live capture on lo when root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh tcpdump tshark chromium curl
swift build --build-tests 2>&1 | tail -n 1
mkdir -p .build
set +e
# All tests are XCTest. Passing test cases are many and say little: show everything else
# (conformance and robustness reports, skips with their reasons, failures, totals).
swift test --disable-swift-testing 2>&1 | tee .build/test-output.txt \
  | grep -vE "^Test (Case|Suite) .*(started|passed)"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: "tests: N passed, N failed, N skipped" from XCTest's last total.
total=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" .build/test-output.txt | tail -n 1 || true)
if [ -n "$total" ]; then
  executed=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$total")
  failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$total")
  skipped=0
  grep -q "skipped" <<<"$total" && skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$total")
  echo "tests: $((executed - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
