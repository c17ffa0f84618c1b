#include "orders/service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "orders/convert.h"
#include "orders/metrics.h"
#include "orders/watch.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/grpc/status.h"
#include "runtime/ids/uuid.h"

namespace agora::orders {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;

constexpr char kCreateOrder[] = "agora.orders.v1.Orders.CreateOrder";
constexpr char kGetOrder[] = "agora.orders.v1.Orders.GetOrder";
constexpr char kListOrders[] = "agora.orders.v1.Orders.ListOrders";
constexpr char kCancelOrder[] = "agora.orders.v1.Orders.CancelOrder";
constexpr char kShipOrder[] = "agora.orders.v1.Orders.ShipOrder";
constexpr char kApproveOrder[] = "agora.orders.v1.Orders.ApproveOrder";
constexpr char kRejectOrder[] = "agora.orders.v1.Orders.RejectOrder";
constexpr char kMarkCancelled[] = "agora.orders.v1.Orders.MarkCancelled";
constexpr char kFindPurchase[] = "agora.orders.v1.Orders.FindPurchase";
constexpr char kLocateOrder[] = "agora.orders.v1.Orders.LocateOrder";

// The trace of the call, carried by the events it publishes.
EnvelopeContext EventContext(const grpc::ServerContextBase& ctx) {
  EnvelopeContext context;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("traceparent"); it != md.end()) {
    context.traceparent.assign(it->second.data(), it->second.size());
  }
  return context;
}

// The customer a customer-scoped call acts for. Tokens name customers by
// UUID; anything else cannot own orders.
absl::Status CheckCustomer(const Caller& caller) {
  if (!runtime::ids::IsUuid(caller.customer_id)) {
    return absl::PermissionDeniedError("the caller is not a customer");
  }
  return absl::OkStatus();
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("order ", id, " not found"));
}

}  // namespace

