#!/usr/bin/env bash
# The benchmarks still run end to end, each briefly (a broken one once went
# unnoticed for a session: the participants' bench after every service began
# to require the services' key). Figures are not checked: tests never time.
#
#   participants  ./agora bench participants with 300 commands each: its
#                 table names inventory, customers and orders, each with 300
#                 commands answered at a rate above zero;
#   saga          ./agora bench saga with 16 clients for 2 s: every run's
#                 orders all ended (none unfinished, no error) and the CPU
#                 split, every process's context switches per saga and the
#                 commit ceiling were printed;
#   footprint     ./agora bench footprint idle for 1 s: a row per service
#                 and the gateway, every start time and memory figure a
#                 positive number, and the targets line.
#
#   tests/bench/smoke_test.sh BUILD_DIR participants|saga|footprint
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: smoke_test.sh BUILD_DIR participants|saga|footprint}")
WHAT=${2:?usage: smoke_test.sh BUILD_DIR participants|saga|footprint}
out=$(mktemp); trap 'rm -f "$out"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

case $WHAT in
  participants)
    bash "$ROOT/bench/participants.sh" "$BUILD" 300 >"$out" 2>&1 || { cat "$out"; fail "the participants bench exited $?"; }
    for p in inventory customers orders; do
      row=$(grep -E "^\| $p \|" "$out" || true)
      [[ -n $row ]] || { fail "no row for $p"; continue; }
      commands=$(awk -F'|' '{gsub(/ /, "", $3); print $3}' <<<"$row")
      rate=$(awk -F'|' '{gsub(/ /, "", $4); print $4}' <<<"$row")
      [[ $commands == 300 ]] || fail "$p answered '$commands' commands, not 300"
      [[ $rate =~ ^[0-9]+$ && $rate -gt 0 ]] || fail "$p: rate '$rate'"
    done
    grep -q "PostgreSQL commit ceiling, same run" "$out" || fail "no commit ceiling"
    ;;
  saga)
    AGORA_BENCH_CLIENTS=16 bash "$ROOT/bench/saga.sh" "$BUILD" 2 >"$out" 2>&1 || { cat "$out"; fail "the saga bench exited $?"; }
    rows=$(grep -cE '^\| (closed loop|[0-9]+ orders/s)' "$out" || true)
    [[ $rows == 3 ]] || fail "$rows result rows, not 3 (closed loop, 80 % and 400/s)"
    while IFS= read -r row; do
      sent=$(awk -F'|' '{gsub(/ /, "", $3); print $3}' <<<"$row")
      completed=$(awk -F'|' '{split($4, c, " "); print c[1]}' <<<"$row")
      left=$(awk -F'|' '{gsub(/ /, "", $5); print $5}' <<<"$row")
      [[ $sent =~ ^[0-9]+$ && $sent -gt 0 ]] || fail "nothing sent: $row"
      [[ $completed == "$sent" ]] || fail "not every order ended: $row"
      [[ $left == "0,0" ]] || fail "unfinished or errors: $row"
    done < <(grep -E '^\| (closed loop|[0-9]+ orders/s)' "$out")
    grep -q "^- closed 16: gateway:" "$out" || fail "no CPU split"
    # Every process switched context during the run (a figure of 0 would be
    # a process whose threads were not read).
    sw=$(sed -n '/^Context switches per completed saga/,/^Where/p' "$out" | grep -m1 '^- closed 16: ' || true)
    [[ -n $sw ]] || fail "no context switches per saga"
    for p in gateway orders inventory customers saga reviews broker postgres; do
      [[ $sw =~ $p:([0-9.]+) ]] && awk -v v="${BASH_REMATCH[1]}" 'BEGIN { exit !(v > 0) }' ||
        fail "context switches per saga of $p: $sw"
    done
    grep -q "PostgreSQL commit ceiling, same run" "$out" || fail "no commit ceiling"
    ;;
  footprint)
    bash "$ROOT/bench/footprint.sh" "$BUILD" 1 >"$out" 2>&1 || { cat "$out"; fail "the footprint bench exited $?"; }
    for p in customers inventory orders reviews saga gateway; do
      row=$(grep -E "^\| $p \|" "$out" || true)
      [[ -n $row ]] || { fail "no row for $p"; continue; }
      # Every figure present and positive: the start times in ms, the memory in MiB.
      read -r -a figures < <(awk -F'|' '{for (i = 3; i <= 8; i++) { gsub(/ /, "", $i); printf "%s ", $i }; print "" }' <<<"$row")
      ((${#figures[@]} == 6)) || fail "$p: ${#figures[@]} figures: $row"
      for f in "${figures[@]}"; do
        awk -v f="$f" 'BEGIN { exit !(f ~ /^[0-9]+(\.[0-9])?$/ && f > 0) }' || fail "$p: figure '$f' in: $row"
      done
    done
    grep -q "^Targets: " "$out" || fail "no targets line"
    ;;
  *) echo "smoke_test.sh: participants, saga or footprint, not '$WHAT'" >&2; exit 2 ;;
esac
if ((failures > 0)); then
  echo "--- bench output"; cat "$out"
  exit 1
fi
echo "ok: the $WHAT bench ran end to end"
