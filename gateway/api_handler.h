#pragma once

// The gateway's request pipeline: request id, CORS, operations endpoints,
// rate limits, routing (404/405), content type (415), the method's access
// policy with the caller's verified token (401/403), transcoding (400),
// the backend call, and the answer with the status and Location the
// method's policy declares. Server-streaming methods answer
// text/event-stream. Thread-safe; never blocks an I/O thread.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/forwarded_headers.h"
#include "gateway/http_types.h"
#include "gateway/route_table.h"
#include "gateway/upstreams.h"
#include "runtime/auth/authorizer.h"
#include "runtime/limits/rate_limiter.h"

namespace agora::gateway {

using runtime::limits::RateLimit;
using runtime::limits::RateLimiter;

struct ApiOptions {
  std::vector<std::string> cors_origins = {"http://localhost:3000", "http://localhost:5173"};
  absl::Duration upstream_timeout = absl::Seconds(10);
  absl::Duration stream_timeout = absl::Minutes(30);
  RateLimit per_client = {200, 400};  // anonymous callers, by address
  RateLimit per_customer = {200, 400};
  std::string openapi_json;  // served at /openapi.json
};

class ApiHandler final : public Handler {
 public:
  // Borrowed: routes, upstreams, authorizer.
  ApiHandler(const RouteTable& routes, Upstreams& upstreams,
             const runtime::auth::Authorizer& authorizer, ApiOptions options);
  ~ApiHandler() override;

  void Handle(HttpRequest request, Exchange exchange) override;
  void DecorateRefusal(const HttpRequest& request, HttpResponse* response) const override;

  // Requests being answered (streams included), for a graceful drain.
  int64_t in_flight() const { return in_flight_.load(); }

 private:
  struct Metrics;
  void Operations(const HttpRequest& request, const std::string& route, Exchange& exchange,
                  HttpResponse base);
  // `budget`: the client's own deadline (Grpc-Timeout), read once by Handle.
  void Unary(const Binding& binding, std::string grpc_request, absl::Duration budget,
             Metadata metadata, HttpResponse base, std::function<void(HttpResponse)> finish);
  void Stream(const Binding& binding, std::string grpc_request, const HttpRequest& request,
              absl::Duration budget, Metadata metadata, HttpResponse base, Exchange& exchange);
  // Charges the request to its rate limit: the customer's when its token
  // verifies, else its address's. False (and `retry_after`) when over it.
  bool Admit(const HttpRequest& request, absl::Duration* retry_after);
  // Adds CORS headers for an allowed origin; true when the request is a preflight.
  bool Cors(const HttpRequest& request, HttpResponse* base) const;

  const RouteTable& routes_;
  Upstreams& upstreams_;
  const runtime::auth::Authorizer& authorizer_;
  const ApiOptions options_;
  RateLimiter client_limiter_;
  RateLimiter customer_limiter_;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<int64_t> in_flight_{0};
  // /readyz answers from a one-second cache: probes must not fan out to
  // every backend on each call. Shared with the health check in flight.
  struct Readiness;
  void Ready(HttpResponse base, std::function<void(HttpResponse)> done);
  std::shared_ptr<Readiness> readiness_;
};

}  // namespace agora::gateway
