#pragma once

// The AGORA_PG_* settings every service reads the same way.

#include <string>

#include "runtime/config/config.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::pg {

struct PgConfig {
  ConnectionOptions connection;
  int pool_size = 8;
};

// `service` gives the local-run defaults: user, password and schema are the
// service's name.
void ReadPgConfig(config::Reader& reader, const std::string& service, PgConfig* out);

}  // namespace agora::runtime::pg
