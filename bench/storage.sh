#!/usr/bin/env bash
# RocksDB versus memory on a single node (REPLICATION_FACTOR = WRITE_QUORUM = READ_QUORUM = 1),
# through the HTTP API, with wrk on 127.0.0.1. For each engine in ENGINES:
#
#   memory        STORAGE=memory
#   rocksdb       STORAGE=rocksdb, ROCKSDB_SYNC=false (the default: WAL written, not fsynced)
#   rocksdb-sync  STORAGE=rocksdb, ROCKSDB_SYNC=true (WAL fsynced before each acknowledgement)
#
# it starts a fresh seed and node, warms the JIT up (WARMUP seconds of GETs and PUTs on 1,000
# keys), then
#
#   load  PUTs KEYS (1,000,000) new keys of VALUE_BYTES (100) bytes, each once: rate and latency
#   get   GETs random loaded keys for DURATION seconds
#   put   PUTs random loaded keys (overwrites) for DURATION seconds
#   mem   the node's resident memory (VmRSS, /proc/<pid>/status) and Java heap in use, idle before
#         the load and again at the end, each right after a full GC (jcmd GC.run), so the
#         difference is what the keys cost; the size of DATA_DIR/rocksdb on disk (apparent size:
#         RocksDB preallocates its log); and the GC pauses of the whole run (-Xlog:gc)
#
# Values are random letters (see storage.lua), so compression does not flatter the disk size.
# Results: two Markdown tables on stdout; wrk output, GC and node logs stay in the work directory
# printed at the start.
#
# Settings (environment): ENGINES ("memory rocksdb rocksdb-sync"), KEYS (1000000), VALUE_BYTES
# (100), DURATION (20), WARMUP (10), CONNECTIONS (32), THREADS (2, wrk threads), JAVA_OPTS for the
# node ("-Xmx2g"), SEED_PORT (19600), NODE_PORT (19601), QUIET_BUSY (10) and QUIET_WAIT (120):
# before each measurement wait up to QUIET_WAIT s for the machine to be at most QUIET_BUSY % busy
# (it may be shared); the table reports the CPU other processes used meanwhile ("others %").
# wrk, curl and jq are installed with apt-get when missing (as root). Everything is bounded:
# loopback only, fixed durations, a load that stops after KEYS requests (or LOAD_TIMEOUT, 1800 s).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
read -r -a ENGINES <<<"${ENGINES:-memory rocksdb rocksdb-sync}"
KEYS=${KEYS:-1000000}
VALUE_BYTES=${VALUE_BYTES:-100}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
JAVA_OPTS=${JAVA_OPTS:--Xmx2g}
SEED_PORT=${SEED_PORT:-19600}
NODE_PORT=${NODE_PORT:-19601}
QUIET_BUSY=${QUIET_BUSY:-10}
QUIET_WAIT=${QUIET_WAIT:-120}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-1800}
url="http://127.0.0.1:$NODE_PORT"
hz=$(getconf CLK_TCK)

