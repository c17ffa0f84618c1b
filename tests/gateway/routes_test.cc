// The rest of API.md's routes over HTTP: sign-out, cart, favourites, the
// order life cycle driven by the real saga coordinator, reviews of a
// purchase, error details, HEAD, stream errors.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "runtime/ids/uuid.h"
#include "runtime/grpc/client.h"
#include "tests/gateway/system.h"

namespace agora::gateway {
namespace {

using agora::testing::HttpResult;
using agora::testing::System;
using json = nlohmann::json;


json Body(const HttpResult& r) {
  INFO(r.status << " " << r.body);
  return json::parse(r.body);
}

void RequireError(const HttpResult& r, int status, int code, const std::string& reason = "") {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == status);
  const json b = Body(r);
  CHECK(b["code"] == code);
  CHECK(b["message"].is_string());
  REQUIRE(b["details"].is_array());
  if (!reason.empty()) {
    REQUIRE(b["details"].size() == 1);
    CHECK(b["details"][0]["@type"] == "type.googleapis.com/agora.api.v1.ErrorInfo");
    CHECK(b["details"][0]["reason"] == reason);
    CHECK(b["details"][0]["domain"] == "agora");
  }
}

json PlaceOrder(const std::string& token, const std::string& product, int quantity) {
  const HttpResult r = System::Get().Call(
      "POST", "/v1/orders", json{{"items", {{{"productId", product}, {"quantity", quantity}}}}}.dump(), token);
  REQUIRE(r.status == 202);
  return Body(r);
}

TEST_CASE("logout revokes that login's refresh family and leaves the others working", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string email = Body(s.Call("GET", "/v1/customers/me", "", token))["email"];
  auto login = [&] {
    const HttpResult r = s.Call("POST", "/v1/auth:login", json{{"email", email}, {"password", "password123"}}.dump());
    REQUIRE(r.status == 200);
    return Body(r);
  };
  const json first = login();
  const json second = login();
  const HttpResult out = s.Call("POST", "/v1/auth:logout", json{{"refreshToken", first["refreshToken"]}}.dump());
  REQUIRE(out.status == 200);
  CHECK(Body(out) == json::object());
  RequireError(s.Call("POST", "/v1/auth:refresh", json{{"refreshToken", first["refreshToken"]}}.dump()), 401, 16);
  const HttpResult other = s.Call("POST", "/v1/auth:refresh", json{{"refreshToken", second["refreshToken"]}}.dump());
  CHECK(other.status == 200);
  CHECK(Body(other)["tokenType"] == "Bearer");
}

TEST_CASE("a domain error carries its reason in details", "[e2e]") {
  System& s = System::Get();
  const std::string email = agora::testing::UniqueName("dup") + "@example.com";
  const std::string body = json{{"email", email}, {"password", "password123"}}.dump();
  REQUIRE(s.Call("POST", "/v1/auth:register", body).status == 201);
  RequireError(s.Call("POST", "/v1/auth:register", body), 409, 6, "EMAIL_TAKEN");
  const std::string sku = agora::testing::UniqueName("SKU");
  const std::string product = json{{"sku", sku}, {"name", "n"}, {"priceCents", 1}, {"stock", 1}}.dump();
  REQUIRE(s.Call("POST", "/v1/products", product, s.admin_token()).status == 201);
  RequireError(s.Call("POST", "/v1/products", product, s.admin_token()), 409, 6, "SKU_TAKEN");
}

TEST_CASE("the cart and favourites: read, change, remove; bad input is 400; no token is 401", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string a = s.NewProduct(100, 5);
  const std::string b = s.NewProduct(200, 5);
  CHECK(Body(s.Call("GET", "/v1/customers/me/cart", "", token))["items"].empty());
  REQUIRE(s.Call("PUT", "/v1/customers/me/cart/items/" + a, R"({"quantity":2})", token).status == 200);
  REQUIRE(s.Call("PUT", "/v1/customers/me/cart/items/" + b, R"({"quantity":1})", token).status == 200);
  CHECK(Body(s.Call("GET", "/v1/customers/me/cart", "", token))["items"].size() == 2);
  const HttpResult zero = s.Call("PUT", "/v1/customers/me/cart/items/" + a, R"({"quantity":0})", token);
  REQUIRE(zero.status == 200);
  REQUIRE(Body(zero)["items"].size() == 1);
  CHECK(Body(zero)["items"][0]["productId"] == b);
  RequireError(s.Call("PUT", "/v1/customers/me/cart/items/" + a, R"({"quantity":-1})", token), 400, 3);
  RequireError(s.Call("PUT", "/v1/customers/me/cart/items/" + a, R"({"quantity":"many"})", token), 400, 3);
  RequireError(s.Call("GET", "/v1/customers/me/cart"), 401, 16);

  REQUIRE(s.Call("PUT", "/v1/customers/me/favorites/" + a, "", token).status == 200);
  REQUIRE(s.Call("PUT", "/v1/customers/me/favorites/" + b, "", token).status == 200);
  const HttpResult removed = s.Call("DELETE", "/v1/customers/me/favorites/" + a, "", token);
  REQUIRE(removed.status == 200);
  CHECK(Body(removed) == json::object());
  CHECK(Body(s.Call("GET", "/v1/customers/me/favorites", "", token))["productIds"] == json::array({b}));
  RequireError(s.Call("GET", "/v1/customers/me/favorites"), 401, 16);

  // Only a live product gets in: unknown or deleted is 404, as the product
  // itself answers; what is already in may be taken out.
  const std::string unknown = agora::runtime::ids::NewUuid();
  RequireError(s.Call("PUT", "/v1/customers/me/cart/items/" + unknown, R"({"quantity":1})", token), 404, 5,
               "PRODUCT_NOT_FOUND");
  RequireError(s.Call("PUT", "/v1/customers/me/favorites/" + unknown, "", token), 404, 5, "PRODUCT_NOT_FOUND");
  REQUIRE(s.Call("DELETE", "/v1/products/" + b, "", s.admin_token()).status == 200);
  RequireError(s.Call("PUT", "/v1/customers/me/cart/items/" + b, R"({"quantity":3})", token), 404, 5,
               "PRODUCT_NOT_FOUND");
  RequireError(s.Call("PUT", "/v1/customers/me/favorites/" + b, "", token), 404, 5, "PRODUCT_NOT_FOUND");
  const HttpResult taken_out = s.Call("DELETE", "/v1/customers/me/cart/items/" + b, "", token);
  REQUIRE(taken_out.status == 200);
  CHECK(Body(taken_out)["items"].empty());
  CHECK(s.Call("DELETE", "/v1/customers/me/favorites/" + b, "", token).status == 200);
  CHECK(Body(s.Call("GET", "/v1/customers/me/favorites", "", token))["productIds"].empty());
}

TEST_CASE("an order from the cart takes the cart's lines; an overflowing total is 400", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string a = s.NewProduct(150, 5);
  const std::string b = s.NewProduct(20, 5);
  REQUIRE(s.Call("PUT", "/v1/customers/me/cart/items/" + a, R"({"quantity":2})", token).status == 200);
  REQUIRE(s.Call("PUT", "/v1/customers/me/cart/items/" + b, R"({"quantity":3})", token).status == 200);
  const HttpResult r = s.Call("POST", "/v1/orders", R"({"fromCart":true})", token);
  REQUIRE(r.status == 202);
  const json order = Body(r);
  CHECK(order["items"].size() == 2);
  CHECK(order["totalCents"] == "360");
  CHECK(order["status"] == "PENDING");
  const std::string huge = s.NewProduct(int64_t{4611686018427387904}, 5);  // 2^62
  RequireError(s.Call("POST", "/v1/orders", json{{"items", {{{"productId", huge}, {"quantity", 2}}}}}.dump(), token),
               400, 3);
  RequireError(s.Call("POST", "/v1/orders", R"({"items":[{"productId":"x","quantity":1001}]})", token), 400, 3);
  RequireError(s.Call("GET", "/v1/orders"), 401, 16);
  CHECK(s.Call("GET", "/v1/orders?status=&pageSize=&pageToken=", "", token).status == 200);
}

TEST_CASE("a product named in several lines of an order is one line with their quantities summed", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string a = s.NewProduct(7, 100);
  const std::string b = s.NewProduct(100, 5);
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":1000})", token).status == 200);
  // 50 lines, 49 of them product a: 49 units of a, 1 of b, a first.
  json items = json::array();
  for (int i = 0; i < 50; ++i) items.push_back({{"productId", i == 3 ? b : a}, {"quantity", 1}});
  const HttpResult r = s.Call("POST", "/v1/orders", json{{"items", items}}.dump(), token);
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json order = Body(r);
  REQUIRE(order["items"].size() == 2);
  CHECK(order["items"][0]["productId"] == a);
  CHECK(order["items"][0]["quantity"] == 49);
  CHECK(order["items"][1]["productId"] == b);
  CHECK(order["items"][1]["quantity"] == 1);
  CHECK(order["totalCents"] == "443");
  s.WaitForStatus(token, order["id"], "APPROVED");
  CHECK(Body(s.Call("GET", "/v1/products/" + a))["stock"] == "51");
  CHECK(Body(s.Call("GET", "/v1/products/" + b))["stock"] == "4");
  CHECK(Body(s.Call("GET", "/v1/customers/me", "", token))["balanceCents"] == "557");
  // More than 1000 units of one product across its lines is refused.
  const std::string over =
      json{{"items", {{{"productId", a}, {"quantity", 1000}}, {{"productId", a}, {"quantity", 1}}}}}.dump();
  RequireError(s.Call("POST", "/v1/orders", over, token), 400, 3);
}

