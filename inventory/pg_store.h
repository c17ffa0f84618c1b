#pragma once

// The PostgreSQL Store: the only SQL of the inventory service.

#include "inventory/product_cache.h"
#include "inventory/store.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::inventory {

class PgStore final : public Store {
 public:
  // `pool` is borrowed; its connections use the inventory schema. `cache`
  // (borrowed, optional): the catalog's read cache (product_cache.h), which
  // GetProduct and BatchGetProducts read through. Whether or not there is
  // one, every write that changes a product notifies the schema's product
  // channel after its commit, for the caches of other processes.
  explicit PgStore(runtime::pg::Pool& pool, ProductCache* cache = nullptr) : pool_(pool), cache_(cache) {}

  absl::StatusOr<Page> ListProducts(const ListQuery& query) override;
  absl::StatusOr<Product> GetProduct(const std::string& id) override;
  absl::StatusOr<std::vector<Product>> BatchGetProducts(const std::vector<std::string>& ids) override;
  absl::StatusOr<Product> CreateProduct(const NewProduct& product,
                                        const runtime::idempotency::RequestKey& key) override;
  absl::StatusOr<Product> UpdateProduct(const std::string& id, const ProductPatch& patch) override;
  absl::StatusOr<Product> Restock(const std::string& id, int64_t quantity,
                                  const runtime::idempotency::RequestKey& key) override;
  absl::Status DeleteProduct(const std::string& id) override;
  absl::StatusOr<ReserveResult> Reserve(const std::string& order_id,
                                        const std::vector<StockLine>& lines) override;
  absl::StatusOr<int64_t> Release(const std::string& order_id) override;

  // Reserve and Release inside the caller's transaction: the one code path
  // of the saga's stock step, for the gRPC methods above (each its own
  // transaction) and the Kafka command handler (inventory/participant.h,
  // a batch's transaction). `lines` as NormaliseReservation returns them.
  // Throw libpqxx exceptions.
  ReserveResult ReserveIn(runtime::pg::Tx& tx, const std::string& order_id,
                          const std::vector<StockLine>& lines);
  // ReserveIn for each of `reservations` (order id, lines as
  // NormaliseReservation returns them), in order, with the same results and
  // effects, in five statements whatever their number: every order claimed
  // at once, the others' stored answers read, the stock read, the lines
  // checked one by one in memory, then everything taken and every outcome
  // written at once. The products must be locked already (LockProducts: a
  // batch's first step). Throws libpqxx exceptions.
  std::vector<ReserveResult> ReserveBatchIn(
      runtime::pg::Tx& tx, const std::vector<std::pair<std::string, std::vector<StockLine>>>& reservations);
  // `order_id` must be a UUID.
  int64_t ReleaseIn(runtime::pg::Tx& tx, const std::string& order_id);
  // Locks, in id order, the products named by `product_ids` and those held
  // by the reservations of `release_order_ids` (all UUIDs): what a batch of
  // saga commands will lock, taken up front in one order so that batches
  // running at once never deadlock.
  void LockProducts(runtime::pg::Tx& tx, const std::vector<std::string>& product_ids,
                    const std::vector<std::string>& release_order_ids);

 private:
  // After the commit of `tx`: `ids` leave this process's cache, and other
  // processes are told.
  void Changed(runtime::pg::Tx& tx, std::vector<std::string> ids);

  runtime::pg::Pool& pool_;
  ProductCache* const cache_;
};

// The migrations of the inventory schema (inventory/migrations/).
const std::vector<runtime::pg::Migration>& InventoryMigrations();

}  // namespace agora::inventory
