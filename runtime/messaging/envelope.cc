#include "runtime/messaging/envelope.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/ids/uuid.h"

namespace agora::runtime::messaging {

Envelope Wrap(const google::protobuf::Message& payload, const EnvelopeContext& context) {
  Envelope e;
  e.set_message_id(ids::NewUuid());
  e.set_saga_id(context.saga_id);
  e.set_type(payload.GetTypeName());
  e.set_causation_id(context.causation_id);
  e.set_traceparent(context.traceparent);
  *e.mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  payload.SerializeToString(e.mutable_payload());
  return e;
}

absl::StatusOr<Envelope> ParseEnvelope(const std::string& bytes) {
  Envelope e;
  if (!e.ParseFromString(bytes)) return absl::InvalidArgumentError("message is not an envelope");
  if (e.message_id().empty()) return absl::InvalidArgumentError("envelope has no message id");
  return e;
}

absl::Status Unwrap(const Envelope& envelope, google::protobuf::Message* out) {
  if (envelope.type() != out->GetTypeName()) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope holds ", envelope.type(), ", expected ", out->GetTypeName()));
  }
  if (!out->ParseFromString(envelope.payload())) {
    return absl::InvalidArgumentError(absl::StrCat("payload of ", envelope.type(), " does not parse"));
  }
  return absl::OkStatus();
}

}  // namespace agora::runtime::messaging
