#pragma once

// Saga commands over the run's dev broker, as the coordinator will send
// them: a test sends a command (an envelope on <prefix>agora.saga.commands.
// <service>, keyed by order id) and reads the participant's StepReply from
// <prefix>agora.saga.replies, matched by causation id. Every reply is kept,
// duplicates included, in arrival order.

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agora/saga/v1/messages.pb.h"
#include "google/protobuf/message.h"
#include "runtime/kafka/consumer.h"
#include "runtime/kafka/producer.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/topics.h"

namespace agora::testing {

struct ReceivedReply {
  runtime::messaging::Envelope envelope;
  agora::saga::v1::StepReply reply;
  std::string key;
};

class SagaWire final {
 public:
  // Topics under `prefix` (the participant's AGORA_KAFKA_TOPIC_PREFIX).
  explicit SagaWire(const std::string& prefix);
  ~SagaWire();

  const runtime::messaging::Topics& topics() const { return topics_; }

  // Wraps `command` (saga id given) and sends it to `service`'s command
  // topic keyed by `order_id`; returns the envelope sent (for a re-send).
  runtime::messaging::Envelope Send(const std::string& service, const std::string& order_id,
                                    const google::protobuf::Message& command,
                                    const std::string& saga_id = "saga-test");
  // Sends `envelope` again, as is (a duplicate delivery).
  void Resend(const std::string& service, const std::string& order_id,
              const runtime::messaging::Envelope& envelope);
  // Sends raw bytes (a message that is not an envelope).
  void SendRaw(const std::string& topic, const std::string& key, const std::string& value);
  // Sends many envelopes at once, in order.
  void SendAll(const std::string& service,
               const std::vector<std::pair<std::string, runtime::messaging::Envelope>>& keyed);

  // Sends `keyed` (duplicates included) in an order shuffled by `seed`, 100
  // at a time, then waits up to `seconds` until every command of `ids` has
  // a reply and at least `keyed.size()` replies came (duplicates answer
  // again). False if not.
  bool SendShuffledAndAwait(const std::string& service,
                            std::vector<std::pair<std::string, runtime::messaging::Envelope>> keyed,
                            const std::vector<std::string>& ids, unsigned seed, double seconds = 60);

  // The replies to the command `message_id`, waiting up to `seconds` for
  // at least `count` of them.
  std::vector<ReceivedReply> RepliesTo(const std::string& message_id, size_t count = 1,
                                       double seconds = 20);
  // Every reply received so far, in arrival order.
  std::vector<ReceivedReply> All();

 private:
  runtime::messaging::Topics topics_;
  std::unique_ptr<runtime::kafka::Producer> producer_;
  absl::Mutex mu_;
  std::vector<ReceivedReply> replies_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<runtime::kafka::Consumer> consumer_;  // last: stops first
};

// Reads the messages of `topic` (from the start) into memory, for a .dlq.
class TopicReader final {
 public:
  explicit TopicReader(const std::string& topic);
  ~TopicReader();
  std::vector<runtime::kafka::IncomingMessage> Messages();
  // Waits up to `seconds` for at least `count` messages.
  bool WaitFor(size_t count, double seconds = 20);

 private:
  absl::Mutex mu_;
  std::vector<runtime::kafka::IncomingMessage> messages_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<runtime::kafka::Consumer> consumer_;
};

}  // namespace agora::testing
