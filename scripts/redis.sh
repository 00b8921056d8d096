#!/usr/bin/env bash
# A local Redis for tests and development (the Celery broker of the multi-worker Airflow test), no Docker:
#   scripts/redis.sh start|stop|status|url
# Uses Debian's `redis-server` package (apt-get install -y redis-server) but not its system service: its own
# folder under /var/tmp (or $KMINGEST_REDIS_ROOT), listening on 127.0.0.1:6380 only (never the system server's
# 6379), nothing written to disk (no RDB snapshots, no AOF): a broker for tests that starts empty.
#   scripts/redis.sh start     # returns once the server answers PING (or fails with its log)
#   scripts/redis.sh url       # prints redis://127.0.0.1:6380/0
set -euo pipefail
REDIS_PORT="${KMINGEST_REDIS_PORT:-6380}"
REDIS_ROOT="${KMINGEST_REDIS_ROOT:-/var/tmp/kmingest-redis}"
RUN_DIR="$REDIS_ROOT/run-$REDIS_PORT"
PID_FILE="$RUN_DIR/redis.pid"
LOG_FILE="$RUN_DIR/redis.log"
START_TIMEOUT="${KMINGEST_REDIS_START_TIMEOUT:-30}"   # seconds to wait for the first PONG

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "error: $1 not found (apt-get install -y redis-server: it brings redis-server and redis-cli)" >&2
  return 1
}

ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start() {
  need redis-server
  need redis-cli
  if ready; then echo "Redis already up on 127.0.0.1:$REDIS_PORT"; return 0; fi
  mkdir -p "$RUN_DIR"
  rm -f "$PID_FILE"
  echo "==> starting Redis on 127.0.0.1:$REDIS_PORT" >&2
  # settings on the command line: no config file to keep in sync, nothing persisted
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --pidfile "$PID_FILE" --logfile "$LOG_FILE" --dir "$RUN_DIR" --save "" --appendonly no \
    --maxmemory 256mb --maxmemory-policy noeviction
  local deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ready; then echo "Redis up on 127.0.0.1:$REDIS_PORT"; return 0; fi
    sleep 0.2
  done
  echo "error: Redis did not answer PING within $START_TIMEOUT s; last log lines:" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
  return 1
}

stop() {
  if ready; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  local deadline=$((SECONDS + 30))
  while ready && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if ready; then echo "error: Redis on 127.0.0.1:$REDIS_PORT did not stop within 30 s" >&2; return 1; fi
  rm -f "$PID_FILE"
  echo "Redis stopped"
}

status() {
  if ready; then
    echo "Redis is up on 127.0.0.1:$REDIS_PORT (folder: $RUN_DIR)"
  else
    echo "Redis is not running on 127.0.0.1:$REDIS_PORT"; return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "redis://127.0.0.1:$REDIS_PORT/0" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
