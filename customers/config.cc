#include "customers/config.h"

#include "runtime/auth/verifier_config.h"

namespace agora::customers {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, 50062, 9162, &c.serve);
  runtime::pg::ReadPgConfig(r, "customers", &c.pg);
  r.String("AGORA_JWT_PRIVATE_KEY_FILE", "jwt-signing-key.pem", &c.private_key_file,
           "PEM RSA private key that signs access tokens");
  r.Bool("AGORA_JWT_GENERATE_KEY", true, &c.generate_key,
         "create the key (and <file without .pem>.pub.pem) when the file is missing; "
         "false in production");
  runtime::auth::ReadIssuerAudience(r, &c.signer.issuer, &c.signer.audience);
  r.Duration("AGORA_ACCESS_TOKEN_TTL", absl::Minutes(15), absl::Minutes(1), absl::Hours(24),
             &c.signer.ttl, "lifetime of access tokens");
  r.Duration("AGORA_REFRESH_TOKEN_TTL", absl::Hours(24 * 30), absl::Minutes(5),
             absl::Hours(24 * 365), &c.refresh_token_ttl, "lifetime of refresh tokens");
  int64_t ops = 0, memory = 0;
  r.Int("AGORA_ARGON2_OPS", int64_t{2}, int64_t{1}, int64_t{10}, &ops, "Argon2id passes");
  r.Int("AGORA_ARGON2_MEMORY_KIB", int64_t{19456}, int64_t{8192}, int64_t{1048576}, &memory,
        "Argon2id memory per hash, KiB");
  c.argon2 = {static_cast<uint64_t>(ops), static_cast<uint64_t>(memory)};
  r.String("AGORA_ADMIN_EMAIL", "admin@agora.local", &c.admin_email,
           "administrator created at start when missing (empty: none)");
  r.String("AGORA_ADMIN_PASSWORD", "agora-admin", &c.admin_password, "its password");
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::customers
