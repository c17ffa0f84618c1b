#pragma once

// The services reviews calls, each behind a small interface so that the
// service can be tested with a fake.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reviews/review.h"

namespace grpc {
class Channel;
class ServerContextBase;
}  // namespace grpc

namespace agora::runtime::auth {
class ServiceTokenSource;
}  // namespace agora::runtime::auth

namespace agora::reviews {

// Customer profiles (the customers service).
class Profiles {
 public:
  virtual ~Profiles() = default;

  // The display name of `customer_id`. `incoming` (may be null) is the call
  // being served: its deadline bounds this one and its authorization and
  // trace headers are forwarded. Errors are already phrased for reviews'
  // callers: FAILED_PRECONDITION for an unknown customer, UNAVAILABLE or
  // DEADLINE_EXCEEDED when customers cannot answer (retry later), INTERNAL
  // otherwise. Thread-safe.
  virtual absl::StatusOr<std::string> DisplayName(const std::string& customer_id,
                                                  const grpc::ServerContextBase* incoming) = 0;
};

// An order that gives its customer the right to review a product.
struct FoundPurchase {
  std::string order_id;
  OrderState state = OrderState::kApproved;
};

// Verified purchases at their source (the orders service), asked on every
// review: the record built from order events trails orders by the events'
// trip (an order approved, or cancelled, a moment ago).
class OrderLookup {
 public:
  virtual ~OrderLookup() = default;

  // An APPROVED or SHIPPED order of `customer_id` holding `product_id`, if
  // any. `incoming` and the errors as Profiles::DisplayName's. Thread-safe.
  virtual absl::StatusOr<std::optional<FoundPurchase>> FindPurchase(const std::string& customer_id,
                                                                    const std::string& product_id,
                                                                    const grpc::ServerContextBase* incoming) = 0;
};

// Profiles over gRPC (customers.v1.Customers/GetCustomer, INTERNAL) on
// `channel`, each call with a deadline of `timeout` at most and a token of
// `identity` (borrowed; runtime/auth/service_identity.h).
std::unique_ptr<Profiles> NewGrpcProfiles(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                          runtime::auth::ServiceTokenSource& identity);

// OrderLookup over gRPC (orders.v1.Orders/FindPurchase, INTERNAL), as
// NewGrpcProfiles.
std::unique_ptr<OrderLookup> NewGrpcOrderLookup(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                                runtime::auth::ServiceTokenSource& identity);

}  // namespace agora::reviews
