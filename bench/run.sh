#!/usr/bin/env bash
# Throughput, latency and CPU cost of a local 3-node cluster under wrk, GETs and PUTs of 100-byte
# values, in one table:
#   - replication factor 1: requests sent to the key's owner ("direct") or to a node that must
#     forward them ("forwarded");
#   - replication factor 3 with W=2 and R=2 ("rf3"): every node holds every key, and the node the
#     client talks to writes (reads) locally and on both peers and answers after the second reply.
#
#   bench/run.sh                  measure this checkout
#   bench/run.sh --compare REV    also measure git revision REV (built from `git archive` in a
#                                 temporary directory), interleaved with this checkout, case by case
#
# All load goes to node 1. The keys are chosen by asking node 1's /locate: at RF=1, those it owns
# are the direct set, the others the forwarded set; at RF=3 all keys are used. The RF=1 cases run
# on one cluster, then that cluster stops and an RF=3 cluster starts for the rf3 cases. Each code
# path is warmed up first (WARMUP seconds of full load), then each case is measured at full load
# ("peak") and then paced at PACE percent of that peak, to read the p99 a server sees when it is
# not saturated. Results go to a table on stdout, followed by the issues' targets; raw wrk output
# and cluster logs stay in the work directory printed at the start.
#
# Settings (environment): DURATION (20 s per measurement), WARMUP (60 s per code path), ROUNDS (1),
# CONNECTIONS (64), THREADS (wrk threads, 2), KEYS (2000), VALUE_BYTES (100), PACE (70; 0 skips
# the paced runs), CASES (all six: "get-direct get-forwarded put-direct put-forwarded get-rf3
# put-rf3"), SEED_PORT (19000) and BASE_PORT (18001) for this checkout, +10000 for the --compare
# build, JAVA_OPTS (passed to every JVM of this checkout), COMPARE_JAVA_OPTS (for the --compare
# build; JAVA_OPTS by default, so "--compare HEAD" with two settings A/B-tests JVM flags). The machine may be shared: before each
# measurement the script waits up to QUIET_WAIT (120) seconds for the machine to be at most
# QUIET_BUSY (10) percent busy, and the table reports the CPU that other processes used during each
# measurement ("others CPU %", of all cores), next to the nodes' CPU per request (user + system
# time of the three node processes from /proc/<pid>/stat, before and after) and wrk's share of a
# core. wrk, curl and jq are installed with apt-get when missing (as root).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-60}
ROUNDS=${ROUNDS:-1}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
KEYS=${KEYS:-2000}
VALUE_BYTES=${VALUE_BYTES:-100}
PACE=${PACE:-70}
QUIET_BUSY=${QUIET_BUSY:-10}
QUIET_WAIT=${QUIET_WAIT:-120}
SEED_PORT=${SEED_PORT:-19000}
BASE_PORT=${BASE_PORT:-18001}
JAVA_OPTS=${JAVA_OPTS-}
COMPARE_JAVA_OPTS=${COMPARE_JAVA_OPTS-$JAVA_OPTS}
read -r -a CASES <<<"${CASES:-get-direct get-forwarded put-direct put-forwarded get-rf3 put-rf3}"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

require_tools() {
  local missing=()
  for tool in wrk curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
}

work=$(mktemp -d /tmp/kv-bench.XXXXXX)
builds=()         # labels, in measuring order
declare -A dir    # label -> checkout
declare -A port   # label -> node 1's port
declare -A seed   # label -> seed port
declare -A jvm    # label -> JAVA_OPTS

add_build() { # label checkout seed-port base-port java-opts
  builds+=("$1"); dir[$1]=$2; seed[$1]=$3; port[$1]=$4; jvm[$1]=$5
}

parse_args() {
  add_build "$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo this)$(dirty)" \
    "$top" "$SEED_PORT" "$BASE_PORT" "$JAVA_OPTS"
  case "${1:-}" in
    "") ;;
    --compare)
      [ -n "${2:-}" ] || die "usage: $0 [--compare REV]"
      local rev label
      rev=$(git -C "$top" rev-parse --verify "$2^{commit}") || die "no such revision: $2"
      label=base-$(git -C "$top" rev-parse --short "$rev")
      mkdir -p "$work/$label"
      git -C "$top" archive "$rev" | tar -x -C "$work/$label"
      builds=("$label" "${builds[@]}") # the baseline first
      dir[$label]=$work/$label; seed[$label]=$((SEED_PORT + 10000)); port[$label]=$((BASE_PORT + 10000))
      jvm[$label]=$COMPARE_JAVA_OPTS
      ;;
    *) die "usage: $0 [--compare REV]" ;;
  esac
}

dirty() {
  git -C "$top" diff --quiet HEAD -- . ':!bench' ':!docs' 2>/dev/null || echo "+changes"
}

