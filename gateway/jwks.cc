#include "gateway/jwks.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/log/log.h"
#include "runtime/metrics/metrics.h"

namespace agora::gateway {
namespace {

struct JwksMetrics {
  prometheus::Counter& ok;
  prometheus::Counter& error;
  prometheus::Gauge& last_success;
  prometheus::Gauge& keys;
};

JwksMetrics& Metrics() {
  static JwksMetrics* const m = [] {
    auto& r = runtime::metrics::Registry();
    auto& refreshes = prometheus::BuildCounter()
                          .Name("agora_jwks_refreshes_total")
                          .Help("Fetches of the JWKS of customers, by outcome (ok, error).")
                          .Register(r);
    return new JwksMetrics{
        refreshes.Add({{"outcome", "ok"}}), refreshes.Add({{"outcome", "error"}}),
        prometheus::BuildGauge()
            .Name("agora_jwks_last_success_timestamp_seconds")
            .Help("Unix time of the last successful JWKS fetch (0: none yet).")
            .Register(r)
            .Add({}),
        prometheus::BuildGauge()
            .Name("agora_jwks_keys")
            .Help("Keys in the JWKS last fetched.")
            .Register(r)
            .Add({})};
  }();
  return *m;
}

absl::StatusOr<runtime::auth::KeySet> FetchOnce(const std::shared_ptr<grpc::Channel>& customers,
                                                absl::Duration timeout) {
  auto stub = agora::customers::v1::Customers::NewStub(customers);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  agora::customers::v1::Jwks jwks;
  const grpc::Status s = stub->GetJwks(&ctx, agora::customers::v1::GetJwksRequest(), &jwks);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("JWKS from customers: ", s.error_message()));
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(jwks, &json).ok()) {
    return absl::InternalError("cannot read the JWKS of customers");
  }
  runtime::auth::KeySet keys;
  if (absl::Status st = keys.AddJwks(json); !st.ok()) return st;
  if (keys.empty()) return absl::FailedPreconditionError("customers publishes no RSA key");
  return keys;
}

void RecordSuccess(const runtime::auth::KeySet& keys) {
  JwksMetrics& m = Metrics();
  m.ok.Increment();
  m.last_success.Set(static_cast<double>(absl::ToUnixMillis(absl::Now())) / 1000.0);
  m.keys.Set(static_cast<double>(keys.size()));
}

}  // namespace

absl::StatusOr<runtime::auth::KeySet> FetchJwks(const std::shared_ptr<grpc::Channel>& customers,
                                                absl::Duration timeout) {
  absl::StatusOr<runtime::auth::KeySet> keys = FetchOnce(customers, timeout);
  if (keys.ok()) {
    RecordSuccess(*keys);
  } else {
    Metrics().error.Increment();
    runtime::log::Warn("jwks_refresh_failed", {{"error", keys.status().message()}});
  }
  return keys;
}

absl::StatusOr<runtime::auth::KeySet> ReadKeyFile(const std::string& path) {
  absl::StatusOr<runtime::auth::KeySet> keys = runtime::auth::LoadPublicKeyFile(path);
  if (keys.ok()) {
    RecordSuccess(*keys);
  } else {
    Metrics().error.Increment();
    runtime::log::Warn("jwt_key_file_refresh_failed", {{"error", keys.status().message()}});
  }
  return keys;
}

absl::StatusOr<runtime::auth::KeySet> FetchJwksAtStart(
    const std::shared_ptr<grpc::Channel>& customers, absl::Duration patience) {
  Metrics();  // every series exists from the start
  const absl::Time give_up = absl::Now() + patience;
  for (;;) {
    // Customers may still be starting: these waits are not refresh failures.
    absl::StatusOr<runtime::auth::KeySet> keys = FetchOnce(customers, absl::Seconds(2));
    if (keys.ok()) RecordSuccess(*keys);
    if (keys.ok() || absl::Now() > give_up) return keys;
    runtime::log::Warn("jwks_not_ready", {{"error", keys.status().message()}});
    absl::SleepFor(absl::Milliseconds(500));
  }
}

}  // namespace agora::gateway
