#pragma once

// Runs a parameterised statement as a prepared statement of the
// transaction's connection: parsed and planned once per connection, then
// executed with its parameters (never interpolated into the text).
//
//   constexpr char kGet[] = "SELECT ... WHERE id = $1";
//   pqxx::result r = pg::Exec(tx, kGet, id);
//
// The statement is named by a hash of its text, so the same constant always
// maps to the same prepared statement. Throws libpqxx exceptions (inside
// Pool::Transact they become a Status).

#include <string>
#include <string_view>
#include <utility>

#include <pqxx/transaction_base>

namespace agora::runtime::pg {

// "agora_<hex hash of sql>".
std::string StatementName(std::string_view sql);

template <typename... Args>
pqxx::result Exec(pqxx::transaction_base& tx, const char* sql, Args&&... args) {
  const std::string name = StatementName(sql);
  // A no-op when this connection already knows the statement (libpqxx
  // prepares it with the server on first execution).
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// For the rest of the transaction, prepared statements run their generic
// plan (planned once per connection, again only after an ANALYZE of their
// tables) instead of being planned again with each execution's parameters.
// For the messaging batches, whose statements take arrays of ids: with
// PostgreSQL's default (plan_cache_mode = auto) an array's actual length
// makes every custom plan look cheaper than the generic one, so each
// execution was planned again, and planning took as long as executing
// (pg_stat_statements with track_planning, ./agora bench saga). Their generic
// plans are index lookups. Not for statements whose best plan depends on
// their parameters ("$1 IS NULL OR column = $1" filters). One round trip.
void PreferGenericPlans(pqxx::transaction_base& tx);

}  // namespace agora::runtime::pg
