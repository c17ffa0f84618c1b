#pragma once

// The outbox relay: publishes committed outbox rows to Kafka and deletes each
// row only after the broker acknowledged its message.
//
// THE RULE FOR EVERY WRITER: in the transaction that appends to the outbox,
// lock the aggregate's row first (the order, the reservation, the payment:
// SELECT ... FOR UPDATE or the INSERT that claims it), then append. Two
// transactions that write messages of one key then commit in the order they
// took the lock, and their outbox ids (taken at the append, after the lock)
// are in that order too. The relay publishes each key's rows in id order,
// so Kafka holds them in the order the changes were made.
//
// Order per key, also across failures:
//   - One relay per schema leads at a time (a session advisory lock on its
//     LISTEN connection elects it), and every batch also takes a
//     transaction advisory lock: two batches of a schema never run at once.
//   - A batch is sent in waves: wave i holds the i-th row of each key, and
//     is sent only after wave i-1 was acknowledged, so a key's next message
//     never leaves before the previous one is in Kafka.
//   - A row that fails keeps the rest of its key back (those rows are not
//     sent): it gets `attempts + 1`, its error, and a next attempt after an
//     exponential backoff (capped); the relay then takes every other key's
//     rows but not this key's until that time.
//   - Failures of the cluster (UNAVAILABLE, DEADLINE_EXCEEDED: brokers down)
//     are retried forever. A row refused `max_attempts` times for a reason
//     of its own (FAILED_PRECONDITION: too large, a topic refused) is moved
//     to outbox_dead with its error, so that its key goes on. Each failure is logged and counted (agora_outbox_failed_total);
//     dead rows are a gauge to alert on (agora_outbox_dead_rows).
//
// Delivery is at least once: a relay killed after the broker acknowledged a
// wave but before the DELETE committed publishes those rows again when it
// restarts. Every message carries its envelope's message id (also as the
// agora-message-id header), and consumers drop duplicates with the inbox.
//
// Metrics, labelled by schema: agora_outbox_published_total,
// agora_outbox_failed_total{kind}, agora_outbox_dead_total,
// agora_outbox_backlog_rows, agora_outbox_oldest_age_seconds,
// agora_outbox_dead_rows, agora_outbox_relay_latency_seconds (from the
// row's insert to the broker's acknowledgement).
//
// Wakeups: the relay LISTENs on <schema>_outbox, and it is also woken in
// process by its pool after each commit that appended to the outbox
// (pg::NoteOutboxAppend), which sends NOTIFY only when this relay does not
// lead.
//
// Thread-safe: Start/Stop from one owner; RelayBatch may be called
// concurrently (batches of a schema serialize on their lock).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/kafka/producer.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

struct RelayOptions {
  int batch_size = 256;
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration send_timeout = absl::Seconds(30);
  // Backoff of a failed row: initial * 2^(attempts-1), at most max.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  // Refusals of a row's own (FAILED_PRECONDITION) before it moves to outbox_dead.
  int max_attempts = 10;
  // Test seam: runs after the broker acknowledged a batch's waves and before
  // their rows are deleted (a crash test kills the process here).
  std::function<void(int acknowledged)> after_send;
};

class OutboxRelay final {
 public:
  // `pool` and `producer` are borrowed and must outlive the relay. The pool's
  // connection options name the schema whose outbox is relayed.
  OutboxRelay(pg::Pool& pool, kafka::Producer& producer, RelayOptions options);
  ~OutboxRelay();

  // Starts the relay thread.
  void Start();
  // Stops it; a batch in flight finishes first, then what is committed and
  // due is published (for at most `drain`). Idempotent.
  void Stop(absl::Duration drain = absl::Seconds(5));

  // Publishes up to batch_size committed, due rows (oldest first, in waves)
  // and deletes the acknowledged ones; records failures. Returns how many
  // rows it took (published or failed): fewer than batch_size means the
  // outbox holds nothing more that is due.
  absl::StatusOr<int> RelayBatch();

  // Refreshes the backlog gauges (rows, oldest age, dead rows).
  absl::Status UpdateBacklogMetrics();

  // Wakes the relay thread if this relay leads; answers whether it does
  // (the pool's outbox waker). Never blocks.
  bool Wake();

  int64_t published() const { return published_.load(); }
  int64_t failed() const { return failed_.load(); }
  bool leader() const { return leader_.load(); }

 private:
  void Run();
  // Publishes what is due until the outbox is empty of due rows, Stop's
  // drain time passed, or a batch fails.
  void Drain(absl::Time deadline);

  pg::Pool& pool_;
  kafka::Producer& producer_;
  const RelayOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> drain_micros_{0};
  std::atomic<bool> leader_{false};
  std::atomic<int64_t> published_{0};
  std::atomic<int64_t> failed_{0};
  int wake_fd_ = -1;  // an eventfd: Wake writes, the relay thread waits on it
  int waker_id_ = 0;  // in pool_
  std::thread thread_;  // last: joined first
};

}  // namespace agora::runtime::messaging
