// Threads carry their role's name (top -H, perf, gdb): Linux keeps 15 bytes.

#include <pthread.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "runtime/grpc/executor.h"
#include "runtime/log/log.h"

namespace agora::runtime {
namespace {

// Called on other threads: no Catch2 assertion here ("?" on failure).
std::string NameOfThisThread() {
  char buf[64] = {};
  if (pthread_getname_np(pthread_self(), buf, sizeof buf) != 0) return "?";
  return buf;
}

TEST_CASE("a thread is named, and a long name is cut to Linux's 15 bytes", "[unit]") {
  std::string short_name, long_name;
  std::thread([&] {
    log::NameThisThread("outbox-relay");
    short_name = NameOfThisThread();
    log::NameThisThread("a-name-longer-than-fifteen");
    long_name = NameOfThisThread();
  }).join();
  CHECK(short_name == "outbox-relay");
  CHECK(long_name == "a-name-longer-t");
}

TEST_CASE("the gRPC handlers' executor threads are named grpc-exec", "[unit]") {
  grpc_server::Executor executor(1, 4);
  std::string name;
  absl::Mutex mu;
  bool done = false;
  REQUIRE(executor.Submit([&] {
    absl::MutexLock lock(&mu);
    name = NameOfThisThread();
    done = true;
  }));
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  CHECK(name == "grpc-exec");
}

}  // namespace
}  // namespace agora::runtime
