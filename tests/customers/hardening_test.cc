// Defaults that are safe outside a laptop: demo payments off unless asked
// for and capped, sign-in throttled after failures and on a pool of its own,
// the administrator made sure of from configuration only.

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "customers/admin_bootstrap.h"
#include "runtime/ids/uuid.h"
#include "tests/customers/harness.h"
#include "tests/support/infra.h"

namespace agora::customers {
namespace {

grpc::Status TopUp(Harness& h, const std::string& id, int64_t amount, std::string* reason = nullptr) {
  pb::TopUpRequest req;
  req.set_amount_cents(amount);
  pb::TopUpResponse resp;
  auto ctx = h.As(id);
  grpc::Status s = h.stub().TopUp(ctx.get(), req, &resp);
  if (reason != nullptr) *reason = s.error_details();
  return s;
}

// `from`: the client address the gateway names (x-forwarded-for); empty:
// none (the peer's).
grpc::Status Login(Harness& h, const std::string& email, const std::string& password,
                   const std::string& from = "") {
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password(password);
  pb::TokenPair resp;
  grpc::ClientContext ctx;
  if (!from.empty()) ctx.AddMetadata("x-forwarded-for", from);
  return h.stub().Login(&ctx, req, &resp);
}

grpc::StatusCode RegisterCode(Harness& h, const std::string& email, const std::string& password) {
  pb::RegisterRequest req;
  req.set_email(email);
  req.set_password(password);
  pb::Customer resp;
  grpc::ClientContext ctx;
  return h.stub().Register(&ctx, req, &resp).error_code();
}

// A local run's options with the sign-in throttle's limits set.
ServiceOptions Throttling(int account_failures, int address_failures) {
  ServiceOptions o = Harness::LocalRun();
  o.throttle.failures = account_failures;
  o.throttle.address_failures = address_failures;
  return o;
}

std::string NewEmail() { return agora::testing::UniqueName("h") + "@example.com"; }

TEST_CASE("with demo payments off, a top-up is PERMISSION_DENIED, reason DEMO_PAYMENTS_OFF, and changes nothing",
          "[pg]") {
  Harness h{ServiceOptions{}};  // the service's own defaults
  const pb::Customer c = h.Register(NewEmail());
  std::string details;
  const grpc::Status s = TopUp(h, c.id(), 500, &details);
  CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(details.find("DEMO_PAYMENTS_OFF") != std::string::npos);
  CHECK(h.Balance(c.id()) == 0);
  CHECK(h.LedgerSum(c.id()) == 0);
}

TEST_CASE("the daily top-up cap holds under concurrent top-ups: exactly what fits lands", "[pg]") {
  ServiceOptions o = Harness::LocalRun();
  o.demo_daily_cap_cents = 1000;
  Harness h(o);
  const pb::Customer c = h.Register(NewEmail());
  std::atomic<int> ok{0}, capped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      std::string details;
      const grpc::Status s = TopUp(h, c.id(), 300, &details);
      if (s.ok()) ++ok;
      if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
          details.find("TOP_UP_LIMIT") != std::string::npos) {
        ++capped;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 3);
  CHECK(capped == 7);
  CHECK(h.Balance(c.id()) == 900);
  CHECK(h.LedgerSum(c.id()) == 900);
  CHECK(TopUp(h, c.id(), 100).ok());  // exactly up to the cap
  CHECK(TopUp(h, c.id(), 1).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Balance(c.id()) == 1000);
}

TEST_CASE("repeated failed logins throttle the account, known or not, before any hash; others sign in",
          "[pg]") {
  Harness h(Throttling(3, 1000));
  const std::string email = NewEmail();
  h.Register(email);
  for (int i = 0; i < 3; ++i) CHECK(Login(h, email, "wrong-password").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  // Throttled now, even with the right password; the message names the wait.
  const grpc::Status throttled = Login(h, email, "password123");
  CHECK(throttled.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(throttled.error_message().find("try again in") != std::string::npos);
  CHECK(throttled.error_details().find("SIGN_IN_THROTTLED") != std::string::npos);
  CHECK(throttled.error_details().find("retry_after_seconds") != std::string::npos);
  // The same for an email nobody registered: the throttle tells nothing.
  const std::string ghost = NewEmail();
  for (int i = 0; i < 3; ++i) CHECK(Login(h, ghost, "wrong-password").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Login(h, ghost, "wrong-password").error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another account is not affected; case and spaces name the same account.
  const std::string other = NewEmail();
  h.Register(other);
  CHECK(Login(h, other, "password123").ok());
  CHECK(Login(h, absl::AsciiStrToUpper(email), "password123").error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("failures from one address throttle it across accounts, registrations included", "[pg]") {
  Harness h(Throttling(1000, 5));
  const std::string taken = NewEmail();
  h.Register(taken);
  for (int i = 0; i < 3; ++i) CHECK(Login(h, NewEmail(), "wrong-password").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  for (int i = 0; i < 2; ++i) {  // probing for a taken email
    CHECK(RegisterCode(h, taken, "password123") == grpc::StatusCode::ALREADY_EXISTS);
  }
  CHECK(Login(h, taken, "password123").error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(RegisterCode(h, NewEmail(), "password123") == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("an IPv6 client is throttled by its /64: a new address in it gets no fresh allowance", "[pg]") {
  Harness h(Throttling(1000, 3));
  for (int i = 1; i <= 3; ++i) {
    CHECK(Login(h, NewEmail(), "wrong-password", "2001:db8:7:1::" + std::to_string(i)).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  CHECK(Login(h, NewEmail(), "wrong-password", "2001:db8:7:1:ffff:1:2:3").error_code() ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another /64, and an IPv4 address, are apart.
  CHECK(Login(h, NewEmail(), "wrong-password", "2001:db8:7:2::1").error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Login(h, NewEmail(), "wrong-password", "192.0.2.7").error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("a registration refused for its form charges nothing; a taken email charges the address only",
          "[pg]") {
  Harness h(Throttling(2, 3));
  auto attempt = [&](const std::string& email, const std::string& password) { return RegisterCode(h, email, password); };
  for (int i = 0; i < 6; ++i) {
    CHECK(attempt("not-an-email", "password123") == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(attempt(NewEmail(), "short") == grpc::StatusCode::INVALID_ARGUMENT);
  }
  const std::string taken = NewEmail();
  h.Register(taken);
  CHECK(attempt(taken, "password123") == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(attempt(taken, "password123") == grpc::StatusCode::ALREADY_EXISTS);
  // Two failures of that email so far, its account's limit: not charged to it.
  CHECK(Login(h, taken, "password123").ok());
  CHECK(attempt(taken, "password123") == grpc::StatusCode::ALREADY_EXISTS);  // the address's third
  CHECK(attempt(NewEmail(), "password123") == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("sign-ins run on their own bounded pool: a flood is refused, the other methods go on", "[pg]") {
  Harness h(Harness::LocalRun(), /*password_threads=*/1, /*password_queue=*/1);
  const std::string email = NewEmail();
  const pb::Customer c = h.Register(email);
  std::atomic<int> refused{0}, answered{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 24; ++i) {
    flood.emplace_back([&] {
      const grpc::Status s = Login(h, email, "password123");
      (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ? refused : answered)++;
    });
  }
  // Meanwhile a profile read is served by the other pool.
  pb::Customer me;
  auto ctx = h.As(c.id());
  CHECK(h.stub().GetMe(ctx.get(), pb::GetMeRequest(), &me).ok());
  for (auto& t : flood) t.join();
  CHECK(refused > 0);
  CHECK(answered > 0);
  CHECK(refused + answered == 24);
}

TEST_CASE("the configured administrator is created, kept, given the configured password, and never taken over",
          "[pg]") {
  Harness h;
  PasswordHasher hasher({1, 8192});
  const std::string email = NewEmail();
  auto created = EnsureAdministrator(h.store(), hasher, email, "first-password");
  REQUIRE(created.ok());
  CHECK(*created == AdminOutcome::kCreated);
  CHECK(Login(h, email, "first-password").ok());
  CHECK(*EnsureAdministrator(h.store(), hasher, email, "first-password") == AdminOutcome::kUnchanged);
  // A session of the old password...
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password("first-password");
  pb::TokenPair old_tokens;
  grpc::ClientContext login_ctx;
  REQUIRE(h.stub().Login(&login_ctx, req, &old_tokens).ok());
  // ...ends when the operator configures another password.
  CHECK(*EnsureAdministrator(h.store(), hasher, email, "second-password") == AdminOutcome::kPasswordApplied);
  CHECK(Login(h, email, "first-password").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Login(h, email, "second-password").ok());
  pb::RefreshRequest refresh;
  refresh.set_refresh_token(old_tokens.refresh_token());
  pb::TokenPair refreshed;
  grpc::ClientContext refresh_ctx;
  CHECK(h.stub().Refresh(&refresh_ctx, refresh, &refreshed).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  // An email that belongs to a customer is not made an administrator.
  const std::string customer = NewEmail();
  h.Register(customer);
  const auto refused = EnsureAdministrator(h.store(), hasher, customer, "some-password");
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Login(h, customer, "password123").ok());
  CHECK(EnsureAdministrator(h.store(), hasher, NewEmail(), "").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(EnsureAdministrator(h.store(), hasher, NewEmail(), "short").status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace agora::customers
