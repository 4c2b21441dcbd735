#!/usr/bin/env bash
# Starts (or stops) a seed and N storage nodes as local processes on 127.0.0.1.
#
#   scripts/local-cluster.sh start     build if needed, start seed + nodes, wait until they agree
#   scripts/local-cluster.sh stop      stop them (SIGTERM, then SIGKILL after 10 s)
#   scripts/local-cluster.sh status    show what is running
#
# Settings (environment): NODES (3), SEED_PORT (9000), BASE_PORT (8001: nodes get 8001, 8002, ...),
# CLUSTER_TOKEN (local-dev-token), JAVA_OPTS (-Xmx512m when unset: each JVM's heap), SEED_JAVA_OPTS
# (the seed's; JAVA_OPTS by default), LOCAL_CLUSTER_DIR (where logs, pid files and node data
# live; .local-cluster/ at the top of the checkout), and any node setting of the README (passed
# through).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
state=${LOCAL_CLUSTER_DIR:-$top/.local-cluster}
NODES=${NODES:-3}
SEED_PORT=${SEED_PORT:-9000}
BASE_PORT=${BASE_PORT:-8001}
export CLUSTER_TOKEN=${CLUSTER_TOKEN:-local-dev-token}
JAVA_OPTS=${JAVA_OPTS--Xmx512m} # unset: 512 MiB; without a bound a JVM may take a quarter of RAM
SEED_JAVA_OPTS=${SEED_JAVA_OPTS-$JAVA_OPTS}

die() { echo "local-cluster: $*" >&2; exit 1; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_http() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

members_seen_by() { # port -> number of members in that node's view
  curl -fsS "http://127.0.0.1:$1/cluster" 2>/dev/null | grep -o '"id":' | wc -l
}

start() {
  mkdir -p "$state"
  for f in "$state"/*.pid; do
    [ -e "$f" ] && running "$f" && die "already running (see '$0 status'); stop it first"
  done
  if [ ! -f "$top/seed/target/seed.jar" ] || [ ! -f "$top/kv-node/target/kv-node.jar" ]; then
    echo "Building the jars (mvn -q -B package -DskipTests)..."
    (cd "$top" && mvn -q -B package -DskipTests)
  fi
  # shellcheck disable=SC2086
  SEED_PORT=$SEED_PORT SEED_BIND=127.0.0.1 nohup java $SEED_JAVA_OPTS -jar "$top/seed/target/seed.jar" \
    >"$state/seed.log" 2>&1 &
  echo $! >"$state/seed.pid"
  wait_http "http://127.0.0.1:$SEED_PORT/health" 30 || die "seed did not start; see $state/seed.log"
  for i in $(seq 1 "$NODES"); do
    local port=$((BASE_PORT + i - 1))
    mkdir -p "$state/node-$i"
    # shellcheck disable=SC2086
    NODE_PORT=$port NODE_BIND=127.0.0.1 ADVERTISE_ADDR=127.0.0.1:$port \
      SEED_URL=http://127.0.0.1:$SEED_PORT DATA_DIR="$state/node-$i" HEARTBEAT_INTERVAL=${HEARTBEAT_INTERVAL:-1s} \
      nohup java $JAVA_OPTS -jar "$top/kv-node/target/kv-node.jar" >"$state/node-$i.log" 2>&1 &
    echo $! >"$state/node-$i.pid"
  done
  for i in $(seq 1 "$NODES"); do
    local port=$((BASE_PORT + i - 1)) deadline=$((SECONDS + 60))
    until [ "$(members_seen_by $port)" -eq "$NODES" ]; do
      [ $SECONDS -lt $deadline ] || die "node $i (port $port) did not see all $NODES nodes; see $state/node-$i.log"
      sleep 0.2
    done
  done
  echo "seed   http://127.0.0.1:$SEED_PORT"
  for i in $(seq 1 "$NODES"); do echo "node-$i http://127.0.0.1:$((BASE_PORT + i - 1))"; done
  echo "logs   $state/   stop with: $0 stop"
}

stop() {
  [ -d "$state" ] || { echo "nothing to stop"; return 0; }
  local pids=()
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    if running "$f"; then kill -TERM "$(cat "$f")"; pids+=("$(cat "$f")"); fi
    rm -f "$f"
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
  done
  echo "stopped ${#pids[@]} process(es)"
}

status() {
  [ -d "$state" ] || { echo "not running"; return 0; }
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    if running "$f"; then echo "$(basename "$f" .pid) running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid) dead"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