build_jars() { # checkout: package unless both jars exist and are newer than every source file
  local checkout=$1 jar=$1/kv-node/target/kv-node.jar
  if [ -f "$jar" ] && [ -f "$checkout/seed/target/seed.jar" ] &&
    [ -z "$(find "$checkout" -path '*/src/main/*' -newer "$jar" -print -quit)" ] &&
    [ -z "$(find "$checkout" -name pom.xml -newer "$jar" -print -quit)" ]; then
    return
  fi
  log "building the jars in $checkout (mvn -q -B -o package -DskipTests)"
  (cd "$checkout" && mvn -q -B -o package -DskipTests)
}

state_dir() { # label rf: logs, pid files and data of that build's cluster at that RF
  echo "$work/$1-rf$2"
}

cluster() { # label rf start|stop
  local quorum=$(($2 / 2 + 1))
  SEED_PORT=${seed[$1]} BASE_PORT=${port[$1]} NODES=3 LOCAL_CLUSTER_DIR=$(state_dir "$1" "$2") \
    REPLICATION_FACTOR=$2 WRITE_QUORUM=$quorum READ_QUORUM=$quorum JAVA_OPTS=${jvm[$1]} \
    "${dir[$1]}/scripts/local-cluster.sh" "$3" >&2
}

stop_all() {
  for b in "${builds[@]}"; do
    for rf in 1 3; do cluster "$b" "$rf" stop || true; done
  done
}

start_cluster() { # label rf
  local b=$1
  for p in "${seed[$b]}" "${port[$b]}" $((port[$b] + 1)) $((port[$b] + 2)); do
    ! curl -s -o /dev/null "http://127.0.0.1:$p/" || die "port $p is in use; set SEED_PORT/BASE_PORT"
  done
  build_jars "${dir[$b]}"
  log "starting a 3-node cluster at RF=$2 for $b (seed ${seed[$b]}, nodes ${port[$b]}..$((port[$b] + 2)))"
  cluster "$b" "$2" start
}

choose_keys() { # label: writes $work/<label>.{direct,forwarded,rf3} from node 1's /locate
  local b=$1 url="http://127.0.0.1:${port[$1]}" self
  self=$(curl -fsS "$url/cluster" | jq -r .self)
  for i in $(seq 1 "$KEYS"); do printf 'url = "%s/locate?key=bench-%05d"\n' "$url" "$i"; done \
    >"$work/$b.locate.curl"
  curl -fsS -K "$work/$b.locate.curl" | jq -r '[.key, .preferenceList[0].id] | @tsv' \
    >"$work/$b.owners"
  awk -v self="$self" '$2 == self { print $1 }' "$work/$b.owners" >"$work/$b.direct"
  awk -v self="$self" '$2 != self { print $1 }' "$work/$b.owners" >"$work/$b.forwarded"
  cut -f1 "$work/$b.owners" >"$work/$b.rf3"
  log "$b: node 1 is $self and is the first owner of $(wc -l <"$work/$b.direct") of $KEYS keys"
  [ -s "$work/$b.direct" ] && [ -s "$work/$b.forwarded" ] || die "need keys of both kinds"
}

preload() { # label: PUT every key once, through node 1
  local b=$1 url="http://127.0.0.1:${port[$1]}" ok
  head -c "$VALUE_BYTES" /dev/zero | tr '\0' v >"$work/value"
  cut -f1 "$work/$b.owners" | awk -v url="$url" -v value="$work/value" '
    NR > 1 { print "next" }
    { printf "url = \"%s/put?key=%s\"\nupload-file = \"%s\"\n", url, $1, value
      print "output = \"/dev/null\"\nwrite-out = \"%{http_code}\\n\"" }' >"$work/$b.preload.curl"
  ok=$(curl -sS -K "$work/$b.preload.curl" | grep -c '^204$' || true)
  [ "$ok" -eq "$KEYS" ] || die "$b: preload stored $ok of $KEYS keys"
}

node_cpu_ticks() { # label rf: user + system clock ticks of its three node processes
  local total=0 pid
  for f in "$(state_dir "$1" "$2")"/node-*.pid; do
    pid=$(cat "$f")
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$total"
}

machine_busy_ticks() { # user + nice + system + irq + softirq + steal clock ticks, all CPUs
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

wait_until_quiet() { # the machine is shared: wait (up to QUIET_WAIT s) while others load it
  local waited=0 before after busy
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    before=$(machine_busy_ticks); sleep 1; after=$(machine_busy_ticks)
    busy=$(( (after - before) * 100 / $(getconf CLK_TCK) / $(nproc) ))
    [ "$busy" -le "$QUIET_BUSY" ] && return
    [ "$waited" -eq 0 ] && log "machine ${busy}% busy before the measurement; waiting up to ${QUIET_WAIT}s"
    waited=$((waited + 1))
  done
  log "still ${busy}% busy; measuring anyway (see the 'others CPU %' column)"
}

children_cpu_seconds() { # user + system seconds of this shell's finished children (wrk)
  times >"$work/times" # in this shell: a subshell would count only its own children
  tail -1 "$work/times" | awk '{
    s = 0
    for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] }
    printf "%.2f", s }'
}

