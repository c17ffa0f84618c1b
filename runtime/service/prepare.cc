#include "runtime/service/prepare.h"

#include "runtime/grpc/serve.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/log/log.h"
#include "runtime/messaging/migrations.h"
#include "runtime/pg/startup.h"

namespace agora::runtime::service {

std::optional<int> PrepareService(bool migrate_only, const auth::VerifierConfig& jwt,
                                  const pg::ConnectionOptions& pg, pg::MigrationSet own,
                                  std::unique_ptr<auth::JwtVerifier>* verifier, auth::ServiceIdentity* identity) {
  absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> loaded;
  absl::StatusOr<auth::ServiceIdentity> services;
  if (!migrate_only) {
    loaded = auth::LoadVerifier(jwt);
    if (!loaded.ok()) return grpc_server::StartFailed("jwt_keys_unavailable", loaded.status());
    services = auth::LoadServiceIdentity(jwt.services, own.component);
    if (!services.ok()) return grpc_server::StartFailed("service_key_unavailable", services.status());
  }
  if (absl::Status s = pg::MigrateAtStart(pg,
                                          {{"messaging", &messaging::MessagingMigrations()},
                                           {"request_keys", &idempotency::RequestKeyMigrations()},
                                           std::move(own)},
                                          absl::Seconds(60));
      !s.ok()) {
    return grpc_server::StartFailed("migrations_failed", s);
  }
  if (migrate_only) {
    log::Info("migrations_applied", {{"schema", pg.schema}});
    return 0;
  }
  *verifier = std::move(*loaded);
  *identity = *std::move(services);
  return std::nullopt;
}

}  // namespace agora::runtime::service
