// Inventory's saga commands through Kafka: a command produced to
// agora.saga.commands.inventory, the StepReply read from agora.saga.replies,
// against the real PostgreSQL and the dev broker.

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "inventory/participant.h"
#include "inventory/pg_store.h"
#include "runtime/ids/uuid.h"
#include "tests/support/participant_fixture.h"

namespace agora::inventory {
namespace {

namespace saga = agora::saga::v1;
using agora::testing::Eventually;
using agora::testing::ParticipantFixture;
using agora::testing::ReceivedReply;
using runtime::ids::NewUuid;

constexpr char kReserve[] = "agora.saga.v1.ReserveStockCommand";

class Inventory final {
 public:
  explicit Inventory(int batch_size = 64) : f_("inventory", InventoryMigrations(), batch_size) {
    store_ = std::make_unique<PgStore>(f_.pool());
    f_.Start([this](runtime::messaging::CommandHandler& h) { RegisterSagaCommands(h, *store_); });
  }

  ParticipantFixture& f() { return f_; }
  PgStore& store() { return *store_; }

  std::string Product(int64_t stock) {
    const std::string id = NewUuid();
    f_.Query(absl::StrCat("INSERT INTO inventory.products (id, sku, name, price_cents, stock) VALUES ('",
                          id, "', '", id, "', 'p', 100, ", stock, ")"));
    return id;
  }
  int64_t Stock(const std::string& id) {
    return std::stoll(f_.Query("SELECT stock FROM inventory.products WHERE id = '" + id + "'"));
  }
  int64_t Held(const std::string& id) {
    return std::stoll(f_.Query("SELECT held FROM inventory.products WHERE id = '" + id + "'"));
  }