TEST_CASE("an order of a deleted or unknown product is accepted, then REJECTED PRODUCT_UNAVAILABLE", "[e2e]") {
  // API.md: POST /v1/orders answers 202 and the saga decides; PRODUCT_UNAVAILABLE
  // is a rejection reason. Nothing is reserved or debited.
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":5000})", token).status == 200);
  const std::string live = s.NewProduct(100, 4);
  const std::string gone = s.NewProduct(200, 4);
  // In the cart while it was sold (it may no longer be put there).
  REQUIRE(s.Call("PUT", "/v1/customers/me/cart/items/" + gone, R"({"quantity":1})", token).status == 200);
  REQUIRE(s.Call("DELETE", "/v1/products/" + gone, "", s.admin_token()).status == 200);
  for (const std::string& unsold : {gone, runtime::ids::NewUuid()}) {
    INFO(unsold);
    const HttpResult r = s.Call(
        "POST", "/v1/orders",
        json{{"items", {{{"productId", live}, {"quantity", 2}}, {{"productId", unsold}, {"quantity", 1}}}}}.dump(),
        token);
    REQUIRE(r.status == 202);
    const json order = Body(r);
    CHECK(order["status"] == "PENDING");
    CHECK(order["totalCents"] == "200");
    const json ended = s.WaitForOrder(token, order["id"], [](const std::string& st) { return st != "PENDING"; });
    CHECK(ended["status"] == "REJECTED");
    CHECK(ended["rejectionReason"] == "PRODUCT_UNAVAILABLE");
    const json timeline = Body(s.Call("GET", "/v1/orders/" + order["id"].get<std::string>() + "/saga", "", token));
    REQUIRE(timeline["steps"].size() >= 1);
    CHECK(timeline["steps"][0]["name"] == "ReserveStock");
    CHECK(timeline["steps"][0]["error"] == "PRODUCT_UNAVAILABLE");
  }
  // All or nothing: the live product's stock and the balance are untouched.
  CHECK(Body(s.Call("GET", "/v1/products/" + live))["stock"] == "4");
  CHECK(Body(s.Call("GET", "/v1/customers/me", "", token))["balanceCents"] == "5000");
  // From a cart holding an unsold product: the same, and the cart stays.
  const HttpResult r = s.Call("POST", "/v1/orders", R"({"fromCart":true})", token);
  REQUIRE(r.status == 202);
  const json ended = s.WaitForOrder(token, Body(r)["id"], [](const std::string& st) { return st != "PENDING"; });
  CHECK(ended["rejectionReason"] == "PRODUCT_UNAVAILABLE");
  CHECK(Body(s.Call("GET", "/v1/customers/me/cart", "", token))["items"].size() == 1);
}

