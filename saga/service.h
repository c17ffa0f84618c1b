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
#include "saga/clients.h"
#include "saga/coordinator.h"
#include "saga/pg_store.h"

namespace agora::saga {

namespace pb = agora::saga::v1;

// The timeline as API.md shows it.
void ToTimeline(const Saga& saga, pb::SagaTimeline* out);

class SagasService final : public pb::Sagas::CallbackService {
 public:
  // Every dependency is borrowed and must outlive the service; `orders` may
  // be null (below). `await_start`: how long GetOrderSaga waits for an
  // order's saga to start.
  SagasService(runtime::pg::Pool& pool, PgStore& store, Coordinator& coordinator,
               runtime::grpc_server::Executor& executor, const runtime::auth::Authorizer& authorizer,
               OrderDirectory* orders, absl::Duration await_start = absl::Seconds(1))
      : pool_(pool),
        store_(store),
        coordinator_(coordinator),
        executor_(executor),
        authorizer_(authorizer),
        orders_(orders),
        await_start_(await_start) {}

  // An order's saga starts when the coordinator has consumed its
  // OrderCreated, milliseconds after POST /v1/orders answered 202 ("its saga
  // has started", API.md), or seconds later when Kafka lags. A timeline
  // asked for in between asks orders about the order: one it does not know,
  // or someone else's, is NOT_FOUND at once; the caller's PENDING order waits
  // for its saga up to `await_start`, then is shown as the saga starting
  // (RUNNING, ReserveStock PENDING, the saga's id derived from the order's:
  // SagaIdFor). Without `orders`, or when orders cannot answer, the wait
  // ends NOT_FOUND. Someone else's saga is NOT_FOUND at once.
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
  OrderDirectory* const orders_;
  const absl::Duration await_start_;
};

}  // namespace agora::saga
