#!/usr/bin/env bash
# ./agora soak [SECONDS]: a bounded soak (issue 16). The whole system on free
# ports (tools/local/system.sh), mixed traffic from tools/chaos/chaos_load
# without faults (orders of hot products, customers short of money, cancels,
# admin aborts, catalog reads) for SECONDS (default 300), and every 10 s:
# orders ended and HTTP answers by class in that interval, and the resident
# memory of each process. Prints the series, each process's RSS after the
# warm-up and at the end, and exits non-zero when:
#
#   - a process's RSS grew by more than RSS_BOUND (max of 32 MiB and 50 % of
#     its warm RSS: allocator arenas and caches settle within minutes, a leak
#     per order does not);
#   - any 5xx was answered, or an interval ended no order after the warm-up
#     (an error spike or a stall);
#   - a process died, or the invariants of tools/chaos/check.sql fail.
#
#   tools/soak/soak.sh BUILD_DIR [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: soak.sh BUILD_DIR [SECONDS]}")
SECS=${2:-300}
[[ $SECS =~ ^[1-9][0-9]*$ && $SECS -ge 40 ]] || { echo "soak.sh: SECONDS must be at least 40" >&2; exit 2; }
WORK=$BUILD/soak
PIDS=()
INTERVAL=10
WARMUP=20

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=tools/local/system.sh
source "$ROOT/tools/local/system.sh"
log() { printf '[soak] %s\n' "$*" >&2; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x $BUILD/tools/chaos_load ]] || { log "$BUILD/tools/chaos_load is missing: build first (./agora build)"; exit 1; }
"$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
rm -rf "$WORK"; mkdir -p "$WORK"; chmod 755 "$WORK"
start_system "soak$RANDOM." AGORA_RATE_LIMIT_CLIENT_RPS=0 AGORA_RATE_LIMIT_CUSTOMER_RPS=0
psql_q() { "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" -At -c "$1" 2>/dev/null; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# HTTP answers of the gateway so far, by class: "2xx 4xx 5xx".
answers() {
  curl -fsS "127.0.0.1:${port[gateway]}/metrics" 2>/dev/null |
    awk '/^http_requests_total\{/ { match($0, /code="[0-9]/); c = substr($0, RSTART + 6, 1); n[c] += $NF }
         END { printf "%d %d %d\n", n["2"] + 0, n["4"] + 0, n["5"] + 0 }'
}
ended() { psql_q "SELECT count(*) FROM orders.orders WHERE status NOT IN ('PENDING', 'CANCELLING')"; }

log "mixed traffic for $SECS s (warm-up $WARMUP s), a sample every $INTERVAL s"
"$BUILD/tools/chaos_load" --gateway-port="${port[gateway]}" --pg-port="$pg_port" --jwt-key-file="$WORK/jwt.pem" \
  --seconds="$SECS" --stock=1000000 --reads=2 >"$WORK/load.out" 2>"$WORK/load.log" &
load_pid=$!
names=("${AGORA_SERVICES[@]}" gateway)
declare -A warm_rss
failures=()
printf '| t (s) | orders ended/s | 2xx/s | 4xx/s | 5xx/s |%s\n' "$(printf ' %s RSS MiB |' "${names[@]}")" | tee "$WORK/series.md"
printf '|---|---|---|---|---|%s\n' "$(printf -- '---|%.0s' "${names[@]}")" | tee -a "$WORK/series.md"
read -r a2 a4 a5 <<<"$(answers)"; e0=$(ended); t=0
while kill -0 "$load_pid" 2>/dev/null; do
  sleep "$INTERVAL"; t=$((t + INTERVAL))
  read -r b2 b4 b5 <<<"$(answers)"; e1=$(ended)
  row="| $t | $(( (e1 - e0) / INTERVAL )) | $(( (b2 - a2) / INTERVAL )) | $(( (b4 - a4) / INTERVAL )) | $(( (b5 - a5) / INTERVAL )) |"
  for n in "${names[@]}"; do
    kill -0 "${pid[$n]}" 2>/dev/null || { failures+=("$n died at ${t}s"); continue; }
    r=$(rss_kib "${pid[$n]}")
    row+=" $(( r / 1024 )) |"
    [[ $t -eq $WARMUP ]] && warm_rss[$n]=$r
  done
  echo "$row" | tee -a "$WORK/series.md"
  if [[ $t -gt $WARMUP && $t -le $((SECS - INTERVAL)) && $e1 -eq $e0 ]]; then failures+=("no order ended in $((t - INTERVAL))-${t}s"); fi
  [[ $b5 -gt $a5 ]] && failures+=("$((b5 - a5)) 5xx answers in $((t - INTERVAL))-${t}s")
  a2=$b2 a4=$b4 a5=$b5 e0=$e1
done
wait "$load_pid" || failures+=("chaos_load exited with an error (see $WORK/load.log)")
for _ in $(seq 1 120); do [[ $(psql_q "SELECT count(*) FROM orders.orders WHERE status IN ('PENDING', 'CANCELLING')") == 0 ]] && break; sleep 0.5; done

{
  echo
  echo "RSS after the warm-up ($WARMUP s) and at the end, growth bound max(32 MiB, 50 %):"
  for n in "${names[@]}"; do
    end=$(rss_kib "${pid[$n]}") start=${warm_rss[$n]:-0}
    bound=$(( start / 2 > 32768 ? start / 2 : 32768 ))
    verdict=ok
    if (( end - start > bound )); then verdict="GREW BEYOND THE BOUND"; failures+=("$n RSS grew $(( (end - start) / 1024 )) MiB"); fi
    printf -- '- %s: %d -> %d MiB (%+d MiB) %s\n' "$n" $((start / 1024)) $((end / 1024)) $(( (end - start) / 1024 )) "$verdict"
  done
  echo "load generator: $(tail -1 "$WORK/load.out")"
  echo "invariants:"
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" -q -v ON_ERROR_STOP=1 -f "$ROOT/tools/chaos/check.sql" 2>&1 | sed 's/^/  /'
} | tee "$WORK/report.md"
grep -q '^  VIOLATION' "$WORK/report.md" && failures+=("an invariant is violated")
if ((${#failures[@]})); then
  printf '[soak] FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
log "ok (series and report in $WORK)"
