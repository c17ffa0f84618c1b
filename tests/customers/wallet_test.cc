// Balance, ledger, cart and favourites over real gRPC and PostgreSQL, with
// the concurrency invariants of the issue: money is never created or lost.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/ids/uuid.h"
#include "tests/customers/harness.h"
#include "tests/support/auth.h"

namespace agora::customers {
namespace {

using runtime::ids::NewUuid;

grpc::Status TopUp(Harness& h, const std::string& id, int64_t amount, const std::string& key,
                   int64_t* balance = nullptr) {
  pb::TopUpRequest req;
  req.set_amount_cents(amount);
  req.set_idempotency_key(key);
  pb::TopUpResponse resp;
  auto ctx = h.As(id);
  grpc::Status s = h.stub().TopUp(ctx.get(), req, &resp);
  if (balance != nullptr) *balance = resp.balance_cents();
  return s;
}

pb::DebitBalanceResponse Debit(Harness& h, const std::string& order, const std::string& customer,
                               int64_t amount, bool clear_cart = false,
                               const std::vector<std::pair<std::string, int>>& cart_lines = {}) {
  pb::DebitBalanceRequest req;
  req.set_order_id(order);
  req.set_customer_id(customer);
  req.set_amount_cents(amount);
  req.set_clear_cart(clear_cart);
  for (const auto& [product, quantity] : cart_lines) {
    pb::CartItem* line = req.add_cart_lines();
    line->set_product_id(product);
    line->set_quantity(quantity);
  }
  pb::DebitBalanceResponse resp;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  const grpc::Status s = h.stub().DebitBalance(&ctx, req, &resp);
  REQUIRE(s.ok());
  return resp;
}

int64_t Refund(Harness& h, const std::string& order, const std::string& customer) {
  pb::RefundBalanceRequest req;
  req.set_order_id(order);
  req.set_customer_id(customer);
  pb::RefundBalanceResponse resp;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  const grpc::Status s = h.stub().RefundBalance(&ctx, req, &resp);
  REQUIRE(s.ok());
  return resp.amount_refunded_cents();
}

TEST_CASE("a top-up adds to the balance and writes a ledger row; bad amounts are refused", "[pg]") {
  Harness h;
  const std::string id = h.Register("ann@example.com").id();
  int64_t balance = 0;
  REQUIRE(TopUp(h, id, 2500, "", &balance).ok());
  CHECK(balance == 2500);
  CHECK(TopUp(h, id, 0, "").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(TopUp(h, id, 100000001, "").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.Balance(id) == 2500);
  CHECK(h.LedgerSum(id) == 2500);
}

TEST_CASE("the same top-up key answers the first result; another amount is ALREADY_EXISTS", "[pg]") {
  Harness h;
  const std::string id = h.Register("ben@example.com").id();
  int64_t first = 0, again = 0;
  REQUIRE(TopUp(h, id, 700, "key-1", &first).ok());
  REQUIRE(TopUp(h, id, 300, "", nullptr).ok());
  REQUIRE(TopUp(h, id, 700, "key-1", &again).ok());
  CHECK(first == 700);
  CHECK(again == 700);  // the first answer, not the current balance
  CHECK(TopUp(h, id, 701, "key-1").error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(h.Balance(id) == 1000);
  // Keys are scoped to the customer: another customer may use the same key.
  const std::string other = h.Register("ben2@example.com").id();
  REQUIRE(TopUp(h, other, 50, "key-1", &again).ok());
  CHECK(again == 50);
}

TEST_CASE("50 parallel top-ups with distinct keys all land", "[pg]") {
  Harness h;
  const std::string id = h.Register("cat@example.com").id();
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      if (!TopUp(h, id, 100 + i, absl::StrCat("k", i)).ok()) failed.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed.load() == 0);
  CHECK(h.Balance(id) == 50 * 100 + 49 * 50 / 2);
  CHECK(h.LedgerSum(id) == h.Balance(id));
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.ledger") == "50");
}

TEST_CASE("the same top-up key sent 10 times in parallel lands once", "[pg]") {
  Harness h;
  const std::string id = h.Register("dan@example.com").id();
  std::vector<std::thread> threads;
  std::vector<int64_t> answers(10, -1);
  std::vector<grpc::Status> results(10);  // asserted here: Catch2 asserts on the test's thread only
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] { results[i] = TopUp(h, id, 999, "same", &answers[i]); });
  }
  for (auto& t : threads) t.join();
  for (const grpc::Status& r : results) CHECK(r.ok());
  CHECK(h.Balance(id) == 999);
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.ledger") == "1");
  for (int64_t a : answers) CHECK(a == 999);
}

