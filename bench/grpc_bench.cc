// Closed-loop gRPC load generator for the benchmarks: keeps --concurrency
// unary calls in flight on the callback API over --channels connections and
// prints one key=value line (calls/s, p50, p99, errors) for the calls that
// finished inside the measured window (after --warmup seconds).
//
// Requests are raw bytes, so one binary drives our services and the peers'
// backend alike:
//   --method=/agora.inventory.v1.Inventory/GetProduct --id=<uuid>
//       GetProductRequest{id} (field 1; the peer's catalog.v1 request has the
//       same shape: --method=/catalog.v1.Catalog/GetProduct --id=p-000042)
//   --method=/agora.inventory.v1.Inventory/ReserveStock --product=<uuid>
//       a ReserveStockRequest of one unit under a new order id per call
//
//   grpc_bench --target=127.0.0.1:50061 --method=... [--concurrency=64]
//              [--channels=2] [--duration=10] [--warmup=1]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agora/inventory/v1/inventory.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "runtime/ids/uuid.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) return argv[i] + prefix.size();
  }
  return def;
}

struct Shared {
  std::string method;
  std::string id;
  std::string product;
  Clock::time_point measure_from;
  Clock::time_point stop_at;
  std::mutex mu;
  std::vector<double> latencies_us;  // measured window only
  std::atomic<long> errors{0};
  std::atomic<int> running{0};
};

std::string Request(const Shared& s) {
  if (!s.product.empty()) {
    agora::inventory::v1::ReserveStockRequest r;
    r.set_order_id(agora::runtime::ids::NewUuid());
    auto* line = r.add_lines();
    line->set_product_id(s.product);
    line->set_quantity(1);
    return r.SerializeAsString();
  }
  std::string out = "\x0a";
  out.push_back(static_cast<char>(s.id.size()));
  return out + s.id;
}

// One slot: a call in flight; its completion starts the next call.
class Slot {
 public:
  Slot(grpc::GenericStub& stub, Shared& shared) : stub_(stub), shared_(shared) {}
  void Start() {
    shared_.running.fetch_add(1);
    Next();
  }

 private:
  void Next() {
    if (Clock::now() >= shared_.stop_at) {
      shared_.running.fetch_sub(1);
      return;
    }
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const std::string bytes = Request(shared_);
    grpc::Slice slice(bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    started_ = Clock::now();
    stub_.UnaryCall(ctx_.get(), shared_.method, grpc::StubOptions(), &request_, &response_,
                    [this](grpc::Status status) {
                      const auto end = Clock::now();
                      if (!status.ok()) {
                        shared_.errors.fetch_add(1);
                      } else if (started_ >= shared_.measure_from && end <= shared_.stop_at) {
                        std::lock_guard<std::mutex> lock(shared_.mu);
                        shared_.latencies_us.push_back(
                            std::chrono::duration<double, std::micro>(end - started_).count());
                      }
                      Next();
                    });
  }

  grpc::GenericStub& stub_;
  Shared& shared_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  Clock::time_point started_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string target = Flag(argc, argv, "target", "127.0.0.1:50061");
  const int concurrency = std::stoi(Flag(argc, argv, "concurrency", "64"));
  const int channels = std::stoi(Flag(argc, argv, "channels", "2"));
  const double duration = std::stod(Flag(argc, argv, "duration", "10"));
  const double warmup = std::stod(Flag(argc, argv, "warmup", "1"));
  Shared shared;
  shared.method = Flag(argc, argv, "method", "/agora.inventory.v1.Inventory/GetProduct");
  shared.id = Flag(argc, argv, "id", "");
  shared.product = Flag(argc, argv, "product", "");
  if (shared.id.empty() == shared.product.empty()) {
    std::fprintf(stderr, "grpc_bench: give exactly one of --id and --product\n");
    return 2;
  }
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct connections
    stubs.push_back(std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  const auto start = Clock::now();
  shared.measure_from = start + std::chrono::milliseconds(static_cast<long>(warmup * 1000));
  shared.stop_at = shared.measure_from + std::chrono::milliseconds(static_cast<long>(duration * 1000));
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < concurrency; ++i) {
    slots.push_back(std::make_unique<Slot>(*stubs[static_cast<size_t>(i % channels)], shared));
  }
  for (auto& s : slots) s->Start();
  while (shared.running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<double>& l = shared.latencies_us;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) { return l.empty() ? 0.0 : l[static_cast<size_t>(p * (l.size() - 1))] / 1000; };
  std::printf("calls_per_s=%.0f p50_ms=%.3f p99_ms=%.3f calls=%zu errors=%ld\n",
              static_cast<double>(l.size()) / duration, pct(0.5), pct(0.99), l.size(),
              shared.errors.load());
  return shared.errors.load() == 0 ? 0 : 1;
}
