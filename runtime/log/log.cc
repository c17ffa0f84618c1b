#include "runtime/log/log.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace agora::runtime::log {
namespace {

std::string& ServiceName() {
  static auto* const name = new std::string("agora");
  return *name;
}
std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

Field::Field(std::string_view key, std::string_view value) : key_(key) {
  AppendJsonString(value, &json_);
}
Field::Field(std::string_view key, int64_t value) : key_(key), json_(absl::StrCat(value)) {}
Field::Field(std::string_view key, uint64_t value) : key_(key), json_(absl::StrCat(value)) {}
Field::Field(std::string_view key, double value) : key_(key), json_(absl::StrCat(value)) {}
Field::Field(std::string_view key, bool value) : key_(key), json_(value ? "true" : "false") {}

void Init(std::string_view service, Level level) {
  // Every process calls this first. Debian's Abseil is built with Mutex
  // deadlock detection on, which keeps a lock graph on every lock and unlock
  // (measured: ~3 % of the gateway's CPU); it is a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ServiceName() = std::string(service);
  min_level.store(static_cast<int>(level));
}

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

bool Enabled(Level level) { return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed); }

void Log(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  std::string line = "{\"ts\":\"";
  line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  absl::StrAppend(&line, "\",\"level\":\"", LevelName(level), "\",\"service\":");
  AppendJsonString(ServiceName(), &line);
  line += ",\"event\":";
  AppendJsonString(event, &line);
  for (const Field& f : fields) {
    line.push_back(',');
    AppendJsonString(f.key(), &line);
    line.push_back(':');
    line += f.json();
  }
  line += "}\n";
  // One write per line keeps lines whole when threads log at once.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void NameThisThread(std::string_view name) {
  char buf[16];
  const size_t n = std::min(name.size(), sizeof buf - 1);
  name.copy(buf, n);
  buf[n] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

}  // namespace agora::runtime::log
