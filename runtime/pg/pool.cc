#include "runtime/pg/pool.h"

#include <exception>
#include <pqxx/pqxx>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "runtime/log/log.h"
#include "runtime/metrics/metrics.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/errors.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::pg {
namespace {

constexpr int kMaxConflictRetries = 8;
constexpr absl::Duration kAcquireTimeout = absl::Seconds(10);

// libpq connection-string value: single-quoted, with \ and ' escaped.
std::string Quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// The pools of the process, summed (a service has one).
struct PoolMetrics {
  prometheus::Gauge& size;
  prometheus::Gauge& in_use;
  prometheus::Counter& waits;
  prometheus::Histogram& wait_seconds;
  // [read][ok]
  prometheus::Histogram* transaction_seconds[2][2];
  prometheus::Counter& serialization_retries;
  prometheus::Counter& reconnect_retries;
};

PoolMetrics& Metrics() {
  static PoolMetrics* const m = [] {
    auto& r = metrics::Registry();
    auto& tx = prometheus::BuildHistogram()
                   .Name("agora_pg_transaction_seconds")
                   .Help("A pool's transactions and single-statement writes (kind write) and single-statement reads (kind read), "
                         "retries included, by outcome (ok, error).")
                   .Register(r);
    auto& retries = prometheus::BuildCounter()
                        .Name("agora_pg_retries_total")
                        .Help("Transactions run again: reason serialization (a serialization failure or "
                              "deadlock) or reconnect (the connection broke before the commit).")
                        .Register(r);
    auto* pm = new PoolMetrics{
        prometheus::BuildGauge()
            .Name("agora_pg_pool_size")
            .Help("Connections the PostgreSQL pools may open.")
            .Register(r)
            .Add({}),
        prometheus::BuildGauge()
            .Name("agora_pg_pool_in_use")
            .Help("Connections leased by a transaction now.")
            .Register(r)
            .Add({}),
        prometheus::BuildCounter()
            .Name("agora_pg_pool_waits_total")
            .Help("Acquisitions that found no idle connection and no room to open one, and waited.")
            .Register(r)
            .Add({}),
        prometheus::BuildHistogram()
            .Name("agora_pg_pool_wait_seconds")
            .Help("Time to get a connection from the pool (opening one included).")
            .Register(r)
            .Add({}, metrics::LatencyBuckets()),
        {},
        retries.Add({{"reason", "serialization"}}),
        retries.Add({{"reason", "reconnect"}}),
    };
    for (int read = 0; read < 2; ++read) {
      for (int ok = 0; ok < 2; ++ok) {
        pm->transaction_seconds[read][ok] =
            &tx.Add({{"kind", read ? "read" : "write"}, {"outcome", ok ? "ok" : "error"}},
                    metrics::LatencyBuckets());
      }
    }
    return pm;
  }();
  return *m;
}

}  // namespace

// The pool transaction running on this thread, for NoteOutboxAppend,
// AfterCommit and NotifyAfterCommit.
struct CurrentRun {
  const Tx* tx = nullptr;
  bool appended = false;
  std::vector<std::function<void()>> after_commit;
  std::vector<std::string> channels;
  std::vector<std::string> payloads;
};
namespace {

thread_local CurrentRun* current_run = nullptr;

// Sets current_run for one transaction, restoring the previous one (a pool
// transaction run inside another's function) when it ends.
class RunScope {
 public:
  RunScope(CurrentRun* run) : previous_(current_run) { current_run = run; }
  ~RunScope() { current_run = previous_; }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  CurrentRun* previous_;
};

// The outbox trigger's switch (runtime/messaging/migrations): the pool wakes
// the relay itself (see NoteOutboxAppend in pool.h).
constexpr char kNotifyOff[] = "-c agora.outbox_notify=off";
constexpr char kNotifyAll[] = "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)";

}  // namespace

void NoteOutboxAppend(Tx& tx) {
  if (current_run != nullptr && current_run->tx == &tx) current_run->appended = true;
}

void AfterCommit(Tx& tx, std::function<void()> fn) {
  if (current_run != nullptr && current_run->tx == &tx) current_run->after_commit.push_back(std::move(fn));
}