TEST_CASE("a rejected order names its reason and its saga's timeline shows why", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();  // no money
  const std::string product = s.NewProduct(100, 3);
  const json order = PlaceOrder(token, product, 1);
  CHECK_FALSE(order.contains("rejectionReason"));
  const json rejected = s.WaitForOrder(token, order["id"], [](const std::string& st) { return st != "PENDING"; });
  CHECK(rejected["status"] == "REJECTED");
  CHECK(rejected["rejectionReason"] == "INSUFFICIENT_FUNDS");
  // The stock reserved for it came back.
  CHECK(agora::testing::Eventually([&] { return Body(s.Call("GET", "/v1/products/" + product))["stock"] == "3"; }));
  // Its timeline, for its owner (and admins), in the order the steps started.
  const std::string saga_path = "/v1/orders/" + order["id"].get<std::string>() + "/saga";
  json timeline;
  REQUIRE(agora::testing::Eventually([&] {
    timeline = Body(s.Call("GET", saga_path, "", token));
    return timeline["state"] == "FAILED";
  }));
  INFO(timeline.dump());
  REQUIRE(timeline["steps"].size() == 4);
  CHECK(timeline["steps"][0]["name"] == "ReserveStock");
  CHECK(timeline["steps"][0]["state"] == "COMPENSATED");
  CHECK(timeline["steps"][1]["name"] == "DebitBalance");
  CHECK(timeline["steps"][1]["state"] == "FAILED");
  CHECK(timeline["steps"][1]["error"] == "INSUFFICIENT_FUNDS");
  // Only a failed step has an error (API.md).
  CHECK_FALSE(timeline["steps"][0].contains("error"));
  CHECK_FALSE(timeline["steps"][3].contains("error"));
  CHECK(timeline["steps"][2]["name"] == "ReleaseStock");
  CHECK(timeline["steps"][3]["name"] == "RejectOrder");
  CHECK(timeline["steps"][3]["state"] == "SUCCEEDED");
  CHECK(timeline["steps"][3]["attempts"] == 1);
  CHECK(timeline["steps"][3].contains("startedAt"));
  CHECK(timeline["steps"][3].contains("finishedAt"));
  CHECK(timeline["sagaId"].is_string());
  CHECK(s.Call("GET", saga_path, "", s.admin_token()).status == 200);
  const auto [other, other_token] = s.NewCustomer();
  RequireError(s.Call("GET", saga_path, "", other_token), 404, 5);
  // Admins find it in the list and by id; an ended saga cannot be retried or aborted.
  const json listed = Body(s.Call("GET", "/v1/admin/sagas?state=FAILED&pageSize=100", "", s.admin_token()));
  bool found = false;
  for (const json& row : listed["sagas"]) found |= row["orderId"] == order["id"];
  CHECK(found);
  const std::string admin_path = "/v1/admin/sagas/" + timeline["sagaId"].get<std::string>();
  CHECK(Body(s.Call("GET", admin_path, "", s.admin_token()))["orderId"] == order["id"]);
  RequireError(s.Call("POST", admin_path + ":retry", "{}", s.admin_token()), 400, 9);
  RequireError(s.Call("POST", admin_path + ":abort", "{}", s.admin_token()), 400, 9);
  RequireError(s.Call("GET", "/v1/admin/sagas/" + runtime::ids::NewUuid(), "", s.admin_token()), 404, 5);
}

