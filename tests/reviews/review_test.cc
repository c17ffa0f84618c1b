// The rules of reviews (review.h), without gRPC or a database.

#include "reviews/review.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "runtime/ids/uuid.h"

namespace agora::reviews {
namespace {

using runtime::ids::NewUuid;

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("a rating must be 1 to 5", "[unit]") {
  CHECK(ValidateReview(1, "").ok());
  CHECK(ValidateReview(5, "fine").ok());
  for (int bad : {0, 6, -1, 100}) {
    const absl::Status s = ValidateReview(bad, "text");
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(s.message().find("rating") != absl::string_view::npos);
  }
}

TEST_CASE("a text of 4000 code points is accepted and one of 4001 refused", "[unit]") {
  CHECK(ValidateReview(3, Repeat("a", 4000)).ok());
  const absl::Status s = ValidateReview(3, Repeat("a", 4001));
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message().find("text") != absl::string_view::npos);
}

TEST_CASE("multi-byte text is counted in code points, not bytes", "[unit]") {
  // "é" is 2 bytes, "€" 3 and "🙂" 4: 4000 of them are far over 4000 bytes.
  CHECK(ValidateReview(4, Repeat("é", 4000)).ok());
  CHECK(ValidateReview(4, Repeat("€", 4000)).ok());
  CHECK(ValidateReview(4, Repeat("🙂", 4000)).ok());
  CHECK(ValidateReview(4, Repeat("🙂", 3999) + "ab").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateReview(4, Repeat("€", 4001)).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("text that is not valid UTF-8 is refused", "[unit]") {
  CHECK(ValidateReview(4, std::string("ok \xff\xfe")).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateReview(4, std::string("\xc3")).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("page sizes default to 20, are capped at 100 and refused when negative", "[unit]") {
  CHECK(*NormalisePageSize(0) == 20);
  CHECK(*NormalisePageSize(1) == 1);
  CHECK(*NormalisePageSize(100) == 100);
  CHECK(*NormalisePageSize(101) == 100);
  CHECK(*NormalisePageSize(1 << 30) == 100);
  CHECK(NormalisePageSize(-1).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a page token carries its cursor back to the same product", "[unit]") {
  const std::string product = NewUuid();
  const PageCursor cursor{absl::FromUnixMicros(1732489509123456), NewUuid()};
  const std::string token = EncodePageToken(cursor, product);
  CHECK_FALSE(token.empty());
  absl::StatusOr<ListQuery> q = MakeListQuery(product, 10, token);
  REQUIRE(q.ok());
  CHECK(q->page_size == 10);
  CHECK(q->product_id == product);
  REQUIRE(q->after.has_value());
  CHECK(q->after->created_at == cursor.created_at);
  CHECK(q->after->id == cursor.id);
  CHECK(EncodePageToken(std::nullopt, product).empty());
  // The product id is compared ignoring case, as UUIDs are.
  absl::StatusOr<ListQuery> upper = MakeListQuery(absl::AsciiStrToUpper(product), 10, token);
  REQUIRE(upper.ok());
  CHECK(upper->product_id == product);
}

TEST_CASE("an unreadable page token or one for another product is INVALID_ARGUMENT", "[unit]") {
  const std::string product = NewUuid();
  const std::string token =
      EncodePageToken(PageCursor{absl::FromUnixMicros(1), NewUuid()}, product);
  for (const std::string& bad :
       {std::string("not a token"), std::string("!!!"), absl::WebSafeBase64Escape("r1|x|y|z"),
        absl::WebSafeBase64Escape("r0|1|" + NewUuid() + "|" + product),
        absl::WebSafeBase64Escape("r1|1|not-a-uuid|" + product), token.substr(0, 10)}) {
    CHECK(MakeListQuery(product, 10, bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  const absl::Status other = MakeListQuery(NewUuid(), 10, token).status();
  CHECK(other.code() == absl::StatusCode::kInvalidArgument);
  CHECK(other.message().find("another product") != absl::string_view::npos);
  CHECK(MakeListQuery(product, -5, "").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("only the author or an admin may delete a review", "[unit]") {
  const std::string author = NewUuid();
  CHECK(CheckMayDelete(author, Actor{author, false}).ok());
  CHECK(CheckMayDelete(author, Actor{NewUuid(), true}).ok());
  CHECK(CheckMayDelete(author, Actor{NewUuid(), false}).code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CheckMayDelete(author, Actor{"", false}).code() == absl::StatusCode::kPermissionDenied);
}

TEST_CASE("the rating average is the mean of the ratings, 0 without any", "[unit]") {
  CHECK(RatingOf(0, 0).average == 0);
  CHECK(RatingOf(0, 0).count == 0);
  CHECK(RatingOf(3, 11).average == Approx(11.0 / 3.0));
  CHECK(RatingOf(3, 11).count == 3);
  CHECK(RatingOf(2, 9).average == 4.5);
}

TEST_CASE("only APPROVED and SHIPPED orders give the right to review", "[unit]") {
  CHECK(GrantsReview(OrderState::kApproved));
  CHECK(GrantsReview(OrderState::kShipped));
  for (OrderState s : {OrderState::kPending, OrderState::kRejected, OrderState::kCancelling,
                       OrderState::kCancelled}) {
    CHECK_FALSE(GrantsReview(s));
  }
}

TEST_CASE("order states only move forward: an end state outranks every other", "[unit]") {
  CHECK(OrderStateRank(OrderState::kPending) < OrderStateRank(OrderState::kApproved));
  CHECK(OrderStateRank(OrderState::kApproved) < OrderStateRank(OrderState::kShipped));
  CHECK(OrderStateRank(OrderState::kApproved) < OrderStateRank(OrderState::kCancelling));
  CHECK(OrderStateRank(OrderState::kCancelling) < OrderStateRank(OrderState::kCancelled));
  CHECK(OrderStateRank(OrderState::kApproved) < OrderStateRank(OrderState::kRejected));
  CHECK(OrderStateRank(OrderState::kPending) < OrderStateRank(OrderState::kRejected));
}

TEST_CASE("a purchase update is checked, lowercased, sorted and deduplicated", "[unit]") {
  const std::string order = NewUuid();
  const std::string customer = NewUuid();
  const std::string a = "00000000-0000-4000-8000-00000000000a";
  const std::string b = "00000000-0000-4000-8000-00000000000b";
  absl::StatusOr<PurchaseUpdate> u = NormalisePurchaseUpdate({absl::AsciiStrToUpper(order),
                                                              customer,
                                                              OrderState::kApproved,
                                                              {b, absl::AsciiStrToUpper(a), a}});
  REQUIRE(u.ok());
  CHECK(u->order_id == order);
  CHECK(u->product_ids == std::vector<std::string>{a, b});
  // Without lines, the customer id may be absent (only the order's rows change).
  CHECK(NormalisePurchaseUpdate({order, "", OrderState::kCancelled, {}}).ok());
  CHECK(NormalisePurchaseUpdate({"nope", customer, OrderState::kApproved, {a}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(NormalisePurchaseUpdate({order, "", OrderState::kApproved, {a}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(NormalisePurchaseUpdate({order, customer, OrderState::kApproved, {"x"}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

// A purchases row as the tests model it.
struct Row {
  std::string customer_id;
  OrderState state;
  bool operator==(const Row& o) const { return customer_id == o.customer_id && state == o.state; }
};
using Rows = std::map<std::pair<std::string, std::string>, Row>;  // (order, product)

// The updates one by one (pg_store.cc's single path): upsert the named
// products' rows, then raise every row of the order; a state replaces only
// a lower rank.
void ApplyOneByOne(Rows& rows, const PurchaseUpdate& u) {
  auto raise = [](Row& row, OrderState s) {
    if (OrderStateRank(row.state) < OrderStateRank(s)) row.state = s;
  };
  for (const std::string& p : u.product_ids) {
    auto [it, fresh] = rows.try_emplace({u.order_id, p}, Row{u.customer_id, u.state});
    if (!fresh) raise(it->second, u.state);
  }
  for (auto& [key, row] : rows) {
    if (key.first == u.order_id) raise(row, u.state);
  }
}

// The plan as its two statements apply it.
void ApplyPlan(Rows& rows, const PurchaseBatchPlan& plan) {
  for (const auto& a : plan.advances) {
    for (auto& [key, row] : rows) {
      if (key.first == a.order_id && OrderStateRank(row.state) < OrderStateRank(a.state)) row.state = a.state;
    }
  }
  for (const auto& i : plan.inserts) {
    auto [it, fresh] = rows.try_emplace({i.order_id, i.product_id}, Row{i.customer_id, i.state});
    if (!fresh && OrderStateRank(it->second.state) < OrderStateRank(i.state)) it->second.state = i.state;
  }
}

TEST_CASE("a batch of purchase updates planned as two set-based writes ends exactly as applied one by one",
          "[unit]") {
  const std::vector<OrderState> states = {OrderState::kPending,    OrderState::kApproved,
                                          OrderState::kRejected,   OrderState::kCancelling,
                                          OrderState::kCancelled,  OrderState::kShipped};
  const std::vector<std::string> orders = {"o1", "o2", "o3"};
  const std::vector<std::string> products = {"p1", "p2", "p3"};
  std::mt19937 rng(20261206);
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int differing_orders = 0;  // the batches where order matters (a later naming, a reorder)
  for (int round = 0; round < 20000; ++round) {
    Rows before;
    for (const std::string& o : orders) {  // rows recorded by earlier batches
      for (const std::string& p : products) {
        if (pick(3) == 0) before[{o, p}] = Row{"c-" + o, states[pick(states.size())]};
      }
    }
    std::vector<PurchaseUpdate> batch(1 + pick(6));
    for (PurchaseUpdate& u : batch) {
      u.order_id = orders[pick(orders.size())];
      u.customer_id = "c-" + u.order_id;
      u.state = states[pick(states.size())];
      for (const std::string& p : products) {
        if (pick(3) == 0) u.product_ids.push_back(p);
      }
    }
    Rows one_by_one = before;
    for (const PurchaseUpdate& u : batch) ApplyOneByOne(one_by_one, u);
    std::vector<const PurchaseUpdate*> in_order;
    for (const PurchaseUpdate& u : batch) in_order.push_back(&u);
    const PurchaseBatchPlan plan = PlanPurchaseUpdates(in_order);
    Rows planned = before;
    ApplyPlan(planned, plan);
    INFO("round " << round);
    REQUIRE(planned == one_by_one);
    // Each order advanced at most once, each row inserted at most once.
    std::set<std::string> advanced;
    for (const auto& a : plan.advances) CHECK(advanced.insert(a.order_id).second);
    std::set<std::pair<std::string, std::string>> inserted;
    for (const auto& i : plan.inserts) CHECK(inserted.insert({i.order_id, i.product_id}).second);
    // Would a naive plan (every row of an order to its highest state) differ?
    Rows naive = before;
    for (const PurchaseUpdate& u : batch) {
      for (const std::string& p : u.product_ids) naive.try_emplace({u.order_id, p}, Row{u.customer_id, u.state});
    }
    for (const auto& a : plan.advances) {
      for (auto& [key, row] : naive) {
        if (key.first == a.order_id && OrderStateRank(row.state) < OrderStateRank(a.state)) row.state = a.state;
      }
    }
    if (!(naive == one_by_one)) ++differing_orders;
  }
  // The random batches include the cases a naive plan gets wrong.
  CHECK(differing_orders > 100);
}

}  // namespace
}  // namespace agora::reviews
