// The inventory binary as a process: configuration errors, start-up
// (migrations, health, metrics), serving, and a clean exit on SIGTERM.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/auth.h"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/service_process.h"

namespace agora::inventory {
namespace {

namespace pb = agora::inventory::v1;
using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::ReadFile;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;

TEST_CASE("the inventory process starts, serves, reports metrics and stops on SIGTERM", "[e2e]") {
  TestDatabase db("inventory");
  ServiceProcess proc(AGORA_INVENTORY_BINARY, "inventory", db,
                      {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile()});
  auto stub = pb::Inventory::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
  pb::CreateProductRequest create;
  create.set_sku("E2E-1");
  create.set_name("Kettle");
  create.set_price_cents(6900);
  create.set_stock(3);
  pb::Product product;
  {
    grpc::ClientContext ctx;
    // Without an administrator's token the catalog cannot be changed.
    CHECK(stub->CreateProduct(&ctx, create, &product).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", agora::testing::BearerFor("00000000-0000-4000-8000-0000000000a1", /*admin=*/true));
    REQUIRE(stub->CreateProduct(&ctx, create, &product).ok());
  }
  pb::ListProductsResponse list;
  {
    grpc::ClientContext ctx;
    REQUIRE(stub->ListProducts(&ctx, pb::ListProductsRequest(), &list).ok());
  }
  REQUIRE(list.products_size() == 1);
  CHECK(list.products(0).sku() == "E2E-1");

  {
    // A failed call is logged with the caller's request id and trace id.
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "req-e2e-42");
    ctx.AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    pb::GetProductRequest get;
    get.set_id("00000000-0000-4000-8000-000000000000");
    CHECK(stub->GetProduct(&ctx, get, &product).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  const std::string metrics = agora::testing::HttpGet(proc.metrics_port(), "/metrics");
  CHECK(metrics.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"ListProducts\","
                     "grpc_service=\"agora.inventory.v1.Inventory\",grpc_type=\"unary\"} 1") !=
        std::string::npos);

  proc.process().Signal(SIGTERM);
  const int status = proc.process().Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const std::string text = proc.Log();
  CHECK(text.find("\"event\":\"grpc_server_draining\"") != std::string::npos);
  CHECK(text.find("\"event\":\"inventory_stopped\"") != std::string::npos);
  CHECK(text.find("\"event\":\"grpc_call\",\"method\":\"GetProduct\",\"grpc_service\":"
                  "\"agora.inventory.v1.Inventory\",\"code\":\"NotFound\"") != std::string::npos);
  CHECK(text.find("\"request_id\":\"req-e2e-42\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"") !=
        std::string::npos);
  // Every line of the log is one JSON object.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
  }
}

TEST_CASE("a bad configuration stops the process with a message naming the variable", "[e2e]") {
  const std::string log = GetInfra().dir + "/" + UniqueName("inventory-bad") + ".log";
  ChildProcess proc(AGORA_INVENTORY_BINARY, {"--pg-port=99999", "--log-level=chatty"}, log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string text = ReadFile(log);
  CHECK(text.find("AGORA_PG_PORT='99999'") != std::string::npos);
  CHECK(text.find("AGORA_LOG_LEVEL='chatty'") != std::string::npos);
}

TEST_CASE("migrations are applied at start and a second start applies nothing", "[e2e]") {
  TestDatabase db("inventory");
  for (int run = 0; run < 2; ++run) {
    ServiceProcess proc(AGORA_INVENTORY_BINARY, "inventory", db,
                        {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile()});
    CHECK((proc.Log().find("migration_applied") != std::string::npos) == (run == 0));
    proc.process().Signal(SIGTERM);
    proc.process().Wait();
  }
  // messaging 3, request_keys 1, inventory 3.
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.schema_migrations") == "7");
}

}  // namespace
}  // namespace agora::inventory
