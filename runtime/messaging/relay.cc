#include "runtime/messaging/relay.h"

#include <exception>
#include <pqxx/pqxx>


#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/kafka/options.h"
#include "runtime/log/log.h"
#include "runtime/pg/errors.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {
namespace {

constexpr char kTakeBatch[] =
    "SELECT id, topic, message_key, message_id, payload FROM outbox "
    "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";
constexpr char kDelete[] = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";
constexpr char kTryLead[] =
    "SELECT pg_try_advisory_lock(hashtext('agora.outbox_relay'), hashtext(current_schema()))";
constexpr char kSchema[] = "SELECT current_schema()";
constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);

class Wakeup final : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& conn, const std::string& channel)
      : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

}  // namespace

OutboxRelay::OutboxRelay(pg::Pool& pool, kafka::Producer& producer, RelayOptions options)
    : pool_(pool), producer_(producer), options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> OutboxRelay::RelayBatch() {
  return pool_.Transact<int>([&](pg::Tx& tx) -> absl::StatusOr<int> {
    pqxx::result rows = pg::Exec(tx, kTakeBatch, options_.batch_size);
    if (rows.empty()) return 0;
    std::vector<kafka::OutgoingMessage> messages;
    messages.reserve(rows.size());
    for (const auto& row : rows) {
      pqxx::binarystring payload(row[4]);
      messages.push_back(kafka::OutgoingMessage{
          row[1].as<std::string>(), row[2].as<std::string>(), payload.str(),
          {{kafka::kMessageIdHeader, row[3].as<std::string>()}}});
    }
    const std::vector<absl::Status> sent = producer_.SendAndWait(messages, options_.send_timeout);
    std::vector<std::string> acked;
    absl::Status first_error;
    for (size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].ok()) {
        acked.push_back(rows[static_cast<int>(i)][0].as<std::string>());
      } else if (first_error.ok()) {
        first_error = sent[i];
      }
    }
    if (options_.after_send) options_.after_send(static_cast<int>(acked.size()));
    if (!acked.empty()) {
      pg::Exec(tx, kDelete, absl::StrCat("{", absl::StrJoin(acked, ","), "}"));
    }
    if (!first_error.ok()) {
      log::Warn("outbox_publish_failed", {{"failed", static_cast<int64_t>(sent.size() - acked.size())},
                                          {"error", first_error.message()}});
    }
    published_.fetch_add(static_cast<int64_t>(acked.size()));
    return static_cast<int>(acked.size());
  });
}

void OutboxRelay::Run() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Wakeup> wakeup;
  absl::Duration retry = absl::Milliseconds(100);
  while (!stop_.load()) {
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
      log::Info("outbox_relay_leading");
    }
    // Drain what is committed.
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
    // Sleep until a NOTIFY, the poll interval, or Stop.
    try {
      for (absl::Duration waited; waited < options_.poll_interval && !stop_.load();
           waited += kWaitSlice) {
        if (conn->await_notification(0, absl::ToInt64Microseconds(kWaitSlice)) > 0) break;
      }
    } catch (const std::exception& e) {
      log::Warn("outbox_relay_connection_lost", {{"error", e.what()}});
      wakeup.reset();
      conn.reset();  // lock released with the session; elect again
    }
  }
  wakeup.reset();
  conn.reset();
  leader_.store(false);
}

}  // namespace agora::runtime::messaging
