// The catalog's read cache (inventory/product_cache.h) in front of a real
// PostgreSQL: what a write changes is what the next read returns.

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "inventory/pg_store.h"
#include "inventory/product_cache.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/infra.h"

namespace agora::inventory {
namespace {

using agora::testing::Eventually;
using runtime::ids::NewUuid;

struct Setup {
  Setup()
      : db("inventory"),
        migrated(runtime::pg::ApplyMigrations(db.ServiceOptions(),
                                              {{"messaging", &runtime::messaging::MessagingMigrations()},
                                               {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
                                               {"inventory", &InventoryMigrations()}})
                     .ok()),
        pool(db.ServiceOptions(), 4),
        listener(cache, db.ServiceOptions()),
        store(pool, &cache) {
    REQUIRE(migrated);
    REQUIRE(Eventually([&] { return cache.on(); }));
  }

  Product Create(const std::string& sku, int64_t stock) {
    absl::StatusOr<Product> p = store.CreateProduct({sku, "Mug", "350 ml", 1800, stock}, {});
    REQUIRE(p.ok());
    return *p;
  }
  Product Get(const std::string& id) {
    absl::StatusOr<Product> p = store.GetProduct(id);
    REQUIRE(p.ok());
    return *p;
  }
  // Changes the row behind the store's back, its notification turned off
  // as the pools turn it off: a read that still answers the old value came
  // from the cache.
  void EditBehind(const std::string& id, const std::string& name) {
    db.QueryAsSuper(absl::StrCat("SET agora.outbox_notify = off; UPDATE inventory.products SET name = '", name,
                                 "' WHERE id = '", id, "'"));
  }

  agora::testing::TestDatabase db;
  bool migrated;
  runtime::pg::Pool pool;
  ProductCache cache;
  ProductCacheListener listener;
  PgStore store;
};

TEST_CASE("the catalog cache answers repeats from memory, and every write is seen by the next read", "[pg]") {
  Setup s;
  const Product mug = s.Create("MUG-1", 10);
  const Product cup = s.Create("CUP-1", 5);
  CHECK(s.Get(mug.id).stock == 10);
  s.EditBehind(mug.id, "behind");
  CHECK(s.Get(mug.id).name == "Mug");  // from the cache
  CHECK(s.cache.Find(mug.id).has_value());

  SECTION("an update") {
    ProductPatch patch;
    patch.name = "Big mug";
    REQUIRE(s.store.UpdateProduct(mug.id, patch).ok());
    CHECK(s.Get(mug.id).name == "Big mug");
  }
  SECTION("a restock") {
    REQUIRE(s.store.Restock(mug.id, 7, {}).ok());
    CHECK(s.Get(mug.id).stock == 17);
  }
  SECTION("a delete") {
    REQUIRE(s.store.DeleteProduct(mug.id).ok());
    CHECK(s.store.GetProduct(mug.id).status().code() == absl::StatusCode::kNotFound);
    absl::StatusOr<std::vector<Product>> both = s.store.BatchGetProducts({mug.id, cup.id});
    REQUIRE(both.ok());
    REQUIRE(both->size() == 1);
    CHECK(both->at(0).id == cup.id);
  }
  SECTION("a reservation and its release, one by one (the gRPC methods)") {
    const std::string order = NewUuid();
    REQUIRE(s.store.Reserve(order, {{mug.id, 3}}).ok());
    CHECK(s.Get(mug.id).stock == 7);
    REQUIRE(s.store.Release(order).ok());
    CHECK(s.Get(mug.id).stock == 10);
  }
  SECTION("a batch of saga commands (the participant's path)") {
    CHECK(s.Get(cup.id).stock == 5);
    REQUIRE(s.pool.Transact([&](runtime::pg::Tx& tx) {
                  s.store.LockProducts(tx, {mug.id, cup.id}, {});
                  s.store.ReserveBatchIn(tx, {{NewUuid(), {{mug.id, 4}}}, {NewUuid(), {{cup.id, 5}}}});
                  return absl::OkStatus();
                }).ok());
    CHECK(s.Get(mug.id).stock == 6);
    absl::StatusOr<std::vector<Product>> both = s.store.BatchGetProducts({cup.id, mug.id, cup.id});
    REQUIRE(both.ok());
    REQUIRE(both->size() == 2);
    CHECK(both->at(0).id == std::min(mug.id, cup.id));
    for (const Product& p : *both) CHECK(p.stock == (p.id == mug.id ? 6 : 0));
  }
  SECTION("a rolled-back write changes nothing, and the cache keeps its row") {
    CHECK_FALSE(s.pool.Transact([&](runtime::pg::Tx& tx) {
                      s.store.ReserveIn(tx, NewUuid(), {{mug.id, 2}});
                      return absl::AbortedError("rolled back");
                    }).ok());
    CHECK(s.Get(mug.id).stock == 10);
    CHECK(s.Get(mug.id).name == "Mug");  // still the cached row
  }
}

TEST_CASE("another process's write reaches the cache through its notification", "[pg]") {
  Setup s;
  const Product mug = s.Create("MUG-2", 10);
  CHECK(s.Get(mug.id).stock == 10);
  REQUIRE(s.cache.Find(mug.id).has_value());
  // Another replica: its own pool and store, no cache.
  runtime::pg::Pool other_pool(s.db.ServiceOptions(), 2);
  PgStore other(other_pool);
  REQUIRE(other.Restock(mug.id, 5, {}).ok());
  CHECK(Eventually([&] { return s.Get(mug.id).stock == 15; }, 5));
}

TEST_CASE("an operator's SQL edit reaches the cache through the products trigger", "[pg]") {
  Setup s;
  const Product mug = s.Create("MUG-4", 10);
  CHECK(s.Get(mug.id).name == "Mug");
  s.db.QueryAsSuper(absl::StrCat("UPDATE inventory.products SET name = 'By hand' WHERE id = '", mug.id, "'"));
  CHECK(Eventually([&] { return s.Get(mug.id).name == "By hand"; }, 5));
}

TEST_CASE("a read that raced a write does not keep what it read", "[unit]") {
  ProductCache cache;
  cache.Reset(true);
  Product p;
  p.id = "0b0e5d4c-1111-4222-8333-444455556666";
  p.stock = 1;
  const uint64_t stamp = cache.Stamp(p.id);
  cache.Invalidate({p.id});  // a write committed after the read
  cache.Put(p.id, p, stamp);
  CHECK_FALSE(cache.Find(p.id).has_value());
  cache.Put(p.id, p, cache.Stamp(p.id));
  CHECK(cache.Find(p.id).has_value());
  // Another spelling of the id is found, but a row is only kept under the
  // id that was stamped.
  CHECK(cache.Find("0B0E5D4C-1111-4222-8333-444455556666").has_value());
  Product other = p;
  other.id = "99999999-1111-4222-8333-444455556666";
  cache.Put(p.id, other, cache.Stamp(p.id));
  CHECK_FALSE(cache.Find(other.id).has_value());
  cache.Reset(false);
  CHECK_FALSE(cache.Find(p.id).has_value());
}

TEST_CASE("without its listening connection the cache is off, and back on once it listens again", "[pg]") {
  Setup s;
  const Product mug = s.Create("MUG-3", 10);
  CHECK(s.Get(mug.id).name == "Mug");
  s.db.QueryAsSuper(absl::StrCat(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE query LIKE 'LISTEN%inventory_products%' AND datname = '", s.db.name(), "'"));
  REQUIRE(Eventually([&] { return !s.cache.on(); }, 5));
  s.EditBehind(mug.id, "behind");
  CHECK(s.Get(mug.id).name == "behind");  // from the database
  REQUIRE(Eventually([&] { return s.cache.on(); }, 10));
  CHECK(s.Get(mug.id).name == "behind");
}

}  // namespace
}  // namespace agora::inventory
