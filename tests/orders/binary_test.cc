// The orders binary as a process, beside a real inventory process: start-up
// (migrations, ready log line), an order created over gRPC and relayed to
// Kafka by the outbox, configuration errors, and a clean exit on SIGTERM.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/service_process.h"

namespace agora::orders {
namespace {

namespace pb = agora::orders::v1;
namespace inv = agora::inventory::v1;
using agora::testing::BearerFor;
using agora::testing::TokenFor;
using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::ReadFile;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::TestPublicKeyFile;
using agora::testing::UniqueName;

std::string KeyFlag() { return "--jwt-public-key-file=" + TestPublicKeyFile(); }

void Stop(ServiceProcess& proc, const std::string& name) {
  proc.process().Signal(SIGTERM);
  const int status = proc.process().Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(proc.Log().find("\"event\":\"" + name + "_stopped\"") != std::string::npos);
}

TEST_CASE("the orders process prices with inventory, relays its events and stops on SIGTERM",
          "[e2e]") {
  TestDatabase inventory_db("inventory");
  TestDatabase db("orders");
  ServiceProcess inventory(AGORA_INVENTORY_BINARY, "inventory", inventory_db, {KeyFlag()});
  ServiceProcess orders(AGORA_ORDERS_BINARY, "orders", db,
                        {KeyFlag(), "--kafka-brokers=" + GetInfra().kafka_brokers,
                         "--inventory-address=" + inventory.address()});
  CHECK(Eventually([&] { return orders.Log().find("orders_watch_listening") != std::string::npos; }));

  auto inventory_stub = inv::Inventory::NewStub(
      grpc::CreateChannel(inventory.address(), grpc::InsecureChannelCredentials()));
  inv::CreateProductRequest create;
  create.set_sku(UniqueName("E2E"));
  create.set_name("Kettle");
  create.set_price_cents(6900);
  create.set_stock(3);
  inv::Product product;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", BearerFor(runtime::ids::NewUuid(), /*admin=*/true));
    REQUIRE(inventory_stub->CreateProduct(&ctx, create, &product).ok());
  }
  // Inventory's INTERNAL BatchGetProducts (what orders calls for prices)
  // answers only a service: not an anonymous caller, not even an
  // administrator's token; a service token of the services' key passes.
  {
    inv::BatchGetProductsRequest batch;
    batch.add_ids(product.id());
    inv::BatchGetProductsResponse got;
    grpc::ClientContext anonymous;
    CHECK(inventory_stub->BatchGetProducts(&anonymous, batch, &got).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext admin;
    admin.AddMetadata("authorization", BearerFor(runtime::ids::NewUuid(), /*admin=*/true));
    CHECK(inventory_stub->BatchGetProducts(&admin, batch, &got).error_code() == grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext forged;  // an end user's token where a service token goes
    forged.AddMetadata(runtime::auth::kServiceTokenHeader, TokenFor(runtime::ids::NewUuid(), /*admin=*/true));
    CHECK(inventory_stub->BatchGetProducts(&forged, batch, &got).error_code() == grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext service;
    agora::testing::WithServiceIdentity(service);
    REQUIRE(inventory_stub->BatchGetProducts(&service, batch, &got).ok());
    CHECK(got.products_size() == 1);
  }

  auto stub = pb::Orders::NewStub(
      grpc::CreateChannel(orders.address(), grpc::InsecureChannelCredentials()));
  const std::string customer = runtime::ids::NewUuid();
  pb::CreateOrderRequest req;
  auto* item = req.add_items();
  item->set_product_id(product.id());
  item->set_quantity(2);
  pb::Order order;
  {
    grpc::ClientContext ctx;
    CHECK(stub->CreateOrder(&ctx, req, &order).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", BearerFor(customer));
    const grpc::Status s = stub->CreateOrder(&ctx, req, &order);
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  CHECK(order.status() == pb::PENDING);
  CHECK(order.total_cents() == 2 * 6900);
  // The relay published OrderCreated (rows leave the outbox once acknowledged).
  CHECK(Eventually([&] { return db.QueryAsSuper("SELECT count(*) FROM orders.outbox") == "0"; }));
  CHECK(db.QueryAsSuper("SELECT count(*) FROM orders.orders") == "1");
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", BearerFor(customer));
    pb::GetOrderRequest get;
    get.set_id(order.id());
    pb::Order got;
    REQUIRE(stub->GetOrder(&ctx, get, &got).ok());
    CHECK(got.id() == order.id());
  }
  const std::string metrics = agora::testing::HttpGet(orders.metrics_port(), "/metrics");
  CHECK(metrics.find("agora_orders_created_total 1") != std::string::npos);

  Stop(orders, "orders");
  Stop(inventory, "inventory");
  // messaging 3, request_keys 1, orders 3.
  CHECK(db.QueryAsSuper("SELECT count(*) FROM orders.schema_migrations") == "7");
}

TEST_CASE("the orders process refuses to start without its token key", "[e2e]") {
  const std::string log = GetInfra().dir + "/" + UniqueName("orders-nokey") + ".log";
  ChildProcess proc(AGORA_ORDERS_BINARY,
                    {"--grpc-address=127.0.0.1:0", "--metrics-port=0",
                     "--jwt-public-key-file=" + GetInfra().dir + "/no-such-key.pem"},
                    log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  CHECK(ReadFile(log).find("AGORA_JWT_PUBLIC_KEY_FILE") != std::string::npos);
}

TEST_CASE("a bad orders configuration names the variable", "[e2e]") {
  const std::string log = GetInfra().dir + "/" + UniqueName("orders-bad") + ".log";
  ChildProcess proc(AGORA_ORDERS_BINARY, {"--backend-timeout=forever"}, log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(ReadFile(log).find("AGORA_BACKEND_TIMEOUT='forever'") != std::string::npos);
}

}  // namespace
}  // namespace agora::orders
