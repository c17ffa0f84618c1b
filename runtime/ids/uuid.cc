#include "runtime/ids/uuid.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace agora::runtime::ids {
namespace {

// Version 4 and variant bits set, 8-4-4-4-12 lowercase hex.
std::string Format(unsigned char b[16]) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (o == 8 || o == 13 || o == 18 || o == 23) ++o;
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string NewUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // no entropy: nothing safe to do
  return Format(b);
}

std::string NewLabelUuid() {
  thread_local absl::BitGen gen;
  const uint64_t words[2] = {absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen)};
  unsigned char b[16];
  std::memcpy(b, words, sizeof b);
  return Format(b);
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace agora::runtime::ids
