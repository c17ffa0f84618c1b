#pragma once

// The products customers lets into a cart or the favourites: live ones, as
// inventory (which owns the catalog) knows them at that moment. Behind a
// small interface, so that tests may substitute it and so that this header
// does not pull gRPC into everything that includes the service.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
class ServerContextBase;
}  // namespace grpc

namespace agora::customers {

class ProductCatalog {
 public:
  virtual ~ProductCatalog() = default;
  // OK when `product_id` names a live product; NOT_FOUND (reason
  // PRODUCT_NOT_FOUND) when it names none or a deleted one; UNAVAILABLE or
  // DEADLINE_EXCEEDED when inventory does not answer. `incoming` (may be
  // null) is the call being served. Thread-safe.
  virtual absl::Status CheckLive(const std::string& product_id, const grpc::ServerContextBase* incoming) = 0;
};

// Inventory's GetProduct (public) over `channel` (runtime/grpc/client.h
// NewChannel), each call with a deadline of `timeout` at most.
std::unique_ptr<ProductCatalog> NewGrpcProductCatalog(std::shared_ptr<grpc::Channel> channel,
                                                      absl::Duration timeout);

}  // namespace agora::customers
