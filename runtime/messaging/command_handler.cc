#include "runtime/messaging/command_handler.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/inbox.h"
#include "runtime/messaging/metrics.h"
#include "runtime/messaging/outbox.h"
#include "runtime/pg/exec.h"

namespace agora::runtime::messaging {

CommandHandler::CommandHandler(pg::Pool& pool, std::string reply_topic)
    : pool_(pool), reply_topic_(std::move(reply_topic)) {}

absl::Status CommandHandler::Parse(const kafka::IncomingMessage& message, Envelope* envelope) const {
  absl::StatusOr<Envelope> parsed = ParseEnvelope(message.value);
  if (!parsed.ok()) return parsed.status();
  // The id is an inbox key (PostgreSQL text): printable ASCII, bounded.
  const std::string& id = parsed->message_id();
  if (id.size() > 200 || std::any_of(id.begin(), id.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
    return absl::InvalidArgumentError("envelope message id is not 1 to 200 printable characters");
  }
  auto parser = parsers_.find(parsed->type());
  if (parser == parsers_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no command of type '", parsed->type(), "' is handled here"));
  }
  if (absl::Status s = parser->second(*parsed); !s.ok()) return s;
  *envelope = *std::move(parsed);
  return absl::OkStatus();
}

absl::Status CommandHandler::Flush(pg::Tx& tx, const std::vector<PendingReply>& pending) const {
  const size_t named = static_cast<size_t>(std::count_if(
      pending.begin(), pending.end(), [](const PendingReply& r) { return !r.command_id.empty(); }));
  if (RecordAllWithReplies(tx, pending) != named && !skip_inbox_) {
    // Another consumer (a rebalance) handled one of them meanwhile: this
    // batch's effect for it was a duplicate. Roll back; the retry finds it
    // in the inbox.
    return absl::AbortedError("command handled concurrently");
  }
  return absl::OkStatus();
}

void CommandHandler::AppendDuplicate(const Envelope& envelope, const std::optional<StoredReply>& stored,
                                     std::vector<PendingReply>& pending) const {
  // The reply it got, again (the coordinator's inbox drops it if the first
  // one arrived), and nothing else.
  if (stored.has_value()) {
    absl::StatusOr<Envelope> reply = ParseEnvelope(stored->payload);
    if (reply.ok()) pending.push_back({"", *stored, reply->message_id()});
  }
  GetMetrics().commands.Add({{"command", envelope.type()}, {"outcome", "duplicate"}}).Increment();
}

void CommandHandler::AppendReply(const Envelope& envelope, const std::string& order_id, const StepResult& result,
                                 std::map<std::string, std::optional<StoredReply>>& known,
                                 std::vector<PendingReply>& pending) const {
  agora::saga::v1::StepReply reply;
  reply.set_order_id(order_id);
  reply.set_command(envelope.type());
  reply.set_success(result.success);
  reply.set_error(result.error);
  if (result.balance_cents.has_value()) reply.set_balance_cents(*result.balance_cents);
  const Envelope out =
      Wrap(reply, {envelope.saga_id(), envelope.message_id(), envelope.traceparent()});
  StoredReply stored{reply_topic_, order_id, out.SerializeAsString()};
  pending.push_back({envelope.message_id(), stored, out.message_id()});
  known.emplace(envelope.message_id(), std::move(stored));
  GetMetrics()
      .commands.Add({{"command", envelope.type()}, {"outcome", result.success ? "success" : "refused"}})
      .Increment();
}

absl::Status CommandHandler::HandleInBatch(pg::Tx& tx, const Envelope& envelope,
                                           std::map<std::string, std::optional<StoredReply>>& known,
                                           std::vector<PendingReply>& pending) {
  auto effect = effects_.find(envelope.type());
  if (effect == effects_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("no command of type '", envelope.type(), "'"));
  }
  if (auto it = known.find(envelope.message_id()); it != known.end() && !skip_inbox_) {
    AppendDuplicate(envelope, it->second, pending);
    return absl::OkStatus();
  }
  std::string order_id;
  absl::StatusOr<StepResult> result = effect->second(tx, envelope, &order_id);
  if (!result.ok()) return result.status();
  AppendReply(envelope, order_id, *result, known, pending);
  return absl::OkStatus();
}

absl::Status CommandHandler::HandleRun(pg::Tx& tx, const BatchEffect& effect, const std::vector<Envelope>& envelopes,
                                       size_t begin, size_t end,
                                       std::map<std::string, std::optional<StoredReply>>& known,
                                       std::vector<PendingReply>& pending) {
  // The new commands: not in the inbox, and not earlier in the run.
  std::vector<const Envelope*> fresh;
  std::vector<bool> is_fresh(end - begin, false);
  std::set<std::string> seen;
  for (size_t i = begin; i < end; ++i) {
    const std::string& id = envelopes[i].message_id();
    if (skip_inbox_ || (known.find(id) == known.end() && seen.insert(id).second)) {
      fresh.push_back(&envelopes[i]);
      is_fresh[i - begin] = true;
    }
  }
  std::vector<std::string> order_ids;
  absl::StatusOr<std::vector<StepResult>> results;
  if (!fresh.empty()) {
    results = effect(tx, fresh, &order_ids);
    if (!results.ok()) return results.status();
  }
  // Replies in the run's order; a duplicate finds its first's reply in
  // `known` (recorded just before it when that was earlier in the run).
  size_t next = 0;
  for (size_t i = begin; i < end; ++i) {
    if (is_fresh[i - begin]) {
      AppendReply(envelopes[i], order_ids[next], (*results)[next], known, pending);
      ++next;
    } else {
      AppendDuplicate(envelopes[i], known.at(envelopes[i].message_id()), pending);
    }
  }
  return absl::OkStatus();
}

absl::Status CommandHandler::RunBatch(const std::vector<Envelope>& envelopes, size_t n, bool one_by_one,
                                      size_t* failed_at) {
  std::vector<std::string> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) ids.push_back(envelopes[i].message_id());
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pg::PreferGenericPlans(tx);
    // One query finds every command of the batch handled before.
    std::map<std::string, std::optional<StoredReply>> known = LoadInboxRows(tx, ids);
    if (before_batch_) {
      *failed_at = n;  // a fault here is the batch's, not a command's
      before_batch_(tx, n == envelopes.size()
                            ? envelopes
                            : std::vector<Envelope>(envelopes.begin(),
                                                    envelopes.begin() + static_cast<std::ptrdiff_t>(n)));
    }
    std::vector<PendingReply> pending;
    for (size_t i = 0; i < n;) {
      *failed_at = i;
      if (auto batch = batch_effects_.find(envelopes[i].type()); batch != batch_effects_.end()) {
        // The run of commands of this type from here: one call (one
        // command a call when a run failed and the faulty one is sought).
        size_t end = i + 1;
        while (!one_by_one && end < n && envelopes[end].type() == envelopes[i].type()) ++end;
        absl::Status s = HandleRun(tx, batch->second, envelopes, i, end, known, pending);
        if (!s.ok()) return s;
        i = end;
        continue;
      }
      absl::Status s = HandleInBatch(tx, envelopes[i], known, pending);
      if (!s.ok()) return s;
      ++i;
    }
    *failed_at = n;
    return Flush(tx, pending);
  });
}

