#pragma once

// The outbox and inbox tables (runtime/messaging/migrations/), applied by
// every service that publishes or consumes, as component "messaging".

#include <vector>

#include "runtime/pg/migrations.h"

namespace agora::runtime::messaging {

const std::vector<pg::Migration>& MessagingMigrations();

}  // namespace agora::runtime::messaging
