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
#
# librdkafka 2.0's mock cluster, which the dev broker is, sometimes aborts on
# its own assertion during consumer group churn ("rd_kafka_mock_cgrp_member_
# sync_set: Assertion `!member->resp' failed": a member's SyncGroup arrives
# while its previous one is still held; the processes SIGKILLed and restarted
# by the run cause that churn). chaos.sh then exits 3. Only in that case the
# run is made again with another seed, at most twice (three runs in all);
# that it happened is printed. Any other failure, or a third crash, fails the
# test. The cause was found (runtime/kafka/options.h: a SyncGroup the mock
# held past the client's socket.timeout.ms was sent again): with the socket
# timeout above the session timeout no run aborted (0 of 6, against 3 of 4
# before); the retries stay as a guard.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: chaos_test.sh BUILD_DIR quick|broken}")
KNOWN_MOCK_ABORT='rd_kafka_mock_cgrp_member_sync_set: Assertion'
# run WORK [ARGS...]: chaos.sh --quick ARGS in WORK, again (in WORK-again,
# WORK-again2) while the dev broker aborted on the known assertion, three
# runs at most. Sets out and rc.
run() {
  local work=$1 dir attempt; shift
  for attempt in 1 2 3; do
    dir=$work$([[ $attempt == 1 ]] || echo "-again$([[ $attempt == 2 ]] || echo 2)")
    out=$("$ROOT/tools/chaos/chaos.sh" "$BUILD" --quick "$@" --work="$dir" 2>&1)
    rc=$?
    [[ $rc == 3 ]] && grep -q "$KNOWN_MOCK_ABORT" "$dir/broker.log" 2>/dev/null || return 0
    echo "chaos_test: the dev broker (librdkafka's mock) aborted on its known assertion (run $attempt):"
    tail -1 "$dir/broker.log"
  done
}
case ${2:?quick or broken} in
  quick)
    run "$BUILD/chaos-quick"
    echo "$out"
    exit "$rc" ;;
  broken)
    run "$BUILD/chaos-broken" --broken-participant
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
