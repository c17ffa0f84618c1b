#include "gateway/api_handler.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agora/api/v1/policy.pb.h"
#include "gateway/error_mapping.h"
#include "gateway/fanout.h"
#include "gateway/forwarded_headers.h"
#include "gateway/sse.h"
#include "gateway/transcoder.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "runtime/limits/address_bucket.h"
#include "runtime/log/log.h"
#include "runtime/metrics/cached_family.h"
#include "runtime/metrics/metrics.h"

namespace agora::gateway {

struct ApiHandler::Metrics {
  runtime::metrics::CachedFamily<prometheus::Counter> requests;   // route, method, code
  runtime::metrics::CachedFamily<prometheus::Histogram> seconds;  // route
  prometheus::Gauge& in_flight;
};

namespace {

// The methods `path` allows, with HEAD wherever GET is (HEAD is GET without
// the body; the HTTP server drops it), except on an event stream, which
// answers HEAD with 405. `methods` is sorted and unique.
std::vector<std::string> WithHead(const RouteTable& routes, const std::string& path,
                                  std::vector<std::string> methods) {
  const auto get = std::find(methods.begin(), methods.end(), "GET");
  if (get == methods.end() || std::find(methods.begin(), methods.end(), "HEAD") != methods.end()) return methods;
  RouteMatch match;
  if (routes.Find("GET", path, &match, nullptr) == RouteTable::Outcome::kMatched &&
      match.binding->method->server_streaming()) {
    return methods;
  }
  methods.insert(get + 1, "HEAD");
  return methods;
}

// The client's own budget, from a Grpc-Timeout header as grpc-gateway reads
// it ("500m", "3S", "1M": at most 8 digits and a unit H, M, S, m, u, n, as
// gRPC's wire format has it); infinite if absent; nullopt when unreadable,
// which grpc-gateway answers with 400 "invalid grpc-timeout".
std::optional<absl::Duration> ClientTimeout(const HttpRequest& request) {
  const std::string_view v = request.Header("grpc-timeout");
  if (v.empty()) return absl::InfiniteDuration();
  if (v.size() < 2 || v.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  switch (v.back()) {
    case 'H': return absl::Hours(n);
    case 'M': return absl::Minutes(n);
    case 'S': return absl::Seconds(n);
    case 'm': return absl::Milliseconds(n);
    case 'u': return absl::Microseconds(n);
    case 'n': return absl::Nanoseconds(n);
    default: return std::nullopt;
  }
}

// The method as a metric label: only methods HTTP defines, every other one
// OTHER, so that invented methods cannot grow memory and /metrics.
const std::string& MethodLabel(const std::string& method) {
  static const std::string* const kKnown = new std::string[9]{
      "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"};
  for (int i = 0; i < 9; ++i) {
    if (kKnown[i] == method) return kKnown[i];
  }
  static const std::string* const kOther = new std::string("OTHER");
  return *kOther;
}

const agora::api::v1::MethodPolicy& PolicyOf(const Binding& b) {
  return b.method->options().GetExtension(agora::api::v1::policy);
}

}  // namespace

ApiHandler::ApiHandler(const RouteTable& routes, Upstreams& upstreams,
                       const runtime::auth::Authorizer& authorizer, ApiOptions options)
    : routes_(routes),
      upstreams_(upstreams),
      authorizer_(authorizer),
      options_(std::move(options)),
      client_limiter_(options_.per_client),
      customer_limiter_(options_.per_customer),
      readiness_(std::make_shared<Readiness>()) {
  auto& registry = runtime::metrics::Registry();
  metrics_ = std::unique_ptr<Metrics>(new Metrics{
      {prometheus::BuildCounter()
           .Name("http_requests_total")
           .Help("HTTP requests answered, by route template, method and status.")
           .Register(registry),
       {"route", "method", "code"}},
      {prometheus::BuildHistogram()
           .Name("http_request_duration_seconds")
           .Help("Time to answer an HTTP request, by route template.")
           .Register(registry),
       {"route"}},
      prometheus::BuildGauge()
          .Name("http_requests_in_flight")
          .Help("HTTP requests being answered.")
          .Register(registry)
          .Add({})});
}

ApiHandler::~ApiHandler() = default;

void ApiHandler::DecorateRefusal(const HttpRequest& request, HttpResponse* response) const {
  Cors(request, response);  // no method: never a preflight
}

namespace {

// The operations routes (API.md "Operations"), answered by Operations().
constexpr const char* kOperations[] = {"/healthz", "/readyz", "/metrics", "/openapi.json"};

bool IsOperation(std::string_view path) {
  for (const char* op : kOperations) {
    if (path == op) return true;
  }
  return false;
}

}  // namespace

bool ApiHandler::Cors(const HttpRequest& request, HttpResponse* base) const {
  // Whether CORS headers are sent depends on Origin: every answer says so,
  // with or without one, so that a shared cache keeps the variants apart.
  if (!options_.cors_origins.empty()) base->Set("Vary", "Origin");
  const std::string_view origin = request.Header("origin");
  if (origin.empty()) return false;
  bool allowed = false, named = false;
  for (const std::string& o : options_.cors_origins) {
    named |= o == origin;
    allowed |= (o == origin || o == "*");
  }
  if (!allowed) return false;
  base->Set("Access-Control-Allow-Origin", std::string(origin));
  // A frontend that sends credentials (fetch's credentials: "include",
  // axios' withCredentials) may read the answer; the API keeps no cookies,
  // and an origin let in only by "*" is not vouched for.
  if (named) base->Set("Access-Control-Allow-Credentials", "true");
  if (request.method == "OPTIONS" && !request.Header("access-control-request-method").empty()) {
    // The methods of the path asked about, as a 405's Allow names them.
    std::vector<std::string> methods;
    if (!FanoutId(ProductDetails(), request.path).empty() || IsOperation(request.path)) {
      methods = {"GET", "HEAD"};
    } else if (routes_.Find("OPTIONS", request.path, nullptr, &methods) ==
               RouteTable::Outcome::kMethodNotAllowed) {
      methods = WithHead(routes_, request.path, std::move(methods));
    } else {
      methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};  // not a route: the API's methods
    }
    // API.md: the requested method is allowed. One the path lacks then gets
    // its 405 (with Allow), which the browser lets the frontend read,
    // instead of a failed preflight it cannot.
    if (const std::string_view asked_method = request.Header("access-control-request-method");
        asked_method.size() <= 32 && IsHttpToken(asked_method) && std::find(methods.begin(), methods.end(), asked_method) == methods.end() &&
        asked_method != "OPTIONS") {
      methods.emplace_back(asked_method);
    }
    methods.push_back("OPTIONS");
    base->Set("Access-Control-Allow-Methods", absl::StrJoin(methods, ", "));
    const std::string_view asked = request.Header("access-control-request-headers");
    base->Set("Access-Control-Allow-Headers",
              asked.empty() ? "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
                            : std::string(asked));
    base->Set("Access-Control-Max-Age", "600");
    return true;
  }
  base->Set("Access-Control-Expose-Headers", "Location, X-Request-Id, Retry-After, WWW-Authenticate");
  return false;
}

bool ApiHandler::Admit(const HttpRequest& request, absl::Duration* retry_after) {
  const absl::Time now = absl::Now();
  if (const std::string_view auth = request.Header("authorization"); !auth.empty()) {
    const runtime::auth::Caller caller = authorizer_.Identify(auth, now);
    if (caller.authenticated()) return customer_limiter_.Allow(caller.customer_id, now, retry_after);
  }
  return client_limiter_.Allow(runtime::limits::AddressBucket(request.remote_address), now, retry_after);
}

void ApiHandler::Handle(HttpRequest request, Exchange exchange) {
  const absl::Time start = absl::Now();
  metrics_->in_flight.Increment();
  in_flight_.fetch_add(1);
  HttpResponse base;
  const std::string request_id = RequestIdFor(request.Header("x-request-id"));
  base.Set("X-Request-Id", request_id);
  const bool preflight = Cors(request, &base);

  // Every exit goes through `finish`: metrics, access log, the answer.
  auto finish = [this, start, request_id, method = MethodLabel(request.method), path = request.path,
                 remote = request.remote_address, respond = exchange.respond](
                    std::string route, HttpResponse response) {
    metrics_->in_flight.Decrement();
    in_flight_.fetch_sub(1);
    const std::string code = absl::StrCat(response.status);
    metrics_->requests.Get({route, method, code}).Increment();
    metrics_->seconds.Get({route}, runtime::metrics::LatencyBuckets()).Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (runtime::log::Enabled(runtime::log::Level::kInfo)) {
      runtime::log::Info("http_request", {{"method", method},
                                          {"route", route},
                                          {"status", response.status},
                                          {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start)},
                                          {"request_id", request_id},
                                          {"remote", remote}});
    }
    respond(std::move(response));
  };
  auto fail = [&](std::string route, HttpResponse error) {
    for (auto& h : base.headers) error.headers.push_back(h);
    finish(std::move(route), std::move(error));
  };

