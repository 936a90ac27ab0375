#!/usr/bin/env bash
# The main job on the bundled default, as far as the pipeline exists today.
set -euo pipefail
bin=${1:-.build/release/transcriber}

echo "== transcriber devices: the capture devices this machine offers"
"$bin" devices
echo
echo "The capture, CQT and model stages are being built (see README, Status)."
echo "This demo grows with them: it will replay the bundled example with the bundled weights."
