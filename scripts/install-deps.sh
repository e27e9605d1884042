#!/usr/bin/env bash
# Installs the Debian packages Soundstage needs, only those missing. Safe to run repeatedly:
# a machine that has everything installs nothing. Uses sudo only when not root.
set -euo pipefail

# pkg-config name → Debian package
declare -A PKGS=(
  [fftw3f]=libfftw3-dev
  [sndfile]=libsndfile1-dev
  [libpng16]=libpng-dev
  [libmysofa]=libmysofa-dev
  [cairo]=libcairo2-dev
  [libcrypto]=libssl-dev
  [libebur128]=libebur128-dev
  [hdf5]=libhdf5-dev
  [netcdf]=libnetcdf-dev
)
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for pc in "${!PKGS[@]}"; do
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$pc"; then
    missing+=("${PKGS[$pc]}")
  fi
done
# The default HRTF (MIT KEMAR) ships with libmysofa's data package; plots need DejaVu Sans.
[ -e /usr/share/libmysofa/default.sofa ] || missing+=(libmysofa-dev)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
# The studio's real-browser test (make test) drives Debian's headless Chromium.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# A test reads the build ID the result key uses with binutils' readelf.
command -v readelf >/dev/null 2>&1 || missing+=(binutils)

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all system packages present"
  exit 0
fi
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
