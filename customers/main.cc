// The customers service: composition root only.

#include <sys/stat.h>

#include <fstream>

#include "customers/admin_bootstrap.h"
#include "customers/catalog.h"
#include "customers/config.h"
#include "customers/participant.h"
#include "customers/pg_store.h"
#include "customers/service.h"
#include "runtime/auth/revocations.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/kafka/producer.h"
#include "runtime/messaging/migrations.h"
#include "runtime/messaging/participant.h"
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

absl::Status Migrate(const rt::pg::ConnectionOptions& pg) {
  return rt::pg::MigrateAtStart(pg,
                                {{"messaging", &rt::messaging::MessagingMigrations()},
                                 {"customers", &cu::CustomersMigrations()}},
                                absl::Seconds(60));
}

}  // namespace

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<cu::Config> config = cu::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("customers", config.status());
  rt::grpc_server::InitLogging("customers", config->serve);

  if (config->serve.migrate_only) {  // a migration job: no keys, no serving
    if (absl::Status s = Migrate(config->pg.connection); !s.ok()) {
      return rt::grpc_server::StartFailed("migrations_failed", s);
    }
    rt::log::Info("migrations_applied", {{"schema", config->pg.connection.schema}});
    return 0;
  }
  absl::StatusOr<std::string> key = LoadOrCreateKey(*config);
  if (!key.ok()) {
    return rt::grpc_server::StartFailed("jwt_key_unavailable", key.status());
  }
  auto signer = rt::auth::JwtSigner::FromPem(*key, config->signer);
  if (!signer.ok()) {
    return rt::grpc_server::StartFailed("jwt_key_invalid", signer.status());
  }
  // The keys tokens are checked with and the JWKS publishes: the signing
  // key's, and during a rotation the other key(s) of AGORA_JWT_PUBLIC_KEY_FILE
  // (the next one before it signs, so that every verifier knows it first;
  // the previous one after, until the tokens it signed have expired).
  rt::auth::KeySet keys = (*signer)->public_keys();
  if (!config->public_key_file.empty()) {
    absl::StatusOr<rt::auth::KeySet> more = rt::auth::LoadPublicKeyFile(config->public_key_file);
    if (!more.ok()) return rt::grpc_server::StartFailed("jwt_key_unavailable", more.status());
    keys.Add(*more);
  }
  config->service.published_keys = keys;
  if (absl::Status s = Migrate(config->pg.connection); !s.ok()) {
    return rt::grpc_server::StartFailed("migrations_failed", s);
  }
  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> producer = rt::kafka::NewProducer(config->kafka, {config->messaging.topics.Replies()});
  if (!producer.ok()) return rt::grpc_server::StartFailed("kafka_producer_failed", producer.status());
  // One connection per executor worker, plus the relay's, the inbox
  // pruner's and one per command-consumer thread: requests never queue
  // behind them.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + 2 + config->kafka.consumer_threads);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  rt::grpc_server::Executor password_executor(config->password_threads,
                                              static_cast<size_t>(config->password_queue));
  cu::PgStore store(pool);
  cu::PasswordHasher hasher(config->argon2);
  rt::auth::JwtVerifier verifier(
      keys,
      {config->signer.issuer, config->signer.audience, absl::Seconds(30)});
  absl::StatusOr<rt::auth::ServiceIdentity> identity = rt::auth::LoadServiceIdentity(config->service_keys, "customers");
  if (!identity.ok()) return rt::grpc_server::StartFailed("service_key_unavailable", identity.status());
  // Signed-out sessions' access tokens are refused within a poll interval
  // (read from its own table here; the other processes ask this service).
  rt::auth::RevokedSessions revoked;
  const absl::Duration access_ttl = (*signer)->ttl();
  rt::auth::RevocationPoller revocations(
      revoked,
      [&store, access_ttl]() -> absl::StatusOr<rt::auth::RevocationList> {
        absl::StatusOr<cu::RevokedFamilies> families = cu::RecentlyRevoked(store, access_ttl);
        if (!families.ok()) return families.status();
        if (families->truncated) {
          rt::log::Warn("revoked_sessions_truncated", {{"listed", static_cast<int64_t>(families->ids.size())}});
        }
        return rt::auth::RevocationList{std::move(families->ids), cu::RevocationWindow(access_ttl)};
      },
      config->revocation_poll_interval);
  rt::auth::Authorizer authorizer(verifier, identity->verifier.get(), &revoked);

  if (config->admin_email.empty()) {
    rt::log::Warn("admin_account_skipped", {{"reason", "AGORA_ADMIN_EMAIL is not set: no administrator is created"}});
  } else {
    absl::StatusOr<cu::AdminOutcome> admin =
        cu::EnsureAdministrator(store, hasher, config->admin_email, config->admin_password);
    if (!admin.ok()) return rt::grpc_server::StartFailed("admin_account_failed", admin.status());
    rt::log::Info("admin_account_ready",
                  {{"outcome", *admin == cu::AdminOutcome::kCreated          ? "created"
                               : *admin == cu::AdminOutcome::kPasswordApplied ? "password_applied"
                                                                              : "unchanged"}});
  }
  if (config->service.demo_payments) {
    rt::log::Warn("demo_payments_on", {{"daily_cap_cents", config->service.demo_daily_cap_cents}});
  }

  std::unique_ptr<cu::ProductCatalog> catalog =
      cu::NewGrpcProductCatalog(rt::grpc_client::NewChannel(config->inventory_address), config->inventory_timeout);
  cu::CustomersService service(store, executor, password_executor, authorizer, hasher, **signer, *catalog,
                               config->service);
  rt::messaging::OutboxRelay relay(pool, **producer, config->messaging.relay);
  rt::messaging::CommandHandler commands(pool, config->messaging.topics.Replies());
  store.UnsafeSkipPaymentClaim(config->messaging.unsafe_skip_dedupe);
  cu::RegisterSagaCommands(commands, store);
  absl::StatusOr<std::unique_ptr<rt::messaging::Participant>> participant =
      rt::messaging::Participant::Start("customers", pool, config->kafka, config->messaging, commands,
                                        producer->get());
  if (!participant.ok()) return rt::grpc_server::StartFailed("kafka_consumer_failed", participant.status());
  relay.Start();
  return rt::grpc_server::ServeUntilSignal("customers", config->serve, {&service}, [&] {
    (*participant)->Stop();  // the batch in hand commits; its replies are in the outbox
    relay.Stop();            // publishes what is due, then stops
    password_executor.Drain();
    executor.Drain();
  });
}
