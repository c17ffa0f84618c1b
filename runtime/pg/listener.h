#pragma once

// A LISTEN connection of its own, on one channel, that reconnects by itself:
// the loop the watch hub (orders) and the catalog cache (inventory) share.
//
//   - on_listening: LISTEN is in place (the first time, and after every
//     reconnection). Notifications sent while nobody listened are lost, so
//     this is where a user reloads or empties what it derived from them.
//   - on_notice: one notification's payload, on the listener's thread.
//   - on_lost: the connection was lost (or the listener stops) after it had
//     listened; nothing is heard until the next on_listening.
//
// Reconnects with a backoff from 100 ms doubling to 5 s; logs
// "<name>_listening" and "<name>_connection_lost". Callbacks run on the
// listener's thread, one at a time.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "runtime/pg/pool.h"

namespace agora::runtime::pg {

class Listener final {
 public:
  struct Callbacks {
    std::function<void(const std::string& payload)> on_notice;
    std::function<void()> on_listening;  // may be empty
    std::function<void()> on_lost;       // may be empty
  };

  // Connects with `options` (the service's own role and database).
  Listener(ConnectionOptions options, std::string channel, std::string name, Callbacks callbacks);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Starts the thread; Stop joins it (idempotent, also on destruction).
  void Start();
  void Stop();

  // LISTEN is in place now.
  bool listening() const { return listening_.load(); }

 private:
  void Run();

  const ConnectionOptions options_;
  const std::string channel_;
  const std::string name_;
  const Callbacks callbacks_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;  // last: joined first
};

}  // namespace agora::runtime::pg
