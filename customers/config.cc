#include "customers/config.h"

#include <algorithm>
#include <thread>

#include "runtime/auth/verifier_config.h"
#include "runtime/kafka/options_from_config.h"

namespace agora::customers {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, 50062, 9162, &c.serve);
  runtime::pg::ReadPgConfig(r, "customers", &c.pg);
  r.String("AGORA_JWT_PRIVATE_KEY_FILE", "jwt-signing-key.pem", &c.private_key_file,
           "PEM RSA private key that signs access tokens");
  r.String("AGORA_JWT_PUBLIC_KEY_FILE", "", &c.public_key_file,
           "PEM RSA public key(s) accepted and published (JWKS) beside the signing key's: a rotation's "
           "next or previous key (empty: the signing key's only)");
  r.Bool("AGORA_JWT_GENERATE_KEY", true, &c.generate_key,
         "create the key (and <file without .pem>.pub.pem) when the file is missing; "
         "false in production");
  runtime::auth::ReadIssuerAudience(r, &c.signer.issuer, &c.signer.audience);
  runtime::auth::ReadServiceKeyConfig(r, &c.service_keys);
  runtime::auth::ReadRevocationPollInterval(r, &c.revocation_poll_interval);
  r.Duration("AGORA_ACCESS_TOKEN_TTL", absl::Minutes(15), absl::Minutes(1), absl::Hours(24),
             &c.signer.ttl, "lifetime of access tokens");
  r.Duration("AGORA_REFRESH_TOKEN_TTL", absl::Hours(24 * 30), absl::Minutes(5),
             absl::Hours(24 * 365), &c.refresh_token_ttl, "lifetime of refresh tokens");
  c.service.refresh_token_ttl = c.refresh_token_ttl;
  int64_t ops = 0, memory = 0;
  r.Int("AGORA_ARGON2_OPS", int64_t{2}, int64_t{1}, int64_t{10}, &ops, "Argon2id passes");
  r.Int("AGORA_ARGON2_MEMORY_KIB", int64_t{19456}, int64_t{8192}, int64_t{1048576}, &memory,
        "Argon2id memory per hash, KiB");
  c.argon2 = {static_cast<uint64_t>(ops), static_cast<uint64_t>(memory)};
  // No defaults: a default administrator password is dangerous outside a
  // laptop. ./agora up and the tests pass their own.
  r.String("AGORA_ADMIN_EMAIL", "", &c.admin_email,
           "administrator made sure of at start (empty: none is created)");
  r.String("AGORA_ADMIN_PASSWORD", "", &c.admin_password,
           "its password, applied at start when it differs from the stored one");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  r.Int("AGORA_PASSWORD_HASH_THREADS", cores, 1, 256, &c.password_threads,
        "threads that hash passwords (register, login), apart from the other methods");
  // API.md: a local run allows one client at least 100 requests/s on the auth
  // routes. A burst of that size arrives at once (a frontend's test fires
  // them together) and must wait, not be refused: 512 queued is about 4 s of
  // hashing on 2 cores, under the gateway's 10 s upstream timeout, and a task
  // whose call expired while queued is dropped without hashing (Offload).
  r.Int("AGORA_PASSWORD_HASH_QUEUE", 512, 1, 100000, &c.password_queue,
        "registrations and logins that may wait for them; more answer RESOURCE_EXHAUSTED");
  r.Bool("AGORA_DEMO_PAYMENTS", false, &c.service.demo_payments,
         "top-ups credit the balance without a payment provider (local runs and tests only)");
  r.Int("AGORA_DEMO_PAYMENTS_DAILY_CAP_CENTS", int64_t{1'000'000'000}, int64_t{1},
        int64_t{1'000'000'000'000}, &c.service.demo_daily_cap_cents,
        "most demo top-ups per customer within 24 hours, in cents");
  // Defaults for a local run, where every test and every developer's
  // client is 127.0.0.1 (API.md: a local run allows any one client at least
  // 100 requests/s on the auth routes, a burst of failed logins of one
  // account included); the Helm chart sets 10 and 100.
  r.Int("AGORA_LOGIN_MAX_FAILURES", 1000, 0, 1000000, &c.service.throttle.failures,
        "failed sign-ins per account within the window before 429 (0: no limit)");
  r.Int("AGORA_LOGIN_MAX_FAILURES_PER_IP", 1000, 0, 1000000, &c.service.throttle.address_failures,
        "failed sign-ins and registrations of a taken email per client address within the window "
        "(0: no limit)");
  r.Duration("AGORA_LOGIN_FAILURE_WINDOW", absl::Minutes(15), absl::Seconds(1), absl::Hours(24),
             &c.service.throttle.window, "window of the sign-in throttle");
  r.String("AGORA_INVENTORY_ADDRESS", "127.0.0.1:50061", &c.inventory_address,
           "the inventory service (products let into carts and favourites), host:port or dns:///name:port");
  r.Duration("AGORA_INVENTORY_TIMEOUT", absl::Seconds(2), absl::Milliseconds(10), absl::Seconds(60),
             &c.inventory_timeout, "deadline of a call to inventory");
  runtime::kafka::ReadKafkaOptions(r, "customers", &c.kafka);
  runtime::messaging::ReadMessagingConfig(r, "customers", &c.messaging);
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::customers
