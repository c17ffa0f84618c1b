#pragma once

// The revoked sessions fetched from customers over gRPC
// (Customers.ListRevokedSessions), for a RevocationPoller in the gateway and
// the services other than customers (which reads its own table).

#include <memory>

#include "absl/time/time.h"
#include "runtime/auth/revocations.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace agora::runtime::auth {

// Each call is one RPC with `timeout`.
RevocationFetch CustomersRevocations(std::shared_ptr<grpc::Channel> customers, absl::Duration timeout);

// A poller of `customers` into `list` every `every` (a process's main).
std::unique_ptr<RevocationPoller> PollCustomersRevocations(RevokedSessions& list,
                                                           std::shared_ptr<grpc::Channel> customers,
                                                           absl::Duration every);

}  // namespace agora::runtime::auth
