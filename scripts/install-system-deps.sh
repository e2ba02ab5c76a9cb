#!/usr/bin/env bash
# Installs the Debian packages Bilik needs, only those missing, without asking.
# Used by `make install` (and so by `make run`, `make test` and CI).
set -euo pipefail
pkgs=(
  python3-venv          # the project's virtual environment
  xvfb xauth            # virtual screen for the booth app in tests and headless demos
  libgl1 libgl1-mesa-dri libegl1 libmtdev1   # Kivy's OpenGL window (llvmpipe) and touch input
  libzbar0              # pyzbar's QR decoder
  libportaudio2         # sounddevice
  pulseaudio pulseaudio-utils libasound2-plugins  # sound server, null sink in tests, ALSA->pulse
  gettext               # msgfmt for the translation catalogs
  fonts-dejavu-core     # readable fallback font
  chromium              # the CS console in tests (Playwright drives it; no browser download)
  postgresql            # initdb/pg_ctl for the hub suite's private cluster (tests/postgres.py);
                        # the system service is never started or used
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
