#include "customers/service.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "customers/account.h"
#include "customers/metrics.h"
#include "customers/refresh_tokens.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/limits/address_bucket.h"

namespace agora::customers {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;

constexpr char kRegister[] = "agora.customers.v1.Customers.Register";
constexpr char kLogin[] = "agora.customers.v1.Customers.Login";
constexpr char kRefresh[] = "agora.customers.v1.Customers.Refresh";
constexpr char kLogout[] = "agora.customers.v1.Customers.Logout";
constexpr char kGetJwks[] = "agora.customers.v1.Customers.GetJwks";
constexpr char kListRevokedSessions[] = "agora.customers.v1.Customers.ListRevokedSessions";
constexpr char kGetMe[] = "agora.customers.v1.Customers.GetMe";

// One message for every login failure: whether the email exists is not told.
absl::Status BadCredentials() { return absl::UnauthenticatedError("wrong email or password"); }

// The client's address as the gateway saw it (it sets x-forwarded-for
// itself and never passes a client's own), else the gRPC peer.
std::string ClientAddress(const grpc::CallbackServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("x-forwarded-for"); it != md.end()) {
    return std::string(it->second.data(), std::min<size_t>(it->second.size(), 64));
  }
  const std::string peer = ctx.peer();  // "ipv4:127.0.0.1:5000"
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

}  // namespace

void ToProto(const Customer& c, pb::Customer* out) {
  out->set_id(c.id);
  out->set_email(c.email);
  out->set_display_name(c.display_name);
  out->set_balance_cents(c.balance_cents);
  for (const std::string& r : c.roles) out->add_roles(r);
  *out->mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(c.created_at));
}

void ToProto(const std::vector<CartLine>& lines, pb::Cart* out) {
  for (const CartLine& l : lines) {
    pb::CartItem* item = out->add_items();
    item->set_product_id(l.product_id);
    item->set_quantity(l.quantity);
  }
}

absl::Duration RevocationWindow(absl::Duration access_ttl) { return access_ttl + absl::Minutes(5); }

absl::StatusOr<RevokedFamilies> RecentlyRevoked(Store& store, absl::Duration access_ttl) {
  constexpr int kMaxRevokedSessions = 50000;
  return store.ListRevokedFamilies(RevocationWindow(access_ttl), kMaxRevokedSessions);
}

