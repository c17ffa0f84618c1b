// Fuzzes ForwardedMetadata: whatever bytes the five forwarded headers
// carry, every value it returns is legal gRPC metadata (gRPC aborts the
// process on an illegal one), and a refusal names its header.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/forwarded_headers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using agora::gateway::HttpRequest;
  static const char* const kNames[] = {"authorization", "traceparent", "tracestate",
                                       "idempotency-key", "x-request-id", "x-forwarded-for"};
  HttpRequest request;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Values separated by NUL, in the order of kNames; the rest is the address.
  for (const char* name : kNames) {
    const size_t cut = input.find('\0');
    request.headers.emplace_back(name, std::string(input.substr(0, cut)));
    if (cut == std::string_view::npos) {
      input = {};
      break;
    }
    input.remove_prefix(cut + 1);
  }
  request.remote_address = std::string(input);
  const std::string id = agora::gateway::RequestIdFor(request.Header("x-request-id"));
  const auto md = agora::gateway::ForwardedMetadata(request, id);
  if (!md.ok()) {
    const std::string m(md.status().message());
    if (m.find("Authorization") == m.npos && m.find("Idempotency-Key") == m.npos) std::abort();
    return 0;
  }
  for (const auto& [key, value] : *md) {
    if (!agora::gateway::IsLegalMetadataValue(value)) std::abort();
    if (key == "traceparent" && !agora::gateway::IsValidTraceparent(value)) std::abort();
  }
  return 0;
}
