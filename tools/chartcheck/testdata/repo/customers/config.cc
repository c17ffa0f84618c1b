// Test fixture: a miniature of customers/config.cc.
namespace agora::customers {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, /*default_grpc_port=*/50062,
                                        /*default_metrics_port=*/9162, &c.serve);
  r.String("AGORA_PG_HOST", "127.0.0.1", &c.pg.host, "PostgreSQL host");
  runtime::pg::ReadPgOptions(r, &c.pg);
  r.String("AGORA_PG_PASSWORD", "customers", &c.pg.password, "password");
  r.Int("AGORA_PG_POOL_SIZE", 8, 1, 256, &c.pg.pool_size, "connections");
  r.Bool("AGORA_DEMO_PAYMENTS", false, &c.demo_payments, "top-ups without a payment provider");
  r.String("AGORA_ADMIN_PASSWORD", "", &c.admin_password, "administrator bootstrap password");
  r.String("AGORA_JWT_PRIVATE_KEY_FILE", "key.pem", &c.key_file, "PEM RSA private key");
  return c;
}

}  // namespace agora::customers
