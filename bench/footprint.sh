#!/usr/bin/env bash
# ./agora bench footprint [IDLE_SECONDS]: how fast each process starts and
# how much memory it holds when idle, beside the targets (issue 17: every
# service SERVING within 2 s of its start, idle RSS at most 20 MiB).
#
# Starts the whole system as the saga bench does (durable PostgreSQL, the dev
# broker, customers, inventory, orders, reviews, saga, the gateway), then per
# process:
#   - first start: exec to SERVING (the gateway: /healthz answers) on an
#     empty database, migrations included (tools/local/system.sh, polled
#     every 20 ms);
#   - restart: SIGTERM, wait for the exit, start again: what a rolling
#     update sees (migrations already applied);
#   - after IDLE_SECONDS (default 10) with no traffic: VmRSS, split into
#     RssAnon (its own heap and stacks) and RssFile (pages of mapped files,
#     mostly the shared libraries: libgrpc, libprotobuf, libcrypto, libstdc++,
#     which every process maps and the kernel holds once), and Pss
#     (/proc/PID/smaps_rollup: shared pages divided among the processes
#     mapping them, i.e. what the process adds to the machine).
# AGORA_BENCH_EXTRA_ENV adds VAR=value words to every process's environment
# (as in bench/saga.sh), to measure a setting against the default.
# The table lands in BUILD_DIR/bench-footprint/results.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "${1:?usage: footprint.sh BUILD_DIR [IDLE_SECONDS]}")
IDLE=${2:-10}
[[ $IDLE =~ ^[0-9]+$ ]] || { echo "footprint.sh: IDLE_SECONDS must be a whole number, got '$IDLE'" >&2; exit 2; }
WORK=$BUILD/bench-footprint
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=tools/local/system.sh
source "$ROOT/tools/local/system.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/tools/pg/cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true  # an interrupted run's
rm -rf "$WORK"; mkdir -p "$WORK"
# shellcheck disable=SC2086  # VAR=value words
start_system "benchfoot$RANDOM." ${AGORA_BENCH_EXTRA_ENV:-} || exit 1
NAMES=("${AGORA_SERVICES[@]}" gateway)
declare -A first restart
for n in "${NAMES[@]}"; do first[$n]=${start_ms[$n]}; done

log "restarting each process"
for n in "${NAMES[@]}"; do
  kill -TERM "${pid[$n]}"
  wait "${pid[$n]}" 2>/dev/null || true
  start_process "$n" || exit 1
  restart[$n]=${start_ms[$n]}
done

log "idle for ${IDLE}s"
sleep "$IDLE"
kib() { awk -v k="$2:" '$1 == k { print $2 }' "$1" 2>/dev/null || true; }
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }

{
  printf '\n| process | first start ms | restart ms | RSS MiB | RssAnon MiB | RssFile MiB | PSS MiB |\n'
  printf '|---|---|---|---|---|---|---|\n'
  for n in "${NAMES[@]}"; do
    p=${pid[$n]}
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "${first[$n]}" "${restart[$n]}" \
      "$(mib "$(kib "/proc/$p/status" VmRSS)")" "$(mib "$(kib "/proc/$p/status" RssAnon)")" \
      "$(mib "$(kib "/proc/$p/status" RssFile)")" "$(mib "$(kib "/proc/$p/smaps_rollup" Pss)")"
  done
  printf '\nTargets: every service SERVING within 2,000 ms of its start; idle RSS at most 20 MiB.\n'
  printf 'Start: exec to SERVING, polled every 20 ms; the first start runs the migrations on an empty database.\n'
} | tee "$WORK/results.md"
