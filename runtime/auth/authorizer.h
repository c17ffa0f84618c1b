#pragma once

// Who is calling, and may they call this method? Every service checks the
// verified access token from the call's metadata against the method's
// agora.api.v1.policy option (defence in depth: the gateway checked it too,
// and a service never trusts a bare user-id header).
//
//   PUBLIC    anyone; a valid token identifies the caller, an invalid one is
//             ignored (the caller is anonymous)
//   CUSTOMER  a valid access token
//   ADMIN     a valid access token whose roles hold "admin"
//   INTERNAL  service-to-service methods: a valid service token in the
//             "x-agora-service" metadata (service_identity.h), whatever the
//             network; no end-user token is required
//
// An access token whose session was revoked (logout: revocations.h) is
// refused like an invalid one.
//
// Thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/revocations.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace agora::runtime::auth {

struct Caller {
  std::string customer_id;  // empty when anonymous
  std::vector<std::string> roles;
  std::string bearer_token;  // the raw token, to forward on outbound calls
  std::string service;       // on an INTERNAL method: the calling service

  bool authenticated() const { return !customer_id.empty(); }
  bool is_admin() const;
  // The caller is `customer_id` or an admin.
  bool CanAccess(std::string_view owner_id) const { return owner_id == customer_id || is_admin(); }
};

class Authorizer final {
 public:
  // `verifier` (end users' access tokens), `services` (service tokens;
  // null: every INTERNAL call is refused) and `revoked` (signed-out
  // sessions; null: none) are borrowed.
  explicit Authorizer(const JwtVerifier& verifier, const JwtVerifier* services = nullptr,
                      const RevokedSessions* revoked = nullptr);

  // `full_method` is the method's full protobuf name,
  // "agora.customers.v1.Customers.GetMe". UNAUTHENTICATED (missing, malformed
  // or invalid token where one is needed or was sent), PERMISSION_DENIED (a
  // customer calling an ADMIN method), INTERNAL for a method without a policy.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& ctx,
                                   std::string_view full_method) const;

  // Who sent `authorization`, whatever the method: the verified caller, or
  // an anonymous one when the header is absent, not a Bearer token, or its
  // token does not verify. Never an error (the gateway's rate limits key on
  // it before any route is known).
  Caller Identify(std::string_view authorization, absl::Time now) const;

  // The same from an explicit "authorization" header value (for tests and
  // the gateway).
  absl::StatusOr<Caller> AuthorizeHeader(std::string_view authorization,
                                         std::string_view full_method, absl::Time now) const;
  // With the call's service token too (the "x-agora-service" metadata).
  absl::StatusOr<Caller> AuthorizeCall(std::string_view authorization, std::string_view service_token,
                                       std::string_view full_method, absl::Time now) const;

 private:
  // Verified tokens, so that a client's next calls skip the RSA check and the
  // JSON parse; bounded (cleared when full), re-checked against exp and nbf.
  // Users' and services' tokens are cached apart: a token verified by one
  // verifier must never be found by the other.
  struct TokenCache {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Claims> verified ABSL_GUARDED_BY(mu);
    // The verifier's key generation the entries were verified under.
    int64_t generation ABSL_GUARDED_BY(mu) = 0;
  };
  static absl::StatusOr<Claims> VerifyCached(const JwtVerifier& verifier, TokenCache& cache,
                                             const std::string& token, absl::Time now);
  absl::StatusOr<Claims> VerifyCached(const std::string& token, absl::Time now) const;

  const JwtVerifier& verifier_;
  const JwtVerifier* services_;
  const RevokedSessions* revoked_;
  mutable TokenCache users_;
  mutable TokenCache services_cache_;
};

}  // namespace agora::runtime::auth
