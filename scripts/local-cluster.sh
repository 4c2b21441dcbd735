#!/usr/bin/env bash
# Starts (or stops) a seed and N storage nodes as local processes on 127.0.0.1.
#
#   scripts/local-cluster.sh start     build if needed, start seed + nodes, wait until they agree
#   scripts/local-cluster.sh stop      stop them (SIGTERM, then SIGKILL after 10 s)
#   scripts/local-cluster.sh status    show what is running
#
# Settings (environment): NODES (3), SEED_PORT (9000), BASE_PORT (8001: nodes get 8001, 8002, ...),
# JAVA_OPTS (-Xmx512m when unset: each JVM's heap), SEED_JAVA_OPTS (the seed's; JAVA_OPTS by
# default), LOCAL_CLUSTER_DIR (where logs, pid files, the cluster token and node data live;
# .local-cluster/ at the top of the checkout), and any node setting of the README (passed through).
#
# Cluster token: generated once per state directory (LOCAL_CLUSTER_DIR/cluster-token, readable by
# you only) and reused on every start, so two local clusters never share one. CLUSTER_TOKEN or
# CLUSTER_TOKEN_FILE in the environment is used instead; ALLOW_OPEN_CLUSTER=true runs open.
#
# start checks that the ports are free before it starts anything, and that the processes it
# started are the ones answering (alive, its seed accepts its token, each node reports the id it
# keeps in its data directory). On any failure it says why, stops what it started and exits 1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
state=${LOCAL_CLUSTER_DIR:-$top/.local-cluster}
NODES=${NODES:-3}
SEED_PORT=${SEED_PORT:-9000}
BASE_PORT=${BASE_PORT:-8001}
JAVA_OPTS=${JAVA_OPTS--Xmx512m} # unset: 512 MiB; without a bound a JVM may take a quarter of RAM
SEED_JAVA_OPTS=${SEED_JAVA_OPTS-$JAVA_OPTS}
started=() # pids this invocation started, stopped again if start fails

die() { echo "local-cluster: $*" >&2; exit 1; }

