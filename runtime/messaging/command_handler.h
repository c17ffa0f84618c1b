#pragma once

// The one saga-command handler every participant uses (inventory,
// customers, orders register their effects; none copies this).
//
// For a batch of command messages of one partition, in ONE PostgreSQL
// transaction, each message in order:
//   1. parse the envelope and its payload (a message that cannot be read,
//      or a command not handled here, stops the batch before it:
//      INVALID_ARGUMENT, dead-lettered by the consumer);
//   2. look its message id up in the inbox (one query for the batch); a
//      duplicate re-appends the reply stored for it (same message id, keyed
//      by order id) and changes nothing else;
//   3. apply the effect (row locks first, runtime/messaging/relay.h);
//   4. append the StepReply to the outbox (same saga id, causation id = the
//      command's message id, its traceparent carried) and record the
//      message id in the inbox with that reply, in one statement. If another
//      consumer recorded it meanwhile (a rebalance), the batch rolls back
//      (ABORTED) and is retried, finding the duplicate.
// Then commit; the consumer stores the offsets after the commit.
//
// Business refusals (out of stock, insufficient funds, an unknown product or
// customer, an order already rejected, a tombstone) are failure replies with
// a domain code, from the effect's StepResult: never errors. An effect's
// error (returned or thrown) is a fault: the commands before the failing one
// are committed, and the failing one (first in the next try, with those
// after it) is retried after a backoff until it passes; never
// dead-lettered, since a lost compensation would lose stock or money. Its
// partition waits meanwhile, visible as lag and kafka_handler_failed.
//
// Thread-safe once every effect is registered (On before Handle).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/inbox.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

// What a participant answers to a command.
struct StepResult {
  bool success = true;
  // When !success: a short domain code ("OUT_OF_STOCK"), never internal text.
  std::string error;
  // DebitBalance and RefundBalance: the balance after the step.
  std::optional<int64_t> balance_cents;

  static StepResult Ok() { return StepResult{}; }
  static StepResult Refused(std::string code) { return StepResult{false, std::move(code), {}}; }
};

class CommandHandler final {
 public:
  // `pool` is borrowed; its schema's inbox and outbox are used. Replies go to
  // `reply_topic`.
  CommandHandler(pg::Pool& pool, std::string reply_topic);

  // Registers the effect of command type `Command` (a proto message with an
  // `order_id` field, e.g. agora::saga::v1::ReserveStockCommand); it also
  // gets the command's envelope (saga id, trace context for what it
  // writes). The effect runs inside the batch's transaction and must do all
  // its work through `tx`; it may run more than once (a retried transaction).
  template <typename Command>
  void On(std::function<absl::StatusOr<StepResult>(pg::Tx&, const Command&, const Envelope&)> effect) {
    parsers_[Command::descriptor()->full_name()] = [](const Envelope& envelope) {
      Command command;
      return Unwrap(envelope, &command);
    };
    effects_[Command::descriptor()->full_name()] =
        [effect = std::move(effect)](pg::Tx& tx, const Envelope& envelope,
                                     std::string* order_id) -> absl::StatusOr<StepResult> {
      Command command;
      if (absl::Status s = Unwrap(envelope, &command); !s.ok()) return s;
      *order_id = command.order_id();
      return effect(tx, command, envelope);
    };
  }

  // Registers a set-based effect of command type `Command`: it gets a run of
  // consecutive new commands of that type at once (their order kept;
  // duplicates, in the inbox or earlier in the run, are left out and answered
  // with their first reply) and answers one StepResult per command, in order,
  // with the effect of applying them one by one. An error fails the whole
  // run; the batch is then tried again with one command a call, so that the
  // commands before the faulty one commit and it alone waits. It also gets
  // each command's envelope (saga id, trace context). Replaces On.
  template <typename Command>
  void OnBatch(std::function<absl::StatusOr<std::vector<StepResult>>(pg::Tx&, const std::vector<Command>&,
                                                                     const std::vector<const Envelope*>&)>
                   effect) {
    parsers_[Command::descriptor()->full_name()] = [](const Envelope& envelope) {
      Command command;
      return Unwrap(envelope, &command);
    };
    effects_.erase(Command::descriptor()->full_name());
    batch_effects_[Command::descriptor()->full_name()] =
        [effect = std::move(effect)](pg::Tx& tx, const std::vector<const Envelope*>& envelopes,
                                     std::vector<std::string>* order_ids)
        -> absl::StatusOr<std::vector<StepResult>> {
      std::vector<Command> commands(envelopes.size());
      for (size_t i = 0; i < envelopes.size(); ++i) {
        if (absl::Status s = Unwrap(*envelopes[i], &commands[i]); !s.ok()) return s;
        order_ids->push_back(commands[i].order_id());
      }
      absl::StatusOr<std::vector<StepResult>> results = effect(tx, commands, envelopes);
      if (results.ok() && results->size() != commands.size()) {
        return absl::InternalError("a batch effect answered a wrong number of results");
      }
      return results;
    };
  }

