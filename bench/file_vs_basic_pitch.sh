#!/usr/bin/env bash
# Whole files: `transcriber file` against basic-pitch 0.4.0 (ONNX Runtime) on the same recordings,
# default settings, in one run. One thread is one core (`taskset -c 0` for both programs: ONNX
# Runtime sizes its pool by the cores it may use); then `file` on both cores.
# Our side is the whole process (start, weights, decoding, MIDI and CSV written); basic-pitch's is
# its model load and its files, its Python start and imports left out. A last row runs `file`
# on one core with the faster settings in FAST_ARGS (default: half the windows, weighted by
# position; empty to skip it).
# Installs basic-pitch from PyPI into bench/.venv-basic-pitch on first use (never part of `make test`).
# Usage: bench/file_vs_basic_pitch.sh FOLDER_OR_FILES... (e.g. data/unseen-soundfont/test_data)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${BASIC_PITCH_VENV:-bench/.venv-basic-pitch}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import basic_pitch, onnxruntime" 2>/dev/null; then
  echo "Installing basic-pitch into $venv (first use only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check basic-pitch==0.4.0 onnxruntime soundfile
fi
files=()
for a in "$@"; do
  if [ -d "$a" ]; then while IFS= read -r f; do files+=("$f"); done < <(ls "$a"/*.wav "$a"/*.flac 2>/dev/null | sort)
  else files+=("$a"); fi
done
[ ${#files[@]} -gt 0 ] || { echo "usage: $0 FOLDER_OR_FILES... (no audio files given)" >&2; exit 2; }
swift build -c release >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s.%N; }
t0=$(now); taskset -c 0 .build/release/transcriber file "${files[@]}" --out-dir "$out/ours1" --jobs 1 --threads 1 >/dev/null 2>&1; t1=$(now)
taskset -c 0 "$venv/bin/python" bench/basic_pitch_files.py "$out/bp" "${files[@]}" > "$out/bp.json"
t2=$(now); .build/release/transcriber file "${files[@]}" --out-dir "$out/ours2" >/dev/null 2>&1; t3=$(now)
fast_args=${FAST_ARGS---stride 22 --overlap triangular}
t4=$(now)
# shellcheck disable=SC2086 # FAST_ARGS is a list of flags
[ -z "$fast_args" ] || taskset -c 0 .build/release/transcriber file "${files[@]}" --out-dir "$out/ours3" --jobs 1 --threads 1 $fast_args >/dev/null 2>&1
t5=$(now)
FAST_ARGS=$fast_args python3 - "$out/bp.json" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "${files[@]}" <<'PY'
import json, os, subprocess, sys
bp = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])  # basic-pitch prints its own lines first
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[2:8])
audio = bp["audio_seconds"]
ours1, ours2 = t1 - t0, t3 - t2
theirs = bp["load_seconds"] + bp["files_seconds"]
print(f"{bp['files']} files, {audio / 60:.1f} min of audio; basic-pitch backend {bp['backend']}")
print(f"{'':34} {'seconds':>8} {'x real time':>12}")
print(f"{'transcriber file, 1 core':34} {ours1:8.2f} {audio / ours1:12.1f}")
print(f"{'basic-pitch 0.4.0, 1 core':34} {theirs:8.2f} {audio / theirs:12.1f}   (+{bp['import_seconds']:.1f} s Python start, not counted)")
print(f"{'transcriber file, 2 cores':34} {ours2:8.2f} {audio / ours2:12.1f}")
print(f"ours / basic-pitch, one core: {theirs / ours1:.2f}x;  two cores / one core: {ours1 / ours2:.2f}x")
if os.environ["FAST_ARGS"]:
    fast = t5 - t4
    print(f"{'file ' + os.environ['FAST_ARGS'] + ', 1 core':34} {fast:8.2f} {audio / fast:12.1f}   ({theirs / fast:.2f}x basic-pitch)")
PY
