#pragma once

// A child process for crash tests: started with posix_spawn, signalled and
// reaped by pid. The destructor kills a child still running.

#include <sys/types.h>

#include <string>
#include <vector>

namespace agora::testing {

class ChildProcess final {
 public:
  // Starts `path` with `args` (argv[1..]); stdout/stderr go to `log_file`.
  ChildProcess(const std::string& path, const std::vector<std::string>& args,
               const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Waits for the exit; returns the raw wait status.
  int Wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace agora::testing