rf_of() { # case -> the replication factor of the cluster it runs on
  case "$1" in *-rf3) echo 3 ;; *-direct | *-forwarded) echo 1 ;; *) die "unknown case: $1" ;; esac
}

wrk_run() { # label case seconds rate(0 = unpaced) -> prints the KVBENCH line
  local b=$1 c=$2 op=${2%%-*} route=${2#*-}
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "$3s" --timeout 5s -s "$here/kv.lua" \
    "http://127.0.0.1:${port[$b]}" -- "$op" "$work/$b.$route" "$VALUE_BYTES" "$4" "$THREADS" \
    >>"$work/wrk.log" 2>&1
  tail -1 "$work/wrk.log" | grep '^KVBENCH ' || die "wrk failed; see $work/wrk.log"
}

measure() { # label case kind(peak|paced) rate round -> appends a JSON line to results
  local b=$1 c=$2 kind=$3 rate=$4 round=$5 ticks0 ticks1 client0 client1 busy0 busy1 line hz
  hz=$(getconf CLK_TCK)
  echo "== $b $c $kind rate=$rate round=$round" >>"$work/wrk.log"
  wait_until_quiet
  busy0=$(machine_busy_ticks); ticks0=$(node_cpu_ticks "$b" "$(rf_of "$c")")
  children_cpu_seconds >"$work/client0"
  line=$(wrk_run "$b" "$c" "$DURATION" "$rate")
  busy1=$(machine_busy_ticks); ticks1=$(node_cpu_ticks "$b" "$(rf_of "$c")")
  children_cpu_seconds >"$work/client1"
  client0=$(cat "$work/client0"); client1=$(cat "$work/client1")
  echo "$line" | tr ' ' '\n' | grep = | jq -R 'split("=") | {(.[0]): (.[1] | tonumber)}' |
    jq -s --arg build "$b" --arg case "$c" --arg kind "$kind" --argjson round "$round" \
      --argjson target "$rate" --argjson node_s "$(awk "BEGIN { print ($ticks1 - $ticks0) / $hz }")" \
      --argjson wrk_s "$(awk "BEGIN { print $client1 - $client0 }")" \
      --argjson busy_s "$(awk "BEGIN { print ($busy1 - $busy0) / $hz }")" --argjson cpus "$(nproc)" \
      'add + {build: $build, case: $case, kind: $kind, round: $round, target: $target,
              node_cpu_s: $node_s, wrk_cpu_s: $wrk_s, machine_busy_s: $busy_s, cpus: $cpus}' -c \
    >>"$work/results.jsonl"
  jq -r 'select(.build == $b and .case == $c and .kind == $k and .round == $r) |
      "\(.build) \(.case) \(.kind): \(.rate | floor) req/s, p50 \(.p50_us) us, p99 \(.p99_us) us"' \
    --arg b "$b" --arg c "$c" --arg k "$kind" --argjson r "$round" "$work/results.jsonl" | log "$(cat)"
}

peak_rate() { # label case round
  jq -r 'select(.build == $b and .case == $c and .kind == "peak" and .round == $r) | .rate' \
    --arg b "$1" --arg c "$2" --argjson r "$3" "$work/results.jsonl"
}

report() {
  jq -rs --argjson pace "$PACE" '
    def ms: if . == null then "-" else . / 1000 * 100 | round / 100 end;
    def median: if length == 0 then null
      else sort | if length % 2 == 1 then .[length / 2 | floor]
                  else (.[length / 2 - 1] + .[length / 2]) / 2 end end;
    def int: if . == null then "-" else round end;
    def errors: .errors_connect + .errors_read + .errors_write + .errors_status + .errors_timeout;
    def order: . as $c
      | ["get-direct", "get-forwarded", "put-direct", "put-forwarded", "get-rf3", "put-rf3"]
      | index($c);
    group_by([.build, (.case | order)]) | map(
      (map(select(.kind == "peak"))) as $peak | (map(select(.kind == "paced"))) as $paced |
      [ .[0].build, .[0].case,
        ($peak | map(.rate) | median | int),
        ($peak | map(.p50_us) | median | ms), ($peak | map(.p99_us) | median | ms),
        ($paced | map(.p99_us) | median | ms), ($paced | map(.rate) | median | int),
        ($peak | map(.node_cpu_s * 1e6 / .requests) | median | int),
        ($paced | map(.node_cpu_s * 1e6 / .requests) | median | int),
        ($peak | map(.wrk_cpu_s / .seconds * 100) | median | int),
        (map((.machine_busy_s - .node_cpu_s - .wrk_cpu_s) / .seconds / .cpus * 100) | max | int),
        (map(errors) | add) ]) |
    (["build", "case", "req/s", "p50 ms", "p99 ms", "p99@\($pace)% ms", "(at req/s)",
      "node CPU us/req", "(paced)", "wrk CPU %", "max others CPU %", "errors"] | @tsv),
    (.[] | @tsv)' "$work/results.jsonl" | column -t -s $'\t'
}

