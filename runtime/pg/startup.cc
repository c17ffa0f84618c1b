#include "runtime/pg/startup.h"

#include "absl/time/clock.h"
#include "runtime/log/log.h"

namespace agora::runtime::pg {

absl::Status MigrateAtStart(const ConnectionOptions& options, const std::vector<MigrationSet>& sets,
                            absl::Duration patience) {
  const absl::Time give_up = absl::Now() + patience;
  absl::Duration backoff = absl::Milliseconds(200);
  for (;;) {
    absl::Status s = ApplyMigrations(options, sets);
    if (s.code() != absl::StatusCode::kUnavailable || absl::Now() + backoff > give_up) return s;
    log::Warn("database_not_ready", {{"retry_ms", absl::ToInt64Milliseconds(backoff)}});
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace agora::runtime::pg