TEST_CASE("50 parallel debits against a balance covering 20 leave exactly 20 and a zero balance",
          "[pg]") {
  Harness h;
  const std::string id = h.Register("eve@example.com").id();
  REQUIRE(TopUp(h, id, 20 * 150, "").ok());
  std::atomic<int> debited{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      const auto r = Debit(h, NewUuid(), id, 150);
      if (r.outcome() == pb::DebitBalanceResponse::DEBITED) debited.fetch_add(1);
      if (r.outcome() == pb::DebitBalanceResponse::INSUFFICIENT_FUNDS) refused.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(debited.load() == 20);
  CHECK(refused.load() == 30);
  CHECK(h.Balance(id) == 0);
  CHECK(h.LedgerSum(id) == 0);
}

TEST_CASE("debit and refund are idempotent by order; a refund first leaves a tombstone", "[pg]") {
  Harness h;
  const std::string id = h.Register("fox@example.com").id();
  REQUIRE(TopUp(h, id, 1000, "").ok());
  const std::string order = NewUuid();
  CHECK(Debit(h, order, id, 400).outcome() == pb::DebitBalanceResponse::DEBITED);
  CHECK(Debit(h, order, id, 400).outcome() == pb::DebitBalanceResponse::DEBITED);
  CHECK(h.Balance(id) == 600);
  CHECK(Refund(h, order, id) == 400);
  CHECK(Refund(h, order, id) == 0);
  CHECK(h.Balance(id) == 1000);
  CHECK(Debit(h, order, id, 400).outcome() == pb::DebitBalanceResponse::REFUNDED);
  CHECK(h.Balance(id) == 1000);

  const std::string late = NewUuid();
  CHECK(Refund(h, late, id) == 0);  // the compensation overtook the debit
  CHECK(Debit(h, late, id, 100).outcome() == pb::DebitBalanceResponse::REFUNDED);
  CHECK(h.Balance(id) == 1000);

  const std::string poor = NewUuid();
  CHECK(Debit(h, poor, id, 5000).outcome() == pb::DebitBalanceResponse::INSUFFICIENT_FUNDS);
  CHECK(Debit(h, poor, id, 5000).outcome() == pb::DebitBalanceResponse::INSUFFICIENT_FUNDS);
  CHECK(Refund(h, poor, id) == 0);
  CHECK(h.Balance(id) == 1000);
  CHECK(h.LedgerSum(id) == 1000);
}

TEST_CASE("a refund goes back to the customer who paid, never to another", "[pg]") {
  Harness h;
  const std::string payer = h.Register("pay@example.com").id();
  const std::string other = h.Register("oth@example.com").id();
  REQUIRE(TopUp(h, payer, 500, "").ok());
  const std::string order = NewUuid();
  CHECK(Debit(h, order, payer, 200).outcome() == pb::DebitBalanceResponse::DEBITED);
  pb::RefundBalanceRequest req;
  req.set_order_id(order);
  req.set_customer_id(other);
  pb::RefundBalanceResponse resp;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  CHECK(h.stub().RefundBalance(&ctx, req, &resp).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Balance(other) == 0);
  CHECK(Refund(h, order, payer) == 200);
  CHECK(h.Balance(payer) == 500);
}

TEST_CASE("money is conserved under concurrent debits, duplicates and refunds", "[pg]") {
  Harness h;
  const std::string id = h.Register("gil@example.com").id();
  REQUIRE(TopUp(h, id, 10000, "").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 25; ++i) {
        const std::string order = NewUuid();
        const int64_t amount = 50 + static_cast<int64_t>(rng() % 500);
        if (rng() % 5 == 0) Refund(h, order, id);  // a compensation that overtook its debit
        Debit(h, order, id, amount);
        if (rng() % 3 == 0) Debit(h, order, id, amount);
        if (rng() % 2 == 0) Refund(h, order, id);
        if (rng() % 4 == 0) Refund(h, order, id);
      }
    });
  }
  for (auto& th : threads) th.join();
  // Balance == sum of its ledger; debited orders not refunded account for the difference.
  CHECK(h.Balance(id) == h.LedgerSum(id));
  CHECK(h.Balance(id) >= 0);
  const int64_t held = std::stoll(h.db().QueryAsSuper(
      "SELECT COALESCE(sum(amount_cents), 0) FROM customers.order_payments WHERE state = 'DEBITED'"));
  CHECK(h.Balance(id) + held == 10000);
}

