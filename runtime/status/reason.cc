#include "runtime/status/reason.h"

#include <algorithm>
#include <string>

#include "agora/api/v1/errors.pb.h"

namespace agora::runtime::status {

absl::Status WithReason(absl::Status status, std::string_view reason) {
  if (status.ok()) return status;
  agora::api::v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  status.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status WithRetryAfter(absl::Status status, std::string_view reason, absl::Duration wait) {
  if (status.ok()) return status;
  agora::api::v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
  (*info.mutable_metadata())["retry_after_seconds"] = std::to_string(seconds);
  status.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrorInfoType);
  if (!payload.has_value()) return "";
  agora::api::v1::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

}  // namespace agora::runtime::status