  // Runs first in each batch's transaction, with the batch's commands (for
  // a participant to lock, in one fixed order, every row its effects will
  // lock: batches of different partitions run at once, and rows locked in
  // command order by two of them could deadlock). Optional.
  void BeforeBatch(std::function<void(pg::Tx&, const std::vector<Envelope>&)> hook) {
    before_batch_ = std::move(hook);
  }

  // FAULT INJECTION, for `./agora chaos --broken-participant` only
  // (AGORA_UNSAFE_SKIP_DEDUPE): a command already in the inbox is handled
  // again, as if new. Breaks exactly-once effects on purpose, to show that
  // the chaos run's checker catches double effects. Never in production.
  void UnsafeSkipInbox(bool on) { skip_inbox_ = on; }

  // The consumer's batch handler (kafka::BatchHandler). Thread-safe: batches
  // of different partitions run at once.
  kafka::BatchResult Handle(const std::vector<kafka::IncomingMessage>& batch);

 private:
  using Effect =
      std::function<absl::StatusOr<StepResult>(pg::Tx&, const Envelope&, std::string* order_id)>;
  using BatchEffect = std::function<absl::StatusOr<std::vector<StepResult>>(
      pg::Tx&, const std::vector<const Envelope*>&, std::vector<std::string>* order_ids)>;

  // INVALID_ARGUMENT for a message that cannot be read.
  absl::Status Parse(const kafka::IncomingMessage& message, Envelope* envelope) const;
  // One command of a batch; `known`: the batch's inbox rows (found before,
  // or recorded by earlier commands of the batch). Its reply joins
  // `pending`, written with the others at the end of the batch (Flush).
  absl::Status HandleInBatch(pg::Tx& tx, const Envelope& envelope,
                             std::map<std::string, std::optional<StoredReply>>& known,
                             std::vector<PendingReply>& pending);
  // envelopes[begin, end), all of one type with a batch effect, the same way.
  absl::Status HandleRun(pg::Tx& tx, const BatchEffect& effect, const std::vector<Envelope>& envelopes,
                         size_t begin, size_t end, std::map<std::string, std::optional<StoredReply>>& known,
                         std::vector<PendingReply>& pending);
  // A duplicate's stored reply again (when it had one).
  void AppendDuplicate(const Envelope& envelope, const std::optional<StoredReply>& stored,
                       std::vector<PendingReply>& pending) const;
  // A new command's reply, recorded in `known`.
  void AppendReply(const Envelope& envelope, const std::string& order_id, const StepResult& result,
                   std::map<std::string, std::optional<StoredReply>>& known,
                   std::vector<PendingReply>& pending) const;
  // Writes the batch's replies and inbox rows in one statement.
  absl::Status Flush(pg::Tx& tx, const std::vector<PendingReply>& pending) const;
  // Runs HandleInBatch for envelopes[0, n) in one transaction, a run of
  // set-based commands in one call unless `one_by_one`. On an effect's
  // non-transient error, *failed_at is the index where the failing call
  // began (the failing command's own index when `one_by_one`).
  absl::Status RunBatch(const std::vector<Envelope>& envelopes, size_t n, bool one_by_one, size_t* failed_at);

  pg::Pool& pool_;
  const std::string reply_topic_;
  std::map<std::string, Effect> effects_;
  std::map<std::string, BatchEffect> batch_effects_;
  std::map<std::string, std::function<absl::Status(const Envelope&)>> parsers_;
  std::function<void(pg::Tx&, const std::vector<Envelope>&)> before_batch_;
  bool skip_inbox_ = false;
};

}  // namespace agora::runtime::messaging
