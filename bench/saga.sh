#!/usr/bin/env bash
# ./agora bench saga [SECONDS]: orders through the gateway, each waited for
# until its saga has ended, with the whole system co-located on this machine:
# a durable PostgreSQL (fsync and synchronous_commit on), the dev broker,
# customers, inventory, orders, reviews, the saga coordinator and the gateway,
# plus the load generator (bench/saga_bench.cc). Runs, SECONDS each (default 15):
#
#   1. closed loop, 16, 64 and 160 clients: the most completed sagas/s;
#   2. fixed rates: 80 % of the best closed-loop rate, and 400/s (80 % of the
#      500/s target), latency from each order's due time to its end;
#   3. PostgreSQL's commit ceiling in the same run (pgbench, one-row UPDATE
#      transactions, 1 and 8 clients), so that sagas/s reads as a fraction
#      of what the database can commit.
#
# An order has ended when its APPROVED/REJECTED event is on Kafka (see
# saga_bench.cc). Commits are pg_stat_database.xact_commit of the agora
# database over the run, divided by the sagas completed in it: the order's
# own insert, every participant's and the coordinator's batch transactions,
# the relays', and whatever else ran. Machine busy: the share of both cores'
# time not idle from the first send until every order ended (near 100 %: the
# run was bound by the CPU, and its latencies are mostly queueing).
#
# AGORA_BENCH_CLIENTS (default "16 64 160") sets the closed-loop runs. Each
# run also gets where its sagas waited: the mean relay hop per schema and
# the mean coordinator step, from the services' histograms. AGORA_BENCH_RATES
# (default "80% 400") sets the fixed-rate runs in orders/s, "80%" meaning 80 %
# of the best closed-loop rate; empty: none.
# AGORA_BENCH_EXTRA_ENV adds VAR=value words to every process's environment
# (an experiment: "PGOPTIONS=-cplan_cache_mode=force_custom_plan"), and
# AGORA_PG_EXTRA_CONF lines to PostgreSQL's configuration ("commit_delay = 200").
# AGORA_BENCH_PROFILE=1 loads pg_stat_statements and writes the 40 statements
# that took the most time, the 40 called most often, the sums by role (one
# per service), and the tables' scan and write counts, to $WORK/statements.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "${1:?usage: saga.sh BUILD_DIR [SECONDS]}")
SECS=${2:-15}
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "saga.sh: SECONDS must be a positive integer, got '$SECS'" >&2; exit 2; }
WORK=$BUILD/bench-saga
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=tools/local/system.sh
source "$ROOT/tools/local/system.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x $BUILD/bench/saga_bench ]] || { log "$BUILD/bench/saga_bench is missing: build first (./agora build)"; exit 1; }
read -r load1 _ </proc/loadavg
awk -v l="$load1" 'BEGIN{exit !(l > 1.5)}' &&
  log "WARNING: load average $load1 before the run: other processes share the cores, figures will be noisy"

"$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true  # an interrupted run's
rm -rf "$WORK"; mkdir -p "$WORK"
prefix="benchsaga$RANDOM."
AGORA_PG_STAT_STATEMENTS=${AGORA_BENCH_PROFILE:-0} \
  start_system "$prefix" AGORA_RATE_LIMIT_CLIENT_RPS=0 AGORA_RATE_LIMIT_CUSTOMER_RPS=0 ${AGORA_BENCH_EXTRA_ENV:-} || exit 1
if [[ ${AGORA_BENCH_PROFILE:-0} == 1 ]]; then
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "CREATE EXTENSION pg_stat_statements" >/dev/null
fi

CLK_TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Context switches of every thread of a process, voluntary and not: each is a
# thread that slept and was woken (a hand-off between threads or processes),
# or was preempted. Threads that ended are not counted; ours live as long as
# their process, and PostgreSQL's backends as long as the pools.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
# One figure per process (FIGURE is ticks or switches), PostgreSQL last: the
# postmaster and every backend summed.
CPU_PROCS=(gateway orders inventory customers saga reviews broker)
snapshot() {
  local figure=$1 n main total=0 p
  for n in "${CPU_PROCS[@]}"; do printf '%s ' "$("$figure" "${pid[$n]}")"; done
  main=$(head -1 "$WORK/pg/postmaster.pid")
  for p in $main $(pgrep -P "$main"); do total=$((total + $("$figure" "$p"))); done
  echo "$total"
}