TEST_CASE("an approved order: debit in the ledger, ship, cancel, and a verified review", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string product = s.NewProduct(300, 10);
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":2000})", token).status == 200);
  // No purchase yet: reviews refuse, with the reason.
  RequireError(s.Call("POST", "/v1/products/" + product + "/reviews", R"({"rating":5,"text":"great"})", token), 400,
               9, "PURCHASE_REQUIRED");

  // The saga reserves, debits and approves.
  const json shipped = PlaceOrder(token, product, 2);
  s.WaitForStatus(token, shipped["id"], "APPROVED");
  const std::string path = "/v1/orders/" + shipped["id"].get<std::string>();
  CHECK(Body(s.Call("GET", path, "", token))["status"] == "APPROVED");
  CHECK(Body(s.Call("GET", "/v1/products/" + product))["stock"] == "8");
  const json ledger = Body(s.Call("GET", "/v1/customers/me/ledger", "", token));
  REQUIRE(ledger["entries"].size() == 2);
  CHECK(ledger["entries"][0]["kind"] == "ORDER_DEBIT");
  CHECK(ledger["entries"][0]["amountCents"] == "-600");
  CHECK(ledger["entries"][0]["orderId"] == shipped["id"]);
  CHECK(ledger["entries"][1]["kind"] == "TOP_UP");
  CHECK(Body(s.Call("GET", "/v1/customers/me", "", token))["balanceCents"] == "1400");
  const json paged = Body(s.Call("GET", "/v1/customers/me/ledger?pageSize=1", "", token));
  CHECK(paged["entries"].size() == 1);
  CHECK_FALSE(paged["nextPageToken"].get<std::string>().empty());

  const HttpResult ship = s.Call("POST", path + ":ship", "", s.admin_token(), {{"Idempotency-Key", "ship-" + path}});
  REQUIRE(ship.status == 200);
  CHECK(Body(ship)["status"] == "SHIPPED");
  // Retried with its key: the first answer again; without one: the order is no longer APPROVED.
  const HttpResult reship = s.Call("POST", path + ":ship", "", s.admin_token(), {{"Idempotency-Key", "ship-" + path}});
  CHECK(reship.status == 200);
  CHECK(reship.body == ship.body);
  RequireError(s.Call("POST", path + ":ship", "", s.admin_token()), 400, 9, "INVALID_ORDER_STATUS");
  RequireError(s.Call("POST", path + ":cancel", "", token), 400, 9, "INVALID_ORDER_STATUS");
  // A watch of a shipped order answers its state and ends the stream.
  const std::string raw = agora::testing::HttpRaw(
      s.http_port(),
      "GET " + path + ":watch HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token + "\r\n\r\n",
      /*timeout_ms=*/10000);
  CHECK(raw.find("\"status\":\"SHIPPED\"") != std::string::npos);
  CHECK(raw.size() >= 5);
  CHECK(raw.substr(raw.size() - 5) == "0\r\n\r\n");  // the last chunk: the server ended it

  const json cancelled = PlaceOrder(token, product, 1);
  s.WaitForStatus(token, cancelled["id"], "APPROVED");
  const std::string cancel_path = "/v1/orders/" + cancelled["id"].get<std::string>() + ":cancel";
  const HttpResult cancel = s.Call("POST", cancel_path, "", token, {{"Idempotency-Key", "c-1"}});
  REQUIRE(cancel.status == 200);
  CHECK(Body(cancel)["status"] == "CANCELLING");
  const HttpResult recancel = s.Call("POST", cancel_path, "", token, {{"Idempotency-Key", "c-1"}});
  CHECK(recancel.status == 200);
  CHECK(recancel.body == cancel.body);
  // Without the key: the order as it is while CANCELLING, 400 once CANCELLED.
  const HttpResult again = s.Call("POST", cancel_path, "", token);
  if (again.status == 200) {
    CHECK(Body(again)["status"] == "CANCELLING");
  } else {
    RequireError(again, 400, 9, "INVALID_ORDER_STATUS");
  }
  // The cancel saga refunds and returns the stock.
  s.WaitForStatus(token, cancelled["id"], "CANCELLED");
  RequireError(s.Call("POST", cancel_path, "", token), 400, 9, "INVALID_ORDER_STATUS");
  CHECK(Body(s.Call("GET", "/v1/customers/me", "", token))["balanceCents"] == "1400");
  CHECK(Body(s.Call("GET", "/v1/products/" + product))["stock"] == "8");
  const auto [other, other_token] = s.NewCustomer();
  RequireError(s.Call("POST", "/v1/orders/" + cancelled["id"].get<std::string>() + ":cancel", "", other_token), 404, 5);

  // The purchase reaches reviews over Kafka (agora.orders.events).
  HttpResult review;
  REQUIRE(agora::testing::Eventually([&] {
    review = s.Call("POST", "/v1/products/" + product + "/reviews", R"({"rating":4,"text":"solid mug"})", token,
                    {{"Idempotency-Key", "rv-1"}});
    return review.status != 400;
  }));
  REQUIRE(review.status == 201);
  const json created = Body(review);
  CHECK(review.Header("location") == "/v1/reviews/" + created["id"].get<std::string>());
  CHECK(created["verifiedPurchase"] == true);
  CHECK(created["authorName"] == "Cus");
  // Retried with its key: 201 and the same review; without it: a second review, refused.
  const HttpResult retried = s.Call("POST", "/v1/products/" + product + "/reviews",
                                    R"({"rating":4,"text":"solid mug"})", token, {{"Idempotency-Key", "rv-1"}});
  CHECK(retried.status == 201);
  CHECK(retried.body == review.body);
  RequireError(s.Call("POST", "/v1/products/" + product + "/reviews", R"({"rating":5,"text":"again"})", token), 409,
               6, "ALREADY_REVIEWED");
  const json rating = Body(s.Call("GET", "/v1/products/" + product + "/rating"));
  CHECK(rating["count"] == "1");
  CHECK(rating["average"] == 4.0);
  const json listed = Body(s.Call("GET", "/v1/products/" + product + "/reviews"));
  REQUIRE(listed["reviews"].size() == 1);
  CHECK(listed["reviews"][0]["text"] == "solid mug");
  CHECK(Body(s.Call("GET", "/v1/products/" + product + "/details"))["topReviews"].size() == 1);
  const std::string review_path = "/v1/reviews/" + created["id"].get<std::string>();
  // The Location names the review: anyone reads it there.
  const HttpResult located = s.Call("GET", review.Header("location"));
  REQUIRE(located.status == 200);
  CHECK(located.body == review.body);
  RequireError(s.Call("GET", "/v1/reviews/" + agora::runtime::ids::NewUuid()), 404, 5);
  RequireError(s.Call("GET", "/v1/reviews/not-a-review"), 404, 5);
  RequireError(s.Call("DELETE", review_path, "", other_token), 403, 7);
  RequireError(s.Call("DELETE", review_path), 401, 16);
  const HttpResult deleted = s.Call("DELETE", review_path, "", token);
  REQUIRE(deleted.status == 200);
  CHECK(Body(deleted) == json::object());
  CHECK(Body(s.Call("GET", "/v1/products/" + product + "/rating"))["count"] == "0");
  RequireError(s.Call("GET", review_path), 404, 5);
  RequireError(s.Call("POST", "/v1/products/" + product + "/reviews", R"({"rating":0,"text":"x"})", token), 400, 3);
  RequireError(s.Call("POST", "/v1/products/" + product + "/reviews",
                      json{{"rating", 3}, {"text", std::string(4001, 'x')}}.dump(), token),
               400, 3);
}

