#pragma once

// A consumer-group member that hands each message to a handler and commits
// its offset only after the handler returned OK (the handler's database
// transaction has committed by then). So a crash replays, never skips:
// handlers deduplicate with the inbox (messaging/inbox.h).
//
// Handler results:
//   OK                                  -> offset stored, committed shortly after
//   UNAVAILABLE, ABORTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
//                                       -> retried with backoff until it
//                                          succeeds or the consumer stops
//   anything else (a message that cannot be handled)
//                                       -> retried up to max_attempts, then
//                                          sent to "<topic>.dlq" with the error
//                                          in headers, and skipped
//
// One thread per consumer; the handler runs on it. Messages of a partition
// are handled in order.

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

using Handler = std::function<absl::Status(const IncomingMessage&)>;

struct ConsumerOptions {
  KafkaOptions kafka;
  std::string group_id;
  std::vector<std::string> topics;
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  // Where a new group starts: "earliest" (default: nothing is missed) or "latest".
  std::string auto_offset_reset = "earliest";
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Finishes the message in hand, commits stored offsets, leaves the group.
  // Idempotent; also done by the destructor.
  virtual void Stop() = 0;
  virtual int64_t handled() const = 0;
  virtual int64_t dead_lettered() const = 0;
};

// Starts the consuming thread. `dlq` (borrowed; may be null, then a failing
// message is retried forever) receives dead letters.
absl::StatusOr<std::unique_ptr<Consumer>> StartConsumer(const ConsumerOptions& options,
                                                        Handler handler, Producer* dlq);

// True for the codes a handler is retried on without limit.
bool IsTransient(const absl::Status& status);

}  // namespace agora::runtime::kafka
