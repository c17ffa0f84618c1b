#pragma once

// The service the saga service calls: orders, for an order whose saga has
// not started yet (its OrderCreated is still on its way to the coordinator).
// Behind a small interface so that the service can be tested with a fake.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
class ServerContextBase;
}  // namespace grpc

namespace agora::runtime::auth {
class ServiceTokenSource;
}  // namespace agora::runtime::auth

namespace agora::saga {

// What the saga service needs to know of an order.
struct LocatedOrder {
  std::string customer_id;
  bool pending = false;  // PENDING: its PLACE_ORDER saga is about to start
  absl::Time created_at;
  std::string status;  // "PENDING", "APPROVED", ... (API.md's names)
};

class OrderDirectory {
 public:
  virtual ~OrderDirectory() = default;

  // The order `order_id`, or nothing when orders does not know it.
  // `incoming` (may be null) is the call being served: its deadline bounds
  // this one and its trace headers are forwarded. UNAVAILABLE or
  // DEADLINE_EXCEEDED when orders cannot answer, INTERNAL otherwise.
  // Thread-safe.
  virtual absl::StatusOr<std::optional<LocatedOrder>> Locate(const std::string& order_id,
                                                             const grpc::ServerContextBase* incoming) = 0;
};

// OrderDirectory over gRPC (orders.v1.Orders/LocateOrder, INTERNAL) on
// `channel`, each call with a deadline of `timeout` at most and a token of
// `identity` (borrowed; runtime/auth/service_identity.h).
std::unique_ptr<OrderDirectory> NewGrpcOrderDirectory(std::shared_ptr<grpc::Channel> channel,
                                                      absl::Duration timeout,
                                                      runtime::auth::ServiceTokenSource& identity);

}  // namespace agora::saga
