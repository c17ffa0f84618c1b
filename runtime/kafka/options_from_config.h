#pragma once

// The AGORA_KAFKA_* settings every producer and consumer reads the same way.
// Defaults serve a local run against the dev broker (short fetch wait and
// consumer timeouts, DESIGN.md "Local run"); production raises them.

#include <string>

#include "runtime/config/config.h"
#include "runtime/kafka/options.h"

namespace agora::runtime::kafka {

void ReadKafkaOptions(config::Reader& reader, const std::string& client_id, KafkaOptions* out);

}  // namespace agora::runtime::kafka
