// Customers' saga commands through Kafka: DebitBalance and RefundBalance
// produced to agora.saga.commands.customers, StepReplies read from
// agora.saga.replies, against the real PostgreSQL and the dev broker.

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "customers/participant.h"
#include "customers/pg_store.h"
#include "runtime/ids/uuid.h"
#include "tests/support/participant_fixture.h"

namespace agora::customers {
namespace {

namespace saga = agora::saga::v1;
using agora::testing::Eventually;
using agora::testing::ParticipantFixture;
using agora::testing::ReceivedReply;
using runtime::ids::NewUuid;

class Customers final {
 public:
  explicit Customers(int batch_size = 64) : f_("customers", CustomersMigrations(), batch_size) {
    store_ = std::make_unique<PgStore>(f_.pool());
    f_.Start([this](runtime::messaging::CommandHandler& h) { RegisterSagaCommands(h, *store_); });
  }

  ParticipantFixture& f() { return f_; }
  PgStore& store() { return *store_; }

  // A customer whose balance came from one top-up (so balance = ledger sum).
  std::string Customer(int64_t balance) {
    const std::string id = NewUuid();
    f_.Query(absl::StrCat("INSERT INTO customers.customers (id, email, display_name, password_hash, "
                          "balance_cents) VALUES ('", id, "', '", id, "@example.com', 'c', 'x', ", balance,
                          ")"));
    // Two days ago: outside the demo top-up cap's window.
    f_.Query(absl::StrCat("INSERT INTO customers.ledger (id, customer_id, kind, amount_cents, created_at) "
                          "VALUES ('", NewUuid(), "', '", id, "', 'TOP_UP', ", balance,
                          ", now() - interval '2 days')"));
    return id;
  }
  int64_t Balance(const std::string& id) {
    return std::stoll(f_.Query("SELECT balance_cents FROM customers.customers WHERE id = '" + id + "'"));
  }
  int64_t Rows(const std::string& count_query) { return std::stoll(f_.Query(count_query)); }
  int64_t LedgerSum(const std::string& id, const std::string& kind = "") {
    return std::stoll(f_.Query("SELECT COALESCE(sum(amount_cents), 0) FROM customers.ledger WHERE customer_id = '" +
                               id + "'" + (kind.empty() ? "" : " AND kind = '" + kind + "'")));
  }
  void AddToCart(const std::string& customer, const std::string& product, int quantity) {
    REQUIRE(store_->SetCartItem(customer, product, quantity).ok());
  }
  std::map<std::string, int> Cart(const std::string& customer) {
    std::map<std::string, int> out;
    auto lines = store_->GetCart(customer);
    REQUIRE(lines.ok());
    for (const CartLine& l : *lines) out[l.product_id] = l.quantity;
    return out;
  }

  static saga::DebitBalanceCommand DebitCommand(const std::string& order, const std::string& customer,
                                                int64_t amount, bool from_cart = false,
                                                const std::vector<std::pair<std::string, int>>& lines = {}) {
    saga::DebitBalanceCommand c;
    c.set_order_id(order);
    c.set_customer_id(customer);
    c.set_amount_cents(amount);
    c.set_from_cart(from_cart);
    for (const auto& [p, q] : lines) {
      saga::StockLine* l = c.add_lines();
      l->set_product_id(p);
      l->set_quantity(q);
    }
    return c;
  }
  static saga::RefundBalanceCommand RefundCommand(const std::string& order, const std::string& customer,
                                                  bool restore_cart = false) {
    saga::RefundBalanceCommand c;
    c.set_order_id(order);
    c.set_customer_id(customer);
    c.set_restore_cart(restore_cart);
    return c;
  }
  runtime::messaging::Envelope Send(const std::string& order, const google::protobuf::Message& c) {
    return f_.wire().Send("customers", order, c);
  }
  saga::StepReply ReplyTo(const runtime::messaging::Envelope& command) {
    std::vector<ReceivedReply> r = f_.wire().RepliesTo(command.message_id());
    REQUIRE(r.size() >= 1);
    return r[0].reply;
  }

