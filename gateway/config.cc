#include "gateway/config.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/config/config.h"

namespace agora::gateway {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  std::string listen;
  r.String("AGORA_HTTP_ADDRESS", "0.0.0.0", &c.http.address, "HTTP listen address");
  r.Int("AGORA_HTTP_PORT", 8080, 0, 65535, &c.http.port, "HTTP port (0 picks a free one)");
  r.Int("AGORA_HTTP_THREADS", static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), 1,
        256, &c.http.threads, "I/O threads (default: one per core)");
  int64_t body = 0, header = 0;
  r.Int("AGORA_HTTP_MAX_BODY_BYTES", int64_t{1} << 20, int64_t{1024}, int64_t{64} << 20, &body,
        "largest request body; larger answers 413");
  r.Int("AGORA_HTTP_MAX_HEADER_BYTES", int64_t{16} << 10, int64_t{1024}, int64_t{1} << 20, &header,
        "largest request header block");
  c.http.max_body_bytes = static_cast<size_t>(body);
  c.http.max_header_bytes = static_cast<size_t>(header);
  r.Duration("AGORA_HTTP_HEADER_TIMEOUT", absl::Seconds(10), absl::Milliseconds(100), absl::Minutes(5),
             &c.http.header_timeout, "time a client gets to send a request");
  r.Duration("AGORA_HTTP_IDLE_TIMEOUT", absl::Seconds(60), absl::Seconds(1), absl::Hours(1),
             &c.http.idle_timeout, "time an idle keep-alive connection stays open");
  r.Duration("AGORA_HTTP_WRITE_TIMEOUT", absl::Seconds(30), absl::Milliseconds(100), absl::Minutes(10),
             &c.http.write_timeout, "time each response write may take (a client that stops reading is cut off)");
  r.Duration("AGORA_HTTP_STREAM_HEARTBEAT", absl::Seconds(15), absl::ZeroDuration(), absl::Hours(1),
             &c.http.stream_heartbeat,
             "a :watch stream quiet for this long gets an SSE comment line, so that a proxy's idle timeout "
             "does not cut it (0: none)");
  r.Int("AGORA_HTTP_MAX_CONNECTIONS", 10000, 1, 1000000, &c.http.max_connections,
        "concurrent connections");
  r.Int("AGORA_HTTP_MAX_CONNECTIONS_PER_IP", 256, 1, 1000000, &c.http.max_connections_per_ip,
        "concurrent connections from one client address");
  std::string trusted;
  r.String("AGORA_TRUSTED_PROXIES", "", &trusted,
           "addresses and CIDR networks of the proxies in front (a load balancer, an ingress controller), "
           "comma-separated: a request from one names its client in X-Forwarded-For, which rate limits and "
           "sign-in throttling then count (\"\": none, the connection's peer is the client)");
  if (absl::StatusOr<TrustedProxies> proxies = TrustedProxies::Parse(trusted); proxies.ok()) {
    c.http.trusted_proxies = *std::move(proxies);
  } else {
    r.AddError(absl::StrCat("AGORA_TRUSTED_PROXIES: ", proxies.status().message()));
  }
  r.String("AGORA_HTTP_TLS_CERT_FILE", "", &c.http.tls_cert_file,
           "PEM certificate chain: with AGORA_HTTP_TLS_KEY_FILE the gateway serves HTTPS (TLS 1.2+) only");
  r.String("AGORA_HTTP_TLS_KEY_FILE", "", &c.http.tls_key_file, "PEM private key of AGORA_HTTP_TLS_CERT_FILE");
  r.Duration("AGORA_HTTP_STREAM_TIMEOUT", absl::Minutes(30), absl::Seconds(1), absl::Hours(24),
             &c.api.stream_timeout, "longest life of an event stream (:watch)");
  std::string origins;
  r.String("AGORA_CORS_ORIGINS", "http://localhost:3000,http://localhost:5173", &origins,
           "origins allowed by CORS, comma-separated");
  c.api.cors_origins = absl::StrSplit(origins, ',', absl::SkipEmpty());
  r.Duration("AGORA_UPSTREAM_TIMEOUT", absl::Seconds(10), absl::Milliseconds(10), absl::Minutes(5),
             &c.api.upstream_timeout, "deadline of each backend call");
  int64_t client_rate = 0, customer_rate = 0;
  r.Int("AGORA_RATE_LIMIT_CLIENT_RPS", int64_t{200}, int64_t{0}, int64_t{1000000}, &client_rate,
        "requests per second per client address for anonymous calls (0: no limit)");
  r.Int("AGORA_RATE_LIMIT_CUSTOMER_RPS", int64_t{200}, int64_t{0}, int64_t{1000000}, &customer_rate,
        "requests per second per signed-in customer (0: no limit)");
  c.api.per_client = {static_cast<double>(client_rate), static_cast<double>(client_rate) * 2};
  c.api.per_customer = {static_cast<double>(customer_rate), static_cast<double>(customer_rate) * 2};
  r.String("AGORA_JWT_PUBLIC_KEY_FILE", "", &c.jwt.public_key_file,
           "PEM public key(s) that verify access tokens (read again every AGORA_JWKS_REFRESH_INTERVAL); "
           "empty: the JWKS of customers, loaded at start, then refreshed periodically and when a token "
           "names an unknown key");
  r.Duration("AGORA_JWKS_REFRESH_INTERVAL", absl::Minutes(5), absl::Seconds(1), absl::Hours(24),
             &c.jwks_refresh_interval,
             "how often the key file or the JWKS of customers is read again (a retired key stops verifying "
             "after it)");
  runtime::auth::ReadIssuerAudience(r, &c.jwt.options.issuer, &c.jwt.options.audience);
  runtime::auth::ReadRevocationPollInterval(r, &c.jwt.revocation_poll_interval);
  const std::pair<const char*, const char*> kBackends[] = {
      {"agora.inventory.v1.Inventory", "INVENTORY"}, {"agora.customers.v1.Customers", "CUSTOMERS"},
      {"agora.orders.v1.Orders", "ORDERS"},          {"agora.reviews.v1.Reviews", "REVIEWS"},
      {"agora.saga.v1.Sagas", "SAGA"}};
  const char* kDefaults[] = {"127.0.0.1:50061", "127.0.0.1:50062", "127.0.0.1:50063",
                             "127.0.0.1:50064", "127.0.0.1:50065"};
  int i = 0;
  for (const auto& [service, name] : kBackends) {
    r.String(std::string("AGORA_") + name + "_ADDRESS", kDefaults[i++], &c.backends[service],
             std::string("address of ") + service);
  }
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5),
             &c.drain_timeout, "time requests in flight get to finish on SIGTERM");
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, &c.log_level,
           "lowest level logged");
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::gateway
