#include "runtime/messaging/inbox_pruner.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "runtime/log/log.h"
#include "runtime/messaging/metrics.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {
namespace {

// Rows past the maximum age, oldest first, a chunk at a time.
constexpr char kPruneOld[] =
    "DELETE FROM inbox WHERE message_id IN (SELECT message_id FROM inbox "
    "WHERE received_at < clock_timestamp() - $1 * interval '1 second' "
    "ORDER BY received_at LIMIT $2)";
// Beyond the cap: the oldest rows above max_rows, but never inside the window.
constexpr char kPruneOver[] =
    "DELETE FROM inbox WHERE message_id IN (SELECT message_id FROM inbox "
    "WHERE received_at < clock_timestamp() - $1 * interval '1 second' "
    "ORDER BY received_at LIMIT LEAST($2, GREATEST(0, (SELECT count(*) FROM inbox) - $3)))";
constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);

}  // namespace

InboxPruner::InboxPruner(pg::Pool& pool, InboxRetention retention)
    : pool_(pool), retention_(retention) {}

InboxPruner::~InboxPruner() { Stop(); }

void InboxPruner::Start() {
  thread_ = std::thread([this] {
    log::NameThisThread("inbox-pruner");
    Run();
  });
}

void InboxPruner::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> InboxPruner::PruneOnce() {
  const int64_t window_seconds = absl::ToInt64Seconds(retention_.window);
  const int64_t max_age_seconds =
      std::max(window_seconds, absl::ToInt64Seconds(retention_.max_age));
  int64_t removed = 0;
  for (const char* sql : {kPruneOld, kPruneOver}) {
    for (;;) {
      absl::StatusOr<int64_t> n = pool_.Transact<int64_t>([&](pg::Tx& tx) -> absl::StatusOr<int64_t> {
        if (sql == kPruneOld) return pg::Exec(tx, sql, max_age_seconds, retention_.chunk).affected_rows();
        return pg::Exec(tx, sql, window_seconds, retention_.chunk, retention_.max_rows).affected_rows();
      });
      if (!n.ok()) return n.status();
      removed += *n;
      if (*n < retention_.chunk || stop_.load()) break;
    }
  }
  if (removed > 0) {
    GetMetrics().inbox_pruned.Add({{"schema", pool_.options().schema}}).Increment(static_cast<double>(removed));
  }
  return removed;
}

void InboxPruner::Run() {
  while (!stop_.load()) {
    absl::StatusOr<int64_t> n = PruneOnce();
    if (!n.ok()) log::Warn("inbox_prune_failed", {{"error", n.status().message()}});
    for (absl::Duration waited; waited < retention_.interval && !stop_.load(); waited += kWaitSlice) {
      absl::SleepFor(kWaitSlice);
    }
  }
}

}  // namespace agora::runtime::messaging