grpc::ServerUnaryReactor* OrdersService::CreateOrder(grpc::CallbackServerContext* ctx,
                                                     const pb::CreateOrderRequest* req,
                                                     pb::Order* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kCreateOrder,
      [this, ctx, req, resp](const Caller& caller) -> absl::Status {
        if (absl::Status s = CheckCustomer(caller); !s.ok()) return s;
        PlaceRequest request;
        request.customer_id = caller.customer_id;
        for (const auto& item : req->items()) {
          request.items.push_back({item.product_id(), item.quantity()});
        }
        request.from_cart = req->from_cart();
        request.idempotency_key = req->idempotency_key();
        absl::StatusOr<CreateResult> result = placer_.Place(request, ctx, EventContext(*ctx));
        if (!result.ok()) return result.status();
        if (result->created) GetMetrics().created.Increment();
        ToProto(result->order, resp);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* OrdersService::GetOrder(grpc::CallbackServerContext* ctx,
                                                  const pb::GetOrderRequest* req,
                                                  pb::Order* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetOrder,
                           [this, req, resp](const Caller& caller) -> absl::Status {
                             absl::StatusOr<Order> order = store_.Get(req->id());
                             if (!order.ok()) return order.status();
                             // Not PERMISSION_DENIED: that would confirm the order exists.
                             if (!caller.CanAccess(order->customer_id)) return NotFound(req->id());
                             ToProto(*order, resp);
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* OrdersService::ListOrders(grpc::CallbackServerContext* ctx,
                                                    const pb::ListOrdersRequest* req,
                                                    pb::ListOrdersResponse* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kListOrders,
      [this, req, resp](const Caller& caller) -> absl::Status {
        absl::StatusOr<std::optional<Status>> status = StatusFilterFromProto(req->status());
        if (!status.ok()) return status.status();
        std::optional<std::string> customer;
        if (!caller.is_admin()) {
          if (absl::Status s = CheckCustomer(caller); !s.ok()) return s;
          customer = caller.customer_id;
        }
        absl::StatusOr<ListQuery> query =
            MakeListQuery(req->page_size(), req->page_token(), *status, customer);
        if (!query.ok()) return query.status();
        absl::StatusOr<OrderPage> page = store_.List(*query);
        if (!page.ok()) return page.status();
        for (const Order& order : page->orders) ToProto(order, resp->add_orders());
        resp->set_next_page_token(EncodePageToken(page->next, *status));
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<pb::Order>* OrdersService::WatchOrder(grpc::CallbackServerContext* ctx,
                                                               const pb::WatchOrderRequest* req) {
  return StartWatch(ctx, req->id(), store_, hub_, executor_, authorizer_);
}

grpc::ServerUnaryReactor* OrdersService::CancelOrder(grpc::CallbackServerContext* ctx,
                                                     const pb::CancelOrderRequest* req,
                                                     pb::Order* resp) {
  return ApplyChange(ctx, kCancelOrder, req->id(), {Event::kRequestCancel}, /*owned=*/true, resp, *req,
                     req->idempotency_key());
}

grpc::ServerUnaryReactor* OrdersService::ShipOrder(grpc::CallbackServerContext* ctx,
                                                   const pb::ShipOrderRequest* req,
                                                   pb::Order* resp) {
  return ApplyChange(ctx, kShipOrder, req->id(), {Event::kShip}, /*owned=*/false, resp, *req,
                     req->idempotency_key());
}

grpc::ServerUnaryReactor* OrdersService::FindPurchase(grpc::CallbackServerContext* ctx,
                                                      const pb::FindPurchaseRequest* req,
                                                      pb::FindPurchaseResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kFindPurchase,
                           [this, req, resp](const Caller&) -> absl::Status {
                             absl::StatusOr<std::optional<Order>> found =
                                 store_.FindPurchase(absl::AsciiStrToLower(req->customer_id()),
                                                     absl::AsciiStrToLower(req->product_id()));
                             if (!found.ok()) return found.status();
                             if (found->has_value()) {
                               resp->set_order_id((*found)->id);
                               resp->set_status(ToProto((*found)->status));
                             }
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* OrdersService::LocateOrder(grpc::CallbackServerContext* ctx,
                                                     const pb::LocateOrderRequest* req, pb::LocatedOrder* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kLocateOrder,
                           [this, req, resp](const Caller&) -> absl::Status {
                             absl::StatusOr<Order> order = store_.Get(req->order_id());
                             if (!order.ok()) return order.status();
                             resp->set_customer_id(order->customer_id);
                             resp->set_status(ToProto(order->status));
                             *resp->mutable_created_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
                                 absl::ToUnixMicros(order->created_at));
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* OrdersService::ApproveOrder(grpc::CallbackServerContext* ctx,
                                                      const pb::ApproveOrderRequest* req,
                                                      pb::Order* resp) {
  return ApplyChange(ctx, kApproveOrder, req->order_id(), {Event::kApprove}, /*owned=*/false,
                     resp, *req);
}

grpc::ServerUnaryReactor* OrdersService::RejectOrder(grpc::CallbackServerContext* ctx,
                                                     const pb::RejectOrderRequest* req,
                                                     pb::Order* resp) {
  absl::StatusOr<RejectionReason> reason = ReasonFromProto(req->reason());
  if (!reason.ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(runtime::grpc_server::ToGrpcStatus(reason.status()));
    return reactor;
  }
  return ApplyChange(ctx, kRejectOrder, req->order_id(), {Event::kReject, *reason},
                     /*owned=*/false, resp, *req);
}

grpc::ServerUnaryReactor* OrdersService::MarkCancelled(grpc::CallbackServerContext* ctx,
                                                       const pb::MarkCancelledRequest* req,
                                                       pb::Order* resp) {
  return ApplyChange(ctx, kMarkCancelled, req->order_id(), {Event::kMarkCancelled},
                     /*owned=*/false, resp, *req);
}

grpc::ServerUnaryReactor* OrdersService::ApplyChange(grpc::CallbackServerContext* ctx,
                                                     const char* method, std::string id,
                                                     Change change, bool owned, pb::Order* resp,
                                                     const google::protobuf::Message& request,
                                                     std::string idempotency_key) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, method,
      [this, ctx, method, id = std::move(id), change, owned, resp, &request,
       idempotency_key = std::move(idempotency_key)](const Caller& caller) -> absl::Status {
        std::optional<std::string> owner;
        if (owned && !caller.is_admin()) owner = caller.customer_id;
        absl::StatusOr<runtime::idempotency::RequestKey> key =
            runtime::idempotency::MakeRequestKey(caller.customer_id, method, idempotency_key, request);
        if (!key.ok()) return key.status();
        absl::StatusOr<ChangeResult> result = store_.Apply(id, change, owner, EventContext(*ctx), *key);
        if (!result.ok()) return result.status();
        if (result->changed && result->step.effect == Effect::kSetStatus) {
          GetMetrics()
              .status_changes.Add({{"to", StatusName(result->step.status)}})
              .Increment();
        }
        ToProto(result->order, resp);
        return absl::OkStatus();
      });
}

}  // namespace agora::orders
