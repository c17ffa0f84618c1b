// Saga coordinators killed under load, as processes: the whole system of
// tests/gateway/system.h (every service on its own database, the run's dev
// broker, the gateway), orders placed over HTTP from several customers, a
// coordinator SIGKILLed while sagas are in flight. Every order must end, and
// stock and money must be where the approved orders say:
//   per product   stock + held == created stock, held == units approved;
//   per customer  balance == its ledger's sum, topped up - balance == total approved;
//   per order     exactly one PLACE_ORDER saga, ended (COMPLETED or FAILED).

#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/gateway/system.h"

namespace agora::testing {
namespace {

using json = nlohmann::json;

constexpr int64_t kStock = 12;
constexpr int64_t kPrice = 300;
constexpr int64_t kBalance = 3000;  // money for 10 units: some orders fail on funds

struct Shop {
  std::vector<std::string> products;
  std::vector<std::pair<std::string, std::string>> customers;  // id, token
};

Shop NewShop(System& sys, int products, int customers) {
  Shop shop;
  for (int i = 0; i < products; ++i) shop.products.push_back(sys.NewProduct(kPrice, kStock));
  for (int i = 0; i < customers; ++i) {
    shop.customers.push_back(sys.NewCustomer());
    const HttpResult r = sys.Call("POST", "/v1/customers/me:topUp", json{{"amountCents", kBalance}}.dump(),
                                  shop.customers.back().second);
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  return shop;
}

// Places `n` orders over HTTP from 4 threads (random customer, 1 or 2 lines
// of 1 or 2 units); `placed` counts the orders accepted so far.
std::vector<std::string> PlaceOrders(System& sys, const Shop& shop, int n, std::atomic<int>* placed) {
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t) * 7919u + static_cast<uint32_t>(n));
      for (int i = next++; i < n; i = next++) {
        const auto& [customer, token] = shop.customers[rng() % shop.customers.size()];
        json items = json::array();
        const size_t first = rng() % shop.products.size();
        items.push_back({{"productId", shop.products[first]}, {"quantity", 1 + static_cast<int>(rng() % 2)}});
        if (rng() % 2 == 0 && shop.products.size() > 1) {
          items.push_back({{"productId", shop.products[(first + 1) % shop.products.size()]}, {"quantity", 1}});
        }
        const HttpResult r = sys.Call("POST", "/v1/orders", json{{"items", items}}.dump(), token);
        if (r.status != 202) continue;  // checked below: every order is accounted for
        std::lock_guard<std::mutex> lock(mu);
        ids.push_back(json::parse(r.body)["id"]);
        ++*placed;
      }
    });
  }
  for (auto& t : threads) t.join();
  return ids;
}

std::string InList(const std::vector<std::string>& ids) {
  return "('" + absl::StrJoin(ids, "','") + "')";
}

// Units per product and cents per customer of the APPROVED orders among `ids`.
std::map<std::string, int64_t> Tally(System& sys, const std::vector<std::string>& ids, const std::string& what) {
  const std::string sql =
      what == "units"
          ? "SELECT string_agg(product_id || '=' || n, ',') FROM (SELECT i.product_id::text, sum(i.quantity) AS n "
            "FROM orders.order_items i JOIN orders.orders o ON o.id = i.order_id WHERE o.status = 'APPROVED' AND "
            "o.id IN " + InList(ids) + " GROUP BY 1) t"
          : "SELECT string_agg(customer_id || '=' || n, ',') FROM (SELECT customer_id::text, sum(total_cents) AS n "
            "FROM orders.orders WHERE status = 'APPROVED' AND id IN " + InList(ids) + " GROUP BY 1) t";
  std::map<std::string, int64_t> out;
  for (absl::string_view kv : absl::StrSplit(sys.Query("orders", sql), ',', absl::SkipEmpty())) {
    const std::vector<std::string> parts = absl::StrSplit(kv, '=');
    out[parts[0]] = std::stoll(parts[1]);
  }
  return out;
}

