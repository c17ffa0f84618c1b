// Balance, ledger, cart and favourites of the signed-in customer.

#include "customers/account.h"
#include "customers/metrics.h"
#include "customers/service.h"

#include "absl/strings/ascii.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/ids/uuid.h"
#include "runtime/status/reason.h"

namespace agora::customers {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;

constexpr char kTopUp[] = "agora.customers.v1.Customers.TopUp";
constexpr char kListLedger[] = "agora.customers.v1.Customers.ListLedger";
constexpr char kGetCart[] = "agora.customers.v1.Customers.GetCart";
constexpr char kSetCartItem[] = "agora.customers.v1.Customers.SetCartItem";
constexpr char kRemoveCartItem[] = "agora.customers.v1.Customers.RemoveCartItem";
constexpr char kListFavorites[] = "agora.customers.v1.Customers.ListFavorites";
constexpr char kIsFavorite[] = "agora.customers.v1.Customers.IsFavorite";
constexpr char kAddFavorite[] = "agora.customers.v1.Customers.AddFavorite";
constexpr char kRemoveFavorite[] = "agora.customers.v1.Customers.RemoveFavorite";

pb::LedgerEntry::Kind ToProto(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kTopUp: return pb::LedgerEntry::TOP_UP;
    case LedgerKind::kOrderDebit: return pb::LedgerEntry::ORDER_DEBIT;
    case LedgerKind::kOrderRefund: return pb::LedgerEntry::ORDER_REFUND;
  }
  return pb::LedgerEntry::KIND_UNSPECIFIED;
}

absl::Status CheckProductId(const std::string& id) {
  if (!runtime::ids::IsUuid(id)) return absl::InvalidArgumentError("productId must be a UUID");
  return absl::OkStatus();
}

// Writes a cart answer (or passes an error through).
absl::Status FillCart(const absl::StatusOr<std::vector<CartLine>>& lines, pb::Cart* resp) {
  if (!lines.ok()) return lines.status();
  ToProto(*lines, resp);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* CustomersService::TopUp(grpc::CallbackServerContext* ctx,
                                                  const pb::TopUpRequest* req,
                                                  pb::TopUpResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kTopUp,
                           [this, req, resp](const Caller& caller) -> absl::Status {
    if (!options_.demo_payments) {
      return runtime::status::WithReason(
          absl::PermissionDeniedError("top-ups are demo payments, switched off here"),
          "DEMO_PAYMENTS_OFF");
    }
    if (absl::Status s = ValidateTopUp(req->amount_cents(), req->idempotency_key()); !s.ok()) return s;
    // The demo payment: succeeds up to the daily cap. A real provider is called here.
    absl::StatusOr<int64_t> balance = store_.TopUp(caller.customer_id, req->amount_cents(),
                                                   req->idempotency_key(), options_.demo_daily_cap_cents);
    if (!balance.ok()) return balance.status();
    GetMetrics().topped_up_cents.Increment(static_cast<double>(req->amount_cents()));
    resp->set_balance_cents(*balance);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::ListLedger(grpc::CallbackServerContext* ctx,
                                                       const pb::ListLedgerRequest* req,
                                                       pb::ListLedgerResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kListLedger,
                           [this, req, resp](const Caller& caller) -> absl::Status {
    absl::StatusOr<int> size = NormalisePageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::optional<LedgerCursor>> after = DecodeLedgerToken(req->page_token());
    if (!after.ok()) return after.status();
    absl::StatusOr<LedgerPage> page = store_.ListLedger(caller.customer_id, *size, *after);
    if (!page.ok()) return page.status();
    for (const LedgerEntry& e : page->entries) {
      pb::LedgerEntry* out = resp->add_entries();
      out->set_id(e.id);
      out->set_kind(ToProto(e.kind));
      out->set_amount_cents(e.amount_cents);
      out->set_order_id(e.order_id);
      *out->mutable_created_at() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(e.created_at));
    }
    if (page->next.has_value()) resp->set_next_page_token(EncodeLedgerToken(*page->next));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::GetCart(grpc::CallbackServerContext* ctx,
                                                    const pb::GetCartRequest*, pb::Cart* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetCart,
                           [this, resp](const Caller& caller) {
    return FillCart(store_.GetCart(caller.customer_id), resp);
  });
}

grpc::ServerUnaryReactor* CustomersService::SetCartItem(grpc::CallbackServerContext* ctx,
                                                        const pb::SetCartItemRequest* req,
                                                        pb::Cart* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kSetCartItem,
                           [this, ctx, req, resp](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckProductId(req->product_id()); !s.ok()) return s;
    if (absl::Status s = ValidateCartQuantity(req->quantity()); !s.ok()) return s;
    // Quantity 0 removes, whatever became of the product.
    if (req->quantity() > 0) {
      if (absl::Status s = catalog_.CheckLive(absl::AsciiStrToLower(req->product_id()), ctx); !s.ok()) return s;
    }
    return FillCart(store_.SetCartItem(caller.customer_id, req->product_id(), req->quantity()), resp);
  });
}

grpc::ServerUnaryReactor* CustomersService::RemoveCartItem(grpc::CallbackServerContext* ctx,
                                                           const pb::RemoveCartItemRequest* req,
                                                           pb::Cart* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRemoveCartItem,
                           [this, req, resp](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckProductId(req->product_id()); !s.ok()) return s;
    return FillCart(store_.SetCartItem(caller.customer_id, req->product_id(), 0), resp);
  });
}

grpc::ServerUnaryReactor* CustomersService::ListFavorites(grpc::CallbackServerContext* ctx,
                                                          const pb::ListFavoritesRequest*,
                                                          pb::ListFavoritesResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kListFavorites,
                           [this, resp](const Caller& caller) -> absl::Status {
    absl::StatusOr<std::vector<std::string>> ids = store_.ListFavorites(caller.customer_id);
    if (!ids.ok()) return ids.status();
    for (const std::string& id : *ids) resp->add_product_ids(id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::IsFavorite(grpc::CallbackServerContext* ctx,
                                                       const pb::IsFavoriteRequest* req,
                                                       pb::IsFavoriteResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kIsFavorite,
                           [this, req, resp](const Caller& caller) -> absl::Status {
    if (!runtime::ids::IsUuid(req->product_id())) {
      resp->set_favorite(false);  // no product has that id
      return absl::OkStatus();
    }
    absl::StatusOr<bool> fav = store_.IsFavorite(caller.customer_id, req->product_id());
    if (!fav.ok()) return fav.status();
    resp->set_favorite(*fav);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::AddFavorite(grpc::CallbackServerContext* ctx,
                                                        const pb::AddFavoriteRequest* req,
                                                        google::protobuf::Empty*) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kAddFavorite,
                           [this, ctx, req](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckProductId(req->product_id()); !s.ok()) return s;
    if (absl::Status s = catalog_.CheckLive(absl::AsciiStrToLower(req->product_id()), ctx); !s.ok()) return s;
    return store_.SetFavorite(caller.customer_id, req->product_id(), true);
  });
}

grpc::ServerUnaryReactor* CustomersService::RemoveFavorite(grpc::CallbackServerContext* ctx,
                                                           const pb::RemoveFavoriteRequest* req,
                                                           google::protobuf::Empty*) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRemoveFavorite,
                           [this, req](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckProductId(req->product_id()); !s.ok()) return s;
    return store_.SetFavorite(caller.customer_id, req->product_id(), false);
  });
}

}  // namespace agora::customers