  runtime::messaging::Envelope Reserve(const std::string& order,
                                       const std::vector<std::pair<std::string, int64_t>>& lines) {
    return f_.wire().Send("inventory", order, ReserveCommand(order, lines));
  }
  runtime::messaging::Envelope Release(const std::string& order) {
    return f_.wire().Send("inventory", order, ReleaseCommand(order));
  }
  static saga::ReserveStockCommand ReserveCommand(
      const std::string& order, const std::vector<std::pair<std::string, int64_t>>& lines) {
    saga::ReserveStockCommand c;
    c.set_order_id(order);
    for (const auto& [product, quantity] : lines) {
      saga::StockLine* l = c.add_lines();
      l->set_product_id(product);
      l->set_quantity(quantity);
    }
    return c;
  }
  static saga::ReleaseStockCommand ReleaseCommand(const std::string& order) {
    saga::ReleaseStockCommand c;
    c.set_order_id(order);
    return c;
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

TEST_CASE("a reserve command holds the stock and is answered; a release gives it back",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  const std::string b = inv.Product(5);
  const std::string order = NewUuid();
  const auto reserve = inv.Reserve(order, {{a, 3}, {b, 5}});
  std::vector<ReceivedReply> replies = inv.f().wire().RepliesTo(reserve.message_id());
  REQUIRE(replies.size() == 1);
  const ReceivedReply& r = replies[0];
  CHECK(r.reply.success());
  CHECK(r.reply.order_id() == order);
  CHECK(r.reply.command() == kReserve);
  CHECK(r.reply.error().empty());
  CHECK(r.key == order);
  CHECK(r.envelope.saga_id() == "saga-test");
  CHECK(r.envelope.causation_id() == reserve.message_id());
  CHECK(r.envelope.traceparent() == reserve.traceparent());
  CHECK(inv.Stock(a) == 7);
  CHECK(inv.Held(a) == 3);
  CHECK(inv.Stock(b) == 0);
  CHECK(inv.Held(b) == 5);

  const auto release = inv.Release(order);
  const saga::StepReply released = inv.ReplyTo(release);
  CHECK(released.success());
  CHECK(released.command() == "agora.saga.v1.ReleaseStockCommand");
  CHECK(inv.Stock(a) == 10);
  CHECK(inv.Held(a) == 0);
  CHECK(inv.Stock(b) == 5);
  // A second release (new message id) changes nothing and still succeeds.
  CHECK(inv.ReplyTo(inv.Release(order)).success());
  CHECK(inv.Stock(a) == 10);
}

TEST_CASE("a product deleted after the order was placed is still reserved for it and released back; "
          "an order that never held it is refused PRODUCT_UNAVAILABLE",
          "[pg][kafka]") {
  Inventory inv;
  const std::string live = inv.Product(10);
  const std::string gone = inv.Product(10);
  REQUIRE(inv.store().DeleteProduct(gone).ok());
  auto command = [&](const std::string& order, bool on_sale) {
    saga::ReserveStockCommand c = Inventory::ReserveCommand(order, {{live, 1}, {gone, 2}});
    for (saga::StockLine& l : *c.mutable_lines()) l.set_on_sale(on_sale);
    return inv.f().wire().Send("inventory", order, c);
  };
  // Placed before the deletion: orders priced both lines.
  const std::string held = NewUuid();
  CHECK(inv.ReplyTo(command(held, true)).success());
  CHECK(inv.Stock(gone) == 8);
  CHECK(inv.Held(gone) == 2);
  CHECK(inv.Stock(live) == 9);
  // Placed after it: orders found no price, the line is not on sale.
  const std::string late = NewUuid();
  const saga::StepReply refused = inv.ReplyTo(command(late, false));
  CHECK_FALSE(refused.success());
  CHECK(refused.error() == "PRODUCT_UNAVAILABLE");
  CHECK(inv.Stock(gone) == 8);
  CHECK(inv.Stock(live) == 9);
  // The held units come back to the deleted product, which stays deleted.
  CHECK(inv.ReplyTo(inv.Release(held)).success());
  CHECK(inv.Stock(gone) == 10);
  CHECK(inv.Held(gone) == 0);
  CHECK(inv.Stock(live) == 10);
  CHECK(inv.f().Query("SELECT deleted_at IS NOT NULL FROM inventory.products WHERE id = '" + gone + "'") == "t");
}

TEST_CASE("business refusals are failure replies with a domain code, and take nothing",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(2);
  const std::string b = inv.Product(50);

  saga::StepReply r = inv.ReplyTo(inv.Reserve(NewUuid(), {{b, 10}, {a, 3}}));
  CHECK_FALSE(r.success());
  CHECK(r.error() == "OUT_OF_STOCK");
  r = inv.ReplyTo(inv.Reserve(NewUuid(), {{b, 1}, {NewUuid(), 1}}));
  CHECK(r.error() == "PRODUCT_UNAVAILABLE");
  r = inv.ReplyTo(inv.Reserve(NewUuid(), {}));
  CHECK(r.error() == "INVALID_LINES");
  r = inv.ReplyTo(inv.Reserve(NewUuid(), {{"not-a-uuid", 1}}));
  CHECK(r.error() == "INVALID_LINES");
  r = inv.ReplyTo(inv.Reserve(NewUuid(), {{b, 0}}));
  CHECK(r.error() == "INVALID_LINES");
  r = inv.ReplyTo(inv.Reserve("not-an-order-id", {{b, 1}}));
  CHECK(r.error() == "INVALID_LINES");
  // Nothing moved: all or nothing.
  CHECK(inv.Stock(a) == 2);
  CHECK(inv.Stock(b) == 50);
  CHECK(inv.Held(b) == 0);
  // A release of an order that never reserved, even a malformed id, succeeds.
  CHECK(inv.ReplyTo(inv.Release("not-an-order-id")).success());
}

TEST_CASE("a command delivered twice changes stock once and answers the same reply twice",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  const std::string order = NewUuid();
  const auto reserve = inv.Reserve(order, {{a, 4}});
  inv.f().wire().Resend("inventory", order, reserve);
  std::vector<ReceivedReply> replies = inv.f().wire().RepliesTo(reserve.message_id(), 2);
  REQUIRE(replies.size() == 2);
  // The stored reply again: the same message, so the coordinator's inbox drops it.
  CHECK(replies[0].envelope.message_id() == replies[1].envelope.message_id());
  CHECK(replies[0].reply.SerializeAsString() == replies[1].reply.SerializeAsString());
  CHECK(replies[1].reply.success());
  CHECK(inv.Stock(a) == 6);
  CHECK(inv.Held(a) == 4);

  // A refused command delivered twice answers its refusal twice.
  const auto poor = inv.Reserve(NewUuid(), {{a, 100}});
  inv.f().wire().Resend("inventory", poor.message_id(), poor);
  replies = inv.f().wire().RepliesTo(poor.message_id(), 2);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].reply.error() == "OUT_OF_STOCK");
  CHECK(replies[1].reply.error() == "OUT_OF_STOCK");
  CHECK(inv.Stock(a) == 6);
  CHECK(inv.f().Query("SELECT count(*) FROM inventory.inbox") == "2");
}

TEST_CASE("a release delivered before its reserve leaves a tombstone; the late reserve is refused",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  const std::string order = NewUuid();
  CHECK(inv.ReplyTo(inv.Release(order)).success());
  const saga::StepReply late = inv.ReplyTo(inv.Reserve(order, {{a, 4}}));
  CHECK_FALSE(late.success());
  CHECK(late.error() == "RELEASED");
  CHECK(inv.Stock(a) == 10);
  CHECK(inv.Held(a) == 0);
}

TEST_CASE("an unreadable message lands in the .dlq twin with its reason and the partition goes on",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  const std::string order = NewUuid();
  const std::string topic = inv.f().wire().topics().Commands("inventory");
  agora::testing::TopicReader dlq(topic + ".dlq");
  // Same key, so the same partition: the good command comes after the bad ones.
  inv.f().wire().SendRaw(topic, order, "this is not an envelope");
  inv.f().wire().Send("inventory", order, saga::ApproveOrderCommand());  // not inventory's
  runtime::messaging::Envelope garbled = runtime::messaging::Wrap(Inventory::ReleaseCommand(order));
  garbled.set_payload("\xff\xff not a ReleaseStockCommand");
  inv.f().wire().Resend("inventory", order, garbled);
  const auto reserve = inv.Reserve(order, {{a, 1}});
  CHECK(inv.ReplyTo(reserve).success());
  REQUIRE(dlq.WaitFor(3));
  const auto dead = dlq.Messages();
  CHECK(dead[0].value == "this is not an envelope");
  auto header = [](const runtime::kafka::IncomingMessage& m, const std::string& name) {
    for (const auto& [k, v] : m.headers) {
      if (k == name) return v;
    }
    return std::string();
  };
  CHECK(header(dead[0], "agora-dlq-error").find("not an envelope") != std::string::npos);
  CHECK(header(dead[0], "agora-dlq-source").rfind(topic + "/", 0) == 0);
  CHECK(header(dead[1], "agora-dlq-error").find("ApproveOrderCommand") != std::string::npos);
  CHECK(header(dead[2], "agora-dlq-error").find("does not parse") != std::string::npos);
  CHECK(inv.Stock(a) == 9);
}

TEST_CASE("a compensation whose effect fails is never dead-lettered: retried until it passes",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  const std::string order = NewUuid();
  REQUIRE(inv.ReplyTo(inv.Reserve(order, {{a, 4}})).success());
  // Rows written by something that did not count what it held (say, an
  // older binary): giving the units back breaks held >= 0, every time.
  inv.f().Query("UPDATE inventory.products SET held = 0, stock = 6 WHERE id = '" + a + "'");
  const std::string topic = inv.f().wire().topics().Commands("inventory");
  agora::testing::TopicReader dlq(topic + ".dlq");
  const auto release = inv.Release(order);
  CHECK(inv.f().wire().RepliesTo(release.message_id(), 1, 3).empty());
  // Repaired, the same command goes through: nothing was lost.
  inv.f().Query("UPDATE inventory.products SET held = 4 WHERE id = '" + a + "'");
  CHECK(inv.ReplyTo(release).success());
  CHECK(inv.Stock(a) == 10);
  CHECK(inv.Held(a) == 0);
  CHECK(dlq.Messages().empty());
}

TEST_CASE("a reservation whose effect faults in a batch of reservations holds back only itself and those "
          "after it: the ones before it commit",
          "[pg][kafka]") {
  Inventory inv;
  const std::string a = inv.Product(10);
  std::vector<std::string> orders;
  for (int i = 0; i < 5; ++i) orders.push_back(NewUuid());
  const std::string poison = orders[2];
  // A fault of the third order's own, every time (what rows an older binary
  // left inconsistent would do): a trigger refuses its reservation's insert.
  inv.f().Query(
      "CREATE FUNCTION public.poison_reservation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.order_id = '" + poison + "' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$");
  inv.f().Query(
      "CREATE TRIGGER poison BEFORE INSERT ON inventory.reservations FOR EACH ROW "
      "EXECUTE FUNCTION public.poison_reservation()");
  // The handler fed by hand: five reservations of one unit, one batch, so
  // that they are one run of the set-based effect.
  runtime::messaging::CommandHandler handler(inv.f().pool(), inv.f().wire().topics().Replies());
  RegisterSagaCommands(handler, inv.store());
  std::vector<runtime::kafka::IncomingMessage> batch;
  for (const std::string& o : orders) {
    runtime::kafka::IncomingMessage m;
    m.key = o;
    m.value = runtime::messaging::Wrap(Inventory::ReserveCommand(o, {{a, 1}}), {NewUuid(), "", ""})
                  .SerializeAsString();
    batch.push_back(std::move(m));
  }
  runtime::kafka::BatchResult r = handler.Handle(batch);
  CHECK(r.handled == 2);
  CHECK(r.status.code() == absl::StatusCode::kUnavailable);
  CHECK(inv.Held(a) == 2);
  // The rest, again: the poisoned one first holds them back, never
  // dead-lettered.
  const std::vector<runtime::kafka::IncomingMessage> rest(batch.begin() + 2, batch.end());
  r = handler.Handle(rest);
  CHECK(r.handled == 0);
  CHECK(r.status.code() == absl::StatusCode::kUnavailable);
  CHECK(inv.Held(a) == 2);
  // Repaired, all of it passes.
  inv.f().Query("DROP TRIGGER poison ON inventory.reservations");
  r = handler.Handle(rest);
  CHECK(r.handled == 3);
  CHECK(r.status.ok());
  CHECK(inv.Held(a) == 5);
  CHECK(inv.Stock(a) == 5);
}

TEST_CASE("a release cannot overflow: restocks leave room for what is held", "[pg][kafka]") {
  Inventory inv;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::string a = inv.Product(1000);
  const std::string order = NewUuid();
  REQUIRE(inv.ReplyTo(inv.Reserve(order, {{a, 1000}})).success());
  // Stock 0, 1000 held: a restock into that room is refused...
  CHECK(inv.store().Restock(a, kMax - 999, {}).status().code() == absl::StatusCode::kOutOfRange);
  // ... one that leaves exactly the room passes ...
  REQUIRE(inv.store().Restock(a, kMax - 1000, {}).ok());
  // ... and the release still lands, at the very top.
  CHECK(inv.ReplyTo(inv.Release(order)).success());
  CHECK(inv.Stock(a) == kMax);
  CHECK(inv.Held(a) == 0);
}

// Per product: initial stock = stock + held, and held = the units of the
// RESERVED reservations; nothing negative.
void CheckStockConserved(Inventory& inv, const std::map<std::string, int64_t>& initial) {
  for (const auto& [id, units] : initial) {
    INFO(id);
    CHECK(inv.Stock(id) + inv.Held(id) == units);
    CHECK(inv.Stock(id) >= 0);
    const std::string held = inv.f().Query(
        "SELECT COALESCE(sum(l.quantity), 0) FROM inventory.reservation_lines l "
        "JOIN inventory.reservations r ON r.order_id = l.order_id "
        "WHERE r.state = 'RESERVED' AND l.product_id = '" + id + "'");
    CHECK(std::stoll(held) == inv.Held(id));
  }
}

TEST_CASE("1,000 random commands with duplicates and reorderings conserve every product's stock",
          "[pg][kafka]") {
  Inventory inv;
  std::mt19937 rng(20261206);
  std::map<std::string, int64_t> initial;
  std::vector<std::string> products;
  for (int i = 0; i < 6; ++i) {
    const int64_t units = 20 + static_cast<int64_t>(rng() % 40);
    products.push_back(inv.Product(units));
    initial[products.back()] = units;
  }
  std::vector<std::string> orders;
  for (int i = 0; i < 250; ++i) orders.push_back(NewUuid());
  std::vector<std::pair<std::string, runtime::messaging::Envelope>> sent;  // (order, command)
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    if (!sent.empty() && rng() % 6 == 0) {
      sent.push_back(sent[rng() % sent.size()]);  // a duplicate, possibly far behind its first
      continue;
    }
    const std::string& order = orders[rng() % orders.size()];
    runtime::messaging::Envelope e;
    if (rng() % 3 == 0) {
      e = runtime::messaging::Wrap(Inventory::ReleaseCommand(order), {order, "", ""});
    } else {
      std::vector<std::pair<std::string, int64_t>> lines;
      const size_t n = 1 + rng() % 3;
      const size_t first = rng() % products.size();
      for (size_t k = 0; k < n; ++k) {
        lines.push_back({products[(first + k) % products.size()], 1 + static_cast<int64_t>(rng() % 8)});
      }
      e = runtime::messaging::Wrap(Inventory::ReserveCommand(order, lines), {order, "", ""});
    }
    ids.push_back(e.message_id());
    sent.push_back({order, e});
  }
  // Every command answered (duplicates at least once more).
  REQUIRE(inv.f().wire().SendShuffledAndAwait("inventory", sent, ids, 1206));
  CheckStockConserved(inv, initial);
  // Batches of different partitions ran at once over the same few products:
  // locked up front in one order, they never deadlocked.
  inv.f().Stop();
  CHECK(inv.f().Query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") == "0");
  // Each command was applied once: one inbox row per distinct command.
  CHECK(std::stoi(inv.f().Query("SELECT count(*) FROM inventory.inbox")) == static_cast<int>(ids.size()));
  // Each order either holds its lines (RESERVED) or nothing.
  CHECK(inv.f().Query("SELECT count(*) FROM inventory.reservation_lines l JOIN inventory.reservations r "
                      "ON r.order_id = l.order_id WHERE r.state <> 'RESERVED'") ==
        inv.f().Query("SELECT count(*) FROM inventory.reservation_lines l JOIN inventory.reservations r "
                      "ON r.order_id = l.order_id WHERE r.state = 'RELEASED'"));
}

TEST_CASE("a batch of reservations ends exactly as the same reservations one by one: answers, stock, held, "
          "lines and states",
          "[pg][kafka]") {
  Inventory inv;
  std::mt19937 rng(20261207);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  // Two worlds of the same shape: A gets the batch, B the one-by-one calls.
  struct World {
    std::vector<std::string> products, orders;
  };
  int checked_batches = 0, repeats = 0, reserved = 0, refused = 0;
  for (int round = 0; round < 30; ++round) {
    World a, b;
    for (int i = 0; i < 4; ++i) {
      a.products.push_back(inv.Product(0));
      b.products.push_back(inv.Product(0));
    }
    // Index i is the i-th smallest id in both worlds: lines sorted by id
    // come in the same order, so "the first failing line" is the same one.
    std::sort(a.products.begin(), a.products.end());
    std::sort(b.products.begin(), b.products.end());
    for (size_t i = 0; i < 4; ++i) {
      const std::string both = "('" + a.products[i] + "', '" + b.products[i] + "')";
      inv.f().Query("UPDATE inventory.products SET stock = " + std::to_string(pick(7)) + " WHERE id IN " + both);
      if (pick(6) == 0) inv.f().Query("UPDATE inventory.products SET deleted_at = now() WHERE id IN " + both);
    }
    for (int i = 0; i < 6; ++i) {
      a.orders.push_back(NewUuid());
      b.orders.push_back(NewUuid());
    }
    auto lines_of = [](const World& w, const std::vector<std::pair<int, int64_t>>& spec) {
      std::vector<StockLine> lines;
      // Some lines held by their order before a deletion (on_sale), some not.
      for (const auto& [p, q] : spec) lines.push_back({w.products[static_cast<size_t>(p)], q, (p + q) % 2 == 0});
      std::sort(lines.begin(), lines.end(),
                [](const StockLine& x, const StockLine& y) { return x.product_id < y.product_id; });
      return lines;
    };
    auto random_spec = [&] {
      std::vector<std::pair<int, int64_t>> spec;
      const int first = pick(4);
      for (int k = 0, n = 1 + pick(3); k < n; ++k) spec.push_back({(first + k) % 4, 1 + pick(4)});
      return spec;
    };
    // Earlier history, the same in both worlds: reservations and releases
    // (tombstones among them).
    for (int i = 0; i < 3; ++i) {
      const int o = pick(6);
      const bool release = pick(2) == 0;
      const auto spec = random_spec();
      for (const World* w : {&a, &b}) {
        REQUIRE(inv.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
          if (release) {
            inv.store().ReleaseIn(tx, w->orders[static_cast<size_t>(o)]);
          } else {
            inv.store().ReserveIn(tx, w->orders[static_cast<size_t>(o)], lines_of(*w, spec));
          }
          return absl::OkStatus();
        }).ok());
      }
    }
    // The batch: orders repeat within it (a later command of an order
    // answers what the first decided).
    std::vector<std::pair<int, std::vector<std::pair<int, int64_t>>>> batch;
    for (int i = 0, n = 1 + pick(10); i < n; ++i) batch.push_back({pick(6), random_spec()});
    auto requests = [&](const World& w) {
      std::vector<std::pair<std::string, std::vector<StockLine>>> r;
      for (const auto& [o, spec] : batch) r.emplace_back(w.orders[static_cast<size_t>(o)], lines_of(w, spec));
      return r;
    };
    std::vector<ReserveResult> batched, one_by_one;
    REQUIRE(inv.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      inv.store().LockProducts(tx, a.products, {});
      batched = inv.store().ReserveBatchIn(tx, requests(a));
      return absl::OkStatus();
    }).ok());
    REQUIRE(inv.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      one_by_one.clear();
      for (const auto& [order, lines] : requests(b)) one_by_one.push_back(inv.store().ReserveIn(tx, order, lines));
      return absl::OkStatus();
    }).ok());
    INFO("round " << round);
    REQUIRE(batched.size() == one_by_one.size());
    auto product_index = [](const World& w, const std::string& id) {
      for (size_t i = 0; i < w.products.size(); ++i) {
        if (w.products[i] == id) return static_cast<int>(i);
      }
      return -1;
    };
    for (size_t i = 0; i < batched.size(); ++i) {
      CHECK(static_cast<int>(batched[i].outcome) == static_cast<int>(one_by_one[i].outcome));
      CHECK(batched[i].repeat == one_by_one[i].repeat);
      CHECK(product_index(a, batched[i].product_id) == product_index(b, one_by_one[i].product_id));
      repeats += one_by_one[i].repeat ? 1 : 0;
      reserved += one_by_one[i].outcome == ReserveOutcome::kReserved && !one_by_one[i].repeat ? 1 : 0;
      refused += one_by_one[i].outcome != ReserveOutcome::kReserved ? 1 : 0;
    }
    for (size_t p = 0; p < 4; ++p) {
      CHECK(inv.Stock(a.products[p]) == inv.Stock(b.products[p]));
      CHECK(inv.Held(a.products[p]) == inv.Held(b.products[p]));
    }
    for (size_t o = 0; o < 6; ++o) {
      auto row = [&inv](const World& w, size_t o) {
        return inv.f().Query("SELECT concat_ws('/', state, outcome, failed_product_id IS NOT NULL, "
                             "(SELECT count(*) || ':' || COALESCE(sum(quantity), 0) FROM inventory.reservation_lines l "
                             "WHERE l.order_id = r.order_id)) FROM inventory.reservations r WHERE order_id = '" +
                             w.orders[o] + "'");
      };
      CHECK(row(a, o) == row(b, o));
    }
    ++checked_batches;
  }
  CHECK(checked_batches == 30);
  // The random batches met each case.
  CHECK(repeats > 10);
  CHECK(reserved > 10);
  CHECK(refused > 10);
}

}  // namespace
}  // namespace agora::inventory
