#include "runtime/ids/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace agora::runtime::ids {
namespace {

// `version` and variant bits set, 8-4-4-4-12 lowercase hex.
std::string Format(unsigned char b[16], int version = 4) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
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

std::string NameUuid(std::string_view name_space, std::string_view name) {
  if (!IsUuid(name_space)) std::abort();  // a constant of the program
  std::string hex(name_space);
  hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
  std::string input = absl::HexStringToBytes(hex);
  input.append(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1 || size < 16) std::abort();
  return Format(digest, 5);
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
