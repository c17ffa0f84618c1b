#include "inventory/service.h"

#include "google/protobuf/util/time_util.h"
#include "inventory/catalog.h"
#include "inventory/convert.h"
#include "inventory/metrics.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/idempotency/request_keys.h"

namespace agora::inventory {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;

constexpr char kListProducts[] = "agora.inventory.v1.Inventory.ListProducts";
constexpr char kGetProduct[] = "agora.inventory.v1.Inventory.GetProduct";
constexpr char kCreateProduct[] = "agora.inventory.v1.Inventory.CreateProduct";
constexpr char kUpdateProduct[] = "agora.inventory.v1.Inventory.UpdateProduct";
constexpr char kRestockProduct[] = "agora.inventory.v1.Inventory.RestockProduct";
constexpr char kDeleteProduct[] = "agora.inventory.v1.Inventory.DeleteProduct";
constexpr char kBatchGetProducts[] = "agora.inventory.v1.Inventory.BatchGetProducts";
constexpr char kReserveStock[] = "agora.inventory.v1.Inventory.ReserveStock";
constexpr char kReleaseStock[] = "agora.inventory.v1.Inventory.ReleaseStock";

// Runs a store call returning a Product and writes it to `resp`.
absl::Status Fill(const absl::StatusOr<Product>& product, pb::Product* resp) {
  if (!product.ok()) return product.status();
  ToProto(*product, resp);
  return absl::OkStatus();
}

pb::ReserveStockResponse::Outcome ToProto(ReserveOutcome o) {
  switch (o) {
    case ReserveOutcome::kReserved:
      return pb::ReserveStockResponse::RESERVED;
    case ReserveOutcome::kOutOfStock:
      return pb::ReserveStockResponse::OUT_OF_STOCK;
    case ReserveOutcome::kProductUnavailable:
      return pb::ReserveStockResponse::PRODUCT_UNAVAILABLE;
    case ReserveOutcome::kReleased:
      return pb::ReserveStockResponse::RELEASED;
  }
  return pb::ReserveStockResponse::OUTCOME_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* InventoryService::ListProducts(grpc::CallbackServerContext* ctx,
                                                         const pb::ListProductsRequest* req,
                                                         pb::ListProductsResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kListProducts,
                           [this, req, resp](const Caller&) -> absl::Status {
                             absl::StatusOr<ListQuery> query =
                                 MakeListQuery(req->page_size(), req->page_token(), req->query());
                             if (!query.ok()) return query.status();
                             absl::StatusOr<Page> page = store_.ListProducts(*query);
                             if (!page.ok()) return page.status();
                             for (const Product& p : page->products)
                               ToProto(p, resp->add_products());
                             resp->set_next_page_token(EncodePageToken(page->next, query->query));
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* InventoryService::GetProduct(grpc::CallbackServerContext* ctx,
                                                       const pb::GetProductRequest* req,
                                                       pb::Product* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kGetProduct,
      [this, req, resp](const Caller&) { return Fill(store_.GetProduct(req->id()), resp); });
}

grpc::ServerUnaryReactor* InventoryService::CreateProduct(grpc::CallbackServerContext* ctx,
                                                          const pb::CreateProductRequest* req,
                                                          pb::Product* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kCreateProduct,
                           [this, req, resp](const Caller& caller) -> absl::Status {
                             const NewProduct p{req->sku(), req->name(), req->description(),
                                                req->price_cents(), req->stock()};
                             if (absl::Status s = ValidateNewProduct(p); !s.ok()) return s;
                             absl::StatusOr<runtime::idempotency::RequestKey> key =
                                 runtime::idempotency::MakeRequestKey(caller.customer_id, kCreateProduct,
                                                                      req->idempotency_key(), *req);
                             if (!key.ok()) return key.status();
                             return Fill(store_.CreateProduct(p, *key), resp);
                           });
}

grpc::ServerUnaryReactor* InventoryService::UpdateProduct(grpc::CallbackServerContext* ctx,
                                                          const pb::UpdateProductRequest* req,
                                                          pb::Product* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kUpdateProduct,
                           [this, req, resp](const Caller&) -> absl::Status {
                             ProductPatch patch;
                             if (req->has_name()) patch.name = req->name();
                             if (req->has_description()) patch.description = req->description();
                             if (req->has_price_cents()) patch.price_cents = req->price_cents();
                             if (absl::Status s = ValidatePatch(patch); !s.ok()) return s;
                             return Fill(store_.UpdateProduct(req->id(), patch), resp);
                           });
}

grpc::ServerUnaryReactor* InventoryService::RestockProduct(grpc::CallbackServerContext* ctx,
                                                           const pb::RestockProductRequest* req,
                                                           pb::Product* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRestockProduct,
                           [this, req, resp](const Caller& caller) -> absl::Status {
                             if (absl::Status s = ValidateRestock(req->quantity()); !s.ok())
                               return s;
                             absl::StatusOr<runtime::idempotency::RequestKey> key =
                                 runtime::idempotency::MakeRequestKey(caller.customer_id, kRestockProduct,
                                                                      req->idempotency_key(), *req);
                             if (!key.ok()) return key.status();
                             return Fill(store_.Restock(req->id(), req->quantity(), *key), resp);
                           });
}

