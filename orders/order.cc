#include "orders/order.h"

#include <openssl/evp.h>

#include <array>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/ids/uuid.h"
#include "runtime/text/utf8.h"
#include "runtime/status/reason.h"

namespace agora::orders {
namespace {

constexpr std::array<std::pair<Status, const char*>, 6> kStatusNames = {{
    {Status::kPending, "PENDING"},
    {Status::kApproved, "APPROVED"},
    {Status::kRejected, "REJECTED"},
    {Status::kCancelling, "CANCELLING"},
    {Status::kCancelled, "CANCELLED"},
    {Status::kShipped, "SHIPPED"},
}};

constexpr std::array<std::pair<RejectionReason, const char*>, 6> kReasonNames = {{
    {RejectionReason::kOutOfStock, "OUT_OF_STOCK"},
    {RejectionReason::kInsufficientFunds, "INSUFFICIENT_FUNDS"},
    {RejectionReason::kProductUnavailable, "PRODUCT_UNAVAILABLE"},
    {RejectionReason::kCancelledByCustomer, "CANCELLED_BY_CUSTOMER"},
    {RejectionReason::kTimedOut, "TIMED_OUT"},
    {RejectionReason::kAbortedByOperator, "ABORTED_BY_OPERATOR"},
}};

const char* EventName(Event e) {
  switch (e) {
    case Event::kApprove: return "approve";
    case Event::kReject: return "reject";
    case Event::kRequestCancel: return "cancel";
    case Event::kMarkCancelled: return "mark cancelled";
    case Event::kShip: return "ship";
  }
  return "change";
}

absl::Status Refused(Status current, Event event) {
  return runtime::status::WithReason(
      absl::FailedPreconditionError(
          absl::StrCat("cannot ", EventName(event), " an order that is ", StatusName(current))),
      "INVALID_ORDER_STATUS");
}

constexpr Step Set(Status s) { return Step{Effect::kSetStatus, s}; }
constexpr Step Repeat(Status s) { return Step{Effect::kNone, s}; }

}  // namespace

const char* StatusName(Status s) {
  for (const auto& [status, name] : kStatusNames) {
    if (status == s) return name;
  }
  return "PENDING";
}

std::optional<Status> StatusFromName(std::string_view name) {
  for (const auto& [status, n] : kStatusNames) {
    if (name == n) return status;
  }
  return std::nullopt;
}

const char* ReasonName(RejectionReason r) {
  for (const auto& [reason, name] : kReasonNames) {
    if (reason == r) return name;
  }
  return "";
}

std::optional<RejectionReason> ReasonFromName(std::string_view name) {
  for (const auto& [reason, n] : kReasonNames) {
    if (name == n) return reason;
  }
  return std::nullopt;
}

bool IsTerminal(Status s) {
  return s == Status::kRejected || s == Status::kCancelled || s == Status::kShipped;
}

int Rank(Status s) {
  switch (s) {
    case Status::kPending: return 0;
    case Status::kApproved: return 1;
    case Status::kCancelling: return 2;
    default: return 3;
  }
}

RejectionReason ReasonOfRejection(const OrderState& state, RejectionReason sent) {
  return state.cancel_requested ? RejectionReason::kCancelledByCustomer : sent;
}

absl::StatusOr<Step> Transition(const OrderState& state, Event event) {
  const Status s = state.status;
  switch (event) {
    case Event::kApprove:
      if (s == Status::kPending) return Set(Status::kApproved);
      // Every status after APPROVED but REJECTED means the approval happened.
      if (s == Status::kRejected) return Refused(s, event);
      return Repeat(s);
    case Event::kReject:
      if (s == Status::kPending) return Set(Status::kRejected);
      if (s == Status::kRejected) return Repeat(s);  // the first reason stays
      return Refused(s, event);
    case Event::kMarkCancelled:
      // APPROVED too: a cancel requested while PENDING whose approval won
      // runs the cancel saga on the APPROVED order (orders.proto).
      if (s == Status::kApproved || s == Status::kCancelling) return Set(Status::kCancelled);
      if (s == Status::kCancelled) return Repeat(s);
      return Refused(s, event);
    case Event::kRequestCancel:
      if (s == Status::kApproved) return Set(Status::kCancelling);
      // Already being cancelled: API.md answers 400 only for SHIPPED,
      // REJECTED and CANCELLED, so a second cancel gets the order as it is.
      if (s == Status::kCancelling) return Repeat(s);
      if (s == Status::kPending) {
        return state.cancel_requested ? Repeat(s) : Step{Effect::kRecordCancelRequest, s};
      }
      return Refused(s, event);
    case Event::kShip:
      // A cancel requested while PENDING whose approval won is being
      // cancelled (refund and stock return run): it must not ship.
      if (s == Status::kApproved && !state.cancel_requested) return Set(Status::kShipped);
      return Refused(s, event);
  }
  return absl::InternalError("unknown order event");
}

absl::StatusOr<std::vector<RequestedLine>> NormaliseLines(std::vector<RequestedLine> lines,
                                                           const char* field) {
  if (lines.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must hold at least one line"));
  }
  if (lines.size() > static_cast<size_t>(kMaxLines)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " holds ", lines.size(), " lines; at most ", kMaxLines, " are allowed"));
  }
  // A product named in several lines is one line, at its first place, with
  // their quantities summed: the order holds each product once (stock is
  // reserved per product), and a client that sends the same product twice
  // (50 lines of one product, say) gets the order it meant.
  std::vector<RequestedLine> merged;
  merged.reserve(lines.size());
  std::map<std::string, size_t> at;
  for (RequestedLine& line : lines) {
    if (!runtime::ids::IsUuid(line.product_id)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".productId must be a UUID"));
    }
    line.product_id = absl::AsciiStrToLower(line.product_id);
    if (line.quantity < 1 || line.quantity > kMaxQuantity) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".quantity must be 1 to ", kMaxQuantity, " (product ",
                       line.product_id, ")"));
    }
    const auto [it, first] = at.emplace(line.product_id, merged.size());
    if (first) {
      merged.push_back(std::move(line));
      continue;
    }
    RequestedLine& into = merged[it->second];
    into.quantity += line.quantity;  // at most 50 x 1000: no overflow
    if (into.quantity > kMaxQuantity) {
      return absl::InvalidArgumentError(absl::StrCat(field, " asks for ", into.quantity, " units of product ",
                                                     into.product_id, " across its lines; at most ",
                                                     kMaxQuantity, " per product"));
    }
  }
  return merged;
}

