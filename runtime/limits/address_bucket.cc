#include "runtime/limits/address_bucket.h"

#include <arpa/inet.h>

#include <cstring>

namespace agora::runtime::limits {

// Parsing and printing are libc's (inet_pton, inet_ntop).
std::string AddressBucket(std::string_view address) {
  if (address.find(':') == std::string_view::npos || address.size() >= INET6_ADDRSTRLEN) {
    return std::string(address);
  }
  const std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return text;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN];
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    if (inet_ntop(AF_INET, bytes + 12, out, sizeof out) == nullptr) return text;
    return out;
  }
  std::memset(bytes + 8, 0, 8);
  if (inet_ntop(AF_INET6, bytes, out, sizeof out) == nullptr) return text;
  return std::string(out) + "/64";
}

}  // namespace agora::runtime::limits
