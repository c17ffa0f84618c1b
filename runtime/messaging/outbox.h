#pragma once

// The write side of the transactional outbox: a message becomes a row in the
// caller's transaction, so it is published if and only if that transaction
// commits (runtime/messaging/relay.h publishes it).

#include <string>
#include <vector>

#include "runtime/messaging/envelope.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

struct OutboxMessage {
  std::string topic;
  std::string key;  // the order id, so one saga's messages stay in order
  Envelope envelope;
};

// Inserts the message into the outbox of the transaction's schema. Throws
// libpqxx exceptions (inside pg::Pool::Transact they become a Status).
void AppendToOutbox(pg::Tx& tx, const OutboxMessage& message);

// Inserts the messages in one statement, in their order (a key's messages
// are published in the order they were appended).
void AppendAllToOutbox(pg::Tx& tx, const std::vector<OutboxMessage>& messages);

}  // namespace agora::runtime::messaging