 private:
  ParticipantFixture f_;
  std::unique_ptr<PgStore> store_;
};

TEST_CASE("a debit command takes the order's total and a refund gives it back, each answered",
          "[pg][kafka]") {
  Customers c;
  const std::string ann = c.Customer(1000);
  const std::string order = NewUuid();
  const saga::StepReply debited = c.ReplyTo(c.Send(order, Customers::DebitCommand(order, ann, 300)));
  CHECK(debited.success());
  CHECK(debited.command() == "agora.saga.v1.DebitBalanceCommand");
  REQUIRE(debited.has_balance_cents());
  CHECK(debited.balance_cents() == 700);
  CHECK(c.Balance(ann) == 700);
  CHECK(c.LedgerSum(ann) == 700);

  const saga::StepReply refunded = c.ReplyTo(c.Send(order, Customers::RefundCommand(order, ann)));
  CHECK(refunded.success());
  CHECK(refunded.balance_cents() == 1000);
  CHECK(c.Balance(ann) == 1000);
  CHECK(c.LedgerSum(ann, "ORDER_REFUND") == 300);
  // A second refund (another message) gives nothing more.
  CHECK(c.ReplyTo(c.Send(order, Customers::RefundCommand(order, ann))).success());
  CHECK(c.Balance(ann) == 1000);
}

TEST_CASE("a free order (total 0) is debited and refunded without moving money or writing ledger rows",
          "[pg][kafka]") {
  Customers c;
  for (const int64_t balance : {int64_t{0}, int64_t{250}}) {
    const std::string ann = c.Customer(balance);
    const std::string order = NewUuid();
    // The reply succeeded with the balance unchanged, no ledger row but the
    // top-up, and the payment in `state`.
    auto moved_nothing = [&](const saga::StepReply& reply, const std::string& state) {
      CHECK(reply.success());
      CHECK(reply.balance_cents() == balance);
      CHECK(c.Balance(ann) == balance);
      CHECK(c.Rows("SELECT count(*) FROM customers.ledger WHERE customer_id = '" + ann + "' AND kind <> 'TOP_UP'") == 0);
      CHECK(c.Rows("SELECT count(*) FROM customers.order_payments WHERE order_id = '" + order + "' AND state = '" +
                   state + "'") == 1);
    };
    moved_nothing(c.ReplyTo(c.Send(order, Customers::DebitCommand(order, ann, 0))), "DEBITED");
    // A repeat of the same order's debit is answered the same, still for free.
    CHECK(c.ReplyTo(c.Send(order, Customers::DebitCommand(order, ann, 0))).success());
    moved_nothing(c.ReplyTo(c.Send(order, Customers::RefundCommand(order, ann))), "REFUNDED");
  }
}

TEST_CASE("debit refusals are failure replies with a domain code and move nothing", "[pg][kafka]") {
  Customers c;
  const std::string bob = c.Customer(100);
  CHECK(c.ReplyTo(c.Send("o", Customers::DebitCommand(NewUuid(), bob, 101))).error() == "INSUFFICIENT_FUNDS");
  CHECK(c.ReplyTo(c.Send("o", Customers::DebitCommand(NewUuid(), NewUuid(), 1))).error() == "UNKNOWN_CUSTOMER");
  CHECK(c.ReplyTo(c.Send("o", Customers::DebitCommand(NewUuid(), "nobody", 1))).error() == "UNKNOWN_CUSTOMER");
  CHECK(c.ReplyTo(c.Send("o", Customers::DebitCommand(NewUuid(), bob, -1))).error() == "INVALID_AMOUNT");
  CHECK(c.ReplyTo(c.Send("o", Customers::DebitCommand(NewUuid(), bob, 10, true))).error() == "INVALID_LINES");
  CHECK(c.Balance(bob) == 100);
  // A refund naming another customer than the payer moves nothing.
  const std::string order = NewUuid();
  REQUIRE(c.ReplyTo(c.Send(order, Customers::DebitCommand(order, bob, 40))).success());
  const std::string eve = c.Customer(0);
  const saga::StepReply stolen = c.ReplyTo(c.Send(order, Customers::RefundCommand(order, eve)));
  CHECK_FALSE(stolen.success());
  CHECK(stolen.error() == "PAYER_MISMATCH");
  CHECK(c.Balance(eve) == 0);
  CHECK(c.Balance(bob) == 60);
}

TEST_CASE("ids in upper case name the same customer and order", "[pg][kafka]") {
  Customers c;
  const std::string ann = c.Customer(500);
  const std::string order = NewUuid();
  auto upper = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  };
  REQUIRE(c.ReplyTo(c.Send(order, Customers::DebitCommand(upper(order), upper(ann), 200))).success());
  CHECK(c.Balance(ann) == 300);
  // The refund names the payer in another case: still the payer.
  const saga::StepReply refunded = c.ReplyTo(c.Send(order, Customers::RefundCommand(order, upper(ann))));
  CHECK(refunded.success());
  CHECK(c.Balance(ann) == 500);
}

TEST_CASE("a debit delivered twice takes the money once and answers the same reply twice",
          "[pg][kafka]") {
  Customers c;
  const std::string ann = c.Customer(500);
  const std::string order = NewUuid();
  const auto debit = c.Send(order, Customers::DebitCommand(order, ann, 200));
  c.f().wire().Resend("customers", order, debit);
  const std::vector<ReceivedReply> replies = c.f().wire().RepliesTo(debit.message_id(), 2);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].envelope.message_id() == replies[1].envelope.message_id());
  CHECK(replies[1].reply.balance_cents() == 300);
  CHECK(c.Balance(ann) == 300);
  CHECK(c.LedgerSum(ann, "ORDER_DEBIT") == -200);
}

