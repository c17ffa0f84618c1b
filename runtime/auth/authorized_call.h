#pragma once

// The shape of every authenticated unary method of a service:
//
//   return OffloadAuthorized(ctx, executor_, authorizer_, kGetMe,
//       [this, req, resp](const Caller& caller) -> absl::Status { ... });
//
// Authorization (token verification) and the work both run on the executor,
// never on gRPC's callback threads.

#include <string_view>
#include <utility>

#include "runtime/auth/authorizer.h"
#include "runtime/grpc/offload.h"

namespace agora::runtime::auth {

template <typename Fn>
grpc::ServerUnaryReactor* OffloadAuthorized(grpc::CallbackServerContext* ctx,
                                            grpc_server::Executor& executor,
                                            const Authorizer& authorizer,
                                            std::string_view full_method, Fn fn) {
  return grpc_server::Offload(
      ctx, executor, [ctx, &authorizer, full_method, fn = std::move(fn)]() mutable -> absl::Status {
        absl::StatusOr<Caller> caller = authorizer.Authorize(*ctx, full_method);
        if (!caller.ok()) return caller.status();
        return fn(*caller);
      });
}

}  // namespace agora::runtime::auth
