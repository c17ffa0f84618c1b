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
  bool usable = !sent.empty() && sent.size() <= 128;
  for (unsigned char c : sent) usable = usable && c >= 0x21 && c <= 0x7e;
  return usable ? std::string(sent) : runtime::ids::NewLabelUuid();
}

}  // namespace agora::gateway
