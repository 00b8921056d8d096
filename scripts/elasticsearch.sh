#!/usr/bin/env bash
# A local Elasticsearch for tests and development, without Docker:
#   scripts/elasticsearch.sh start|stop|status      one node on $KMINGEST_ES_PORT (9200)
#   scripts/elasticsearch.sh cluster-start|cluster-stop|cluster-status
#   scripts/elasticsearch.sh node-stop N|node-kill N|node-start N      (N = 1..3)
# The cluster: three master-eligible data nodes on one machine, HTTP 9210-9212 and transport 9410-9412
# (outside the 9300-9399 range a single node picks from), each with its own config, data and logs under
# $ES_ROOT/cluster/node-N and a small heap ($KMINGEST_ES_CLUSTER_HEAP, 512m). node-stop is a clean
# shutdown (SIGTERM), node-kill a crash (SIGKILL); KMINGEST_ES_FRESH=1 starts from empty data folders.
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
CLUSTER_DIR="$ES_ROOT/cluster"
CLUSTER_NODES=3
CLUSTER_HTTP="${KMINGEST_ES_CLUSTER_PORT:-9210}"            # node N listens on CLUSTER_HTTP + N - 1
CLUSTER_TRANSPORT="${KMINGEST_ES_CLUSTER_TRANSPORT:-9410}"
CLUSTER_HEAP="${KMINGEST_ES_CLUSTER_HEAP:-512m}"

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

