#!/usr/bin/env bash
# ./agora bench gateway [SECONDS]: our REST gateway side by side with the
# grpc-gateway peer (../shared/peers/grpc-gateway, Debian's grpc-gateway v1.6.4,
# built here for OUR protos), both in front of the same customers and
# inventory processes and the same PostgreSQL, driven by the same wrk line on
# loopback in the same run. Report the ratios: absolute figures on a shared
# 2-core machine drift by 10-30 % between runs.
#
#   bench/gateway.sh BUILD_DIR [SECONDS_PER_CASE]     (default 10 s per case and gateway)
#
# Cases (wrk -t2 -c64 -dSECONDS --latency, wrk on the same cores):
#   1. GET /v1/products/{id}                         public, no token
#   2. GET /v1/customers/me                          RS256 bearer token verified on every request
#   3. PUT /v1/customers/me/cart/items/{productId}   same token, body {"quantity":1}
#                                                    (one durable PostgreSQL transaction per request;
#                                                    set against pgbench running the same statement)
#   4, 5. cases 1 and 2 with both gateways in front of bench/memory_backend,
#      which answers GetProduct and GetMe from memory: the backend is then
#      cheap, so these measure the gateways themselves (as the peers' own
#      grpc-gateway rows do with their in-memory catalog_server).
# Both gateways verify RS256 per request: ours with the public key file that
# customers writes beside its signing key, the peer with -jwt-alg RS256 and the
# same PEM (iss agora, aud agora-api; /v1/products public). The token is the
# administrator's, from POST /v1/auth:login through our gateway.
#
# Per case and gateway: requests/s, p50 and p99 (wrk), the gateway process's
# CPU seconds per 1,000 requests (/proc/PID/stat, threads included), its peak
# RSS during that run (VmHWM, reset through /proc/PID/clear_refs before each
# run), wrk's errors (non-2xx and socket errors), and a row of ratios ours/peer.
# Logs, wrk outputs and the table (results.md) land in BUILD_DIR/bench-gateway.
# Everything listens on 127.0.0.1, ports are free ones below 32768, and only
# the processes this script started are stopped, by PID (also on Ctrl-C; a
# killed run's leftovers are stopped by the next run through their pid files).
# Environment: AGORA_PEERS_DIR (default ../shared/peers); AGORA_BENCH_CASES
# (case ids, space-separated: only those run); AGORA_BENCH_PERF=1 records our
# gateway with `perf record -g` during each of its runs and writes the
# flat and call-graph profiles to BUILD_DIR/bench-gateway/perf-CASE.txt (the
# recording costs the gateway some throughput: compare figures without it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(realpath "${1:?usage: gateway.sh BUILD_DIR [SECONDS_PER_CASE]}")
SECS=${2:-10}
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "gateway.sh: SECONDS_PER_CASE must be a positive integer, got '$SECS'" >&2; exit 2; }
PEERS=$(realpath "${AGORA_PEERS_DIR:-$ROOT/../shared/peers}")
GOOGLEAPIS=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
WORK=$BUILD_DIR/bench-gateway
ADMIN_EMAIL=bench-admin@agora.local
ADMIN_PASSWORD=bench-admin-password
WRK=(-t2 -c64 "-d${SECS}s" --latency)

[[ -f $PEERS/lib/common.sh && -x $PEERS/grpc-gateway/build.sh ]] || {
  echo "gateway.sh: no peers at $PEERS (set AGORA_PEERS_DIR)" >&2; exit 1; }
mkdir -p "$WORK"
# The peers' helpers: start_bg/stop_all (PID bookkeeping), reap_stale, port_busy,
# wait_port, wait_http200, tree_ticks, timed, to_ms. Their build folder (Go work
# tree and cache of build.sh) and pid files/logs all go to $WORK.
export PEERS_BUILD=$WORK PEERS_RESULTS=$WORK
# shellcheck source=/dev/null
source "$PEERS/lib/common.sh"
# shellcheck disable=SC2034  # used by the sourced helpers
RUN=$WORK  # start_bg: $RUN/NAME.log and $RUN/NAME.pid
rmdir "$WORK/run" 2>/dev/null || true  # made by common.sh, unused

