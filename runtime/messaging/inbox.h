#pragma once

// The inbox: ids of the messages a service has handled, recorded in the
// handler's own transaction. A duplicate delivery finds its id and changes
// nothing. Concurrent deliveries of one id serialize on the primary key: the
// second waits for the first to commit, then sees a duplicate.

#include <map>
#include <optional>
#include <string>
#include <vector>

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

// RecordInInbox for a batch in one statement: the ids recorded now (each
// once, duplicates within `message_ids` included); those already there are
// left out.
std::vector<std::string> RecordAllInInbox(pg::Tx& tx, const std::vector<std::string>& message_ids);

// Keeps the reply sent for `message_id` (already recorded in this
// transaction), so that a duplicate can re-send it.
void StoreInboxReply(pg::Tx& tx, const std::string& message_id, const StoredReply& reply);

// The reply stored for a handled message, if any.
std::optional<StoredReply> LoadInboxReply(pg::Tx& tx, const std::string& message_id);

// The inbox rows among `message_ids` (one query for a batch): id -> its
// stored reply (nullopt for a row without one).
std::map<std::string, std::optional<StoredReply>> LoadInboxRows(pg::Tx& tx,
                                                                 const std::vector<std::string>& message_ids);

// In one statement: appends `reply` to the outbox and records `message_id`
// in the inbox with that reply. False, with nothing recorded, when another
// transaction recorded `message_id` meanwhile (it waited for that one to
// commit): the caller must roll back, its effect was a duplicate.
bool RecordWithReply(pg::Tx& tx, const std::string& message_id, const StoredReply& reply,
                     const std::string& reply_message_id);

// A reply to append to the outbox; with `command_id`, also recorded in the
// inbox as that command's reply (empty: a stored reply sent again).
struct PendingReply {
  std::string command_id;
  StoredReply reply;
  std::string reply_message_id;
};

// RecordWithReply for a batch in one statement: every reply appended to
// the outbox in order, the commands named recorded with their replies.
// Answers how many were recorded: fewer than named means another
// transaction recorded one meanwhile, and the caller must roll back.
size_t RecordAllWithReplies(pg::Tx& tx, const std::vector<PendingReply>& replies);

}  // namespace agora::runtime::messaging
