#pragma once

// WatchOrder's server-streaming reactor: the order now, then the order after
// each status change (from the WatchHub's notices), ending after a terminal
// status. Authorization and loads run on the executor; gRPC's callback
// threads only start writes.

#include <string>

#include "agora/orders/v1/orders.grpc.pb.h"
#include "orders/store.h"
#include "orders/watch_hub.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"

namespace agora::orders {

inline constexpr char kWatchOrderMethod[] = "agora.orders.v1.Orders.WatchOrder";

// The reactor for one WatchOrder call; it deletes itself once the call is
// done and no work of its own is queued. Every part is borrowed and must
// outlive the call (the server drains before they stop).
grpc::ServerWriteReactor<agora::orders::v1::Order>* StartWatch(
    grpc::CallbackServerContext* ctx, const std::string& order_id, Store& store, WatchHub& hub,
    runtime::grpc_server::Executor& executor, const runtime::auth::Authorizer& authorizer);

}  // namespace agora::orders
