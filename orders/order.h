#pragma once

// The rules of an order: what a valid request is, how it is priced, and the
// one status machine (API.md, "Orders"):
//
//   PENDING -> APPROVED | REJECTED
//   APPROVED -> CANCELLING -> CANCELLED,  APPROVED -> CANCELLED (MarkCancelled)
//   APPROVED -> SHIPPED
//
// plus a cancel request recorded on a PENDING order (its saga stops it).
// No gRPC, SQL or Kafka here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::orders {

inline constexpr int kMaxLines = 50;
inline constexpr int64_t kMaxQuantity = 1000;

enum class Status { kPending, kApproved, kRejected, kCancelling, kCancelled, kShipped };

enum class RejectionReason {
  kNone,  // not rejected
  kOutOfStock,
  kInsufficientFunds,
  kProductUnavailable,
  kCancelledByCustomer,
  kTimedOut,
  kAbortedByOperator,
};

// "PENDING", "OUT_OF_STOCK", ...: the names stored and shown (API.md).
const char* StatusName(Status s);
std::optional<Status> StatusFromName(std::string_view name);
const char* ReasonName(RejectionReason r);  // "" for kNone
std::optional<RejectionReason> ReasonFromName(std::string_view name);

// REJECTED, CANCELLED and SHIPPED: nothing changes the order any more.
bool IsTerminal(Status s);
// Every transition strictly raises the rank: PENDING 0, APPROVED 1,
// CANCELLING 2, terminal 3. A watcher uses it to drop stale notices.
int Rank(Status s);

// ---- the status machine

enum class Event {
  kApprove,        // the saga's pivot
  kReject,         // the end of a failed saga
  kRequestCancel,  // the customer's cancel
  kMarkCancelled,  // the end of the cancel saga
  kShip,           // an admin
};

enum class Effect {
  kNone,                 // a repeat of a transition already made: answer the order as it is
  kSetStatus,            // the status becomes Step::status
  kRecordCancelRequest,  // PENDING stays PENDING; the cancel request is recorded
};

struct Step {
  Effect effect = Effect::kNone;
  Status status = Status::kPending;  // the status after the step
};

struct OrderState {
  Status status = Status::kPending;
  bool cancel_requested = false;
};

// The one place that decides what an event does to an order.
// FAILED_PRECONDITION, naming both, when the event is refused in `state`.
// The saga's events are idempotent: a repeat answers kNone.
absl::StatusOr<Step> Transition(const OrderState& state, Event event);

// The reason a rejection records, the saga having sent `sent`: API.md "A
// cancel accepted while the order is PENDING always ends it REJECTED with
// CANCELLED_BY_CUSTOMER" (or CANCELLED), so once the customer's cancel was
// recorded, that is the reason, whatever the saga was ending for (an abort
// or a failed step whose RejectOrder was already on its way).
RejectionReason ReasonOfRejection(const OrderState& state, RejectionReason sent);

// ---- orders and their lines

// A line as asked: from the request or from the cart.
struct RequestedLine {
  std::string product_id;
  int64_t quantity = 0;
};

// A line as recorded, with the price at creation.
struct Line {
  std::string product_id;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;
  // The product was on sale when the order was created (it has a price):
  // the order holds it, and a later soft delete of the product does not
  // stop the order (API.md, DELETE /v1/products/{id}).
  bool on_sale = false;
};

struct Order {
  std::string id;
  std::string customer_id;
  Status status = Status::kPending;
  RejectionReason rejection_reason = RejectionReason::kNone;
  std::vector<Line> lines;
  int64_t total_cents = 0;
  bool from_cart = false;
  bool cancel_requested = false;
  absl::Time created_at;
  absl::Time updated_at;
};

// `order` as its creation answered it (API.md: a repeat with the same
// idempotency key gets the first request's answer): PENDING, no rejection
// reason, no cancel requested, updated when it was created. Its lines, total
// and times of creation never change.
inline Order AsCreated(Order order) {
  order.status = Status::kPending;
  order.rejection_reason = RejectionReason::kNone;
  order.cancel_requested = false;
  order.updated_at = order.created_at;
  return order;
}

// Checks 1..50 lines, UUID product ids and quantity 1..1000; returns the
// lines with lowercase ids, in the order given, a product named in several
// lines merged into its first (quantities summed, at most 1000 in all).
// INVALID_ARGUMENT naming `field` ("items" or "cart").
absl::StatusOr<std::vector<RequestedLine>> NormaliseLines(std::vector<RequestedLine> lines,
                                                           const char* field);

// The lines priced from `prices` (product id -> current price; ids lowercase)
// and their total; INVALID_ARGUMENT when the total overflows int64.
// A product without a price (unknown to inventory, or deleted) does not
// refuse the order: API.md answers every valid POST /v1/orders with 202 and
// lets the saga decide, and PRODUCT_UNAVAILABLE is one of its rejection
// reasons. Its line is kept at unit price 0; the saga's first step,
// inventory's ReserveStock, refuses an order holding a product it does not
// sell (PRODUCT_UNAVAILABLE), so such an order is rejected before any debit
// and its 0 price is never charged.
struct Priced {
  std::vector<Line> lines;
  int64_t total_cents = 0;
};
absl::StatusOr<Priced> PriceLines(const std::vector<RequestedLine>& lines,
                                  const std::vector<std::pair<std::string, int64_t>>& prices);

// ---- idempotency

// Keys are checked by runtime::idempotency::ValidateKey.

// What makes two create requests "the same body": the lines as sent (ids
// lowercased) or from_cart. Hex SHA-256 of a canonical text.
std::string RequestHash(const std::vector<RequestedLine>& items, bool from_cart);

}  // namespace agora::orders
