#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, from Maven Central jars) and FerretDB (SQLite).
#   infra/stack.sh install                      fetch the Kafka jars and build FerretDB (cached in .cache/infra)
#   infra/stack.sh start STATE KAFKA_PORT MONGO_PORT   start both, wait until ready, create the topics
#   infra/stack.sh services STATE KAFKA_PORT MONGO_PORT  start visits/issues/reporting (8001-8003), wait for /health
#   infra/stack.sh stop STATE                   stop what STATE's pid files name (services first), nothing else
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
LOG4J2_VERSION=${LOG4J2_VERSION:-2.24.3}
CACHE="$ROOT/.cache/infra"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION"
FERRET_BIN="$CACHE/ferretdb-local"
PY="$ROOT/.venv/bin/python"

log() { printf '[stack] %s\n' "$*" >&2; }

install() {
  mkdir -p "$CACHE"
  if [ ! -f "$KAFKA_LIBS/.ok" ]; then
    log "fetching Kafka $KAFKA_VERSION jars from Maven Central"
    rm -rf "$KAFKA_LIBS"
    mvn -B -q -Dstyle.color=never -f "$ROOT/infra/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" -Dlog4j2.version="$LOG4J2_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
    touch "$KAFKA_LIBS/.ok"
  fi
  local src_sum; src_sum=$(cat "$ROOT"/infra/ferretdb/{main.go,go.mod,go.sum} | sha256sum | cut -c1-16)
  if [ ! -x "$FERRET_BIN" ] || [ "$(cat "$FERRET_BIN.src" 2>/dev/null)" != "$src_sum" ]; then
    log "building FerretDB wrapper (first build compiles SQLite in Go: a minute or two)"
    (cd "$ROOT/infra/ferretdb" && CGO_ENABLED=0 go build -trimpath -o "$FERRET_BIN" .)
    echo "$src_sum" > "$FERRET_BIN.src"
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local state=$1 kport=$2 mport=$3 cport=$(( $2 + 1 ))
  mkdir -p "$state/kafka-logs" "$state/ferret-data"
  state=$(cd "$state" && pwd)
  local jt=(java -Xmx256m "-Dlog4j2.configurationFile=$ROOT/infra/kafka/tools-log4j2.xml" -cp "$KAFKA_LIBS/*")

  if alive "$state/kafka.pid"; then
    log "Kafka already running (pid $(cat "$state/kafka.pid"))"
  else
    sed -e "s#RUN_DIR#$state#" -e "s#CONTROLLER_PORT#$cport#g" -e "s#KAFKA_PORT#$kport#g" \
      "$ROOT/infra/kafka/server.properties" > "$state/server.properties"
    if [ ! -f "$state/kafka-data/meta.properties" ]; then
      "${jt[@]}" kafka.tools.StorageTool format -t "$("${jt[@]}" kafka.tools.StorageTool random-uuid)" \
        -c "$state/server.properties" --ignore-formatted >/dev/null
    fi
    : > "$state/kafka-logs/server.log"
    java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
      "-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.xml" "-Dkafka.logs.dir=$state/kafka-logs" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$state/server.properties" > "$state/kafka.out" 2>&1 &
    echo $! > "$state/kafka.pid"
    log "Kafka starting on 127.0.0.1:$kport (pid $!)"
  fi

  if alive "$state/ferretdb.pid"; then
    log "FerretDB already running (pid $(cat "$state/ferretdb.pid"))"
  else
    "$FERRET_BIN" --listen-addr="127.0.0.1:$mport" --sqlite-dir="$state/ferret-data" > "$state/ferretdb.out" 2>&1 &
    echo $! > "$state/ferretdb.pid"
    log "FerretDB starting on 127.0.0.1:$mport (pid $!)"
  fi

  for _ in $(seq 120); do
    grep -q "Kafka Server started" "$state/kafka-logs/server.log" 2>/dev/null && break
    alive "$state/kafka.pid" || { log "Kafka died:"; tail -n 30 "$state/kafka.out" >&2; exit 1; }
    sleep 0.5
  done
  grep -q "Kafka Server started" "$state/kafka-logs/server.log" || { log "Kafka not ready after 60 s"; exit 1; }
  alive "$state/ferretdb.pid" || { log "FerretDB died:"; cat "$state/ferretdb.out" >&2; exit 1; }

  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kport" MONGODB_URI="mongodb://127.0.0.1:$mport/?directConnection=true" \
    "$PY" -m buildingblocks.topics --wait-mongo
  log "ready: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kport MONGODB_URI=mongodb://127.0.0.1:$mport/?directConnection=true"
}

services() {
  local state=$1 kport=$2 mport=$3 svc port pidfile
  mkdir -p "$state/services" "$state/logs"
  for entry in visits:8001 issues:8002 reporting:8003; do
    svc=${entry%%:*}; port=${entry##*:}; pidfile="$state/services/$svc.pid"
    if alive "$pidfile"; then log "$svc already running (pid $(cat "$pidfile"))"; continue; fi
    KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kport" MONGODB_URI="mongodb://127.0.0.1:$mport/?directConnection=true" \
      PORT=$port "$PY" -m "$svc" >> "$state/logs/$svc.log" 2>&1 &
    echo $! > "$pidfile"
    log "$svc starting on http://127.0.0.1:$port (pid $!, log $state/logs/$svc.log)"
  done
  for entry in visits:8001 issues:8002 reporting:8003; do
    svc=${entry%%:*}; port=${entry##*:}
    for _ in $(seq 120); do
      curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
      alive "$state/services/$svc.pid" || { log "$svc died:"; tail -n 30 "$state/logs/$svc.log" >&2; exit 1; }
      sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$port/health" >&2 || { log "$svc not healthy after 60 s"; exit 1; }
    echo >&2
  done
}

stop() {
  local state=$1 pidfile pid
  [ -d "$state/services" ] && stop "$state/services"
  for pidfile in "$state"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && { log "$(basename "$pidfile" .pid) did not stop in 15 s; SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
      log "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    rm -f "$pidfile"
  done
}

cmd=${1:-}; shift || true
case "$cmd" in
  install) install ;;
  start) install; start "$@" ;;
  services) services "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: $0 install | start|services STATE KAFKA_PORT MONGO_PORT | stop STATE" >&2; exit 2 ;;
esac
