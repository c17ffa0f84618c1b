#!/usr/bin/env bash
# ./agora chaos --quick as a test, twice:
#
#   tests/ops/chaos_test.sh BUILD_DIR quick    the run must pass: every
#                                              invariant holds after the faults;
#   tests/ops/chaos_test.sh BUILD_DIR broken   with --broken-participant (duplicate
#                                              commands take effect again) the run
#                                              must fail ON AN INVARIANT, showing
#                                              the checker catches double effects
#                                              (a run that fails for any other
#                                              reason fails this test).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: chaos_test.sh BUILD_DIR quick|broken}")
case ${2:?quick or broken} in
  quick)
    exec "$ROOT/tools/chaos/chaos.sh" "$BUILD" --quick --work="$BUILD/chaos-quick" ;;
  broken)
    out=$("$ROOT/tools/chaos/chaos.sh" "$BUILD" --quick --broken-participant --work="$BUILD/chaos-broken" 2>&1)
    rc=$?
    echo "$out" | tail -30
    if [[ $rc -ne 0 ]] && grep -q '^  VIOLATION at most one debit and one refund per order' <<<"$out" &&
       grep -q '^  ok every order ended' <<<"$out"; then
      echo "chaos_test: the broken run failed on double debits, as it must"
      exit 0
    fi
    echo "chaos_test: the broken run should fail on double debits (exit $rc)"
    exit 1 ;;
  *) echo "chaos_test.sh: quick or broken" >&2; exit 2 ;;
esac
