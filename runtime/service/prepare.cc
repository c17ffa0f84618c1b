#include "runtime/service/prepare.h"

#include "runtime/grpc/serve.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/messaging/migrations.h"
#include "runtime/pg/startup.h"

namespace agora::runtime::service {

int PrepareService(const auth::VerifierConfig& jwt, const pg::ConnectionOptions& pg, pg::MigrationSet own,
                   std::unique_ptr<auth::JwtVerifier>* verifier) {
  absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> loaded = auth::LoadVerifier(jwt);
  if (!loaded.ok()) return grpc_server::StartFailed("jwt_keys_unavailable", loaded.status());
  if (absl::Status s = pg::MigrateAtStart(pg,
                                          {{"messaging", &messaging::MessagingMigrations()},
                                           {"request_keys", &idempotency::RequestKeyMigrations()},
                                           std::move(own)},
                                          absl::Seconds(60));
      !s.ok()) {
    return grpc_server::StartFailed("migrations_failed", s);
  }
  *verifier = std::move(*loaded);
  return 0;
}

}  // namespace agora::runtime::service