PG_STARTED=0
cleanup() {
  stop_all  # in reverse start order, by PID
  if ((PG_STARTED)); then "$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
for b in gateway/gateway customers/customers inventory/inventory tools/agoractl bench/memory_backend; do
  [[ -x $BUILD_DIR/$b ]] || die "$BUILD_DIR/$b is missing: build first (./agora build)"
done
if ! command -v wrk >/dev/null; then
  [[ $(id -u) == 0 ]] || die "wrk is missing (apt-get install wrk)"
  log "apt-get install wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null || die "curl is missing"
read -r load1 _ </proc/loadavg
awk -v l="$load1" 'BEGIN{exit !(l > 1.5)}' &&
  log "WARNING: load average $load1 before the run: other processes share the cores, figures will be noisy"

# What an interrupted earlier run left behind: its processes (pid files), its cluster.
for name in gw-peer-mem gw-agora-mem memory gw-peer gw-agora inventory customers; do reap_stale "$name"; done
if [[ -f $WORK/pg/postmaster.pid ]]; then
  log "stopping the PostgreSQL cluster an earlier run left in $WORK/pg"
  "$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
fi
rm -rf "$WORK/pg" "$WORK/pg.initdb.log" "$WORK"/wrk-*.txt "$WORK/jwt.pem" "$WORK/jwt.pub.pem" "$WORK/results.md"

# ---------------------------------------------------------------- the peer, for our protos
PEER_BIN=$WORK/peer/gateway
if [[ ! -x $PEER_BIN || -n $(find "$ROOT/protos" "$PEERS/grpc-gateway" -newer "$PEER_BIN" -print -quit) ]]; then
  log "building the grpc-gateway peer for $ROOT/protos (Go, offline; log: $WORK/peer-build.log)"
  # protoc-gen-go 1.3 refuses proto3 `optional`; the peer gets a copy without the
  # keyword (same wire format; only presence is lost, in UpdateProductRequest and a
  # saga message, neither on a benchmarked route).
  rm -rf "$WORK/peer-protos"
  cp -r "$ROOT/protos" "$WORK/peer-protos"
  find "$WORK/peer-protos" -name '*.proto' -exec sed -i -E 's/^([[:space:]]*)optional[[:space:]]+/\1/' {} +
  "$PEERS/grpc-gateway/build.sh" -o "$PEER_BIN" -I "$GOOGLEAPIS" "$WORK/peer-protos" >"$WORK/peer-build.log" 2>&1 ||
    { tail -30 "$WORK/peer-build.log" >&2; die "the peer did not build (see $WORK/peer-build.log)"; }
fi
services=$("$PEER_BIN" -list)
for s in agora.customers.v1.Customers agora.inventory.v1.Inventory; do
  grep -qx "$s" <<<"$services" || die "the peer did not register $s (it has: $(tr '\n' ' ' <<<"$services"))"
done

# ---------------------------------------------------------------- ports
PICKED=()
free_port() {  # sets FREE_PORT: nothing listens there, below the ephemeral range (32768+)
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ " ${PICKED[*]} " == *" $p "* ]] && continue
    port_busy "$p" && continue
    PICKED+=("$p"); FREE_PORT=$p; return 0
  done
  die "no free port found"
}
free_port; PG_PORT=$FREE_PORT
free_port; CUST_PORT=$FREE_PORT
free_port; INV_PORT=$FREE_PORT
free_port; AGW_PORT=$FREE_PORT   # ours
free_port; PGW_PORT=$FREE_PORT   # the peer
free_port; DEAD_PORT=$FREE_PORT  # orders, reviews, saga: not started, never called here
free_port; MEM_PORT=$FREE_PORT   # bench/memory_backend
free_port; AGW_MEM_PORT=$FREE_PORT
free_port; PGW_MEM_PORT=$FREE_PORT

