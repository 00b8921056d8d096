#!/usr/bin/env bash
# A local PostgreSQL for tests and development, without Docker:
#   scripts/postgres.sh start|stop|status|createdb NAME|url NAME
# Uses Debian's `postgresql` package (apt-get install -y postgresql) but not its cluster service: its own
# data folder under /var/tmp (or $KMINGEST_PG_ROOT), run by an unprivileged user (PostgreSQL refuses root),
# listening on 127.0.0.1:5433 only, so it never collides with a system server on 5432.
# Superuser role `kmingest`, password `kmingest` (test-only, override with KMINGEST_PG_PASSWORD); TCP logins
# need the password (scram-sha-256). Durability settings are off (fsync, synchronous_commit): a test server.
#   KMINGEST_PG_FRESH=1 scripts/postgres.sh start   # CI: start from an empty cluster
#   scripts/postgres.sh createdb airflow            # idempotent
#   scripts/postgres.sh url airflow                 # prints postgresql://kmingest:...@127.0.0.1:5433/airflow
set -euo pipefail
PG_PORT="${KMINGEST_PG_PORT:-5433}"
PG_ROOT="${KMINGEST_PG_ROOT:-/var/tmp/kmingest-postgres}"
PG_USER="${KMINGEST_PG_USER:-kmingest-pg}"          # the OS user that runs the server (when started as root)
PG_ROLE="${KMINGEST_PG_ROLE:-kmingest}"            # the database superuser clients log in as
PG_PASSWORD="${KMINGEST_PG_PASSWORD:-kmingest}"
DATA_DIR="$PG_ROOT/data-$PG_PORT"
RUN_DIR="$PG_ROOT/run-$PG_PORT"
LOG_FILE="$RUN_DIR/postgres.log"

find_bin() {
  local candidate
  if [ -n "${KMINGEST_PG_BIN:-}" ]; then echo "$KMINGEST_PG_BIN"; return 0; fi
  candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$candidate" ] && [ -x "$candidate/pg_ctl" ]; then echo "$candidate"; return 0; fi
  echo "error: no PostgreSQL server found under /usr/lib/postgresql (apt-get install -y postgresql," \
    "or set KMINGEST_PG_BIN to the folder holding pg_ctl)" >&2
  return 1
}

BIN=$(find_bin)

as_owner() {  # run a server command as the unprivileged owner of the data folder
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1 >/dev/null 2>&1; }

init_cluster() {
  [ -f "$DATA_DIR/PG_VERSION" ] && return 0
  echo "==> initdb $DATA_DIR" >&2
  local pwfile; pwfile=$(mktemp "$RUN_DIR/pw.XXXXXX")
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER" "$pwfile"; fi
  as_owner "$BIN/initdb" -D "$DATA_DIR" -U "$PG_ROLE" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$RUN_DIR/initdb.log" 2>&1 || {
    rm -f "$pwfile"; echo "error: initdb failed; log:" >&2; cat "$RUN_DIR/initdb.log" >&2; return 1; }
  rm -f "$pwfile"
  cat >>"$DATA_DIR/postgresql.conf" <<CONF
# kmingest test server (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN_DIR'
max_connections = 200
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
}

start() {
  if ready; then echo "PostgreSQL already up on 127.0.0.1:$PG_PORT"; return 0; fi
  if [ "$(id -u)" = 0 ]; then
    id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
  [ "${KMINGEST_PG_FRESH:-0}" = 1 ] && rm -rf "$DATA_DIR"
  mkdir -p "$PG_ROOT" "$RUN_DIR"
  chmod 755 "$PG_ROOT"
  if [ ! -d "$DATA_DIR" ]; then mkdir -m 700 "$DATA_DIR"; fi
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER" "$RUN_DIR" "$DATA_DIR"; fi
  init_cluster
  echo "==> starting PostgreSQL ($BIN) on 127.0.0.1:$PG_PORT" >&2
  as_owner "$BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null || true
  for _ in $(seq 1 60); do
    if ready; then echo "PostgreSQL up on 127.0.0.1:$PG_PORT"; return 0; fi
    sleep 1
  done
  echo "error: PostgreSQL did not accept connections within 60 s; last log lines:" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
  return 1
}

stop() {
  if [ -f "$DATA_DIR/postmaster.pid" ]; then
    as_owner "$BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >/dev/null || true
  fi
  echo "PostgreSQL stopped"
}

status() {
  if ready; then
    echo "PostgreSQL is up on 127.0.0.1:$PG_PORT (data: $DATA_DIR)"
  else
    echo "PostgreSQL is not running on 127.0.0.1:$PG_PORT"; return 1
  fi
}

url() { echo "postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$1"; }

createdb() {
  local name="$1"
  ready || { echo "error: PostgreSQL is not running on 127.0.0.1:$PG_PORT (run: $0 start)" >&2; return 1; }
  local exists
  exists=$(PGPASSWORD="$PG_PASSWORD" "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '${name//\'/\'\'}'")
  if [ "$exists" = 1 ]; then echo "database $name exists"; return 0; fi
  PGPASSWORD="$PG_PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" "$name"
  echo "database $name created"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  createdb) [ -n "${2:-}" ] || { echo "usage: $0 createdb NAME" >&2; exit 2; }; createdb "$2" ;;
  url) [ -n "${2:-}" ] || { echo "usage: $0 url NAME" >&2; exit 2; }; url "$2" ;;
  *) echo "usage: $0 start|stop|status|createdb NAME|url NAME" >&2; exit 2 ;;
esac
