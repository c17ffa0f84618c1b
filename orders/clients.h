#pragma once

// The services orders calls while creating an order, behind small
// interfaces (tests may substitute them): inventory for current prices,
// customers for the cart of a fromCart order. The gRPC implementations put a
// deadline on every call and forward the caller's authorization, request id
// and traceparent.
//
// Errors: UNAVAILABLE / DEADLINE_EXCEEDED when the backend does not answer
// (messages name the backend, never its address). Thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orders/order.h"

namespace grpc {
class Channel;
class ServerContextBase;
}  // namespace grpc

namespace agora::runtime::auth {
class ServiceTokenSource;
}  // namespace agora::runtime::auth

namespace agora::orders {

class Catalog {
 public:
  virtual ~Catalog() = default;
  // (product id, current price in cents) of the live products among `ids`,
  // in one call; unknown or deleted products are left out. `incoming` (may
  // be null) is the call being served.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Prices(
      const std::vector<std::string>& ids, const grpc::ServerContextBase* incoming) = 0;
};

class Carts {
 public:
  virtual ~Carts() = default;
  // The lines of `customer_id`'s cart as they are now (possibly none).
  virtual absl::StatusOr<std::vector<RequestedLine>> CartLines(
      const std::string& customer_id, const grpc::ServerContextBase* incoming) = 0;
};

// Inventory's BatchGetProducts over `channel` (runtime/grpc/client.h
// NewChannel), an INTERNAL method: each call carries a token of `identity`
// (borrowed; runtime/auth/service_identity.h).
std::unique_ptr<Catalog> NewGrpcCatalog(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                        runtime::auth::ServiceTokenSource& identity);
// Customers' GetCustomerCart (INTERNAL) over `channel`, the same way.
std::unique_ptr<Carts> NewGrpcCarts(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                    runtime::auth::ServiceTokenSource& identity);

}  // namespace agora::orders
