#!/usr/bin/env bash
# The main job on the bundled default: replays the example recording (the opening of Joplin's
# Maple Leaf Rag on piano, a piece the weights never heard) through the live path at real-time
# pace with the bundled weights, printing the notes as they sound, then says how they compare
# with the example's labels.
set -euo pipefail
bin=${1:-.build/release/transcriber}
here=$(cd "$(dirname "$0")/.." && pwd)
example=$here/Examples/maple-leaf-rag
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== transcriber devices: the capture devices this machine offers"
"$bin" devices || true
echo
echo "== transcriber replay: $(basename "$example").wav through the live path at real-time pace"
echo "   (weights: Models/default.safetensors; labels: Examples/$(basename "$example").csv)"
"$bin" replay "$example.wav" --csv "$work/notes.csv"
echo
echo "== how the notes printed compare with the example's labels (onsets within 50 ms, mir_eval's rule)"
"$bin" evaluate --notes "$work/notes.csv" --labels "$example.csv"
