#pragma once

// Configuration of a process from AGORA_* environment variables and flags of
// the same names. A flag wins over the environment. Both spellings of a flag
// are accepted: --AGORA_PG_HOST=db and --pg-host=db.
//
//   runtime::config::Reader r(argc, argv);
//   r.String("AGORA_PG_HOST", "127.0.0.1", &cfg.pg_host, "PostgreSQL host");
//   r.Int("AGORA_GRPC_PORT", 50061, 0, 65535, &cfg.grpc_port, "gRPC port");
//   if (absl::Status s = r.Finish(); !s.ok()) { ...print s, exit 2... }
//
// Finish() reports every bad value and every unknown flag at once, naming the
// variable and what it expects. --help makes Finish() return a Status of code
// kCancelled whose message is the usage text.
//
// Not thread-safe; used once, in main.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace agora::runtime::config {

class Reader final {
 public:
  // Reads the process environment (environ) and argv.
  Reader(int argc, const char* const* argv);
  // For tests: explicit environment, no process environment.
  Reader(const std::map<std::string, std::string>& env, const std::vector<std::string>& args);

  void String(const std::string& name, const std::string& fallback, std::string* out,
              const std::string& help);
  // A non-empty string is required (the fallback may be empty, meaning "no default").
  void RequiredString(const std::string& name, const std::string& fallback, std::string* out,
                      const std::string& help);
  void Int(const std::string& name, int64_t fallback, int64_t min, int64_t max, int64_t* out,
           const std::string& help);
  void Int(const std::string& name, int fallback, int min, int max, int* out,
           const std::string& help);
  // One of `choices`.
  void Choice(const std::string& name, const std::string& fallback,
              const std::vector<std::string>& choices, std::string* out, const std::string& help);
  void Bool(const std::string& name, bool fallback, bool* out, const std::string& help);
  // Durations are written as absl::ParseDuration reads them: "250ms", "5s", "1m".
  void Duration(const std::string& name, absl::Duration fallback, absl::Duration min,
                absl::Duration max, absl::Duration* out, const std::string& help);

  // Records a problem found by the caller's own check of a value read above
  // (reported by Finish with the others).
  void AddError(const std::string& message) { errors_.push_back(message); }

  // OK, or INVALID_ARGUMENT listing every problem; CANCELLED with the usage
  // text when --help was given.
  absl::Status Finish();

 private:
  // The raw value of `name` (flag first, then environment), and records that
  // the name is known.
  const std::string* Lookup(const std::string& name, const std::string& fallback_text,
                            const std::string& help);

  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> flags_;  // keyed by AGORA_* name
  std::map<std::string, bool> used_flags_;
  std::vector<std::string> errors_;
  std::vector<std::string> usage_;
  bool help_ = false;
};

// "pg-host" -> "AGORA_PG_HOST"; "AGORA_PG_HOST" stays as it is.
std::string FlagToVariable(const std::string& flag);

}  // namespace agora::runtime::config