run() {  # run MODE TARGET: one saga_bench line, plus cpu_ms_per_saga=name:ms,... and switches_per_saga=name:n,...
  local line before after sw_before sw_after
  scrape >"$WORK/scrape.$1-$2.before"
  before=($(snapshot ticks))
  sw_before=($(snapshot switches))
  line=$("$BUILD/bench/saga_bench" --gateway-port="${port[gateway]}" --pg-port="$pg_port" \
    --kafka-brokers="$brokers" --topic-prefix="$prefix" --jwt-key-file="$WORK/jwt.pem" \
    --mode="$1" $([[ $1 == closed ]] && echo "--concurrency=$2" || echo "--rate=$2 --concurrency=64") \
    --seconds="$SECS" 2>>"$WORK/saga_bench.log") || log "saga_bench $1 $2: some orders failed or did not end (see $WORK/saga_bench.log)"
  after=($(snapshot ticks))
  sw_after=($(snapshot switches))
  scrape >"$WORK/scrape.$1-$2.after"
  local done_n i cpu="" names=("${CPU_PROCS[@]}" postgres)
  done_n=$(field completed "$line")
  for i in "${!names[@]}"; do
    cpu+=$(awk -v t=$((after[i] - before[i])) -v hz="$CLK_TCK" -v n="${done_n:-0}" -v name="${names[i]}" \
      'BEGIN { printf "%s%s:%.2f", (NR ? "" : ""), name, n ? t / hz / n * 1000 : 0 }'),
  done
  local sw=""
  for i in "${!names[@]}"; do
    sw+=$(awk -v d=$((sw_after[i] - sw_before[i])) -v n="${done_n:-0}" -v name="${names[i]}" \
      'BEGIN { printf "%s:%.1f", name, n ? d / n : 0 }'),
  done
  line="$line cpu_ms_per_saga=${cpu%,} switches_per_saga=${sw%,}"
  echo "$line" >>"$WORK/runs.txt"
  echo "$line"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# Sums and counts of the latency histograms of every service: the relays'
# (outbox insert to broker acknowledgement) and the coordinator's steps
# (command sent to reply handled).
scrape() {
  local n
  for n in customers inventory orders reviews saga; do
    curl -fsS "127.0.0.1:${mport[$n]}/metrics" 2>/dev/null |
      grep -E '^agora_(outbox_relay_latency_seconds|saga_step_seconds)_(sum|count)' | sed "s/^/$n /" || true
  done
}
# Mean latency per histogram series between two scrapes (files), in ms.
latency_means() {
  awk 'FILENAME == ARGV[1] { before[$1 " " $2] = $3; next }
       { key = $1 " " $2; d = $3 - before[key]; series = key; sub(/_(sum|count)/, "", series)
         if (key ~ /_sum/) sum[series] = d; else count[series] = d }
       END { for (k in count) if (count[k] > 0) printf "%s: %.1f ms (%d)\n", k, 1000 * sum[k] / count[k], count[k] }' \
    "$1" "$2" | sed -E 's/agora_outbox_relay_latency_seconds\{schema="([a-z]*)"\}/relay \1/;
                        s/agora_saga_step_seconds\{outcome="([a-z]*)",step="([A-Za-z]*)"\}/step \2 (\1)/' | sort
}

rows=()
best=0
CLIENTS=${AGORA_BENCH_CLIENTS:-16 64 160}
for c in $CLIENTS; do
  log "closed loop, $c clients, ${SECS}s"
  row=$(run closed "$c"); rows+=("$row")
  rate=$(field sagas_per_s "$row")
  (( ${rate:-0} > best )) && best=$rate
done
eighty=$(( best * 8 / 10 ))
RATES=${AGORA_BENCH_RATES-80% 400}
for r in ${RATES//80%/$eighty}; do
  (( r > 0 )) || continue
  log "fixed rate $r orders/s, ${SECS}s"
  rows+=("$(run rate "$r")")
done

if [[ ${AGORA_BENCH_PROFILE:-0} == 1 ]]; then
  log "statement profile of the runs: $WORK/statements.txt"
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "SELECT calls, round(total_exec_time) AS total_ms,
     round(mean_exec_time::numeric, 3) AS mean_ms, plans, round(total_plan_time) AS plan_ms, rows,
     left(regexp_replace(query, '\s+', ' ', 'g'), 150) AS query
     FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 40" >"$WORK/statements.txt"
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "SELECT calls, round(total_exec_time) AS total_ms, rows,
     left(regexp_replace(query, '\s+', ' ', 'g'), 150) AS query
     FROM pg_stat_statements ORDER BY calls DESC LIMIT 40" >>"$WORK/statements.txt"
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "SELECT r.rolname AS role, sum(s.calls) AS calls,
     round(sum(s.total_exec_time)) AS exec_ms, round(sum(s.total_plan_time)) AS plan_ms, sum(s.rows) AS rows
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid GROUP BY 1 ORDER BY 3 DESC" >>"$WORK/statements.txt"
  "$ROOT/tools/pg/cluster.sh" psql "$WORK/pg" agora -c "SELECT schemaname || '.' || relname AS table, seq_scan,
     seq_tup_read, idx_scan, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot_upd, n_tup_del AS del,
     n_live_tup AS live, n_dead_tup AS dead, autovacuum_count AS autovacuums
     FROM pg_stat_user_tables ORDER BY seq_tup_read + idx_scan DESC LIMIT 25" >>"$WORK/statements.txt"
fi

log "PostgreSQL commit ceiling (pgbench, one-row UPDATE per transaction, 5 s each)"
read -r c1 c8 < <(commit_ceiling "$pg_port")

{
  printf '\n| run | sent | completed (approved / rejected) | unfinished, errors | sagas/s | p50 ms | p99 ms | max ms | commits per saga | commits/s vs ceiling (8 clients) | machine busy |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
  for row in "${rows[@]}"; do
    mode=$(field mode "$row"); target=$(field target "$row")
    [[ $mode == closed ]] && what="closed loop, $target clients" || what="$target orders/s"
    sps=$(field sagas_per_s "$row"); cps=$(field commits_per_saga "$row")
    frac=$(awk -v s="$sps" -v c="$cps" -v m="$c8" 'BEGIN { printf "%.0f %%", m ? 100 * s * c / m : 0 }')
    printf '| %s | %s | %s (%s / %s) | %s, %s | %s | %s | %s | %s | %s | %s | %s %% |\n' "$what" "$(field sent "$row")" \
      "$(field completed "$row")" "$(field approved "$row")" "$(field rejected "$row")" \
      "$(field unfinished "$row")" "$(field errors "$row")" "$sps" "$(field p50_ms "$row")" \
      "$(field p99_ms "$row")" "$(field max_ms "$row")" "$cps" "$frac" "$(field machine_busy "$row")"
  done
  printf '\nCPU milliseconds per completed saga, by process (2 cores = 2,000 ms/s in all):\n\n'
  for row in "${rows[@]}"; do printf -- '- %s %s: %s\n' "$(field mode "$row")" "$(field target "$row")" \
    "$(field cpu_ms_per_saga "$row" | sed 's/,/, /g')"; done
  printf '\nContext switches per completed saga, by process (every thread, voluntary and not):\n\n'
  for row in "${rows[@]}"; do printf -- '- %s %s: %s\n' "$(field mode "$row")" "$(field target "$row")" \
    "$(field switches_per_saga "$row" | sed 's/,/, /g')"; done
  printf '\nWhere a saga waits, per run (means in ms, with the count): relays from outbox insert to the broker\n'
  printf 'acknowledgement; coordinator steps from command sent to reply handled (two hops each):\n\n'
  for row in "${rows[@]}"; do
    mode=$(field mode "$row"); target=$(field target "$row")
    [[ -f $WORK/scrape.$mode-$target.before && -f $WORK/scrape.$mode-$target.after ]] || continue
    printf -- '- %s %s: %s\n' "$mode" "$target" "$(latency_means "$WORK/scrape.$mode-$target.before" \
      "$WORK/scrape.$mode-$target.after" | sed -E 's/^[a-z]+ //; s/ \(([0-9]+)\)$/ (\1)/; s/ ms / /' | paste -sd, | sed 's/,/, /g')"
  done
  printf '\nPostgreSQL commit ceiling, same run: %.0f commits/s with 1 client, %.0f with 8.\n' "$c1" "$c8"
  printf 'Target: >= 500 completed sagas/s; p99 < 250 ms at 400/s.\n'
} | tee "$WORK/results.md"
