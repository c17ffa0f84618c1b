#!/usr/bin/env bash
# ./agora bench participants [COMMANDS]: the saga participants (the real
# inventory, customers and orders processes) answering COMMANDS commands each
# (default 20,000) through the dev broker, one participant at a time, against
# a durable PostgreSQL (fsync and synchronous_commit on). Prints commands/s
# and PostgreSQL commits per command, beside the commit ceiling of the same
# PostgreSQL measured in the same run with pgbench (one-row UPDATE
# transactions, 1 and 8 clients).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?usage: participants.sh BUILD_DIR [COMMANDS]}
COMMANDS=${2:-20000}
WORK=$BUILD/bench-participants
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap cleanup EXIT

rm -rf "$WORK"; mkdir -p "$WORK"
pg_port=$(free_port)
log "PostgreSQL on $pg_port (durable: fsync and synchronous_commit on)"
"$ROOT/tools/pg/cluster.sh" start "$WORK/pg" "$pg_port" >"$WORK/pg.log" 2>&1

log "dev broker"
"$BUILD/tools/dev_broker" --bootstrap-file="$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s $WORK/bootstrap ]] && break; sleep 0.1; done
brokers=$(cat "$WORK/bootstrap")
prefix="bench$RANDOM."

# Every service refuses to start without the services' key (service identity).
"$ROOT/tools/local/service-key.sh" "$WORK/service.pem"
common=(AGORA_PG_PORT="$pg_port" AGORA_KAFKA_BROKERS="$brokers" AGORA_KAFKA_TOPIC_PREFIX="$prefix"
        AGORA_METRICS_PORT=0 AGORA_LOG_LEVEL=warn AGORA_SERVICE_KEY_FILE="$WORK/service.pem"
        AGORA_JWT_PRIVATE_KEY_FILE="$WORK/jwt.pem" AGORA_JWT_PUBLIC_KEY_FILE="$WORK/jwt.pub.pem")
for name in customers inventory orders; do
  port=$(free_port)
  env "${common[@]}" AGORA_GRPC_ADDRESS="127.0.0.1:$port" "$BUILD/$name/$name" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  "$BUILD/tools/agoractl" wait "127.0.0.1:$port" 60 >/dev/null \
    || { log "$name did not start:"; cat "$WORK/$name.log" >&2; exit 1; }
done

rows=()
for participant in inventory customers orders; do
  log "$participant: $COMMANDS commands"
  rows+=("$("$BUILD/bench/participant_bench" --pg-port="$pg_port" --kafka-brokers="$brokers" \
    --topic-prefix="$prefix" --participant="$participant" --commands="$COMMANDS")")
done

log "PostgreSQL commit ceiling (pgbench, one-row UPDATE per transaction, 5 s each)"
read -r c1 c8 < <(commit_ceiling "$pg_port")

printf '\n| participant | commands | commands/s | PostgreSQL commits per command | commands/s vs commit ceiling (1 client / 8 clients) |\n'
printf '|---|---|---|---|---|\n'
for row in "${rows[@]}"; do
  name=$(sed 's/.*participant=\([a-z]*\).*/\1/' <<<"$row")
  n=$(sed 's/.*answered=\([0-9]*\).*/\1/' <<<"$row")
  cps=$(sed 's/.*commands_per_s=\([0-9.]*\).*/\1/' <<<"$row")
  cpc=$(sed 's/.*commits_per_command=\([0-9.]*\).*/\1/' <<<"$row")
  r1=$(awk -v a="$cps" -v b="$c1" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
  r8=$(awk -v a="$cps" -v b="$c8" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
  printf '| %s | %s | %s | %s | %sx / %sx |\n' "$name" "$n" "$cps" "$cpc" "$r1" "$r8"
done
printf '\nPostgreSQL commit ceiling, same run: %.0f commits/s with 1 client, %.0f with 8.\n' "$c1" "$c8"
