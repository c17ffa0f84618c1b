#pragma once

// How a service that verifies access tokens (every one but customers, which
// signs them) learns the keys: AGORA_JWT_PUBLIC_KEY_FILE (PEM public keys,
// concatenated for a rotation), AGORA_JWT_ISSUER, AGORA_JWT_AUDIENCE; and the
// services' key (AGORA_SERVICE_KEY_FILE, AGORA_SERVICE_PUBLIC_KEY_FILE).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/service_identity.h"
#include "runtime/config/config.h"

namespace agora::runtime::auth {

struct VerifierConfig {
  std::string public_key_file;
  VerifierOptions options;
  // How often the revoked sessions are fetched from customers: the longest a
  // signed-out session's access token still passes.
  absl::Duration revocation_poll_interval = absl::Seconds(5);
  // The services' key (service_identity.h), read with the rest.
  ServiceKeyConfig services;
};

void ReadVerifierConfig(config::Reader& reader, VerifierConfig* out);
void ReadIssuerAudience(config::Reader& reader, std::string* issuer, std::string* audience);
// AGORA_REVOCATION_POLL_INTERVAL.
void ReadRevocationPollInterval(config::Reader& reader, absl::Duration* out);

// Every PEM public key of the file at `path`; FAILED_PRECONDITION naming it
// when it cannot be read or holds no RSA key.
absl::StatusOr<KeySet> LoadPublicKeyFile(const std::string& path);

// Loads every PEM key of the file. FAILED_PRECONDITION naming the file when it
// cannot be read or holds no RSA key.
absl::StatusOr<std::unique_ptr<JwtVerifier>> LoadVerifier(const VerifierConfig& config);

// Every PEM public key ("-----BEGIN PUBLIC KEY-----" blocks) of `text`.
KeySet PublicKeysFromPem(const std::string& text);

// Reads a whole file; NOT_FOUND naming it when it cannot be opened.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace agora::runtime::auth
