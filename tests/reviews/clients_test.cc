// The gRPC client of customers (clients.h) against an in-process fake of
// the customers service on port 0.

#include "reviews/clients.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/server.h"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"

namespace agora::reviews {
namespace {

namespace customers = agora::customers::v1;
using runtime::ids::NewUuid;

// Knows one customer; answers `code` for anyone else, slowly for "slow".
class FakeCustomers final : public customers::Customers::CallbackService {
 public:
  FakeCustomers(std::string id, std::string name) : id_(std::move(id)), name_(std::move(name)) {}
  grpc::StatusCode code = grpc::StatusCode::NOT_FOUND;

  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* ctx,
                                        const customers::GetCustomerRequest* req,
                                        customers::Customer* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    // GetCustomer is INTERNAL: the client must prove it is a service.
    const auto& md = ctx->client_metadata();
    auto token = md.find(runtime::auth::kServiceTokenHeader);
    if (token == md.end() ||
        !agora::testing::TestAuthorizer()
             .AuthorizeCall("", std::string(token->second.data(), token->second.size()),
                            "agora.customers.v1.Customers.GetCustomer", absl::Now())
             .ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no service identity"));
      return reactor;
    }
    if (req->id() == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (req->id() == id_) {
      resp->set_id(id_);
      resp->set_display_name(name_);
      reactor->Finish(grpc::Status::OK);
    } else {
      reactor->Finish(grpc::Status(code, "internal detail: SELECT * FROM customers"));
    }
    return reactor;
  }

 private:
  const std::string id_;
  const std::string name_;
};

struct Fixture {
  Fixture() : id(NewUuid()), fake(id, "Ada Lovelace") {
    auto started = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {&fake});
    REQUIRE(started.ok());
    server = std::move(*started);
    profiles = NewGrpcProfiles(
        runtime::grpc_client::NewChannel("127.0.0.1:" + std::to_string(server->port())),
        absl::Milliseconds(100), agora::testing::TestServiceTokens());
  }
  std::string id;
  FakeCustomers fake;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server;
  std::unique_ptr<Profiles> profiles;
};

TEST_CASE("the display name comes from customers' GetCustomer", "[unit]") {
  Fixture f;
  absl::StatusOr<std::string> name = f.profiles->DisplayName(f.id, nullptr);
  REQUIRE(name.ok());
  CHECK(*name == "Ada Lovelace");
}

TEST_CASE("an unknown customer is FAILED_PRECONDITION, never NOT_FOUND", "[unit]") {
  Fixture f;
  const absl::Status s = f.profiles->DisplayName(NewUuid(), nullptr).status();
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("SELECT") == absl::string_view::npos);
}

TEST_CASE("customers' internal errors reach the caller as INTERNAL without their text", "[unit]") {
  Fixture f;
  f.fake.code = grpc::StatusCode::INTERNAL;
  const absl::Status s = f.profiles->DisplayName(NewUuid(), nullptr).status();
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(s.message().find("SELECT") == absl::string_view::npos);
}

TEST_CASE("a slow customers service is DEADLINE_EXCEEDED and a missing one UNAVAILABLE", "[unit]") {
  Fixture f;
  CHECK(f.profiles->DisplayName("slow", nullptr).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
  std::unique_ptr<Profiles> nowhere =
      NewGrpcProfiles(runtime::grpc_client::NewChannel("127.0.0.1:1"), absl::Seconds(2),
                      agora::testing::TestServiceTokens());
  CHECK(nowhere->DisplayName(f.id, nullptr).status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace agora::reviews
