// agoractl: a small gRPC client for operators and scripts (the machine has no
// grpcurl).
//
//   agoractl health ADDRESS [SERVICE]      exit 0 when SERVING
//   agoractl wait ADDRESS SECONDS          polls health until SERVING
//   agoractl products ADDRESS [QUERY]      lists the catalog (every page)
//   agoractl seed-demo ADDRESS             creates the demo catalog if empty
//   agoractl create-product ADDRESS SKU NAME PRICE_CENTS STOCK   prints the new id
//
// Catalog writes need an administrator: agoractl signs in at customers
// (AGORA_CUSTOMERS_ADDRESS, default 127.0.0.1:50062) as AGORA_ADMIN_EMAIL /
// AGORA_ADMIN_PASSWORD (the local-run defaults when unset).

#include <cstdio>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "tools/agoractl/demo_catalog.h"

namespace {

namespace inv = agora::inventory::v1;

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// A context carrying an administrator's access token, from a login at customers.
std::unique_ptr<grpc::ClientContext> AdminContext() {
  static const std::string* const token = [] {
    auto stub = agora::customers::v1::Customers::NewStub(grpc::CreateChannel(
        Env("AGORA_CUSTOMERS_ADDRESS", "127.0.0.1:50062"), grpc::InsecureChannelCredentials()));
    agora::customers::v1::LoginRequest req;
    req.set_email(Env("AGORA_ADMIN_EMAIL", "admin@agora.local"));
    req.set_password(Env("AGORA_ADMIN_PASSWORD", "agora-admin"));
    agora::customers::v1::TokenPair tokens;
    auto ctx = Context();
    grpc::Status s = stub->Login(ctx.get(), req, &tokens);
    if (!s.ok()) {
      std::fprintf(stderr, "agoractl: administrator login failed: %s\n", s.error_message().c_str());
      std::exit(1);
    }
    return new std::string(tokens.access_token());
  }();
  auto ctx = Context();
  ctx->AddMetadata("authorization", "Bearer " + *token);
  return ctx;
}

bool Serving(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  // grpc.health.v1.Health/Check by hand: the request is field 1 (service name).
  grpc::GenericStub stub(channel);
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  auto ctx = Context();
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  stub.UnaryCall(ctx.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return false;
  std::vector<grpc::Slice> slices;
  out.Dump(&slices);
  std::string answer;
  for (const auto& s : slices) answer.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (SERVING)} is 08 01.
  return answer.size() == 2 && answer[0] == 0x08 && answer[1] == 0x01;
}

int Products(const std::shared_ptr<grpc::Channel>& channel, const std::string& query) {
  auto stub = inv::Inventory::NewStub(channel);
  inv::ListProductsRequest req;
  req.set_page_size(100);
  req.set_query(query);
  int n = 0;
  for (;;) {
    inv::ListProductsResponse resp;
    auto ctx = Context();
    grpc::Status s = stub->ListProducts(ctx.get(), req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "agoractl: %s\n", s.error_message().c_str());
      return 1;
    }
    for (const auto& p : resp.products()) {
      std::printf("%s  %-12s  %8lld cents  stock %-6lld  %s\n", p.id().c_str(), p.sku().c_str(),
                  static_cast<long long>(p.price_cents()), static_cast<long long>(p.stock()),
                  p.name().c_str());
      ++n;
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  std::printf("%d products\n", n);
  return 0;
}

int SeedDemo(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = inv::Inventory::NewStub(channel);
  inv::ListProductsRequest list;
  list.set_page_size(1);
  inv::ListProductsResponse existing;
  auto ctx = Context();
  if (grpc::Status s = stub->ListProducts(ctx.get(), list, &existing); !s.ok()) {
    std::fprintf(stderr, "agoractl: %s\n", s.error_message().c_str());
    return 1;
  }
  if (existing.products_size() > 0) {
    std::printf("catalog already seeded\n");
    return 0;
  }
  int created = 0;
  for (const agora::tools::DemoProduct& d : agora::tools::DemoCatalog()) {
    inv::CreateProductRequest req;
    req.set_sku(d.sku);
    req.set_name(d.name);
    req.set_description(d.description);
    req.set_price_cents(d.price_cents);
    req.set_stock(d.stock);
    inv::Product p;
    auto c = AdminContext();
    grpc::Status s = stub->CreateProduct(c.get(), req, &p);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      std::fprintf(stderr, "agoractl: %s: %s\n", d.sku, s.error_message().c_str());
      return 1;
    }
    created += s.ok() ? 1 : 0;
  }
  std::printf("seeded %d demo products\n", created);
  return 0;
}

int CreateProduct(const std::shared_ptr<grpc::Channel>& channel, char** args) {
  inv::CreateProductRequest req;
  req.set_sku(args[0]);
  req.set_name(args[1]);
  req.set_price_cents(std::atoll(args[2]));
  req.set_stock(std::atoll(args[3]));
  inv::Product p;
  auto ctx = AdminContext();
  grpc::Status s = inv::Inventory::NewStub(channel)->CreateProduct(ctx.get(), req, &p);
  if (!s.ok()) {
    std::fprintf(stderr, "agoractl: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf("%s\n", p.id().c_str());
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: agoractl health ADDRESS [SERVICE] | wait ADDRESS SECONDS | "
               "products ADDRESS [QUERY] | seed-demo ADDRESS | "
               "create-product ADDRESS SKU NAME PRICE_CENTS STOCK\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string cmd = argv[1];
  auto channel = grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials());
  if (cmd == "health") return Serving(channel, argc > 3 ? argv[3] : "") ? 0 : 1;
  if (cmd == "wait" && argc > 3) {
    // Polled every 20 ms on a channel that reconnects within 20 ms: with
    // gRPC's default backoff (1 s, then more) a server that starts listening
    // just after the first refused connection is seen a second late, and a
    // start-up time measured with this command would be mostly that.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 20);
    auto polled = grpc::CreateCustomChannel(argv[2], grpc::InsecureChannelCredentials(), args);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[3]));
    while (std::chrono::steady_clock::now() < until) {
      if (Serving(polled, "")) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::fprintf(stderr, "agoractl: %s is not SERVING\n", argv[2]);
    return 1;
  }
  if (cmd == "products") return Products(channel, argc > 3 ? argv[3] : "");
  if (cmd == "seed-demo") return SeedDemo(channel);
  if (cmd == "create-product" && argc == 7) return CreateProduct(channel, argv + 3);
  return Usage();
}
