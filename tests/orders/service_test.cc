// Creating, reading and listing orders over real gRPC, priced by the real
// inventory service, each test with its own databases (tests/orders/harness.h).

#include <catch2/catch.hpp>
#include <limits>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "runtime/ids/uuid.h"
#include "tests/orders/harness.h"

namespace agora::orders::test {
namespace {

using runtime::ids::NewUuid;

int64_t CountOrders(const Harness& h) {
  return std::stoll(h.db().QueryAsSuper("SELECT count(*) FROM orders.orders"));
}

TEST_CASE("an order is priced by inventory, recorded PENDING and announced by OrderCreated",
          "[pg]") {
  Harness h;
  const std::string mug = h.AddProduct(1999);
  const std::string tea = h.AddProduct(250);
  const std::string customer = NewUuid();
  pb::Order order;
  REQUIRE(h.Create(customer, {{mug, 3}, {tea, 1}}, &order).ok());
  CHECK(runtime::ids::IsUuid(order.id()));
  CHECK(order.customer_id() == customer);
  CHECK(order.status() == pb::PENDING);
  CHECK(order.rejection_reason() == pb::REJECTION_REASON_UNSPECIFIED);
  REQUIRE(order.items_size() == 2);
  CHECK(order.items(0).product_id() == mug);
  CHECK(order.items(0).quantity() == 3);
  CHECK(order.items(0).unit_price_cents() == 1999);
  CHECK(order.items(1).product_id() == tea);
  CHECK(order.items(1).unit_price_cents() == 250);
  CHECK(order.total_cents() == 3 * 1999 + 250);
  CHECK(order.created_at().seconds() > 0);

  // The prices are a snapshot: a later price change leaves the order alone.
  h.SetPrice(mug, 5000);
  pb::Order got;
  REQUIRE(h.Get(Customer(customer), order.id(), &got).ok());
  CHECK(got.SerializeAsString() == order.SerializeAsString());

  // One OrderCreated, keyed by the order id, in the same transaction.
  const auto outbox = h.Outbox(order.id());
  REQUIRE(outbox.size() == 1);
  agora::saga::v1::OrderCreated created;
  REQUIRE(runtime::messaging::Unwrap(outbox[0], &created).ok());
  CHECK(created.order_id() == order.id());
  CHECK(created.customer_id() == customer);
  CHECK(created.total_cents() == order.total_cents());
  CHECK_FALSE(created.from_cart());
  REQUIRE(created.lines_size() == 2);
  CHECK(created.lines(0).product_id() == mug);
  CHECK(created.lines(0).quantity() == 3);
  CHECK(created.lines(0).unit_price_cents() == 1999);
  CHECK(h.db().QueryAsSuper("SELECT DISTINCT topic FROM orders.outbox") == "agora.orders.events");
}

TEST_CASE("invalid create requests are INVALID_ARGUMENT and record nothing", "[pg]") {
  Harness h;
  const std::string p = h.AddProduct();
  const std::string c = NewUuid();
  pb::Order out;
  const auto code = [&](const Items& items) { return h.Create(c, items, &out).error_code(); };
  CHECK(code({}) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code({{p, 0}}) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code({{p, 1001}}) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code({{p, -1}}) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code({{p, 600}, {p, 401}}) == grpc::StatusCode::INVALID_ARGUMENT);  // 1001 units of one product
  CHECK(code({{"'; DROP TABLE orders; --", 1}}) == grpc::StatusCode::INVALID_ARGUMENT);
  Items many;
  for (int i = 0; i < 51; ++i) many.emplace_back(NewUuid(), 1);
  const grpc::Status s = h.Create(c, many, &out);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("50") != std::string::npos);
  // Both items and fromCart.
  pb::CreateOrderRequest both;
  both.set_from_cart(true);
  both.add_items()->set_product_id(p);
  both.mutable_items(0)->set_quantity(1);
  CHECK(h.Call(&pb::Orders::Stub::CreateOrder, both, &out, Customer(c)).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.Create(c, {{p, 1}}, &out, std::string(300, 'k')).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(CountOrders(h) == 0);
}

TEST_CASE("an order of a product unknown to inventory or deleted is created PENDING, that line at 0",
          "[pg]") {
  // API.md: 202 and the saga decides; inventory's ReserveStock then rejects
  // it PRODUCT_UNAVAILABLE (tests/gateway/routes_test.cc plays that through).
  Harness h;
  const std::string live = h.AddProduct(700);
  const std::string deleted = h.AddProduct(900);
  h.DeleteProduct(deleted);
  const std::string unknown = NewUuid();
  pb::Order out;
  REQUIRE(h.Create(NewUuid(), {{live, 1}, {unknown, 3}, {deleted, 2}}, &out).ok());
  CHECK(out.status() == pb::PENDING);
  REQUIRE(out.items_size() == 3);
  CHECK(out.items(0).unit_price_cents() == 700);
  CHECK(out.items(1).product_id() == unknown);
  CHECK(out.items(1).quantity() == 3);
  CHECK(out.items(1).unit_price_cents() == 0);
  CHECK(out.items(2).product_id() == deleted);
  CHECK(out.items(2).unit_price_cents() == 0);
  CHECK(out.total_cents() == 700);
  // Its OrderCreated carries every line, so ReserveStock sees the unsold ones.
  const auto outbox = h.Outbox(out.id());
  REQUIRE(outbox.size() == 1);
  agora::saga::v1::OrderCreated created;
  REQUIRE(runtime::messaging::Unwrap(outbox[0], &created).ok());
  REQUIRE(created.lines_size() == 3);
  // Only the priced line was on sale when the order was placed: a deletion
  // of that product from now on does not stop the order (ReserveStock).
  CHECK(created.lines(0).on_sale());
  CHECK_FALSE(created.lines(1).on_sale());
  CHECK_FALSE(created.lines(2).on_sale());
  CHECK(h.Query("SELECT string_agg(on_sale::text, ',' ORDER BY line_no) FROM orders.order_items WHERE order_id = '" +
                out.id() + "'") == "true,false,false");
  CHECK(CountOrders(h) == 1);
}

TEST_CASE("a total that overflows int64 is INVALID_ARGUMENT", "[pg]") {
  Harness h;
  const std::string dear = h.AddProduct(std::numeric_limits<int64_t>::max() / 2 + 1);
  pb::Order out;
  const grpc::Status s = h.Create(NewUuid(), {{dear, 2}}, &out);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("total") != std::string::npos);
  CHECK(CountOrders(h) == 0);
  // One unit fits.
  CHECK(h.Create(NewUuid(), {{dear, 1}}, &out).ok());
}

TEST_CASE("fromCart takes the lines of the caller's cart; an empty cart is refused", "[pg]") {
  Harness h;
  const std::string a = h.AddProduct(300), b = h.AddProduct(700);
  const std::string customer = NewUuid();
  pb::Order out;
  grpc::Status s = h.CreateFromCart(customer, &out);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("cart is empty") != std::string::npos);

