#pragma once

// Shared by the reviews tests: a migrated database of its own with the real
// store, order events as orders publishes them, and a fake of customers.

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agora/saga/v1/messages.pb.h"
#include "reviews/clients.h"
#include "reviews/pg_store.h"
#include "reviews/purchases.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/fake_backend.h"
#include "tests/support/infra.h"

namespace agora::reviews::testing {

using OrderStatus = agora::orders::v1::OrderStatus;

// An OrderStatusChanged envelope holding one line per product.
inline runtime::messaging::Envelope StatusChanged(const std::string& order_id,
                                                  const std::string& customer_id,
                                                  OrderStatus status,
                                                  const std::vector<std::string>& products) {
  agora::saga::v1::OrderStatusChanged event;
  event.set_order_id(order_id);
  event.set_customer_id(customer_id);
  event.set_status(status);
  for (const std::string& p : products) {
    auto* line = event.add_lines();
    line->set_product_id(p);
    line->set_quantity(1);
    line->set_unit_price_cents(1000);
  }
  return runtime::messaging::Wrap(event);
}

inline runtime::messaging::Envelope OrderCreated(const std::string& order_id,
                                                 const std::string& customer_id,
                                                 const std::vector<std::string>& products) {
  agora::saga::v1::OrderCreated event;
  event.set_order_id(order_id);
  event.set_customer_id(customer_id);
  for (const std::string& p : products) {
    auto* line = event.add_lines();
    line->set_product_id(p);
    line->set_quantity(1);
    line->set_unit_price_cents(1000);
  }
  event.set_total_cents(1000 * static_cast<int64_t>(products.size()));
  return runtime::messaging::Wrap(event);
}

// A fresh reviews database, migrated as main does, with a pool and the real
// store.
class StoreFixture {
 public:
  StoreFixture()
      : db_("reviews"),
        migrated_(
            runtime::pg::ApplyMigrations(db_.ServiceOptions(),
                                         {{"messaging", &runtime::messaging::MessagingMigrations()},
                                          {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
                                          {"reviews", &ReviewsMigrations()}})
                .ok()),
        pool_(db_.ServiceOptions(), 8),
        store_(pool_) {
    REQUIRE(migrated_);
  }

  PgStore& store() { return store_; }
  const agora::testing::TestDatabase& db() const { return db_; }

  // Hands `envelope` to the real handler, as the consumer would.
  absl::Status Deliver(const runtime::messaging::Envelope& envelope) {
    return HandleOrderEvent(envelope.SerializeAsString(), store_);
  }
  // Records that `customer_id` holds an order of `product_id` in `status`.
  void Buy(const std::string& customer_id, const std::string& product_id,
           OrderStatus status = agora::orders::v1::APPROVED) {
    REQUIRE(
        Deliver(StatusChanged(runtime::ids::NewUuid(), customer_id, status, {product_id})).ok());
  }
  // The first column of the first row of `sql`, run as the superuser.
  std::string Query(const std::string& sql) const { return db_.QueryAsSuper(sql); }
  int64_t Count(const std::string& sql) const { return std::stoll(Query(sql)); }

 private:
  agora::testing::TestDatabase db_;
  bool migrated_;
  runtime::pg::Pool pool_;
  PgStore store_;
};

using agora::testing::FakeBackend;

// Orders' FindPurchase, answering from orders' view: the purchases a test
// put here with Add, and every order an event handed to Observe names (as
// orders sees them at once, before their event reaches reviews). An order
// that later grants nothing (CANCELLING, CANCELLED, REJECTED) is no longer
// found.
class FakeOrderLookup final : public OrderLookup, public FakeBackend {
 public:
  absl::StatusOr<std::optional<FoundPurchase>> FindPurchase(const std::string& customer_id,
                                                            const std::string& product_id,
                                                            const grpc::ServerContextBase* /*incoming*/) override {
    if (std::optional<absl::Status> failure = Called()) return *failure;
    absl::MutexLock lock(&mu_);
    for (const auto& [id, order] : orders_) {
      if (order.customer_id != customer_id || order.products.count(product_id) == 0) continue;
      if (GrantsReview(order.state)) {
        return std::optional<FoundPurchase>(FoundPurchase{id, order.state});
      }
    }
    return std::optional<FoundPurchase>();
  }
  void Add(const std::string& customer_id, const std::string& product_id, FoundPurchase purchase) {
    absl::MutexLock lock(&mu_);
    Order& order = orders_[purchase.order_id];
    order.customer_id = customer_id;
    order.products.insert(product_id);
    order.state = purchase.state;
  }
  // Takes the order status an OrderStatusChanged envelope carries as orders'.
  void Observe(const runtime::messaging::Envelope& envelope) {
    agora::saga::v1::OrderStatusChanged event;
    if (envelope.type() != event.GetDescriptor()->full_name()) return;
    REQUIRE(event.ParseFromString(envelope.payload()));
    absl::MutexLock lock(&mu_);
    Order& order = orders_[event.order_id()];
    order.customer_id = event.customer_id();
    for (const auto& line : event.lines()) order.products.insert(line.product_id());
    switch (event.status()) {
      case agora::orders::v1::APPROVED: order.state = OrderState::kApproved; break;
      case agora::orders::v1::SHIPPED: order.state = OrderState::kShipped; break;
      case agora::orders::v1::REJECTED: order.state = OrderState::kRejected; break;
      case agora::orders::v1::CANCELLING: order.state = OrderState::kCancelling; break;
      case agora::orders::v1::CANCELLED: order.state = OrderState::kCancelled; break;
      default: order.state = OrderState::kPending; break;
    }
  }

 private:
  struct Order {
    std::string customer_id;
    std::set<std::string> products;
    OrderState state = OrderState::kPending;
  };
  absl::Mutex mu_;
  std::map<std::string, Order> orders_ ABSL_GUARDED_BY(mu_);
};

// Customers as reviews sees it: "Reviewer <first 8 characters of the id>",
// or the failure set with FailWith.
class FakeProfiles final : public Profiles, public FakeBackend {
 public:
  absl::StatusOr<std::string> DisplayName(const std::string& customer_id,
                                          const grpc::ServerContextBase* /*incoming*/) override {
    if (std::optional<absl::Status> failure = Called()) return *failure;
    return NameOf(customer_id);
  }
  static std::string NameOf(const std::string& customer_id) {
    return absl::StrCat("Reviewer ", customer_id.substr(0, 8));
  }
};

}  // namespace agora::reviews::testing
