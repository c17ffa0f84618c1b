#include <catch2/catch.hpp>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "runtime/grpc/executor.h"

namespace agora::runtime::grpc_server {
namespace {

TEST_CASE("the executor runs every accepted task, also those queued at drain", "[unit]") {
  std::atomic<int> ran{0};
  {
    Executor executor(2, 1000);
    for (int i = 0; i < 500; ++i) REQUIRE(executor.Submit([&ran] { ran.fetch_add(1); }));
  }  // destructor drains
  CHECK(ran.load() == 500);
}

TEST_CASE("a full queue refuses work instead of growing without bound", "[unit]") {
  Executor executor(1, 2);
  absl::Notification release;
  absl::Notification started;
  REQUIRE(executor.Submit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();
  CHECK(executor.Submit([] {}));
  CHECK(executor.Submit([] {}));
  CHECK_FALSE(executor.Submit([] {}));  // queue of 2 is full
  release.Notify();
  executor.Drain();
  CHECK_FALSE(executor.Submit([] {}));  // draining refuses
}

}  // namespace
}  // namespace agora::runtime::grpc_server
