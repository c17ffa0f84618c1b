// Accounts and tokens over real gRPC and PostgreSQL.

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "absl/time/clock.h"
#include "tests/customers/harness.h"
#include "tests/support/auth.h"

namespace agora::customers {
namespace {

grpc::Status Refresh(Harness& h, const std::string& token, pb::TokenPair* out) {
  pb::RefreshRequest req;
  req.set_refresh_token(token);
  grpc::ClientContext ctx;
  return h.stub().Refresh(&ctx, req, out);
}

grpc::Status LoginStatus(Harness& h, const std::string& email, const std::string& password) {
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password(password);
  pb::TokenPair out;
  grpc::ClientContext ctx;
  return h.stub().Login(&ctx, req, &out);
}

TEST_CASE("a registered customer logs in and reads their profile with the access token", "[pg]") {
  Harness h;
  const pb::Customer c = h.Register("Alice@Example.com");
  CHECK(c.email() == "Alice@Example.com");  // as written; compared ignoring case
  CHECK(c.display_name() == "Test Alice@Example.com");
  CHECK(c.balance_cents() == 0);
  CHECK(c.roles_size() == 1);
  CHECK(c.roles(0) == "customer");
  const pb::TokenPair tokens = h.Login("ALICE@example.com");
  CHECK(tokens.token_type() == "Bearer");
  CHECK(tokens.expires_in() == 900);
  auto claims = agora::testing::TestVerifier().Verify(tokens.access_token(), absl::Now());
  REQUIRE(claims.ok());
  CHECK(claims->subject == c.id());
  CHECK(claims->roles == std::vector<std::string>{"customer"});
  pb::Customer me;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + tokens.access_token());
  REQUIRE(h.stub().GetMe(&ctx, pb::GetMeRequest(), &me).ok());
  CHECK(me.id() == c.id());
  CHECK(me.email() == "Alice@Example.com");
  // Stored normalised for uniqueness and sign-in, as written for the profile.
  CHECK(h.db().QueryAsSuper("SELECT email || ' ' || email_as_given FROM customers.customers WHERE id = '" + c.id() +
                            "'") == "alice@example.com Alice@Example.com");
  // Password hashes are stored, never passwords.
  CHECK(h.db().QueryAsSuper("SELECT count(*) FROM customers.customers WHERE password_hash LIKE "
                            "'$argon2id$%' AND password_hash NOT LIKE '%password123%'") == "1");
}

TEST_CASE("registration refuses a taken email (any case), a bad email and a bad password", "[pg]") {
  Harness h;
  h.Register("bob@example.com");
  pb::RegisterRequest req;
  req.set_email("BOB@example.com");
  req.set_password("password123");
  pb::Customer out;
  {
    grpc::ClientContext ctx;
    CHECK(h.stub().Register(&ctx, req, &out).error_code() == grpc::StatusCode::ALREADY_EXISTS);
  }
  req.set_email("not-an-email");
  {
    grpc::ClientContext ctx;
    CHECK(h.stub().Register(&ctx, req, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  req.set_email("carol@example.com");
  req.set_password("short");
  {
    grpc::ClientContext ctx;
    const grpc::Status s = h.stub().Register(&ctx, req, &out);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message().find("password") != std::string::npos);
  }
}

TEST_CASE("a login fails with the same answer whether the email exists or not", "[pg]") {
  Harness h;
  h.Register("dave@example.com");
  const grpc::Status wrong = LoginStatus(h, "dave@example.com", "wrong-password");
  const grpc::Status unknown = LoginStatus(h, "nobody@example.com", "wrong-password");
  const grpc::Status garbage = LoginStatus(h, "not an email", "wrong-password");
  CHECK(wrong.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(unknown.error_code() == wrong.error_code());
  CHECK(unknown.error_message() == wrong.error_message());
  CHECK(garbage.error_message() == wrong.error_message());
}

TEST_CASE("refresh rotates the token; reusing a spent one revokes the whole family", "[pg]") {
  Harness h;
  h.Register("erin@example.com");
  const pb::TokenPair first = h.Login("erin@example.com");
  pb::TokenPair second;
  REQUIRE(Refresh(h, first.refresh_token(), &second).ok());
  CHECK(second.refresh_token() != first.refresh_token());
  CHECK_FALSE(second.access_token().empty());
  pb::TokenPair third;
  REQUIRE(Refresh(h, second.refresh_token(), &third).ok());
  // An attacker replays the first (spent) token: refused, and the family dies.
  pb::TokenPair stolen;
  CHECK(Refresh(h, first.refresh_token(), &stolen).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  // The newest token of that family stops working too.
  CHECK(Refresh(h, third.refresh_token(), &stolen).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Refresh(h, "rt1_made-up", &stolen).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  // No token at all is a malformed request (400), as on logout.
  CHECK(Refresh(h, "", &stolen).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("each login is its own family: revoking one leaves the other working", "[pg]") {
  Harness h;
  h.Register("fay@example.com");
  const pb::TokenPair laptop = h.Login("fay@example.com");
  const pb::TokenPair phone = h.Login("fay@example.com");
  pb::LogoutRequest logout;
  logout.set_refresh_token(laptop.refresh_token());
  google::protobuf::Empty empty;
  {
    grpc::ClientContext ctx;
    REQUIRE(h.stub().Logout(&ctx, logout, &empty).ok());
  }
  pb::TokenPair out;
  CHECK(Refresh(h, laptop.refresh_token(), &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Refresh(h, phone.refresh_token(), &out).ok());
  // Logging out with an unknown token is harmless.
  logout.set_refresh_token("rt1_unknown");
  grpc::ClientContext ctx;
  CHECK(h.stub().Logout(&ctx, logout, &empty).ok());
}

TEST_CASE("concurrent refreshes of one token: exactly one succeeds", "[pg]") {
  Harness h;
  h.Register("gus@example.com");
  const pb::TokenPair t = h.Login("gus@example.com");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      pb::TokenPair out;
      if (Refresh(h, t.refresh_token(), &out).ok()) ok.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok.load() == 1);
}

TEST_CASE("methods for signed-in customers refuse a missing or forged token", "[pg]") {
  Harness h;
  pb::Customer out;
  {
    auto ctx = h.Anonymous();
    CHECK(h.stub().GetMe(ctx.get(), pb::GetMeRequest(), &out).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
  CHECK(h.stub().GetMe(&ctx, pb::GetMeRequest(), &out).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

std::string SessionOf(const pb::TokenPair& pair) {
  auto claims = agora::testing::TestVerifier().Verify(pair.access_token(), absl::Now());
  REQUIRE(claims.ok());
  return claims->session_id;
}

std::vector<std::string> Revoked(Harness& h) {
  pb::ListRevokedSessionsResponse resp;
  grpc::ClientContext ctx;  // no token: the gateway, which has no service key, asks too
  const grpc::Status s = h.stub().ListRevokedSessions(&ctx, pb::ListRevokedSessionsRequest(), &resp);
  INFO(s.error_message());
  REQUIRE(s.ok());
  CHECK_FALSE(resp.truncated());
  // How long a verifier keeps what it was given: the tokens' lifetime and 5 minutes.
  CHECK(resp.window_seconds() == absl::ToInt64Seconds(agora::testing::TestSigner().ttl()) + 300);
  return {resp.session_ids().begin(), resp.session_ids().end()};
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST_CASE("access tokens name their login's session; logout, a replayed refresh token and a password reset list it "
          "as revoked for as long as its access tokens live",
          "[pg]") {
  Harness h;
  const pb::Customer c = h.Register("rita@example.com");
  const pb::TokenPair laptop = h.Login("rita@example.com");
  const pb::TokenPair phone = h.Login("rita@example.com");
  const pb::TokenPair tablet = h.Login("rita@example.com");
  const std::string laptop_sid = SessionOf(laptop);
  REQUIRE_FALSE(laptop_sid.empty());
  CHECK(SessionOf(phone) != laptop_sid);
  // A refresh keeps the family, so the next access token has the same sid.
  pb::TokenPair phone2;
  REQUIRE(Refresh(h, phone.refresh_token(), &phone2).ok());
  CHECK(SessionOf(phone2) == SessionOf(phone));
  CHECK_FALSE(Contains(Revoked(h), laptop_sid));

  pb::LogoutRequest logout;
  logout.set_refresh_token(laptop.refresh_token());
  google::protobuf::Empty empty;
  {
    grpc::ClientContext ctx;
    REQUIRE(h.stub().Logout(&ctx, logout, &empty).ok());
  }
  std::vector<std::string> revoked = Revoked(h);
  CHECK(Contains(revoked, laptop_sid));
  CHECK_FALSE(Contains(revoked, SessionOf(phone)));
  CHECK_FALSE(Contains(revoked, SessionOf(tablet)));
  // The phone's first refresh token presented again: its family is revoked.
  pb::TokenPair stolen;
  CHECK(Refresh(h, phone.refresh_token(), &stolen).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Contains(Revoked(h), SessionOf(phone)));
  // A password reset revokes every family of the account.
  REQUIRE(h.store().ResetPassword(c.id(), "new-hash").ok());
  CHECK(Contains(Revoked(h), SessionOf(tablet)));
  // Revoked longer ago than an access token lives (15 min, plus the margin):
  // its tokens have expired, so it is no longer listed.
  h.db().QueryAsSuper("UPDATE customers.refresh_families SET revoked_at = now() - interval '21 minutes' "
                      "WHERE id = '" + laptop_sid + "'");
  revoked = Revoked(h);
  CHECK_FALSE(Contains(revoked, laptop_sid));
  CHECK(Contains(revoked, SessionOf(phone)));
}

TEST_CASE("the key set is published for the verifiers", "[pg]") {
  Harness h;
  pb::Jwks jwks;
  grpc::ClientContext ctx;
  REQUIRE(h.stub().GetJwks(&ctx, pb::GetJwksRequest(), &jwks).ok());
  REQUIRE(jwks.keys_size() == 1);
  CHECK(jwks.keys(0).kid() == agora::testing::TestSigner().kid());
  CHECK(jwks.keys(0).alg() == "RS256");
  CHECK(jwks.keys(0).kty() == "RSA");
  CHECK_FALSE(jwks.keys(0).n().empty());
}

TEST_CASE("internal profile lookup finds a customer by id", "[pg]") {
  Harness h;
  const pb::Customer c = h.Register("hal@example.com");
  pb::GetCustomerRequest req;
  req.set_id(c.id());
  pb::Customer out;
  {
    grpc::ClientContext ctx;
    agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
    REQUIRE(h.stub().GetCustomer(&ctx, req, &out).ok());
  }
  CHECK(out.display_name() == c.display_name());
  req.set_id("nope");
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  CHECK(h.stub().GetCustomer(&ctx, req, &out).error_code() == grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace agora::customers
