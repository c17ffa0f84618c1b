// The inventory process killed with SIGKILL while it handles saga commands,
// then restarted: every command is answered, each took effect once, and each
// order's replies keep the order of its commands.

#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"
#include "tests/support/saga_wire.h"
#include "tests/support/service_process.h"

namespace agora::inventory {
namespace {

namespace saga = agora::saga::v1;
using agora::testing::Eventually;
using agora::testing::ReceivedReply;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;
using runtime::ids::NewUuid;
using runtime::messaging::Envelope;

TEST_CASE("an inventory process killed mid-batch and restarted answers every command once in "
          "effect, each order's replies in order",
          "[e2e][kafka]") {
  TestDatabase db("inventory");
  const std::string prefix = UniqueName("p") + ".";
  const std::vector<std::string> flags = {
      "--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(),
      "--kafka-topic-prefix=" + prefix, "--kafka-consumer-batch-size=16",
      "--saga-command-group=" + UniqueName("inventory")};
  auto proc = std::make_unique<ServiceProcess>(AGORA_INVENTORY_BINARY, "inventory", db, flags);
  agora::testing::SagaWire wire(prefix);

  std::mt19937 rng(1206);
  std::map<std::string, int64_t> initial;
  std::vector<std::string> products;
  for (int i = 0; i < 4; ++i) {
    products.push_back(NewUuid());
    initial[products.back()] = 4000;
    db.QueryAsSuper(absl::StrCat("INSERT INTO inventory.products (id, sku, name, price_cents, stock) VALUES ('",
                                 products.back(), "', '", products.back(), "', 'p', 100, 4000)"));
  }
  // 900 orders: a reserve each, then for two of three a release.
  std::vector<std::pair<std::string, Envelope>> commands;
  std::map<std::string, std::vector<std::string>> per_order;  // command ids in sending order
  for (int i = 0; i < 900; ++i) {
    const std::string order = NewUuid();
    saga::ReserveStockCommand reserve;
    reserve.set_order_id(order);
    saga::StockLine* line = reserve.add_lines();
    line->set_product_id(products[rng() % products.size()]);
    line->set_quantity(1 + static_cast<int64_t>(rng() % 3));
    commands.push_back({order, runtime::messaging::Wrap(reserve, {order, "", ""})});
    per_order[order].push_back(commands.back().second.message_id());
    if (i % 3 != 0) {
      saga::ReleaseStockCommand release;
      release.set_order_id(order);
      commands.push_back({order, runtime::messaging::Wrap(release, {order, "", ""})});
      per_order[order].push_back(commands.back().second.message_id());
    }
  }
  wire.SendAll("inventory", commands);

  // Killed twice while it works through them (by what it has committed).
  auto handled = [&] { return std::stoul(db.QueryAsSuper("SELECT count(*) FROM inventory.inbox")); };
  for (size_t handled_before_kill : {commands.size() / 10, commands.size() / 3}) {
    REQUIRE(Eventually([&] { return handled() >= handled_before_kill; }, 60));
    proc->process().Signal(SIGKILL);
    proc->process().Wait();
    proc = std::make_unique<ServiceProcess>(AGORA_INVENTORY_BINARY, "inventory", db, flags);
  }

  // Every command answered.
  std::set<std::string> all_ids;
  for (const auto& [order, e] : commands) all_ids.insert(e.message_id());
  auto answered = [&] {
    std::set<std::string> ids;
    for (const ReceivedReply& r : wire.All()) ids.insert(r.envelope.causation_id());
    return ids;
  };
  REQUIRE(Eventually([&] { return answered() == all_ids; }, 90));

  // Each took effect once: one inbox row each, stock conserved exactly.
  CHECK(std::stoul(db.QueryAsSuper("SELECT count(*) FROM inventory.inbox")) == all_ids.size());
  for (const auto& [id, units] : initial) {
    const int64_t stock = std::stoll(db.QueryAsSuper("SELECT stock FROM inventory.products WHERE id = '" + id + "'"));
    const int64_t held = std::stoll(db.QueryAsSuper("SELECT held FROM inventory.products WHERE id = '" + id + "'"));
    const int64_t reserved = std::stoll(db.QueryAsSuper(
        "SELECT COALESCE(sum(l.quantity), 0) FROM inventory.reservation_lines l JOIN inventory.reservations r "
        "ON r.order_id = l.order_id WHERE r.state = 'RESERVED' AND l.product_id = '" + id + "'"));
    CHECK(stock + held == units);
    CHECK(held == reserved);
  }
  // Every order released after its reserve holds nothing; the others hold their line.
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.reservations WHERE state = 'RESERVED'") == "300");
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.reservations WHERE state = 'RELEASED'") == "600");

  // Each order's first replies come in the order of its commands.
  std::map<std::string, std::vector<std::string>> replied;  // order -> causation ids, first arrivals
  std::set<std::string> seen;
  for (const ReceivedReply& r : wire.All()) {
    if (!seen.insert(r.envelope.causation_id()).second) continue;
    replied[r.key].push_back(r.envelope.causation_id());
    CHECK(r.reply.success());
  }
  for (const auto& [order, ids] : per_order) {
    INFO(order);
    CHECK(replied[order] == ids);
  }
  proc->process().Signal(SIGTERM);
  proc->process().Wait();
}

}  // namespace
}  // namespace agora::inventory
