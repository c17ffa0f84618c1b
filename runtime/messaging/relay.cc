#include "runtime/messaging/relay.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <map>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/kafka/options.h"
#include "runtime/log/log.h"
#include "runtime/messaging/metrics.h"
#include "runtime/metrics/metrics.h"
#include "runtime/pg/errors.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {
namespace {

// One batch of a schema at a time, whichever relay runs it: two batches at
// once could split a key's rows (the session lock of the leader is not
// enough: its session may be gone while it still sends).
// With an asynchronous commit: the relay's transaction only deletes rows
// already acknowledged by the broker (and counts failures), so losing it in
// a database crash only means those rows are published again, which every
// consumer's inbox drops. Not waiting for its WAL flush takes a disk flush
// off every hop of a saga. Generic plans: see pg::PreferGenericPlans.
constexpr char kBatchLock[] =
    "SELECT pg_advisory_xact_lock(hashtext('agora.outbox_batch'), hashtext(current_schema())), "
    "set_config('synchronous_commit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)";
// Due rows whose key has no earlier row waiting for its next attempt (the
// partial index outbox_waiting holds the rows that ever failed). One clock
// reading for the whole statement (now(): the transaction's start), so a
// row cannot fall due between its own check and a later row's.
constexpr char kTakeBatch[] =
    "SELECT o.id, o.topic, o.message_key, o.message_id, o.payload, o.attempts, o.refusals, "
    "extract(epoch FROM now() - o.created_at)::float8 FROM outbox o "
    "WHERE o.next_attempt_at <= now() AND NOT EXISTS ("
    "  SELECT 1 FROM outbox w WHERE w.attempts > 0 AND w.message_key = o.message_key "
    "  AND w.id < o.id AND w.next_attempt_at > now()) "
    "ORDER BY o.id LIMIT $1 FOR UPDATE OF o";
constexpr char kDelete[] = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";
constexpr char kFailed[] =
    "UPDATE outbox SET attempts = attempts + 1, refusals = refusals + $4, last_error = $2, "
    "next_attempt_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE id = $1";
constexpr char kBury[] =
    "WITH moved AS (DELETE FROM outbox WHERE id = $1 "
    "  RETURNING id, topic, message_key, message_id, payload, created_at, attempts) "
    "INSERT INTO outbox_dead (outbox_id, topic, message_key, message_id, payload, created_at, "
    "attempts, last_error) SELECT id, topic, message_key, message_id, payload, created_at, "
    "attempts + 1, $2 FROM moved";
constexpr char kBacklog[] =
    "SELECT count(*), COALESCE(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8, "
    "(SELECT count(*) FROM outbox_dead) FROM outbox";
constexpr char kTryLead[] =
    "SELECT pg_try_advisory_lock(hashtext('agora.outbox_relay'), hashtext(current_schema()))";
constexpr char kSchema[] = "SELECT current_schema()";
constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
constexpr absl::Duration kMetricsInterval = absl::Seconds(1);

class Wakeup final : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& conn, const std::string& channel)
      : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

struct Row {
  std::string id;
  int attempts = 0;
  int refusals = 0;
  double age_seconds = 0;
  kafka::OutgoingMessage message;
};

// A refusal of the message itself, which no retry fixes (Producer's contract).
bool Refused(const absl::Status& s) { return s.code() == absl::StatusCode::kFailedPrecondition; }

absl::Duration Backoff(const RelayOptions& o, int failures) {
  absl::Duration d = o.initial_backoff;
  for (int i = 1; i < failures && d < o.max_backoff; ++i) d *= 2;
  return std::min(d, o.max_backoff);
}

// Waits up to `slice` for a notification on `conn` or a write to `wake_fd`;
// answers whether one came (consuming it). Throws when the connection broke.
bool AwaitWakeup(pqxx::connection& conn, int wake_fd, absl::Duration slice) {
  if (conn.get_notifs() > 0) return true;
  pollfd fds[2] = {{conn.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int nfds = wake_fd >= 0 ? 2 : 1;
  const int ready = poll(fds, nfds, static_cast<int>(absl::ToInt64Milliseconds(slice)));
  if (ready < 0) return false;  // EINTR: the caller's loop waits again
  bool woken = false;
  if (nfds == 2 && (fds[1].revents & POLLIN) != 0) {
    uint64_t count = 0;
    woken = read(wake_fd, &count, sizeof count) == sizeof count;
  }
  // A closed socket polls readable too: get_notifs then throws broken_connection.
  if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0 && conn.get_notifs() > 0) woken = true;
  return woken;
}

}  // namespace

