#include "tests/support/saga_wire.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "tests/support/infra.h"

namespace agora::testing {

using runtime::messaging::Envelope;

SagaWire::SagaWire(const std::string& prefix) {
  topics_.prefix = prefix;
  auto producer = runtime::kafka::NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  producer_ = std::move(*producer);
  auto consumer = runtime::kafka::StartConsumer(
      {TestKafkaOptions(), UniqueName("wire"), {topics_.Replies()}},
      [this](const runtime::kafka::IncomingMessage& m) {
        ReceivedReply r;
        absl::StatusOr<Envelope> e = runtime::messaging::ParseEnvelope(m.value);
        if (!e.ok() || !runtime::messaging::Unwrap(*e, &r.reply).ok()) return absl::OkStatus();
        r.envelope = *e;
        r.key = m.key;
        absl::MutexLock lock(&mu_);
        replies_.push_back(std::move(r));
        return absl::OkStatus();
      },
      nullptr);
  REQUIRE(consumer.ok());
  consumer_ = std::move(*consumer);
}

SagaWire::~SagaWire() { consumer_->Stop(); }

Envelope SagaWire::Send(const std::string& service, const std::string& order_id,
                        const google::protobuf::Message& command, const std::string& saga_id) {
  Envelope e = runtime::messaging::Wrap(
      command, {saga_id, "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"});
  Resend(service, order_id, e);
  return e;
}

void SagaWire::Resend(const std::string& service, const std::string& order_id, const Envelope& e) {
  SendAll(service, {{order_id, e}});
}

void SagaWire::SendAll(const std::string& service,
                       const std::vector<std::pair<std::string, Envelope>>& keyed) {
  std::vector<runtime::kafka::OutgoingMessage> out;
  for (const auto& [key, e] : keyed) {
    out.push_back({topics_.Commands(service), key, e.SerializeAsString(),
                   {{runtime::kafka::kMessageIdHeader, e.message_id()}}});
  }
  for (const absl::Status& s : producer_->SendAndWait(out, absl::Seconds(30))) REQUIRE(s.ok());
}

void SagaWire::SendRaw(const std::string& topic, const std::string& key, const std::string& value) {
  for (const absl::Status& s : producer_->SendAndWait({{topic, key, value, {}}}, absl::Seconds(30))) {
    REQUIRE(s.ok());
  }
}

bool SagaWire::SendShuffledAndAwait(const std::string& service,
                                    std::vector<std::pair<std::string, Envelope>> keyed,
                                    const std::vector<std::string>& ids, unsigned seed, double seconds) {
  // Commands of one order arrive in any order, duplicates anywhere.
  std::mt19937 rng(seed);
  std::shuffle(keyed.begin(), keyed.end(), rng);
  for (size_t i = 0; i < keyed.size(); i += 100) {
    SendAll(service, {keyed.begin() + static_cast<std::ptrdiff_t>(i),
                      keyed.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, keyed.size()))});
  }
  size_t replies = 0;
  std::vector<std::string> unanswered;
  const bool all_answered = Eventually(
      [&] {
        const std::vector<ReceivedReply> all = All();
        replies = all.size();
        std::set<std::string> answered;
        for (const ReceivedReply& r : all) answered.insert(r.envelope.causation_id());
        unanswered.clear();
        for (const std::string& id : ids) {
          if (!answered.contains(id)) unanswered.push_back(id);
        }
        return replies >= keyed.size() && unanswered.empty();
      },
      seconds);
  if (!all_answered) {
    // What a failure needs to be told apart: replies lost, or commands never handled.
    std::string some;
    for (size_t i = 0; i < unanswered.size() && i < 5; ++i) some += " " + unanswered[i];
    WARN("after " << seconds << " s: " << replies << " replies to " << keyed.size() << " commands sent; "
                  << unanswered.size() << " of " << ids.size() << " distinct commands unanswered:" << some);
  }
  return all_answered;
}

std::vector<ReceivedReply> SagaWire::RepliesTo(const std::string& message_id, size_t count,
                                               double seconds) {
  std::vector<ReceivedReply> found;
  Eventually(
      [&] {
        found.clear();
        absl::MutexLock lock(&mu_);
        for (const ReceivedReply& r : replies_) {
          if (r.envelope.causation_id() == message_id) found.push_back(r);
        }
        return found.size() >= count;
      },
      seconds);
  return found;
}

std::vector<ReceivedReply> SagaWire::All() {
  absl::MutexLock lock(&mu_);
  return replies_;
}

TopicReader::TopicReader(const std::string& topic) {
  auto consumer = runtime::kafka::StartConsumer(
      {TestKafkaOptions(), UniqueName("reader"), {topic}},
      [this](const runtime::kafka::IncomingMessage& m) {
        absl::MutexLock lock(&mu_);
        messages_.push_back(m);
        return absl::OkStatus();
      },
      nullptr);
  REQUIRE(consumer.ok());
  consumer_ = std::move(*consumer);
}

TopicReader::~TopicReader() { consumer_->Stop(); }

std::vector<runtime::kafka::IncomingMessage> TopicReader::Messages() {
  absl::MutexLock lock(&mu_);
  return messages_;
}

bool TopicReader::WaitFor(size_t count, double seconds) {
  return Eventually([&] { return Messages().size() >= count; }, seconds);
}

}  // namespace agora::testing
