#pragma once

// A fixed-size pool of libpqxx connections and the transaction runner every
// store uses.
//
//   absl::StatusOr<Product> p = pool.Transact<Product>([&](pqxx::work& tx)
//       -> absl::StatusOr<Product> { ... tx.exec_params(kSql, id) ... });
//
// Thread-safe. Connections are opened lazily and replaced when they break, so
// a pool survives a PostgreSQL restart: calls fail UNAVAILABLE while the
// server is down and succeed again once it is back.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include <pqxx/connection>
#include <pqxx/transaction_base>

namespace agora::runtime::pg {

using Tx = pqxx::transaction_base;

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string dbname = "agora";
  std::string user;
  std::string password;
  // search_path of every session; the service's own schema.
  std::string schema;
  std::string application_name = "agora";
  int connect_timeout_seconds = 5;
  // 0: no limit.
  int statement_timeout_ms = 0;

  // A libpq connection string with every value quoted; `extra_options`
  // (such as "-c name=value") are added to the server options.
  std::string ToConnectionString(absl::string_view extra_options = {}) const;
};

// Outbox wakeups. A transaction that appends to a service's outbox calls
// NoteOutboxAppend(tx) (runtime/messaging/outbox.h does); once it committed,
// the pool wakes the relay (runtime/messaging/relay.h): in process through
// the waker the relay installed (SetOutboxWaker), or, when there is none or
// it answers false (its relay does not lead), with `NOTIFY <schema>_outbox`
// sent after the commit, outside the transaction.
//
// Why not NOTIFY inside the transaction (the outbox trigger does that for
// connections outside a pool): PostgreSQL serializes the commits of every
// transaction that notifies, cluster-wide, under one lock held through the
// commit's WAL flush, so they lose group commit. Measured with pgbench (8
// clients, an insert per transaction): 9,600-10,900 commits/s without
// NOTIFY, 3,900-4,600 with NOTIFY inside, 6,800-7,800 with it sent after the
// commit. A pool's connections therefore set agora.outbox_notify = off,
// which the trigger honours.
//
// Marks the pool transaction running `tx` on this thread as having appended
// to the outbox. Outside a pool's transaction it does nothing.
void NoteOutboxAppend(Tx& tx);

// Runs `fn` on the committing thread once the pool transaction running `tx`
// has committed, before Transact (or WriteOne) returns; never when it rolls
// back or is run again (the new run registers its own). For effects outside
// the database that must follow a commit, such as dropping cached rows it
// changed. `fn` must not throw. Outside a pool's transaction it does nothing.
void AfterCommit(Tx& tx, std::function<void()> fn);

// Sends NOTIFY `channel`, `payload` once the pool transaction running `tx`
// has committed (after the commit, not inside it: see above), with the
// others of that transaction in one statement. Outside a pool's transaction
// it does nothing.
void NotifyAfterCommit(Tx& tx, std::string channel, std::string payload);

struct CurrentRun;

class Pool final {
 public:
  Pool(ConnectionOptions options, int size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs `fn` in a READ COMMITTED transaction and commits if it returns OK
  // (rolls back otherwise). libpqxx exceptions thrown inside `fn` become a
  // Status (pg/errors.h). A serialization failure or deadlock re-runs `fn`
  // (up to 8 times, with jittered backoff); a connection that broke before
  // the commit is replaced and `fn` re-run once. `fn` may therefore run
  // more than once and must have no side effects outside the transaction.
  absl::Status Transact(absl::FunctionRef<absl::Status(Tx&)> fn);

  template <typename T>
  absl::StatusOr<T> Transact(absl::FunctionRef<absl::StatusOr<T>(Tx&)> fn) {
    return RunFor<T>(fn, Mode::kTransaction);
  }

  // For a read of ONE statement: runs `fn` without BEGIN/COMMIT (autocommit),
  // saving two round trips. Several statements would each see their own
  // snapshot: use Transact for those. Retries like Transact.
  absl::Status Read(absl::FunctionRef<absl::Status(Tx&)> fn);

  template <typename T>
  absl::StatusOr<T> Read(absl::FunctionRef<absl::StatusOr<T>(Tx&)> fn) {
    return RunFor<T>(fn, Mode::kReadOne);
  }

  // For a write of ONE statement (data-modifying CTEs included): runs `fn`
  // in autocommit, where the statement is its own transaction, saving the
  // BEGIN and COMMIT round trips. A serialization failure or deadlock re-runs
  // `fn` (the statement was rolled back); a connection that broke once the
  // statement was sent does not (it may have committed): that is an error.
  absl::Status WriteOne(absl::FunctionRef<absl::Status(Tx&)> fn);

  template <typename T>
  absl::StatusOr<T> WriteOne(absl::FunctionRef<absl::StatusOr<T>(Tx&)> fn) {
    return RunFor<T>(fn, Mode::kWriteOne);
  }

  const ConnectionOptions& options() const { return options_; }
  int size() const { return size_; }

  // Adds an in-process wakeup of an outbox relay, called after each commit
  // that appended to the outbox until it is removed; it answers whether it
  // woke a leading relay (the first that does ends the round). It must be
  // cheap and must not block: it runs on the committing thread. Returns the
  // id to remove it with. Thread-safe; once RemoveOutboxWaker returned, the
  // waker is no longer running.
  int AddOutboxWaker(std::function<bool()> waker);
  void RemoveOutboxWaker(int id);

 private:
  // A connection, opened if needed; UNAVAILABLE after `acquire_timeout`.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  enum class Mode { kTransaction, kReadOne, kWriteOne };
  absl::Status Run(absl::FunctionRef<absl::Status(Tx&)> fn, Mode mode);
  absl::Status RunOnce(absl::FunctionRef<absl::Status(Tx&)> fn, Mode mode, bool* connection_broke);
  // After a commit: wakes the relay (if the transaction appended to the
  // outbox), sends the notifications, runs the AfterCommit functions.
  void Committed(pqxx::connection& conn, CurrentRun& run);
  // Run for a function that answers a value.
  template <typename T>
  absl::StatusOr<T> RunFor(absl::FunctionRef<absl::StatusOr<T>(Tx&)> fn, Mode mode) {
    absl::StatusOr<T> result = absl::UnknownError("the statements did not run");
    absl::Status s = Run(
        [&](Tx& tx) -> absl::Status {
          result = fn(tx);
          return result.status();
        },
        mode);
    if (!s.ok()) return s;
    return result;
  }

  const ConnectionOptions options_;
  const std::string connection_string_;
  const int size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased
  absl::Mutex waker_mu_;
  std::vector<std::pair<int, std::function<bool()>>> wakers_ ABSL_GUARDED_BY(waker_mu_);
  int next_waker_id_ ABSL_GUARDED_BY(waker_mu_) = 0;
};

// Opens one connection outside any pool (LISTEN, migrations, tests).
absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect(const ConnectionOptions& options);

}  // namespace agora::runtime::pg
