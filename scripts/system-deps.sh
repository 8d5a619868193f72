#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing:
# Chromium (driven by Playwright for the browser tests), the DejaVu fonts (PDF reports),
# a PostgreSQL server and Redis, ClamAV's daemon
# (the job queue of scaled deployments), and the PostgreSQL client programs
# (pg_dump and pg_restore, for `cyberhub backup` and `cyberhub restore`) matching the
# installed server's major version.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# DejaVu Sans: the PDF reports' font for every script (Arabic included).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# ClamAV's daemon: the tests scan attachments with it (signatures of their own).
[ -x /usr/sbin/clamd ] || command -v clamd >/dev/null 2>&1 || missing+=(clamav-daemon)
if [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  major="$(ls /etc/postgresql | sort -V | tail -1)"
  [ -x "/usr/lib/postgresql/$major/bin/pg_dump" ] || missing+=("postgresql-client-$major")
elif ! command -v pg_dump >/dev/null 2>&1; then
  missing+=(postgresql-client)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