# ---- three-node cluster ------------------------------------------------------------------------------
node_dir() { echo "$CLUSTER_DIR/node-$1"; }
node_url() { echo "http://127.0.0.1:$((CLUSTER_HTTP + $1 - 1))"; }
node_pid() { cat "$(node_dir "$1")/es.pid" 2>/dev/null; }
node_alive() { local pid; pid=$(node_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
# a node is ready once it answers through a cluster that has an elected master and every shard assigned
node_ready() { curl -fsS "$(node_url "$1")/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; }

check_node() {
  case "${1:-}" in
    [1-9]) [ "$1" -le "$CLUSTER_NODES" ] && return 0 ;;
  esac
  echo "error: node number must be 1..$CLUSTER_NODES, got '${1:-}'" >&2
  exit 2
}

node_config() {  # the node's own config folder (ES_PATH_CONF): the distribution's files + its yml
  local n=$1 dir; dir=$(node_dir "$1")
  local seeds="" masters="" i
  for i in $(seq 1 "$CLUSTER_NODES"); do
    seeds+="${seeds:+, }\"127.0.0.1:$((CLUSTER_TRANSPORT + i - 1))\""
    masters+="${masters:+, }kmingest-cluster-$i"
  done
  [ "${KMINGEST_ES_FRESH:-0}" = 1 ] && rm -rf "$dir/data"
  mkdir -p "$dir/config" "$dir/data" "$dir/logs"
  [ -f "$dir/config/jvm.options" ] || cp -r "$HOME_DIR/config/." "$dir/config/"
  cat > "$dir/config/elasticsearch.yml" <<YML
cluster.name: kmingest-cluster
node.name: kmingest-cluster-$n
network.host: 127.0.0.1
http.port: $((CLUSTER_HTTP + n - 1))
transport.port: $((CLUSTER_TRANSPORT + n - 1))
discovery.seed_hosts: [$seeds]
xpack.security.enabled: false
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.watermark.low: 97%
cluster.routing.allocation.disk.watermark.high: 98%
cluster.routing.allocation.disk.watermark.flood_stage: 99%
YML
  # bootstrap only a node that has never been in a cluster; a restarted node rejoins from its own state
  if [ -z "$(ls -A "$dir/data")" ]; then echo "cluster.initial_master_nodes: [$masters]" >> "$dir/config/elasticsearch.yml"; fi
  chown -R "$ES_USER" "$dir"
}

launch_node() {  # starts the process; returns once it runs (it may still be looking for the others)
  local n=$1 java=$2 dir; dir=$(node_dir "$1")
  node_alive "$n" && return 0
  node_config "$n"
  echo "==> starting cluster node $n on $(node_url "$n")" >&2
  runuser -u "$ES_USER" -- env ES_JAVA_HOME="$java" ES_PATH_CONF="$dir/config" \
    ES_JAVA_OPTS="-Xms$CLUSTER_HEAP -Xmx$CLUSTER_HEAP" \
    "$HOME_DIR/bin/elasticsearch" -d -p "$dir/es.pid" >"$dir/logs/console.log" 2>&1
}

wait_until() {  # wait_until SECONDS WHAT COMMAND...: polls once a second
  local limit=$1 what=$2; shift 2
  for _ in $(seq 1 "$limit"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  echo "error: $what not reached within $limit s" >&2
  return 1
}

cluster_green() { curl -fsS "$(node_url 1)/_cluster/health?wait_for_nodes=$CLUSTER_NODES&wait_for_status=green&timeout=1s" >/dev/null 2>&1; }

prepare() {
  fetch
  id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
  mkdir -p "$CLUSTER_DIR"
  chmod 755 "$ES_ROOT" "$CLUSTER_DIR"
}

cluster_start() {
  local java; java=$(find_java)
  prepare
  local n pids=()
  for n in $(seq 1 "$CLUSTER_NODES"); do   # together: a node's start waits for a quorum of masters
    launch_node "$n" "$java" & pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n"; done
  if ! wait_until 240 "a green cluster of $CLUSTER_NODES nodes" cluster_green; then
    for n in $(seq 1 "$CLUSTER_NODES"); do tail -n 15 "$(node_dir "$n")/logs/kmingest-cluster.log" >&2 || true; done
    return 1
  fi
  echo "Elasticsearch cluster up: $(node_url 1) $(node_url 2) $(node_url 3)"
}

node_start() {
  check_node "$1"
  local java; java=$(find_java)
  prepare
  launch_node "$1" "$java"
  wait_until 180 "node $1 joining the cluster" node_ready "$1" || {
    tail -n 30 "$(node_dir "$1")/logs/kmingest-cluster.log" >&2 || true; return 1; }
  echo "cluster node $1 up at $(node_url "$1")"
}

node_stop() {  # node_stop N [SIGNAL]: TERM is a clean shutdown, KILL a crash; returns once it is gone
  check_node "$1"
  local pid; pid=$(node_pid "$1") || true
  if [ -n "$pid" ]; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    wait_until 60 "node $1 exiting" bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    rm -f "$(node_dir "$1")/es.pid"
  fi
  echo "cluster node $1 stopped"
}

cluster_stop() {
  local n pids=()
  for n in $(seq 1 "$CLUSTER_NODES"); do node_stop "$n" >/dev/null & pids+=($!); done
  for n in "${pids[@]}"; do wait "$n"; done
  echo "Elasticsearch cluster stopped"
}

cluster_status() {
  local n up=0
  for n in $(seq 1 "$CLUSTER_NODES"); do
    if node_alive "$n"; then echo "node $n: running at $(node_url "$n")"; up=$n; else echo "node $n: stopped"; fi
  done
  [ "$up" -gt 0 ] || return 1
  curl -fsS "$(node_url "$up")/_cat/nodes?v&h=name,http_address,master,heap.percent,ram.percent" || true
  curl -fsS "$(node_url "$up")/_cluster/health?pretty"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  cluster-start) cluster_start ;;
  cluster-stop) cluster_stop ;;
  cluster-status) cluster_status ;;
  node-start) node_start "${2:-}" ;;
  node-stop) node_stop "${2:-}" TERM ;;
  node-kill) node_stop "${2:-}" KILL ;;
  *) echo "usage: $0 start|stop|status|cluster-start|cluster-stop|cluster-status|node-start N|node-stop N|node-kill N" >&2
     exit 2 ;;
esac
