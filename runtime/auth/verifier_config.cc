#include "runtime/auth/verifier_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace agora::runtime::auth {

void ReadIssuerAudience(config::Reader& r, std::string* issuer, std::string* audience) {
  r.String("AGORA_JWT_ISSUER", "agora", issuer, "iss of access tokens");
  r.String("AGORA_JWT_AUDIENCE", "agora-api", audience, "aud of access tokens");
}

void ReadVerifierConfig(config::Reader& r, VerifierConfig* out) {
  r.String("AGORA_JWT_PUBLIC_KEY_FILE", "jwt-signing-key.pub.pem", &out->public_key_file,
           "PEM public key(s) that verify access tokens (customers' signing key)");
  ReadIssuerAudience(r, &out->options.issuer, &out->options.audience);
  ReadRevocationPollInterval(r, &out->revocation_poll_interval);
  ReadServiceKeyConfig(r, &out->services);
}

void ReadRevocationPollInterval(config::Reader& r, absl::Duration* out) {
  r.Duration("AGORA_REVOCATION_POLL_INTERVAL", absl::Seconds(5), absl::Milliseconds(100), absl::Minutes(5), out,
             "how often the signed-out sessions are fetched from customers: the longest a logged-out "
             "session's access token still passes");
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

KeySet PublicKeysFromPem(const std::string& text) {
  KeySet keys;
  // One key per PEM block: a file may hold the current and the next key.
  constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(kEnd, start);
    if (end == std::string::npos) break;
    absl::StatusOr<std::string> kid = keys.AddPem(text.substr(start, end + kEnd.size() - start));
    if (!kid.ok()) break;
    start = end + kEnd.size();
  }
  return keys;
}

absl::StatusOr<KeySet> LoadPublicKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("AGORA_JWT_PUBLIC_KEY_FILE: ", text.status().message()));
  }
  KeySet keys = PublicKeysFromPem(*text);
  if (keys.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("AGORA_JWT_PUBLIC_KEY_FILE: no RSA public key in ", path));
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> LoadVerifier(const VerifierConfig& config) {
  absl::StatusOr<KeySet> keys = LoadPublicKeyFile(config.public_key_file);
  if (!keys.ok()) return keys.status();
  return std::make_unique<JwtVerifier>(*std::move(keys), config.options);
}

}  // namespace agora::runtime::auth
