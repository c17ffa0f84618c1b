#pragma once

// Building and reading the Kafka message envelope
// (protos/agora/messaging/v1/envelope.proto).

#include <string>

#include "absl/status/statusor.h"
#include "agora/messaging/v1/envelope.pb.h"
#include "google/protobuf/message.h"

namespace agora::runtime::messaging {

using Envelope = agora::messaging::v1::Envelope;

struct EnvelopeContext {
  std::string saga_id;
  std::string causation_id;
  std::string traceparent;
};

// A new envelope with a fresh message id and the current time around `payload`.
Envelope Wrap(const google::protobuf::Message& payload, const EnvelopeContext& context = {});

// INVALID_ARGUMENT if `bytes` is not an envelope or lacks a message id.
absl::StatusOr<Envelope> ParseEnvelope(const std::string& bytes);

// Parses the payload into `out`; INVALID_ARGUMENT if the type differs or the
// payload does not parse.
absl::Status Unwrap(const Envelope& envelope, google::protobuf::Message* out);

}  // namespace agora::runtime::messaging
