#pragma once

// Keeps the inbox bounded without weakening its dedupe: a row younger than
// `window` is never removed, so a duplicate delivered within the window is
// always found. Rows older than `max_age` go; and while the table holds more
// than `max_rows`, the oldest go too, down to the window but never into it.
//
// Past the window, each participant's effect is still idempotent by order id
// (reservations, payments and orders keep one row per order with its
// outcome, tombstones included), so a very late duplicate changes nothing:
// it only gets a reply with a new message id.
//
// Thread-safe: Start/Stop from one owner.

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

struct InboxRetention {
  // Duplicates within this age are always caught (redeliveries after a
  // crash or a rebalance come within minutes; a coordinator's re-sends
  // within its deadlines).
  absl::Duration window = absl::Hours(1);
  // Rows older than this go in any case.
  absl::Duration max_age = absl::Hours(24 * 7);
  // Rows kept at most (rows younger than `window` are kept regardless).
  int64_t max_rows = 1000000;
  absl::Duration interval = absl::Minutes(1);
  // Rows deleted per statement (short transactions).
  int chunk = 5000;
};

class InboxPruner final {
 public:
  // `pool` is borrowed and must outlive the pruner.
  InboxPruner(pg::Pool& pool, InboxRetention retention);
  ~InboxPruner();

  void Start();
  void Stop();

  // One pass; returns the rows removed.
  absl::StatusOr<int64_t> PruneOnce();

 private:
  void Run();

  pg::Pool& pool_;
  const InboxRetention retention_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: joined first
};

}  // namespace agora::runtime::messaging
