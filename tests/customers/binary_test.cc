// The customers process: signing key generated at first start, the
// administrator account created from configuration, tokens that the other
// services verify with the published public key.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"
#include "tests/support/service_process.h"

namespace agora::customers {
namespace {

namespace pb = agora::customers::v1;
using agora::testing::GetInfra;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;

TEST_CASE("customers generates its key, creates the administrator and issues verifiable tokens",
          "[e2e]") {
  TestDatabase db("customers");
  const std::string key = GetInfra().dir + "/" + UniqueName("signing") + ".pem";
  const std::vector<std::string> flags = {"--jwt-private-key-file=" + key,
                                          "--admin-email=Boss@Example.com",
                                          "--admin-password=boss-password",
                                          "--argon2-ops=1",
                                          "--argon2-memory-kib=8192"};
  for (int run = 0; run < 2; ++run) {
    ServiceProcess proc(AGORA_CUSTOMERS_BINARY, "customers", db, flags);
    // The key is made once; later starts load it.
    CHECK((proc.Log().find("jwt_key_generated") != std::string::npos) == (run == 0));
    auto stub = pb::Customers::NewStub(
        grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
    pb::LoginRequest login;
    login.set_email("boss@example.com");
    login.set_password("boss-password");
    pb::TokenPair tokens;
    grpc::ClientContext ctx;
    REQUIRE(stub->Login(&ctx, login, &tokens).ok());

    runtime::auth::VerifierConfig config;
    config.public_key_file = key.substr(0, key.size() - 4) + ".pub.pem";
    auto verifier = runtime::auth::LoadVerifier(config);
    REQUIRE(verifier.ok());
    auto claims = (*verifier)->Verify(tokens.access_token(), absl::Now());
    REQUIRE(claims.ok());
    CHECK(claims->roles == std::vector<std::string>{"customer", "admin"});

    proc.process().Signal(SIGTERM);
    const int status = proc.process().Wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(db.QueryAsSuper("SELECT count(*) FROM customers.customers") == "1");
}

TEST_CASE("during a key rotation customers accepts and publishes the other key of AGORA_JWT_PUBLIC_KEY_FILE "
          "beside its signing key",
          "[e2e]") {
  TestDatabase db("customers");
  const std::string base = GetInfra().dir + "/" + UniqueName("rotation");
  // customers' signing key, and the other key of a rotation (the next one,
  // or the previous one whose tokens are still alive).
  absl::StatusOr<std::string> signing_pem = runtime::auth::GenerateRsaPrivateKeyPem();
  absl::StatusOr<std::string> other_pem = runtime::auth::GenerateRsaPrivateKeyPem();
  REQUIRE(signing_pem.ok());
  REQUIRE(other_pem.ok());
  auto other = runtime::auth::JwtSigner::FromPem(*other_pem, {});
  REQUIRE(other.ok());
  std::ofstream(base + "-signing.pem") << *signing_pem;
  std::ofstream(base + "-published.pem") << runtime::auth::PublicKeyPem(*signing_pem).value()
                                         << runtime::auth::PublicKeyPem(*other_pem).value();
  const std::string token = (*other)->Sign(runtime::ids::NewUuid(), {"customer"}, absl::Now());
  // GetMe with the other key's token: NOT_FOUND (signed in, no such
  // account) when the key is accepted, UNAUTHENTICATED when not.
  auto get_me = [&](pb::Customers::Stub& stub) {
    pb::Customer me;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    return stub.GetMe(&ctx, pb::GetMeRequest(), &me).error_code();
  };
  auto jwks_size = [](pb::Customers::Stub& stub) {
    pb::Jwks jwks;
    grpc::ClientContext ctx;
    REQUIRE(stub.GetJwks(&ctx, pb::GetJwksRequest(), &jwks).ok());
    return jwks.keys_size();
  };
  {
    ServiceProcess proc(AGORA_CUSTOMERS_BINARY, "customers", db,
                        {"--jwt-private-key-file=" + base + "-signing.pem", "--jwt-generate-key=false"});
    auto stub = pb::Customers::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
    CHECK(jwks_size(*stub) == 1);
    CHECK(get_me(*stub) == grpc::StatusCode::UNAUTHENTICATED);
  }
  ServiceProcess proc(AGORA_CUSTOMERS_BINARY, "customers", db,
                      {"--jwt-private-key-file=" + base + "-signing.pem", "--jwt-generate-key=false",
                       "--jwt-public-key-file=" + base + "-published.pem"});
  auto stub = pb::Customers::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
  CHECK(jwks_size(*stub) == 2);
  CHECK(get_me(*stub) == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("customers refuses to start without a key when generation is off", "[e2e]") {
  TestDatabase db("customers");
  const std::string log = GetInfra().dir + "/" + UniqueName("customers-nokey") + ".log";
  agora::testing::ChildProcess proc(
      AGORA_CUSTOMERS_BINARY,
      {"--jwt-private-key-file=/nonexistent/key.pem", "--jwt-generate-key=false",
       "--pg-port=" + std::to_string(db.ServiceOptions().port), "--pg-database=" + db.name()},
      log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(agora::testing::ReadFile(log).find("jwt_key_unavailable") != std::string::npos);
}

TEST_CASE("customers started without administrator settings creates none and says so; top-ups are off",
          "[e2e]") {
  TestDatabase db("customers");
  const std::string key = GetInfra().dir + "/" + UniqueName("signing") + ".pem";
  ServiceProcess proc(AGORA_CUSTOMERS_BINARY, "customers", db,
                      {"--jwt-private-key-file=" + key, "--argon2-ops=1", "--argon2-memory-kib=8192"});
  CHECK(proc.Log().find("admin_account_skipped") != std::string::npos);
  CHECK(db.QueryAsSuper("SELECT count(*) FROM customers.customers") == "0");
  // Neither the old default administrator nor a demo payment exists.
  auto stub = pb::Customers::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
  pb::LoginRequest login;
  login.set_email("admin@agora.local");
  login.set_password("agora-admin");
  pb::TokenPair tokens;
  grpc::ClientContext ctx;
  CHECK(stub->Login(&ctx, login, &tokens).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  pb::RegisterRequest reg;
  reg.set_email(UniqueName("c") + "@example.com");
  reg.set_password("password123");
  pb::Customer customer;
  grpc::ClientContext reg_ctx;
  REQUIRE(stub->Register(&reg_ctx, reg, &customer).ok());
  pb::LoginRequest mine;
  mine.set_email(reg.email());
  mine.set_password("password123");
  grpc::ClientContext login_ctx;
  REQUIRE(stub->Login(&login_ctx, mine, &tokens).ok());
  pb::TopUpRequest top;
  top.set_amount_cents(100);
  pb::TopUpResponse balance;
  grpc::ClientContext top_ctx;
  top_ctx.AddMetadata("authorization", "Bearer " + tokens.access_token());
  CHECK(stub->TopUp(&top_ctx, top, &balance).error_code() == grpc::StatusCode::PERMISSION_DENIED);
}

// Runs customers on a fresh database with `flags` (besides its ports, the
// database and a key file) until it exits on its own; its exit code (1 is a
// start-up failure) and its log.
std::pair<int, std::string> RunUntilItStops(const std::string& name, const std::vector<std::string>& flags) {
  TestDatabase db("customers");
  const std::string log = GetInfra().dir + "/" + UniqueName(name) + ".log";
  std::vector<std::string> all = {"--jwt-private-key-file=" + GetInfra().dir + "/" + UniqueName("k") + ".pem",
                                  "--grpc-address=127.0.0.1:0", "--metrics-port=0",
                                  "--pg-port=" + std::to_string(db.ServiceOptions().port), "--pg-database=" + db.name()};
  all.insert(all.end(), flags.begin(), flags.end());
  agora::testing::ChildProcess proc(AGORA_CUSTOMERS_BINARY, all, log);
  const int status = proc.Wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, agora::testing::ReadFile(log)};
}

TEST_CASE("a service refuses to start without the services' key", "[e2e]") {
  const auto [code, text] = RunUntilItStops("customers-nokey", {});
  INFO(text);
  CHECK(code == 1);
  CHECK(text.find("\"event\":\"service_key_unavailable\"") != std::string::npos);
  CHECK(text.find("customers_ready") == std::string::npos);
}

TEST_CASE("customers refuses to start with an administrator email but no password", "[e2e]") {
  const auto [code, text] = RunUntilItStops(
      "customers-nopass", {"--admin-email=boss@example.com", "--service-key-file=" + agora::testing::TestServiceKeyFile()});
  INFO(text);
  CHECK(code == 1);
  CHECK(text.find("AGORA_ADMIN_PASSWORD is required") != std::string::npos);
}

}  // namespace
}  // namespace agora::customers
