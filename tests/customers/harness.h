#pragma once

// The customers service over real gRPC (in-process, port 0) and a real
// PostgreSQL database of its own; tokens signed by the test key.

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "customers/catalog.h"
#include "customers/passwords.h"
#include "customers/pg_store.h"
#include "customers/service.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/server.h"
#include "runtime/pg/pool.h"
#include "runtime/status/reason.h"
#include "tests/support/fake_backend.h"
#include "tests/support/infra.h"

namespace agora::customers {

// Inventory as customers sees it: every product is live but the ones a test
// marks gone; or every call fails with what FailWith set.
class FakeCatalog final : public ProductCatalog, public agora::testing::FakeBackend {
 public:
  absl::Status CheckLive(const std::string& product_id, const grpc::ServerContextBase* /*incoming*/) override {
    if (std::optional<absl::Status> failure = Called()) return *failure;
    absl::MutexLock lock(&mu_);
    if (gone_.count(product_id) > 0) {
      return runtime::status::WithReason(absl::NotFoundError("product " + product_id + " not found"),
                                         "PRODUCT_NOT_FOUND");
    }
    return absl::OkStatus();
  }
  void MarkGone(const std::string& product_id) {
    absl::MutexLock lock(&mu_);
    gone_.insert(product_id);
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> gone_ ABSL_GUARDED_BY(mu_);
};

class Harness {
 public:
  // Options as a local run sets them: demo payments on.
  static ServiceOptions LocalRun();
  // `password_threads` and `password_queue` size the sign-in pool.
  explicit Harness(ServiceOptions options = LocalRun(), int password_threads = 2,
                   size_t password_queue = 64);
  ~Harness();

  pb::Customers::Stub& stub() { return *stub_; }
  const agora::testing::TestDatabase& db() const { return db_; }
  PgStore& store() { return store_; }
  FakeCatalog& catalog() { return catalog_; }

  // A new account; returns it (REQUIREs success).
  pb::Customer Register(const std::string& email, const std::string& password = "password123");
  pb::TokenPair Login(const std::string& email, const std::string& password = "password123");
  // A context carrying `customer_id`'s access token (or none).
  std::unique_ptr<grpc::ClientContext> As(const std::string& customer_id, bool admin = false);
  std::unique_ptr<grpc::ClientContext> Anonymous();
  // Balance as stored, and as the ledger sums it up.
  int64_t Balance(const std::string& customer_id) const;
  int64_t LedgerSum(const std::string& customer_id) const;

 private:
  agora::testing::TestDatabase db_;
  bool migrated_;
  runtime::pg::Pool pool_;
  runtime::grpc_server::Executor executor_;
  runtime::grpc_server::Executor password_executor_;
  PgStore store_;
  PasswordHasher hasher_;
  FakeCatalog catalog_;
  CustomersService service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server_;
  std::unique_ptr<pb::Customers::Stub> stub_;
};

}  // namespace agora::customers
