#include "tests/orders/harness.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/grpc/client.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/migrations.h"
#include "runtime/messaging/topics.h"
#include "tests/support/auth.h"

namespace agora::orders::test {

namespace inv = agora::inventory::v1;
using agora::testing::Eventually;

void FakeCarts::Set(const std::string& customer_id, std::vector<RequestedLine> lines) {
  absl::MutexLock lock(&mu_);
  carts_[customer_id] = std::move(lines);
}

void FakeCarts::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

int FakeCarts::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::StatusOr<std::vector<RequestedLine>> FakeCarts::CartLines(
    const std::string& customer_id, const grpc::ServerContextBase* /*incoming*/) {
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (!failure_.ok()) return failure_;
  auto it = carts_.find(customer_id);
  if (it == carts_.end()) return std::vector<RequestedLine>{};
  return it->second;
}

Harness::Harness()
    : inventory_db_("inventory"),
      db_("orders"),
      inventory_pool_(inventory_db_.ServiceOptions(), 4),
      pool_(db_.ServiceOptions(), 8),
      inventory_executor_(4, 1024),
      executor_(8, 1024),
      inventory_store_(inventory_pool_),
      store_(pool_, runtime::messaging::Topics{}.OrderEvents()),
      hub_(db_.ServiceOptions()) {
  REQUIRE(runtime::pg::ApplyMigrations(
              inventory_db_.ServiceOptions(),
              {{"messaging", &runtime::messaging::MessagingMigrations()},
               {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
               {"inventory", &inventory::InventoryMigrations()}})
              .ok());
  REQUIRE(runtime::pg::ApplyMigrations(db_.ServiceOptions(),
                                       {{"messaging", &runtime::messaging::MessagingMigrations()},
                                        {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
                                        {"orders", &OrdersMigrations()}})
              .ok());
  inventory_service_ =
      std::make_unique<inventory::InventoryService>(inventory_store_, inventory_executor_,
                                                    agora::testing::TestAuthorizer());
  auto inventory_server =
      runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {inventory_service_.get()});
  REQUIRE(inventory_server.ok());
  inventory_server_ = std::move(*inventory_server);
  const std::string inventory_address =
      absl::StrCat("127.0.0.1:", inventory_server_->port());
  inventory_stub_ = inv::Inventory::NewStub(runtime::grpc_client::NewChannel(inventory_address));
  catalog_ = NewGrpcCatalog(runtime::grpc_client::NewChannel(inventory_address), absl::Seconds(5),
                            agora::testing::TestServiceTokens());

  hub_.Start();
  REQUIRE(Eventually([&] { return hub_.listening(); }));
  service_ = std::make_unique<OrdersService>(store_, *catalog_, carts_, hub_, executor_,
                                             agora::testing::TestAuthorizer());
  auto server = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {service_.get()});
  REQUIRE(server.ok());
  server_ = std::move(*server);
  stub_ = pb::Orders::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                  grpc::InsecureChannelCredentials()));
}

Harness::~Harness() {
  // Calls first (watch streams end), then the work they queued, then the hub.
  server_.reset();
  executor_.Drain();
  hub_.Stop();
  inventory_server_.reset();
  inventory_executor_.Drain();
}

std::string Harness::AddProduct(int64_t price_cents) {
  inv::CreateProductRequest req;
  req.set_sku(agora::testing::UniqueName("SKU"));
  req.set_name("Stoneware mug");
  req.set_price_cents(price_cents);
  req.set_stock(1000);
  inv::Product product;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", Admin());
  const grpc::Status s = inventory_stub_->CreateProduct(&ctx, req, &product);
  REQUIRE(s.ok());
  return product.id();
}

void Harness::DeleteProduct(const std::string& id) {
  inv::DeleteProductRequest req;
  req.set_id(id);
  google::protobuf::Empty empty;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", Admin());
  REQUIRE(inventory_stub_->DeleteProduct(&ctx, req, &empty).ok());
}

void Harness::SetPrice(const std::string& id, int64_t price_cents) {
  inv::UpdateProductRequest req;
  req.set_id(id);
  req.set_price_cents(price_cents);
  inv::Product product;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", Admin());
  REQUIRE(inventory_stub_->UpdateProduct(&ctx, req, &product).ok());
}