  // Rate limits come first, on every request: operations, preflights,
  // fan-out and requests that end in an error are all charged. A request
  // whose token verifies is charged to its customer, any other to its
  // address.
  if (absl::Duration retry_after; !Admit(request, &retry_after)) {
    HttpResponse r = GatewayError(429, 8, "too many requests; slow down");
    r.Set("Retry-After", absl::StrCat(absl::ToInt64Seconds(retry_after)));
    return fail("rate_limited", std::move(r));
  }
  if (preflight) {
    base.status = 204;
    return finish("preflight", std::move(base));
  }
  for (const char* op : kOperations) {
    if (request.path == op) {
      metrics_->in_flight.Decrement();  // Operations answers on its own
      in_flight_.fetch_sub(1);
      return Operations(request, op, exchange, std::move(base));
    }
  }

  // Composite routes, declared in fanout.cc.
  if (const std::string id = FanoutId(ProductDetails(), request.path); !id.empty()) {
    const std::string route = "/v1/products/{id}/details";
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse r = GatewayError(405, 12, request.method + " is not allowed here");
      r.Set("Allow", "GET, HEAD");
      return fail(route, std::move(r));
    }
    absl::StatusOr<Metadata> forwarded = ForwardedMetadata(request, request_id);
    if (!forwarded.ok()) return fail(route, ErrorResponse(forwarded.status()));
    // Public: a valid token adds the caller's favourite flag.
    absl::StatusOr<runtime::auth::Caller> caller = authorizer_.AuthorizeHeader(
        request.Header("authorization"), "agora.inventory.v1.Inventory.GetProduct", absl::Now());
    const bool signed_in = caller.ok() && caller->authenticated();
    Metadata metadata;
    for (auto& kv : *forwarded) {
      if (kv.first != "authorization" || signed_in) metadata.push_back(std::move(kv));
    }
    return RunFanout(ProductDetails(), id, signed_in, std::move(metadata), upstreams_,
                     [finish, route, base](HttpResponse r) mutable {
                       for (auto& h : base.headers) r.headers.push_back(h);
                       finish(route, std::move(r));
                     });
  }

  RouteMatch match;
  std::vector<std::string> allowed;
  // HEAD is GET without the body (the HTTP server drops it).
  const bool head = request.method == "HEAD";
  static const std::string kGet = "GET";
  switch (routes_.Find(head ? kGet : request.method, request.path, &match, &allowed)) {
    case RouteTable::Outcome::kNotFound:
      return fail("unmatched", GatewayError(404, 5, "no route for " + request.path));
    case RouteTable::Outcome::kMethodNotAllowed: {
      HttpResponse r = GatewayError(405, 12, request.method + " is not allowed here");
      r.Set("Allow", absl::StrJoin(WithHead(routes_, request.path, std::move(allowed)), ", "));
      return fail("unmatched", std::move(r));
    }
    case RouteTable::Outcome::kMatched:
      break;
  }
  const Binding& binding = *match.binding;
  const std::string route = binding.path_template;
  // Every header bound for the backend is checked before anything reads it.
  absl::StatusOr<Metadata> forwarded = ForwardedMetadata(request, request_id);
  if (!forwarded.ok()) return fail(route, ErrorResponse(forwarded.status()));

  // Access policy and identity, from the method's declaration.
  const std::string full_method = binding.method->full_name();
  absl::StatusOr<runtime::auth::Caller> caller =
      authorizer_.AuthorizeHeader(request.Header("authorization"), full_method, absl::Now());
  if (!caller.ok()) {
    HttpResponse r = ErrorResponse(caller.status());
    if (r.status == 401 && request.Header("authorization").empty()) {
      // No token at all: the challenge names no error (RFC 6750, 3.1).
      for (auto& [name, value] : r.headers) {
        if (name == "WWW-Authenticate") value = "Bearer realm=\"agora\"";
      }
    }
    return fail(route, std::move(r));
  }
  const std::optional<absl::Duration> budget = ClientTimeout(request);
  if (!budget.has_value()) {
    return fail(route, GatewayError(400, 3, "invalid grpc-timeout: a value of 1 to 8 digits and a unit H, M, S, m, u or n"));
  }
  if (!request.body.empty() && !AcceptableContentType(request)) {
    return fail(route, GatewayError(415, 3, "send the body as application/json"));
  }
  absl::StatusOr<std::string> grpc_request = BuildRequest(binding, match, request);
  if (!grpc_request.ok()) {
    return fail(route, ErrorResponse(grpc_request.status()));
  }
  if (binding.method->server_streaming()) {
    if (head) {
      HttpResponse r = GatewayError(405, 12, "HEAD is not allowed on an event stream");
      r.Set("Allow", "GET");
      return fail(route, std::move(r));
    }
    return Stream(binding, std::move(*grpc_request), request, *budget, std::move(*forwarded),
                  std::move(base), exchange);
  }
  Unary(binding, std::move(*grpc_request), *budget, std::move(*forwarded), std::move(base),
        [finish, route](HttpResponse r) { finish(route, std::move(r)); });
}