TEST_CASE("an order cancelled a moment ago grants no review, though its event may not have reached reviews",
          "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string first = s.NewProduct(100, 10);
  const std::string second = s.NewProduct(100, 10);
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":1000})", token).status == 200);
  const HttpResult placed = s.Call(
      "POST", "/v1/orders",
      json{{"items", {{{"productId", first}, {"quantity", 1}}, {{"productId", second}, {"quantity", 1}}}}}.dump(),
      token);
  REQUIRE(placed.status == 202);
  const std::string order = Body(placed)["id"];
  s.WaitForStatus(token, order, "APPROVED");
  // The first product's review: the purchase is known to reviews from here on.
  REQUIRE(s.Call("POST", "/v1/products/" + first + "/reviews", R"({"rating":5,"text":"ok"})", token).status == 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the APPROVED event has arrived
  REQUIRE(s.Call("POST", "/v1/orders/" + order + ":cancel", "", token).status == 200);
  // At once, before the CANCELLING event has crossed Kafka: refused.
  RequireError(s.Call("POST", "/v1/products/" + second + "/reviews", R"({"rating":4,"text":"ok"})", token), 400, 9,
               "PURCHASE_REQUIRED");
  s.WaitForStatus(token, order, "CANCELLED");
  RequireError(s.Call("POST", "/v1/products/" + second + "/reviews", R"({"rating":4,"text":"ok"})", token), 400, 9,
               "PURCHASE_REQUIRED");
  // The review made while the order was APPROVED stays.
  CHECK(Body(s.Call("GET", "/v1/products/" + first + "/rating"))["count"] == "1");
}

