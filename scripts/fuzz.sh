#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) with the address sanitizer and runs each for SECONDS
# (default 600) from its committed seed corpus; new inputs go to .build-fuzz/corpus, crashes to
# .build-fuzz/artifacts. Prints the executions of each run. Exits non-zero on the first crash.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(SafeTensorsFuzz LabelCSVFuzz MIDIFuzz AudioFramesFuzz)
declare -A seeds=([SafeTensorsFuzz]=safetensors [LabelCSVFuzz]=labelcsv [MIDIFuzz]=midi [AudioFramesFuzz]=audio)
scratch=$here/.build-fuzz
cd "$here"
for target in "${targets[@]}"; do
  [ -n "${seeds[$target]:-}" ] || { echo "error: no fuzz target '$target' (have: ${!seeds[*]})" >&2; exit 2; }
  TRANSCRIBER_FUZZ=1 swift build --scratch-path "$scratch" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -E "error|warning: |Build of" | grep -v "Cannot export local symbol" || true
  [ -x "$scratch/debug/$target" ] || { echo "error: $target did not build" >&2; exit 1; }
done
for target in "${targets[@]}"; do
  corpus=$scratch/corpus/${seeds[$target]}
  mkdir -p "$corpus" "$scratch/artifacts"
  cp -n "$here/Fuzz/corpus/${seeds[$target]}"/* "$corpus"/
  log=$scratch/$target.log
  echo "== $target for ${seconds} s (log $log)"
  if ! "$scratch/debug/$target" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=16384 \
      -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    grep -E "ERROR|==ERROR|Fatal|Precondition|deadly|SUMMARY" "$log" | head -20
    echo "error: $target crashed; the input is in $scratch/artifacts/ (replay: $scratch/debug/$target FILE)" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" | tr '\n' ' '
  grep -E "DONE" "$log" | tail -1
done
