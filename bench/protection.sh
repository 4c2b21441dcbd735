#!/usr/bin/env bash
# Issue 14 item 4, the heavy cases: does a node, and the seed, stay bounded and responsive under
#   - CLIENTS (200) clients sending 1 MiB bodies as fast as they are answered (after a 503 each
#     waits the second Retry-After asks for), and
#   - CLIENTS connections sending bodies at 1 byte/s (each connects again once answered)?
# A local cluster (seed + 3 nodes, STORAGE=memory, a random CLUSTER_TOKEN) is started with the
# heaps the Docker images would get under the compose file's memory limits (node: -Xmx512m, half
# of NODE_MEMORY=1g; seed: -Xmx288m, three quarters of SEED_MEMORY=384m). bench/Protection.java
# (run with the JDK's source launcher) attacks node 1 (PUT /put) and then the seed (POST
# /register, without the token) for DURATION seconds each, while another client GETs from the
# attacked service every 20 ms, the attacked process's RSS is sampled every 250 ms and the seed's
# member list every 500 ms. It prints one row per attack:
#   answers   what the attacking clients got back (status code: count; "error: ..." for a failure)
#   probes    the other client's GETs (and how many were not 200), with p50/p99/max latency
#   RSS MiB   the attacked process's largest resident set
#   members   the fewest members the seed listed at any moment (3 = no node expired)
#   CPU %     the attacked process's CPU time over the attack, in % of one core; bench %: the load
#             generator's own (both share the machine's two cores)
# and then the targets: every request answered (204, 503, 408; 401 for the stranger on the seed),
# RSS under the memory limit, probe p99 under 100 ms, no node expired.
#
#   bench/protection.sh
#
# Settings (environment): DURATION (30), CLIENTS (200), ATTACKS (all four: "node-big,node-slow,
# seed-big,seed-slow"), SEED_PORT (19700), BASE_PORT (18701),
# NODE_JAVA_OPTS (-Xmx512m), SEED_JAVA_OPTS (-Xmx288m), NODE_LIMIT_MIB (1024), SEED_LIMIT_MIB (384),
# and any node setting of the README (passed through to the nodes, e.g. MAX_BYTES_IN_FLIGHT).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-200}
SEED_PORT=${SEED_PORT:-19700}
BASE_PORT=${BASE_PORT:-18701}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:--Xmx512m}
SEED_JAVA_OPTS=${SEED_JAVA_OPTS:--Xmx288m}
NODE_LIMIT_MIB=${NODE_LIMIT_MIB:-1024}
SEED_LIMIT_MIB=${SEED_LIMIT_MIB:-384}

die() { echo "protection: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

work=$(mktemp -d /tmp/kv-protection.XXXXXX)
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
log "work directory $work"

jar=$top/kv-node/target/kv-node.jar
if [ ! -f "$jar" ] || [ ! -f "$top/seed/target/seed.jar" ] ||
  [ -n "$(find "$top" -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  log "building the jars (mvn -q -B -o package -DskipTests)"
  (cd "$top" && mvn -q -B -o package -DskipTests)
fi
for p in "$SEED_PORT" "$BASE_PORT" $((BASE_PORT + 1)) $((BASE_PORT + 2)); do
  ! curl -s -o /dev/null "http://127.0.0.1:$p/" || die "port $p is in use; set SEED_PORT/BASE_PORT"
done

cluster() { # start|stop
  SEED_PORT=$SEED_PORT BASE_PORT=$BASE_PORT NODES=3 LOCAL_CLUSTER_DIR=$work/cluster \
    CLUSTER_TOKEN=$token JAVA_OPTS=$NODE_JAVA_OPTS SEED_JAVA_OPTS=$SEED_JAVA_OPTS \
    "$top/scripts/local-cluster.sh" "$1" >&2
}
trap 'cluster stop || true' EXIT
cluster start

log "attacking for ${DURATION}s each with $CLIENTS clients"
java -Xmx1g "$here/Protection.java" "http://127.0.0.1:$SEED_PORT" "http://127.0.0.1:$BASE_PORT" \
  "http://127.0.0.1:$((BASE_PORT + 1))" "$(cat "$work/cluster/seed.pid")" \
  "$(cat "$work/cluster/node-1.pid")" "$token" "$DURATION" "$CLIENTS" "${ATTACKS:-}" \
  | tee "$work/table.txt"

echo
echo "Targets: every request answered (204, 503, 408; 401 for the stranger on the seed; no"
echo "'error'/'no answer'), node RSS < $NODE_LIMIT_MIB MiB, seed RSS < $SEED_LIMIT_MIB MiB, probe p99 < 100 ms,"
echo "members 3 throughout (no node expired). Logs: $work/cluster/"
