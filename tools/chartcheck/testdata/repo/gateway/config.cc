// Test fixture: a miniature of gateway/config.cc.
namespace agora::gateway {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  r.String("AGORA_HTTP_ADDRESS", "0.0.0.0", &c.http.address, "HTTP listen address");
  r.Int("AGORA_HTTP_PORT", 8080, 0, 65535, &c.http.port, "HTTP port (0 picks a free one)");
  const std::pair<const char*, const char*> kBackends[] = {
      {"agora.customers.v1.Customers", "CUSTOMERS"}, {"agora.saga.v1.Sagas", "SAGA"}};
  const char* kDefaults[] = {"127.0.0.1:50062", "127.0.0.1:50065"};
  int i = 0;
  for (const auto& [service, name] : kBackends) {
    r.String(std::string("AGORA_") + name + "_ADDRESS", kDefaults[i++], &c.backends[service],
             std::string("address of ") + service);
  }
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, &c.log_level,
           "lowest level logged");
  return c;
}

}  // namespace agora::gateway
