#!/usr/bin/env bash
# How fast a membership change reaches every node: from the seed's list changing to each node
# having installed it. Starts a seed and NODES (5) nodes as processes on 127.0.0.1, then makes
# EVENTS (50) joins and as many leaves: an extra node started (it registers) and stopped with
# SIGTERM (it deregisters). For every change, each node reports in GET /cluster how long after the
# seed's change it installed that list (its own clock against the seed's `changedAt`: one machine,
# one clock) and by which path (watch, refresh, peer, heartbeat); the script prints p50, p99 and
# max over all of them, and the count per path.
#
#   bench/membership.sh
#
# Settings (environment): NODES (5), EVENTS (50), SEED_PORT (19500), BASE_PORT (19501),
# HEARTBEAT_INTERVAL (5s, the default: the watch, not the heartbeat, is what is measured),
# JAVA_OPTS. Needs curl, jq and python3; the jars are built when missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
NODES=${NODES:-5}
EVENTS=${EVENTS:-50}
SEED_PORT=${SEED_PORT:-19500}
BASE_PORT=${BASE_PORT:-19501}
HEARTBEAT_INTERVAL=${HEARTBEAT_INTERVAL:-5s}
JAVA_OPTS=${JAVA_OPTS:-}
TOKEN=bench-$RANDOM$RANDOM
work=$(mktemp -d -t kv-membership-XXXXXX)
pids=()

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "membership bench: $*" >&2; exit 1; }
for tool in curl jq python3; do command -v $tool >/dev/null || die "needs $tool"; done

cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$top/seed/target/seed.jar" ] || [ ! -f "$top/kv-node/target/kv-node.jar" ]; then
  log "building the jars"
  (cd "$top" && mvn -q -B package -DskipTests)
fi

seed_url=http://127.0.0.1:$SEED_PORT
# shellcheck disable=SC2086
SEED_PORT=$SEED_PORT SEED_BIND=127.0.0.1 CLUSTER_TOKEN=$TOKEN \
  java $JAVA_OPTS -jar "$top/seed/target/seed.jar" >"$work/seed.log" 2>&1 &
pids+=($!)

start_node() { # index -> pid
  local port=$((BASE_PORT + $1))
  mkdir -p "$work/node-$1"
  # shellcheck disable=SC2086
  NODE_PORT=$port NODE_BIND=127.0.0.1 ADVERTISE_ADDR=127.0.0.1:$port SEED_URL=$seed_url \
    DATA_DIR="$work/node-$1" CLUSTER_TOKEN=$TOKEN HEARTBEAT_INTERVAL=$HEARTBEAT_INTERVAL \
    SHUTDOWN_DRAIN=0s java $JAVA_OPTS -jar "$top/kv-node/target/kv-node.jar" \
    >>"$work/node-$1.log" 2>&1 &
  echo $!
}

version() { curl -fsS "$seed_url/members" | jq .version; }
members() { curl -fsS "$seed_url/members" | jq '.members | length'; }

until curl -fsS -o /dev/null "$seed_url/health" 2>/dev/null; do sleep 0.2; done
for i in $(seq 1 "$NODES"); do pids+=("$(start_node "$i")"); done
until [ "$(members 2>/dev/null || echo 0)" = "$NODES" ]; do sleep 0.2; done
log "$NODES nodes up; work directory $work"

# every node's delay for version $1, once each has it (or has moved past it)
collect() {
  local want=$1 i body
  for i in $(seq 1 "$NODES"); do
    for _ in $(seq 1 200); do
      body=$(curl -fsS "http://127.0.0.1:$((BASE_PORT + i))/cluster") || body='{}'
      if [ "$(jq ".version >= $want" <<<"$body")" = true ]; then
        jq -r "select(.version == $want and .installed != null)
          | \"\(.installed.delayMillis) \(.installed.source)\"" <<<"$body" >>"$work/delays"
        break
      fi
      sleep 0.05
    done
  done
}

extra=$((NODES + 1))
for event in $(seq 1 "$EVENTS"); do
  before=$(version)
  pid=$(start_node "$extra")
  until [ "$(version)" != "$before" ]; do sleep 0.05; done
  collect "$(version)"
  until [ "$(members)" = "$extra" ]; do sleep 0.05; done
  before=$(version)
  kill -TERM "$pid"
  until [ "$(version)" != "$before" ]; do sleep 0.05; done
  collect "$(version)"
  wait "$pid" 2>/dev/null || true
  log "change $((2 * event)) of $((2 * EVENTS)) measured"
done

python3 - "$work/delays" "$NODES" "$EVENTS" <<'PY'
import sys, collections
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
delays = sorted(int(r[0]) for r in rows)
by = collections.Counter(r[1] for r in rows)
def pct(p):
    return delays[min(len(delays) - 1, int(round(p / 100 * (len(delays) - 1))))]
print(f"membership propagation: {sys.argv[2]} nodes, {sys.argv[3]} joins + {sys.argv[3]} leaves,"
      f" {len(delays)} installs measured")
print("| p50 | p99 | max | installed by |")
print("| --- | --- | --- | --- |")
print(f"| {pct(50)} ms | {pct(99)} ms | {delays[-1]} ms | "
      + ", ".join(f"{k} {v}" for k, v in by.most_common()) + " |")
PY