void ApiHandler::Unary(const Binding& binding, std::string grpc_request, absl::Duration budget,
                       Metadata metadata, HttpResponse base,
                       std::function<void(HttpResponse)> finish) {
  UpstreamCall call;
  call.service = binding.method->service()->full_name();
  call.method = binding.method->name();
  call.request = std::move(grpc_request);
  call.timeout = std::min(options_.upstream_timeout, budget);
  call.metadata = std::move(metadata);
  upstreams_.Call(std::move(call), [&binding, base = std::move(base), finish = std::move(finish)](
                                       int code, std::string message, std::string response) mutable {
    if (code != 0) {
      HttpResponse error = BackendError(code, message, response);
      for (auto& h : base.headers) error.headers.push_back(h);
      return finish(std::move(error));
    }
    absl::StatusOr<std::string> json = RenderResponse(binding, response);
    if (!json.ok()) {
      HttpResponse error = ErrorResponse(13, "internal error");
      for (auto& h : base.headers) error.headers.push_back(h);
      return finish(std::move(error));
    }
    const auto& policy = PolicyOf(binding);
    base.status = policy.success_status() != 0 ? policy.success_status() : 200;
    if (const std::string location = LocationFor(binding, response); !location.empty()) {
      base.Set("Location", location);
    }
    base.Set("Content-Type", "application/json");
    base.body = std::move(*json);
    finish(std::move(base));
  });
}