TEST_CASE("admin routes refuse customers with 403 and anonymous callers with 401", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string product = s.NewProduct(100, 1);
  const std::string saga = runtime::ids::NewUuid();
  const std::vector<std::pair<std::string, std::string>> admin_only = {
      {"PATCH", "/v1/products/" + product},
      {"DELETE", "/v1/products/" + product},
      {"POST", "/v1/products/" + product + ":restock"},
      {"POST", "/v1/orders/" + runtime::ids::NewUuid() + ":ship"},
      {"GET", "/v1/admin/sagas"},
      {"GET", "/v1/admin/sagas/" + saga},
      {"POST", "/v1/admin/sagas/" + saga + ":retry"},
      {"POST", "/v1/admin/sagas/" + saga + ":abort"}};
  for (const auto& [method, target] : admin_only) {
    INFO(method << " " << target);
    const std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
    RequireError(s.Call(method, target, body, token), 403, 7);
    RequireError(s.Call(method, target, body), 401, 16);
  }
  RequireError(s.Call("POST", "/v1/products/" + product + ":restock", R"({"quantity":0})", s.admin_token()), 400, 3);
  // A restock retried with its Idempotency-Key adds once and answers the same.
  const HttpResult first = s.Call("POST", "/v1/products/" + product + ":restock", R"({"quantity":5})",
                                  s.admin_token(), {{"Idempotency-Key", "restock-" + product}});
  const HttpResult again = s.Call("POST", "/v1/products/" + product + ":restock", R"({"quantity":5})",
                                  s.admin_token(), {{"Idempotency-Key", "restock-" + product}});
  REQUIRE(first.status == 200);
  REQUIRE(again.status == 200);
  CHECK(Body(first)["stock"] == "6");
  CHECK(again.body == first.body);
  CHECK(Body(s.Call("GET", "/v1/products/" + product))["stock"] == "6");
  RequireError(s.Call("POST", "/v1/products/" + product + ":restock", R"({"quantity":7})", s.admin_token(),
                      {{"Idempotency-Key", "restock-" + product}}),
               409, 6, "IDEMPOTENCY_KEY_REUSED");
  RequireError(s.Call("PATCH", "/v1/products/" + runtime::ids::NewUuid(), R"({"name":"x"})", s.admin_token()), 404, 5);
  const json capped = Body(s.Call("GET", "/v1/products?pageSize=1000"));
  CHECK(capped["products"].size() <= 100);
}

