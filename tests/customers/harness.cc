#include "tests/customers/harness.h"

#include <catch2/catch.hpp>

#include "grpcpp/grpcpp.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/auth.h"

namespace agora::customers {

ServiceOptions Harness::LocalRun() {
  ServiceOptions o;
  o.demo_payments = true;
  return o;
}

Harness::Harness(ServiceOptions options, int password_threads, size_t password_queue)
    : db_("customers"),
      migrated_(runtime::pg::ApplyMigrations(
                    db_.ServiceOptions(), {{"messaging", &runtime::messaging::MessagingMigrations()},
                                           {"customers", &CustomersMigrations()}})
                    .ok()),
      pool_(db_.ServiceOptions(), 8),
      executor_(8, 4096),
      password_executor_(password_threads, password_queue),
      store_(pool_),
      // Cheap parameters: the tests hash hundreds of passwords.
      hasher_({1, 8192}),
      service_(store_, executor_, password_executor_, agora::testing::TestAuthorizer(), hasher_,
               agora::testing::TestSigner(), catalog_, options) {
  REQUIRE(migrated_);
  auto server = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {&service_});
  REQUIRE(server.ok());
  server_ = std::move(*server);
  stub_ = pb::Customers::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
}

Harness::~Harness() {
  server_->Shutdown(absl::Seconds(1));
  password_executor_.Drain();
  executor_.Drain();
}

pb::Customer Harness::Register(const std::string& email, const std::string& password) {
  pb::RegisterRequest req;
  req.set_email(email);
  req.set_password(password);
  req.set_display_name("Test " + email);
  pb::Customer out;
  grpc::ClientContext ctx;
  const grpc::Status s = stub_->Register(&ctx, req, &out);
  INFO(s.error_message());
  REQUIRE(s.ok());
  return out;
}

pb::TokenPair Harness::Login(const std::string& email, const std::string& password) {
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password(password);
  pb::TokenPair out;
  grpc::ClientContext ctx;
  const grpc::Status s = stub_->Login(&ctx, req, &out);
  INFO(s.error_message());
  REQUIRE(s.ok());
  return out;
}

std::unique_ptr<grpc::ClientContext> Harness::As(const std::string& customer_id, bool admin) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", agora::testing::BearerFor(customer_id, admin));
  return ctx;
}

std::unique_ptr<grpc::ClientContext> Harness::Anonymous() {
  return std::make_unique<grpc::ClientContext>();
}

int64_t Harness::Balance(const std::string& id) const {
  return std::stoll(db_.QueryAsSuper("SELECT balance_cents FROM customers.customers WHERE id = '" + id + "'"));
}

int64_t Harness::LedgerSum(const std::string& id) const {
  return std::stoll(db_.QueryAsSuper(
      "SELECT COALESCE(sum(amount_cents), 0) FROM customers.ledger WHERE customer_id = '" + id + "'"));
}

}  // namespace agora::customers
