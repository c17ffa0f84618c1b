#pragma once

// Password hashing with Argon2id (libsodium crypto_pwhash_str): salted,
// memory-hard, the parameters stored in the encoded hash so they can be
// raised later without breaking old hashes. Never logs a password.
//
// Thread-safe. Each hash or verification takes about `ops` passes over
// `memory_kib` of memory: tens of milliseconds by design.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace agora::customers {

struct Argon2Params {
  uint64_t ops = 2;             // passes
  uint64_t memory_kib = 19456;  // 19 MiB: OWASP's Argon2id baseline (m=19 MiB, t=2, p=1)
};

class PasswordHasher final {
 public:
  explicit PasswordHasher(Argon2Params params);

  absl::StatusOr<std::string> Hash(const std::string& password) const;
  bool Verify(const std::string& encoded_hash, const std::string& password) const;
  // Burns the time of a verification against a hash no password matches, so
  // that a login for an unknown email answers as slowly as a wrong password.
  void VerifyDummy(const std::string& password) const;

 private:
  Argon2Params params_;
  std::string dummy_hash_;
};

}  // namespace agora::customers
