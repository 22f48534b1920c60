#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft) and the MongoDB-wire store (mongo-java-server behind
# infra/store's main), both from Maven Central jars.
#   infra/stack.sh install                      fetch the Kafka jars and build the store (cached in .cache/infra),
#                                               the console's npm packages (npm ci, cached in .cache/console) into
#                                               services/console/src/console/static/vendor/, Swagger UI and ReDoc
#                                               (npm ci, cached in .cache/docs) into
#                                               buildingblocks/src/buildingblocks/static/docs/, and, as root,
#                                               apt-get install chromium and fonts-wqy-microhei if missing
#                                               (the browser tests'; not root and missing: refuses)
#   infra/stack.sh start STATE KAFKA_PORT MONGO_PORT   start both, wait until ready, create the topics
#                                               (STORE_BACKEND=file: H2 file under STATE/store, the default;
#                                                STORE_BACKEND=memory: nothing kept, for the test run)
#   infra/stack.sh services STATE KAFKA_PORT MONGO_PORT  start visits/issues/reporting/notifier (8001-8004), wait for /health,
#                                               then the console (8000), which calls them
#                                               (REPLICAS=N, 1..5: N replicas each on N*10000+port behind
#                                                our balancer on the public port)
#   infra/stack.sh stop STATE                   stop what STATE's pid files name (services first), nothing else
#   infra/stack.sh cluster STATE MONGO_PORT KPORT1 KPORT2 KPORT3   a three-node KRaft cluster (broker+controller
#                                               each, controller on KPORTn+1; infra/kafka/cluster.properties) and
#                                               the store; starts whatever of them is not running, creates no topics
#   infra/stack.sh status STATE                 list those pid files: running or not, and the port
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
LOG4J2_VERSION=${LOG4J2_VERSION:-2.24.3}
CACHE="$ROOT/.cache/infra"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION"
STORE_SRC="$ROOT/infra/store"
STORE_LIBS="$CACHE/store"
PY="$ROOT/.venv/bin/python"
CONSOLE_SRC="$ROOT/services/console"
CONSOLE_CACHE="$ROOT/.cache/console"
VENDOR="$CONSOLE_SRC/src/console/static/vendor"   # git-ignored: filled from the npm packages below
VENDOR_FILES="htmx.org/dist/htmx.min.js echarts/dist/echarts.min.js"
# Swagger UI and ReDoc for every service's /docs and /redoc (buildingblocks/docs.py serves exactly these files)
DOCS_SRC="$ROOT/buildingblocks"
DOCS_CACHE="$ROOT/.cache/docs"
DOCS_VENDOR="$DOCS_SRC/src/buildingblocks/static/docs"   # git-ignored, like the console's vendor/
DOCS_FILES="swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css swagger-ui-dist/favicon-32x32.png redoc/bundles/redoc.standalone.js"
BROWSER_PACKAGES="chromium fonts-wqy-microhei"

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
  local src_sum; src_sum=$(cat "$STORE_SRC/pom.xml" "$STORE_SRC"/src/main/java/local/store/*.java | sha256sum | cut -c1-16)
  if [ "$(cat "$STORE_LIBS/.ok" 2>/dev/null)" != "$src_sum" ]; then
    log "building the store (mongo-java-server and its main) with Maven"
    rm -rf "$STORE_LIBS"
    mvn -B -q -Dstyle.color=never -f "$STORE_SRC/pom.xml" -Dstore.out="$STORE_LIBS/build" \
      package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$STORE_LIBS"
    mv "$STORE_LIBS/build/store.jar" "$STORE_LIBS/store.jar" && rm -rf "$STORE_LIBS/build"
    echo "$src_sum" > "$STORE_LIBS/.ok"
  fi
  install_vendor
}

# Front-end files from the npm registry, as a package-lock.json pins them: `npm ci` in a cache folder (redone only
# when the lock or package.json changes), then the dist files copied where the Python package serves them from.
# The console's htmx and ECharts; Swagger UI and ReDoc for the services' /docs and /redoc. Nothing is loaded from a
# CDN and nothing of it is committed.
npm_vendor() {  # WHAT SRC CACHE VENDOR FILE...
  local what=$1 src=$2 cache=$3 vendor=$4 sum f stale=""; shift 4
  sum=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
  [ "$(cat "$cache/.ok" 2>/dev/null)" = "$sum" ] || stale=1
  for f in "$@"; do [ -f "$cache/node_modules/$f" ] || stale=1; done
  if [ -n "$stale" ]; then
    command -v npm >/dev/null || { log "npm not found: $what need Node.js 20+ with npm (Debian: apt-get install nodejs npm)"; exit 1; }
    log "installing $what (npm ci into $cache)"
    rm -rf "$cache" && mkdir -p "$cache"
    cp "$src/package.json" "$src/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$sum" > "$cache/.ok"
  fi
  mkdir -p "$vendor"
  for f in "$@"; do
    cmp -s "$cache/node_modules/$f" "$vendor/${f##*/}" || cp "$cache/node_modules/$f" "$vendor/"
  done
}