# Says why, stops every process this invocation started, exits 1.
fail() {
  echo "local-cluster: $*" >&2
  if [ ${#started[@]} -gt 0 ]; then
    echo "local-cluster: stopping the ${#started[@]} process(es) this start launched" >&2
    stop_pids "${started[@]}" >/dev/null
    rm -f "$state"/*.pid
  fi
  exit 1
}

# A pid file whose process is alive and is one of our jars (not a recycled pid).
running() {
  [ -f "$1" ] || return 1
  local pid
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= 2>/dev/null | grep -q -- '-jar .*\(seed\|kv-node\)\.jar'
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Why a process stopped: the first error lines of its log (not a stack trace), else its last lines.
last_lines() {
  { grep -m 3 -E ' ERROR |^Exception|^Caused by' "$1" 2>/dev/null || tail -n 5 "$1" 2>/dev/null; } \
    | cut -c1-300 | sed 's/^/    /'
}

members_seen_by() { # port -> number of members in that node's view
  curl -fsS --max-time 2 "http://127.0.0.1:$1/cluster" 2>/dev/null | grep -o '"id":' | wc -l
}

# The token this cluster uses: the caller's, or one generated once for this state directory.
choose_token() {
  if [ -n "${CLUSTER_TOKEN:-}" ] || [ -n "${CLUSTER_TOKEN_FILE:-}" ]; then
    return 0
  fi
  if [ "${ALLOW_OPEN_CLUSTER:-}" = true ]; then
    echo "local-cluster: ALLOW_OPEN_CLUSTER=true: starting an open cluster (no token)" >&2
    return 0
  fi
  local file="$state/cluster-token"
  if [ ! -s "$file" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$file.tmp" \
      && mv "$file.tmp" "$file")
    echo "Generated this cluster's token in $file"
  fi
  export CLUSTER_TOKEN_FILE=$file
}

# The token as the services read it: surrounding whitespace (a trailing newline) removed.
token_value() {
  local token=""
  if [ -n "${CLUSTER_TOKEN:-}" ]; then
    token=$CLUSTER_TOKEN
  elif [ -n "${CLUSTER_TOKEN_FILE:-}" ]; then
    token=$(cat "$CLUSTER_TOKEN_FILE" 2>/dev/null) || true
  fi
  token="${token#"${token%%[![:space:]]*}"}"
  printf '%s' "${token%"${token##*[![:space:]]}"}"
}

# Asks the seed about an id nobody has, with our token: 404 unknown_node means it took the token;
# 401 means it is another cluster's seed. The token goes on stdin, not on a command line.
seed_accepts_our_token() {
  local token code
  token=$(token_value)
  [ -n "$token" ] || return 0 # open cluster: nothing to prove
  code=$(printf 'X-Kv-Cluster-Token: %s\n' "$token" | curl -sS -o /dev/null -w '%{http_code}' \
    --max-time 5 -H @- -H 'Content-Type: application/json' \
    -d '{"nodeId":"local-cluster-probe"}' "http://127.0.0.1:$SEED_PORT/heartbeat" 2>/dev/null) || true
  case "$code" in
    404) return 0 ;;
    401) fail "the seed answering on port $SEED_PORT refuses this cluster's token: it is not the" \
      "seed this script started (another cluster on that port?). See $state/seed.log" ;;
    *) fail "the seed on port $SEED_PORT answered a heartbeat probe with HTTP '$code'; see $state/seed.log" ;;
  esac
}

start_seed() {
  # shellcheck disable=SC2086
  SEED_PORT=$SEED_PORT SEED_BIND=127.0.0.1 nohup java $SEED_JAVA_OPTS -jar "$top/seed/target/seed.jar" \
    >"$state/seed.log" 2>&1 &
  echo $! >"$state/seed.pid"
  started+=($!)
  local deadline=$((SECONDS + 30))
  until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$SEED_PORT/health" 2>/dev/null; do
    running "$state/seed.pid" || fail "the seed exited at start:"$'\n'"$(last_lines "$state/seed.log")"
    [ $SECONDS -lt $deadline ] || fail "the seed did not answer on port $SEED_PORT within 30 s; see $state/seed.log"
    sleep 0.2
  done
  running "$state/seed.pid" || fail "something answers on port $SEED_PORT, but the seed this script" \
    "started exited:"$'\n'"$(last_lines "$state/seed.log")"
  seed_accepts_our_token
}

start_node() { # index
  local i=$1 port=$((BASE_PORT + $1 - 1))
  mkdir -p "$state/node-$i"
  # shellcheck disable=SC2086
  NODE_PORT=$port NODE_BIND=127.0.0.1 ADVERTISE_ADDR=127.0.0.1:$port \
    SEED_URL=http://127.0.0.1:$SEED_PORT DATA_DIR="$state/node-$i" HEARTBEAT_INTERVAL=${HEARTBEAT_INTERVAL:-1s} \
    nohup java $JAVA_OPTS -jar "$top/kv-node/target/kv-node.jar" >"$state/node-$i.log" 2>&1 &
  echo $! >"$state/node-$i.pid"
  started+=($!)
}

# Fails at once if node i died, was refused by the seed, or if its port answers as another node;
# succeeds once node i answers on its port with the id it keeps in its data directory.
node_is_ours() { # index
  local i=$1 port=$((BASE_PORT + $1 - 1)) self expected
  running "$state/node-$i.pid" || fail "node $i (port $port) exited:"$'\n'"$(last_lines "$state/node-$i.log")"
  if grep -q 'Cannot join\|Not joining' "$state/node-$i.log" 2>/dev/null; then
    fail "the seed refused node $i (port $port):"$'\n'"$(grep 'Cannot join\|Not joining' "$state/node-$i.log" | tail -n 1)"
  fi
  self=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/cluster" 2>/dev/null \
    | sed -n 's/.*"self":"\([^"]*\)".*/\1/p') || true
  expected=$(cat "$state/node-$i/node-id" 2>/dev/null) || true
  if [ -n "$self" ] && [ -n "$expected" ] && [ "$self" != "$expected" ]; then
    fail "port $port answers as node '$self', not as node $i ('$expected'): another process owns it"
  fi
  [ -n "$self" ] && [ "$self" = "$expected" ]
}

start() {
  mkdir -p "$state"
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    running "$f" && die "already running (see '$0 status'); stop it first"
    rm -f "$f" # stale: its process is gone
  done
  local ports=("$SEED_PORT")
  for i in $(seq 1 "$NODES"); do ports+=($((BASE_PORT + i - 1))); done
  for port in "${ports[@]}"; do
    port_in_use "$port" && die "port $port on 127.0.0.1 is already in use (another cluster? the" \
      "Docker one publishes 9000 and 8001-8100); nothing started. Stop it, or choose other ports," \
      "e.g. SEED_PORT=$((SEED_PORT + 10000)) BASE_PORT=$((BASE_PORT + 10000)) $0 start"
  done
  if [ ! -f "$top/seed/target/seed.jar" ] || [ ! -f "$top/kv-node/target/kv-node.jar" ]; then
    echo "Building the jars (mvn -q -B package -DskipTests)..."
    (cd "$top" && mvn -q -B package -DskipTests)
  fi
  choose_token
  start_seed
  for i in $(seq 1 "$NODES"); do start_node "$i"; done
  local deadline=$((SECONDS + 60))
  for i in $(seq 1 "$NODES"); do
    local port=$((BASE_PORT + i - 1))
    until node_is_ours "$i" && [ "$(members_seen_by $port)" -eq "$NODES" ]; do
      [ $SECONDS -lt $deadline ] || fail "node $i (port $port) did not see all $NODES nodes within 60 s; see $state/node-$i.log"
      sleep 0.2
    done
  done
  running "$state/seed.pid" || fail "the seed exited:"$'\n'"$(last_lines "$state/seed.log")"
  for i in $(seq 1 "$NODES"); do node_is_ours "$i" || fail "node $i stopped answering"; done
  echo "seed   http://127.0.0.1:$SEED_PORT"
  for i in $(seq 1 "$NODES"); do echo "node-$i http://127.0.0.1:$((BASE_PORT + i - 1))"; done
  if [ -n "${CLUSTER_TOKEN_FILE:-}" ]; then echo "token  $CLUSTER_TOKEN_FILE"; fi
  echo "logs   $state/   stop with: ${LOCAL_CLUSTER_DIR:+LOCAL_CLUSTER_DIR=$state }$0 stop"
}

# SIGTERM, then SIGKILL after 10 s.
stop_pids() {
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
  done
}

stop() {
  [ -d "$state" ] || { echo "nothing to stop"; return 0; }
  local pids=()
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    if running "$f"; then pids+=("$(cat "$f")"); fi
    rm -f "$f"
  done
  if [ ${#pids[@]} -gt 0 ]; then stop_pids "${pids[@]}"; fi
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
