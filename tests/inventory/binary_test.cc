// The inventory binary as a process: configuration errors, start-up
// (migrations, health, metrics), serving, and a clean exit on SIGTERM.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"

namespace agora::inventory {
namespace {

namespace pb = agora::inventory::v1;

using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Flags(const TestDatabase& db) {
  const auto o = db.ServiceOptions();
  return {"--grpc-address=127.0.0.1:0", "--metrics-address=127.0.0.1", "--metrics-port=0",
          absl::StrCat("--pg-port=", o.port), absl::StrCat("--pg-database=", o.dbname),
          "--drain-timeout=2s"};
}

TEST_CASE("the inventory process starts, serves, reports metrics and stops on SIGTERM", "[e2e]") {
  TestDatabase db("inventory");
  const std::string log = GetInfra().dir + "/" + UniqueName("inventory") + ".log";
  ChildProcess proc(AGORA_INVENTORY_BINARY, Flags(db), log);
  std::smatch m;
  const std::regex ready("\"event\":\"inventory_ready\",\"grpc_port\":(\\d+),\"metrics_port\":(\\d+)");
  std::string text;
  REQUIRE(Eventually([&] {
    text = ReadFile(log);
    return std::regex_search(text, m, ready);
  }));
  const int grpc_port = std::stoi(m[1]);
  const int metrics_port = std::stoi(m[2]);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials());
  auto stub = pb::Inventory::NewStub(channel);
  pb::CreateProductRequest create;
  create.set_sku("E2E-1");
  create.set_name("Kettle");
  create.set_price_cents(6900);
  create.set_stock(3);
  pb::Product product;
  {
    grpc::ClientContext ctx;
    REQUIRE(stub->CreateProduct(&ctx, create, &product).ok());
  }
  pb::ListProductsResponse list;
  {
    grpc::ClientContext ctx;
    REQUIRE(stub->ListProducts(&ctx, pb::ListProductsRequest(), &list).ok());
  }
  REQUIRE(list.products_size() == 1);
  CHECK(list.products(0).sku() == "E2E-1");

  const std::string metrics = agora::testing::HttpGet(metrics_port, "/metrics");
  CHECK(metrics.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"ListProducts\","
                     "grpc_service=\"agora.inventory.v1.Inventory\",grpc_type=\"unary\"} 1") !=
        std::string::npos);

  proc.Signal(SIGTERM);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  text = ReadFile(log);
  CHECK(text.find("\"event\":\"grpc_server_draining\"") != std::string::npos);
  CHECK(text.find("\"event\":\"inventory_stopped\"") != std::string::npos);
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
    const std::string log = GetInfra().dir + "/" + UniqueName("inventory-mig") + ".log";
    ChildProcess proc(AGORA_INVENTORY_BINARY, Flags(db), log);
    REQUIRE(Eventually([&] { return ReadFile(log).find("inventory_ready") != std::string::npos; }));
    CHECK((ReadFile(log).find("migration_applied") != std::string::npos) == (run == 0));
    proc.Signal(SIGTERM);
    proc.Wait();
  }
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.schema_migrations") == "2");
}

}  // namespace
}  // namespace agora::inventory
