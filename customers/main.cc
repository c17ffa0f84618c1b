// The customers service: composition root only.

#include <sys/stat.h>

#include <fstream>

#include "customers/config.h"
#include "customers/pg_store.h"
#include "customers/service.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/messaging/migrations.h"
#include "runtime/pg/startup.h"

namespace rt = agora::runtime;
namespace cu = agora::customers;

namespace {

// The signing key from its file; on a local run, created when missing (with
// its public half beside it, for the services that verify tokens).
absl::StatusOr<std::string> LoadOrCreateKey(const cu::Config& config) {
  absl::StatusOr<std::string> pem = rt::auth::ReadWholeFile(config.private_key_file);
  if (pem.ok() || !config.generate_key) return pem;
  absl::StatusOr<std::string> fresh = rt::auth::GenerateRsaPrivateKeyPem();
  if (!fresh.ok()) return fresh;
  absl::StatusOr<std::string> pub = rt::auth::PublicKeyPem(*fresh);
  if (!pub.ok()) return pub;
  std::string pub_file = config.private_key_file;
  if (pub_file.size() > 4 && pub_file.substr(pub_file.size() - 4) == ".pem")
    pub_file.resize(pub_file.size() - 4);
  pub_file += ".pub.pem";
  {
    // Created owner-only: the key is never readable by others, not even briefly.
    const mode_t old_mask = ::umask(077);
    std::ofstream out(config.private_key_file);
    out << *fresh;
    ::umask(old_mask);
    if (!out) return absl::FailedPreconditionError("cannot write " + config.private_key_file);
  }
  std::ofstream(pub_file) << *pub;
  rt::log::Info("jwt_key_generated",
                {{"private_key_file", config.private_key_file}, {"public_key_file", pub_file}});
  return fresh;
}

}  // namespace

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<cu::Config> config = cu::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("customers", config.status());
  rt::grpc_server::InitLogging("customers", config->serve);

  absl::StatusOr<std::string> key = LoadOrCreateKey(*config);
  if (!key.ok()) {
    return rt::grpc_server::StartFailed("jwt_key_unavailable", key.status());
  }
  auto signer = rt::auth::JwtSigner::FromPem(*key, config->signer);
  if (!signer.ok()) {
    return rt::grpc_server::StartFailed("jwt_key_invalid", signer.status());
  }
  if (absl::Status s = rt::pg::MigrateAtStart(config->pg.connection,
                                              {{"messaging", &rt::messaging::MessagingMigrations()},
                                               {"customers", &cu::CustomersMigrations()}},
                                              absl::Seconds(60));
      !s.ok()) {
    return rt::grpc_server::StartFailed("migrations_failed", s);
  }
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  cu::PgStore store(pool);
  cu::PasswordHasher hasher(config->argon2);
  rt::auth::JwtVerifier verifier(
      (*signer)->public_keys(),
      {config->signer.issuer, config->signer.audience, absl::Seconds(30)});
  rt::auth::Authorizer authorizer(verifier);

  if (!config->admin_email.empty()) {
    absl::StatusOr<std::string> email = cu::NormaliseEmail(config->admin_email);
    absl::Status valid = email.ok() ? cu::ValidatePassword(config->admin_password) : email.status();
    absl::StatusOr<std::string> hash = valid.ok() ? hasher.Hash(config->admin_password) : valid;
    absl::Status s =
        hash.ok() ? store.EnsureAccount({*email, "Administrator", *hash, {"customer", "admin"}})
                  : hash.status();
    if (!s.ok()) {
      return rt::grpc_server::StartFailed("admin_account_failed", s);
    }
    rt::log::Info("admin_account_ready", {{"email", *email}});
  }

  cu::CustomersService service(store, executor, authorizer, hasher, **signer,
                               {config->refresh_token_ttl});
  return rt::grpc_server::ServeUntilSignal("customers", config->serve, {&service},
                                           [&] { executor.Drain(); });
}
