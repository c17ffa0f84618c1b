#pragma once

// The sagas in PostgreSQL: the only SQL of the coordinator. Every method
// works inside the caller's transaction (the coordinator's batch) and throws
// libpqxx exceptions; a stored record that does not read back is
// DATA_LOSS (thrown as std::runtime_error: the batch fails and is retried,
// and the row needs an operator), except in LockDue, which sets it aside.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"
#include "saga/state_machine.h"

namespace agora::saga {

class PgStore final {
 public:
  // Inserts a new saga; false when its order already has one of its type.
  bool Insert(runtime::pg::Tx& tx, const Saga& saga);
  // Insert for several new sagas in one statement (in order id order);
  // answers how many were inserted: fewer when an order already had one of
  // its type (the caller then redoes its batch one saga at a time).
  size_t InsertAll(runtime::pg::Tx& tx, const std::vector<const Saga*>& sagas);
  // The saga, its row locked until the transaction ends.
  std::optional<Saga> Lock(runtime::pg::Tx& tx, const std::string& saga_id);
  void Save(runtime::pg::Tx& tx, const Saga& saga);
  // Save for several sagas (already in the table) in one statement.
  void SaveAll(runtime::pg::Tx& tx, const std::vector<const Saga*>& sagas);
  // Takes, until the transaction ends, the lock of each order named (UUIDs,
  // any spelling): a batch that may start an order's saga or record a cancel
  // for it takes it before LockAll, so that it sees a saga another
  // coordinator was starting meanwhile.
  void LockOrders(runtime::pg::Tx& tx, const std::vector<std::string>& order_ids);
  // Locks, in id order, the sagas named and those of the orders named (all
  // UUIDs): what a batch will touch, taken up front so that batches running
  // at once never deadlock. Answers them (unknown ids are left out).
  std::vector<Saga> LockAll(runtime::pg::Tx& tx, const std::vector<std::string>& saga_ids,
                            const std::vector<std::string>& order_ids);
  // Up to `limit` sagas whose deadline passed, locked (those locked by
  // someone else are skipped: several coordinators share the scan). The ids
  // of those whose record does not read (another version wrote it) go to
  // `unreadable`, locked too, instead of failing the whole scan.
  std::vector<Saga> LockDue(runtime::pg::Tx& tx, int limit, std::vector<std::string>* unreadable);
  // Moves the sagas' deadlines to `by` from now.
  void Postpone(runtime::pg::Tx& tx, const std::vector<std::string>& saga_ids, absl::Duration by);
  // A cancel that came before its order's saga; TakeEarlyCancel answers
  // whether one was recorded, and forgets it.
  void RecordEarlyCancel(runtime::pg::Tx& tx, const std::string& order_id);
  bool TakeEarlyCancel(runtime::pg::Tx& tx, const std::string& order_id);
  // TakeEarlyCancel for several orders (UUIDs) at once: the orders that had
  // one, spelled as given.
  std::vector<std::string> TakeEarlyCancels(runtime::pg::Tx& tx, const std::vector<std::string>& order_ids);

  // ---- reads (no lock)
  struct Running {
    SagaType type;
    int64_t count = 0;
    double oldest_age_seconds = 0;
  };
  // Sagas running or compensating, per type.
  std::vector<Running> CountRunning(runtime::pg::Tx& tx);
  std::optional<Saga> Find(runtime::pg::Tx& tx, const std::string& saga_id);
  // The order's latest saga: its cancel saga once one started, else its own.
  std::optional<Saga> FindForOrder(runtime::pg::Tx& tx, const std::string& order_id);
  // Newest first (started_at, id), after `after` when set; `status` and
  // `older_than` (started at least that long ago: a saga still running then
  // is stuck, however often its command was re-sent) filter when set.
  struct Cursor {
    absl::Time started_at;
    std::string id;
  };
  std::vector<Saga> List(runtime::pg::Tx& tx, std::optional<SagaStatus> status,
                         absl::Duration older_than, int limit, const std::optional<Cursor>& after);
};

const char* TypeName(SagaType t);      // "PLACE_ORDER"
const char* StatusName(SagaStatus s);  // "RUNNING"

// The migrations of the saga schema (saga/migrations/).
const std::vector<runtime::pg::Migration>& SagaMigrations();

}  // namespace agora::saga
