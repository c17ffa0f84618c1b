#pragma once

// Machine-readable reasons on errors. A reason ("EMAIL_TAKEN") travels as a
// agora.api.v1.ErrorInfo payload of the absl::Status; ToGrpcStatus sends every
// payload as a detail of the gRPC status (the grpc-status-details-bin
// trailer) and the gateway prints them in the error body's `details`:
//   {"@type":"type.googleapis.com/agora.api.v1.ErrorInfo","reason":"EMAIL_TAKEN","domain":"agora"}
// so a frontend branches on a stable name, not on the message text.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace agora::runtime::status {

inline constexpr char kErrorDomain[] = "agora";
inline constexpr char kErrorInfoType[] = "type.googleapis.com/agora.api.v1.ErrorInfo";

// `status` with an ErrorInfo{reason, domain "agora"} attached (replacing an
// earlier one). OK statuses are returned unchanged.
absl::Status WithReason(absl::Status status, std::string_view reason);

// The same, and the ErrorInfo's metadata "retry_after_seconds" (whole
// seconds, rounded up): the gateway answers it as Retry-After on a 429.
absl::Status WithRetryAfter(absl::Status status, std::string_view reason, absl::Duration wait);

// The reason attached to `status`, or "".
std::string ReasonOf(const absl::Status& status);

}  // namespace agora::runtime::status
