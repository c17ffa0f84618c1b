#pragma once

// The outbox relay: publishes committed outbox rows to Kafka and deletes each
// row only after the broker acknowledged its message.
//
// One relay per schema is active at a time (a session advisory lock on its
// LISTEN connection elects it), so messages of one key leave in the order
// their transactions committed. It wakes on the outbox trigger's NOTIFY and
// polls every `poll_interval` as a fallback. Batches are taken
// FOR UPDATE SKIP LOCKED.
//
// Delivery is at least once: a relay killed after the broker acknowledged a
// batch but before the DELETE committed publishes those rows again when it
// restarts. Every message carries its envelope's message id (also as the
// agora-message-id header), and consumers drop duplicates with the inbox.
//
// Thread-safe: Start/Stop from one owner; RelayBatch may run concurrently.

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
  // Test seam: runs after the broker acknowledged a batch and before its rows
  // are deleted (a crash test kills the process here).
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
  // Stops it; a batch in flight finishes first. Idempotent.
  void Stop();

  // Publishes up to batch_size committed rows (oldest first) and deletes the
  // acknowledged ones. Returns how many were published.
  absl::StatusOr<int> RelayBatch();

  int64_t published() const { return published_.load(); }
  bool leader() const { return leader_.load(); }

 private:
  void Run();

  pg::Pool& pool_;
  kafka::Producer& producer_;
  const RelayOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leader_{false};
  std::atomic<int64_t> published_{0};
  std::thread thread_;  // last: joined first
};

}  // namespace agora::runtime::messaging
