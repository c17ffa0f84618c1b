#include <pqxx/pqxx>

#include "runtime/messaging/inbox.h"
#include "runtime/messaging/outbox.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {
namespace {

constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (topic, message_key, message_id, payload) VALUES ($1, $2, $3, $4)";
constexpr char kInsertInbox[] =
    "INSERT INTO inbox (message_id) VALUES ($1) ON CONFLICT (message_id) DO NOTHING";
constexpr char kStoreReply[] =
    "UPDATE inbox SET reply_topic = $2, reply_key = $3, reply = $4 WHERE message_id = $1";
constexpr char kLoadReply[] =
    "SELECT reply_topic, COALESCE(reply_key, ''), reply FROM inbox "
    "WHERE message_id = $1 AND reply IS NOT NULL";

}  // namespace

void AppendToOutbox(pg::Tx& tx, const OutboxMessage& message) {
  const std::string bytes = message.envelope.SerializeAsString();
  pg::Exec(tx, kInsertOutbox, message.topic, message.key, message.envelope.message_id(),
                 pqxx::binarystring(bytes.data(), bytes.size()));
}

bool RecordInInbox(pg::Tx& tx, const std::string& message_id) {
  return pg::Exec(tx, kInsertInbox, message_id).affected_rows() == 1;
}

void StoreInboxReply(pg::Tx& tx, const std::string& message_id, const StoredReply& reply) {
  pg::Exec(tx, kStoreReply, message_id, reply.topic, reply.key,
           pqxx::binarystring(reply.payload.data(), reply.payload.size()));
}

std::optional<StoredReply> LoadInboxReply(pg::Tx& tx, const std::string& message_id) {
  pqxx::result r = pg::Exec(tx, kLoadReply, message_id);
  if (r.empty()) return std::nullopt;
  pqxx::binarystring payload(r[0][2]);
  return StoredReply{r[0][0].as<std::string>(), r[0][1].as<std::string>(), payload.str()};
}

}  // namespace agora::runtime::messaging
