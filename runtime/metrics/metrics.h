#pragma once

// The process-wide Prometheus registry (the one singleton STYLE.md allows)
// and its HTTP exposer.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace agora::runtime::metrics {

// Every metric of the process is registered here. Thread-safe.
prometheus::Registry& Registry();

// The bucket boundaries of every latency histogram (seconds, 0.5 ms .. 10 s),
// so that dashboards can compare the gateway's, the client's and the
// server's views of a call.
const std::vector<double>& LatencyBuckets();

// Serves Registry() at http://<bind>:<port>/metrics until the returned
// exposer is destroyed. Port 0 picks a free port (see ExposerPort).
absl::StatusOr<std::unique_ptr<prometheus::Exposer>> StartExposer(const std::string& bind,
                                                                  int port);
int ExposerPort(const prometheus::Exposer& exposer);

}  // namespace agora::runtime::metrics
