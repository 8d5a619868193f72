#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for the tests, and write its URL to
# var/test-postgres-url. Uses CYBERHUB_TEST_PG_URL when set; otherwise starts the
# Debian cluster when it is installed and not running.
set -euo pipefail
mkdir -p var
if [ -n "${CYBERHUB_TEST_PG_URL:-}" ]; then
  echo "$CYBERHUB_TEST_PG_URL" > var/test-postgres-url; exit 0
fi
url="postgresql://postgres@127.0.0.1:5432/postgres"
if psql "$url" -Atqc 'select 1' >/dev/null 2>&1; then
  echo "$url" > var/test-postgres-url; exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed; run 'make system-deps'." >&2; exit 1
fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  echo "Starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 30); do
  psql "$url" -Atqc 'select 1' >/dev/null 2>&1 && { echo "$url" > var/test-postgres-url; exit 0; }
  # A fresh Debian cluster asks TCP clients for a password: give the test role one.
  if as_postgres psql -Atqc 'select 1' >/dev/null 2>&1; then
    as_postgres psql -qc "ALTER ROLE postgres PASSWORD 'cyberhub-test'" >/dev/null
    url="postgresql://postgres:cyberhub-test@127.0.0.1:5432/postgres"
  fi
  sleep 1
done
echo "PostgreSQL did not answer on 127.0.0.1:5432." >&2; exit 1