die() { echo "storage-bench: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

require_tools() {
  local missing=()
  for tool in wrk curl jq jcmd; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  [[ " ${missing[*]} " == *" jcmd "* ]] && die "jcmd (from the JDK) is missing"
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_jars() { # package unless both jars exist and are newer than every source file and pom
  local jar=$top/kv-node/target/kv-node.jar
  if [ -f "$jar" ] && [ -f "$top/seed/target/seed.jar" ] &&
    [ -z "$(find "$top" -path '*/src/main/*' -newer "$jar" -print -quit)" ] &&
    [ -z "$(find "$top" -name pom.xml -newer "$jar" -print -quit)" ]; then
    return
  fi
  log "building the jars (mvn -q -B package -DskipTests)"
  (cd "$top" && mvn -q -B package -DskipTests)
}

work=$(mktemp -d /tmp/kv-storage-bench.XXXXXX)
seed_pid=""
node_pid=""

stop_services() {
  for pid in $node_pid $seed_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  node_pid=""
  seed_pid=""
}
trap stop_services EXIT

start_services() { # engine
  local engine=$1 storage=rocksdb sync=false
  case "$engine" in
    memory) storage=memory ;;
    rocksdb) ;;
    rocksdb-sync) sync=true ;;
    *) die "unknown engine $engine (memory, rocksdb, rocksdb-sync)" ;;
  esac
  for p in "$SEED_PORT" "$NODE_PORT"; do
    ! curl -s -o /dev/null "http://127.0.0.1:$p/" || die "port $p is in use; set SEED_PORT/NODE_PORT"
  done
  mkdir -p "$work/$engine"
  SEED_PORT=$SEED_PORT SEED_BIND=127.0.0.1 CLUSTER_TOKEN=bench \
    java -jar "$top/seed/target/seed.jar" >"$work/$engine/seed.log" 2>&1 &
  seed_pid=$!
  # shellcheck disable=SC2086
  NODE_PORT=$NODE_PORT NODE_BIND=127.0.0.1 ADVERTISE_ADDR=127.0.0.1:$NODE_PORT \
    SEED_URL=http://127.0.0.1:$SEED_PORT CLUSTER_TOKEN=bench HEARTBEAT_INTERVAL=1s \
    REPLICATION_FACTOR=1 WRITE_QUORUM=1 READ_QUORUM=1 \
    STORAGE=$storage ROCKSDB_SYNC=$sync DATA_DIR="$work/$engine/data" \
    java $JAVA_OPTS "-Xlog:gc:file=$work/$engine/gc.log" -jar "$top/kv-node/target/kv-node.jar" \
    >"$work/$engine/node.log" 2>&1 &
  node_pid=$!
  local deadline=$((SECONDS + 60))
  until [ "$(curl -fsS "$url/cluster" 2>/dev/null | jq '.members | length' 2>/dev/null)" = 1 ]; do
    kill -0 "$node_pid" 2>/dev/null || die "the node exited; see $work/$engine/node.log"
    [ $SECONDS -lt $deadline ] || die "the node did not join; see $work/$engine/node.log"
    sleep 0.2
  done
}

machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
node_ticks() { awk '{ print $14 + $15 }' "/proc/$node_pid/stat"; }
children_ticks() { # user + system ticks of this shell's finished children (wrk)
  times >"$work/times" # here, not in $(...): a subshell would count only its own children
  tail -1 "$work/times" | awk -v hz="$hz" '{
    s = 0
    for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] }
    printf "%d", s * hz }' >"$work/children"
}

wait_until_quiet() {
  local waited=0 before after busy
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    before=$(machine_busy_ticks); sleep 1; after=$(machine_busy_ticks)
    busy=$(((after - before) * 100 / hz / $(nproc)))
    [ "$busy" -le "$QUIET_BUSY" ] && return
    [ "$waited" -eq 0 ] && log "machine ${busy}% busy; waiting up to ${QUIET_WAIT}s for it to calm down"
    waited=$((waited + 1))
  done
  log "still ${busy}% busy; measuring anyway (see 'others %')"
}

run_wrk() { # engine mode seconds -> appends one JSON line to results.jsonl
  local engine=$1 mode=$2 seconds=$3 out="$work/$1/wrk-$2.log" busy0 node0 wrk0 line wpid
  [ "$mode" = warm ] || wait_until_quiet
  busy0=$(machine_busy_ticks); node0=$(node_ticks); children_ticks; wrk0=$(cat "$work/children")
  rm -f "$work/done"
  LOAD_MODE=$([ "$mode" = load ] && echo 1 || echo 0) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s -s "$here/storage.lua" "$url" \
    -- "$mode" "$KEYS" "$VALUE_BYTES" "$THREADS" "$work/done" >"$out" 2>&1 &
  wpid=$!
  if [ "$mode" = load ]; then # stop wrk (SIGINT: it still reports) once every thread is done
    while kill -0 "$wpid" 2>/dev/null; do
      if [ -f "$work/done" ] && [ "$(wc -l <"$work/done")" -ge "$THREADS" ]; then
        kill -INT "$wpid"
        break
      fi
      sleep 0.1
    done
  fi
  wait "$wpid" || die "wrk failed; see $out"
  line=$(grep '^STORAGEBENCH ' "$out") || die "no result from wrk; see $out"
  [ "$mode" = warm ] && return
  children_ticks
  echo "$line" | tr ' ' '\n' | grep = | jq -R 'split("=") | {(.[0]): (.[1] | tonumber)}' |
    jq -s -c --arg engine "$engine" --arg mode "$mode" \
      --argjson busy "$(($(machine_busy_ticks) - busy0))" --argjson node "$(($(node_ticks) - node0))" \
      --argjson wrk "$(($(cat "$work/children") - wrk0))" --argjson hz "$hz" --argjson cpus "$(nproc)" \
      'add | . + {engine: $engine, mode: $mode,
              node_cores: ($node / $hz / .seconds),
              others_pct: ([0, ($busy - $node - $wrk) / $hz / .seconds / $cpus * 100] | max)}' \
    >>"$work/results.jsonl"
  jq -r --arg e "$engine" --arg m "$mode" 'select(.engine == $e and .mode == $m) |
      "\(.engine) \(.mode): \(.rate) req/s, p50 \(.p50_us) us, p99 \(.p99_us) us, errors \(.errors), non-2xx \(.non2xx)"' \
    "$work/results.jsonl" | tail -1 | log "$(cat)"
}

