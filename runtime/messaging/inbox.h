#pragma once

// The inbox: ids of the messages a service has handled, recorded in the
// handler's own transaction. A duplicate delivery finds its id and changes
// nothing. Concurrent deliveries of one id serialize on the primary key: the
// second waits for the first to commit, then sees a duplicate.

#include <optional>
#include <string>

#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

struct StoredReply {
  std::string topic;
  std::string key;      // the order id the reply is published under
  std::string payload;  // the serialized envelope, its message id included
};

// Records `message_id` in the transaction. Returns true the first time,
// false for a duplicate. Throws libpqxx exceptions.
bool RecordInInbox(pg::Tx& tx, const std::string& message_id);

// Keeps the reply sent for `message_id` (already recorded in this
// transaction), so that a duplicate can re-send it.
void StoreInboxReply(pg::Tx& tx, const std::string& message_id, const StoredReply& reply);

// The reply stored for a handled message, if any.
std::optional<StoredReply> LoadInboxReply(pg::Tx& tx, const std::string& message_id);

}  // namespace agora::runtime::messaging
