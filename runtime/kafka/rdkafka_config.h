#pragma once

// librdkafka configuration from KafkaOptions (internal to runtime/kafka).

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/kafka/options.h"

namespace agora::runtime::kafka {

std::map<std::string, std::string> CommonProperties(const KafkaOptions& options);
// INVALID_ARGUMENT naming the property librdkafka refused.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> BuildConf(
    const std::map<std::string, std::string>& properties);

}  // namespace agora::runtime::kafka