  h.carts().Set(customer, {{b, 2}, {a, 1}});
  REQUIRE(h.CreateFromCart(customer, &out).ok());
  CHECK(out.status() == pb::PENDING);
  REQUIRE(out.items_size() == 2);
  CHECK(out.items(0).product_id() == b);
  CHECK(out.items(0).quantity() == 2);
  CHECK(out.total_cents() == 2 * 700 + 300);
  agora::saga::v1::OrderCreated created;
  REQUIRE(runtime::messaging::Unwrap(h.Outbox(out.id()).at(0), &created).ok());
  CHECK(created.from_cart());

  // A cart the rules refuse, and customers being down.
  h.carts().Set(customer, {{a, 1001}});
  CHECK(h.CreateFromCart(customer, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  h.carts().Fail(absl::UnavailableError("customers is unavailable; retry later"));
  CHECK(h.CreateFromCart(customer, &out).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(CountOrders(h) == 1);
}

TEST_CASE("the same idempotency key and body answer the same order; another body is "
          "ALREADY_EXISTS", "[pg]") {
  Harness h;
  const std::string p = h.AddProduct(), q = h.AddProduct();
  const std::string customer = NewUuid();
  pb::Order first, again;
  REQUIRE(h.Create(customer, {{p, 2}}, &first, "key-1").ok());
  REQUIRE(h.Create(customer, {{p, 2}}, &again, "key-1").ok());
  CHECK(again.SerializeAsString() == first.SerializeAsString());
  CHECK(h.OutboxTypes(first.id()) == std::vector<std::string>{"OrderCreated"});
  // After the saga moved the order on, a repeat still gets the first answer
  // (PENDING, as created), byte for byte.
  pb::Order approved;
  REQUIRE(h.Approve(first.id(), &approved).ok());
  REQUIRE(approved.status() == pb::APPROVED);
  pb::Order later;
  REQUIRE(h.Create(customer, {{p, 2}}, &later, "key-1").ok());
  CHECK(later.status() == pb::PENDING);
  CHECK(later.SerializeAsString() == first.SerializeAsString());

  grpc::Status s = h.Create(customer, {{p, 3}}, &again, "key-1");
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  s = h.Create(customer, {{q, 2}}, &again, "key-1");
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  s = h.CreateFromCart(customer, &again, "key-1");
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(CountOrders(h) == 1);

  // Keys belong to a customer: another one's same key is another order.
  pb::Order other;
  REQUIRE(h.Create(NewUuid(), {{p, 2}}, &other, "key-1").ok());
  CHECK(other.id() != first.id());
  // The repeat of a fromCart order does not read the cart again.
  h.carts().Set(customer, {{q, 1}});
  pb::Order cart1, cart2;
  REQUIRE(h.CreateFromCart(customer, &cart1, "cart-key").ok());
  const int calls = h.carts().calls();
  h.carts().Set(customer, {{q, 5}});
  REQUIRE(h.CreateFromCart(customer, &cart2, "cart-key").ok());
  CHECK(cart2.id() == cart1.id());
  CHECK(cart2.items(0).quantity() == 1);
  CHECK(h.carts().calls() == calls);
  CHECK(CountOrders(h) == 3);
}

TEST_CASE("ten parallel creates with one idempotency key make exactly one order", "[pg]") {
  Harness h;
  const std::string p = h.AddProduct();
  const std::string customer = NewUuid();
  std::vector<pb::Order> orders(10);
  std::vector<grpc::Status> statuses(10);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] { statuses[i] = h.Create(customer, {{p, 4}}, &orders[i], "race"); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (size_t i = 0; i < 10; ++i) {
    INFO(statuses[i].error_message());
    CHECK(statuses[i].ok());
    if (statuses[i].ok()) ids.insert(orders[i].id());
  }
  CHECK(ids.size() == 1);
  for (size_t i = 1; i < 10; ++i) {  // every one the first answer, byte for byte
    if (statuses[i].ok() && statuses[0].ok()) CHECK(orders[i].SerializeAsString() == orders[0].SerializeAsString());
  }
  CHECK(CountOrders(h) == 1);
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM orders.outbox") == "1");
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM orders.idempotency_keys") == "1");
}

TEST_CASE("a customer reads only their own orders; others are NOT_FOUND, admins see all",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid(), bob = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order got;
  REQUIRE(h.Get(Customer(alice), order.id(), &got).ok());
  CHECK(got.id() == order.id());
  const grpc::Status s = h.Get(Customer(bob), order.id(), &got);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Get(Admin(), order.id(), &got).ok());
  CHECK(h.Get(Customer(alice), NewUuid(), &got).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Get(Customer(alice), "not-a-uuid", &got).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Get(Customer(alice), "", &got).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("every public method wants a valid token; ShipOrder wants an admin", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order out;
  pb::CreateOrderRequest create;
  create.set_from_cart(true);
  CHECK(h.Call(&pb::Orders::Stub::CreateOrder, create, &out).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Get("", order.id(), &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Get("Bearer forged.token.here", order.id(), &out).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Get("Basic dXNlcjpwYXNz", order.id(), &out).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  pb::ListOrdersResponse list;
  CHECK(h.Call(&pb::Orders::Stub::ListOrders, pb::ListOrdersRequest(), &list).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Cancel("", order.id(), &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Ship("", order.id(), &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Ship(Customer(alice), order.id(), &out).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(CountOrders(h) == 1);
}

std::vector<std::string> Ids(const pb::ListOrdersResponse& page) {
  std::vector<std::string> ids;
  for (const auto& o : page.orders()) ids.push_back(o.id());
  return ids;
}

pb::ListOrdersResponse List(Harness& h, const std::string& bearer, int page_size,
                            const std::string& token, pb::OrderStatus status = {},
                            grpc::Status* result = nullptr) {
  pb::ListOrdersRequest req;
  req.set_page_size(page_size);
  req.set_page_token(token);
  req.set_status(status);
  pb::ListOrdersResponse resp;
  const grpc::Status s = h.Call(&pb::Orders::Stub::ListOrders, req, &resp, bearer);
  if (result != nullptr) {
    *result = s;
  } else {
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  return resp;
}

TEST_CASE("listing pages hold exactly pageSize orders, newest first, the last with no token",
          "[pg]") {
  Harness h;
  const std::string p = h.AddProduct();
  const std::string alice = NewUuid(), bob = NewUuid();
  std::vector<std::string> created;  // oldest first
  for (int i = 0; i < 45; ++i) created.push_back(h.MustCreate(alice, {{p, 1 + i % 5}}).id());
  const pb::Order bobs = h.MustCreate(bob, {{p, 1}});

  std::vector<std::string> seen;
  std::vector<int> sizes;
  std::string token;
  do {
    const auto page = List(h, Customer(alice), 20, token);
    sizes.push_back(page.orders_size());
    for (const auto& o : page.orders()) {
      CHECK(o.customer_id() == alice);
      seen.push_back(o.id());
    }
    token = page.next_page_token();
  } while (!token.empty());
  CHECK(sizes == std::vector<int>{20, 20, 5});
  CHECK(seen == std::vector<std::string>(created.rbegin(), created.rend()));

  // Exactly one page: no token either.
  CHECK(List(h, Customer(bob), 1, "").next_page_token().empty());
  CHECK(Ids(List(h, Customer(bob), 0, "")) == std::vector<std::string>{bobs.id()});
  CHECK(List(h, Customer(alice), 0, "").orders_size() == 20);    // default
  CHECK(List(h, Customer(alice), 1000, "").orders_size() == 45);  // capped at 100: all fit
  const auto nine = List(h, Customer(alice), 9, "");
  CHECK(List(h, Customer(alice), 9, nine.next_page_token()).orders_size() == 9);
  // An admin lists everyone's.
  CHECK(List(h, Admin(), 100, "").orders_size() == 46);
  CHECK(List(h, Customer(NewUuid()), 10, "").orders_size() == 0);

  grpc::Status s;
  List(h, Customer(alice), -1, "", {}, &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  List(h, Customer(alice), 5, "not a token", {}, &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("the status filter lists only that status; an unknown status is INVALID_ARGUMENT",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  std::set<std::string> approved, pending;
  for (int i = 0; i < 7; ++i) {
    const pb::Order o = h.MustCreate(alice);
    if (i % 2 == 0) {
      pb::Order out;
      REQUIRE(h.Approve(o.id(), &out).ok());
      approved.insert(o.id());
    } else {
      pending.insert(o.id());
    }
  }
  std::set<std::string> seen;
  const auto first = List(h, Customer(alice), 3, "", pb::APPROVED);
  CHECK(first.orders_size() == 3);
  for (const auto& o : first.orders()) seen.insert(o.id());
  const auto second = List(h, Customer(alice), 3, first.next_page_token(), pb::APPROVED);
  CHECK(second.orders_size() == 1);
  CHECK(second.next_page_token().empty());
  for (const auto& o : second.orders()) {
    CHECK(o.status() == pb::APPROVED);
    seen.insert(o.id());
  }
  CHECK(seen == approved);
  CHECK(List(h, Customer(alice), 100, "", pb::PENDING).orders_size() == 3);
  CHECK(List(h, Customer(alice), 100, "", pb::SHIPPED).orders_size() == 0);

  grpc::Status s;
  List(h, Customer(alice), 10, "", static_cast<pb::OrderStatus>(42), &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // A token is bound to its filter.
  List(h, Customer(alice), 3, first.next_page_token(), pb::PENDING, &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace agora::orders::test
