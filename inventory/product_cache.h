#pragma once

// The catalog's read cache: live products by id, for GetProduct and
// BatchGetProducts (the public product page, orders' price lookups), kept
// exact by invalidation.
//
//   - This process's writes: every PgStore write that changes a product
//     drops it here once its transaction committed, before the write
//     returns (pg::AfterCommit), so the next read of this process sees it.
//   - Other processes' writes (replicas): the same writes send NOTIFY
//     <schema>_products with the ids after their commit; the listener below
//     drops them when it hears it (milliseconds later).
//   - A read racing a write: the reader takes a stamp before it reads the
//     database and Put keeps its row only if nothing of that stripe was
//     dropped since, so a row read before a commit is never kept after the
//     commit's invalidation.
//   - Without a listening connection (not yet connected, or lost) the cache
//     is off: every read goes to the database, and it is emptied when the
//     listener is back (a notification may have been missed meanwhile).
//
// Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "inventory/catalog.h"
#include "runtime/pg/listener.h"
#include "runtime/pg/pool.h"

namespace agora::inventory {

class ProductCache final {
 public:
  // At most `capacity` products (a stripe that fills is emptied).
  explicit ProductCache(size_t capacity = 100000);

  // The cached product, if the cache is on and holds it.
  std::optional<Product> Find(std::string_view id);
  // Before reading `id` from the database: what Put must be given.
  uint64_t Stamp(std::string_view id);
  // Keeps `product`, read from the database after Stamp(stamped_id), unless
  // its stripe was invalidated since `stamp`, the cache is off, or it is not
  // the product stamped_id names (another spelling of a UUID).
  void Put(std::string_view stamped_id, const Product& product, uint64_t stamp);
  void Invalidate(const std::vector<std::string>& ids);
  // Drops everything and turns the cache on or off.
  void Reset(bool on);
  bool on() const { return on_.load(); }

  // Channel of the schema's product notifications; payload: ids, comma-separated.
  static std::string Channel(const std::string& schema) { return schema + "_products"; }

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    absl::Mutex mu;
    uint64_t generation ABSL_GUARDED_BY(mu) = 0;
    absl::flat_hash_map<std::string, Product> products ABSL_GUARDED_BY(mu);
  };
  Stripe& StripeOf(std::string_view lower_id);

  const size_t per_stripe_;
  std::atomic<bool> on_{false};
  std::array<Stripe, kStripes> stripes_;
};

// Listens for other processes' product changes and keeps `cache` on only
// while it listens. Reconnects on its own.
class ProductCacheListener final {
 public:
  ProductCacheListener(ProductCache& cache, runtime::pg::ConnectionOptions options);
  ~ProductCacheListener();
  ProductCacheListener(const ProductCacheListener&) = delete;
  ProductCacheListener& operator=(const ProductCacheListener&) = delete;

 private:
  ProductCache& cache_;
  runtime::pg::Listener listener_;  // last: stopped first
};

}  // namespace agora::inventory
