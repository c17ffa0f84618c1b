#pragma once

// The first steps of a service that checks access tokens and owns a schema
// with the shared tables (inventory, orders, reviews, and the saga next):
// load the token verification keys, then apply the migrations of the outbox
// and inbox ("messaging"), of idempotency keys ("request_keys") and the
// service's own, waiting up to a minute for the database.

#include <memory>
#include <optional>

#include "runtime/auth/jwt.h"
#include "runtime/auth/service_identity.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::service {

// nullopt when ready to serve (*verifier and *identity set: the service
// `own.component`'s). Otherwise the exit code main returns: 0 once the
// migrations are applied with `migrate_only` (AGORA_MIGRATE_ONLY: no keys are
// loaded then), or the failure's code, the failure logged
// ("jwt_keys_unavailable", "service_key_unavailable", "migrations_failed").
std::optional<int> PrepareService(bool migrate_only, const auth::VerifierConfig& jwt,
                                  const pg::ConnectionOptions& pg, pg::MigrationSet own,
                                  std::unique_ptr<auth::JwtVerifier>* verifier, auth::ServiceIdentity* identity);

}  // namespace agora::runtime::service
