#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer: builds the fuzz package (Fuzz/) with the fuzzer
# sanitizer and runs each target for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 30 s each, every target)
#   scripts/fuzz.sh 3600                                  a long run
#   scripts/fuzz.sh 60 http lesson                        some targets only
#
# Targets (Fuzz/Sources/netlab-fuzz/*Target.swift): printer, flow, http, lesson, transfer.
# Seeds are built from ../shared/corpus (NETLAB_CORPUS overrides) and the repo's captures and
# lessons into a temporary directory; what the fuzzer learns is kept in SCRATCH/corpus/TARGET,
# so a later run starts from there. Exits non-zero when a target crashes, hangs or breaks a
# property it checks; the input is kept in SCRATCH/artifacts/ and the command to reproduce it
# is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(printer flow http lesson transfer)
corpus=${NETLAB_CORPUS:-../shared/corpus}
# Root and plain-user runs of one checkout each keep their own folder, as scripts/test.sh does.
scratch=.build-fuzz
if [ -e "$scratch" ] && [ ! -w "$scratch" ]; then scratch=.build-fuzz-user-$(id -u); fi

build=(swift build -c release --sanitize fuzzer -Xswiftc -parse-as-library --package-path Fuzz
  --scratch-path "$scratch")
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! "${build[@]}" >"$work/build.log" 2>&1; then
  grep -E "error:" "$work/build.log" >&2 || tail -n 20 "$work/build.log" >&2
  echo "fuzz.sh: the fuzz build failed" >&2
  exit 1
fi
binary="$("${build[@]}" --show-bin-path)/netlab-fuzz"
echo "fuzz build: $(($(date +%s) - started)) s"
echo "seeds: $(python3 scripts/fuzz-seeds.py "$corpus" . "$work/seeds")"

# Longest input per target: a packet with its headers, a few dozen frames of a conversation,
# an HTTP head with a short body, a lesson, a framed stream.
declare -A max_len=([printer]=4096 [flow]=16384 [http]=4096 [lesson]=8192 [transfer]=2048)
artifacts="$scratch/artifacts"
mkdir -p "$artifacts"
failed=()
printf '%-9s %12s %8s %8s %6s  %s\n' target executions cov ft exec/s result
for target in "${targets[@]}"; do
  [ -n "${max_len[$target]:-}" ] || { echo "fuzz.sh: unknown target $target" >&2; exit 64; }
  mkdir -p "$scratch/corpus/$target" "$work/seeds/$target"
  dict=()
  [ -f "Fuzz/dicts/$target.dict" ] && dict=(-dict="Fuzz/dicts/$target.dict")
  log="$work/$target.log"
  set +e
  # SWIFT_BACKTRACE=enable=no: let libFuzzer, not Swift's backtracer, take a trap's signal,
  # so it writes the input out. -timeout: one input running longer is a hang.
  NETLAB_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$binary" \
    -max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
    "$scratch/corpus/$target" "$work/seeds/$target" >"$log" 2>&1
  status=$?
  set -e
  executions=$(grep -oE "stat::number_of_executed_units: +[0-9]+" "$log" | grep -oE "[0-9]+$" || echo 0)
  last=$(grep -E "^#[0-9]+" "$log" | grep -E "cov: " | tail -n 1 || true)
  cov=$(grep -oE "cov: [0-9]+" <<<"$last" | grep -oE "[0-9]+" || echo -)
  ft=$(grep -oE "ft: [0-9]+" <<<"$last" | grep -oE "[0-9]+" || echo -)
  rate=$(grep -oE "stat::average_exec_per_sec: +[0-9]+" "$log" | grep -oE "[0-9]+$" || echo -)
  if [ "$status" -eq 0 ]; then
    printf '%-9s %12s %8s %8s %6s  %s\n' "$target" "$executions" "$cov" "$ft" "$rate" ok
  else
    printf '%-9s %12s %8s %8s %6s  %s\n' "$target" "$executions" "$cov" "$ft" "$rate" "FAILED (exit $status)"
    failed+=("$target")
    # What the target said, then libFuzzer's verdict and the saved input.
    { sed -n '/^netlab-fuzz (/,/Fatal error/p' "$log" | grep -v "Fatal error" | head -n 30
      grep -E "ERROR: libFuzzer|SUMMARY|Test unit written" "$log"; } | sed 's/^/    /'
    input=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
    if [ -n "$input" ]; then
      echo "    reproduce: NETLAB_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no $binary $input"
      echo "    as hex (for a regression test): $(od -An -v -tx1 "$input" | tr -d ' \n' | head -c 2000)"
    fi
  fi
done
echo "fuzz total: $(($(date +%s) - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed" >&2
  exit 1
fi