absl::Status CustomersService::IssueTokens(const Customer& customer, const std::string& family_id,
                                           const std::string& refresh_token, pb::TokenPair* resp) const {
  resp->set_access_token(signer_.Sign(customer.id, customer.roles, absl::Now(), family_id));
  resp->set_refresh_token(refresh_token);
  resp->set_token_type("Bearer");
  resp->set_expires_in(static_cast<int32_t>(absl::ToInt64Seconds(signer_.ttl())));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* CustomersService::Register(grpc::CallbackServerContext* ctx,
                                                     const pb::RegisterRequest* req,
                                                     pb::Customer* resp) {
  return OffloadAuthorized(ctx, password_executor_, authorizer_, kRegister,
                           [this, ctx, req, resp](const Caller&) -> absl::Status {
    // Only the address is throttled here: a taken email answers 409, which
    // says that it exists, so probing emails is charged to the address. A
    // registration never counts against the account's sign-ins (nor does
    // its throttle stop one: a new email has no account to protect).
    const std::string address = runtime::limits::AddressBucket(ClientAddress(*ctx));
    if (absl::Status s = throttle_.Check("", address, absl::Now()); !s.ok()) return s;
    absl::StatusOr<std::string> email = NormaliseEmail(req->email());
    if (!email.ok()) return email.status();
    if (absl::Status s = ValidatePassword(req->password()); !s.ok()) return s;
    // The email is unique and looked up in its normalised form; the profile
    // answers it as the customer wrote it (valid as written: NormaliseEmail
    // refuses whitespace rather than trimming it).
    absl::StatusOr<std::string> name = NormaliseDisplayName(req->display_name(), req->email());
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> hash = hasher_.Hash(req->password());
    if (!hash.ok()) return hash.status();
    absl::StatusOr<Customer> c = store_.CreateCustomer({*email, *name, *hash, {"customer"}, req->email()});
    if (c.status().code() == absl::StatusCode::kAlreadyExists) {
      throttle_.Failed("", address, absl::Now());
      return c.status();
    }
    if (!c.ok()) return c.status();
    GetMetrics().registrations.Increment();
    ToProto(*c, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::Login(grpc::CallbackServerContext* ctx,
                                                  const pb::LoginRequest* req, pb::TokenPair* resp) {
  return OffloadAuthorized(ctx, password_executor_, authorizer_, kLogin,
                           [this, ctx, req, resp](const Caller&) -> absl::Status {
    const std::string address = runtime::limits::AddressBucket(ClientAddress(*ctx));
    absl::StatusOr<std::string> email = NormaliseEmail(req->email());
    const std::string account = email.ok() ? *email : "";
    if (absl::Status s = throttle_.Check(account, address, absl::Now()); !s.ok()) {
      GetMetrics().logins.Add({{"result", "throttled"}}).Increment();
      return s;
    }
    absl::StatusOr<Credentials> found =
        email.ok() ? store_.FindByEmail(*email) : absl::NotFoundError("");
    if (!found.ok() && found.status().code() != absl::StatusCode::kNotFound) return found.status();
    if (!found.ok()) {
      hasher_.VerifyDummy(req->password());  // the same time as a wrong password
      GetMetrics().logins.Add({{"result", "failed"}}).Increment();
      throttle_.Failed(account, address, absl::Now());
      return BadCredentials();
    }
    if (!hasher_.Verify(found->password_hash, req->password())) {
      GetMetrics().logins.Add({{"result", "failed"}}).Increment();
      throttle_.Failed(account, address, absl::Now());
      return BadCredentials();
    }
    const std::string refresh = NewRefreshToken();
    absl::StatusOr<std::string> family = store_.StartFamily(found->customer.id, HashRefreshToken(refresh),
                                                            absl::Now() + options_.refresh_token_ttl);
    if (!family.ok()) return family.status();
    GetMetrics().logins.Add({{"result", "succeeded"}}).Increment();
    return IssueTokens(found->customer, *family, refresh, resp);
  });
}

grpc::ServerUnaryReactor* CustomersService::Refresh(grpc::CallbackServerContext* ctx,
                                                    const pb::RefreshRequest* req,
                                                    pb::TokenPair* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRefresh,
                           [this, req, resp](const Caller&) -> absl::Status {
    if (req->refresh_token().empty()) return absl::InvalidArgumentError("refreshToken is required");
    const std::string next = NewRefreshToken();
    absl::StatusOr<Session> session =
        store_.RotateRefreshToken(HashRefreshToken(req->refresh_token()), HashRefreshToken(next),
                                  absl::Now() + options_.refresh_token_ttl);
    if (!session.ok()) {
      GetMetrics().refreshes.Add({{"result", "refused"}}).Increment();
      return session.status();
    }
    GetMetrics().refreshes.Add({{"result", "rotated"}}).Increment();
    return IssueTokens(session->customer, session->family_id, next, resp);
  });
}

grpc::ServerUnaryReactor* CustomersService::Logout(grpc::CallbackServerContext* ctx,
                                                   const pb::LogoutRequest* req,
                                                   google::protobuf::Empty*) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kLogout,
                           [this, req](const Caller&) -> absl::Status {
    if (req->refresh_token().empty()) return absl::InvalidArgumentError("refreshToken is required");
    return store_.RevokeFamily(HashRefreshToken(req->refresh_token()));
  });
}

grpc::ServerUnaryReactor* CustomersService::GetJwks(grpc::CallbackServerContext* ctx,
                                                    const pb::GetJwksRequest*, pb::Jwks* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetJwks,
                           [this, resp](const Caller&) -> absl::Status {
    // Protobuf's own JSON mapping reads the key set's JWKS document.
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        options_.published_keys.empty() ? signer_.public_keys().ToJwks() : options_.published_keys.ToJwks(), resp);
    if (!parsed.ok()) return absl::InternalError("cannot render the key set");
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::ListRevokedSessions(grpc::CallbackServerContext* ctx,
                                                                const pb::ListRevokedSessionsRequest*,
                                                                pb::ListRevokedSessionsResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kListRevokedSessions,
                           [this, resp](const Caller&) -> absl::Status {
    absl::StatusOr<RevokedFamilies> revoked = RecentlyRevoked(store_, signer_.ttl());
    if (!revoked.ok()) return revoked.status();
    for (const std::string& id : revoked->ids) resp->add_session_ids(id);
    resp->set_truncated(revoked->truncated);
    resp->set_window_seconds(absl::ToInt64Seconds(RevocationWindow(signer_.ttl())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomersService::GetMe(grpc::CallbackServerContext* ctx,
                                                  const pb::GetMeRequest*, pb::Customer* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetMe,
                           [this, resp](const Caller& caller) -> absl::Status {
    absl::StatusOr<Customer> c = store_.GetCustomer(caller.customer_id);
    if (!c.ok()) return c.status();
    ToProto(*c, resp);
    return absl::OkStatus();
  });
}

}  // namespace agora::customers