# ---------------------------------------------------------------- backends
log "PostgreSQL on 127.0.0.1:$PG_PORT (durable: fsync and synchronous_commit on)"
PG_STARTED=1
"$ROOT/tools/pg/cluster.sh" start "$WORK/pg" "$PG_PORT" >"$WORK/pg.log" 2>&1 ||
  { tail -20 "$WORK/pg.log" >&2; die "PostgreSQL did not start (see $WORK/pg.log)"; }

"$ROOT/tools/local/service-key.sh" "$WORK/service.pem"
log "customers on 127.0.0.1:$CUST_PORT (writes the signing key $WORK/jwt.pem and jwt.pub.pem)"
start_bg customers "$BUILD_DIR/customers/customers" --pg-port="$PG_PORT" --service-key-file="$WORK/service.pem" \
  --grpc-address="127.0.0.1:$CUST_PORT" --inventory-address="127.0.0.1:$INV_PORT" --metrics-address=127.0.0.1 --metrics-port=0 \
  --jwt-private-key-file="$WORK/jwt.pem" --access-token-ttl=2h \
  --admin-email="$ADMIN_EMAIL" --admin-password="$ADMIN_PASSWORD" --log-level=warn
"$BUILD_DIR/tools/agoractl" wait "127.0.0.1:$CUST_PORT" 60 >/dev/null ||
  die "customers is not SERVING (see $WORK/customers.log)"
[[ -s $WORK/jwt.pub.pem ]] || die "customers wrote no $WORK/jwt.pub.pem"

log "inventory on 127.0.0.1:$INV_PORT"
start_bg inventory "$BUILD_DIR/inventory/inventory" --pg-port="$PG_PORT" --service-key-file="$WORK/service.pem" \
  --grpc-address="127.0.0.1:$INV_PORT" --metrics-address=127.0.0.1 --metrics-port=0 \
  --jwt-public-key-file="$WORK/jwt.pub.pem" --customers-address="127.0.0.1:$CUST_PORT" --log-level=warn
"$BUILD_DIR/tools/agoractl" wait "127.0.0.1:$INV_PORT" 60 >/dev/null ||
  die "inventory is not SERVING (see $WORK/inventory.log)"
PRODUCT=$(AGORA_CUSTOMERS_ADDRESS=127.0.0.1:$CUST_PORT AGORA_ADMIN_EMAIL=$ADMIN_EMAIL \
  AGORA_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  "$BUILD_DIR/tools/agoractl" create-product "127.0.0.1:$INV_PORT" BENCH-GW-1 "Bench mug" 1800 1000000) ||
  die "create-product failed"
PRODUCT=$(tr -d '[:space:]' <<<"$PRODUCT")
[[ $PRODUCT =~ ^[0-9a-fA-F-]{36}$ ]] || die "create-product answered '$PRODUCT', not a product id"
log "product $PRODUCT"

# ---------------------------------------------------------------- the two gateways
log "our gateway on 127.0.0.1:$AGW_PORT"
start_bg gw-agora "$BUILD_DIR/gateway/gateway" --http-address=127.0.0.1 --http-port="$AGW_PORT" \
  --jwt-public-key-file="$WORK/jwt.pub.pem" \
  --inventory-address="127.0.0.1:$INV_PORT" --customers-address="127.0.0.1:$CUST_PORT" \
  --orders-address="127.0.0.1:$DEAD_PORT" --reviews-address="127.0.0.1:$DEAD_PORT" \
  --saga-address="127.0.0.1:$DEAD_PORT" \
  --rate-limit-client-rps=0 --rate-limit-customer-rps=0 --log-level=warn
wait_http200 "http://127.0.0.1:$AGW_PORT/healthz"

log "grpc-gateway peer on 127.0.0.1:$PGW_PORT"
start_bg gw-peer "$PEER_BIN" -listen "127.0.0.1:$PGW_PORT" -backend "127.0.0.1:$DEAD_PORT" \
  -route "agora.customers.v1.Customers=127.0.0.1:$CUST_PORT" \
  -route "agora.inventory.v1.Inventory=127.0.0.1:$INV_PORT" \
  -jwt-alg RS256 -jwt-key "$WORK/jwt.pub.pem" -jwt-iss agora -jwt-aud agora-api -public /v1/products
