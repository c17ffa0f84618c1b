#pragma once

// Runs a unary handler's blocking work on the executor and finishes the
// callback reactor from there, so gRPC's callback threads never block:
//
//   return Offload(ctx, executor_, [=]() -> absl::Status { ... });
//
// Refused with RESOURCE_EXHAUSTED when the executor's queue is full;
// DEADLINE_EXCEEDED / CANCELLED when the call's deadline passed or the client
// went away before the work started.

#include <utility>

#include "absl/status/status.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/server_context.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/status.h"

namespace agora::runtime::grpc_server {

template <typename Fn>
grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* ctx, Executor& executor, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const bool queued = executor.Submit([ctx, reactor, fn = std::move(fn)]() mutable {
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
      return;
    }
    if (std::chrono::system_clock::now() > ctx->deadline()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded"));
      return;
    }
    reactor->Finish(ToGrpcStatus(fn()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy, retry later"));
  }
  return reactor;
}

}  // namespace agora::runtime::grpc_server