TEST_CASE("HEAD answers a GET route's status and headers without a body", "[e2e]") {
  System& s = System::Get();
  const std::string product = s.NewProduct(100, 1);
  const std::string raw = agora::testing::HttpRaw(
      s.http_port(), "HEAD /v1/products/" + product + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(raw.rfind("HTTP/1.1 200", 0) == 0);
  const size_t end = raw.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  CHECK(raw.size() == end + 4);  // nothing after the headers
  const std::string get = s.Call("GET", "/v1/products/" + product).body;
  CHECK(raw.find("Content-Length: " + std::to_string(get.size())) != std::string::npos);
  CHECK(s.Call("HEAD", "/v1/products/" + runtime::ids::NewUuid()).status == 404);
  CHECK(s.Call("HEAD", "/healthz").status == 200);
  // On a kept-alive connection the answer after a HEAD has its body again
  // (here a refusal: HTTP/1.1 without Host).
  const std::string two = agora::testing::HttpRaw(
      s.http_port(), "HEAD /v1/products/" + product + " HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/products HTTP/1.1\r\n\r\n");
  const size_t second = two.find("HTTP/1.1 400");
  REQUIRE(second != std::string::npos);
  CHECK(two.find("\"code\":3", second) != std::string::npos);
}

// An APPROVED order (its watch stays open: only REJECTED, CANCELLED and
// SHIPPED end it).
json ApprovedOrder(const std::string& token) {
  System& s = System::Get();
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":1000})", token).status == 200);
  const json order = PlaceOrder(token, s.NewProduct(100, 3), 1);
  return s.WaitForStatus(token, order["id"], "APPROVED");
}