grpc::ServerUnaryReactor* InventoryService::DeleteProduct(grpc::CallbackServerContext* ctx,
                                                          const pb::DeleteProductRequest* req,
                                                          google::protobuf::Empty* /*resp*/) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kDeleteProduct,
                           [this, req](const Caller&) { return store_.DeleteProduct(req->id()); });
}

grpc::ServerUnaryReactor* InventoryService::BatchGetProducts(grpc::CallbackServerContext* ctx,
                                                             const pb::BatchGetProductsRequest* req,
                                                             pb::BatchGetProductsResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kBatchGetProducts,
                           [this, req, resp](const Caller&) -> absl::Status {
                             if (req->ids_size() > kMaxPageSize) {
                               return absl::InvalidArgumentError("at most 100 ids per call");
                             }
                             absl::StatusOr<std::vector<Product>> products =
                                 store_.BatchGetProducts({req->ids().begin(), req->ids().end()});
                             if (!products.ok()) return products.status();
                             for (const Product& p : *products) ToProto(p, resp->add_products());
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* InventoryService::ReserveStock(grpc::CallbackServerContext* ctx,
                                                         const pb::ReserveStockRequest* req,
                                                         pb::ReserveStockResponse* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kReserveStock, [this, req, resp](const Caller&) -> absl::Status {
        std::vector<StockLine> lines;
        for (const auto& l : req->lines()) lines.push_back({l.product_id(), l.quantity()});
        absl::StatusOr<std::vector<StockLine>> normalised =
            NormaliseReservation(req->order_id(), std::move(lines));
        if (!normalised.ok()) return normalised.status();
        absl::StatusOr<ReserveResult> result = store_.Reserve(req->order_id(), *normalised);
        if (!result.ok()) return result.status();
        resp->set_outcome(ToProto(result->outcome));
        resp->set_product_id(result->product_id);
        if (result->repeat) return absl::OkStatus();
        Metrics& m = GetMetrics();
        m.reservations.Add({{"outcome", pb::ReserveStockResponse::Outcome_Name(resp->outcome())}})
            .Increment();
        if (result->outcome == ReserveOutcome::kReserved) {
          int64_t units = 0;
          for (const StockLine& l : *normalised) units += l.quantity;
          m.units_reserved.Increment(static_cast<double>(units));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InventoryService::ReleaseStock(grpc::CallbackServerContext* ctx,
                                                         const pb::ReleaseStockRequest* req,
                                                         pb::ReleaseStockResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kReleaseStock,
                           [this, req, resp](const Caller&) -> absl::Status {
                             absl::StatusOr<int64_t> units = store_.Release(req->order_id());
                             if (!units.ok()) return units.status();
                             resp->set_units_released(*units);
                             GetMetrics().units_released.Increment(static_cast<double>(*units));
                             return absl::OkStatus();
                           });
}

}  // namespace agora::inventory
