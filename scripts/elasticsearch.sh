#!/usr/bin/env bash
# A local single-node Elasticsearch for tests and development, without Docker:
#   scripts/elasticsearch.sh start|stop|status
# Uses the OSS integration-test distribution from Maven Central (fetched once with Maven, cached in
# ~/.m2), unpacked outside /root so an unprivileged user can run it (Elasticsearch refuses root), with a
# Java 21+ JDK found under /usr/lib/jvm (or $ES_JAVA_HOME). Listens on 127.0.0.1 only, security off.
set -euo pipefail
ES_VERSION="${KMINGEST_ES_VERSION:-9.5.0}"       # pinned; the Python client's major version must match
ES_PORT="${KMINGEST_ES_PORT:-9200}"
ES_ROOT="${KMINGEST_ES_ROOT:-/var/tmp/kmingest-elasticsearch}"
ES_USER="${KMINGEST_ES_USER:-kmingest-es}"
ES_HEAP="${KMINGEST_ES_HEAP:-1g}"
HOME_DIR="$ES_ROOT/elasticsearch-$ES_VERSION"
RUN_DIR="$ES_ROOT/run-$ES_PORT"
PID_FILE="$RUN_DIR/es.pid"
URL="http://127.0.0.1:$ES_PORT"

find_java() {
  local candidate version
  for candidate in ${ES_JAVA_HOME:-} /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then echo "$candidate"; return 0; fi
  done
  echo "error: Elasticsearch $ES_VERSION needs Java 21 or newer; none under /usr/lib/jvm (set ES_JAVA_HOME)" >&2
  return 1
}

fetch() {
  [ -x "$HOME_DIR/bin/elasticsearch" ] && return 0
  local zip="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  if [ ! -f "$zip" ]; then
    echo "==> fetching Elasticsearch $ES_VERSION (integ-test-zip) with Maven" >&2
    mvn -q dependency:get -Dtransitive=false \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
  fi
  mkdir -p "$ES_ROOT"
  local tmp; tmp=$(mktemp -d "$ES_ROOT/unpack.XXXXXX")
  unzip -q "$zip" -d "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$HOME_DIR"
  rmdir "$tmp"
}

healthy() { curl -fsS "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; }

start() {
  if healthy; then echo "Elasticsearch already up at $URL"; return 0; fi
  local java; java=$(find_java)
  fetch
  id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
  [ "${KMINGEST_ES_FRESH:-0}" = 1 ] && rm -rf "$RUN_DIR/data"   # CI: start from an empty node
  mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs"
  cat > "$HOME_DIR/config/elasticsearch.yml" <<YML
cluster.name: kmingest-local
node.name: kmingest-node-1
network.host: 127.0.0.1
http.port: $ES_PORT
discovery.type: single-node
xpack.security.enabled: false
path.data: $RUN_DIR/data
path.logs: $RUN_DIR/logs
cluster.routing.allocation.disk.watermark.low: 97%
cluster.routing.allocation.disk.watermark.high: 98%
cluster.routing.allocation.disk.watermark.flood_stage: 99%
YML
  chown -R "$ES_USER" "$HOME_DIR" "$RUN_DIR"
  chmod 755 "$ES_ROOT"
  echo "==> starting Elasticsearch $ES_VERSION on $URL (java: $java)" >&2
  runuser -u "$ES_USER" -- env ES_JAVA_HOME="$java" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    "$HOME_DIR/bin/elasticsearch" -d -p "$PID_FILE" >"$RUN_DIR/logs/console.log" 2>&1
  for _ in $(seq 1 180); do
    if healthy; then echo "Elasticsearch up at $URL"; return 0; fi
    sleep 1
  done
  echo "error: Elasticsearch did not become healthy within 180 s; last log lines:" >&2
  tail -n 40 "$RUN_DIR/logs/kmingest-local.log" >&2 || true
  return 1
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid; pid=$(cat "$PID_FILE")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
  fi
  echo "Elasticsearch stopped"
}

status() {
  if healthy; then curl -fsS "$URL/_cluster/health?pretty"; else echo "Elasticsearch is not running at $URL"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