install_vendor() {
  # shellcheck disable=SC2086  # the lists are words
  npm_vendor "the console's front-end libraries" "$CONSOLE_SRC" "$CONSOLE_CACHE" "$VENDOR" $VENDOR_FILES
  # shellcheck disable=SC2086
  npm_vendor "Swagger UI and ReDoc (the services' /docs and /redoc)" "$DOCS_SRC" "$DOCS_CACHE" "$DOCS_VENDOR" $DOCS_FILES
}

# The browser tests' prerequisites (Playwright drives the system Chromium; never `playwright install`):
# /usr/bin/chromium and a CJK font, else every Chinese character renders as a box. Installed with apt as root,
# and only when one is missing; not root: refuse and say what to run.
install_browser() {
  local missing=""
  [ -x /usr/bin/chromium ] || missing+=" /usr/bin/chromium"
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    || dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null | grep -q 'install ok installed' \
    || missing+=" fonts-wqy-microhei"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing for the console's browser tests:$missing"
    log "run as root: apt-get update && apt-get install -y --no-install-recommends $BROWSER_PACKAGES (then make install again)"
    exit 1
  fi
  command -v apt-get >/dev/null || { log "missing:$missing, and no apt-get here: install $BROWSER_PACKAGES yourself"; exit 1; }
  log "installing$missing with apt-get (the browser tests')"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $BROWSER_PACKAGES
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_store() {  # STATE MONGO_PORT: the store on its H2 file under STATE/store (STORE_BACKEND=memory: nothing kept)
  local state=$1 mport=$2 backend=${STORE_BACKEND:-file} where=()
  if alive "$state/store.pid"; then log "store already running (pid $(cat "$state/store.pid"))"; return; fi
  [ "$backend" = file ] && where=(--file "$state/store/store.mv")
  : > "$state/store.out"
  java -Xms64m -Xmx${STORE_HEAP:-1g} -XX:+UseG1GC -XX:TieredStopAtLevel=1 -cp "$STORE_LIBS/*" local.store.Store \
    --port "$mport" "${where[@]}" >> "$state/store.out" 2>&1 &
  echo $! > "$state/store.pid"
  log "store ($backend) starting on 127.0.0.1:$mport (pid $!)"
}

wait_store() {  # STATE
  local state=$1
  for _ in $(seq 120); do
    grep -q "store ready" "$state/store.out" 2>/dev/null && break
    alive "$state/store.pid" || { log "store died:"; tail -n 30 "$state/store.out" >&2; exit 1; }
    sleep 0.25
  done
  grep -q "store ready" "$state/store.out" || { log "store not ready after 30 s"; exit 1; }
}

start() {
  local state=$1 kport=$2 mport=$3 cport=$(( $2 + 1 ))
  mkdir -p "$state/kafka-logs" "$state/store"
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

  start_store "$state" "$mport"

  for _ in $(seq 120); do
    grep -q "Kafka Server started" "$state/kafka-logs/server.log" 2>/dev/null && break
    alive "$state/kafka.pid" || { log "Kafka died:"; tail -n 30 "$state/kafka.out" >&2; exit 1; }
    sleep 0.5
  done
  grep -q "Kafka Server started" "$state/kafka-logs/server.log" || { log "Kafka not ready after 60 s"; exit 1; }
  wait_store "$state"

  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kport" MONGODB_URI="mongodb://127.0.0.1:$mport/?directConnection=true" \
    "$PY" -m buildingblocks.topics --wait-mongo
  log "ready: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kport MONGODB_URI=mongodb://127.0.0.1:$mport/?directConnection=true"
}

BACKENDS="visits:8001 issues:8002 reporting:8003 notifier:8004"
FRONTENDS="console:8000"  # the web console: calls the back ends, so started after them
SERVICES="$BACKENDS $FRONTENDS"
MAX_REPLICAS=5

# Like alive, but a zombie (killed, not yet reaped) does not count.
running() { alive "$1" && [ "$(ps -o stat= -p "$(cat "$1")" 2>/dev/null | cut -c1)" != Z ]; }

# The port of replica N of a service whose public port is P: N*10000 + P (18001, 28001, ... 58003).
replica_port() { echo $(( $1 * 10000 + $2 )); }

# The port a pid file's process listens on, from its name: visits → 8001, visits-2 → 28001, visits-lb → 8001.
port_of() {
  local name=$1 entry svc
  for entry in $SERVICES; do
    svc=${entry%%:*}
    case "$name" in
      "$svc"|"$svc-lb") echo "${entry##*:}"; return ;;
      "$svc"-[0-9]*) replica_port "${name#"$svc"-}" "${entry##*:}"; return ;;
    esac
  done
}

