// The gateway: composition root only.

#include "absl/time/clock.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "agora/reviews/v1/reviews.grpc.pb.h"
#include "agora/saga/v1/admin.grpc.pb.h"
#include "gateway/api_handler.h"
#include "gateway/config.h"
#include "gateway/http_server.h"
#include "gateway/jwks.h"
#include "gateway/openapi.h"
#include "gateway/route_table.h"
#include "gateway/upstreams.h"
#include "runtime/auth/revocation_client.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"

namespace rt = agora::runtime;
namespace gw = agora::gateway;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<gw::Config> config = gw::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("gateway", config.status());
  rt::log::Level level = rt::log::Level::kInfo;
  rt::log::ParseLevel(config->log_level, &level);
  rt::log::Init("gateway", level);

  // Routing comes from the services' google.api.http rules, nothing else.
  absl::StatusOr<gw::RouteTable> routes = gw::RouteTable::Build(gw::PublicServices());
  if (!routes.ok()) {
    return rt::grpc_server::StartFailed("routes_refused", routes.status());
  }
  gw::Upstreams upstreams(config->backends);
  absl::StatusOr<std::unique_ptr<rt::auth::JwtVerifier>> verifier;
  if (!config->jwt.public_key_file.empty()) {
    const std::string file = config->jwt.public_key_file;
    absl::StatusOr<rt::auth::KeySet> keys = gw::ReadKeyFile(file);
    if (keys.ok()) {
      verifier = std::make_unique<rt::auth::JwtVerifier>(
          std::move(*keys), config->jwt.options, [file] { return gw::ReadKeyFile(file); },
          /*min_refresh_interval=*/absl::Seconds(10), config->jwks_refresh_interval);
    } else {
      verifier = keys.status();
    }
  } else {
    auto customers = upstreams.ChannelFor("agora.customers.v1.Customers");
    absl::StatusOr<rt::auth::KeySet> keys = gw::FetchJwksAtStart(customers, absl::Seconds(60));
    if (keys.ok()) {
      verifier = std::make_unique<rt::auth::JwtVerifier>(
          std::move(*keys), config->jwt.options,
          [customers] { return gw::FetchJwks(customers, absl::Seconds(1)); },
          /*min_refresh_interval=*/absl::Seconds(10), config->jwks_refresh_interval);
    } else {
      verifier = keys.status();
    }
  }
  if (!verifier.ok()) {
    return rt::grpc_server::StartFailed("jwt_keys_unavailable", verifier.status());
  }
  // Signed-out sessions' access tokens are refused within a poll interval.
  rt::auth::RevokedSessions revoked;
  const std::unique_ptr<rt::auth::RevocationPoller> revocations = rt::auth::PollCustomersRevocations(
      revoked, upstreams.ChannelFor("agora.customers.v1.Customers"), config->jwt.revocation_poll_interval);
  rt::auth::Authorizer authorizer(**verifier, nullptr, &revoked);
  config->api.openapi_json = gw::OpenApiDocument(*routes);
  gw::ApiHandler handler(*routes, upstreams, authorizer, config->api);
  auto server = gw::StartHttpServer(config->http, handler);
  if (!server.ok()) {
    return rt::grpc_server::StartFailed("http_failed", server.status());
  }
  rt::log::Info("gateway_ready", {{"http_port", (*server)->port()},
                                  {"routes", static_cast<int64_t>(routes->bindings().size())}});
  const int sig = rt::grpc_server::WaitForTerminationSignal();
  rt::log::Info("shutdown_requested", {{"signal", sig}});
  // Drain: no new connections; requests in flight get up to the drain time.
  (*server)->StopAccepting();
  const absl::Time give_up = absl::Now() + config->drain_timeout;
  while (handler.in_flight() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  rt::log::Info("gateway_drained", {{"unfinished", handler.in_flight()}});
  (*server)->Stop();
  rt::log::Info("gateway_stopped");
  return 0;
}
