#include "customers/passwords.h"

#include <sodium.h>

#include <cstdlib>

namespace agora::customers {

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  if (sodium_init() < 0) std::abort();  // no usable libsodium: nothing is safe
  absl::StatusOr<std::string> dummy = Hash("agora-dummy-password-never-matches");
  if (!dummy.ok()) std::abort();
  dummy_hash_ = *dummy;
}

absl::StatusOr<std::string> PasswordHasher::Hash(const std::string& password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops,
                            static_cast<size_t>(params_.memory_kib) * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("password hashing ran out of memory");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(const std::string& encoded_hash, const std::string& password) const {
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(const std::string& password) const {
  (void)Verify(dummy_hash_, password);
}

}  // namespace agora::customers
