// Methods for the other services and the saga (INTERNAL: reachable only
// inside the cluster).

#include "customers/metrics.h"
#include "customers/service.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/ids/uuid.h"

namespace agora::customers {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;

constexpr char kGetCustomer[] = "agora.customers.v1.Customers.GetCustomer";
constexpr char kGetCustomerCart[] = "agora.customers.v1.Customers.GetCustomerCart";
constexpr char kDebitBalance[] = "agora.customers.v1.Customers.DebitBalance";
constexpr char kRefundBalance[] = "agora.customers.v1.Customers.RefundBalance";

absl::Status CheckIds(const std::string& order_id, const std::string& customer_id) {
  if (!runtime::ids::IsUuid(order_id)) return absl::InvalidArgumentError("order_id must be a UUID");
  if (!runtime::ids::IsUuid(customer_id)) {
    return absl::InvalidArgumentError("customer_id must be a UUID");
  }
  return absl::OkStatus();
}

pb::DebitBalanceResponse::Outcome ToProto(DebitOutcome o) {
  switch (o) {
    case DebitOutcome::kDebited: return pb::DebitBalanceResponse::DEBITED;
    case DebitOutcome::kInsufficientFunds: return pb::DebitBalanceResponse::INSUFFICIENT_FUNDS;
    case DebitOutcome::kRefunded: return pb::DebitBalanceResponse::REFUNDED;
    case DebitOutcome::kUnknownCustomer: break;
  }
  return pb::DebitBalanceResponse::OUTCOME_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* CustomersService::GetCustomer(grpc::CallbackServerContext* ctx,
                                                        const pb::GetCustomerRequest* req,
                                                        pb::Customer* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetCustomer,
                           [this, req, resp](const Caller&) -> absl::Status {
    absl::StatusOr<Customer> c = store_.GetCustomer(req->id());
    if (!c.ok()) return c.status();
    ToProto(*c, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::GetCustomerCart(grpc::CallbackServerContext* ctx,
                                                            const pb::GetCustomerCartRequest* req,
                                                            pb::Cart* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetCustomerCart,
                           [this, req, resp](const Caller&) -> absl::Status {
    if (!runtime::ids::IsUuid(req->customer_id())) return absl::NotFoundError("customer not found");
    absl::StatusOr<std::vector<CartLine>> lines = store_.GetCart(req->customer_id());
    if (!lines.ok()) return lines.status();
    ToProto(*lines, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::DebitBalance(grpc::CallbackServerContext* ctx,
                                                         const pb::DebitBalanceRequest* req,
                                                         pb::DebitBalanceResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kDebitBalance,
                           [this, req, resp](const Caller&) -> absl::Status {
    DebitRequest debit{req->order_id(), req->customer_id(), req->amount_cents(), req->clear_cart(), {}};
    for (const pb::CartItem& line : req->cart_lines()) {
      debit.cart_lines.push_back({line.product_id(), line.quantity()});
    }
    if (absl::Status s = NormaliseDebit(&debit); !s.ok()) return s;
    absl::StatusOr<DebitResult> r = store_.Debit(debit);
    if (!r.ok()) return r.status();
    if (r->outcome == DebitOutcome::kUnknownCustomer) return absl::NotFoundError("customer not found");
    resp->set_outcome(ToProto(r->outcome));
    resp->set_balance_cents(r->balance_cents);
    GetMetrics()
        .debits.Add({{"outcome", pb::DebitBalanceResponse::Outcome_Name(resp->outcome())}})
        .Increment();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::RefundBalance(grpc::CallbackServerContext* ctx,
                                                          const pb::RefundBalanceRequest* req,
                                                          pb::RefundBalanceResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRefundBalance,
                           [this, req, resp](const Caller&) -> absl::Status {
    if (absl::Status s = CheckIds(req->order_id(), req->customer_id()); !s.ok()) return s;
    absl::StatusOr<RefundResult> r =
        store_.Refund(req->order_id(), req->customer_id(), req->restore_cart());
    if (!r.ok()) return r.status();
    if (r->payer_mismatch) return absl::FailedPreconditionError("order was paid by another customer");
    resp->set_amount_refunded_cents(r->refunded_cents);
    resp->set_balance_cents(r->balance_cents);
    GetMetrics().refunded_cents.Increment(static_cast<double>(r->refunded_cents));
    return absl::OkStatus();
  });
}

}  // namespace agora::customers
