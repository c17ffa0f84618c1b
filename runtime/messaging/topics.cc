#include "runtime/messaging/topics.h"

#include "absl/strings/str_cat.h"

namespace agora::runtime::messaging {

absl::Status ValidateTopicPrefix(const std::string& prefix) {
  if (prefix.size() > 200) return absl::InvalidArgumentError("the topic prefix is longer than 200");
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("the topic prefix may hold only letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

void ReadTopics(config::Reader& r, Topics* out) {
  r.String("AGORA_KAFKA_TOPIC_PREFIX", "", &out->prefix,
           "put in front of every topic name (letters, digits, . _ -), e.g. 'staging.'");
  if (absl::Status s = ValidateTopicPrefix(out->prefix); !s.ok()) {
    r.AddError(absl::StrCat("AGORA_KAFKA_TOPIC_PREFIX='", out->prefix, "': ", s.message()));
  }
}

}  // namespace agora::runtime::messaging