TEST_CASE("the ledger lists newest first in exact pages", "[pg]") {
  Harness h;
  const std::string id = h.Register("hil@example.com").id();
  for (int i = 1; i <= 45; ++i) REQUIRE(TopUp(h, id, i, "").ok());
  std::vector<int> sizes;
  std::vector<int64_t> amounts;
  std::string token;
  do {
    pb::ListLedgerRequest req;
    req.set_page_size(20);
    req.set_page_token(token);
    pb::ListLedgerResponse resp;
    auto ctx = h.As(id);
    REQUIRE(h.stub().ListLedger(ctx.get(), req, &resp).ok());
    sizes.push_back(resp.entries_size());
    for (const auto& e : resp.entries()) {
      CHECK(e.kind() == pb::LedgerEntry::TOP_UP);
      amounts.push_back(e.amount_cents());
    }
    token = resp.next_page_token();
  } while (!token.empty());
  CHECK(sizes == std::vector<int>{20, 20, 5});
  REQUIRE(amounts.size() == 45);
  CHECK(amounts.front() == 45);
  CHECK(amounts.back() == 1);
  pb::ListLedgerRequest bad;
  bad.set_page_token("garbage");
  pb::ListLedgerResponse resp;
  auto ctx = h.As(id);
  CHECK(h.stub().ListLedger(ctx.get(), bad, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

// Every ledger page of `id`, pageSize `size`, in order.
std::vector<pb::LedgerEntry> WholeLedger(Harness& h, const std::string& id, int size) {
  std::vector<pb::LedgerEntry> all;
  std::string token;
  do {
    pb::ListLedgerRequest req;
    req.set_page_size(size);
    req.set_page_token(token);
    pb::ListLedgerResponse resp;
    auto ctx = h.As(id);
    REQUIRE(h.stub().ListLedger(ctx.get(), req, &resp).ok());
    for (const auto& e : resp.entries()) all.push_back(e);
    token = resp.next_page_token();
  } while (!token.empty());
  return all;
}

int64_t Micros(const google::protobuf::Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; }

TEST_CASE("an entry is dated when it was written: a top-up that waited for the customer's row comes after the wait",
          "[pg]") {
  Harness h;
  const std::string id = h.Register("lock@example.com").id();
  pqxx::connection holder(h.db().SuperOptions().ToConnectionString());
  pqxx::work lock(holder);
  lock.exec("SELECT 1 FROM customers.customers WHERE id = '" + id + "' FOR UPDATE");
  std::thread waiting([&] { REQUIRE(TopUp(h, id, 7, "").ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const int64_t released = std::stoll(lock.exec1("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")[0].c_str());
  lock.commit();
  waiting.join();
  const std::vector<pb::LedgerEntry> ledger = WholeLedger(h, id, 20);
  REQUIRE(ledger.size() == 1);
  // Dated by its transaction's start it would be about 400 ms earlier.
  CHECK(Micros(ledger[0].created_at()) >= released);
}

TEST_CASE("concurrent top-ups: the ledger is newest first by createdAt, each entry on exactly one page", "[pg]") {
  Harness h;
  const std::string id = h.Register("race@example.com").id();
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 12; ++t) {
      threads.emplace_back([&, t] { REQUIRE(TopUp(h, id, 100 * (round + 1) + t, "").ok()); });
    }
    for (auto& th : threads) th.join();
  }
  const std::vector<pb::LedgerEntry> ledger = WholeLedger(h, id, 5);
  REQUIRE(ledger.size() == 36);
  std::set<int64_t> amounts;
  for (size_t i = 0; i < ledger.size(); ++i) {
    amounts.insert(ledger[i].amount_cents());
    if (i > 0) {
      INFO("entry " << i);
      CHECK(Micros(ledger[i - 1].created_at()) >= Micros(ledger[i].created_at()));
    }
  }
  CHECK(amounts.size() == 36);
}

TEST_CASE("a ledger page token of the first format (the sequence number alone) still reads", "[pg]") {
  Harness h;
  const std::string id = h.Register("old@example.com").id();
  for (int i = 1; i <= 5; ++i) REQUIRE(TopUp(h, id, i, "").ok());
  const std::string third_seq = h.db().QueryAsSuper(
      "SELECT seq FROM customers.ledger WHERE amount_cents = 3 AND customer_id = '" + id + "'");
  pb::ListLedgerRequest req;
  req.set_page_token(absl::WebSafeBase64Escape("l1:" + third_seq));
  pb::ListLedgerResponse resp;
  auto ctx = h.As(id);
  REQUIRE(h.stub().ListLedger(ctx.get(), req, &resp).ok());
  REQUIRE(resp.entries_size() == 2);
  CHECK(resp.entries(0).amount_cents() == 2);
  CHECK(resp.entries(1).amount_cents() == 1);
  // Another customer's entry is no cursor of this one's.
  const std::string other = h.Register("other@example.com").id();
  auto other_ctx = h.As(other);
  CHECK(h.stub().ListLedger(other_ctx.get(), req, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("the cart sets, updates and removes lines; a successful debit empties it", "[pg]") {
  Harness h;
  const std::string id = h.Register("ivy@example.com").id();
  const std::string p1 = NewUuid(), p2 = NewUuid();
  auto set = [&](const std::string& product, int qty, pb::Cart* cart) {
    pb::SetCartItemRequest req;
    req.set_product_id(product);
    req.set_quantity(qty);
    auto ctx = h.As(id);
    return h.stub().SetCartItem(ctx.get(), req, cart);
  };
  pb::Cart cart;
  REQUIRE(set(p1, 2, &cart).ok());
  cart.Clear();
  REQUIRE(set(p2, 1, &cart).ok());
  cart.Clear();
  REQUIRE(set(p1, 5, &cart).ok());
  REQUIRE(cart.items_size() == 2);
  CHECK(cart.items(0).product_id() == p1);
  CHECK(cart.items(0).quantity() == 5);
  cart.Clear();
  REQUIRE(set(p2, 0, &cart).ok());
  CHECK(cart.items_size() == 1);
  CHECK(set(p1, 1001, &cart).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(set("not-a-uuid", 1, &cart).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  {
    pb::RemoveCartItemRequest rm;
    rm.set_product_id(p1);
    pb::Cart after;
    auto ctx = h.As(id);
    REQUIRE(h.stub().RemoveCartItem(ctx.get(), rm, &after).ok());
    CHECK(after.items_size() == 0);
  }
  cart.Clear();
  REQUIRE(set(p1, 3, &cart).ok());
  // A refused debit leaves the cart; a successful one takes the order's lines out.
  CHECK(Debit(h, NewUuid(), id, 1, true, {{p1, 3}}).outcome() ==
        pb::DebitBalanceResponse::INSUFFICIENT_FUNDS);
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.cart_items") == "1");
  REQUIRE(TopUp(h, id, 10, "").ok());
  CHECK(Debit(h, NewUuid(), id, 1, true, {{p1, 3}}).outcome() == pb::DebitBalanceResponse::DEBITED);
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.cart_items") == "0");
  // Another customer's cart is theirs alone; the internal read sees it.
  pb::GetCustomerCartRequest internal;
  internal.set_customer_id(id);
  pb::Cart seen;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  REQUIRE(h.stub().GetCustomerCart(&ctx, internal, &seen).ok());
  CHECK(seen.items_size() == 0);
}

TEST_CASE("a cart holds at most 50 products", "[pg]") {
  Harness h;
  const std::string id = h.Register("jon@example.com").id();
  for (int i = 0; i < 50; ++i) {
    pb::SetCartItemRequest req;
    req.set_product_id(NewUuid());
    req.set_quantity(1);
    pb::Cart cart;
    auto ctx = h.As(id);
    REQUIRE(h.stub().SetCartItem(ctx.get(), req, &cart).ok());
  }
  pb::SetCartItemRequest req;
  req.set_product_id(NewUuid());
  req.set_quantity(1);
  pb::Cart cart;
  auto ctx = h.As(id);
  CHECK(h.stub().SetCartItem(ctx.get(), req, &cart).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("racing cart edits of one customer never pass the cap, and a refused one changes nothing",
          "[pg]") {
  Harness h;
  const std::string id = h.Register("ray@example.com").id();
  auto put = [&](const std::string& product, int quantity, pb::Cart* cart) {
    pb::SetCartItemRequest req;
    req.set_product_id(product);
    req.set_quantity(quantity);
    auto ctx = h.As(id);
    return h.stub().SetCartItem(ctx.get(), req, cart);
  };
  std::vector<std::string> kept;
  for (int i = 0; i < 49; ++i) {
    kept.push_back(NewUuid());
    pb::Cart cart;
    REQUIRE(put(kept.back(), 1, &cart).ok());
  }
  // 8 new products at once with room for 1: exactly 1 gets in. Five rounds,
  // the winner taken out after each.
  for (int round = 0; round < 5; ++round) {
    std::vector<std::string> racing;
    for (int i = 0; i < 8; ++i) racing.push_back(NewUuid());
    std::atomic<int> ok{0}, full{0}, ready{0};
    std::vector<std::thread> threads;
    std::string winner;
    std::mutex winner_mu;
    for (const std::string& p : racing) {
      threads.emplace_back([&, p] {
        ready.fetch_add(1);
        while (ready.load() < 8) std::this_thread::yield();  // all at once
        pb::Cart cart;
        const grpc::Status s = put(p, 2, &cart);
        if (s.ok()) {
          ++ok;
          std::lock_guard<std::mutex> lock(winner_mu);
          winner = p;
        }
        if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) ++full;
      });
    }
    for (auto& t : threads) t.join();
    INFO("round " << round);
    CHECK(ok.load() == 1);
    CHECK(full.load() == 7);
    if (round < 4 && !winner.empty()) {
      pb::Cart cart;
      REQUIRE(put(winner, 0, &cart).ok());
      REQUIRE(cart.items_size() == 49);
    }
  }
  pb::Cart cart;
  // Changing a product already there is no new product: allowed when full.
  REQUIRE(put(kept[0], 7, &cart).ok());
  CHECK(cart.items_size() == 50);
  CHECK(cart.items(0).product_id() == kept[0]);
  CHECK(cart.items(0).quantity() == 7);
  // A refused edit leaves the cart as it was (the whole statement undone).
  const std::string extra = NewUuid();
  CHECK(put(extra, 1, &cart).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(put(kept[1], 0, &cart).ok());  // quantity 0 removes
  CHECK(cart.items_size() == 49);
  for (const auto& item : cart.items()) {
    CHECK(item.product_id() != extra);
    CHECK(item.product_id() != kept[1]);
  }
}

TEST_CASE("a cart edit for a customer that does not exist is NOT_FOUND", "[pg]") {
  Harness h;
  pb::SetCartItemRequest req;
  req.set_product_id(NewUuid());
  req.set_quantity(1);
  pb::Cart cart;
  auto ctx = h.As(NewUuid());
  CHECK(h.stub().SetCartItem(ctx.get(), req, &cart).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("favourites are added, listed, checked and removed idempotently", "[pg]") {
  Harness h;
  const std::string id = h.Register("kim@example.com").id();
  const std::string other = h.Register("lou@example.com").id();
  const std::string p = NewUuid();
  google::protobuf::Empty empty;
  pb::AddFavoriteRequest add;
  add.set_product_id(p);
  for (int i = 0; i < 2; ++i) {
    auto ctx = h.As(id);
    REQUIRE(h.stub().AddFavorite(ctx.get(), add, &empty).ok());
  }
  auto is_fav = [&](const std::string& who) {
    pb::IsFavoriteRequest req;
    req.set_product_id(p);
    pb::IsFavoriteResponse resp;
    auto ctx = h.As(who);
    REQUIRE(h.stub().IsFavorite(ctx.get(), req, &resp).ok());
    return resp.favorite();
  };
  CHECK(is_fav(id));
  CHECK_FALSE(is_fav(other));
  pb::ListFavoritesResponse list;
  {
    auto ctx = h.As(id);
    REQUIRE(h.stub().ListFavorites(ctx.get(), pb::ListFavoritesRequest(), &list).ok());
  }
  CHECK(list.product_ids_size() == 1);
  pb::RemoveFavoriteRequest rm;
  rm.set_product_id(p);
  for (int i = 0; i < 2; ++i) {
    auto ctx = h.As(id);
    REQUIRE(h.stub().RemoveFavorite(ctx.get(), rm, &empty).ok());
  }
  CHECK_FALSE(is_fav(id));
}

TEST_CASE("only a live product enters a cart or the favourites: unknown or deleted is NOT_FOUND; a catalog "
          "outage is UNAVAILABLE; taking one out needs no catalog",
          "[pg]") {
  Harness h;
  const std::string id = h.Register("max@example.com").id();
  const std::string live = NewUuid();
  const std::string gone = NewUuid();
  auto put = [&](const std::string& product, int quantity) {
    pb::SetCartItemRequest req;
    req.set_product_id(product);
    req.set_quantity(quantity);
    pb::Cart cart;
    auto ctx = h.As(id);
    return h.stub().SetCartItem(ctx.get(), req, &cart);
  };
  auto favour = [&](const std::string& product) {
    pb::AddFavoriteRequest req;
    req.set_product_id(product);
    google::protobuf::Empty empty;
    auto ctx = h.As(id);
    return h.stub().AddFavorite(ctx.get(), req, &empty);
  };
  REQUIRE(put(gone, 1).ok());  // in the cart while it was live
  REQUIRE(favour(gone).ok());
  h.catalog().MarkGone(gone);
  grpc::Status s = put(gone, 2);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(s.error_message() == "product " + gone + " not found");
  CHECK(favour(gone).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(put(live, 1).ok());
  CHECK(h.db().QueryAsSuper("SELECT string_agg(quantity::text, ',' ORDER BY quantity) FROM customers.cart_items") ==
        "1,1");
  // Inventory down: adding waits for it; removing does not.
  h.catalog().FailWith(absl::UnavailableError("the catalog is unavailable, retry later"));
  CHECK(put(NewUuid(), 1).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(favour(NewUuid()).error_code() == grpc::StatusCode::UNAVAILABLE);
  const int asked = h.catalog().calls();
  CHECK(put(gone, 0).ok());
  {
    pb::RemoveCartItemRequest rm;
    rm.set_product_id(live);
    pb::Cart after;
    auto ctx = h.As(id);
    REQUIRE(h.stub().RemoveCartItem(ctx.get(), rm, &after).ok());
    CHECK(after.items_size() == 0);
  }
  {
    pb::RemoveFavoriteRequest rm;
    rm.set_product_id(gone);
    google::protobuf::Empty empty;
    auto ctx = h.As(id);
    CHECK(h.stub().RemoveFavorite(ctx.get(), rm, &empty).ok());
  }
  CHECK(h.catalog().calls() == asked);
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.cart_items") == "0");
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.favorites") == "0");
}

}  // namespace
}  // namespace agora::customers