kafka::BatchResult CommandHandler::Handle(const std::vector<kafka::IncomingMessage>& batch) {
  std::vector<Envelope> envelopes;
  envelopes.reserve(batch.size());
  absl::Status unreadable;
  for (const kafka::IncomingMessage& message : batch) {
    Envelope e;
    unreadable = Parse(message, &e);
    if (!unreadable.ok()) break;
    envelopes.push_back(std::move(e));
  }
  size_t n = envelopes.size();
  bool one_by_one = false;
  while (n > 0) {
    size_t failed_at = 0;
    absl::Status s = RunBatch(envelopes, n, one_by_one, &failed_at);
    if (s.ok()) break;
    // A readable command whose effect fails is never dead-lettered (a
    // compensation must not be lost): it is retried, after a backoff, until
    // it passes; its partition waits meanwhile (lag, kafka_handler_failed).
    const absl::Status retry =
        kafka::IsTransient(s) ? s : absl::UnavailableError(absl::StrCat("command failed: ", s.message()));
    // A fault of the database or of the whole batch: all of it again later.
    if (kafka::IsTransient(s) || failed_at >= n) return {0, retry};
    if (!one_by_one) {
      // failed_at is where the failing call began, and a set-based call
      // holds a run of commands: again one command a call, so that the
      // faulty one is found and those before it are committed instead of
      // waiting behind it.
      one_by_one = true;
      continue;
    }
    if (failed_at == 0) return {0, retry};
    // One command fails on its own: commit those before it; it goes first
    // in the next try.
    n = failed_at;
    unreadable = retry;
  }
  if (n > 0) {
    GetMetrics().batch_size.Add({{"schema", pool_.options().schema}}, BatchSizeBuckets())
        .Observe(static_cast<double>(n));
  }
  return {n, n == batch.size() ? absl::OkStatus() : unreadable};
}

}  // namespace agora::runtime::messaging