wait_port "$PGW_PORT"

log "in-memory backend on 127.0.0.1:$MEM_PORT, and a second pair of gateways in front of it"
start_bg memory "$BUILD_DIR/bench/memory_backend" --listen="127.0.0.1:$MEM_PORT"
"$BUILD_DIR/tools/agoractl" wait "127.0.0.1:$MEM_PORT" 30 >/dev/null || die "memory_backend is not SERVING"
start_bg gw-agora-mem "$BUILD_DIR/gateway/gateway" --http-address=127.0.0.1 --http-port="$AGW_MEM_PORT" \
  --jwt-public-key-file="$WORK/jwt.pub.pem" \
  --inventory-address="127.0.0.1:$MEM_PORT" --customers-address="127.0.0.1:$MEM_PORT" \
  --orders-address="127.0.0.1:$DEAD_PORT" --reviews-address="127.0.0.1:$DEAD_PORT" \
  --saga-address="127.0.0.1:$DEAD_PORT" \
  --rate-limit-client-rps=0 --rate-limit-customer-rps=0 --log-level=warn
wait_http200 "http://127.0.0.1:$AGW_MEM_PORT/healthz"
start_bg gw-peer-mem "$PEER_BIN" -listen "127.0.0.1:$PGW_MEM_PORT" -backend "127.0.0.1:$DEAD_PORT" \
  -route "agora.customers.v1.Customers=127.0.0.1:$MEM_PORT" \
  -route "agora.inventory.v1.Inventory=127.0.0.1:$MEM_PORT" \
  -jwt-alg RS256 -jwt-key "$WORK/jwt.pub.pem" -jwt-iss agora -jwt-aud agora-api -public /v1/products
wait_port "$PGW_MEM_PORT"

# The administrator's access token (RS256, kid in its header; the peer's
# middleware takes its one key whatever the kid).
login=$(curl -sS -X POST "http://127.0.0.1:$AGW_PORT/v1/auth:login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}") || die "login request failed"
TOKEN=$(sed -n 's/.*"accessToken" *: *"\([^"]*\)".*/\1/p' <<<"$login")
[[ -n $TOKEN ]] || die "login answered no accessToken: $login"
AUTH="Authorization: Bearer $TOKEN"

cat >"$WORK/put-cart-item.lua" <<'LUA'
-- wrk: PUT with a JSON body (the token comes with -H)
wrk.method = "PUT"
wrk.body = '{"quantity":1}'
wrk.headers["Content-Type"] = "application/json"
LUA

