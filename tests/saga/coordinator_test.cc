// The coordinator driving place-order sagas through the real participants'
// code, each on its own database, all over the run's dev broker under one
// topic prefix: orders emits OrderCreated, the coordinator sends commands,
// inventory, customers and orders answer, the order ends APPROVED or
// REJECTED with its stock and money where they belong.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "customers/participant.h"
#include "customers/pg_store.h"
#include "inventory/participant.h"
#include "inventory/pg_store.h"
#include "orders/participant.h"
#include "orders/pg_store.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/producer.h"
#include "runtime/messaging/migrations.h"
#include "runtime/messaging/participant.h"
#include "saga/coordinator.h"
#include "saga/pg_store.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "runtime/metrics/metrics.h"
#include "tests/support/infra.h"
#include "tests/support/saga_wire.h"

namespace agora::saga {
namespace {

using agora::testing::Eventually;
using agora::testing::TestDatabase;
using agora::testing::TestKafkaOptions;
using agora::testing::UniqueName;
using runtime::ids::NewUuid;
namespace rt = agora::runtime;

// One service's database, pool, relay and (for a participant) consumer.
struct Node {
  Node(const std::string& service, const std::vector<rt::pg::Migration>& migrations)
      : db(service) {
    REQUIRE(rt::pg::ApplyMigrations(db.ServiceOptions(),
                                    {{"messaging", &rt::messaging::MessagingMigrations()},
                                     {"request_keys", &rt::idempotency::RequestKeyMigrations()},
                                     {service, &migrations}})
                .ok());
    pool = std::make_unique<rt::pg::Pool>(db.ServiceOptions(), 8);
  }
  TestDatabase db;
  std::unique_ptr<rt::pg::Pool> pool;
  std::unique_ptr<rt::messaging::CommandHandler> handler;
  std::unique_ptr<rt::messaging::OutboxRelay> relay;
  std::unique_ptr<rt::messaging::Participant> participant;
  std::unique_ptr<rt::kafka::Consumer> consumer;
};

class System final {
 public:
  explicit System(absl::Duration step_deadline = absl::Seconds(3), RetryPolicy retry = {})
      : inventory_("inventory", inventory::InventoryMigrations()),
        customers_("customers", customers::CustomersMigrations()),
        orders_("orders", orders::OrdersMigrations()),
        saga_("saga", SagaMigrations()) {
    config_.topics.prefix = UniqueName("p") + ".";
    config_.relay.poll_interval = absl::Milliseconds(100);
    auto producer = rt::kafka::NewProducer(TestKafkaOptions());
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
    inventory_store_ = std::make_unique<inventory::PgStore>(*inventory_.pool);
    customers_store_ = std::make_unique<customers::PgStore>(*customers_.pool);
    orders_store_ = std::make_unique<orders::PgStore>(*orders_.pool, config_.topics.OrderEvents());
    StartParticipant(inventory_, "inventory",
                     [&](rt::messaging::CommandHandler& h) { inventory::RegisterSagaCommands(h, *inventory_store_); });
    StartParticipant(customers_, "customers",
                     [&](rt::messaging::CommandHandler& h) { customers::RegisterSagaCommands(h, *customers_store_); });
    StartParticipant(orders_, "orders",
                     [&](rt::messaging::CommandHandler& h) { orders::RegisterSagaCommands(h, *orders_store_); });
    // The coordinator, with short step deadlines.
    CoordinatorOptions options;
    options.topics = config_.topics;
    options.place_order = PlaceOrder(step_deadline, retry);
    options.cancel_order = CancelOrder(step_deadline, retry);
    coordinator_ = std::make_unique<Coordinator>(
        *saga_.pool, saga_store_, options, [] { return absl::Now(); }, [] { return NewUuid(); });
    saga_.relay = std::make_unique<rt::messaging::OutboxRelay>(*saga_.pool, *producer_, config_.relay);
    saga_.relay->Start();
    auto consumer = rt::kafka::StartBatchConsumer(
        {TestKafkaOptions(), UniqueName("saga"), {config_.topics.OrderEvents(), config_.topics.Replies()}},
        [this](const std::vector<rt::kafka::IncomingMessage>& batch) { return coordinator_->Handle(batch); },
        producer_.get());
    REQUIRE(consumer.ok());
    saga_.consumer = std::move(*consumer);
    scanner_ = std::thread([this] {
      while (!stop_.load()) {
        (void)coordinator_->ScanDeadlines(64);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }

  ~System() {
    stop_.store(true);
    scanner_.join();
    saga_.consumer->Stop();
    for (Node* n : {&inventory_, &customers_, &orders_}) n->participant->Stop();
    for (Node* n : {&inventory_, &customers_, &orders_, &saga_}) n->relay->Stop();
  }

  std::string Product(int64_t stock, int64_t price) {
    const std::string id = NewUuid();
    inventory_.db.QueryAsSuper(absl::StrCat("INSERT INTO inventory.products (id, sku, name, price_cents, stock) VALUES ('",
                                            id, "', '", id, "', 'p', ", price, ", ", stock, ")"));
    return id;
  }
  void DeleteProduct(const std::string& id) {
    inventory_.db.QueryAsSuper("UPDATE inventory.products SET deleted_at = now() WHERE id = '" + id + "'");
  }
  std::string Customer(int64_t balance) {
    const std::string id = NewUuid();
    customers_.db.QueryAsSuper(absl::StrCat("INSERT INTO customers.customers (id, email, display_name, password_hash, "
                                            "balance_cents) VALUES ('", id, "', '", id, "@x', 'c', 'x', ", balance, ")"));
    customers_.db.QueryAsSuper(absl::StrCat("INSERT INTO customers.ledger (id, customer_id, kind, amount_cents) VALUES ('",
                                            NewUuid(), "', '", id, "', 'TOP_UP', ", balance, ")"));
    return id;
  }
  // Places an order as orders' CreateOrder does: PENDING, OrderCreated in its outbox.
  // `prices`, when given, one per line; else every line at `price`.
  std::string Order(const std::string& customer, const std::vector<std::pair<std::string, int64_t>>& lines,
                    int64_t price, bool from_cart = false, const std::vector<int64_t>& prices = {},
                    const std::string& traceparent = "") {
    orders::NewOrder n;
    n.id = NewUuid();
    n.customer_id = customer;
    n.from_cart = from_cart;
    for (size_t i = 0; i < lines.size(); ++i) {
      const int64_t unit = prices.empty() ? price : prices[i];
      n.lines.push_back({lines[i].first, lines[i].second, unit, /*on_sale=*/true});
      n.total_cents += lines[i].second * unit;
    }
    REQUIRE(orders_store_->Create(n, {"", "", traceparent}).ok());
    return n.id;
  }
  const rt::messaging::Topics& topics() const { return config_.topics; }
  // Customers' consumer stops (the process is down) and comes back.
  void StopCustomers() { customers_.participant->Stop(); }
  void StartCustomers() {
    rt::messaging::MessagingConfig c = config_;
    c.command_group = customers_group_;
    auto p = rt::messaging::Participant::Start("customers", *customers_.pool, TestKafkaOptions(), c,
                                               *customers_.handler, producer_.get());
    REQUIRE(p.ok());
    customers_.participant = std::move(*p);
  }

  // An order whose OrderCreated was lost: its rows, no event.
  // `on_sale`: orders priced the line (the product was on sale when placed).
  std::string OrderWithoutEvent(const std::string& customer, const std::string& product, int64_t quantity,
                                int64_t price, bool on_sale = true) {
    const std::string id = NewUuid();
    orders_.db.QueryAsSuper(absl::StrCat(
        "INSERT INTO orders.orders (id, customer_id, status, total_cents, from_cart, created_at, updated_at) "
        "VALUES ('", id, "', '", customer, "', 'PENDING', ", quantity * price, ", false, now() - interval '1 minute', "
        "now() - interval '1 minute')"));
    orders_.db.QueryAsSuper(absl::StrCat(
        "INSERT INTO orders.order_items (order_id, line_no, product_id, quantity, unit_price_cents, on_sale) "
        "VALUES ('", id, "', 1, '", product, "', ", quantity, ", ", price, ", ", on_sale ? "true" : "false", ")"));
    return id;
  }
  absl::StatusOr<int> Reemit(absl::Duration age) { return orders_store_->ReemitStalled(age, 100); }

  // The customer's cancel, as orders' CancelOrder does it.
  void Cancel(const std::string& order) {
    auto r = orders_store_->Apply(order, {orders::Event::kRequestCancel}, std::nullopt, {}, {});
    REQUIRE(r.ok());
  }
  std::string Status(const std::string& order) {
    return orders_.db.QueryAsSuper("SELECT status || COALESCE('/' || rejection_reason, '') FROM orders.orders WHERE id = '" +
                                   order + "'");
  }
  bool Ends(const std::string& order, const std::string& status) {
    return Eventually([&] { return Status(order) == status; }, 30);
  }
  void AddToCart(const std::string& customer, const std::string& product, int quantity) {
    REQUIRE(customers_store_->SetCartItem(customer, product, quantity).ok());
  }
  int CartSize(const std::string& customer) {
    return std::stoi(customers_.db.QueryAsSuper("SELECT count(*) FROM customers.cart_items WHERE customer_id = '" +
                                                customer + "'"));
  }
  int64_t Stock(const std::string& p) {
    return std::stoll(inventory_.db.QueryAsSuper("SELECT stock FROM inventory.products WHERE id = '" + p + "'"));
  }
  int64_t Held(const std::string& p) {
    return std::stoll(inventory_.db.QueryAsSuper("SELECT held FROM inventory.products WHERE id = '" + p + "'"));
  }
  int64_t Balance(const std::string& c) {
    return std::stoll(customers_.db.QueryAsSuper("SELECT balance_cents FROM customers.customers WHERE id = '" + c + "'"));
  }
  int64_t LedgerSum(const std::string& c) {
    return std::stoll(customers_.db.QueryAsSuper(
        "SELECT COALESCE(sum(amount_cents), 0) FROM customers.ledger WHERE customer_id = '" + c + "'"));
  }
  absl::Status UpdateGauges() { return coordinator_->UpdateGauges(); }
  std::string CancelSagaOf(const std::string& order) {
    return saga_.db.QueryAsSuper("SELECT status FROM saga.sagas WHERE order_id = '" + order +
                                 "' AND type = 'CANCEL_ORDER'");
  }
  std::string SagaIds(const std::string& order) {
    return saga_.db.QueryAsSuper("SELECT string_agg(id::text, ',' ORDER BY type DESC) FROM saga.sagas WHERE order_id = '" +
                                 order + "'");
  }
  int SagaCount(const std::string& order) {
    return std::stoi(saga_.db.QueryAsSuper("SELECT count(*) FROM saga.sagas WHERE order_id = '" + order + "'"));
  }
  std::string SagaOf(const std::string& order) {
    return saga_.db.QueryAsSuper("SELECT status || ' ' || current_step FROM saga.sagas WHERE order_id = '" + order +
                                 "' AND type = 'PLACE_ORDER'");
  }

 private:
  void StartParticipant(Node& n, const std::string& service,
                        const std::function<void(rt::messaging::CommandHandler&)>& effects) {
    n.handler = std::make_unique<rt::messaging::CommandHandler>(*n.pool, config_.topics.Replies());
    effects(*n.handler);
    n.relay = std::make_unique<rt::messaging::OutboxRelay>(*n.pool, *producer_, config_.relay);
    rt::messaging::MessagingConfig c = config_;
    c.command_group = UniqueName(service);
    if (service == "customers") customers_group_ = c.command_group;
    auto p = rt::messaging::Participant::Start(service, *n.pool, TestKafkaOptions(), c, *n.handler, producer_.get());
    REQUIRE(p.ok());
    n.participant = std::move(*p);
    n.relay->Start();
  }

  rt::messaging::MessagingConfig config_;
  std::string customers_group_;
  std::unique_ptr<rt::kafka::Producer> producer_;
  Node inventory_;
  Node customers_;
  Node orders_;
  Node saga_;
  std::unique_ptr<inventory::PgStore> inventory_store_;
  std::unique_ptr<customers::PgStore> customers_store_;
  std::unique_ptr<orders::PgStore> orders_store_;
  PgStore saga_store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::atomic<bool> stop_{false};
  std::thread scanner_;
};

TEST_CASE("sagas drive orders to APPROVED or REJECTED through the participants, stock and money "
          "where they belong",
          "[pg][kafka]") {
  System s;
  const std::string kettle = s.Product(10, 2500);
  const std::string rich = s.Customer(100000);
  const std::string poor = s.Customer(1000);

  // Happy path: reserved, debited, approved.
  const std::string ok = s.Order(rich, {{kettle, 2}}, 2500);
  REQUIRE(s.Ends(ok, "APPROVED"));
  CHECK(s.Stock(kettle) == 8);
  CHECK(s.Held(kettle) == 2);
  CHECK(s.Balance(rich) == 95000);
  CHECK(Eventually([&] { return s.SagaOf(ok) == "COMPLETED "; }));

  // Out of stock: nothing taken.
  const std::string greedy = s.Order(rich, {{kettle, 50}}, 2500);
  REQUIRE(s.Ends(greedy, "REJECTED/OUT_OF_STOCK"));
  CHECK(s.Stock(kettle) == 8);
  CHECK(s.Balance(rich) == 95000);

  // Insufficient funds: the reserved stock comes back.
  const std::string broke = s.Order(poor, {{kettle, 1}}, 2500);
  REQUIRE(s.Ends(broke, "REJECTED/INSUFFICIENT_FUNDS"));
  CHECK(Eventually([&] { return s.SagaOf(broke) == "FAILED "; }));
  CHECK(s.Stock(kettle) == 8);
  CHECK(s.Held(kettle) == 2);
  CHECK(s.Balance(poor) == 1000);

  // Invariants: stock conserved, balances equal their ledgers.
  CHECK(s.Stock(kettle) + s.Held(kettle) == 10);
  CHECK(s.Balance(rich) == s.LedgerSum(rich));
  CHECK(s.Balance(poor) == s.LedgerSum(poor));

  // What the dashboards read.
  const std::string text = prometheus::TextSerializer().Serialize(rt::metrics::Registry().Collect());
  CHECK(text.find("agora_saga_started_total{type=\"PLACE_ORDER\"}") != std::string::npos);
  CHECK(text.find("agora_saga_finished_total{outcome=\"completed\",reason=\"\",type=\"PLACE_ORDER\"}") !=
        std::string::npos);
  CHECK(text.find("agora_saga_finished_total{outcome=\"failed\",reason=\"INSUFFICIENT_FUNDS\",type=\"PLACE_ORDER\"}") !=
        std::string::npos);
  CHECK(text.find("agora_saga_compensations_total{reason=\"INSUFFICIENT_FUNDS\",step=\"ReserveStock\"}") !=
        std::string::npos);
  CHECK(text.find("agora_saga_step_seconds_count{outcome=\"succeeded\",step=\"ApproveOrder\"}") != std::string::npos);
  REQUIRE(s.UpdateGauges().ok());
  CHECK(prometheus::TextSerializer().Serialize(rt::metrics::Registry().Collect()).find(
            "agora_saga_in_flight{type=\"PLACE_ORDER\"} 0") != std::string::npos);
}

TEST_CASE("many orders at once over one hot product: every saga ends and nothing is oversold",
          "[pg][kafka]") {
  System s;
  const std::string last_units = s.Product(10, 100);
  std::vector<std::string> customers;
  std::vector<std::string> orders;
  for (int i = 0; i < 40; ++i) {
    customers.push_back(s.Customer(1000));
    orders.push_back(s.Order(customers.back(), {{last_units, 1}}, 100));
  }
  int approved = 0;
  int out_of_stock = 0;
  for (const std::string& o : orders) {
    REQUIRE(Eventually([&] { return s.Status(o) != "PENDING"; }, 60));
    const std::string st = s.Status(o);
    if (st == "APPROVED") ++approved;
    if (st == "REJECTED/OUT_OF_STOCK") ++out_of_stock;
  }
  CHECK(approved == 10);
  CHECK(out_of_stock == 30);
  CHECK(s.Stock(last_units) == 0);
  CHECK(s.Held(last_units) == 10);
  int64_t paid = 0;
  for (const std::string& c : customers) {
    CHECK(s.Balance(c) == s.LedgerSum(c));
    paid += 1000 - s.Balance(c);
  }
  CHECK(paid == 10 * 100);
}

TEST_CASE("one customer firing 10 orders with money for 3: exactly 3 approved, balance 0",
          "[pg][kafka]") {
  System s;
  const std::string book = s.Product(100, 700);
  const std::string ann = s.Customer(2100);
  std::vector<std::string> orders;
  for (int i = 0; i < 10; ++i) orders.push_back(s.Order(ann, {{book, 1}}, 700));
  int approved = 0;
  int refused = 0;
  for (const std::string& o : orders) {
    REQUIRE(Eventually([&] { return s.Status(o) != "PENDING"; }, 60));
    approved += s.Status(o) == "APPROVED";
    refused += s.Status(o) == "REJECTED/INSUFFICIENT_FUNDS";
  }
  CHECK(approved == 3);
  CHECK(refused == 7);
  CHECK(s.Balance(ann) == 0);
  CHECK(s.Balance(ann) == s.LedgerSum(ann));
  // The rejected orders' stock came back.
  CHECK(Eventually([&] { return s.Held(book) == 3; }));
  CHECK(s.Stock(book) == 97);
}

TEST_CASE("a fromCart order takes its lines out of the cart when approved, and a rejected one "
          "leaves the cart as it was",
          "[pg][kafka]") {
  System s;
  const std::string tea = s.Product(10, 400);
  const std::string cup = s.Product(10, 300);
  const std::string ann = s.Customer(1000);
  s.AddToCart(ann, tea, 1);
  s.AddToCart(ann, cup, 2);
  const std::string paid = s.Order(ann, {{tea, 1}, {cup, 2}}, 0, /*from_cart=*/true, {400, 300});
  REQUIRE(s.Ends(paid, "APPROVED"));
  CHECK(s.CartSize(ann) == 0);
  CHECK(s.Balance(ann) == 0);
  // Too expensive now: rejected, and the cart is as it was.
  s.AddToCart(ann, tea, 3);
  const std::string refused = s.Order(ann, {{tea, 3}}, 0, /*from_cart=*/true, {400});
  REQUIRE(s.Ends(refused, "REJECTED/INSUFFICIENT_FUNDS"));
  CHECK(s.CartSize(ann) == 1);
  CHECK(Eventually([&] { return s.Held(tea) == 1; }));
}

TEST_CASE("a participant down past its step's deadline: the saga times out and compensates, and "
          "when the participant comes back nothing changes",
          "[pg][kafka]") {
  // Short waits: a step fails after 2 sends 0.5 s and 1 s apart.
  System s(absl::Milliseconds(500), RetryPolicy{2, 2.0, absl::Seconds(2)});
  const std::string lamp = s.Product(4, 1000);
  const std::string ann = s.Customer(5000);
  // Every consumer has joined its group once an order went through (with
  // such short deadlines, orders placed before time out).
  const std::string warm_product = s.Product(100, 1);
  const std::string warm_customer = s.Customer(100);
  REQUIRE(Eventually(
      [&] {
        const std::string o = s.Order(warm_customer, {{warm_product, 1}}, 1);
        return Eventually([&] { return s.Status(o) != "PENDING"; }, 10) && s.Status(o) == "APPROVED";
      },
      60));
  s.StopCustomers();
  agora::testing::TopicReader to_customers(s.topics().Commands("customers"));
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::string order = s.Order(ann, {{lamp, 1}}, 1000, false, {}, trace);
  // The debit times out; its refund waits for customers (compensations never give up).
  CHECK(Eventually([&] { return s.SagaOf(order) == "COMPENSATING RefundBalance"; }, 30));
  CHECK(s.Status(order) == "PENDING");
  // The debit went out twice with one message id, then the refund: the
  // deadline's re-sends carry the order's trace like the first send.
  REQUIRE(Eventually(
      [&] {
        const auto all = to_customers.Messages();
        return std::count_if(all.begin(), all.end(), [&](const auto& m) { return m.key == order; }) >= 3;
      },
      30));
  std::map<std::string, int> sends;
  for (const rt::kafka::IncomingMessage& m : to_customers.Messages()) {
    if (m.key != order) continue;  // the warm-up's
    absl::StatusOr<rt::messaging::Envelope> e = rt::messaging::ParseEnvelope(m.value);
    REQUIRE(e.ok());
    CHECK(e->traceparent() == trace);
    ++sends[e->message_id()];
  }
  CHECK(std::any_of(sends.begin(), sends.end(), [](const auto& kv) { return kv.second >= 2; }));
  s.StartCustomers();
  // Back: the late debit and its refund cancel out, the stock comes back, the order is rejected.
  REQUIRE(s.Ends(order, "REJECTED/TIMED_OUT"));
  CHECK(Eventually([&] { return s.SagaOf(order) == "FAILED "; }));
  CHECK(Eventually([&] { return s.Held(lamp) == 0; }));
  CHECK(s.Stock(lamp) == 4);
  CHECK(Eventually([&] { return s.Balance(ann) == 5000; }));
  CHECK(s.Balance(ann) == s.LedgerSum(ann));
}

TEST_CASE("a lost OrderCreated is published again and the order still ends; a second copy changes "
          "nothing",
          "[pg][kafka]") {
  System s;
  const std::string pen = s.Product(5, 200);
  const std::string ann = s.Customer(1000);
  const std::string order = s.OrderWithoutEvent(ann, pen, 2, 200);
  CHECK(s.SagaOf(order).empty());  // nothing knows of it yet
  // Not stalled long enough: nothing is published.
  REQUIRE(s.Reemit(absl::Hours(1)).value() == 0);
  REQUIRE(s.Reemit(absl::Seconds(30)).value() == 1);
  // Very likely still PENDING: published once more, a copy for the coordinator.
  REQUIRE(s.Reemit(absl::Milliseconds(1)).ok());
  REQUIRE(s.Ends(order, "APPROVED"));
  CHECK(s.SagaCount(order) == 1);  // one saga per order, whatever the copies
  CHECK(s.Balance(ann) == 600);
  CHECK(s.Stock(pen) == 3);
  // Ended orders are not published again.
  CHECK(s.Reemit(absl::Milliseconds(1)).value() == 0);
}

TEST_CASE("a product deleted while an order holding it is PENDING leaves that order unaffected; an order "
          "placed after the deletion is REJECTED PRODUCT_UNAVAILABLE",
          "[pg][kafka]") {
  // API.md, DELETE /v1/products/{id}: "orders that hold it unaffected".
  System s;
  const std::string pen = s.Product(5, 200);
  const std::string ann = s.Customer(1000);
  const std::string bob = s.Customer(1000);
  // Placed while the pen was on sale; its saga has not started yet.
  const std::string held = s.OrderWithoutEvent(ann, pen, 2, 200);
  s.DeleteProduct(pen);
  // Placed after the deletion: orders found no price for the line.
  const std::string late = s.OrderWithoutEvent(bob, pen, 1, 0, /*on_sale=*/false);
  REQUIRE(s.Reemit(absl::Seconds(30)).value() == 2);
  REQUIRE(s.Ends(held, "APPROVED"));
  REQUIRE(s.Ends(late, "REJECTED/PRODUCT_UNAVAILABLE"));
  CHECK(s.Balance(ann) == 600);
  CHECK(s.Balance(bob) == 1000);
  CHECK(s.Stock(pen) == 3);
  CHECK(s.Held(pen) == 2);
  // Its cancel gives the units back to the deleted product.
  s.Cancel(held);
  REQUIRE(s.Ends(held, "CANCELLED"));
  CHECK(Eventually([&] { return s.Stock(pen) == 5 && s.Held(pen) == 0; }));
  CHECK(s.Balance(ann) == 1000);
}

TEST_CASE("a cancel after approval refunds, returns the stock and ends CANCELLED", "[pg][kafka]") {
  System s;
  const std::string mug = s.Product(5, 700);
  const std::string ann = s.Customer(5000);
  const std::string order = s.Order(ann, {{mug, 3}}, 700);
  REQUIRE(s.Ends(order, "APPROVED"));
  CHECK(s.Balance(ann) == 2900);
  s.Cancel(order);
  REQUIRE(s.Ends(order, "CANCELLED"));
  CHECK(Eventually([&] { return s.CancelSagaOf(order) == "COMPLETED"; }));
  // Each saga's id is derived from its order and type (the saga service
  // shows a saga about to start under the id it will have).
  CHECK(s.SagaIds(order) == SagaIdFor(order, SagaType::kPlaceOrder) + "," + SagaIdFor(order, SagaType::kCancelOrder));
  CHECK(SagaIdFor(order, SagaType::kPlaceOrder) != SagaIdFor(order, SagaType::kCancelOrder));
  CHECK(SagaIdFor(absl::AsciiStrToUpper(order), SagaType::kPlaceOrder) == SagaIdFor(order, SagaType::kPlaceOrder));
  CHECK(s.Balance(ann) == 5000);
  CHECK(s.Balance(ann) == s.LedgerSum(ann));
  CHECK(s.Stock(mug) == 5);
  CHECK(s.Held(mug) == 0);
}

TEST_CASE("cancels racing their sagas end each order REJECTED/CANCELLED_BY_CUSTOMER or CANCELLED, "
          "with everything given back",
          "[pg][kafka]") {
  System s;
  const std::string tea = s.Product(100, 300);
  std::vector<std::pair<std::string, std::string>> placed;  // (order, customer)
  for (int i = 0; i < 12; ++i) {
    const std::string c = s.Customer(3000);
    const std::string o = s.Order(c, {{tea, 2}}, 300);
    // Cancelled at once, a little later, or after a while: before OrderCreated
    // reached the coordinator, during a step, or after the approval.
    if (i % 3 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
    if (i % 3 == 2) REQUIRE(s.Ends(o, "APPROVED"));
    s.Cancel(o);
    placed.push_back({o, c});
  }
  for (const auto& [o, c] : placed) {
    INFO(o);
    REQUIRE(Eventually([&] {
      const std::string st = s.Status(o);
      return st == "REJECTED/CANCELLED_BY_CUSTOMER" || st == "CANCELLED";
    }, 60));
    CHECK(Eventually([&] { return s.Balance(c) == 3000; }));
    CHECK(s.Balance(c) == s.LedgerSum(c));
  }
  CHECK(Eventually([&] { return s.Held(tea) == 0; }));
  CHECK(s.Stock(tea) == 100);
  int rejected = 0;
  for (const auto& [o, c] : placed) rejected += s.Status(o) == "REJECTED/CANCELLED_BY_CUSTOMER";
  // Those cancelled after their approval can only end CANCELLED; those
  // cancelled at once are stopped before it (both paths ran).
  CHECK(rejected >= 1);
  CHECK(rejected <= 8);
}

rt::kafka::IncomingMessage Incoming(const rt::messaging::Envelope& e) {
  rt::kafka::IncomingMessage m;
  m.key = "k";
  m.value = e.SerializeAsString();
  return m;
}

agora::saga::v1::OrderCreated CreatedEvent(const std::string& order) {
  agora::saga::v1::OrderCreated created;
  created.set_order_id(order);
  created.set_customer_id(NewUuid());
  auto* line = created.add_lines();
  line->set_product_id(NewUuid());
  line->set_quantity(1);
  line->set_unit_price_cents(100);
  created.set_total_cents(100);
  return created;
}

rt::messaging::Envelope Created(const std::string& order) { return rt::messaging::Wrap(CreatedEvent(order)); }

rt::messaging::Envelope CancelOf(const std::string& order) {
  agora::saga::v1::OrderCancelRequested cancel;
  cancel.set_order_id(order);
  cancel.set_customer_id(NewUuid());
  cancel.set_status(agora::orders::v1::PENDING);
  return rt::messaging::Wrap(cancel);
}

TEST_CASE("one batch holding a message twice, and the same reply again later, moves a saga once",
          "[pg][kafka]") {
  // The coordinator alone, fed batches by hand: no relay runs, so its
  // commands stay in its outbox to be counted.
  Node saga("saga", SagaMigrations());
  PgStore store;
  CoordinatorOptions options;
  options.topics.prefix = UniqueName("p") + ".";
  Coordinator coordinator(*saga.pool, store, options, [] { return absl::Now(); }, [] { return NewUuid(); });
  auto incoming = Incoming;
  const std::string order = NewUuid();
  const rt::messaging::Envelope created_e = Created(order);
  // OrderCreated twice and the cancel, in one batch.
  const auto r1 = coordinator.Handle({incoming(created_e), incoming(created_e), incoming(CancelOf(order))});
  REQUIRE(r1.status.ok());
  CHECK(r1.handled == 3);
  auto count = [&](const std::string& type) {
    return saga.db.QueryAsSuper("SELECT count(*) FROM saga.outbox WHERE topic LIKE '%" + type + "'");
  };
  CHECK(saga.db.QueryAsSuper("SELECT count(*) FROM saga.sagas WHERE order_id = '" + order + "'") == "1");
  REQUIRE(count("inventory") == "1");  // one ReserveStock
  const std::string saga_id = saga.db.QueryAsSuper("SELECT id FROM saga.sagas WHERE order_id = '" + order + "'");
  const std::string command = saga.db.QueryAsSuper("SELECT message_id FROM saga.outbox WHERE topic LIKE '%inventory'");
  // Its success reply twice in one batch, then once more.
  agora::saga::v1::StepReply reply;
  reply.set_order_id(order);
  reply.set_command("agora.saga.v1.ReserveStockCommand");
  reply.set_success(true);
  const rt::messaging::Envelope reply_e = rt::messaging::Wrap(reply, {saga_id, command, ""});
  REQUIRE(coordinator.Handle({incoming(reply_e), incoming(reply_e)}).status.ok());
  REQUIRE(coordinator.Handle({incoming(reply_e)}).status.ok());
  // The cancel stopped it at that reply: one ReleaseStock, and nothing else.
  CHECK(count("inventory") == "2");
  CHECK(count("customers") == "0");
  CHECK(count("orders") == "0");
  CHECK(saga.db.QueryAsSuper("SELECT status || ' ' || current_step FROM saga.sagas WHERE id = '" + saga_id + "'") ==
        "COMPENSATING ReleaseStock");
}

}  // namespace
}  // namespace agora::saga

namespace agora::saga {
namespace {

// Whether the saga of `order` (there must be one) has a cancel requested.
bool CancelRequested(Node& saga, PgStore& store, const std::string& order) {
  const std::string id = saga.db.QueryAsSuper("SELECT id FROM saga.sagas WHERE order_id = '" + order + "'");
  std::optional<Saga> s;
  REQUIRE(saga.pool->Read([&](rt::pg::Tx& tx) -> absl::Status {
    s = store.Find(tx, id);
    return absl::OkStatus();
  }).ok());
  REQUIRE(s.has_value());
  return s->cancel_requested;
}

TEST_CASE("a batch starts its sagas at once: early cancels in earlier batches and in the same one are "
          "applied, an order's second OrderCreated starts nothing, and a saga started elsewhere "
          "meanwhile makes the batch run again one message at a time",
          "[pg]") {
  Node saga("saga", SagaMigrations());
  PgStore store;
  CoordinatorOptions options;
  options.topics.prefix = UniqueName("p") + ".";
  // Another coordinator starts `raced`'s saga while the batch runs (once).
  const std::string raced = NewUuid();
  std::string foreign_id;
  std::atomic<int> hook_runs{0};
  options.before_insert = [&] {
    if (hook_runs.fetch_add(1) != 0 || foreign_id.empty()) return;
    rt::pg::Pool other(saga.db.ServiceOptions(), 1);
    REQUIRE(other.Transact([&](rt::pg::Tx& tx) -> absl::Status {
      const agora::saga::v1::OrderCreated e = CreatedEvent(raced);
      OrderData o{raced, e.customer_id(), {{e.lines(0).product_id(), 1, 100}}, 100, false};
      Transition t = Start(PlaceOrder(), foreign_id, o, absl::Now(), [] { return NewUuid(); });
      REQUIRE(store.Insert(tx, t.saga));
      return absl::OkStatus();
    }).ok());
  };
  Coordinator coordinator(*saga.pool, store, options, [] { return absl::Now(); }, [] { return NewUuid(); });
  auto q = [&](const std::string& sql) { return saga.db.QueryAsSuper(sql); };
  auto sagas_of = [&](const std::string& order) {
    return q("SELECT count(*) FROM saga.sagas WHERE order_id = '" + order + "'");
  };
  auto commands_for = [&](const std::string& order) {
    return q("SELECT count(*) FROM saga.outbox WHERE message_key = '" + order + "'");
  };
  auto cancel_requested = [&](const std::string& order) { return CancelRequested(saga, store, order); };

  // A cancel before its order's saga, in a batch of its own.
  const std::string early = NewUuid();
  REQUIRE(coordinator.Handle({Incoming(CancelOf(early))}).status.ok());
  CHECK(q("SELECT count(*) FROM saga.early_cancels WHERE order_id = '" + early + "'") == "1");

  // One batch: that order's OrderCreated, a cancel then the OrderCreated of
  // another order (its id spelled in upper case in the cancel: a UUID either
  // way), and a plain order.
  const std::string same_batch = NewUuid();
  const std::string plain = NewUuid();
  const rt::messaging::Envelope plain_created = Created(plain);
  const auto r = coordinator.Handle({Incoming(Created(early)), Incoming(CancelOf(absl::AsciiStrToUpper(same_batch))),
                                     Incoming(Created(same_batch)), Incoming(plain_created)});
  REQUIRE(r.status.ok());
  CHECK(r.handled == 4);
  for (const std::string& order : {early, same_batch, plain}) {
    CHECK(sagas_of(order) == "1");
    CHECK(commands_for(order) == "1");  // its ReserveStock
  }
  CHECK(cancel_requested(early));
  CHECK(cancel_requested(same_batch));
  CHECK_FALSE(cancel_requested(plain));
  CHECK(q("SELECT count(*) FROM saga.early_cancels") == "0");

  // The plain order's OrderCreated again under a new message id (orders
  // publishes it again when its saga seems lost), with a new order.
  rt::messaging::Envelope again = plain_created;
  again.set_message_id(NewUuid());
  const std::string next = NewUuid();
  REQUIRE(coordinator.Handle({Incoming(again), Incoming(Created(next))}).status.ok());
  CHECK(sagas_of(plain) == "1");
  CHECK(commands_for(plain) == "1");
  CHECK(sagas_of(next) == "1");
  CHECK(commands_for(next) == "1");

  // A saga started elsewhere between the batch's lock and its insert.
  foreign_id = NewUuid();
  hook_runs.store(0);
  const std::string beside = NewUuid();
  REQUIRE(coordinator.Handle({Incoming(Created(beside)), Incoming(Created(raced))}).status.ok());
  CHECK(hook_runs.load() == 2);  // the batch ran twice
  CHECK(q("SELECT id FROM saga.sagas WHERE order_id = '" + raced + "'") == foreign_id);
  CHECK(commands_for(raced) == "0");  // the other coordinator's to drive
  CHECK(sagas_of(beside) == "1");
  CHECK(commands_for(beside) == "1");
}

// The sum of a counter family's series in the process registry (0 when absent).
double MetricValue(const std::string& name) {
  double sum = 0;
  for (const prometheus::MetricFamily& f : rt::metrics::Registry().Collect()) {
    if (f.name != name) continue;
    for (const prometheus::ClientMetric& m : f.metric) sum += m.counter.value;
  }
  return sum;
}

TEST_CASE("a due saga whose record does not read is set aside by the deadline scan, which goes on with "
          "the others",
          "[pg]") {
  Node saga("saga", SagaMigrations());
  PgStore store;
  CoordinatorOptions options;
  options.topics.prefix = UniqueName("p") + ".";
  absl::Duration shift;  // the coordinator's clock runs ahead by this
  Coordinator coordinator(*saga.pool, store, options, [&] { return absl::Now() + shift; },
                          [] { return NewUuid(); });
  auto q = [&](const std::string& sql) { return saga.db.QueryAsSuper(sql); };
  const std::string good = NewUuid();
  const std::string bad = NewUuid();
  REQUIRE(coordinator.Handle({Incoming(Created(good)), Incoming(Created(bad))}).status.ok());
  // Both late (their deadlines passed for the clock and the table); one
  // record written by a version this one cannot read.
  shift = absl::Minutes(10);
  q("UPDATE saga.sagas SET deadline = now() - interval '1 second'");
  q("UPDATE saga.sagas SET record = '\\xff01' WHERE order_id = '" + bad + "'");
  const double before = MetricValue("agora_saga_unreadable_records_total");
  absl::StatusOr<int> n = coordinator.ScanDeadlines(64);
  REQUIRE(n.ok());
  CHECK(*n == 2);
  // The readable one's step was re-sent; the other is untouched but for a
  // deadline a minute away, and counted.
  CHECK(q("SELECT count(*) FROM saga.outbox WHERE message_key = '" + good + "'") == "2");
  CHECK(q("SELECT count(*) FROM saga.outbox WHERE message_key = '" + bad + "'") == "1");
  CHECK(q("SELECT deadline > now() + interval '50 seconds' FROM saga.sagas WHERE order_id = '" + bad + "'") ==
        "t");
  CHECK(q("SELECT status FROM saga.sagas WHERE order_id = '" + bad + "'") == "RUNNING");
  CHECK(MetricValue("agora_saga_unreadable_records_total") == before + 1);
  // Nothing more is due.
  n = coordinator.ScanDeadlines(64);
  REQUIRE(n.ok());
  CHECK(*n == 0);
}

TEST_CASE("a cancel parked beside a saga that exists is applied by the order's next OrderCreated", "[pg]") {
  // Such a row is what the race of the next test left before batches took
  // their orders' locks; orders publishes OrderCreated (and the cancel)
  // again for an order whose saga seems stuck.
  Node saga("saga", SagaMigrations());
  PgStore store;
  CoordinatorOptions options;
  options.topics.prefix = UniqueName("p") + ".";
  Coordinator coordinator(*saga.pool, store, options, [] { return absl::Now(); }, [] { return NewUuid(); });
  auto q = [&](const std::string& sql) { return saga.db.QueryAsSuper(sql); };
  const std::string order = NewUuid();
  const rt::messaging::Envelope created = Created(order);
  REQUIRE(coordinator.Handle({Incoming(created)}).status.ok());
  q("INSERT INTO saga.early_cancels (order_id) VALUES ('" + order + "')");
  rt::messaging::Envelope again = created;
  again.set_message_id(NewUuid());
  REQUIRE(coordinator.Handle({Incoming(again)}).status.ok());
  CHECK(CancelRequested(saga, store, order));
  CHECK(q("SELECT count(*) FROM saga.early_cancels") == "0");
  CHECK(q("SELECT count(*) FROM saga.sagas WHERE order_id = '" + order + "'") == "1");
  CHECK(q("SELECT count(*) FROM saga.outbox WHERE message_key = '" + order + "'") == "1");  // one ReserveStock
}

TEST_CASE("a cancel handled while another coordinator is starting its order's saga reaches that saga",
          "[pg]") {
  // Coordinator A's batch starts the saga of `order` and stalls before it
  // commits (a paused process that the group has already replaced). B, in
  // the group's new assignment, gets the cancel: alone, or after that
  // OrderCreated again (re-read from the last committed offset). Either way
  // the cancel must end on the saga A commits, not parked as a cancel that
  // came before any saga (nothing would read it again).
  const bool with_created_again = GENERATE(false, true);
  CAPTURE(with_created_again);
  Node saga("saga", SagaMigrations());
  PgStore store;
  CoordinatorOptions a_options;
  a_options.topics.prefix = UniqueName("p") + ".";
  CoordinatorOptions b_options = a_options;
  std::promise<void> a_stalled;
  std::promise<void> a_resume;
  std::shared_future<void> resume = a_resume.get_future().share();
  std::atomic<int> hook_runs{0};
  a_options.before_insert = [&] {
    if (hook_runs.fetch_add(1) != 0) return;
    a_stalled.set_value();
    resume.wait();
  };
  Coordinator a(*saga.pool, store, a_options, [] { return absl::Now(); }, [] { return NewUuid(); });
  rt::pg::Pool b_pool(saga.db.ServiceOptions(), 1);
  Coordinator b(b_pool, store, b_options, [] { return absl::Now(); }, [] { return NewUuid(); });
  auto q = [&](const std::string& sql) { return saga.db.QueryAsSuper(sql); };

  const std::string order = NewUuid();
  const rt::messaging::Envelope created = Created(order);
  rt::kafka::BatchResult a_result;
  std::thread a_thread([&] { a_result = a.Handle({Incoming(created)}); });
  a_stalled.get_future().wait();
  std::vector<rt::kafka::IncomingMessage> b_batch;
  if (with_created_again) b_batch.push_back(Incoming(created));
  b_batch.push_back(Incoming(CancelOf(order)));
  std::atomic<bool> b_done{false};
  rt::kafka::BatchResult b_result;
  std::thread b_thread([&] {
    b_result = b.Handle(b_batch);
    b_done = true;
  });
  // Let B run until it has finished or waits for a lock (up to 5 s), then
  // let A commit.
  for (int i = 0; i < 500 && !b_done; ++i) {
    if (q("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") !=
        "0") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  a_resume.set_value();
  a_thread.join();
  b_thread.join();
  REQUIRE(a_result.status.ok());
  REQUIRE(b_result.status.ok());
  CHECK(b_result.handled == b_batch.size());
  CHECK(q("SELECT count(*) FROM saga.sagas WHERE order_id = '" + order + "'") == "1");
  CHECK(CancelRequested(saga, store, order));
  CHECK(q("SELECT count(*) FROM saga.early_cancels") == "0");
  CHECK(q("SELECT count(*) FROM saga.outbox WHERE message_key = '" + order + "'") == "1");  // one ReserveStock
}

}  // namespace
}  // namespace agora::saga

namespace agora::saga {
namespace {

TEST_CASE("the in-flight gauges read the running sagas through an index, not the whole history", "[pg]") {
  Node saga("saga", SagaMigrations());
  // 20,000 ended sagas and 3 running ones.
  saga.db.QueryAsSuper(
      "INSERT INTO saga.sagas (id, order_id, type, status, record, started_at, updated_at) "
      "SELECT gen_random_uuid(), gen_random_uuid(), 'PLACE_ORDER', "
      "CASE WHEN g <= 3 THEN 'RUNNING' ELSE 'COMPLETED' END, '\\x00', now() - g * interval '1 second', now() "
      "FROM generate_series(1, 20000) g");
  saga.db.QueryAsSuper("ANALYZE saga.sagas");
  PgStore store;
  std::vector<PgStore::Running> running;
  REQUIRE(saga.pool->Read([&](rt::pg::Tx& tx) -> absl::Status {
    running = store.CountRunning(tx);
    return absl::OkStatus();
  }).ok());
  REQUIRE(running.size() == 1);
  CHECK(running[0].count == 3);
  CHECK(running[0].oldest_age_seconds >= 3);
  CHECK(running[0].oldest_age_seconds < 60);
  const std::string plan = saga.db.QueryAsSuper(
      "EXPLAIN (FORMAT JSON) SELECT type, count(*), "
      "COALESCE(extract(epoch FROM now() - min(started_at)), 0)::float8 FROM saga.sagas "
      "WHERE status IN ('RUNNING', 'COMPENSATING') GROUP BY type");
  INFO(plan);
  CHECK(plan.find("sagas_running") != std::string::npos);
  CHECK(plan.find("Seq Scan") == std::string::npos);
}

}  // namespace
}  // namespace agora::saga
