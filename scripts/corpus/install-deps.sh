#!/usr/bin/env bash
# What the corpus builder needs: FluidSynth, four General MIDI soundfonts (FluidR3, MuseScore General
# and Csound's GM bank to train on, TimGM6mb for the held-out soundfont set) and the pinned Python
# packages.
# Idempotent.
set -euo pipefail
packages=(fluidsynth fluid-soundfont-gm musescore-general-soundfont-lossless csound-soundfont timgm6mb-soundfont)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
    echo "error: run as root or install sudo, or ask an administrator to: apt-get install ${missing[*]}" >&2; exit 1
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
fi
requirements="$(dirname "$0")/requirements.txt"
if ! python3 -c "import music21, mido, numpy" >/dev/null 2>&1; then
  python3 -m pip install -q --disable-pip-version-check -r "$requirements" \
    || { echo "error: pip could not install $requirements; install python3-pip and retry" >&2; exit 1; }
fi