wait_health() {  # wait_health NAME PORT PIDFILE LOG
  for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$2/health" >/dev/null 2>&1 && return 0
    alive "$3" || { log "$1 died:"; tail -n 30 "$4" >&2; exit 1; }
    sleep 0.5
  done
  log "$1 not healthy on port $2 after 60 s"; exit 1
}

# With REPLICAS=1 (the default) each service listens on its public port itself, as before. With REPLICAS=N
# (2..5) replica i listens on i*10000 + the public port and our balancer (buildingblocks/balancer.py,
# TCP round robin skipping a replica that refuses) listens on the public port. The replicas of a service
# share its database (MONGODB_DB) and consumer group (CONSUMER_GROUP), both the service's defaults.
# The console (FRONTENDS) calls the three others, so it is started once they answer /health; it keeps its
# sessions in the store (CONSOLE_MONGODB_DB), so its replicas are interchangeable behind the balancer too.
services() {
  local state=$1 kport=$2 mport=$3 n=${REPLICAS:-1} entry svc name pidfile names expected
  case "$n" in ''|*[!0-9]*) log "REPLICAS must be a number from 1 to $MAX_REPLICAS"; exit 2 ;; esac
  [ "$n" -ge 1 ] && [ "$n" -le "$MAX_REPLICAS" ] || { log "REPLICAS must be from 1 to $MAX_REPLICAS"; exit 2; }
  mkdir -p "$state/services" "$state/logs"
  for entry in $SERVICES; do  # another replica count running? Refuse before starting anything.
    svc=${entry%%:*}
    names=$(replica_names "$svc" "$n"); expected=" $names "
    for pidfile in "$state/services/$svc".pid "$state/services/$svc"-*.pid; do
      [ -f "$pidfile" ] || continue
      name=$(basename "$pidfile" .pid)
      if running "$pidfile" && [ "${expected#* "$name" }" = "$expected" ]; then
        log "$svc runs with another replica count ($name, pid $(cat "$pidfile")): make down first"; exit 1
      fi
    done
  done
  for entry in $BACKENDS; do launch "$state" "$kport" "$mport" "$n" "$entry"; done
  for entry in $BACKENDS; do await "$state" "$n" "$entry"; done
  for entry in $FRONTENDS; do launch "$state" "$kport" "$mport" "$n" "$entry"; done
  for entry in $FRONTENDS; do await "$state" "$n" "$entry"; done
}

