#pragma once

// The gRPC adapter of orders: the caller from the verified token (every
// method, with its policy), ownership (another customer's order is
// NOT_FOUND), proto <-> domain, and the store's blocking calls on the
// executor. Thread-safe.

#include "agora/orders/v1/orders.grpc.pb.h"
#include "orders/clients.h"
#include "orders/placing.h"
#include "orders/store.h"
#include "orders/watch_hub.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"

namespace agora::orders {

namespace pb = agora::orders::v1;

class OrdersService final : public pb::Orders::CallbackService {
 public:
  // Every part is borrowed and must outlive the service (and its server).
  OrdersService(Store& store, Catalog& catalog, Carts& carts, WatchHub& hub,
                runtime::grpc_server::Executor& executor,
                const runtime::auth::Authorizer& authorizer)
      : store_(store),
        placer_(store, catalog, carts),
        hub_(hub),
        executor_(executor),
        authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* CreateOrder(grpc::CallbackServerContext* ctx,
                                        const pb::CreateOrderRequest* req,
                                        pb::Order* resp) override;
  grpc::ServerUnaryReactor* GetOrder(grpc::CallbackServerContext* ctx,
                                     const pb::GetOrderRequest* req, pb::Order* resp) override;
  grpc::ServerUnaryReactor* ListOrders(grpc::CallbackServerContext* ctx,
                                       const pb::ListOrdersRequest* req,
                                       pb::ListOrdersResponse* resp) override;
  grpc::ServerWriteReactor<pb::Order>* WatchOrder(grpc::CallbackServerContext* ctx,
                                                  const pb::WatchOrderRequest* req) override;
  grpc::ServerUnaryReactor* CancelOrder(grpc::CallbackServerContext* ctx,
                                        const pb::CancelOrderRequest* req,
                                        pb::Order* resp) override;
  grpc::ServerUnaryReactor* ShipOrder(grpc::CallbackServerContext* ctx,
                                      const pb::ShipOrderRequest* req, pb::Order* resp) override;
  grpc::ServerUnaryReactor* ApproveOrder(grpc::CallbackServerContext* ctx,
                                         const pb::ApproveOrderRequest* req,
                                         pb::Order* resp) override;
  grpc::ServerUnaryReactor* RejectOrder(grpc::CallbackServerContext* ctx,
                                        const pb::RejectOrderRequest* req,
                                        pb::Order* resp) override;
  grpc::ServerUnaryReactor* MarkCancelled(grpc::CallbackServerContext* ctx,
                                          const pb::MarkCancelledRequest* req,
                                          pb::Order* resp) override;
  grpc::ServerUnaryReactor* FindPurchase(grpc::CallbackServerContext* ctx,
                                         const pb::FindPurchaseRequest* req,
                                         pb::FindPurchaseResponse* resp) override;
  grpc::ServerUnaryReactor* LocateOrder(grpc::CallbackServerContext* ctx, const pb::LocateOrderRequest* req,
                                        pb::LocatedOrder* resp) override;

 private:
  // Applies `change` to order `id` and answers the order after it. With
  // `owned`, a customer may change only their own orders (admins any).
  grpc::ServerUnaryReactor* ApplyChange(grpc::CallbackServerContext* ctx, const char* method,
                                        std::string id, Change change, bool owned,
                                        pb::Order* resp, const google::protobuf::Message& request,
                                        std::string idempotency_key = "");

  Store& store_;
  OrderPlacer placer_;
  WatchHub& hub_;
  runtime::grpc_server::Executor& executor_;
  const runtime::auth::Authorizer& authorizer_;
};

}  // namespace agora::orders
