#include "gateway/forwarded_headers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/idempotency/key.h"

namespace agora::gateway {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZeros(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

bool IsLegalMetadataValue(std::string_view value) {
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsValidTraceparent(std::string_view v) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2) = 55 bytes.
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const std::string_view version = v.substr(0, 2), trace_id = v.substr(3, 32),
                         parent_id = v.substr(36, 16), flags = v.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace_id) || !IsLowerHex(parent_id) ||
      !IsLowerHex(flags)) {
    return false;
  }
  if (version == "ff" || AllZeros(trace_id) || AllZeros(parent_id)) return false;
  if (version == "00") return v.size() == 55;
  // A future version may carry more fields after a '-'; it must still be a
  // legal metadata value.
  return (v.size() == 55 || v[55] == '-') && IsLegalMetadataValue(v);
}

bool IsForwardableTracestate(std::string_view v) {
  return !v.empty() && v.size() <= kMaxTracestateBytes && IsLegalMetadataValue(v);
}

absl::StatusOr<Metadata> ForwardedMetadata(const HttpRequest& request,
                                           const std::string& request_id) {
  Metadata md;
  if (const std::string_view auth = request.Header("authorization"); !auth.empty()) {
    if (auth.size() > kMaxAuthorizationBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("header Authorization is longer than ", kMaxAuthorizationBytes, " bytes"));
    }
    if (!IsLegalMetadataValue(auth)) {
      return absl::InvalidArgumentError(
          "header Authorization holds a byte outside printable ASCII");
    }
    md.emplace_back("authorization", std::string(auth));
  }
  if (absl::Status key = runtime::idempotency::ValidateKey(request.Header("idempotency-key"));
      !key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "header Idempotency-Key must be UTF-8, at most ", runtime::idempotency::kMaxKeyLength,
        " characters, without control characters"));
  }
  if (const std::string_view tp = request.Header("traceparent"); IsValidTraceparent(tp)) {
    md.emplace_back("traceparent", std::string(tp));
    if (const std::string_view ts = request.Header("tracestate"); IsForwardableTracestate(ts)) {
      md.emplace_back("tracestate", std::string(ts));
    }
  }
  md.emplace_back("x-request-id", request_id);
  // The client's address as this gateway saw it, for the services'
  // per-address limits (sign-in throttling). Set here, never copied from
  // the client's own X-Forwarded-For.
  if (!request.remote_address.empty() && IsLegalMetadataValue(request.remote_address)) {
    md.emplace_back("x-forwarded-for", request.remote_address);
  }
  return md;
}

}  // namespace agora::gateway
