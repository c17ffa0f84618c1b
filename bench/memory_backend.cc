// A benchmark-only backend that answers from memory, so that a gateway
// benchmark can measure the gateways themselves (the peers' catalog_server
// plays the same part for grpc-gateway in ../shared/peers). It serves, on the
// callback API with the default health service:
//   agora.inventory.v1.Inventory/GetProduct  one fixed product for any id
//   agora.customers.v1.Customers/GetMe        one fixed customer
// Every other method answers UNIMPLEMENTED. Never part of a deployment.
//
//   memory_backend --listen=127.0.0.1:PORT

#include <csignal>
#include <cstdio>
#include <string>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace {

class Inventory final : public agora::inventory::v1::Inventory::CallbackService {
  grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* ctx,
                                       const agora::inventory::v1::GetProductRequest* req,
                                       agora::inventory::v1::Product* resp) override {
    resp->set_id(req->id());
    resp->set_sku("BENCH-GW-1");
    resp->set_name("Bench mug");
    resp->set_description("A mug that holds a benchmark's coffee");
    resp->set_price_cents(1800);
    resp->set_stock(1000000);
    resp->mutable_created_at()->set_seconds(1795000000);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class Customers final : public agora::customers::v1::Customers::CallbackService {
  grpc::ServerUnaryReactor* GetMe(grpc::CallbackServerContext* ctx, const agora::customers::v1::GetMeRequest*,
                                  agora::customers::v1::Customer* resp) override {
    resp->set_id("8a1f6a9e-2c1b-4c55-9d43-6f0e6c8b2a11");
    resp->set_email("bench-admin@agora.local");
    resp->set_display_name("Bench admin");
    resp->set_balance_cents(0);
    resp->add_roles("customer");
    resp->add_roles("admin");
    resp->mutable_created_at()->set_seconds(1795000000);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // No one has signed out: the gateway polls this as it polls customers.
  grpc::ServerUnaryReactor* ListRevokedSessions(grpc::CallbackServerContext* ctx,
                                                const agora::customers::v1::ListRevokedSessionsRequest*,
                                                agora::customers::v1::ListRevokedSessionsResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--listen=", 0) == 0) listen = a.substr(9);
  }
  if (listen.empty()) {
    std::fprintf(stderr, "usage: memory_backend --listen=HOST:PORT\n");
    return 2;
  }
  // Blocked before gRPC starts its threads, so that sigwait receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  grpc::EnableDefaultHealthCheckService(true);
  Inventory inventory;
  Customers customers;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterService(&inventory);
  builder.RegisterService(&customers);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "memory_backend: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  server->Shutdown();
  return 0;
}
