#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer: builds the fuzz package (Fuzz/) with the fuzzer
# sanitizer and runs each target for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 30 s each, every target)
#   scripts/fuzz.sh 3600                                  a long run
#   scripts/fuzz.sh 60 http lesson                        some targets only
#
# Targets (Fuzz/Sources/netlab-fuzz/*Target.swift): printer, flow, http, lesson, transfer, dns.
# Seeds are built from ../shared/corpus (NETLAB_CORPUS overrides) and the repo's captures and
# lessons into a temporary directory; what the fuzzer learns is kept in SCRATCH/corpus/TARGET,
# so a later run starts from there. Exits non-zero when a target crashes, hangs or breaks a
# property it checks; each run goes on to its time limit after a finding, keeps every input in
# SCRATCH/artifacts/RUN/ and prints the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(printer flow http lesson transfer dns)
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
seeds=$(python3 scripts/fuzz-seeds.py "$corpus" . "$work/seeds")
echo "seeds: $seeds"

# Longest input per target: a packet with its headers, a few dozen frames of a conversation,
# an HTTP head with a short body, a lesson, a framed stream.
declare -A max_len=([printer]=4096 [flow]=16384 [http]=4096 [lesson]=8192 [transfer]=2048 [dns]=1024)
# Each run keeps its findings apart, so a new run never mixes them up with old ones.
artifacts="$scratch/artifacts/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$artifacts"
failed=()
printf '%-9s %12s %8s %8s %7s  %s\n' target executions cov ft exec/s result
for target in "${targets[@]}"; do
  [ -n "${max_len[$target]:-}" ] || { echo "fuzz.sh: unknown target $target" >&2; exit 64; }
  mkdir -p "$scratch/corpus/$target" "$work/seeds/$target"
  dict=()
  [ -f "Fuzz/dicts/$target.dict" ] && dict=(-dict="Fuzz/dicts/$target.dict")
  log="$work/$target.log"
  set +e
  # SWIFT_BACKTRACE=enable=no: let libFuzzer, not Swift's backtracer, take a trap's signal,
  # so it writes the input out. -fork=1 with -ignore_*: one worker process, restarted after a
  # crash, so a run goes on to its time limit and reports every finding, not only the first.
  # -timeout: one input running longer than 10 s is a hang.
  NETLAB_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$binary" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
    "$scratch/corpus/$target" "$work/seeds/$target" >"$log" 2>&1
  status=$?
  set -e
  # The fork-mode status line: "#EXECS: cov: N ft: N corp: N exec/s: N oom/timeout/crash: a/b/c …".
  last=$(grep -E "^#[0-9]+: cov: " "$log" | tail -n 1 || true)
  executions=$(grep -oE "^#[0-9]+" <<<"$last" | tr -d '#' || true)
  cov=$(grep -oE "cov: [0-9]+" <<<"$last" | grep -oE "[0-9]+" || true)
  ft=$(grep -oE "ft: [0-9]+" <<<"$last" | grep -oE "[0-9]+" || true)
  findings=$(find "$artifacts" -name "$target-*" -type f | sort)
  count=$(grep -c . <<<"$findings" || true)
  rate=-
  [ -n "$executions" ] && rate=$((executions / (seconds > 0 ? seconds : 1)))
  result=ok
  if [ "$count" -gt 0 ] || [ "$status" -ne 0 ]; then
    result="FAILED: $count finding(s), exit $status"
    failed+=("$target")
  fi
  printf '%-9s %12s %8s %8s %7s  %s\n' "$target" "${executions:-0}" "${cov:--}" "${ft:--}" "$rate" "$result"
  [ "$count" -gt 0 ] || { [ "$status" -eq 0 ] || tail -n 20 "$log" | sed 's/^/    /'; continue; }
  # Each finding once: what the target said (replayed), how to reproduce it, the bytes as hex.
  shown=0
  while read -r input; do
    [ "$shown" -lt 5 ] || { echo "    … $((count - shown)) more in $artifacts"; break; }
    shown=$((shown + 1))
    case "$(basename "$input")" in
      "$target-crash-"*)
        what=$(NETLAB_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no timeout 60 "$binary" "$input" 2>&1 \
          | grep -m 1 -A 3 -E "^netlab-fuzz \(|Fatal error|ERROR: " | cut -c 1-300 || true) ;;
      *) what="$(basename "$input" | sed -E "s/^$target-([a-z-]+)-.*/\1/")" ;;
    esac
    echo "    $input"
    sed 's/^/      /' <<<"$what"
    echo "      reproduce: NETLAB_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no $binary $input"
    echo "      hex: $(od -An -v -tx1 "$input" | tr -d ' \n' | head -c 1000)"
  done <<<"$findings"
done
echo "fuzz total: $(($(date +%s) - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed" >&2
  exit 1
fi