# Every case answers 200 on both gateways before anything is measured, and the
# authenticated routes refuse a request without a token.
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
for port in "$AGW_PORT" "$PGW_PORT" "$AGW_MEM_PORT" "$PGW_MEM_PORT"; do
  base=http://127.0.0.1:$port
  wait_http200 "$base/v1/products/$PRODUCT"
  [[ $(status_of -H "$AUTH" "$base/v1/customers/me") == 200 ]] ||
    die "GET $base/v1/customers/me with the token: $(curl -s -H "$AUTH" "$base/v1/customers/me")"
  [[ $port == "$AGW_MEM_PORT" || $port == "$PGW_MEM_PORT" ]] || [[ $(status_of -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"quantity":1}' \
    "$base/v1/customers/me/cart/items/$PRODUCT") == 200 ]] ||
    die "PUT $base/v1/customers/me/cart/items/$PRODUCT: $(curl -s -X PUT -H "$AUTH" -d '{"quantity":1}' \
      "$base/v1/customers/me/cart/items/$PRODUCT")"
  [[ $(status_of "$base/v1/customers/me") == 401 ]] ||
    die "$base/v1/customers/me without a token did not answer 401"
done

# ---------------------------------------------------------------- measuring
HWM_RESET=1
# bench_one CASE GW PROCESS PORT PATH [wrk args...]: one measured wrk run against
# gateway GW (agora|peer), the process started as PROCESS; appends
# "case gw rps p50 p99 cpu_s_per_1k hwm_mib errors" to ROWS.
ROWS=()
bench_one() {
  local case=$1 gw=$2 proc=$3 port=$4 path=$5; shift 5
  local pid out=$WORK/wrk-$case-$gw.txt c0 c1
  pid=$(pid_of "$proc")
  kill -0 "$pid" 2>/dev/null || die "the $gw gateway (pid $pid) is gone; see $WORK/$proc.log"
  { echo 5 >"/proc/$pid/clear_refs"; } 2>/dev/null || HWM_RESET=0  # peak RSS := current RSS
  local perf_pid=
  if [[ ${AGORA_BENCH_PERF:-0} == 1 && $gw == agora ]]; then
    perf record -q -F 999 -g -p "$pid" -o "$WORK/perf-$case.data" -- sleep "$SECS" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  c0=$(tree_ticks "$pid")
  timed "$out" wrk "${WRK[@]}" "$@" "http://127.0.0.1:$port$path"
  c1=$(tree_ticks "$pid")
  if [[ -n $perf_pid ]]; then
    wait "$perf_pid" || true
    { perf report -i "$WORK/perf-$case.data" --no-children --sort dso,symbol --percent-limit 0.7 --stdio -g none 2>/dev/null
      perf report -i "$WORK/perf-$case.data" --children --sort symbol --percent-limit 3 --stdio -g caller,0.5,callee --max-stack 20 2>/dev/null
    } >"$WORK/perf-$case.txt"
    log "profile of our gateway in $WORK/perf-$case.txt"
  fi
  local rps reqs p50 p99 bad cpu hwm
  rps=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$out")
  reqs=$(awk '/requests in/{print $1}' "$out")
  p50=$(to_ms "$(awk '$1=="50%"{print $2}' "$out")")
  p99=$(to_ms "$(awk '$1=="99%"{print $2}' "$out")")
  bad=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(",","");n+=$4+$6+$8+$10} END{print n+0}' "$out")
  cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN{printf "%.3f", n ? t/hz/n*1000 : 0}')
  hwm=$(awk '/^VmHWM:/{printf "%.1f", $2/1024}' "/proc/$pid/status")
  [[ -n $rps && -n $reqs ]] || { cat "$out" >&2; die "could not read wrk's output $out"; }
  ROWS+=("$case $gw $rps $p50 $p99 $cpu $hwm $bad")
  log "$case $gw: $rps req/s  p50 $p50 ms  p99 $p99 ms  gateway $cpu CPU s/1k req ($(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v w="$T_WALL" 'BEGIN{printf "%.2f", t/hz/w}') cores)  wrk $(awk -v c="$T_CPU" -v w="$T_WALL" 'BEGIN{printf "%.2f", c/w}') cores  peak RSS $hwm MiB  errors $bad"
  ((bad == 0)) || log "WARNING: $case $gw had $bad errors or non-2xx responses; see $out"
}

# case id | what | path | extra wrk args (word-split; "mem": the in-memory pair)
CASES=(
  "get-product|GET /v1/products/{id}, public|/v1/products/$PRODUCT|"
  "get-me|GET /v1/customers/me, RS256 token|/v1/customers/me|auth"
  "put-cart-item|PUT /v1/customers/me/cart/items/{productId}, RS256 token, {\"quantity\":1}|/v1/customers/me/cart/items/$PRODUCT|auth lua"
  "mem-get-product|GET /v1/products/{id}, public, in-memory backend|/v1/products/$PRODUCT|mem"
  "mem-get-me|GET /v1/customers/me, RS256 token, in-memory backend|/v1/customers/me|auth mem"
)
wrk_extra() {  # wrk_extra FLAGS: sets EXTRA from "auth", "lua"
  EXTRA=()
  [[ $1 == *auth* ]] && EXTRA+=(-H "$AUTH")
  [[ $1 == *lua* ]] && EXTRA+=(-s "$WORK/put-cart-item.lua")
  return 0
}

log "each case ${SECS}s per gateway: wrk ${WRK[*]} (after a 2 s warm-up of each)"
selected() { [[ -z ${AGORA_BENCH_CASES:-} || " $AGORA_BENCH_CASES " == *" $1 "* ]]; }
for spec in "${CASES[@]}"; do
  IFS='|' read -r id _ path flags <<<"$spec"
  selected "$id" || continue
  wrk_extra "$flags"
  if [[ $flags == *mem* ]]; then
    ours=(gw-agora-mem "$AGW_MEM_PORT"); peer=(gw-peer-mem "$PGW_MEM_PORT")
  else
    ours=(gw-agora "$AGW_PORT"); peer=(gw-peer "$PGW_PORT")
  fi
  for port in "${ours[1]}" "${peer[1]}"; do
    wrk -t2 -c64 -d2s "${EXTRA[@]}" "http://127.0.0.1:$port$path" >/dev/null
  done
  bench_one "$id" agora "${ours[0]}" "${ours[1]}" "$path" "${EXTRA[@]}"
  bench_one "$id" peer "${peer[0]}" "${peer[1]}" "$path" "${EXTRA[@]}"
done

# ---------------------------------------------------------------- the cart PUT against PostgreSQL
# PostgreSQL's ceiling for the cart PUT's own transaction, in the same run:
# pgbench runs the statement customers runs for it (one autocommit call of
# cart_set, migrations/0004_cart_set.sql) with wrk's 64 clients, on the same
# customer and product (so, like the PUTs, serialized on that customer's row).
CART_CEILING=
if selected put-cart-item; then
  admin_id=$("$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -tA \
    -c "SELECT id FROM customers.customers WHERE email = '$ADMIN_EMAIL'")
  printf "SELECT * FROM customers.cart_set('%s', '%s', 1, 50);\n" "$admin_id" "$PRODUCT" >"$WORK/cart-set.sql"
  chmod 644 "$WORK/cart-set.sql"
  CART_CEILING=$(PGPASSWORD=postgres "${AGORA_PGBIN:-/usr/lib/postgresql/15/bin}/pgbench" -n -h 127.0.0.1 \
    -p "$PG_PORT" -U postgres -c 64 -j 2 -T "$SECS" -f "$WORK/cart-set.sql" agora 2>/dev/null |
    sed -n 's/^tps = \([0-9]*\).*/\1/p' | head -1)
  log "PostgreSQL ceiling of the cart PUT's transaction (pgbench, 64 clients, ${SECS}s): ${CART_CEILING:-?} tx/s"
fi

# ---------------------------------------------------------------- the table
row_of() {  # row_of CASE GW: the ROWS entry
  local r
  for r in "${ROWS[@]}"; do [[ $r == "$1 $2 "* ]] && { echo "$r"; return; }; done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f", a/b; else printf "n/a"}'; }
# target_row WHAT FIGURE OP LIMIT: a row of the targets table; FIGURE is
# compared with LIMIT by OP (">=" or "<=").
target_row() {
  local verdict
  verdict=$(awk -v f="$2" -v op="$3" -v l="$4" 'BEGIN{
    if (f == "n/a" || f == "") { print "n/a"; exit }
    ok = (op == ">=") ? (f + 0 >= l + 0) : (f + 0 <= l + 0); print ok ? "met" : "not met" }')
  printf '| %s | %s | %s %s | %s |\n' "$1" "$2" "$3" "$4" "$verdict"
}
# mem_targets CASE WHAT MIN_RATIO: appends to `rows` the in-memory case's
# three targets: requests/s against the peer, p99 against the peer, CPU per request.
mem_targets() {
  local a_rps a_p99 a_cpu p_rps p_p99
  selected "$1" || return 0
  read -r _ _ a_rps _ a_p99 a_cpu _ <<<"$(row_of "$1" agora)"
  read -r _ _ p_rps _ p_p99 _ _ <<<"$(row_of "$1" peer)"
  rows+=("$(target_row "$2, in-memory backend: req/s ours/peer" "$(ratio "$a_rps" "$p_rps")" ">=" "$3")")
  rows+=("$(target_row "$2, in-memory backend: p99 ours/peer" "$(ratio "$a_p99" "$p_p99")" "<=" 0.50)")
  rows+=("$(target_row "$2, in-memory backend: gateway CPU us per request" \
    "$(awk -v c="$a_cpu" 'BEGIN{printf "%.0f", c * 1000}')" "<=" 50)")
}
# Issue 17's targets beside this run's figures, for the cases that ran.
targets() {
  local rows=() a_rps real_rps mem_rps
  mem_targets mem-get-me "RS256 GET" 2.00
  mem_targets mem-get-product "public GET" 1.60
  if selected get-product && selected mem-get-product; then
    read -r _ _ real_rps _ <<<"$(row_of get-product agora)"
    read -r _ _ mem_rps _ <<<"$(row_of mem-get-product agora)"
    rows+=("$(target_row "public GET through the real inventory, % of the in-memory case's req/s" \
      "$(awk -v a="$real_rps" -v b="$mem_rps" 'BEGIN{if (b > 0) printf "%.0f", 100 * a / b; else printf "n/a"}')" ">=" 60)")
  fi
  if [[ -n $CART_CEILING ]]; then
    read -r _ _ a_rps _ <<<"$(row_of put-cart-item agora)"
    rows+=("$(target_row "cart PUT, % of PostgreSQL's ceiling for its transaction" \
      "$(awk -v a="$a_rps" -v b="$CART_CEILING" 'BEGIN{if (b > 0) printf "%.0f", 100 * a / b; else printf "n/a"}')" ">=" 50)")
  fi
  ((${#rows[@]})) || return 0
  echo
  echo "Targets (issue 17; idle RSS and start time: ./agora bench footprint):"
  echo
  echo "| what | this run | target | |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
}
{
  echo
  echo "Agora gateway vs grpc-gateway v1.6.4 (peer), same backends, same run, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores;"
  echo "wrk ${WRK[*]} on loopback. CPU and peak RSS are the gateway process's alone$(
    ((HWM_RESET)) || echo " (peak RSS since the gateway started: /proc/PID/clear_refs was refused)")."
  echo "ours/peer: above 1 is better for req/s, below 1 is better for the others."
  echo
  echo "| case | gateway | req/s | p50 ms | p99 ms | gateway CPU s / 1k req | peak RSS MiB | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  for spec in "${CASES[@]}"; do
    IFS='|' read -r id what _ _ <<<"$spec"
    selected "$id" || continue
    read -r _ _ a_rps a_p50 a_p99 a_cpu a_hwm a_bad <<<"$(row_of "$id" agora)"
    read -r _ _ p_rps p_p50 p_p99 p_cpu p_hwm p_bad <<<"$(row_of "$id" peer)"
    printf '| %s | Agora | %s | %.2f | %.2f | %s | %s | %s |\n' "$what" "$a_rps" "$a_p50" "$a_p99" "$a_cpu" "$a_hwm" "$a_bad"
    printf '| | grpc-gateway | %s | %.2f | %.2f | %s | %s | %s |\n' "$p_rps" "$p_p50" "$p_p99" "$p_cpu" "$p_hwm" "$p_bad"
    printf '| | **ours/peer** | **%s** | %s | %s | %s | %s | |\n' "$(ratio "$a_rps" "$p_rps")" \
      "$(ratio "$a_p50" "$p_p50")" "$(ratio "$a_p99" "$p_p99")" "$(ratio "$a_cpu" "$p_cpu")" "$(ratio "$a_hwm" "$p_hwm")"
  done
  if [[ -n $CART_CEILING ]]; then
    read -r _ _ cart_rps _ <<<"$(row_of put-cart-item agora)"
    echo
    echo "PUT cart item: $cart_rps req/s through our gateway = $(awk -v a="$cart_rps" -v b="$CART_CEILING" \
      'BEGIN{printf "%.0f", (b > 0 ? 100 * a / b : 0)}') % of PostgreSQL's ceiling for its transaction in this run" \
      "($CART_CEILING tx/s: pgbench, 64 clients, the same statement, customer and product; target >= 50 %)."
  fi
  targets
} | tee "$WORK/results.md"
log "table also in $WORK/results.md; logs and wrk outputs in $WORK"