# The pid-file names of a service with N replicas: visits, or visits-1 … visits-N visits-lb.
replica_names() {
  if [ "$2" -eq 1 ]; then echo "$1"; else echo "$(for i in $(seq "$2"); do printf '%s ' "$1-$i"; done)$1-lb"; fi
}

launch() {  # launch STATE KAFKA_PORT MONGO_PORT N SVC:PORT: start what of it is not running
  local state=$1 kport=$2 mport=$3 n=$4 svc=${5%%:*} port=${5##*:} name pidfile i extra
  for name in $(replica_names "$svc" "$n"); do
    pidfile="$state/services/$name.pid"
    if running "$pidfile"; then log "$name already running (pid $(cat "$pidfile"))"; continue; fi
    if [ "$name" = "$svc-lb" ]; then
      local backends=()
      for i in $(seq "$n"); do backends+=(--backend "127.0.0.1:$(replica_port "$i" "$port")"); done
      "$PY" -m buildingblocks.balancer --listen "127.0.0.1:$port" "${backends[@]}" >> "$state/logs/$name.log" 2>&1 &
      echo $! > "$pidfile"
      log "$svc balancer on http://127.0.0.1:$port over $n replicas (pid $!, log $state/logs/$name.log)"
    else
      extra=()
      # The console reads CONSOLE_PORT before PORT: set both, so a CONSOLE_PORT in the caller's shell cannot move it.
      [ "$svc" = console ] && extra=(CONSOLE_PORT="$(port_of "$name")" VISITS_URL=http://127.0.0.1:8001
                                     ISSUES_URL=http://127.0.0.1:8002 REPORTING_URL=http://127.0.0.1:8003
                                     NOTIFIER_URL=http://127.0.0.1:8004)
      env KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kport" MONGODB_URI="mongodb://127.0.0.1:$mport/?directConnection=true" \
        PORT="$(port_of "$name")" "${extra[@]}" "$PY" -m "$svc" >> "$state/logs/$name.log" 2>&1 &
      echo $! > "$pidfile"
      log "$name starting on http://127.0.0.1:$(port_of "$name") (pid $!, log $state/logs/$name.log)"
    fi
  done
}

await() {  # await STATE N SVC:PORT: every replica, then the balancer, answers /health
  local state=$1 n=$2 svc=${3%%:*} port=${3##*:} name
  for name in $(replica_names "$svc" "$n"); do
    wait_health "$name" "$(port_of "$name")" "$state/services/$name.pid" "$state/logs/$name.log"
  done
  curl -fsS "http://127.0.0.1:$port/health" >&2 || { log "$svc not healthy on $port"; exit 1; }
  echo >&2
}

# Stop what STATE's pid files name: the services (balancers first, then the replicas), then Kafka and the store.
stop() {
  local state=$1 pidfile
  if [ -d "$state/services" ]; then
    for pidfile in "$state/services"/*-lb.pid; do stop_pid "$pidfile"; done
    for pidfile in "$state/services"/*.pid; do stop_pid "$pidfile"; done
  fi
  for pidfile in "$state"/*.pid; do stop_pid "$pidfile"; done
}

stop_pid() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$(basename "$pidfile" .pid) did not stop in 15 s; SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
    log "stopped $(basename "$pidfile" .pid) (pid $pid)"
  fi
  rm -f "$pidfile"
}

# What STATE's pid files name, whether each runs, and on which port.
status() {
  local state=$1 pidfile name pid port what
  for pidfile in "$state"/*.pid "$state"/services/*.pid; do
    [ -f "$pidfile" ] || continue
    name=$(basename "$pidfile" .pid); pid=$(cat "$pidfile"); port=$(port_of "$name"); what=""
    case "$name" in
      *-lb) what=" balancer on :$port" ;;
      *) [ -n "$port" ] && what=" on :$port" ;;
    esac
    if running "$pidfile"; then echo "$name: running (pid $pid)$what"; else echo "$name: not running (pid $pid)$what"; fi
  done
}

cluster() {
  local state=$1 mport=$2; shift 2
  [ $# -eq 3 ] || { log "cluster wants three Kafka ports"; exit 2; }
  mkdir -p "$state/store"
  state=$(cd "$state" && pwd)
  local jt=(java -Xmx256m "-Dlog4j2.configurationFile=$ROOT/infra/kafka/tools-log4j2.xml" -cp "$KAFKA_LIBS/*")
  local ports=("$@") voters="" n dir
  for n in 1 2 3; do voters+="${voters:+,}$n@127.0.0.1:$(( ports[n-1] + 1 ))"; done
  [ -f "$state/cluster.id" ] || "${jt[@]}" kafka.tools.StorageTool random-uuid > "$state/cluster.id"
  for n in 1 2 3; do
    dir="$state/kafka-$n"
    if alive "$state/kafka-$n.pid"; then log "Kafka node $n already running (pid $(cat "$state/kafka-$n.pid"))"; continue; fi
    mkdir -p "$dir/kafka-logs"
    sed -e "s#NODE_ID#$n#" -e "s#RUN_DIR#$dir#" -e "s#VOTERS#$voters#" -e "s#CONTROLLER_PORT#$(( ports[n-1] + 1 ))#g" \
      -e "s#KAFKA_PORT#${ports[n-1]}#g" "$ROOT/infra/kafka/cluster.properties" > "$dir/server.properties"
    if [ ! -f "$dir/kafka-data/meta.properties" ]; then
      "${jt[@]}" kafka.tools.StorageTool format -t "$(cat "$state/cluster.id")" -c "$dir/server.properties" --ignore-formatted >/dev/null
    fi
    : > "$dir/kafka-logs/server.log"
    java -Xms128m -Xmx${KAFKA_NODE_HEAP:-512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
      "-Dlog4j2.configurationFile=$ROOT/infra/kafka/log4j2.xml" "-Dkafka.logs.dir=$dir/kafka-logs" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/kafka.out" 2>&1 &
    echo $! > "$state/kafka-$n.pid"
    log "Kafka node $n starting on 127.0.0.1:${ports[n-1]} (pid $!)"
  done

  start_store "$state" "$mport"

  for n in 1 2 3; do
    dir="$state/kafka-$n"
    for _ in $(seq 240); do
      grep -q "Kafka Server started" "$dir/kafka-logs/server.log" 2>/dev/null && break
      alive "$state/kafka-$n.pid" || { log "Kafka node $n died:"; tail -n 30 "$dir/kafka.out" >&2; exit 1; }
      sleep 0.5
    done
    grep -q "Kafka Server started" "$dir/kafka-logs/server.log" || { log "Kafka node $n not ready after 120 s"; exit 1; }
  done
  wait_store "$state"
  log "ready: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]} MONGODB_URI=mongodb://127.0.0.1:$mport/?directConnection=true"
}

cmd=${1:-}; shift || true
case "$cmd" in
  install) install_browser; install ;;
  start) install; start "$@" ;;
  services) services "$@" ;;
  stop) stop "$@" ;;
  cluster) install; cluster "$@" ;;
  status) status "$@" ;;
  *) echo "usage: $0 install | start|services STATE KAFKA_PORT MONGO_PORT | stop|status STATE | cluster STATE MONGO_PORT KPORT1 KPORT2 KPORT3" >&2; exit 2 ;;
esac
