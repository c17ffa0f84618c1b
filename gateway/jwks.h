#pragma once

// The keys that verify access tokens, from customers' JWKS
// (Customers.GetJwks): loaded at start, fetched again periodically and when a
// token names an unknown kid (rate-limited by the verifier), so that a key
// rotation at customers needs no restart of the gateway.
//
// Every fetch is counted: agora_jwks_refreshes_total{outcome="ok"|"error"},
// agora_jwks_last_success_timestamp_seconds and agora_jwks_keys (the alert
// on a failing refresh reads them).

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

// The keys of a PEM file (AGORA_JWT_PUBLIC_KEY_FILE: in Kubernetes the
// public half of customers' signing key, mounted from its Secret, so trusted
// without a network hop), read again on each refresh so that a rotated
// Secret takes effect without a restart; counted like a JWKS fetch.
absl::StatusOr<runtime::auth::KeySet> ReadKeyFile(const std::string& path);

// Fetches until it succeeds or `patience` runs out (customers may start
// after the gateway).
absl::StatusOr<runtime::auth::KeySet> FetchJwksAtStart(
    const std::shared_ptr<grpc::Channel>& customers, absl::Duration patience);

}  // namespace agora::gateway
