#include "gateway/http_types.h"

#include "runtime/ids/uuid.h"

namespace agora::gateway {

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string RequestIdFor(std::string_view sent) {
  // What gRPC metadata carries (0x20..0x7e): spaces included ("test run 42"
  // is an id a client may send); HTTP already stripped the outer ones.
  bool usable = !sent.empty() && sent.size() <= 256;
  for (unsigned char c : sent) usable = usable && c >= 0x20 && c <= 0x7e;
  return usable ? std::string(sent) : runtime::ids::NewLabelUuid();
}

}  // namespace agora::gateway
