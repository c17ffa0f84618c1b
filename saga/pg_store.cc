#include "saga/pg_store.h"

#include <pqxx/pqxx>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"
#include "saga/record.h"

namespace agora::saga {
namespace {

using runtime::pg::Exec;
using runtime::pg::Tx;

constexpr char kInsert[] =
    "INSERT INTO sagas (id, order_id, type, status, current_step, deadline, record, started_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, "
    "CASE WHEN $6::bigint IS NULL THEN NULL ELSE 'epoch'::timestamptz + $6 * interval '1 microsecond' END, "
    "$7, 'epoch'::timestamptz + $8 * interval '1 microsecond', "
    "'epoch'::timestamptz + $9 * interval '1 microsecond') "
    "ON CONFLICT DO NOTHING";  // (order_id, type), and the id derived from them
constexpr char kInsertAll[] =
    "INSERT INTO sagas (id, order_id, type, status, current_step, deadline, record, started_at, updated_at) "
    "SELECT u.id, u.order_id, u.type, u.status, u.step, "
    "CASE WHEN u.deadline IS NULL THEN NULL ELSE 'epoch'::timestamptz + u.deadline * interval '1 microsecond' END, "
    "decode(u.record, 'hex'), 'epoch'::timestamptz + u.started * interval '1 microsecond', "
    "'epoch'::timestamptz + u.updated * interval '1 microsecond' "
    "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], "
    "$8::bigint[], $9::bigint[]) AS u(id, order_id, type, status, step, deadline, record, started, updated) "
    "ORDER BY u.order_id, u.type ON CONFLICT DO NOTHING";
constexpr char kSave[] =
    "UPDATE sagas SET status = $2, current_step = $3, "
    "deadline = CASE WHEN $4::bigint IS NULL THEN NULL ELSE 'epoch'::timestamptz + $4 * interval '1 microsecond' END, "
    "record = $5, updated_at = 'epoch'::timestamptz + $6 * interval '1 microsecond' WHERE id = $1";
constexpr char kLock[] = "SELECT record FROM sagas WHERE id = $1 FOR UPDATE";
constexpr char kSaveAll[] =
    "UPDATE sagas s SET status = u.status, current_step = u.step, "
    "deadline = CASE WHEN u.deadline IS NULL THEN NULL "
    "ELSE 'epoch'::timestamptz + u.deadline * interval '1 microsecond' END, "
    "record = decode(u.record, 'hex'), updated_at = 'epoch'::timestamptz + u.updated * interval '1 microsecond' "
    "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[]) "
    "AS u(id, status, step, deadline, record, updated) WHERE s.id = u.id";
constexpr char kLockAll[] =
    "SELECT record FROM sagas WHERE id = ANY($1::uuid[]) OR order_id = ANY($2::uuid[]) ORDER BY id FOR UPDATE";
// A transaction lock per order (the two-key form, its own key space), taken
// in key order so that two batches never deadlock: a saga being started and
// a cancel of its order are then handled one after the other, the second
// seeing what the first committed. A saga row cannot serve, as it does not
// exist until the first commits; two orders sharing a hash only wait longer.
constexpr char kLockOrders[] =
    "SELECT pg_advisory_xact_lock(hashtext('agora.saga.order'), k.h) "
    "FROM (SELECT DISTINCT hashtext(o::uuid::text) AS h FROM unnest($1::text[]) AS o ORDER BY 1) AS k";
constexpr char kLockDue[] =
    "SELECT id, record FROM sagas WHERE deadline <= now() ORDER BY deadline LIMIT $1 FOR UPDATE SKIP LOCKED";
constexpr char kPostpone[] =
    "UPDATE sagas SET deadline = now() + $2 * interval '1 microsecond' WHERE id = ANY($1::uuid[])";
constexpr char kRecordEarlyCancel[] =
    "INSERT INTO early_cancels (order_id) VALUES ($1) ON CONFLICT (order_id) DO NOTHING";
constexpr char kTakeEarlyCancel[] = "DELETE FROM early_cancels WHERE order_id = $1";
// Answers the ids as the caller spelled them (a UUID's text has more than one form).
constexpr char kTakeEarlyCancels[] =
    "DELETE FROM early_cancels e USING unnest($1::text[]) AS t(id) WHERE e.order_id = t.id::uuid "
    "RETURNING t.id";

constexpr char kFind[] = "SELECT record FROM sagas WHERE id = $1";
constexpr char kFindForOrder[] =
    "SELECT record FROM sagas WHERE order_id = $1 ORDER BY (type = 'CANCEL_ORDER') DESC LIMIT 1";
// NULL $1: any status; $2: seconds without an update (0: no filter);
// NULL $4: the first page.
constexpr char kList[] =
    "SELECT record FROM sagas WHERE ($1::text IS NULL OR status = $1) "
    "AND ($2 = 0 OR started_at <= now() - $2 * interval '1 second') "
    "AND ($4::bigint IS NULL OR (started_at, id) < ('epoch'::timestamptz + $4 * interval '1 microsecond', $5::uuid)) "
    "ORDER BY started_at DESC, id DESC LIMIT $3";

constexpr char kRunning[] =
    "SELECT type, count(*), COALESCE(extract(epoch FROM now() - min(started_at)), 0)::float8 FROM sagas "
    "WHERE status IN ('RUNNING', 'COMPENSATING') GROUP BY type";

Saga Read(const pqxx::field& f) {
  pqxx::binarystring bytes(f);
  agora::saga::v1::SagaRecord record;
  if (!record.ParseFromString(bytes.str())) throw std::runtime_error("saga record does not parse");
  absl::StatusOr<Saga> saga = FromRecord(record);
  if (!saga.ok()) throw std::runtime_error(std::string(saga.status().message()));
  return *std::move(saga);
}

std::optional<int64_t> DeadlineMicros(const Saga& s) {
  if (s.deadline == absl::InfiniteFuture()) return std::nullopt;
  return absl::ToUnixMicros(s.deadline);
}

std::string Array(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

}  // namespace

const char* TypeName(SagaType t) { return t == SagaType::kPlaceOrder ? "PLACE_ORDER" : "CANCEL_ORDER"; }

const char* StatusName(SagaStatus s) {
  switch (s) {
    case SagaStatus::kRunning: return "RUNNING";
    case SagaStatus::kCompensating: return "COMPENSATING";
    case SagaStatus::kCompleted: return "COMPLETED";
    case SagaStatus::kFailed: return "FAILED";
  }
  return "RUNNING";
}

bool PgStore::Insert(Tx& tx, const Saga& s) {
  const std::string bytes = ToRecord(s).SerializeAsString();
  return Exec(tx, kInsert, s.id, s.order.order_id, TypeName(s.type), StatusName(s.status), s.current_step(),
              DeadlineMicros(s), pqxx::binarystring(bytes.data(), bytes.size()),
              absl::ToUnixMicros(s.started_at), absl::ToUnixMicros(s.updated_at))
             .affected_rows() == 1;
}

size_t PgStore::InsertAll(Tx& tx, const std::vector<const Saga*>& sagas) {
  if (sagas.empty()) return 0;
  if (sagas.size() == 1) return Insert(tx, *sagas[0]) ? 1 : 0;
  std::vector<std::string> ids, order_ids, types, statuses, steps, records;
  std::vector<std::optional<int64_t>> deadlines, started, updated;
  for (const Saga* s : sagas) {
    ids.push_back(s->id);
    order_ids.push_back(s->order.order_id);
    types.push_back(TypeName(s->type));
    statuses.push_back(StatusName(s->status));
    steps.push_back(s->current_step());
    deadlines.push_back(DeadlineMicros(*s));
    records.push_back(ToRecord(*s).SerializeAsString());
    started.push_back(absl::ToUnixMicros(s->started_at));
    updated.push_back(absl::ToUnixMicros(s->updated_at));
  }
  using runtime::pg::Int64Array;
  using runtime::pg::TextArray;
  return static_cast<size_t>(Exec(tx, kInsertAll, TextArray(ids), TextArray(order_ids), TextArray(types),
                                  TextArray(statuses), TextArray(steps), Int64Array(deadlines),
                                  runtime::pg::HexArray(records), Int64Array(started), Int64Array(updated))
                                 .affected_rows());
}

std::optional<Saga> PgStore::Lock(Tx& tx, const std::string& saga_id) {
  pqxx::result r = Exec(tx, kLock, saga_id);
  if (r.empty()) return std::nullopt;
  return Read(r[0][0]);
}

void PgStore::Save(Tx& tx, const Saga& s) {
  const std::string bytes = ToRecord(s).SerializeAsString();
  Exec(tx, kSave, s.id, StatusName(s.status), s.current_step(), DeadlineMicros(s),
       pqxx::binarystring(bytes.data(), bytes.size()), absl::ToUnixMicros(s.updated_at));
}

void PgStore::SaveAll(Tx& tx, const std::vector<const Saga*>& sagas) {
  if (sagas.empty()) return;
  if (sagas.size() == 1) return Save(tx, *sagas[0]);
  std::vector<std::string> ids, statuses, steps, records;
  std::vector<std::optional<int64_t>> deadlines, updated;
  for (const Saga* s : sagas) {
    ids.push_back(s->id);
    statuses.push_back(StatusName(s->status));
    steps.push_back(s->current_step());
    deadlines.push_back(DeadlineMicros(*s));
    records.push_back(ToRecord(*s).SerializeAsString());
    updated.push_back(absl::ToUnixMicros(s->updated_at));
  }
  Exec(tx, kSaveAll, runtime::pg::TextArray(ids), runtime::pg::TextArray(statuses), runtime::pg::TextArray(steps),
       runtime::pg::Int64Array(deadlines), runtime::pg::HexArray(records), runtime::pg::Int64Array(updated));
}

std::vector<Saga> PgStore::LockAll(Tx& tx, const std::vector<std::string>& saga_ids,
                                   const std::vector<std::string>& order_ids) {
  std::vector<Saga> out;
  if (saga_ids.empty() && order_ids.empty()) return out;
  for (const auto& row : Exec(tx, kLockAll, Array(saga_ids), Array(order_ids))) out.push_back(Read(row[0]));
  return out;
}

void PgStore::LockOrders(Tx& tx, const std::vector<std::string>& order_ids) {
  if (order_ids.empty()) return;
  Exec(tx, kLockOrders, runtime::pg::TextArray(order_ids));
}

std::vector<Saga> PgStore::LockDue(Tx& tx, int limit, std::vector<std::string>* unreadable) {
  std::vector<Saga> out;
  for (const auto& row : Exec(tx, kLockDue, limit)) {
    try {
      out.push_back(Read(row[1]));
    } catch (const std::runtime_error&) {
      unreadable->push_back(row[0].as<std::string>());
    }
  }
  return out;
}

void PgStore::Postpone(Tx& tx, const std::vector<std::string>& saga_ids, absl::Duration by) {
  if (saga_ids.empty()) return;
  Exec(tx, kPostpone, runtime::pg::TextArray(saga_ids), absl::ToInt64Microseconds(by));
}

void PgStore::RecordEarlyCancel(Tx& tx, const std::string& order_id) { Exec(tx, kRecordEarlyCancel, order_id); }

bool PgStore::TakeEarlyCancel(Tx& tx, const std::string& order_id) {
  return Exec(tx, kTakeEarlyCancel, order_id).affected_rows() == 1;
}

std::vector<std::string> PgStore::TakeEarlyCancels(Tx& tx, const std::vector<std::string>& order_ids) {
  std::vector<std::string> out;
  if (order_ids.empty()) return out;
  for (const auto& row : Exec(tx, kTakeEarlyCancels, runtime::pg::TextArray(order_ids))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

std::vector<PgStore::Running> PgStore::CountRunning(Tx& tx) {
  std::vector<Running> out;
  for (const auto& row : Exec(tx, kRunning)) {
    out.push_back({row[0].as<std::string>() == "PLACE_ORDER" ? SagaType::kPlaceOrder : SagaType::kCancelOrder,
                   row[1].as<int64_t>(), row[2].as<double>()});
  }
  return out;
}

std::optional<Saga> PgStore::Find(Tx& tx, const std::string& saga_id) {
  pqxx::result r = Exec(tx, kFind, saga_id);
  if (r.empty()) return std::nullopt;
  return Read(r[0][0]);
}

std::optional<Saga> PgStore::FindForOrder(Tx& tx, const std::string& order_id) {
  pqxx::result r = Exec(tx, kFindForOrder, order_id);
  if (r.empty()) return std::nullopt;
  return Read(r[0][0]);
}

std::vector<Saga> PgStore::List(Tx& tx, std::optional<SagaStatus> status, absl::Duration older_than,
                                int limit, const std::optional<Cursor>& after) {
  std::optional<std::string> status_name;
  if (status.has_value()) status_name = StatusName(*status);
  std::optional<int64_t> after_us;
  std::optional<std::string> after_id;
  if (after.has_value()) {
    after_us = absl::ToUnixMicros(after->started_at);
    after_id = after->id;
  }
  std::vector<Saga> out;
  for (const auto& row : Exec(tx, kList, status_name, absl::ToInt64Seconds(older_than), limit, after_us, after_id)) {
    out.push_back(Read(row[0]));
  }
  return out;
}

}  // namespace agora::saga
