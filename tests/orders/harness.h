#pragma once

// Orders over real gRPC: an in-process orders server on port 0 with its own
// PostgreSQL database, pricing from a REAL in-process inventory service (its
// own database too), and a fake customers cart (customers is tested apart).
// Tokens come from tests/support/auth.h.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "orders/clients.h"
#include "orders/pg_store.h"
#include "orders/service.h"
#include "orders/watch_hub.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/server.h"
#include "runtime/messaging/envelope.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"

namespace agora::orders::test {

// (product id, quantity) lines of a create request.
using Items = std::vector<std::pair<std::string, int>>;

class FakeCarts final : public Carts {
 public:
  void Set(const std::string& customer_id, std::vector<RequestedLine> lines);
  // Every call fails with `status` from now on (OK: answers again).
  void Fail(absl::Status status);
  int calls() const;

  absl::StatusOr<std::vector<RequestedLine>> CartLines(
      const std::string& customer_id, const grpc::ServerContextBase* incoming) override;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<RequestedLine>> carts_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class Harness {
 public:
  Harness();
  ~Harness();

  pb::Orders::Stub& stub() { return *stub_; }
  FakeCarts& carts() { return carts_; }
  WatchHub& hub() { return hub_; }
  const agora::testing::TestDatabase& db() const { return db_; }

  // A product sold by inventory at `price_cents`; returns its id.
  std::string AddProduct(int64_t price_cents = 1500);
  void DeleteProduct(const std::string& id);
  void SetPrice(const std::string& id, int64_t price_cents);

  // Calls `method` with `bearer` ("Bearer ...", or "" for none) as authorization.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (pb::Orders::Stub::*method)(grpc::ClientContext*, const Req&,
                                                              Resp*),
                    const Req& req, Resp* resp, const std::string& bearer = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!bearer.empty()) ctx.AddMetadata("authorization", bearer);
    // The harness calls INTERNAL methods (approve, reject, mark cancelled)
    // as a service would; other methods ignore the service token.
    agora::testing::WithServiceIdentity(ctx);
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  grpc::Status Create(const std::string& customer, const Items& items, pb::Order* out,
                      const std::string& idempotency_key = "");
  grpc::Status CreateFromCart(const std::string& customer, pb::Order* out,
                              const std::string& idempotency_key = "");
  // Creates an order of one new product (or `items`) and REQUIREs success.
  pb::Order MustCreate(const std::string& customer, Items items = {});

  grpc::Status Get(const std::string& bearer, const std::string& id, pb::Order* out);
  grpc::Status Cancel(const std::string& bearer, const std::string& id, pb::Order* out);
  grpc::Status Ship(const std::string& bearer, const std::string& id, pb::Order* out);
  // The saga's INTERNAL methods (no token).
  grpc::Status Approve(const std::string& id, pb::Order* out);
  grpc::Status Reject(const std::string& id, pb::RejectionReason reason, pb::Order* out);
  grpc::Status MarkCancelled(const std::string& id, pb::Order* out);

  // The order's outbox rows, oldest first.
  std::vector<runtime::messaging::Envelope> Outbox(const std::string& order_id) const;
  // Their payload types without the package ("OrderCreated", ...).
  std::vector<std::string> OutboxTypes(const std::string& order_id) const;
  // One value (rows and columns joined) of `sql` run as the superuser.
  std::string Query(const std::string& sql) const { return db_.QueryAsSuper(sql); }

 private:
  agora::testing::TestDatabase inventory_db_;
  agora::testing::TestDatabase db_;
  runtime::pg::Pool inventory_pool_;
  runtime::pg::Pool pool_;
  runtime::grpc_server::Executor inventory_executor_;
  runtime::grpc_server::Executor executor_;
  inventory::PgStore inventory_store_;
  std::unique_ptr<inventory::InventoryService> inventory_service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> inventory_server_;
  std::unique_ptr<agora::inventory::v1::Inventory::Stub> inventory_stub_;
  PgStore store_;
  std::unique_ptr<Catalog> catalog_;
  FakeCarts carts_;
  WatchHub hub_;
  std::unique_ptr<OrdersService> service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server_;
  std::unique_ptr<pb::Orders::Stub> stub_;
};

// "Bearer <token>" of a customer / an admin.
std::string Customer(const std::string& customer_id);
std::string Admin();

}  // namespace agora::orders::test
