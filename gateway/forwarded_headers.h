#pragma once

// The request headers that cross from HTTP into a backend call, checked in
// one place before any of them reaches gRPC. HTTP allows bytes in a field
// value (tabs, obs-text >= 0x80) that gRPC's C++ library refuses with an
// assertion, so nothing is copied into metadata unchecked:
//
//   authorization     forwarded as sent if it is a legal gRPC value and at
//                     most kMaxAuthorizationBytes; otherwise the request is
//                     refused (INVALID_ARGUMENT naming Authorization)
//   idempotency-key   goes into the request message, not metadata; the
//                     services' rule (runtime/idempotency/key.h), otherwise
//                     INVALID_ARGUMENT naming Idempotency-Key
//   traceparent       forwarded only when it is a valid W3C Trace Context
//                     traceparent; a malformed one is dropped, and with it
//                     tracestate (W3C Trace Context, "3.3 Processing model")
//   tracestate        forwarded when legal and at most 512 bytes, else dropped
//   x-request-id      the response's request id (RequestIdFor), always legal
//   x-forwarded-for   the client address this gateway saw (a client's own
//                     X-Forwarded-For is never forwarded)
//
// Used by the unary, streaming and fan-out paths of the gateway alike.
// Pure functions, no gRPC or Beast headers: the fuzz target links them alone.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/http_types.h"

namespace agora::gateway {

using Metadata = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxAuthorizationBytes = 8192;
inline constexpr size_t kMaxTracestateBytes = 512;

// gRPC's rule for a non-binary metadata value: every byte printable ASCII
// (0x20..0x7e). grpc_header_nonbin_value_is_legal in gRPC core.
bool IsLegalMetadataValue(std::string_view value);

// W3C Trace Context traceparent: "00-<32 lowercase hex>-<16 lowercase hex>-<2 hex>",
// trace and parent id not all zeros; a later version (not "ff") may append
// "-..." fields.
bool IsValidTraceparent(std::string_view value);

// A tracestate that may be forwarded: legal, non-empty, at most 512 bytes.
bool IsForwardableTracestate(std::string_view value);

// The metadata of a backend call for `request`, whose response carries
// `request_id`. INVALID_ARGUMENT (message naming the header) when
// Authorization or Idempotency-Key is unusable.
absl::StatusOr<Metadata> ForwardedMetadata(const HttpRequest& request,
                                           const std::string& request_id);

}  // namespace agora::gateway
