#pragma once

// An idempotent Kafka producer (enable.idempotence, acks=all): per partition,
// no duplicates and no reordering from its own retries.
//
// Thread-safe: several threads may call SendAndWait at once. A background
// thread serves delivery reports.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/kafka/options.h"

namespace agora::runtime::kafka {

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Producer {
 public:
  virtual ~Producer() = default;
  // Sends every message and waits (at most `timeout`) for each delivery
  // report. Returns one status per message, in order: OK once the broker has
  // acknowledged it (all in-sync replicas); UNAVAILABLE or DEADLINE_EXCEEDED
  // when the cluster failed it (the message may or may not have been
  // written; a retry may succeed); FAILED_PRECONDITION when the message
  // itself was refused (too large, a topic that cannot exist or is not
  // allowed): a retry will not help.
  virtual std::vector<absl::Status> SendAndWait(const std::vector<OutgoingMessage>& messages,
                                                absl::Duration timeout) = 0;
};

// INVALID_ARGUMENT on a bad option. `topics`: the topics the producer will
// write. Their metadata is fetched at once, in the background: librdkafka
// holds a first message to a topic it has no metadata for until its
// 1-second topic scan, so each service's first message to each topic after
// a start took 1,000 ms instead of ~1 ms (the first order after
// `./agora up` took 2 s). A failed fetch is only logged: the first send
// then waits as before.
absl::StatusOr<std::unique_ptr<Producer>> NewProducer(const KafkaOptions& options,
                                                      std::vector<std::string> topics = {});

}  // namespace agora::runtime::kafka
