#pragma once

// The saga coordinator's gRPC API (protos/agora/saga/v1/admin.proto): an
// order's saga timeline for its owner, the list, detail, retry and abort of
// sagas for admins. The caller is checked against each method's policy;
// store reads and operator actions run on the executor. Thread-safe.

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
  SagasService(runtime::pg::Pool& pool, PgStore& store, Coordinator& coordinator,
               runtime::grpc_server::Executor& executor, const runtime::auth::Authorizer& authorizer)
      : pool_(pool), store_(store), coordinator_(coordinator), executor_(executor), authorizer_(authorizer) {}

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
};

}  // namespace agora::saga
