#!/usr/bin/env bash
# `make sanitize`: the whole test suite under the address sanitizer, then under the thread
# sanitizer, each in its own build folder. Exits non-zero on the first report.
set -euo pipefail
cd "$(dirname "$0")/.."
# Swift's crash backtracer reads raw stack memory, which ASan reports as a stack-buffer-underflow
# after any crash; off, so a report is always about the project's code.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
for sanitizer in address thread; do
  echo "== swift test --sanitize=$sanitizer"
  # Tests that cannot run under a sanitizer's runtime (a file-size limit kills TSan's) read this.
  TRANSCRIBER_SANITIZER=$sanitizer swift test --scratch-path ".build-${sanitizer:0:1}san" --sanitize="$sanitizer" "$@"
done
