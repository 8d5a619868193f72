#!/usr/bin/env bash
# Make sure a Redis server answers for the job-queue tests, and write its URL to
# var/test-redis-url. Uses CYBERHUB_TEST_REDIS_URL when set; otherwise starts Debian's
# redis-server (in memory only) when it is installed and not running.
set -euo pipefail
mkdir -p var
if [ -n "${CYBERHUB_TEST_REDIS_URL:-}" ]; then
  echo "$CYBERHUB_TEST_REDIS_URL" > var/test-redis-url; exit 0
fi
# Database 15: the tests' queues stay apart from a hub's own (database 0).
url="redis://127.0.0.1:6379/15"
answers() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! answers; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not installed; run 'make system-deps'." >&2; exit 1
  fi
  echo "Starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
  for _ in $(seq 1 50); do answers && break; sleep 0.2; done
fi
answers || { echo "Redis did not answer on 127.0.0.1:6379." >&2; exit 1; }
echo "$url" > var/test-redis-url
