#include "runtime/metrics/metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace agora::runtime::metrics {

namespace {

// Never destroyed: metrics may be touched by threads still running at exit.
// The exposer holds it by weak_ptr, so it must be a real shared_ptr.
const std::shared_ptr<prometheus::Registry>& SharedRegistry() {
  static auto* const registry =
      new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}

}  // namespace

prometheus::Registry& Registry() { return *SharedRegistry(); }

const std::vector<double>& LatencyBuckets() {
  static const auto* const buckets =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

absl::StatusOr<std::unique_ptr<prometheus::Exposer>> StartExposer(const std::string& bind,
                                                                  int port) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(absl::StrCat(bind, ":", port));
    exposer->RegisterCollectable(SharedRegistry());
    return exposer;
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", bind, ":", port, ": ", e.what()));
  }
}

int ExposerPort(const prometheus::Exposer& exposer) {
  const auto ports = const_cast<prometheus::Exposer&>(exposer).GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace agora::runtime::metrics
