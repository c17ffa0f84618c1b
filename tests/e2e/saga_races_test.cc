// Races the saga must settle, through the whole system as processes (the
// gateway tests' System: every service, the coordinator, the dev broker),
// orders placed at once over HTTP:
//   40 customers ordering the last 10 units: exactly 10 APPROVED, 30
//   REJECTED/OUT_OF_STOCK, stock 0, 10 held;
//   one customer firing 10 orders with money for 3: exactly 3 APPROVED,
//   7 REJECTED/INSUFFICIENT_FUNDS, balance 0, equal to the ledger's sum,
//   and the stock of the 7 back;
//   an order of a free product: APPROVED, no ledger row, and its cancel.

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/gateway/system.h"

namespace agora::testing {
namespace {

using json = nlohmann::json;

// POSTs one order per token at once (one thread each); the order ids.
std::vector<std::string> OrderAtOnce(System& sys, const std::vector<std::string>& tokens, const std::string& product) {
  std::vector<std::string> ids(tokens.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < tokens.size(); ++i) {
    threads.emplace_back([&, i] {
      const HttpResult r = sys.Call("POST", "/v1/orders",
                                    json{{"items", {{{"productId", product}, {"quantity", 1}}}}}.dump(), tokens[i]);
      if (r.status == 202) ids[i] = json::parse(r.body)["id"];
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& id : ids) REQUIRE(!id.empty());
  return ids;
}

std::string Stock(System& sys, const std::string& product) {
  return sys.Query("inventory", "SELECT stock || '/' || held FROM inventory.products WHERE id = '" + product + "'");
}

TEST_CASE("40 customers ordering the last 10 units at once: exactly 10 approved, 30 out of stock, stock 0",
          "[e2e][kafka]") {
  System& sys = System::Get();
  const std::string product = sys.NewProduct(500, 10);
  std::vector<std::string> customers;
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) {
    auto [id, token] = sys.NewCustomer();
    REQUIRE(sys.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":1000})", token).status == 200);
    customers.push_back(id);
    tokens.push_back(token);
  }
  const std::vector<std::string> ids = OrderAtOnce(sys, tokens, product);
  int approved = 0;
  int out_of_stock = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const json order = sys.WaitForOrder(tokens[i], ids[i], [](const std::string& s) { return s != "PENDING"; });
    approved += order["status"] == "APPROVED";
    out_of_stock += order["status"] == "REJECTED" && order["rejectionReason"] == "OUT_OF_STOCK";
  }
  CHECK(approved == 10);
  CHECK(out_of_stock == 30);
  CHECK(Stock(sys, product) == "0/10");
  int64_t paid = 0;
  for (const std::string& c : customers) {
    const int64_t balance =
        std::stoll(sys.Query("customers", "SELECT balance_cents FROM customers.customers WHERE id = '" + c + "'"));
    CHECK(std::to_string(balance) ==
          sys.Query("customers", "SELECT sum(amount_cents) FROM customers.ledger WHERE customer_id = '" + c + "'"));
    paid += 1000 - balance;
  }
  CHECK(paid == 10 * 500);
}

TEST_CASE("one customer firing 10 orders with money for 3: exactly 3 approved, balance 0", "[e2e][kafka]") {
  System& sys = System::Get();
  const std::string product = sys.NewProduct(700, 100);
  auto [customer, token] = sys.NewCustomer();
  REQUIRE(sys.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":2100})", token).status == 200);
  const std::vector<std::string> ids = OrderAtOnce(sys, std::vector<std::string>(10, token), product);
  int approved = 0;
  int broke = 0;
  for (const std::string& id : ids) {
    const json order = sys.WaitForOrder(token, id, [](const std::string& s) { return s != "PENDING"; });
    approved += order["status"] == "APPROVED";
    broke += order["status"] == "REJECTED" && order["rejectionReason"] == "INSUFFICIENT_FUNDS";
  }
  CHECK(approved == 3);
  CHECK(broke == 7);
  const json me = json::parse(sys.Call("GET", "/v1/customers/me", "", token).body);
  CHECK(me["balanceCents"] == "0");
  CHECK(sys.Query("customers", "SELECT sum(amount_cents) FROM customers.ledger WHERE customer_id = '" + customer +
                                   "'") == "0");
  // The units of the 7 rejected orders came back once their stock was released.
  CHECK(Eventually([&] { return Stock(sys, product) == "97/3"; }));
}

TEST_CASE("an order of a free product (total 0) is approved with no money, and its cancel gives the stock back",
          "[e2e][kafka]") {
  System& sys = System::Get();
  const std::string product = sys.NewProduct(0, 5);
  auto [customer, token] = sys.NewCustomer();  // balance 0
  const HttpResult placed = sys.Call(
      "POST", "/v1/orders", json{{"items", {{{"productId", product}, {"quantity", 2}}}}}.dump(), token);
  REQUIRE(placed.status == 202);
  const std::string id = json::parse(placed.body)["id"];
  const json order = sys.WaitForOrder(token, id, [](const std::string& s) { return s != "PENDING"; });
  CHECK(order["status"] == "APPROVED");
  CHECK(order["totalCents"] == "0");
  CHECK(Stock(sys, product) == "3/2");
  CHECK(sys.Query("customers", "SELECT count(*) FROM customers.ledger WHERE customer_id = '" + customer + "'") ==
        "0");
  REQUIRE(sys.Call("POST", "/v1/orders/" + id + ":cancel", "{}", token).status == 200);
  const json cancelled = sys.WaitForOrder(token, id, [](const std::string& s) { return s == "CANCELLED"; });
  CHECK(cancelled["status"] == "CANCELLED");
  CHECK(Eventually([&] { return Stock(sys, product) == "5/0"; }));
  CHECK(json::parse(sys.Call("GET", "/v1/customers/me", "", token).body)["balanceCents"] == "0");
  CHECK(sys.Query("customers", "SELECT count(*) FROM customers.ledger WHERE customer_id = '" + customer + "'") ==
        "0");
}

}  // namespace
}  // namespace agora::testing