grpc::Status Harness::Create(const std::string& customer, const Items& items, pb::Order* out,
                             const std::string& idempotency_key) {
  pb::CreateOrderRequest req;
  for (const auto& [id, quantity] : items) {
    auto* item = req.add_items();
    item->set_product_id(id);
    item->set_quantity(quantity);
  }
  req.set_idempotency_key(idempotency_key);
  return Call(&pb::Orders::Stub::CreateOrder, req, out, Customer(customer));
}

grpc::Status Harness::CreateFromCart(const std::string& customer, pb::Order* out,
                                     const std::string& idempotency_key) {
  pb::CreateOrderRequest req;
  req.set_from_cart(true);
  req.set_idempotency_key(idempotency_key);
  return Call(&pb::Orders::Stub::CreateOrder, req, out, Customer(customer));
}

pb::Order Harness::MustCreate(const std::string& customer, Items items) {
  if (items.empty()) items = {{AddProduct(), 1}};
  pb::Order order;
  const grpc::Status s = Create(customer, items, &order);
  INFO(s.error_message());
  REQUIRE(s.ok());
  return order;
}

grpc::Status Harness::Get(const std::string& bearer, const std::string& id, pb::Order* out) {
  pb::GetOrderRequest req;
  req.set_id(id);
  return Call(&pb::Orders::Stub::GetOrder, req, out, bearer);
}

grpc::Status Harness::Cancel(const std::string& bearer, const std::string& id, pb::Order* out) {
  pb::CancelOrderRequest req;
  req.set_id(id);
  return Call(&pb::Orders::Stub::CancelOrder, req, out, bearer);
}

grpc::Status Harness::Ship(const std::string& bearer, const std::string& id, pb::Order* out) {
  pb::ShipOrderRequest req;
  req.set_id(id);
  return Call(&pb::Orders::Stub::ShipOrder, req, out, bearer);
}

grpc::Status Harness::Approve(const std::string& id, pb::Order* out) {
  pb::ApproveOrderRequest req;
  req.set_order_id(id);
  return Call(&pb::Orders::Stub::ApproveOrder, req, out);
}

grpc::Status Harness::Reject(const std::string& id, pb::RejectionReason reason, pb::Order* out) {
  pb::RejectOrderRequest req;
  req.set_order_id(id);
  req.set_reason(reason);
  return Call(&pb::Orders::Stub::RejectOrder, req, out);
}

grpc::Status Harness::MarkCancelled(const std::string& id, pb::Order* out) {
  pb::MarkCancelledRequest req;
  req.set_order_id(id);
  return Call(&pb::Orders::Stub::MarkCancelled, req, out);
}

std::vector<runtime::messaging::Envelope> Harness::Outbox(const std::string& order_id) const {
  REQUIRE(runtime::ids::IsUuid(order_id));
  const std::string hex = db_.QueryAsSuper(absl::StrCat(
      "SELECT string_agg(encode(payload, 'hex'), ',' ORDER BY id) FROM orders.outbox "
      "WHERE message_key = '", order_id, "'"));
  std::vector<runtime::messaging::Envelope> out;
  if (hex.empty()) return out;
  for (absl::string_view row : absl::StrSplit(hex, ',')) {
    absl::StatusOr<runtime::messaging::Envelope> e =
        runtime::messaging::ParseEnvelope(absl::HexStringToBytes(row));
    REQUIRE(e.ok());
    CHECK(e->saga_id().empty());
    out.push_back(*std::move(e));
  }
  return out;
}

std::vector<std::string> Harness::OutboxTypes(const std::string& order_id) const {
  std::vector<std::string> types;
  for (const auto& e : Outbox(order_id)) {
    const std::string& type = e.type();
    types.push_back(type.substr(type.rfind('.') + 1));
  }
  return types;
}

std::string Customer(const std::string& customer_id) {
  return agora::testing::BearerFor(customer_id);
}

std::string Admin() {
  static const std::string* const admin = new std::string(runtime::ids::NewUuid());
  return agora::testing::BearerFor(*admin, /*admin=*/true);
}

}  // namespace agora::orders::test
