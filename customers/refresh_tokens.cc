#include "customers/refresh_tokens.h"

#include <sodium.h>

#include "absl/strings/escaping.h"

namespace agora::customers {

std::string NewRefreshToken() {
  std::string bytes(32, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return "rt1_" + absl::WebSafeBase64Escape(bytes);
}

std::string HashRefreshToken(const std::string& token) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return digest;
}

}  // namespace agora::customers
