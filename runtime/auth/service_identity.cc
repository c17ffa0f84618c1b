#include "runtime/auth/service_identity.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/auth/verifier_config.h"

namespace agora::runtime::auth {
namespace {

// Long enough to spare a signature per call, short enough that a stolen
// token soon expires.
constexpr absl::Duration kTokenLifetime = absl::Minutes(10);

}  // namespace

void ReadServiceKeyConfig(config::Reader& r, ServiceKeyConfig* out) {
  r.String("AGORA_SERVICE_KEY_FILE", "", &out->private_key_file,
           "PEM RSA private key this service signs its service tokens with (calls to other services' "
           "INTERNAL methods); empty: it makes none");
  r.String("AGORA_SERVICE_PUBLIC_KEY_FILE", "", &out->public_key_file,
           "PEM public key(s) that verify service tokens on this service's INTERNAL methods; empty: the "
           "public half of AGORA_SERVICE_KEY_FILE");
}

VerifierOptions ServiceTokenOptions() {
  VerifierOptions o;
  o.issuer = kServiceIssuer;
  o.audience = kServiceAudience;
  return o;
}

ServiceTokenSource::ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service)
    : signer_(std::move(signer)), service_(std::move(service)) {}

std::string ServiceTokenSource::Token(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now >= renew_at_) {
    token_ = signer_->Sign(service_, {"service"}, now);
    renew_at_ = now + signer_->ttl() / 2;
  }
  return token_;
}

absl::StatusOr<ServiceIdentity> LoadServiceIdentity(const ServiceKeyConfig& config, const std::string& service) {
  ServiceIdentity identity;
  KeySet verify;
  if (!config.private_key_file.empty()) {
    absl::StatusOr<std::string> pem = ReadWholeFile(config.private_key_file);
    if (!pem.ok()) return absl::FailedPreconditionError(absl::StrCat("AGORA_SERVICE_KEY_FILE: ", pem.status().message()));
    SignerOptions options;
    options.issuer = kServiceIssuer;
    options.audience = kServiceAudience;
    options.ttl = kTokenLifetime;
    absl::StatusOr<std::unique_ptr<JwtSigner>> signer = JwtSigner::FromPem(*pem, options);
    if (!signer.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("AGORA_SERVICE_KEY_FILE: ", config.private_key_file, ": ", signer.status().message()));
    }
    verify = (*signer)->public_keys();
    identity.tokens = std::make_unique<ServiceTokenSource>(*std::move(signer), service);
  }
  if (!config.public_key_file.empty()) {
    absl::StatusOr<std::string> text = ReadWholeFile(config.public_key_file);
    if (!text.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("AGORA_SERVICE_PUBLIC_KEY_FILE: ", text.status().message()));
    }
    verify = PublicKeysFromPem(*text);
    if (verify.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("AGORA_SERVICE_PUBLIC_KEY_FILE: no RSA public key in ", config.public_key_file));
    }
  }
  if (verify.empty()) {
    return absl::FailedPreconditionError(
        "AGORA_SERVICE_KEY_FILE or AGORA_SERVICE_PUBLIC_KEY_FILE must name the services' key: without it "
        "no service could call this one's INTERNAL methods");
  }
  identity.verifier = std::make_unique<JwtVerifier>(std::move(verify), ServiceTokenOptions());
  return identity;
}

}  // namespace agora::runtime::auth