targets() { # the issues' targets, per build, from the medians over rounds
  jq -rs --argjson pace "$PACE" '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def r2: . * 100 | round / 100;
    def check($ok): if $ok then "met" else "MISSED" end;
    group_by(.build) | .[] | .[0].build as $b |
    (group_by(.case) | map({key: .[0].case, value: {
       rate: (map(select(.kind == "peak") | .rate) | if length > 0 then median else null end),
       p99: (map(select(.kind == "paced") | .p99_us / 1000) | if length > 0 then median else null end)
     }}) | from_entries) as $m |
    def r3: . * 1000 | round / 1000;
    # compared unrounded: 0.2976 must not pass a 0.3 target as "0.3"
    def ratio($a; $b): if $m[$a].rate != null and $m[$b].rate != null
      then $m[$a].rate / $m[$b].rate else null end;
    def line($name; $value; $ok): "\($b)  \($name): \($value // "-")  \(if $value == null then "not measured" else check($ok) end)";
    line("direct GET req/s (>= 40000)"; $m["get-direct"].rate | if . then round else null end;
      $m["get-direct"].rate >= 40000),
    line("forwarded GET / direct GET (>= 0.4)"; ratio("get-forwarded"; "get-direct") | if . then r3 else null end;
      ratio("get-forwarded"; "get-direct") >= 0.4),
    line("forwarded PUT / direct PUT (>= 0.4)"; ratio("put-forwarded"; "put-direct") | if . then r3 else null end;
      ratio("put-forwarded"; "put-direct") >= 0.4),
    line("RF=3 PUT / direct PUT (>= 0.18)"; ratio("put-rf3"; "put-direct") | if . then r3 else null end;
      ratio("put-rf3"; "put-direct") >= 0.18),
    line("RF=3 GET / direct GET (>= 0.3)"; ratio("get-rf3"; "get-direct") | if . then r3 else null end;
      ratio("get-rf3"; "get-direct") >= 0.3),
    ($m | to_entries | map(select(.value.p99 != null)) | .[] |
      line("\(.key) p99 at \($pace)% of peak, ms (< 10)"; .value.p99 | r2; .value.p99 < 10))
  ' "$work/results.jsonl"
}

warm_up() { # label case
  log "warming up $1 $2 for ${WARMUP}s"
  echo "== warm-up $1 $2" >>"$work/wrk.log"
  wrk_run "$1" "$2" "$WARMUP" 0 >/dev/null
}

run_phase() { # rf case...: one cluster per build at that RF, warmed up, measured, stopped
  local rf=$1 b c round
  shift
  [ $# -gt 0 ] || return 0
  for b in "${builds[@]}"; do
    start_cluster "$b" "$rf"
    choose_keys "$b"
    preload "$b"
  done
  for b in "${builds[@]}"; do
    for c in "$@"; do warm_up "$b" "$c"; done
  done
  for round in $(seq 1 "$ROUNDS"); do
    for c in "$@"; do
      for b in "${builds[@]}"; do measure "$b" "$c" peak 0 "$round"; done
      [ "$PACE" -gt 0 ] || continue
      for b in "${builds[@]}"; do
        measure "$b" "$c" paced "$(peak_rate "$b" "$c" "$round" |
          awk -v pace="$PACE" '{ printf "%d", $1 * pace / 100 }')" "$round"
      done
    done
  done
  for b in "${builds[@]}"; do cluster "$b" "$rf" stop; done
}

main() {
  require_tools
  parse_args "$@"
  local b
  for b in "${builds[@]}"; do log "$b: JAVA_OPTS '${jvm[$b]}'"; done
  log "work directory: $work"
  trap stop_all EXIT
  local rf1=() rf3=() c
  for b in "${builds[@]}"; do echo "$b: JAVA_OPTS '${jvm[$b]}'"; done
  for c in "${CASES[@]}"; do
    if [ "$(rf_of "$c")" -eq 1 ]; then rf1+=("$c"); else rf3+=("$c"); fi
  done
  run_phase 1 "${rf1[@]}"
  run_phase 3 "${rf3[@]}"
  echo
  echo "$CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per measurement, $ROUNDS round(s)," \
    "$VALUE_BYTES-byte values, $KEYS keys; medians over rounds;" \
    "raw results in $work/results.jsonl"
  report
  echo
  targets
}

main "$@"
