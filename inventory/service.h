#pragma once

// The gRPC adapter of inventory: the caller checked against each method's
// policy (reads are public, catalog writes need an admin), proto <-> domain,
// validation through catalog.h, blocking store calls on the executor.
// Thread-safe.

#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "inventory/store.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"

namespace agora::inventory {

namespace pb = agora::inventory::v1;

class InventoryService final : public pb::Inventory::CallbackService {
 public:
  // Every dependency is borrowed and must outlive the service.
  InventoryService(Store& store, runtime::grpc_server::Executor& executor,
                   const runtime::auth::Authorizer& authorizer)
      : store_(store), executor_(executor), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* ListProducts(grpc::CallbackServerContext* ctx,
                                         const pb::ListProductsRequest* req,
                                         pb::ListProductsResponse* resp) override;
  grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* ctx,
                                       const pb::GetProductRequest* req,
                                       pb::Product* resp) override;
  grpc::ServerUnaryReactor* CreateProduct(grpc::CallbackServerContext* ctx,
                                          const pb::CreateProductRequest* req,
                                          pb::Product* resp) override;
  grpc::ServerUnaryReactor* UpdateProduct(grpc::CallbackServerContext* ctx,
                                          const pb::UpdateProductRequest* req,
                                          pb::Product* resp) override;
  grpc::ServerUnaryReactor* RestockProduct(grpc::CallbackServerContext* ctx,
                                           const pb::RestockProductRequest* req,
                                           pb::Product* resp) override;
  grpc::ServerUnaryReactor* DeleteProduct(grpc::CallbackServerContext* ctx,
                                          const pb::DeleteProductRequest* req,
                                          google::protobuf::Empty* resp) override;
  grpc::ServerUnaryReactor* BatchGetProducts(grpc::CallbackServerContext* ctx,
                                             const pb::BatchGetProductsRequest* req,
                                             pb::BatchGetProductsResponse* resp) override;
  grpc::ServerUnaryReactor* ReserveStock(grpc::CallbackServerContext* ctx,
                                         const pb::ReserveStockRequest* req,
                                         pb::ReserveStockResponse* resp) override;
  grpc::ServerUnaryReactor* ReleaseStock(grpc::CallbackServerContext* ctx,
                                         const pb::ReleaseStockRequest* req,
                                         pb::ReleaseStockResponse* resp) override;

 private:
  Store& store_;
  runtime::grpc_server::Executor& executor_;
  const runtime::auth::Authorizer& authorizer_;
};

}  // namespace agora::inventory
