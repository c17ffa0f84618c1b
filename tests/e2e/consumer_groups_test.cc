// Every consumer group a service joins by default carries the topic prefix:
// two systems sharing a cluster (the test systems on the one dev broker,
// staging beside production) never share a group, where each would stall at
// the other's joins and wait out the other's crashed members.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/infra.h"
#include "tests/support/process.h"
#include "tests/support/service_process.h"

namespace agora {
namespace {

using agora::testing::ChildProcess;
using agora::testing::GetInfra;
using agora::testing::ReadFile;
using agora::testing::UniqueName;

// The usage text of `binary` started with `flags` and --help.
std::string Usage(const std::string& binary, std::vector<std::string> flags) {
  flags.push_back("--help");
  const std::string log = GetInfra().dir + "/" + UniqueName("usage") + ".log";
  ChildProcess proc(binary, flags, log);
  proc.Wait();
  return ReadFile(log);
}

TEST_CASE("every service's default consumer group is the topic prefix and its name", "[e2e]") {
  struct Case {
    std::string binary, variable, name;
  };
  const Case cases[] = {
      {AGORA_SAGA_BINARY, "AGORA_SAGA_GROUP", "saga"},
      {AGORA_REVIEWS_BINARY, "AGORA_CONSUMER_GROUP", "reviews"},
      {AGORA_INVENTORY_BINARY, "AGORA_SAGA_COMMAND_GROUP", "inventory"},
      {AGORA_CUSTOMERS_BINARY, "AGORA_SAGA_COMMAND_GROUP", "customers"},
      {AGORA_ORDERS_BINARY, "AGORA_SAGA_COMMAND_GROUP", "orders"}};
  for (const Case& c : cases) {
    INFO(c.binary);
    const std::string with_prefix = Usage(c.binary, {"--kafka-topic-prefix=staging."});
    INFO(with_prefix);
    CHECK(with_prefix.find(c.variable + " (default 'staging." + c.name + "')") != std::string::npos);
    const std::string without = Usage(c.binary, {});
    INFO(without);
    CHECK(without.find(c.variable + " (default '" + c.name + "')") != std::string::npos);
  }
}

}  // namespace
}  // namespace agora
