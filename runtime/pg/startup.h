#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/pg/migrations.h"

namespace agora::runtime::pg {

// ApplyMigrations, retried while the database is UNAVAILABLE (a pod that
// starts before its database) for at most `patience`.
absl::Status MigrateAtStart(const ConnectionOptions& options, const std::vector<MigrationSet>& sets,
                            absl::Duration patience);

}  // namespace agora::runtime::pg
