#pragma once

// Structured logs: one JSON object per line on stdout, e.g.
//   {"ts":"2026-11-24T23:05:09.123Z","level":"info","service":"inventory",
//    "event":"grpc_server_started","port":50061}
// Event names are lowercase_with_underscores. Never pass secrets.
//
// Thread-safe: a line is written with one write(2).

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace agora::runtime::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One key/value of a log line; numbers and booleans stay JSON numbers/booleans.
class Field final {
 public:
  Field(std::string_view key, std::string_view value);
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  // absl::Status::message() (Debian's Abseil has its own string_view).
  Field(std::string_view key, absl::string_view value)
      : Field(key, std::string_view(value.data(), value.size())) {}
  Field(std::string_view key, int64_t value);
  Field(std::string_view key, int value) : Field(key, static_cast<int64_t>(value)) {}
  Field(std::string_view key, uint64_t value);
  Field(std::string_view key, double value);
  Field(std::string_view key, bool value);

  std::string_view key() const { return key_; }
  // Already JSON-encoded value.
  const std::string& json() const { return json_; }

 private:
  std::string_view key_;
  std::string json_;
};

// Set once at start (before threads): the "service" of every line and the
// lowest level written (AGORA_LOG_LEVEL).
void Init(std::string_view service, Level min_level);
bool ParseLevel(std::string_view text, Level* out);

// Whether a line of `level` is written: lets a hot path skip building fields.
bool Enabled(Level level);

void Log(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kDebug, event, fields);
}
inline void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, event, fields);
}
inline void Warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarn, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, event, fields);
}

// Names the calling thread for top -H, perf, gdb and /proc (Linux keeps the
// first 15 bytes), so that a profile tells an executor thread from a relay.
void NameThisThread(std::string_view name);

// Appends `text` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace agora::runtime::log
