#include "runtime/auth/authorizer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agora/api/v1/policy.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/server_context.h"
#include "runtime/auth/service_identity.h"
#include "runtime/ids/uuid.h"

namespace agora::runtime::auth {
namespace {

using agora::api::v1::Access;

absl::StatusOr<Access> PolicyOf(std::string_view full_method) {
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(full_method));
  if (method == nullptr || !method->options().HasExtension(agora::api::v1::policy)) {
    return absl::InternalError(absl::StrCat("method ", std::string(full_method), " declares no access policy"));
  }
  const Access access = method->options().GetExtension(agora::api::v1::policy).access();
  if (access == agora::api::v1::ACCESS_UNSPECIFIED) {
    return absl::InternalError(absl::StrCat("method ", std::string(full_method), " declares no access policy"));
  }
  return access;
}

}  // namespace

bool Caller::is_admin() const {
  return std::find(roles.begin(), roles.end(), "admin") != roles.end();
}

Authorizer::Authorizer(const JwtVerifier& verifier, const JwtVerifier* services,
                       const RevokedSessions* revoked)
    : verifier_(verifier), services_(services), revoked_(revoked) {}

absl::StatusOr<Claims> Authorizer::VerifyCached(const JwtVerifier& verifier, TokenCache& cache,
                                                const std::string& token, absl::Time now) {
  constexpr size_t kMaxCached = 20000;
  const absl::Duration kLeeway = verifier.leeway();
  const int64_t generation = verifier.key_generation();
  {
    // Every request of every signed-in client passes here: readers share.
    absl::ReaderMutexLock lock(&cache.mu);
    if (auto it = cache.verified.find(token); it != cache.verified.end() && cache.generation == generation) {
      const Claims& c = it->second;
      if (now <= c.expires_at + kLeeway && now + kLeeway >= c.not_before) return c;
    }
  }
  // Not cached, or cached but expired (verification below refuses it and
  // the entry goes).
  absl::StatusOr<Claims> claims = verifier.Verify(token, now);
  absl::MutexLock lock(&cache.mu);
  if (cache.generation != generation) {  // the keys changed: what the old ones verified goes
    cache.verified.clear();
    cache.generation = generation;
  }
  if (claims.ok()) {
    if (cache.verified.size() >= kMaxCached) cache.verified.clear();
    cache.verified.insert_or_assign(token, *claims);
  } else {
    cache.verified.erase(token);
  }
  return claims;
}

absl::StatusOr<Claims> Authorizer::VerifyCached(const std::string& token, absl::Time now) const {
  absl::StatusOr<Claims> claims = VerifyCached(verifier_, users_, token, now);
  // A user's subject is a customer id, a UUID: the services put it straight
  // into queries on uuid columns (one that is not would be a 500 there).
  if (claims.ok() && !ids::IsUuid(claims->subject)) {
    return absl::UnauthenticatedError("token subject is not a customer id");
  }
  // Checked on every call, cached or not: a revocation lands between two
  // requests of the same token.
  if (claims.ok() && revoked_ != nullptr && revoked_->Revoked(claims->session_id)) {
    return absl::UnauthenticatedError("this session has ended (signed out); sign in again");
  }
  return claims;
}

absl::StatusOr<Caller> Authorizer::Authorize(const grpc::ServerContextBase& ctx,
                                             std::string_view full_method) const {
  const auto& md = ctx.client_metadata();
  auto value = [&md](const char* key) {
    auto it = md.find(key);
    return it == md.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size());
  };
  return AuthorizeCall(value("authorization"), value(kServiceTokenHeader), full_method, absl::Now());
}

Caller Authorizer::Identify(std::string_view authorization, absl::Time now) const {
  Caller caller;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !absl::StartsWithIgnoreCase(absl::string_view(authorization.data(), authorization.size()), "Bearer ")) {
    return caller;
  }
  absl::StatusOr<Claims> claims = VerifyCached(std::string(authorization.substr(kBearer.size())), now);
  if (claims.ok()) {
    caller.bearer_token = std::string(authorization.substr(kBearer.size()));
    caller.customer_id = claims->subject;
    caller.roles = claims->roles;
  }
  return caller;
}

absl::StatusOr<Caller> Authorizer::AuthorizeHeader(std::string_view authorization,
                                                   std::string_view full_method,
                                                   absl::Time now) const {
  return AuthorizeCall(authorization, {}, full_method, now);
}

absl::StatusOr<Caller> Authorizer::AuthorizeCall(std::string_view authorization, std::string_view service_token,
                                                 std::string_view full_method, absl::Time now) const {
  absl::StatusOr<Access> access = PolicyOf(full_method);
  if (!access.ok()) return access.status();
  Caller caller;
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() <= kBearer.size() ||
        !absl::StartsWithIgnoreCase(absl::string_view(authorization.data(), authorization.size()), "Bearer ")) {
      if (*access == agora::api::v1::CUSTOMER || *access == agora::api::v1::ADMIN) {
        return absl::UnauthenticatedError("authorization must be a Bearer token");
      }
      return caller;
    }
    const std::string token(authorization.substr(kBearer.size()));
    absl::StatusOr<Claims> claims = VerifyCached(token, now);
    if (claims.ok()) {
      caller.bearer_token = token;
      caller.customer_id = claims->subject;
      caller.roles = claims->roles;
    } else if (*access != agora::api::v1::PUBLIC && *access != agora::api::v1::INTERNAL) {
      return claims.status();
    }
    // On a public method a stale or bad token is ignored: the caller is
    // anonymous (a frontend that still sends its expired access token to
    // /v1/auth:refresh must not be locked out).
  }
  switch (*access) {
    case agora::api::v1::PUBLIC:
      return caller;
    case agora::api::v1::INTERNAL: {
      // Reachable from the cluster's network is not enough: the caller
      // proves it is one of the services (service_identity.h).
      if (service_token.empty() || services_ == nullptr) {
        return absl::UnauthenticatedError("an INTERNAL method needs a service identity (x-agora-service)");
      }
      absl::StatusOr<Claims> service = VerifyCached(*services_, services_cache_, std::string(service_token), now);
      if (!service.ok()) return absl::UnauthenticatedError("the service identity does not verify");
      if (std::find(service->roles.begin(), service->roles.end(), "service") == service->roles.end()) {
        return absl::UnauthenticatedError("the service identity does not verify");
      }
      caller.service = service->subject;
      return caller;
    }
    case agora::api::v1::CUSTOMER:
      if (!caller.authenticated()) return absl::UnauthenticatedError("sign in first: a Bearer token is required");
      return caller;
    case agora::api::v1::ADMIN:
      if (!caller.authenticated()) return absl::UnauthenticatedError("sign in first: a Bearer token is required");
      if (!caller.is_admin()) return absl::PermissionDeniedError("administrators only");
      return caller;
    default:
      return absl::InternalError(absl::StrCat("method ", std::string(full_method), " declares no access policy"));
  }
}

}  // namespace agora::runtime::auth