TEST_CASE("a refund delivered before its debit leaves a tombstone; the late debit is refused",
          "[pg][kafka]") {
  Customers c;
  const std::string ann = c.Customer(500);
  const std::string order = NewUuid();
  CHECK(c.ReplyTo(c.Send(order, Customers::RefundCommand(order, ann))).success());
  const saga::StepReply late = c.ReplyTo(c.Send(order, Customers::DebitCommand(order, ann, 200)));
  CHECK_FALSE(late.success());
  CHECK(late.error() == "REFUNDED");
  CHECK(c.Balance(ann) == 500);
}

TEST_CASE("a fromCart debit takes only the order's lines out of the cart; a rejected order's "
          "refund puts them back",
          "[pg][kafka]") {
  Customers c;
  const std::string ann = c.Customer(10000);
  const std::string kettle = NewUuid();
  const std::string mug = NewUuid();
  const std::string tea = NewUuid();
  c.AddToCart(ann, kettle, 1);
  c.AddToCart(ann, mug, 2);
  // Order 1 took the cart as it was; order 2 too, a moment later, after the
  // customer raised the mugs to 5 and added tea during the first saga.
  const std::string first = NewUuid();
  const std::string second = NewUuid();
  c.AddToCart(ann, mug, 5);
  c.AddToCart(ann, tea, 1);
  REQUIRE(c.ReplyTo(c.Send(first, Customers::DebitCommand(first, ann, 100, true, {{kettle, 1}, {mug, 2}})))
              .success());
  CHECK(c.Cart(ann) == std::map<std::string, int>{{mug, 3}, {tea, 1}});
  REQUIRE(c.ReplyTo(c.Send(second, Customers::DebitCommand(second, ann, 100, true, {{mug, 3}})))
              .success());
  CHECK(c.Cart(ann) == std::map<std::string, int>{{tea, 1}});

  // A refused debit leaves the cart as it was.
  const std::string poor = NewUuid();
  CHECK(c.ReplyTo(c.Send(poor, Customers::DebitCommand(poor, ann, 1000000, true, {{tea, 1}})))
            .error() == "INSUFFICIENT_FUNDS");
  CHECK(c.Cart(ann) == std::map<std::string, int>{{tea, 1}});

  // The second order is rejected after its debit (say, timed out): its lines come back.
  REQUIRE(c.ReplyTo(c.Send(second, Customers::RefundCommand(second, ann, /*restore_cart=*/true))).success());
  CHECK(c.Cart(ann) == std::map<std::string, int>{{mug, 3}, {tea, 1}});
  // A cancelled order's refund does not fill the cart.
  REQUIRE(c.ReplyTo(c.Send(first, Customers::RefundCommand(first, ann, /*restore_cart=*/false))).success());
  CHECK(c.Cart(ann) == std::map<std::string, int>{{mug, 3}, {tea, 1}});
  CHECK(c.Balance(ann) == 10000);
}

