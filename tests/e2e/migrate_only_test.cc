// AGORA_MIGRATE_ONLY (--migrate-only=true), what a deployment's migration job
// runs: every service binary applies its migrations to its schema and exits
// 0, without its keys, without Kafka and without serving.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"
#include "tests/support/service_process.h"

namespace agora {
namespace {

using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::ReadFile;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;

TEST_CASE("every service binary with --migrate-only migrates its schema and exits 0", "[e2e]") {
  const std::pair<std::string, std::string> services[] = {
      {"customers", AGORA_CUSTOMERS_BINARY}, {"inventory", AGORA_INVENTORY_BINARY},
      {"orders", AGORA_ORDERS_BINARY},       {"reviews", AGORA_REVIEWS_BINARY},
      {"saga", AGORA_SAGA_BINARY}};
  for (const auto& [name, binary] : services) {
    SECTION(name) {
      TestDatabase db(name);
      const auto o = db.ServiceOptions();
      const std::string log_file = GetInfra().dir + "/" + UniqueName(name + "-migrate") + ".log";
      // Keys that do not exist and a broker nobody runs: a migration job has neither.
      std::vector<std::string> flags = {"--migrate-only=true", absl::StrCat("--pg-port=", o.port),
                                        absl::StrCat("--pg-database=", o.dbname),
                                        "--grpc-address=127.0.0.1:0", "--metrics-port=0",
                                        "--kafka-brokers=127.0.0.1:1"};
      if (name == "customers") {
        flags.insert(flags.end(), {"--jwt-private-key-file=/nonexistent/jwt.pem", "--jwt-generate-key=false"});
      } else {
        flags.push_back("--jwt-public-key-file=/nonexistent/jwt.pub.pem");
      }
      ChildProcess p(binary, flags, log_file);
      REQUIRE(Eventually([&] { return !p.Running(); }, 60));
      const int status = p.Wait();
      INFO(ReadFile(log_file));
      REQUIRE(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      CHECK(ReadFile(log_file).find("\"event\":\"migrations_applied\"") != std::string::npos);
      CHECK(ReadFile(log_file).find("_ready\"") == std::string::npos);  // it never served
      // Its own migrations and the runtime's are recorded in its schema.
      const std::string own = db.QueryAsSuper(absl::StrCat(
          "SELECT count(*) FROM ", name, ".schema_migrations WHERE component = '", name, "'"));
      CHECK(std::stoi(own) > 0);
      CHECK(db.QueryAsSuper(absl::StrCat("SELECT to_regclass('", name, ".schema_migrations') IS NOT NULL")) == "t");
    }
  }
}

}  // namespace
}  // namespace agora
