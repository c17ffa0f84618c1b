#!/usr/bin/env bash
# ./agora bench [SECONDS]: inventory's gRPC throughput and latency, side by
# side with the peers' in-memory C++ gRPC backend (../shared/peers, built here)
# driven by the same load generator in the same run. Figures are ratios
# against the peer: absolute numbers on a shared 2-core machine drift.
#
# Cases (64 calls in flight over 2 connections, load generator on the same cores):
#   peer GetProduct        catalog_server (in memory, async API): the gRPC ceiling
#   inventory GetProduct   one PostgreSQL query per call
#   inventory ReserveStock one durable write transaction per call (fsync on)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?usage: run.sh BUILD_DIR [SECONDS]}
SECONDS_PER_CASE=${2:-10}
PEERS=${AGORA_PEERS_DIR:-$ROOT/../shared/peers}
WORK=$BUILD/bench-run
CLK_TCK=$(getconf CLK_TCK)
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap cleanup EXIT

# CPU ticks of a process and of its children threads (utime + stime).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU ticks of every process of the PostgreSQL cluster (postmaster and backends).
pg_ticks() {
  local main; main=$(head -1 "$WORK/pg/postmaster.pid")
  local total=0 p
  for p in $main $(pgrep -P "$main"); do total=$((total + $(ticks "$p"))); done
  echo "$total"
}

# run_case NAME TARGET CPU_FN BENCH_ARGS...: prints "name calls_per_s p50 p99 cpu_us_per_call"
run_case() {
  local name=$1 target=$2 cpu_fn=$3; shift 3
  local before after out calls
  before=$($cpu_fn)
  out=$("$BUILD/bench/grpc_bench" --target="$target" --duration="$SECONDS_PER_CASE" "$@")
  after=$($cpu_fn)
  calls=$(sed 's/.*calls=\([0-9]*\).*/\1/' <<<"$out")
  local cps p50 p99
  cps=$(sed 's/.*calls_per_s=\([0-9.]*\).*/\1/' <<<"$out")
  p50=$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' <<<"$out")
  p99=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$out")
  local cpu_us
  cpu_us=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$calls" 'BEGIN { printf "%.0f", n ? t / hz / n * 1e6 : 0 }')
  echo "$name $cps $p50 $p99 $cpu_us"
}

rm -rf "$WORK"; mkdir -p "$WORK"

log "building the peer backend from $PEERS"
[[ -d $PEERS ]] || { log "no peers at $PEERS (AGORA_PEERS_DIR)"; exit 1; }
cmake -S "$PEERS" -B "$BUILD/peers" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD/peers" catalog_server >/dev/null

pg_port=$(free_port)
log "PostgreSQL on $pg_port (durable: fsync and synchronous_commit on)"
"$ROOT/tools/pg/cluster.sh" start "$WORK/pg" "$pg_port" >"$WORK/pg.log" 2>&1

# customers signs the administrator's token that creates the benchmark product.
cust_port=$(free_port)
"$ROOT/tools/local/service-key.sh" "$WORK/service.pem"
export AGORA_SERVICE_KEY_FILE=$WORK/service.pem
AGORA_PG_PORT=$pg_port AGORA_GRPC_ADDRESS=127.0.0.1:$cust_port AGORA_METRICS_PORT=0 \
  AGORA_JWT_PRIVATE_KEY_FILE="$WORK/jwt.pem" AGORA_LOG_LEVEL=warn \
  "$BUILD/customers/customers" >"$WORK/customers.log" 2>&1 &
PIDS+=($!)
"$BUILD/tools/agoractl" wait "127.0.0.1:$cust_port" 60 >/dev/null

inv_port=$(free_port)
AGORA_PG_PORT=$pg_port AGORA_GRPC_ADDRESS=127.0.0.1:$inv_port AGORA_METRICS_PORT=0 \
  AGORA_JWT_PUBLIC_KEY_FILE="$WORK/jwt.pub.pem" AGORA_CUSTOMERS_ADDRESS=127.0.0.1:$cust_port \
  AGORA_LOG_LEVEL=warn "$BUILD/inventory/inventory" >"$WORK/inventory.log" 2>&1 &
INV_PID=$!
PIDS+=("$INV_PID")
"$BUILD/tools/agoractl" wait "127.0.0.1:$inv_port" 60 >/dev/null
product=$(AGORA_CUSTOMERS_ADDRESS=127.0.0.1:$cust_port \
  "$BUILD/tools/agoractl" create-product "127.0.0.1:$inv_port" BENCH-1 "Bench mug" 1800 1000000000)

peer_port=$(free_port)
"$BUILD/peers/catalog_server" --listen="127.0.0.1:$peer_port" >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
PIDS+=("$PEER_PID")
"$BUILD/tools/agoractl" wait "127.0.0.1:$peer_port" 30 >/dev/null 2>&1 || sleep 1

inv_cpu() { echo $(($(ticks "$INV_PID") + $(pg_ticks))); }
peer_cpu() { ticks "$PEER_PID"; }

log "running each case for ${SECONDS_PER_CASE}s"
peer=$(run_case peer_GetProduct "127.0.0.1:$peer_port" peer_cpu \
  --method=/catalog.v1.Catalog/GetProduct --id=p-000042)
get=$(run_case inventory_GetProduct "127.0.0.1:$inv_port" inv_cpu \
  --method=/agora.inventory.v1.Inventory/GetProduct --id="$product")
reserve=$(run_case inventory_ReserveStock "127.0.0.1:$inv_port" inv_cpu \
  --method=/agora.inventory.v1.Inventory/ReserveStock --product="$product")

printf '\n| case | calls/s | p50 ms | p99 ms | server CPU us/call (inventory + PostgreSQL) | calls/s vs peer |\n'
printf '|---|---|---|---|---|---|\n'
read -r _ peer_cps _ _ _ <<<"$peer"
for row in "$peer" "$get" "$reserve"; do
  read -r name cps p50 p99 cpu <<<"$row"
  ratio=$(awk -v a="$cps" -v b="$peer_cps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
  printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "$cps" "$p50" "$p99" "$cpu" "$ratio"
done
