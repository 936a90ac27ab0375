#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need. Idempotent: when every
# package is present it only checks (well under a second). Uses sudo when not root.
set -euo pipefail

packages=(
  pkg-config
  libasound2-dev      # ALSA: live capture, device listing, MIDI port
  libfftw3-dev        # FFTW: the constant-Q transform
  libopenblas-dev     # OpenBLAS: the network's matrix products
  libdnnl-dev         # oneDNN: a frozen network's Linear products, weights packed once
  libsndfile1-dev     # libsndfile: reading and writing audio files
  libsamplerate0-dev  # libsamplerate: resampling live capture to the model rate (low latency)
  libsoxr-dev         # libsoxr: resampling files to the model rate (fast)
  alsa-utils          # arecord/aplay: checking a capture device by hand
  sox                 # the demo synthesises its test chord with it
  libopenmpi-dev      # Open MPI: training across processes and machines (mpirun)
  openmpi-bin         # mpirun
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.1 or newer) is not on PATH. Install it from swift.org and add its usr/bin to PATH." >&2
  exit 1
fi

install_python_test_packages() {
  # The tests check that weights files load in Python's safetensors (the format's reference reader).
  if ! python3 -c "import safetensors, numpy" >/dev/null 2>&1; then
    echo "Installing Python test packages from requirements-test.txt"
    python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../requirements-test.txt" \
      || { echo "error: pip could not install requirements-test.txt; install python3-pip and retry" >&2; exit 1; }
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_python_test_packages
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: these packages are missing and I can neither run apt-get as root nor use sudo:" >&2
  echo "  ${missing[*]}" >&2
  echo "Ask an administrator to run: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# A fresh Debian or Ubuntu machine often runs its automatic upgrades in its first minutes, holding
# the package manager's locks: wait for them (up to 15 minutes, saying so) instead of failing.
apt_get() {
  local waited=0 log status
  log=$(mktemp)
  while true; do
    # DPkg::Lock::Timeout makes apt wait for dpkg's lock itself; the loop covers the lists lock
    # of `apt-get update` and older apt versions.
    if "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=60 "$@" 2> >(tee "$log" >&2); then rm -f "$log"; return 0; fi
    status=$?
    if grep -qE "Could not get lock|Unable to acquire|is another process using it" "$log" && [ "$waited" -lt 900 ]; then
      echo "Another package manager holds the lock (automatic upgrades?); waiting ($waited s so far)..." >&2
      sleep 15
      waited=$((waited + 15))
      continue
    fi
    rm -f "$log"
    return "$status"
  done
}

apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}"
install_python_test_packages