void NotifyAfterCommit(Tx& tx, std::string channel, std::string payload) {
  if (current_run == nullptr || current_run->tx != &tx) return;
  current_run->channels.push_back(std::move(channel));
  current_run->payloads.push_back(std::move(payload));
}

std::string ConnectionOptions::ToConnectionString(absl::string_view extra_options) const {
  std::string s = absl::StrCat("host=", Quote(host), " port=", port, " dbname=", Quote(dbname),
                               " application_name=", Quote(application_name),
                               " connect_timeout=", connect_timeout_seconds);
  if (!user.empty()) absl::StrAppend(&s, " user=", Quote(user));
  if (!password.empty()) absl::StrAppend(&s, " password=", Quote(password));
  std::string opts;
  if (!schema.empty()) absl::StrAppend(&opts, "-c search_path=", schema);
  if (statement_timeout_ms > 0) {
    absl::StrAppend(&opts, opts.empty() ? "" : " ", "-c statement_timeout=", statement_timeout_ms);
  }
  if (!extra_options.empty()) absl::StrAppend(&opts, opts.empty() ? "" : " ", extra_options);
  if (!opts.empty()) absl::StrAppend(&s, " options=", Quote(opts));
  return s;
}

namespace {

// A connection with `conn_string`, made from `options`.
absl::StatusOr<std::unique_ptr<pqxx::connection>> Open(const std::string& conn_string,
                                                       const ConnectionOptions& options) {
  try {
    return std::make_unique<pqxx::connection>(conn_string);
  } catch (const std::exception& e) {
    // The libpq text may hold the host; keep it in the log, not the status.
    log::Warn("pg_connect_failed", {{"host", options.host}, {"port", options.port},
                                    {"user", options.user}, {"error", e.what()}});
    return absl::UnavailableError("database unavailable");
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect(const ConnectionOptions& options) {
  return Open(options.ToConnectionString(), options);
}

Pool::Pool(ConnectionOptions options, int size)
    : options_(std::move(options)),
      connection_string_(options_.ToConnectionString(kNotifyOff)),
      size_(size) {
  Metrics().size.Increment(size_);
}

Pool::~Pool() { Metrics().size.Decrement(size_); }

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Acquire() {
  PoolMetrics& m = Metrics();
  const absl::Time start = absl::Now();
  auto leased = [&](absl::StatusOr<std::unique_ptr<pqxx::connection>> conn) {
    m.wait_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (conn.ok()) m.in_use.Increment();
    return conn;
  };
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    if (!available()) {
      m.waits.Increment();
      if (!mu_.AwaitWithTimeout(absl::Condition(&available), kAcquireTimeout)) {
        return leased(absl::UnavailableError("no database connection available"));
      }
    }
    if (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return leased(std::move(conn));
    }
    ++open_;  // reserve the slot, connect outside the lock
  }
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Open(connection_string_, options_);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
  }
  return leased(std::move(conn));
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  Metrics().in_use.Decrement();
  std::vector<std::unique_ptr<pqxx::connection>> discarded;
  absl::MutexLock lock(&mu_);
  if (broken || conn == nullptr || !conn->is_open()) {
    // One broken connection usually means the server restarted or failed
    // over: the idle ones are as dead. Dropping them all spares every caller
    // a failed first use; they reopen on demand.
    --open_;
    open_ -= static_cast<int>(idle_.size());
    discarded.swap(idle_);
    return;  // connections close as they go out of scope
  }
  idle_.push_back(std::move(conn));
}

absl::Status Pool::RunOnce(absl::FunctionRef<absl::Status(Tx&)> fn, Mode mode, bool* connection_broke) {
  *connection_broke = false;
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Acquire();
  if (!conn.ok()) return conn.status();
  absl::Status status;
  bool broken = false;
  bool committing = false;
  CurrentRun run;
  RunScope scope(&run);
  try {
    if (mode != Mode::kTransaction) {
      // A single write in autocommit commits as it runs: sent is committing.
      committing = mode == Mode::kWriteOne;
      pqxx::nontransaction tx(**conn);
      run.tx = &tx;
      status = fn(tx);
      run.tx = nullptr;
    } else {
      pqxx::work tx(**conn);
      run.tx = &tx;
      status = fn(tx);
      run.tx = nullptr;
      if (status.ok()) {
        committing = true;
        tx.commit();
      } else {
        tx.abort();
      }
    }
    if (status.ok()) Committed(**conn, run);
  } catch (const pqxx::in_doubt_error& e) {
    broken = true;
    status = ExceptionToStatus(e);
  } catch (const pqxx::broken_connection& e) {
    broken = true;
    // Safe to re-run only when the commit was never sent.
    *connection_broke = !committing;
    status = ExceptionToStatus(e);
  } catch (const std::exception& e) {
    status = ExceptionToStatus(e);
    broken = !(*conn)->is_open();
    *connection_broke = broken && !committing;
  }
  Release(std::move(*conn), broken);
  return status;
}

int Pool::AddOutboxWaker(std::function<bool()> waker) {
  absl::MutexLock lock(&waker_mu_);
  wakers_.emplace_back(++next_waker_id_, std::move(waker));
  return next_waker_id_;
}

void Pool::RemoveOutboxWaker(int id) {
  absl::MutexLock lock(&waker_mu_);
  std::erase_if(wakers_, [id](const auto& w) { return w.first == id; });
}

void Pool::Committed(pqxx::connection& conn, CurrentRun& run) {
  if (run.appended) {
    bool woken = false;
    {
      absl::ReaderMutexLock lock(&waker_mu_);
      for (const auto& [id, wake] : wakers_) {
        if ((woken = wake())) break;
      }
    }
    // The relay leads in another process (or none runs here): NOTIFY it.
    if (!woken) {
      run.channels.push_back(options_.schema + "_outbox");
      run.payloads.emplace_back();
    }
  }
  if (!run.channels.empty()) {
    // In a transaction of its own that writes nothing (no WAL flush under
    // NOTIFY's lock). The data is committed whatever happens here; a lost
    // notification only waits for its listener's poll.
    try {
      pqxx::nontransaction tx(conn);
      Exec(tx, kNotifyAll, TextArray(run.channels), TextArray(run.payloads));
    } catch (const std::exception& e) {
      log::Warn("pg_notify_failed", {{"schema", options_.schema}, {"error", e.what()}});
    }
  }
  for (auto& fn : run.after_commit) fn();
}

absl::Status Pool::Transact(absl::FunctionRef<absl::Status(Tx&)> fn) { return Run(fn, Mode::kTransaction); }

absl::Status Pool::Read(absl::FunctionRef<absl::Status(Tx&)> fn) { return Run(fn, Mode::kReadOne); }

absl::Status Pool::WriteOne(absl::FunctionRef<absl::Status(Tx&)> fn) { return Run(fn, Mode::kWriteOne); }

absl::Status Pool::Run(absl::FunctionRef<absl::Status(Tx&)> fn, Mode mode) {
  const bool read_only = mode == Mode::kReadOne;
  PoolMetrics& m = Metrics();
  const absl::Time start = absl::Now();
  auto done = [&](absl::Status status) {
    m.transaction_seconds[read_only ? 1 : 0][status.ok() ? 1 : 0]->Observe(
        absl::ToDoubleSeconds(absl::Now() - start));
    return status;
  };
  thread_local std::minstd_rand rng(std::random_device{}());
  bool reconnected = false;
  absl::Status status;
  for (int attempt = 0; attempt <= kMaxConflictRetries; ++attempt) {
    bool connection_broke = false;
    status = RunOnce(fn, mode, &connection_broke);
    if (connection_broke && !reconnected) {
      // A connection that died while idle (a server restart) fails at its
      // first use; one more try on a fresh connection hides that.
      reconnected = true;
      m.reconnect_retries.Increment();
      continue;
    }
    if (!IsRetryable(status) || attempt == kMaxConflictRetries) return done(status);
    m.serialization_retries.Increment();
    // Jittered exponential backoff: 1, 2, 4 ... ms, at most 64 ms.
    const int64_t cap_us = int64_t{1000} << std::min(attempt, 6);
    absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int64_t>(cap_us / 2, cap_us)(rng)));
  }
  return done(status);
}

}  // namespace agora::runtime::pg