// Waits for every order to leave PENDING, then checks the invariants.
void EveryOrderEndsAndNothingIsLost(System& sys, const Shop& shop, const std::vector<std::string>& ids,
                                    bool both_outcomes = true) {
  REQUIRE(!ids.empty());
  const std::string pending_sql =
      "SELECT count(*) FROM orders.orders WHERE status = 'PENDING' AND id IN " + InList(ids);
  const bool ended = Eventually([&] { return sys.Query("orders", pending_sql) == "0"; }, 120);
  INFO("orders still PENDING: " << sys.Query("orders", pending_sql));
  REQUIRE(ended);
  CHECK(sys.Query("orders", "SELECT count(*) FROM orders.orders WHERE status NOT IN ('APPROVED', 'REJECTED') AND "
                            "id IN " + InList(ids)) == "0");
  // One saga per order, ended. The saga's own row may trail the order's
  // status by the last reply's round trip.
  const std::string sagas_sql = "SELECT count(*) FROM saga.sagas WHERE type = 'PLACE_ORDER' AND "
                                "status IN ('COMPLETED', 'FAILED') AND order_id IN " + InList(ids);
  CHECK(Eventually([&] { return sys.Query("saga", sagas_sql) == std::to_string(ids.size()); }, 60));
  CHECK(sys.Query("saga", "SELECT count(*) FROM saga.sagas WHERE type = 'PLACE_ORDER' AND order_id IN " +
                              InList(ids)) == std::to_string(ids.size()));

  const auto units = Tally(sys, ids, "units");
  for (const std::string& p : shop.products) {
    const std::string row = sys.Query("inventory", "SELECT stock || ' ' || held FROM inventory.products WHERE id = '" +
                                                       p + "'");
    const std::vector<std::string> sh = absl::StrSplit(row, ' ');
    const int64_t stock = std::stoll(sh[0]);
    const int64_t held = std::stoll(sh[1]);
    const int64_t approved = units.count(p) ? units.at(p) : 0;
    INFO("product " << p << " stock " << stock << " held " << held << " approved units " << approved);
    CHECK(stock + held == kStock);
    CHECK(held == approved);
  }
  const auto cents = Tally(sys, ids, "cents");
  int approved_orders = 0;
  for (const auto& [customer, token] : shop.customers) {
    const int64_t balance = std::stoll(
        sys.Query("customers", "SELECT balance_cents FROM customers.customers WHERE id = '" + customer + "'"));
    const int64_t ledger = std::stoll(sys.Query(
        "customers", "SELECT COALESCE(sum(amount_cents), 0) FROM customers.ledger WHERE customer_id = '" + customer + "'"));
    const int64_t spent = cents.count(customer) ? cents.at(customer) : 0;
    INFO("customer " << customer << " balance " << balance << " ledger " << ledger << " approved cents " << spent);
    CHECK(balance == ledger);
    CHECK(kBalance - balance == spent);
    approved_orders += spent > 0;
  }
  if (!both_outcomes) return;
  // The run means something only if both outcomes happened.
  CHECK(approved_orders > 0);
  CHECK(sys.Query("orders", "SELECT count(*) FROM orders.orders WHERE status = 'REJECTED' AND id IN " + InList(ids)) !=
        "0");
}

int64_t SagasStarted(ServiceProcess& coordinator) {
  const std::string text = HttpGet(coordinator.metrics_port(), "/metrics");
  int64_t total = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "agora_saga_started_total{")) {
      const auto space = line.rfind(' ');
      total += static_cast<int64_t>(std::stod(std::string(line.substr(space + 1))));
    }
  }
  return total;
}

TEST_CASE("two coordinators in one group share the sagas, and killing one mid-flight loses nothing",
          "[e2e][kafka]") {
  System& sys = System::Get();
  // The tests of this binary run in any order: the first is whichever runs.
  const std::vector<int> running = sys.RunningCoordinators();
  REQUIRE(running.size() == 1);
  const int first = running[0];
  const int second = sys.StartCoordinator();
  const int64_t first_before = SagasStarted(sys.Coordinator(first));
  // Both take part once the group has rebalanced: orders until each has started sagas.
  const Shop warm = NewShop(sys, 2, 2);
  std::atomic<int> placed{0};
  std::vector<std::string> warm_orders;
  const bool shared = Eventually(
      [&] {
        for (const std::string& id : PlaceOrders(sys, warm, 8, &placed)) warm_orders.push_back(id);
        return SagasStarted(sys.Coordinator(first)) > first_before && SagasStarted(sys.Coordinator(second)) > 0;
      },
      60);
  INFO("sagas started: first " << SagasStarted(sys.Coordinator(first)) - first_before << ", second "
                               << SagasStarted(sys.Coordinator(second)));
  REQUIRE(shared);

  // Orders stream in; the second coordinator dies in the middle of them.
  const Shop shop = NewShop(sys, 3, 8);
  placed = 0;
  std::vector<std::string> ids;
  std::thread orders([&] { ids = PlaceOrders(sys, shop, 60, &placed); });
  REQUIRE(Eventually([&] { return placed.load() >= 20; }, 60));
  sys.Coordinator(second).process().Signal(SIGKILL);
  sys.Coordinator(second).process().Wait();
  orders.join();
  CHECK(ids.size() == 60);
  EveryOrderEndsAndNothingIsLost(sys, shop, ids);
  EveryOrderEndsAndNothingIsLost(sys, warm, warm_orders, /*both_outcomes=*/false);
}

TEST_CASE("every coordinator SIGKILLed mid-saga and one restarted: every saga ends, nothing is lost",
          "[e2e][kafka]") {
  System& sys = System::Get();
  const Shop shop = NewShop(sys, 3, 8);
  std::atomic<int> placed{0};
  std::vector<std::string> ids;
  std::thread orders([&] { ids = PlaceOrders(sys, shop, 40, &placed); });
  REQUIRE(Eventually([&] { return placed.load() >= 15; }, 60));
  for (const int i : sys.RunningCoordinators()) {
    sys.Coordinator(i).process().Signal(SIGKILL);
    sys.Coordinator(i).process().Wait();
  }
  orders.join();
  CHECK(ids.size() == 40);
  // Orders placed while no coordinator runs wait, PENDING, for the next one.
  const std::vector<std::string> waiting = PlaceOrders(sys, shop, 10, &placed);
  REQUIRE(waiting.size() == 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(sys.Query("orders", "SELECT count(*) FROM orders.orders WHERE status = 'PENDING' AND id IN " +
                                InList(waiting)) == "10");
  ids.insert(ids.end(), waiting.begin(), waiting.end());
  sys.StartCoordinator();
  EveryOrderEndsAndNothingIsLost(sys, shop, ids);
}

}  // namespace
}  // namespace agora::testing
