#include <pqxx/pqxx>

#include "runtime/messaging/inbox.h"
#include "runtime/messaging/outbox.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {
namespace {

constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (topic, message_key, message_id, payload) VALUES ($1, $2, $3, $4)";
// The rows in the order given: outbox ids follow it, and with them the
// order the relay publishes a key's messages in.
constexpr char kInsertOutboxAll[] =
    "INSERT INTO outbox (topic, message_key, message_id, payload) "
    "SELECT t.topic, t.key, t.id, decode(t.payload, 'hex') "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(topic, key, id, payload, n) "
    "ORDER BY t.n";
constexpr char kRecordAllWithReplies[] =
    "WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "WITH ORDINALITY AS t(topic, key, id, payload, command_id, n)), "
    "o AS (INSERT INTO outbox (topic, message_key, message_id, payload) "
    "SELECT topic, key, id, decode(payload, 'hex') FROM t ORDER BY n) "
    "INSERT INTO inbox (message_id, reply_topic, reply_key, reply) "
    "SELECT command_id, topic, key, decode(payload, 'hex') FROM t WHERE command_id <> '' "
    "ON CONFLICT (message_id) DO NOTHING RETURNING 1";
constexpr char kInsertInbox[] =
    "INSERT INTO inbox (message_id) VALUES ($1) ON CONFLICT (message_id) DO NOTHING";
constexpr char kInsertInboxAll[] =
    "INSERT INTO inbox (message_id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (message_id) DO NOTHING "
    "RETURNING message_id";
constexpr char kStoreReply[] =
    "UPDATE inbox SET reply_topic = $2, reply_key = $3, reply = $4 WHERE message_id = $1";
constexpr char kLoadReply[] =
    "SELECT reply_topic, COALESCE(reply_key, ''), reply FROM inbox "
    "WHERE message_id = $1 AND reply IS NOT NULL";

// A join on the ids (not "= ANY($1)"): the generic plan of a prepared
// "= ANY" may scan the whole inbox, comparing every row with every id.
constexpr char kLoadRows[] =
    "SELECT i.message_id, i.reply IS NOT NULL, COALESCE(i.reply_topic, ''), COALESCE(i.reply_key, ''), "
    "i.reply FROM unnest($1::text[]) AS t(id) JOIN inbox i ON i.message_id = t.id";
// The outbox row and the inbox row at once; the inbox insert answers no row
// when the id was recorded by another transaction.
constexpr char kRecordWithReply[] =
    "WITH reply AS (INSERT INTO outbox (topic, message_key, message_id, payload) "
    "VALUES ($2, $3, $5, $4)) "
    "INSERT INTO inbox (message_id, reply_topic, reply_key, reply) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (message_id) DO NOTHING RETURNING 1";

}  // namespace

std::map<std::string, std::optional<StoredReply>> LoadInboxRows(pg::Tx& tx,
                                                                 const std::vector<std::string>& message_ids) {
  std::map<std::string, std::optional<StoredReply>> out;
  if (message_ids.empty()) return out;
  for (const auto& row : pg::Exec(tx, kLoadRows, pg::TextArray(message_ids))) {
    std::optional<StoredReply> reply;
    if (row[1].as<bool>()) {
      pqxx::binarystring payload(row[4]);
      reply = StoredReply{row[2].as<std::string>(), row[3].as<std::string>(), payload.str()};
    }
    out.emplace(row[0].as<std::string>(), std::move(reply));
  }
  return out;
}

bool RecordWithReply(pg::Tx& tx, const std::string& message_id, const StoredReply& reply,
                     const std::string& reply_message_id) {
  pg::NoteOutboxAppend(tx);
  return !pg::Exec(tx, kRecordWithReply, message_id, reply.topic, reply.key,
                   pqxx::binarystring(reply.payload.data(), reply.payload.size()), reply_message_id)
              .empty();
}

size_t RecordAllWithReplies(pg::Tx& tx, const std::vector<PendingReply>& replies) {
  if (replies.empty()) return 0;
  if (replies.size() == 1) {
    const PendingReply& r = replies[0];
    if (!r.command_id.empty()) return RecordWithReply(tx, r.command_id, r.reply, r.reply_message_id) ? 1 : 0;
  }
  std::vector<std::string> topics, keys, ids, payloads, commands;
  for (const PendingReply& r : replies) {
    topics.push_back(r.reply.topic);
    keys.push_back(r.reply.key);
    ids.push_back(r.reply_message_id);
    payloads.push_back(r.reply.payload);
    commands.push_back(r.command_id);
  }
  pg::NoteOutboxAppend(tx);
  return pg::Exec(tx, kRecordAllWithReplies, pg::TextArray(topics), pg::TextArray(keys), pg::TextArray(ids),
                  pg::HexArray(payloads), pg::TextArray(commands))
      .size();
}

void AppendAllToOutbox(pg::Tx& tx, const std::vector<OutboxMessage>& messages) {
  if (messages.empty()) return;
  if (messages.size() == 1) return AppendToOutbox(tx, messages[0]);
  std::vector<std::string> topics, keys, ids, payloads;
  for (const OutboxMessage& m : messages) {
    topics.push_back(m.topic);
    keys.push_back(m.key);
    ids.push_back(m.envelope.message_id());
    payloads.push_back(m.envelope.SerializeAsString());
  }
  pg::NoteOutboxAppend(tx);
  pg::Exec(tx, kInsertOutboxAll, pg::TextArray(topics), pg::TextArray(keys), pg::TextArray(ids),
           pg::HexArray(payloads));
}

void AppendToOutbox(pg::Tx& tx, const OutboxMessage& message) {
  const std::string bytes = message.envelope.SerializeAsString();
  pg::NoteOutboxAppend(tx);
  pg::Exec(tx, kInsertOutbox, message.topic, message.key, message.envelope.message_id(),
                 pqxx::binarystring(bytes.data(), bytes.size()));
}

bool RecordInInbox(pg::Tx& tx, const std::string& message_id) {
  return pg::Exec(tx, kInsertInbox, message_id).affected_rows() == 1;
}

std::vector<std::string> RecordAllInInbox(pg::Tx& tx, const std::vector<std::string>& message_ids) {
  std::vector<std::string> recorded;
  if (message_ids.empty()) return recorded;
  for (const auto& row : pg::Exec(tx, kInsertInboxAll, pg::TextArray(message_ids))) recorded.push_back(row[0].as<std::string>());
  return recorded;
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
