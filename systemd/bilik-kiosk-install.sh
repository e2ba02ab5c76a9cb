#!/usr/bin/env bash
# Install the Bilik systemd units (and, for a booth, the udev rules) on this machine.
#
#   sudo systemd/bilik-kiosk-install.sh          # a booth: bilik-kiosk.service + udev rules
#   sudo systemd/bilik-kiosk-install.sh --hub    # a branch hub: bilik-hub.service
#
# Idempotent: run it again after an update. It prints every command it runs. It enables the
# units but does not start them: put the config in /etc/bilik/ first (`kiosk check-config`,
# `bilik-hub check-config`), then `systemctl start bilik-kiosk` (or reboot) / `bilik-hub`.
# The app itself is expected in /opt/bilik/.venv (see README).
set -euo pipefail

role=booth
case "${1:-}" in
  "" | --booth) role=booth ;;
  --hub) role=hub ;;
  -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--booth|--hub]" >&2; exit 2 ;;
esac

if [[ ${EUID} -ne 0 ]]; then
  echo "$0: must run as root (it creates the bilik user and writes to /etc)" >&2
  exit 1
fi

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

run() {
  echo "+ $*"
  "$@"
}

# The unprivileged user both units run as; its home is the state directory, so ProtectHome= and
# InaccessiblePaths=/home in the units hide nothing it needs.
if getent group bilik >/dev/null; then
  echo "= group bilik exists"
else
  run groupadd --system bilik
fi
if id -u bilik >/dev/null 2>&1; then
  echo "= user bilik exists"
else
  run useradd --system --gid bilik --home-dir /var/lib/bilik --no-create-home \
    --shell /usr/sbin/nologin --comment "Bilik booth/hub" bilik
fi
if [[ ${role} == booth ]]; then
  # camera, sound and input devices (the unit also sets SupplementaryGroups=)
  for group in video audio input render; do
    if getent group "${group}" >/dev/null && ! id -nG bilik | tr ' ' '\n' | grep -qx "${group}"; then
      run usermod --append --groups "${group}" bilik
    fi
  done
fi
run install -d -m 0755 /etc/bilik

if [[ ${role} == booth ]]; then
  unit=bilik-kiosk.service
  run install -m 0644 "${src}/config/udev/70-bilik.rules" /etc/udev/rules.d/70-bilik.rules
  if command -v udevadm >/dev/null; then
    run udevadm control --reload
    run udevadm trigger --action=change --subsystem-match=input --subsystem-match=video4linux
  fi
  config=/etc/bilik/kiosk.toml
  example=${src}/config/kiosk.example.toml
else
  unit=bilik-hub.service
  config=/etc/bilik/hub.toml
  example=${src}/config/hub.example.toml
fi

run install -m 0644 "${src}/systemd/${unit}" "/etc/systemd/system/${unit}"
run systemctl daemon-reload
run systemctl enable "${unit}"

if [[ ! -e ${config} ]]; then
  echo "! ${config} missing: start from ${example} (then check-config)"
fi
if [[ ! -x /opt/bilik/.venv/bin/kiosk ]]; then
  echo "! /opt/bilik/.venv is not installed yet: the unit runs the app from there"
fi
if [[ ${role} == booth ]]; then
  if [[ ! -x /usr/bin/cage ]]; then
    echo "! /usr/bin/cage missing: apt-get install cage"
  fi
  default=$(systemctl get-default 2>/dev/null || true)
  if [[ ${default} != graphical.target ]]; then
    echo "! default target is ${default:-unknown}; the booth starts with graphical.target:"
    echo "!   systemctl set-default graphical.target"
  fi
fi
echo "done: ${unit} enabled (not started)"
