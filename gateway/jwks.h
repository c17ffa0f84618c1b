#pragma once

// The keys that verify access tokens, from customers' JWKS
// (Customers.GetJwks): loaded at start and fetched again when a token names
// an unknown kid (rate-limited by the verifier), so that a key rotation at
// customers needs no restart of the gateway.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/auth/jwt.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace agora::gateway {

// One fetch; UNAVAILABLE when customers does not answer within `timeout`.
absl::StatusOr<runtime::auth::KeySet> FetchJwks(const std::shared_ptr<grpc::Channel>& customers,
                                                absl::Duration timeout);

// Fetches until it succeeds or `patience` runs out (customers may start
// after the gateway).
absl::StatusOr<runtime::auth::KeySet> FetchJwksAtStart(
    const std::shared_ptr<grpc::Channel>& customers, absl::Duration patience);

}  // namespace agora::gateway
