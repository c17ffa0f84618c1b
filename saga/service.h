#pragma once

// The saga coordinator's gRPC API (protos/agora/saga/v1/admin.proto): an
// order's saga timeline for its owner, the list, detail, retry and abort of
// sagas for admins. The caller is checked against each method's policy;
// store reads and operator actions run on the executor. Thread-safe.

#include "absl/time/time.h"
#include "agora/saga/v1/admin.grpc.pb.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"
#include "runtime/pg/pool.h"
#include "saga/coordinator.h"
#include "saga/pg_store.h"

namespace agora::saga {

namespace pb = agora::saga::v1;

// The timeline as API.md shows it.
void ToTimeline(const Saga& saga, pb::SagaTimeline* out);

class SagasService final : public pb::Sagas::CallbackService {
 public:
  // Every dependency is borrowed and must outlive the service.
  // `await_start`: how long GetOrderSaga waits for an order's saga to start
  // before it answers NOT_FOUND (below).
  SagasService(runtime::pg::Pool& pool, PgStore& store, Coordinator& coordinator,
               runtime::grpc_server::Executor& executor, const runtime::auth::Authorizer& authorizer,
               absl::Duration await_start = absl::Seconds(1))
      : pool_(pool),
        store_(store),
        coordinator_(coordinator),
        executor_(executor),
        authorizer_(authorizer),
        await_start_(await_start) {}

  // An order's saga starts when the coordinator has consumed its
  // OrderCreated, milliseconds after POST /v1/orders answered 202 ("its saga
  // has started", API.md). A timeline asked for in between waits for it, up
  // to `await_start`, instead of answering NOT_FOUND for an order that has
  // one coming. Someone else's order answers NOT_FOUND at once.
  grpc::ServerUnaryReactor* GetOrderSaga(grpc::CallbackServerContext* ctx, const pb::GetOrderSagaRequest* req,
                                         pb::SagaTimeline* resp) override;
  grpc::ServerUnaryReactor* ListSagas(grpc::CallbackServerContext* ctx, const pb::ListSagasRequest* req,
                                      pb::ListSagasResponse* resp) override;
  grpc::ServerUnaryReactor* GetSaga(grpc::CallbackServerContext* ctx, const pb::GetSagaRequest* req,
                                    pb::SagaTimeline* resp) override;
  grpc::ServerUnaryReactor* RetrySaga(grpc::CallbackServerContext* ctx, const pb::RetrySagaRequest* req,
                                      pb::SagaTimeline* resp) override;
  grpc::ServerUnaryReactor* AbortSaga(grpc::CallbackServerContext* ctx, const pb::AbortSagaRequest* req,
                                      pb::SagaTimeline* resp) override;

 private:
  runtime::pg::Pool& pool_;
  PgStore& store_;
  Coordinator& coordinator_;
  runtime::grpc_server::Executor& executor_;
  const runtime::auth::Authorizer& authorizer_;
  const absl::Duration await_start_;
};

}  // namespace agora::saga