TEST_CASE("a watch that fails after its first event ends with an error event", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const json order = ApprovedOrder(token);
  // The client's own timeout (Grpc-Timeout, 3 s) ends the backend call
  // while the order is APPROVED (a watch that stays open).
  const std::string raw = agora::testing::HttpRaw(
      s.http_port(),
      "GET /v1/orders/" + order["id"].get<std::string>() +
          ":watch HTTP/1.1\r\nHost: x\r\nConnection: close\r\nGrpc-Timeout: 3S\r\nAuthorization: Bearer " + token +
          "\r\n\r\n",
      /*timeout_ms=*/15000);
  const HttpResult r = agora::testing::ParseHttp(raw);
  REQUIRE(r.status == 200);
  const size_t data = r.body.find("data: {");
  const size_t error = r.body.find("event: error\ndata: ");
  REQUIRE(data != std::string::npos);
  REQUIRE(error != std::string::npos);
  CHECK(data < error);
  const std::string payload = r.body.substr(error + 19, r.body.find("\n\n", error) - error - 19);
  const json e = json::parse(payload);
  CHECK(e["code"] == 4);
  CHECK(e["details"].is_array());
}

TEST_CASE("a watcher that disconnects ends its stream and the backend call", "[e2e]") {
  System& s = System::Get();
  // A gateway of its own, so that its in-flight gauge counts only this stream.
  const int port = s.ExtraGateway({});
  const auto [id, token] = s.NewCustomer();
  const json order = ApprovedOrder(token);
  auto in_flight = [port] {
    const std::string metrics = agora::testing::Http(port, "GET", "/metrics").body;
    const size_t at = metrics.find("\nhttp_requests_in_flight ");
    return at == std::string::npos ? std::string("?") : metrics.substr(at + 25, metrics.find('\n', at + 1) - at - 25);
  };
  // The client reads for 1.5 s (the order stays APPROVED, the stream open),
  // then closes its socket.
  std::string during;
  std::thread probe([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    during = in_flight();
  });
  const std::string raw = agora::testing::HttpRaw(
      port,
      "GET /v1/orders/" + order["id"].get<std::string>() + ":watch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
          token + "\r\n\r\n",
      /*timeout_ms=*/1500);
  probe.join();
  CHECK(raw.find("\"status\":\"APPROVED\"") != std::string::npos);
  CHECK(during == "1");
  // Without the cancel the call would live until the stream timeout.
  CHECK(agora::testing::Eventually([&] { return in_flight() == "0"; }, 5));
}

}  // namespace
}  // namespace agora::gateway
