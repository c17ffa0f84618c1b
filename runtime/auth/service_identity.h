#pragma once

// Who a service is, to another service's INTERNAL methods (debit, refund,
// reserve, release, approve, reject, mark cancelled, customer and product
// lookups): a short-lived RS256 token in the call's "x-agora-service"
// metadata, its subject the calling service's name, signed with the
// services' key and checked by the callee's Authorizer (authorizer.h). An
// INTERNAL call without a valid one is UNAUTHENTICATED, whatever network it
// came from.
//
// Keys: AGORA_SERVICE_KEY_FILE, the PEM private key a service signs with
// (customers, inventory, orders, reviews, saga; never the gateway, which
// calls no INTERNAL method), and AGORA_SERVICE_PUBLIC_KEY_FILE, the public
// key(s) that verify (defaults to the private key's half). Service tokens
// are a key, issuer ("agora-services") and audience ("agora-internal") of
// their own: an end user's access token never passes for one, nor the other
// way round.
//
//   auto identity = LoadServiceIdentity(config, "orders");
//   ctx->AddMetadata(kServiceTokenHeader, (*identity)->signer->Token(absl::Now()));

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/auth/jwt.h"
#include "runtime/config/config.h"
#include "runtime/grpc/client.h"

namespace agora::runtime::auth {

inline constexpr const char* kServiceTokenHeader = grpc_client::kServiceTokenMetadata;
inline constexpr char kServiceIssuer[] = "agora-services";
inline constexpr char kServiceAudience[] = "agora-internal";

struct ServiceKeyConfig {
  std::string private_key_file;  // empty: this process calls no INTERNAL method
  std::string public_key_file;   // empty: the private key's public half
};

// AGORA_SERVICE_KEY_FILE, AGORA_SERVICE_PUBLIC_KEY_FILE.
void ReadServiceKeyConfig(config::Reader& reader, ServiceKeyConfig* out);

// Mints this service's tokens; each is reused until half its lifetime has
// passed. Thread-safe.
class ServiceTokenSource final {
 public:
  ServiceTokenSource(std::unique_ptr<JwtSigner> signer, std::string service);
  std::string Token(absl::Time now);

 private:
  const std::unique_ptr<JwtSigner> signer_;
  const std::string service_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time renew_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

struct ServiceIdentity {
  std::unique_ptr<ServiceTokenSource> tokens;  // null without a private key
  std::unique_ptr<JwtVerifier> verifier;       // checks other services' tokens
};

// FAILED_PRECONDITION naming the variable when a key cannot be read or no
// key to verify with is given.
absl::StatusOr<ServiceIdentity> LoadServiceIdentity(const ServiceKeyConfig& config, const std::string& service);

// The verifier options of service tokens (kServiceIssuer, kServiceAudience).
VerifierOptions ServiceTokenOptions();

}  // namespace agora::runtime::auth