void ApiHandler::Stream(const Binding& binding, std::string grpc_request, const HttpRequest& request,
                        absl::Duration budget, Metadata metadata, HttpResponse base, Exchange& exchange) {
  grpc::GenericStub* stub = upstreams_.StubFor(binding.method->service()->full_name());
  if (stub == nullptr) {
    metrics_->in_flight.Decrement();
    in_flight_.fetch_sub(1);
    return exchange.respond(ErrorResponse(12, "no backend serves this method"));
  }
  SseCall call;
  call.binding = &binding;
  call.request = std::move(grpc_request);
  call.timeout = std::min(options_.stream_timeout, budget);
  call.first_event_timeout = std::min(options_.upstream_timeout, budget);
  call.metadata = std::move(metadata);
  call.head = std::move(base);
  StartSse(*stub, std::move(call), exchange,
           [this, route = binding.path_template, method = MethodLabel(request.method)](int status) {
             metrics_->in_flight.Decrement();
             in_flight_.fetch_sub(1);
             metrics_->requests.Get({route, method, absl::StrCat(status)}).Increment();
           });
}

void ApiHandler::Operations(const HttpRequest& request, const std::string& route, Exchange& exchange,
                            HttpResponse base) {
  const absl::Time start = absl::Now();
  auto done = [this, start, route, method = MethodLabel(request.method),
               respond = exchange.respond](HttpResponse r) {
    metrics_->requests.Get({route, method, absl::StrCat(r.status)}).Increment();
    metrics_->seconds.Get({route}, runtime::metrics::LatencyBuckets()).Observe(absl::ToDoubleSeconds(absl::Now() - start));
    respond(std::move(r));
  };
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = GatewayError(405, 12, request.method + " is not allowed here");
    r.Set("Allow", "GET, HEAD");
    for (auto& h : base.headers) r.headers.push_back(h);
    return done(std::move(r));
  }
  if (route == "/healthz") {
    base.Set("Content-Type", "application/json");
    base.body = R"({"status":"SERVING"})";
    return done(std::move(base));
  }
  if (route == "/metrics") {
    base.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    base.body = prometheus::TextSerializer().Serialize(runtime::metrics::Registry().Collect());
    return done(std::move(base));
  }
  if (route == "/openapi.json") {
    base.Set("Content-Type", "application/json");
    base.body = options_.openapi_json;
    return done(std::move(base));
  }
  Ready(std::move(base), std::move(done));
}

