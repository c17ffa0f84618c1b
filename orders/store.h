#pragma once

// Persistence of orders, their lines, idempotency keys and the events they
// publish. pg_store.h is the PostgreSQL implementation; every method is one
// transaction, and every change writes its events to the outbox in that same
// transaction (DESIGN.md, "Data flow of an order").
//
// Errors: NOT_FOUND for an unknown or malformed order id (and for another
// customer's order where an owner is given), FAILED_PRECONDITION for a
// transition the status machine refuses, ALREADY_EXISTS for an idempotency
// key used with another request, UNAVAILABLE when the database is down.
// Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orders/listing.h"
#include "orders/order.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/messaging/envelope.h"

namespace agora::orders {

using runtime::messaging::EnvelopeContext;

struct NewOrder {
  std::string id;
  std::string customer_id;
  std::vector<Line> lines;
  int64_t total_cents = 0;
  bool from_cart = false;
  std::string idempotency_key;  // "" for none
  std::string request_hash;     // RequestHash() of the request, with a key
};

struct CreateResult {
  Order order;
  bool created = false;  // false: the answer of an earlier request with the same key
};

struct KeyedOrder {
  std::string request_hash;
  Order order;
};

struct Change {
  Event event = Event::kApprove;
  RejectionReason reason = RejectionReason::kNone;  // for kReject
};

struct ChangeResult {
  Order order;  // as it is after the call
  bool changed = false;  // false: a repeat that changed nothing
  Step step;
};

class Store {
 public:
  virtual ~Store() = default;

  // The order an idempotency key of `customer_id` already names, if any.
  virtual absl::StatusOr<std::optional<KeyedOrder>> FindByIdempotencyKey(
      const std::string& customer_id, const std::string& key) = 0;

  // Records the order PENDING and its OrderCreated event. With a key already
  // taken by a committed request (a concurrent one is waited for), writes
  // nothing and answers that request's order (same hash) or ALREADY_EXISTS.
  virtual absl::StatusOr<CreateResult> Create(const NewOrder& order,
                                              const EnvelopeContext& context) = 0;

  virtual absl::StatusOr<Order> Get(const std::string& id) = 0;
  virtual absl::StatusOr<OrderPage> List(const ListQuery& query) = 0;
  // The newest APPROVED or SHIPPED order of `customer_id` holding
  // `product_id` (ids in lower case), if any.
  virtual absl::StatusOr<std::optional<Order>> FindPurchase(const std::string& customer_id,
                                                            const std::string& product_id) = 0;

  // Applies `change` under a row lock, as Transition() decides, and writes
  // OrderStatusChanged for a status change (OrderCancelRequested too for a
  // cancel). `owner`: when set, another customer's order is NOT_FOUND.
  // `key`: the caller's idempotency key (runtime/idempotency); a repeat
  // answers the order as the first call did and changes nothing.
  virtual absl::StatusOr<ChangeResult> Apply(const std::string& id, const Change& change,
                                             const std::optional<std::string>& owner,
                                             const EnvelopeContext& context,
                                             const runtime::idempotency::RequestKey& key) = 0;
};

}  // namespace agora::orders
