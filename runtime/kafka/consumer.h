#pragma once

// A consumer-group member that hands messages to a handler, a batch per
// partition at a time, and stores each message's offset only after the
// handler reported it handled (its database transaction committed by then).
// So a crash replays, never skips: handlers deduplicate with the inbox
// (messaging/inbox.h). Stored offsets are committed every 200 ms, on a
// rebalance and on Stop.
//
// A batch handler answers how many messages, from the front, it handled,
// and the status of the next one when it stopped early:
//   OK (all handled)                    -> offsets stored
//   UNAVAILABLE, ABORTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
//                                       -> the partition is paused and the
//                                          rest retried after a backoff
//                                          (exponential, capped), forever;
//                                          other partitions go on meanwhile
//   INVALID_ARGUMENT (the message cannot be read)
//                                       -> sent to "<topic>.dlq" at once
//   anything else                       -> retried like a transient fault up
//                                          to max_attempts, then dead-lettered
// Dead letters carry the error and the source in headers; a partition whose
// dead letter cannot be sent waits and tries again.
//
// One consuming thread per consumer; each poll round hands over at most
// consumer_batch_size x consumer_threads messages. With
// KafkaOptions::merge_partitions (the default) the round's fresh batches of
// every partition go to the handler in one call (one after the other, each
// in order); without it, or for retries and what a merged call did not
// finish, each partition's batch is a call of its own, on up to
// consumer_threads threads at once (so a handler must be thread-safe).
// Messages of a partition are handled in order, one batch of a partition at
// a time. Metrics: agora_kafka_consumer_lag{group,topic,partition}
// (messages in the partition not yet handled), agora_kafka_dead_letters_total{topic}.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/kafka/options.h"
#include "runtime/kafka/producer.h"

namespace agora::runtime::kafka {

struct IncomingMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One message at a time.
using Handler = std::function<absl::Status(const IncomingMessage&)>;

struct BatchResult {
  // Messages handled, from the front of the batch.
  size_t handled = 0;
  // OK when every message was handled; else why the next one was not.
  absl::Status status;
};
// Messages of one partition, in offset order (never empty).
using BatchHandler = std::function<BatchResult(const std::vector<IncomingMessage>&)>;

struct ConsumerOptions {
  KafkaOptions kafka;
  std::string group_id;
  std::vector<std::string> topics;
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  // Where a new group starts: "earliest" (default: nothing is missed) or "latest".
  std::string auto_offset_reset = "earliest";
  // How long Stop() may take to commit the stored offsets and leave the
  // group; past it the consumer is dropped without leaving (a broker that
  // is gone must not keep a process from stopping).
  absl::Duration close_timeout = absl::Seconds(10);
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Finishes the batch in hand, commits stored offsets, leaves the group.
  // Idempotent; also done by the destructor.
  virtual void Stop() = 0;
  virtual int64_t handled() const = 0;
  virtual int64_t dead_lettered() const = 0;
};

// Starts the consuming thread. `dlq` (borrowed; may be null, then a failing
// message is retried forever) receives dead letters.
absl::StatusOr<std::unique_ptr<Consumer>> StartConsumer(const ConsumerOptions& options,
                                                        Handler handler, Producer* dlq);
absl::StatusOr<std::unique_ptr<Consumer>> StartBatchConsumer(const ConsumerOptions& options,
                                                             BatchHandler handler, Producer* dlq);

// True for the codes a handler is retried on without limit.
bool IsTransient(const absl::Status& status);

}  // namespace agora::runtime::kafka
