#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "runtime/metrics/cached_family.h"

namespace agora::runtime::metrics {
namespace {

TEST_CASE("a cached family hands out one child per label set, labelled as the family's", "[unit]") {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter().Name("calls_total").Help("h").Register(registry);
  CachedFamily<prometheus::Counter> calls(family, {"route", "code"});
  prometheus::Counter& a = calls.Get({"/v1/a", "200"});
  CHECK(&calls.Get({"/v1/a", "200"}) == &a);
  CHECK(&calls.Get({"/v1/a", "404"}) != &a);
  // Values that would collide if merely concatenated stay apart.
  CHECK(&calls.Get({"/v1/a2", "00"}) != &a);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) calls.Get({"/v1/a", "200"}).Increment();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(a.Value() == 4000);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find("calls_total{code=\"200\",route=\"/v1/a\"} 4000") != std::string::npos);

  auto& hist_family = prometheus::BuildHistogram().Name("seconds").Help("h").Register(registry);
  CachedFamily<prometheus::Histogram> seconds(hist_family, {"route"});
  seconds.Get({"/v1/a"}, prometheus::Histogram::BucketBoundaries{0.1, 1}).Observe(0.5);
  seconds.Get({"/v1/a"}, prometheus::Histogram::BucketBoundaries{0.1, 1}).Observe(0.05);
  CHECK(prometheus::TextSerializer().Serialize(registry.Collect()).find("seconds_count{route=\"/v1/a\"} 2") !=
        std::string::npos);
}

}  // namespace
}  // namespace agora::runtime::metrics