OutboxRelay::OutboxRelay(pg::Pool& pool, kafka::Producer& producer, RelayOptions options)
    : pool_(pool), producer_(producer), options_(std::move(options)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    // Without it the relay still runs on NOTIFY and its poll interval.
    log::Warn("outbox_relay_eventfd_failed", {{"errno", errno}});
  } else {
    waker_id_ = pool_.AddOutboxWaker([this] { return Wake(); });
  }
}

OutboxRelay::~OutboxRelay() {
  if (waker_id_ != 0) pool_.RemoveOutboxWaker(waker_id_);
  Stop(absl::ZeroDuration());
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool OutboxRelay::Wake() {
  if (!leader_.load() || stop_.load()) return false;
  const uint64_t one = 1;
  // Nonblocking; a full counter (never in practice) already means "woken".
  return write(wake_fd_, &one, sizeof one) == sizeof one || errno == EAGAIN;
}

void OutboxRelay::Start() {
  // The failure counters exist (at 0) before the first failure.
  Metrics& m = GetMetrics();
  const std::string& schema = pool_.options().schema;
  for (const char* kind : {"refused", "unavailable"}) m.outbox_failed.Add({{"schema", schema}, {"kind", kind}});
  m.outbox_dead.Add({{"schema", schema}});
  thread_ = std::thread([this] {
    log::NameThisThread("outbox-relay");
    Run();
  });
}

void OutboxRelay::Stop(absl::Duration drain) {
  drain_micros_.store(absl::ToInt64Microseconds(drain));
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> OutboxRelay::RelayBatch() {
  Metrics& m = GetMetrics();
  const std::string& schema = pool_.options().schema;
  int64_t acked_total = 0;
  int64_t failed_total = 0;
  absl::StatusOr<int> taken = pool_.Transact<int>([&](pg::Tx& tx) -> absl::StatusOr<int> {
    acked_total = 0;
    failed_total = 0;
    pg::Exec(tx, kBatchLock);
    pqxx::result result = pg::Exec(tx, kTakeBatch, options_.batch_size);
    if (result.empty()) return 0;
    const absl::Time taken_at = absl::Now();
    std::vector<Row> rows;
    rows.reserve(result.size());
    // Each key's rows, in id order; keys in the order of their first row.
    std::vector<std::vector<size_t>> keys;
    std::map<std::string, size_t> key_index;
    for (const auto& r : result) {
      pqxx::binarystring payload(r[4]);
      Row row{r[0].as<std::string>(), r[5].as<int>(), r[6].as<int>(), r[7].as<double>(),
              kafka::OutgoingMessage{r[1].as<std::string>(), r[2].as<std::string>(), payload.str(),
                                     {{kafka::kMessageIdHeader, r[3].as<std::string>()}}}};
      auto [it, fresh] = key_index.emplace(row.message.key, keys.size());
      if (fresh) keys.emplace_back();
      keys[it->second].push_back(rows.size());
      rows.push_back(std::move(row));
    }
    std::vector<std::string> acked;
    // Wave i: the i-th row of every key whose earlier rows were acknowledged.
    std::vector<size_t> next(keys.size(), 0);
    std::vector<size_t> alive(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) alive[k] = k;
    while (!alive.empty()) {
      std::vector<kafka::OutgoingMessage> wave;
      wave.reserve(alive.size());
      for (size_t k : alive) wave.push_back(rows[keys[k][next[k]]].message);
      const std::vector<absl::Status> sent = producer_.SendAndWait(wave, options_.send_timeout);
      std::vector<size_t> still;
      for (size_t i = 0; i < alive.size(); ++i) {
        const size_t k = alive[i];
        Row& row = rows[keys[k][next[k]]];
        if (sent[i].ok()) {
          acked.push_back(row.id);
          m.relay_latency.Add({{"schema", schema}}, metrics::LatencyBuckets())
              .Observe(row.age_seconds + absl::ToDoubleSeconds(absl::Now() - taken_at));
          if (++next[k] < keys[k].size()) still.push_back(k);
          continue;
        }
        // The rest of this key stays back until this row went out.
        ++failed_total;
        const bool refused = Refused(sent[i]);
        const int refusals = row.refusals + (refused ? 1 : 0);
        m.outbox_failed.Add({{"schema", schema}, {"kind", refused ? "refused" : "unavailable"}})
            .Increment();
        const std::string error(sent[i].message());
        log::Warn("outbox_publish_failed", {{"schema", schema},
                                            {"topic", row.message.topic},
                                            {"key", row.message.key},
                                            {"refusals", refusals},
                                            {"error", error}});
        if (refused && refusals >= options_.max_attempts) {
          pg::Exec(tx, kBury, row.id, error);
          m.outbox_dead.Add({{"schema", schema}}).Increment();
          log::Error("outbox_row_dead", {{"schema", schema},
                                         {"topic", row.message.topic},
                                         {"key", row.message.key},
                                         {"refusals", refusals},
                                         {"error", error}});
        } else {
          pg::Exec(tx, kFailed, row.id, error,
                   absl::ToInt64Milliseconds(Backoff(options_, row.attempts + 1)), refused ? 1 : 0);
        }
      }
      alive = std::move(still);
    }
    if (options_.after_send) options_.after_send(static_cast<int>(acked.size()));
    if (!acked.empty()) pg::Exec(tx, kDelete, absl::StrCat("{", absl::StrJoin(acked, ","), "}"));
    acked_total = static_cast<int64_t>(acked.size());
    return static_cast<int>(rows.size());
  });
  if (taken.ok()) {
    published_.fetch_add(acked_total);
    failed_.fetch_add(failed_total);
    if (acked_total > 0) m.outbox_published.Add({{"schema", schema}}).Increment(static_cast<double>(acked_total));
  }
  return taken;
}

absl::Status OutboxRelay::UpdateBacklogMetrics() {
  Metrics& m = GetMetrics();
  const std::string& schema = pool_.options().schema;
  return pool_.Read([&](pg::Tx& tx) -> absl::Status {
    pqxx::result r = pg::Exec(tx, kBacklog);
    m.outbox_backlog.Add({{"schema", schema}}).Set(r[0][0].as<double>());
    m.outbox_oldest_age.Add({{"schema", schema}}).Set(r[0][1].as<double>());
    m.outbox_dead_rows.Add({{"schema", schema}}).Set(r[0][2].as<double>());
    return absl::OkStatus();
  });
}

void OutboxRelay::Drain(absl::Time deadline) {
  while (absl::Now() < deadline) {
    absl::StatusOr<int> n = RelayBatch();
    if (!n.ok() || *n < options_.batch_size) return;
  }
}

void OutboxRelay::Run() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Wakeup> wakeup;
  absl::Duration retry = absl::Milliseconds(100);
  absl::Time metrics_at = absl::InfinitePast();
  while (!stop_.load()) {
    if (absl::Now() - metrics_at >= kMetricsInterval) {
      metrics_at = absl::Now();
      (void)UpdateBacklogMetrics();  // a database fault shows in the batch below
    }
    // Become the leader: a LISTEN connection holding the relay lock.
    if (conn == nullptr) {
      wakeup.reset();
      leader_.store(false);
      absl::StatusOr<std::unique_ptr<pqxx::connection>> c = pg::Connect(pool_.options());
      bool lead = false;
      if (c.ok()) {
        try {
          pqxx::nontransaction q(**c);
          const std::string schema = q.exec(kSchema)[0][0].as<std::string>();
          lead = q.exec(kTryLead)[0][0].as<bool>();
          q.commit();
          if (lead) wakeup = std::make_unique<Wakeup>(**c, schema + "_outbox");
        } catch (const std::exception& e) {
          log::Warn("outbox_relay_listen_failed", {{"error", e.what()}});
          lead = false;
        }
      }
      if (!lead) {
        wakeup.reset();
        // Not the leader (or no database): try again later.
        for (absl::Duration waited; waited < options_.poll_interval && !stop_.load();
             waited += kWaitSlice) {
          absl::SleepFor(kWaitSlice);
        }
        continue;
      }
      conn = std::move(*c);
      leader_.store(true);
      log::Info("outbox_relay_leading", {{"schema", pool_.options().schema}});
    }
    // Publish what is committed and due.
    for (;;) {
      absl::StatusOr<int> n = RelayBatch();
      if (!n.ok()) {
        log::Warn("outbox_relay_batch_failed", {{"error", n.status().message()}});
        absl::SleepFor(retry);
        retry = std::min(retry * 2, absl::Seconds(5));
        break;
      }
      retry = absl::Milliseconds(100);
      if (*n < options_.batch_size || stop_.load()) break;
    }
    // Sleep until a NOTIFY, an in-process wakeup, the poll interval, or
    // Stop. Rows waiting for their next attempt are taken by a later pass
    // once due.
    try {
      for (absl::Duration waited; waited < options_.poll_interval && !stop_.load();
           waited += kWaitSlice) {
        if (AwaitWakeup(*conn, wake_fd_, kWaitSlice)) break;
      }
    } catch (const std::exception& e) {
      log::Warn("outbox_relay_connection_lost", {{"error", e.what()}});
      wakeup.reset();
      conn.reset();  // lock released with the session; elect again
      leader_.store(false);
    }
  }
  // Only the leader drains: two relays at once could split a key's rows.
  if (leader_.load()) Drain(absl::Now() + absl::Microseconds(drain_micros_.load()));
  wakeup.reset();
  conn.reset();
  leader_.store(false);
}

}  // namespace agora::runtime::messaging
