// The order's rules without gRPC or a database: the status machine (every
// status x every event), line validation, pricing, idempotency keys,
// listing tokens, and the watch notices.

#include <catch2/catch.hpp>
#include <cctype>
#include <limits>

#include "orders/convert.h"
#include "orders/listing.h"
#include "orders/order.h"
#include "orders/watch_hub.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"

namespace agora::orders {
namespace {

using runtime::ids::NewUuid;

constexpr Status kAll[] = {Status::kPending,    Status::kApproved,  Status::kRejected,
                           Status::kCancelling, Status::kCancelled, Status::kShipped};
constexpr Event kEvents[] = {Event::kApprove, Event::kReject, Event::kRequestCancel,
                             Event::kMarkCancelled, Event::kShip};

// What each (status, event) does: the table of API.md and orders.proto.
struct Expected {
  bool allowed;
  Effect effect;
  Status to;
};
Expected Rule(Status from, Event event) {
  const Expected refused{false, Effect::kNone, from};
  const auto set = [](Status s) { return Expected{true, Effect::kSetStatus, s}; };
  const auto repeat = [&] { return Expected{true, Effect::kNone, from}; };
  switch (event) {
    case Event::kApprove:
      if (from == Status::kPending) return set(Status::kApproved);
      return from == Status::kRejected ? refused : repeat();
    case Event::kReject:
      if (from == Status::kPending) return set(Status::kRejected);
      return from == Status::kRejected ? repeat() : refused;
    case Event::kMarkCancelled:
      if (from == Status::kApproved || from == Status::kCancelling) return set(Status::kCancelled);
      return from == Status::kCancelled ? repeat() : refused;
    case Event::kRequestCancel:
      if (from == Status::kApproved) return set(Status::kCancelling);
      if (from == Status::kPending) return {true, Effect::kRecordCancelRequest, from};
      return from == Status::kCancelling ? repeat() : refused;
    case Event::kShip:
      return from == Status::kApproved ? set(Status::kShipped) : refused;
  }
  return refused;
}

TEST_CASE("every status and event follows the status machine of the API", "[unit]") {
  for (Status from : kAll) {
    for (Event event : kEvents) {
      const Expected want = Rule(from, event);
      const absl::StatusOr<Step> got = Transition({from, false}, event);
      INFO(StatusName(from) << " event " << static_cast<int>(event));
      REQUIRE(got.ok() == want.allowed);
      if (!want.allowed) {
        CHECK(got.status().code() == absl::StatusCode::kFailedPrecondition);
        CHECK(std::string(got.status().message()).find(StatusName(from)) != std::string::npos);
        continue;
      }
      CHECK(got->effect == want.effect);
      CHECK(got->status == want.to);
    }
  }
}

TEST_CASE("a transition never goes back: each status change raises the rank", "[unit]") {
  for (Status from : kAll) {
    for (Event event : kEvents) {
      const absl::StatusOr<Step> step = Transition({from, false}, event);
      if (step.ok() && step->effect == Effect::kSetStatus) CHECK(Rank(step->status) > Rank(from));
    }
  }
  for (Status s : kAll) CHECK(IsTerminal(s) == (Rank(s) == 3));
}

TEST_CASE("terminal statuses refuse everything but a repeat of their own transition", "[unit]") {
  CHECK(Transition({Status::kShipped, false}, Event::kShip).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(Transition({Status::kRejected, false}, Event::kApprove).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(Transition({Status::kCancelled, false}, Event::kRequestCancel).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  // CANCELLING is not terminal: a second cancel is a repeat, not a 400.
  const absl::StatusOr<Step> again = Transition({Status::kCancelling, false}, Event::kRequestCancel);
  REQUIRE(again.ok());
  CHECK(again->effect == Effect::kNone);
  CHECK(again->status == Status::kCancelling);
}

TEST_CASE("an approved order whose cancel was requested while PENDING cannot ship", "[unit]") {
  CHECK(Transition({Status::kApproved, true}, Event::kShip).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(Transition({Status::kApproved, false}, Event::kShip).ok());
  CHECK(Transition({Status::kApproved, true}, Event::kMarkCancelled).ok());
}

TEST_CASE("a second cancel of a PENDING order records nothing new", "[unit]") {
  const absl::StatusOr<Step> first = Transition({Status::kPending, false}, Event::kRequestCancel);
  REQUIRE(first.ok());
  CHECK(first->effect == Effect::kRecordCancelRequest);
  const absl::StatusOr<Step> again = Transition({Status::kPending, true}, Event::kRequestCancel);
  REQUIRE(again.ok());
  CHECK(again->effect == Effect::kNone);
  CHECK(again->status == Status::kPending);
  // The saga still decides a PENDING order whose cancel was requested.
  CHECK(Transition({Status::kPending, true}, Event::kReject)->effect == Effect::kSetStatus);
  CHECK(Transition({Status::kPending, true}, Event::kApprove)->effect == Effect::kSetStatus);
}

TEST_CASE("a rejection of an order whose cancel was accepted records CANCELLED_BY_CUSTOMER, whatever the saga sent",
          "[unit]") {
  for (RejectionReason sent : {RejectionReason::kOutOfStock, RejectionReason::kInsufficientFunds,
                               RejectionReason::kProductUnavailable, RejectionReason::kTimedOut,
                               RejectionReason::kAbortedByOperator, RejectionReason::kCancelledByCustomer}) {
    INFO(ReasonName(sent));
    CHECK(ReasonOfRejection({Status::kPending, true}, sent) == RejectionReason::kCancelledByCustomer);
    CHECK(ReasonOfRejection({Status::kPending, false}, sent) == sent);
  }
}

TEST_CASE("status and reason names round-trip and match the proto enums", "[unit]") {
  for (Status s : kAll) {
    CHECK(StatusFromName(StatusName(s)) == s);
    CHECK(pb::OrderStatus_Name(ToProto(s)) == StatusName(s));
  }
  for (int v = 1; v <= 6; ++v) {
    const absl::StatusOr<RejectionReason> r = ReasonFromProto(v);
    REQUIRE(r.ok());
    CHECK(ToProto(*r) == v);
    CHECK(ReasonFromName(ReasonName(*r)) == *r);
  }
  CHECK_FALSE(StatusFromName("pending").has_value());
  CHECK(ReasonFromProto(0).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ReasonFromProto(99).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(StatusFilterFromProto(0)->has_value());
  CHECK(**StatusFilterFromProto(pb::SHIPPED) == Status::kShipped);
  CHECK(StatusFilterFromProto(42).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("lines are 1 to 50, quantities 1 to 1000, UUID products; a product named twice is one line", "[unit]") {
  const std::string a = NewUuid();
  const auto code = [](std::vector<RequestedLine> lines) {
    return NormaliseLines(std::move(lines), "items").status().code();
  };
  CHECK(code({}) == absl::StatusCode::kInvalidArgument);
  CHECK(code({{a, 0}}) == absl::StatusCode::kInvalidArgument);
  CHECK(code({{a, -3}}) == absl::StatusCode::kInvalidArgument);
  CHECK(code({{a, 1001}}) == absl::StatusCode::kInvalidArgument);
  CHECK(code({{"not-a-uuid", 1}}) == absl::StatusCode::kInvalidArgument);
  // A product in several lines (in any case) is one line at its first place,
  // the quantities summed, at most 1000.
  std::string upper = a;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string b = NewUuid();
  absl::StatusOr<std::vector<RequestedLine>> merged = NormaliseLines({{b, 4}, {a, 1}, {b, 5}, {upper, 2}}, "items");
  REQUIRE(merged.ok());
  REQUIRE(merged->size() == 2);
  CHECK((*merged)[0].product_id == b);
  CHECK((*merged)[0].quantity == 9);
  CHECK((*merged)[1].product_id == a);
  CHECK((*merged)[1].quantity == 3);
  CHECK(code({{a, 600}, {b, 1}, {a, 400}}) == absl::StatusCode::kOk);
  const absl::Status over = NormaliseLines({{a, 600}, {b, 1}, {a, 401}}, "items").status();
  CHECK(over.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(over.message()).find("1001 units of product " + a) != std::string::npos);
  std::vector<RequestedLine> same(50, RequestedLine{a, 1});
  absl::StatusOr<std::vector<RequestedLine>> one = NormaliseLines(same, "items");
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].quantity == 50);
  same.push_back({a, 1});  // 51 lines are refused whatever they name
  CHECK(code(same) == absl::StatusCode::kInvalidArgument);

  std::vector<RequestedLine> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({NewUuid(), 1000});
  absl::StatusOr<std::vector<RequestedLine>> ok = NormaliseLines(fifty, "items");
  REQUIRE(ok.ok());
  CHECK(ok->size() == 50);
  CHECK((*ok)[7].product_id == fifty[7].product_id);  // order kept
  fifty.push_back({NewUuid(), 1});
  const absl::Status too_many = NormaliseLines(fifty, "cart").status();
  CHECK(too_many.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(too_many.message()).find("cart") != std::string::npos);

  absl::StatusOr<std::vector<RequestedLine>> lowered = NormaliseLines({{upper, 1}}, "items");
  REQUIRE(lowered.ok());
  CHECK((*lowered)[0].product_id == a);
}

TEST_CASE("pricing snapshots each line's price and sums the total in cents", "[unit]") {
  const std::string a = NewUuid(), b = NewUuid();
  absl::StatusOr<Priced> priced = PriceLines({{a, 3}, {b, 1}}, {{b, 250}, {a, 1999}});
  REQUIRE(priced.ok());
  CHECK(priced->total_cents == 3 * 1999 + 250);
  REQUIRE(priced->lines.size() == 2);
  CHECK(priced->lines[0].product_id == a);
  CHECK(priced->lines[0].unit_price_cents == 1999);
  CHECK(priced->lines[1].quantity == 1);
  // Free products are fine, and on sale.
  CHECK(PriceLines({{a, 5}}, {{a, 0}})->total_cents == 0);
  CHECK(PriceLines({{a, 5}}, {{a, 0}})->lines[0].on_sale);
}

TEST_CASE("a product without a price keeps its line at 0 and does not refuse the order", "[unit]") {
  // The saga rejects such an order PRODUCT_UNAVAILABLE at ReserveStock (order.h).
  const std::string known = NewUuid(), gone = NewUuid(), other = NewUuid();
  absl::StatusOr<Priced> priced = PriceLines({{known, 1}, {gone, 1}, {other, 2}}, {{known, 5}});
  REQUIRE(priced.ok());
  REQUIRE(priced->lines.size() == 3);
  CHECK(priced->lines[0].unit_price_cents == 5);
  CHECK(priced->lines[0].on_sale);
  CHECK_FALSE(priced->lines[1].on_sale);
  CHECK_FALSE(priced->lines[2].on_sale);
  CHECK(priced->lines[1].product_id == gone);
  CHECK(priced->lines[1].unit_price_cents == 0);
  CHECK(priced->lines[2].product_id == other);
  CHECK(priced->lines[2].quantity == 2);
  CHECK(priced->lines[2].unit_price_cents == 0);
  CHECK(priced->total_cents == 5);
}

TEST_CASE("a total that overflows int64 is INVALID_ARGUMENT", "[unit]") {
  const std::string a = NewUuid(), b = NewUuid();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  CHECK(PriceLines({{a, 2}}, {{a, kMax / 2 + 1}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Each line fits; their sum does not.
  CHECK(PriceLines({{a, 1}, {b, 1}}, {{a, kMax}, {b, 1}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(PriceLines({{a, 1}, {b, 1}}, {{a, kMax - 1}, {b, 1}})->total_cents == kMax);
}

TEST_CASE("idempotency keys and request hashes", "[unit]") {
  using runtime::idempotency::ValidateKey;
  CHECK(ValidateKey("").ok());
  CHECK(ValidateKey("order-2024-06-01-abc").ok());
  CHECK(ValidateKey(std::string(255, 'k')).ok());
  std::string accented;  // 255 code points, 510 bytes: counted in code points
  for (int i = 0; i < 255; ++i) accented += "\xc3\xa9";
  CHECK(ValidateKey(accented).ok());
  CHECK(ValidateKey(accented + "\xc3\xa9").code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateKey(std::string(256, 'k')).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateKey("tab\there").code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateKey(std::string("a\0b", 3)).code() == absl::StatusCode::kInvalidArgument);  // NUL
  CHECK(ValidateKey("\xff\xfe").code() == absl::StatusCode::kInvalidArgument);

  const std::string a = NewUuid(), b = NewUuid();
  const std::string h = RequestHash({{a, 1}, {b, 2}}, false);
  CHECK(h.size() == 64);
  CHECK(RequestHash({{a, 1}, {b, 2}}, false) == h);
  CHECK(RequestHash({{a, 1}, {b, 3}}, false) != h);
  CHECK(RequestHash({{a, 1}}, false) != h);
  CHECK(RequestHash({}, true) != RequestHash({}, false));
  CHECK(RequestHash({}, true) == RequestHash({}, true));
}

TEST_CASE("page sizes and tokens follow the listing conventions", "[unit]") {
  CHECK(*NormalisePageSize(0) == 20);
  CHECK(*NormalisePageSize(7) == 7);
  CHECK(*NormalisePageSize(1000) == 100);
  CHECK(NormalisePageSize(-1).status().code() == absl::StatusCode::kInvalidArgument);

  const PageCursor cursor{absl::FromUnixMicros(1717171717123456), NewUuid()};
  const std::string token = EncodePageToken(cursor, Status::kApproved);
  CHECK(EncodePageToken(std::nullopt, std::nullopt).empty());
  absl::StatusOr<ListQuery> q = MakeListQuery(5, token, Status::kApproved, "c");
  REQUIRE(q.ok());
  REQUIRE(q->after.has_value());
  CHECK(q->after->id == cursor.id);
  CHECK(q->after->created_at == cursor.created_at);
  CHECK(q->page_size == 5);
  CHECK(*q->customer_id == "c");
  // Another filter, garbage, or a tampered token are refused.
  CHECK(MakeListQuery(5, token, std::nullopt, "c").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(MakeListQuery(5, "not a token", std::nullopt, "c").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(MakeListQuery(5, token.substr(0, token.size() - 4), Status::kApproved, "c")
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("status notices parse from the trigger's payload and update the order", "[unit]") {
  const std::string id = NewUuid();
  std::optional<StatusNotice> n = ParseStatusNotice(id + " REJECTED OUT_OF_STOCK 1717171717000001");
  REQUIRE(n.has_value());
  CHECK(n->order_id == id);
  CHECK(n->status == Status::kRejected);
  CHECK(n->reason == RejectionReason::kOutOfStock);
  CHECK(absl::ToUnixMicros(n->updated_at) == 1717171717000001);
  n = ParseStatusNotice(id + " APPROVED - 5");
  REQUIRE(n.has_value());
  CHECK(n->reason == RejectionReason::kNone);
  CHECK_FALSE(ParseStatusNotice("").has_value());
  CHECK_FALSE(ParseStatusNotice(id + " HAPPY - 5").has_value());
  CHECK_FALSE(ParseStatusNotice("x APPROVED - 5").has_value());
  CHECK_FALSE(ParseStatusNotice(id + " APPROVED - soon").has_value());

  Order base;
  base.id = id;
  base.lines = {{NewUuid(), 2, 100}};
  base.total_cents = 200;
  const Order after = ApplyNotice(base, *n);
  CHECK(after.status == Status::kApproved);
  CHECK(after.total_cents == 200);
  CHECK(after.lines.size() == 1);
}

}  // namespace
}  // namespace agora::orders
