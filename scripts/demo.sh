#!/usr/bin/env bash
# The main job on the bundled default, as far as the pipeline exists today: until the trainer
# and the bundled weights land, it runs the real front end on a chord it synthesises and shows
# which notes carry the energy, so the transform a user's audio will go through is visible.
set -euo pipefail
bin=${1:-.build/release/transcriber}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== transcriber devices: the capture devices this machine offers"
"$bin" devices || true
echo
echo "== a C major chord (C4 E4 G4) then A minor (A3 C4 E4), 1.5 s each, synthesised with sox"
sox -n -r 44100 -c 2 "$work/c.wav" synth 1.5 pluck C4 pluck E4 pluck G4 remix - gain -6 2>/dev/null
sox -n -r 44100 -c 2 "$work/a.wav" synth 1.5 pluck A3 pluck C4 pluck E4 remix - gain -6 2>/dev/null
sox "$work/c.wav" "$work/a.wav" "$work/chords.wav"
echo
echo "== transcriber cqt: the constant-Q frames the model will see"
"$bin" cqt "$work/chords.wav" -o "$work/chords.safetensors"
echo
echo "== the three strongest notes every half second (from the CQT alone; no model yet)"
python3 - "$work/chords.safetensors" <<'PY'
import sys
from safetensors.numpy import load_file
names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
cqt = load_file(sys.argv[1])["cqt"]                     # [frames, 352], 4 bins per note from A0
notes = cqt.reshape(len(cqt), 88, 4).max(axis=2)       # [frames, 88]
for frame in range(10, len(cqt), 21):                  # every ~0.5 s (43 frames per second)
    top = sorted(notes[frame].argsort()[-3:] + 21)
    print(f"{frame / 43.07:5.2f} s  " + " ".join(f"{names[m % 12]}{m // 12 - 1}" for m in top))
PY
echo
echo "The trainer, the bundled weights and live transcription are being built (README, Status);"
echo "this demo will then replay the bundled example recording with the bundled weights."