TEST_CASE("a refund cannot overflow: top-ups leave room for what may be refunded", "[pg][kafka]") {
  Customers c;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::string ann = c.Customer(1000);
  const std::string order = NewUuid();
  REQUIRE(c.ReplyTo(c.Send(order, Customers::DebitCommand(order, ann, 1000))).success());
  // Balance 0, 1000 refundable: a top-up into that room is refused...
  auto topped = c.store().TopUp(ann, kMax - 999, "", kMax);
  CHECK(topped.status().code() == absl::StatusCode::kOutOfRange);
  // ... one that leaves exactly the room passes ...
  REQUIRE(c.store().TopUp(ann, kMax - 1000, "", kMax).ok());
  // ... and the refund still lands, at the very top.
  const saga::StepReply refunded = c.ReplyTo(c.Send(order, Customers::RefundCommand(order, ann)));
  CHECK(refunded.success());
  CHECK(c.Balance(ann) == kMax);
}

TEST_CASE("1,000 random debits and refunds with duplicates and reorderings keep every balance "
          "equal to its ledger, never negative",
          "[pg][kafka]") {
  Customers c;
  std::mt19937 rng(61206);
  std::vector<std::string> customers;
  std::map<std::string, int64_t> topped;
  for (int i = 0; i < 5; ++i) {
    const int64_t balance = 500 + static_cast<int64_t>(rng() % 2000);
    customers.push_back(c.Customer(balance));
    topped[customers.back()] = balance;
  }
  struct OrderOf {
    std::string id;
    std::string customer;
    int64_t total;
  };
  std::vector<OrderOf> orders;
  for (int i = 0; i < 250; ++i) {
    orders.push_back({NewUuid(), customers[rng() % customers.size()], 1 + static_cast<int64_t>(rng() % 400)});
  }
  std::vector<std::pair<std::string, runtime::messaging::Envelope>> sent;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    if (!sent.empty() && rng() % 6 == 0) {
      sent.push_back(sent[rng() % sent.size()]);
      continue;
    }
    const OrderOf& o = orders[rng() % orders.size()];
    const runtime::messaging::Envelope e =
        rng() % 3 == 0
            ? runtime::messaging::Wrap(Customers::RefundCommand(o.id, o.customer), {o.id, "", ""})
            : runtime::messaging::Wrap(Customers::DebitCommand(o.id, o.customer, o.total), {o.id, "", ""});
    ids.push_back(e.message_id());
    sent.push_back({o.id, e});
  }
  REQUIRE(c.f().wire().SendShuffledAndAwait("customers", sent, ids, 61206));
  for (const std::string& id : customers) {
    INFO(id);
    const int64_t debits = -c.LedgerSum(id, "ORDER_DEBIT");
    const int64_t refunds = c.LedgerSum(id, "ORDER_REFUND");
    CHECK(c.Balance(id) == c.LedgerSum(id));
    CHECK(c.Balance(id) == topped[id] - debits + refunds);
    CHECK(c.Balance(id) >= 0);
    // What is still debited is exactly what may be refunded.
    CHECK(std::stoll(c.f().Query("SELECT refundable_cents FROM customers.customers WHERE id = '" + id + "'")) ==
          debits - refunds);
  }
  // No order debited twice, and every refund matches its debit.
  CHECK(c.f().Query("SELECT count(*) FROM (SELECT order_id FROM customers.ledger WHERE kind = 'ORDER_DEBIT' "
                    "GROUP BY order_id HAVING count(*) > 1) d") == "0");
  CHECK(c.f().Query("SELECT count(*) FROM customers.ledger r WHERE r.kind = 'ORDER_REFUND' AND NOT EXISTS ("
                    "SELECT 1 FROM customers.ledger d WHERE d.kind = 'ORDER_DEBIT' AND d.order_id = r.order_id "
                    "AND d.amount_cents = -r.amount_cents)") == "0");
  CHECK(std::stoi(c.f().Query("SELECT count(*) FROM customers.inbox")) == static_cast<int>(ids.size()));
  // Batches of different partitions ran at once over the same few customers:
  // locked up front in one order, they never deadlocked.
  c.f().Stop();
  CHECK(c.f().Query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") == "0");
}