memory_now() { # engine phase -> appends one JSON line to memory.jsonl, after a full GC
  local engine=$1 phase=$2 rss heap disk=0 pauses
  jcmd "$node_pid" GC.run >/dev/null
  sleep 2
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$node_pid/status")
  heap=$(jcmd "$node_pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") {
      v = $(i + 1); sub(/K,?$/, "", v); print v; exit } }')
  [ -d "$work/$engine/data/rocksdb" ] && disk=$(du -sk --apparent-size "$work/$engine/data/rocksdb" | cut -f1)
  # every "Pause" line of -Xlog:gc ends in its duration: "... 123M->45M(1024M) 12.345ms";
  # the full GCs this script asks for (jcmd GC.run: "Diagnostic Command") are left out
  pauses=$(grep -h 'Pause' "$work/$engine/gc.log" | grep -v -e 'System.gc' -e 'Diagnostic Command' | grep -o '[0-9.]*ms$' |
    tr -d 'ms' | jq -s -c '{count: length, total_ms: (add // 0), max_ms: (max // 0)}')
  jq -n -c --arg engine "$engine" --arg phase "$phase" --argjson rss "$rss" --argjson heap "$heap" \
    --argjson disk "$disk" --argjson pauses "$pauses" '{engine: $engine, phase: $phase,
      rss_kib: $rss, heap_kib: $heap, disk_kib: $disk, gc: $pauses}' >>"$work/memory.jsonl"
  log "$engine $phase: RSS $((rss / 1024)) MiB, heap used $((heap / 1024)) MiB, disk $((disk / 1024)) MiB"
}

bench_engine() {
  local engine=$1
  log "== $engine"
  start_services "$engine"
  run_wrk "$engine" warm "$WARMUP"
  memory_now "$engine" idle
  log "$engine: loading $KEYS keys of $VALUE_BYTES bytes"
  run_wrk "$engine" load "$LOAD_TIMEOUT"
  run_wrk "$engine" get "$DURATION"
  run_wrk "$engine" put "$DURATION"
  memory_now "$engine" loaded
  stop_services
}

report() {
  echo
  echo "| engine | operation | req/s | p50 ms | p99 ms | p99.9 ms | node CPU (cores) | others % | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  jq -r '"| \(.engine) | \(.mode) | \(.rate) | \(.p50_us / 1000 * 100 | round / 100) | \(.p99_us / 1000 * 100 | round / 100) | \(.p999_us / 1000 * 100 | round / 100) | \(.node_cores * 100 | round / 100) | \(.others_pct | round) | \(.errors + .non2xx) |"' \
    "$work/results.jsonl"
  [ -f "$work/memory.jsonl" ] || return 0
  echo
  echo "| engine | RSS idle MiB | RSS loaded MiB | RSS per 1 M keys MiB | heap per 1 M keys MiB | disk MiB | GC pauses (count, total ms, max ms) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  jq -s -r --argjson keys "$KEYS" 'group_by(.engine)[] |
      (map(select(.phase == "idle"))[0]) as $idle | (map(select(.phase == "loaded"))[0]) as $full |
      "| \($idle.engine) | \($idle.rss_kib / 1024 | round) | \($full.rss_kib / 1024 | round) | \(($full.rss_kib - $idle.rss_kib) / 1024 * 1000000 / $keys | round) | \(($full.heap_kib - $idle.heap_kib) / 1024 * 1000000 / $keys | round) | \($full.disk_kib / 1024 | round) | \($full.gc.count), \($full.gc.total_ms | round), \($full.gc.max_ms | round) |"' \
    "$work/memory.jsonl"
}

require_tools
build_jars
log "work directory: $work (KEYS=$KEYS VALUE_BYTES=$VALUE_BYTES DURATION=${DURATION}s c=$CONNECTIONS t=$THREADS JAVA_OPTS=$JAVA_OPTS)"
for engine in "${ENGINES[@]}"; do bench_engine "$engine"; done
report
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
  "$(java -version 2>&1 | head -1), kernel $(uname -r)"
