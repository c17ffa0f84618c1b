#pragma once

// Idempotency keys for POST methods. API.md: "`Idempotency-Key` ... makes a
// POST safe to retry. Keys are scoped to the calling customer. A repeat does
// not repeat the effect and gets the first request's answer." A method that
// takes a key does, inside the one transaction of its effect:
//
//   RequestKey k = MakeRequestKey(caller.customer_id, kMethod, req->idempotency_key(), *req);
//   ASSIGN_OR_RETURN(std::optional<pb::Product> first, ClaimAnswer<pb::Product>(tx, k));
//   if (first) return FromProto(*first);       // a repeat: the first answer
//   ... the effect ...
//   RecordAnswer(tx, k, answer_proto);
//
// - The claim is an INSERT ... ON CONFLICT DO NOTHING on (actor, method, key):
//   a repeat that arrives while the first is still running waits for it on
//   the key's row and then reads its answer.
// - The same key with another request (other fields; the key itself is not
//   part of the comparison) is ALREADY_EXISTS, reason IDEMPOTENCY_KEY_REUSED.
// - If the transaction fails, the claim goes with it: a retry runs afresh.
// The table is request_keys in the service's schema, from the migration set
// RequestKeyMigrations() (component "request_keys").

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/idempotency/key.h"
#include "runtime/pg/migrations.h"

namespace google::protobuf {
class Message;
class MessageLite;
}  // namespace google::protobuf
namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace agora::runtime::idempotency {

struct RequestKey {
  std::string actor;   // the caller's customer id
  std::string method;  // the method's full name
  std::string key;     // the client's key; empty: no key, nothing is recorded
  std::string request_hash;  // SHA-256 of the request without its key
};

// The key of `request` (its field `idempotency_key` is left out of the hash);
// ValidateKey's error for a bad key.
absl::StatusOr<RequestKey> MakeRequestKey(std::string actor, std::string method, std::string key,
                                          const google::protobuf::Message& request);

// nullopt: the first use (run the effect, then RecordAnswer); else the first
// call's answer. No-op (nullopt) for an empty key.
absl::StatusOr<std::optional<std::string>> ClaimRequestKey(pqxx::transaction_base& tx, const RequestKey& key);

// Stores the answer of a first use. No-op for an empty key.
void RecordAnswer(pqxx::transaction_base& tx, const RequestKey& key, const std::string& answer);
void RecordAnswer(pqxx::transaction_base& tx, const RequestKey& key, const google::protobuf::MessageLite& answer);

// ClaimRequestKey for answers stored as a message of type M.
template <typename M>
absl::StatusOr<std::optional<M>> ClaimAnswer(pqxx::transaction_base& tx, const RequestKey& key) {
  absl::StatusOr<std::optional<std::string>> first = ClaimRequestKey(tx, key);
  if (!first.ok()) return first.status();
  if (!first->has_value()) return std::optional<M>();
  M answer;
  if (!answer.ParseFromString(**first)) return absl::InternalError("stored answer unreadable");
  return std::optional<M>(std::move(answer));
}

const std::vector<pg::Migration>& RequestKeyMigrations();

}  // namespace agora::runtime::idempotency