TEST_CASE("a batch of debits ends exactly as the same debits one by one: answers, balances, ledger, payments "
          "and carts",
          "[pg][kafka]") {
  Customers cu;
  std::mt19937 rng(20261208);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  // Two worlds of the same shape: A gets the batch, B the one-by-one calls.
  struct World {
    std::vector<std::string> customers, orders, products;
  };
  int debited = 0, short_of_money = 0, repeats = 0, unknown = 0;
  for (int round = 0; round < 30; ++round) {
    World a, b;
    for (int i = 0; i < 3; ++i) {
      const int64_t balance = 100 * pick(6);
      a.customers.push_back(cu.Customer(balance));
      b.customers.push_back(cu.Customer(balance));
    }
    a.customers.push_back(NewUuid());  // never registered
    b.customers.push_back(NewUuid());
    for (int i = 0; i < 5; ++i) {
      a.orders.push_back(NewUuid());
      b.orders.push_back(NewUuid());
    }
    for (int i = 0; i < 2; ++i) {
      a.products.push_back(NewUuid());
      b.products.push_back(NewUuid());
    }
    std::sort(a.products.begin(), a.products.end());  // lines in the same order in both worlds
    std::sort(b.products.begin(), b.products.end());
    for (size_t c = 0; c < 3; ++c) {
      for (size_t p = 0; p < 2; ++p) {
        const int q = pick(4);
        if (q == 0) continue;
        cu.AddToCart(a.customers[c], a.products[p], q);
        cu.AddToCart(b.customers[c], b.products[p], q);
      }
    }
    struct Spec {
      int order, customer;
      int64_t amount;
      bool from_cart;
      std::vector<std::pair<int, int>> lines;
    };
    auto random_spec = [&] {
      Spec s{pick(5), pick(4), 50 * (1 + pick(6)), pick(3) == 0, {}};
      if (s.from_cart) {
        s.lines.push_back({0, 1 + pick(3)});
        if (pick(2) == 0) s.lines.push_back({1, 1 + pick(3)});
      }
      return s;
    };
    auto request = [](const World& w, const Spec& s) {
      DebitRequest r{w.orders[static_cast<size_t>(s.order)], w.customers[static_cast<size_t>(s.customer)], s.amount,
                     s.from_cart, {}};
      for (const auto& [p, q] : s.lines) r.cart_lines.push_back({w.products[static_cast<size_t>(p)], q});
      REQUIRE(NormaliseDebit(&r).ok());
      return r;
    };
    // Earlier history, the same in both worlds: debits and refunds
    // (tombstones among them).
    for (int i = 0; i < 2; ++i) {
      const Spec spec = random_spec();
      const bool refund = pick(2) == 0;
      for (const World* w : {&a, &b}) {
        REQUIRE(cu.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
          const DebitRequest r = request(*w, spec);
          if (refund) {
            cu.store().RefundIn(tx, r.order_id, r.customer_id, false);
          } else {
            cu.store().DebitIn(tx, r);
          }
          return absl::OkStatus();
        }).ok());
      }
    }
    std::vector<Spec> batch;
    for (int i = 0, n = 1 + pick(10); i < n; ++i) batch.push_back(random_spec());
    std::vector<DebitResult> batched, one_by_one;
    REQUIRE(cu.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      std::vector<DebitRequest> requests;
      for (const Spec& s : batch) requests.push_back(request(a, s));
      cu.store().LockCustomers(tx, a.customers);
      batched = cu.store().DebitBatchIn(tx, requests);
      return absl::OkStatus();
    }).ok());
    REQUIRE(cu.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      one_by_one.clear();
      for (const Spec& s : batch) one_by_one.push_back(cu.store().DebitIn(tx, request(b, s)));
      return absl::OkStatus();
    }).ok());
    INFO("round " << round);
    REQUIRE(batched.size() == one_by_one.size());
    for (size_t i = 0; i < batched.size(); ++i) {
      CHECK(static_cast<int>(batched[i].outcome) == static_cast<int>(one_by_one[i].outcome));
      CHECK(batched[i].balance_cents == one_by_one[i].balance_cents);
      debited += one_by_one[i].outcome == DebitOutcome::kDebited ? 1 : 0;
      short_of_money += one_by_one[i].outcome == DebitOutcome::kInsufficientFunds ? 1 : 0;
      unknown += one_by_one[i].outcome == DebitOutcome::kUnknownCustomer ? 1 : 0;
    }
    std::map<int, int> per_order;
    for (const Spec& s : batch) repeats += ++per_order[s.order] > 1 ? 1 : 0;
    for (size_t c = 0; c < 3; ++c) {
      CHECK(cu.Balance(a.customers[c]) == cu.Balance(b.customers[c]));
      CHECK(cu.LedgerSum(a.customers[c]) == cu.LedgerSum(b.customers[c]));
      CHECK(cu.Balance(a.customers[c]) == cu.LedgerSum(a.customers[c]));
      auto ledger = [&cu](const World& w, size_t c) {  // the debits and refunds in order
        return cu.f().Query("SELECT string_agg(kind || ':' || amount_cents, ',' ORDER BY seq) FROM customers.ledger "
                            "WHERE customer_id = '" + w.customers[c] + "' AND kind <> 'TOP_UP'");
      };
      CHECK(ledger(a, c) == ledger(b, c));
      std::map<std::string, int> cart_a = cu.Cart(a.customers[c]), cart_b = cu.Cart(b.customers[c]);
      for (size_t p = 0; p < 2; ++p) CHECK(cart_a[a.products[p]] == cart_b[b.products[p]]);
      CHECK(cart_a.size() == cart_b.size());
    }
    for (size_t o = 0; o < 5; ++o) {
      auto payment = [&cu](const World& w, size_t o) {
        const std::string row = cu.f().Query(
            "SELECT concat_ws('/', state, amount_cents, cart_quantities::text) FROM customers.order_payments "
            "WHERE order_id = '" + w.orders[o] + "'");
        // The payer, as an index of the world's customers.
        const std::string payer = cu.f().Query("SELECT customer_id::text FROM customers.order_payments WHERE order_id = '" +
                                               w.orders[o] + "'");
        for (size_t c = 0; c < w.customers.size(); ++c) {
          if (w.customers[c] == payer) return row + "/" + std::to_string(c);
        }
        return row;
      };
      CHECK(payment(a, o) == payment(b, o));
    }
  }
  // The random batches met each case.
  CHECK(debited > 10);
  CHECK(short_of_money > 10);
  CHECK(repeats > 10);
  CHECK(unknown > 5);
}

}  // namespace
}  // namespace agora::customers
