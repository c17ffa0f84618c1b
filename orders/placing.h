#pragma once

// Creating an order: the request's shape, its idempotency key, the lines
// (from the request or the customer's cart), prices from inventory, then one
// store transaction (order + OrderCreated). No SQL or proto here.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orders/clients.h"
#include "orders/order.h"
#include "orders/store.h"

namespace agora::orders {

struct PlaceRequest {
  std::string customer_id;  // the verified caller
  std::vector<RequestedLine> items;
  bool from_cart = false;
  std::string idempotency_key;  // "" for none
};

class OrderPlacer final {
 public:
  // Borrows every part; they must outlive the placer.
  OrderPlacer(Store& store, Catalog& catalog, Carts& carts)
      : store_(store), catalog_(catalog), carts_(carts) {}

  // The new PENDING order (created) or, for a repeated idempotency key with
  // the same body, the first request's order (not created). Errors:
  // INVALID_ARGUMENT (shape, lines, key, empty cart, total overflow),
  // FAILED_PRECONDITION naming products inventory does not sell,
  // ALREADY_EXISTS (key reused with another body), UNAVAILABLE /
  // DEADLINE_EXCEEDED from a backend or the database. Thread-safe.
  absl::StatusOr<CreateResult> Place(const PlaceRequest& request,
                                     const grpc::ServerContextBase* incoming,
                                     const EnvelopeContext& context);

 private:
  Store& store_;
  Catalog& catalog_;
  Carts& carts_;
};

}  // namespace agora::orders
