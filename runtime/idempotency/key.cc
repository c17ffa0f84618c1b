#include "runtime/idempotency/key.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "runtime/text/utf8.h"

namespace agora::runtime::idempotency {

absl::Status ValidateKey(std::string_view key) {
  const std::optional<size_t> n = text::CodePointCount(key);
  if (!n.has_value()) return absl::InvalidArgumentError("idempotencyKey is not valid UTF-8");
  if (*n > kMaxKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("idempotencyKey must be at most ", kMaxKeyLength, " characters"));
  }
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError("idempotencyKey must not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace agora::runtime::idempotency
