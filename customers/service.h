#pragma once

// The gRPC adapter of customers: accounts and tokens (service.cc), balance,
// ledger, cart and favourites (wallet_service.cc), the methods the saga and
// the other services call (internal_service.cc). Each method authorizes the
// caller against its declared policy, then runs on the executor.
// Thread-safe.

#include "agora/customers/v1/customers.grpc.pb.h"
#include "customers/catalog.h"
#include "customers/login_throttle.h"
#include "customers/service_options.h"
#include "customers/passwords.h"
#include "customers/store.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/jwt.h"
#include "runtime/grpc/executor.h"

namespace agora::customers {

namespace pb = agora::customers::v1;


// The sessions whose access tokens must be refused now: the families revoked
// within the access tokens' lifetime (`access_ttl`) plus a margin for the
// verifiers' leeway and clock skew, newest first, at most 50,000 (about
// 2 MB). What ListRevokedSessions answers and customers' own authorizer polls.
absl::StatusOr<RevokedFamilies> RecentlyRevoked(Store& store, absl::Duration access_ttl);
// That window: how long after its revocation a session's tokens may still
// be presented.
absl::Duration RevocationWindow(absl::Duration access_ttl);

class CustomersService final : public pb::Customers::CallbackService {
 public:
  // Every dependency is borrowed and must outlive the service. Register and
  // Login (Argon2id, tens of ms each) run on `password_executor`, a bounded
  // pool of their own, so that a flood of sign-ins cannot starve the other
  // methods on `executor`. A product enters a cart or the favourites only
  // if `catalog` knows it live.
  CustomersService(Store& store, runtime::grpc_server::Executor& executor,
                   runtime::grpc_server::Executor& password_executor,
                   const runtime::auth::Authorizer& authorizer, const PasswordHasher& hasher,
                   const runtime::auth::JwtSigner& signer, ProductCatalog& catalog, ServiceOptions options)
      : store_(store),
        executor_(executor),
        password_executor_(password_executor),
        authorizer_(authorizer),
        hasher_(hasher),
        signer_(signer),
        catalog_(catalog),
        options_(options),
        throttle_(options.throttle) {}

  // service.cc
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx, const pb::RegisterRequest* req,
                                     pb::Customer* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const pb::LoginRequest* req,
                                  pb::TokenPair* resp) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* ctx, const pb::RefreshRequest* req,
                                    pb::TokenPair* resp) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx, const pb::LogoutRequest* req,
                                   google::protobuf::Empty* resp) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* ctx, const pb::GetJwksRequest* req,
                                    pb::Jwks* resp) override;
  grpc::ServerUnaryReactor* ListRevokedSessions(grpc::CallbackServerContext* ctx,
                                                const pb::ListRevokedSessionsRequest* req,
                                                pb::ListRevokedSessionsResponse* resp) override;
  grpc::ServerUnaryReactor* GetMe(grpc::CallbackServerContext* ctx, const pb::GetMeRequest* req,
                                  pb::Customer* resp) override;

  // wallet_service.cc
  grpc::ServerUnaryReactor* TopUp(grpc::CallbackServerContext* ctx, const pb::TopUpRequest* req,
                                  pb::TopUpResponse* resp) override;
  grpc::ServerUnaryReactor* ListLedger(grpc::CallbackServerContext* ctx,
                                       const pb::ListLedgerRequest* req,
                                       pb::ListLedgerResponse* resp) override;
  grpc::ServerUnaryReactor* GetCart(grpc::CallbackServerContext* ctx, const pb::GetCartRequest* req,
                                    pb::Cart* resp) override;
  grpc::ServerUnaryReactor* SetCartItem(grpc::CallbackServerContext* ctx,
                                        const pb::SetCartItemRequest* req, pb::Cart* resp) override;
  grpc::ServerUnaryReactor* RemoveCartItem(grpc::CallbackServerContext* ctx,
                                           const pb::RemoveCartItemRequest* req,
                                           pb::Cart* resp) override;
  grpc::ServerUnaryReactor* ListFavorites(grpc::CallbackServerContext* ctx,
                                          const pb::ListFavoritesRequest* req,
                                          pb::ListFavoritesResponse* resp) override;
  grpc::ServerUnaryReactor* IsFavorite(grpc::CallbackServerContext* ctx,
                                       const pb::IsFavoriteRequest* req,
                                       pb::IsFavoriteResponse* resp) override;
  grpc::ServerUnaryReactor* AddFavorite(grpc::CallbackServerContext* ctx,
                                        const pb::AddFavoriteRequest* req,
                                        google::protobuf::Empty* resp) override;
  grpc::ServerUnaryReactor* RemoveFavorite(grpc::CallbackServerContext* ctx,
                                           const pb::RemoveFavoriteRequest* req,
                                           google::protobuf::Empty* resp) override;

  // internal_service.cc
  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* ctx,
                                        const pb::GetCustomerRequest* req,
                                        pb::Customer* resp) override;
  grpc::ServerUnaryReactor* GetCustomerCart(grpc::CallbackServerContext* ctx,
                                            const pb::GetCustomerCartRequest* req,
                                            pb::Cart* resp) override;
  grpc::ServerUnaryReactor* DebitBalance(grpc::CallbackServerContext* ctx,
                                         const pb::DebitBalanceRequest* req,
                                         pb::DebitBalanceResponse* resp) override;
  grpc::ServerUnaryReactor* RefundBalance(grpc::CallbackServerContext* ctx,
                                          const pb::RefundBalanceRequest* req,
                                          pb::RefundBalanceResponse* resp) override;

 private:
  // A new refresh-token family (login) or the next token of one (refresh),
  // with a fresh access token.
  absl::Status IssueTokens(const Customer& customer, const std::string& family_id,
                           const std::string& refresh_token, pb::TokenPair* resp) const;

  Store& store_;
  runtime::grpc_server::Executor& executor_;
  runtime::grpc_server::Executor& password_executor_;
  const runtime::auth::Authorizer& authorizer_;
  const PasswordHasher& hasher_;
  const runtime::auth::JwtSigner& signer_;
  ProductCatalog& catalog_;  // products let into carts and favourites
  const ServiceOptions options_;
  LoginThrottle throttle_;
};

// Shared by the service's files.
void ToProto(const Customer& c, pb::Customer* out);
void ToProto(const std::vector<CartLine>& lines, pb::Cart* out);

}  // namespace agora::customers
