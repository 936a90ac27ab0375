#!/usr/bin/env bash
# The main job, as far as the project has it today. The bundled default weights and example
# recording do not exist yet (they come from the MusicNet-layout corpus, a later step), so the
# demo replays a short piece it renders itself - harmonic tones, the kind of sound the small
# test model (Tests/Fixtures/test-model.safetensors, trained by this project's trainer on
# synthetic tones) knows - through the whole live path, and prints the notes as they sound.
set -euo pipefail
bin=${1:-.build/release/transcriber}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== transcriber devices: the capture devices this machine offers"
"$bin" devices || true
echo
echo "== rendering a 6 s example: a C major melody over chords (labels in $work/example.csv)"
python3 - "$work" <<'PY'
import sys, wave
import numpy as np
sr = 22050
events = [(60, 0.2, 0.9), (64, 0.2, 0.9), (67, 0.2, 0.9),          # C major chord
          (72, 1.0, 1.4), (74, 1.4, 1.8), (76, 1.8, 2.6),          # melody C5 D5 E5
          (53, 2.7, 3.6), (57, 2.7, 3.6), (72, 2.7, 3.6),          # F major
          (55, 3.8, 4.8), (59, 3.8, 4.8), (62, 3.8, 4.8), (79, 3.8, 4.8),  # G major + G5
          (60, 5.0, 5.8), (64, 5.0, 5.8), (67, 5.0, 5.8), (72, 5.0, 5.8)]  # C major
t = np.arange(int(6.2 * sr)) / sr
y = np.zeros_like(t)
for m, a, b in events:
    f = 440 * 2 ** ((m - 69) / 12)
    i = (t >= a) & (t < b)
    u = t[i] - a
    y[i] += 0.12 * np.minimum(1, u / 0.01) * np.exp(-2 * u) * (np.sin(2*np.pi*f*u) + 0.5*np.sin(4*np.pi*f*u) + 0.25*np.sin(6*np.pi*f*u))
w = wave.open(sys.argv[1] + "/example.wav", "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
w.writeframes((np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()); w.close()
with open(sys.argv[1] + "/example.csv", "w") as f:
    f.write("start_time,end_time,instrument,note,start_beat,end_beat,note_value\n")
    for m, a, b in events: f.write(f"{int(a*44100)},{int(b*44100)},1,{m},0,0,\n")
PY
echo
echo "== transcriber replay: the example through the live path, at real-time pace"
echo "   (weights: the small TEST model, not the default weights, which are not built yet)"
"$bin" replay "$work/example.wav" --weights "$here/Tests/Fixtures/test-model.safetensors"
echo
echo "The notes played: C4 E4 G4 | C5 D5 E5 | F3 A3 C5 | G3 B3 D4 G5 | C4 E4 G4 C5"