// The state behind /readyz. A probe finds it fresh (checked within the
// second) and is answered at once, or waits for the one check in flight,
// which runs on gRPC's callback threads: no thread per probe, and at most
// kMaxWaiters probes wait (the others get the last known state).
struct ApiHandler::Readiness {
  static constexpr size_t kMaxWaiters = 256;
  using Waiter = std::function<void(const std::vector<std::string>& failing)>;
  absl::Mutex mu;
  absl::Time checked ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  std::vector<std::string> failing ABSL_GUARDED_BY(mu) = {"unchecked"};
  bool checking ABSL_GUARDED_BY(mu) = false;
  std::vector<Waiter> waiters ABSL_GUARDED_BY(mu);
};

void ApiHandler::Ready(HttpResponse base, std::function<void(HttpResponse)> done) {
  auto answer = [base = std::move(base), done = std::move(done)](
                    const std::vector<std::string>& unhealthy) mutable {
    base.Set("Content-Type", "application/json");
    if (unhealthy.empty()) {
      base.body = R"({"status":"READY"})";
    } else {
      base.status = 503;
      std::string list;
      for (const std::string& u : unhealthy) {
        if (!list.empty()) list += ",";
        runtime::log::AppendJsonString(u, &list);
      }
      // API.md's error body (code 14, UNAVAILABLE), with the failing
      // backends also listed on their own for probes and dashboards.
      base.body = GatewayError(503, 14,
                               absl::StrCat("not ready: ", absl::StrJoin(unhealthy, ", "),
                                            unhealthy.size() == 1 ? " does not answer its health check"
                                                                  : " do not answer their health checks"))
                      .body;
      base.body.pop_back();  // its closing brace
      absl::StrAppend(&base.body, R"(,"status":"NOT_READY","failing":[)", list, "]}");
    }
    done(std::move(base));
  };
  std::shared_ptr<Readiness> r = readiness_;
  std::vector<std::string> known;
  bool answer_now = false;
  bool start = false;
  {
    absl::MutexLock lock(&r->mu);
    if (absl::Now() - r->checked <= absl::Seconds(1) || r->waiters.size() >= Readiness::kMaxWaiters) {
      known = r->failing;
      answer_now = true;
    } else {
      r->waiters.push_back(std::move(answer));
      start = !std::exchange(r->checking, true);
    }
  }
  if (answer_now) return answer(known);
  if (!start) return;  // the check in flight answers this probe too
  upstreams_.CheckHealth(absl::Seconds(2), [r](std::vector<std::string> unhealthy) {
    std::vector<Readiness::Waiter> waiters;
    {
      absl::MutexLock lock(&r->mu);
      r->failing = unhealthy;
      r->checked = absl::Now();
      r->checking = false;
      waiters.swap(r->waiters);
    }
    for (auto& w : waiters) w(unhealthy);
  });
}

}  // namespace agora::gateway
