#pragma once

// Persistence of the catalog and of stock reservations. pg_store.h is the
// PostgreSQL implementation; every method is one transaction.
//
// Errors: NOT_FOUND for an unknown or deleted product, ALREADY_EXISTS for a
// duplicate sku, OUT_OF_RANGE when stock would overflow, UNAVAILABLE when the
// database is down. Thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inventory/catalog.h"
#include "runtime/idempotency/request_keys.h"

namespace agora::inventory {

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<Page> ListProducts(const ListQuery& query) = 0;
  virtual absl::StatusOr<Product> GetProduct(const std::string& id) = 0;
  // Live products among `ids`; unknown or deleted ones are left out.
  virtual absl::StatusOr<std::vector<Product>> BatchGetProducts(
      const std::vector<std::string>& ids) = 0;
  // `key`: the caller's idempotency key (runtime/idempotency); a repeat
  // answers the first call's product and changes nothing.
  virtual absl::StatusOr<Product> CreateProduct(const NewProduct& product,
                                                const runtime::idempotency::RequestKey& key) = 0;
  virtual absl::StatusOr<Product> UpdateProduct(const std::string& id,
                                                const ProductPatch& patch) = 0;
  virtual absl::StatusOr<Product> Restock(const std::string& id, int64_t quantity,
                                          const runtime::idempotency::RequestKey& key) = 0;
  virtual absl::Status DeleteProduct(const std::string& id) = 0;

  // All lines or none; idempotent by order id (a repeat answers the first
  // outcome); kReleased once the order's stock was released.
  virtual absl::StatusOr<ReserveResult> Reserve(const std::string& order_id,
                                                const std::vector<StockLine>& lines) = 0;
  // Returns the units reserved for the order; a tombstone if it never
  // reserved. Idempotent. Returns the units returned by this call.
  virtual absl::StatusOr<int64_t> Release(const std::string& order_id) = 0;
};

}  // namespace agora::inventory