absl::StatusOr<Priced> PriceLines(const std::vector<RequestedLine>& lines,
                                  const std::vector<std::pair<std::string, int64_t>>& prices) {
  const std::map<std::string, int64_t> by_id(prices.begin(), prices.end());
  Priced priced;
  bool overflow = false;
  for (const RequestedLine& line : lines) {
    auto it = by_id.find(line.product_id);
    if (it == by_id.end()) {
      // Not sold (see order.h): the saga rejects the order PRODUCT_UNAVAILABLE.
      priced.lines.push_back(Line{line.product_id, line.quantity, 0});
      continue;
    }
    int64_t amount = 0;
    overflow = overflow || __builtin_mul_overflow(it->second, line.quantity, &amount) ||
               __builtin_add_overflow(priced.total_cents, amount, &priced.total_cents);
    priced.lines.push_back(Line{line.product_id, line.quantity, it->second, /*on_sale=*/true});
  }
  if (overflow) {
    return absl::InvalidArgumentError("the order total exceeds the largest amount representable");
  }
  return priced;
}

std::string RequestHash(const std::vector<RequestedLine>& items, bool from_cart) {
  std::string canonical = absl::StrCat("v1|cart=", from_cart ? 1 : 0, "|");
  for (const RequestedLine& l : items) {
    absl::StrAppend(&canonical, absl::AsciiStrToLower(l.product_id), "x", l.quantity, ";");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      std::string(reinterpret_cast<const char*>(digest), static_cast<size_t>(size)));
}

}  // namespace agora::orders
