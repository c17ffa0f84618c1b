#include "saga/coordinator.h"

#include <exception>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "agora/saga/v1/record.pb.h"
#include "runtime/ids/uuid.h"
#include "runtime/log/log.h"
#include "runtime/messaging/inbox.h"
#include "runtime/pg/exec.h"
#include "saga/metrics.h"
#include "saga/record.h"

namespace agora::saga {
namespace {

namespace pb = agora::saga::v1;
using runtime::messaging::Envelope;
using runtime::messaging::OutboxMessage;
using runtime::pg::Tx;

template <typename Lines>
void AddStockLines(const OrderData& order, Lines* out) {
  for (const Line& l : order.lines) {
    pb::StockLine* line = out->Add();
    line->set_product_id(l.product_id);
    line->set_quantity(l.quantity);
    line->set_on_sale(l.on_sale);
  }
}

agora::orders::v1::RejectionReason ToProto(Reason r) {
  agora::orders::v1::RejectionReason out = agora::orders::v1::REJECTION_REASON_UNSPECIFIED;
  agora::orders::v1::RejectionReason_Parse(ReasonName(r), &out);
  return out;
}

OrderData FromEvent(const pb::OrderCreated& e) {
  OrderData o{e.order_id(), e.customer_id(), {}, e.total_cents(), e.from_cart()};
  for (const pb::OrderLine& l : e.lines()) {
    o.lines.push_back({l.product_id(), l.quantity(), l.unit_price_cents(), l.on_sale()});
  }
  return o;
}

}  // namespace

std::string SagaIdFor(const std::string& order_id, SagaType type) {
  // A namespace of our own for saga ids (a random UUID, fixed forever).
  static constexpr char kSagaIds[] = "0c7a1f5e-3d2b-4c8e-9a61-5b7f2e9d4a13";
  return runtime::ids::NameUuid(kSagaIds, absl::StrCat(absl::AsciiStrToLower(order_id), "/", TypeName(type)));
}

OutboxMessage CommandMessage(const runtime::messaging::Topics& topics, const Saga& saga,
                             const Send& send, const std::string& causation_id,
                             const std::string& traceparent) {
  const OrderData& o = saga.order;
  const runtime::messaging::EnvelopeContext context{saga.id, causation_id, traceparent};
  Envelope e;
  switch (send.command) {
    case Command::kReserveStock: {
      pb::ReserveStockCommand c;
      c.set_order_id(o.order_id);
      AddStockLines(o, c.mutable_lines());
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kReleaseStock: {
      pb::ReleaseStockCommand c;
      c.set_order_id(o.order_id);
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kDebitBalance: {
      pb::DebitBalanceCommand c;
      c.set_order_id(o.order_id);
      c.set_customer_id(o.customer_id);
      c.set_amount_cents(o.total_cents);
      c.set_from_cart(o.from_cart);
      AddStockLines(o, c.mutable_lines());
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kRefundBalance: {
      pb::RefundBalanceCommand c;
      c.set_order_id(o.order_id);
      c.set_customer_id(o.customer_id);
      // A rejected order's cart lines go back; a cancelled order's do not.
      c.set_restore_cart(saga.type == SagaType::kPlaceOrder && o.from_cart);
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kApproveOrder: {
      pb::ApproveOrderCommand c;
      c.set_order_id(o.order_id);
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kRejectOrder: {
      pb::RejectOrderCommand c;
      c.set_order_id(o.order_id);
      c.set_reason(ToProto(saga.reason));
      e = runtime::messaging::Wrap(c, context);
      break;
    }
    case Command::kMarkCancelled: {
      pb::MarkCancelledCommand c;
      c.set_order_id(o.order_id);
      e = runtime::messaging::Wrap(c, context);
      break;
    }
  }
  // A re-send keeps its id: the participant's inbox answers it once.
  e.set_message_id(send.message_id);
  return OutboxMessage{topics.Commands(Participant(send.command)), o.order_id, std::move(e)};
}

struct Coordinator::Batch {
  // Set when a batch is redone one message at a time: every saga inserted,
  // and every early cancel taken or recorded, as its message is handled.
  bool one_by_one = false;
  std::map<std::string, Saga> sagas;  // by id
  std::set<std::string> fresh;
  // Written once at the end of the batch: the sagas started (inserted with
  // their state at the end), the sagas changed (already in the table), and
  // the commands, in the order they were sent.
  std::vector<std::string> started;
  std::set<std::string> changed;
  std::vector<OutboxMessage> outbox;
  // Early cancels, by order id in lower case: taken up front for the orders
  // whose OrderCreated is in the batch, and those recorded by the batch
  // (written at its end unless their order's OrderCreated came later in it).
  std::set<std::string> cancels_taken;
  std::set<std::string> cancels_recorded;

  std::optional<Saga> Find(const std::string& id) const {
    auto it = sagas.find(id);
    if (it == sagas.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Saga> FindByOrder(const std::string& order_id, SagaType type) const {
    for (const auto& [id, saga] : sagas) {
      if (absl::EqualsIgnoreCase(saga.order.order_id, order_id) && saga.type == type) return saga;
    }
    return std::nullopt;
  }
};

namespace {

// A command: into the batch's outbox list when there is a batch, else
// straight into the outbox.
void Emit(Tx& tx, OutboxMessage message, std::vector<OutboxMessage>* batch_outbox) {
  if (batch_outbox != nullptr) {
    batch_outbox->push_back(std::move(message));
  } else {
    runtime::messaging::AppendToOutbox(tx, message);
  }
}

}  // namespace

Coordinator::Coordinator(runtime::pg::Pool& pool, PgStore& store, CoordinatorOptions options,
                         std::function<absl::Time()> clock, IdSource ids)
    : pool_(pool), store_(store), options_(std::move(options)), clock_(std::move(clock)), ids_(std::move(ids)) {
  InitMetrics();
}

const SagaDefinition& Coordinator::DefinitionOf(SagaType type) const {
  return type == SagaType::kPlaceOrder ? options_.place_order : options_.cancel_order;
}

void Coordinator::Persist(Tx& tx, const Saga& before, const Transition& t, const std::string& causation_id,
                          const std::string& traceparent, Batch* batch) {
  if (!t.changed) return;
  if (batch != nullptr) {
    batch->sagas[t.saga.id] = t.saga;
    batch->changed.insert(t.saga.id);
  } else {
    store_.Save(tx, t.saga);
  }
  Observe(&before, t.saga, t.sends);
  // A reply carries the flow's trace; a deadline's re-send or an operator's
  // action has none of its own and sends the saga's.
  const std::string& trace = traceparent.empty() ? t.saga.traceparent : traceparent;
  for (const Send& send : t.sends) {
    Emit(tx, CommandMessage(options_.topics, t.saga, send, causation_id, trace),
         batch != nullptr ? &batch->outbox : nullptr);
  }
  if (t.start_cancel_saga) {
    StartSaga(tx, options_.cancel_order, t.saga.order, causation_id, trace, false, batch);
  }
}

void Coordinator::StartSaga(Tx& tx, const SagaDefinition& def, const OrderData& order,
                            const std::string& causation_id, const std::string& traceparent,
                            bool cancel_first, Batch* batch) {
  Transition t = Start(def, SagaIdFor(order.order_id, def.type), order, clock_(), ids_);
  t.saga.traceparent = traceparent;
  if (cancel_first) {
    // The cancel came first: it stops the saga at its first reply.
    t.saga.cancel_requested = true;
  }
  if (batch != nullptr) {
    // The order's sagas were locked up front: one of this type means a
    // duplicate event (orders publishes OrderCreated again when a saga
    // seems lost). A cancel parked for the order is applied to that saga,
    // as if it came now, instead of being taken and forgotten.
    if (std::optional<Saga> existing = batch->FindByOrder(order.order_id, def.type)) {
      if (cancel_first) {
        Persist(tx, *existing, Apply(def, *existing, CancelRequested{}, clock_(), ids_), causation_id, traceparent,
                batch);
      }
      return;
    }
  }
  if (batch != nullptr && !batch->one_by_one) {
    // One started by someone else since shows at the batch's insert, which
    // then redoes the batch one by one.
    batch->started.push_back(t.saga.id);
  } else if (!store_.Insert(tx, t.saga)) {
    return;  // the order has one already (a duplicate event)
  }
  if (batch != nullptr) batch->sagas[t.saga.id] = t.saga;
  Observe(nullptr, t.saga, t.sends);
  for (const Send& send : t.sends) {
    Emit(tx, CommandMessage(options_.topics, t.saga, send, causation_id, traceparent),
         batch != nullptr ? &batch->outbox : nullptr);
  }
}

void Coordinator::HandleOne(Tx& tx, const Envelope& e, Batch& batch) {
  // Recorded in the inbox by this batch: handled here once. Otherwise a
  // duplicate, or an event the coordinator has no use for (OrderStatusChanged).
  if (batch.fresh.erase(e.message_id()) == 0) return;
  const absl::Time now = clock_();
  if (e.type() == pb::OrderCreated::descriptor()->full_name()) {
    pb::OrderCreated event;
    if (!runtime::messaging::Unwrap(e, &event).ok() || !runtime::ids::IsUuid(event.order_id())) return;
    const std::string key = absl::AsciiStrToLower(event.order_id());
    const bool cancelled = batch.one_by_one ? store_.TakeEarlyCancel(tx, event.order_id())
                                            : batch.cancels_taken.erase(key) > 0 ||
                                                  batch.cancels_recorded.erase(key) > 0;
    StartSaga(tx, options_.place_order, FromEvent(event), e.message_id(), e.traceparent(), cancelled, &batch);
    return;
  }
  if (e.type() == pb::OrderCancelRequested::descriptor()->full_name()) {
    pb::OrderCancelRequested event;
    if (!runtime::messaging::Unwrap(e, &event).ok() || !runtime::ids::IsUuid(event.order_id())) return;
    std::optional<Saga> saga = batch.FindByOrder(event.order_id(), SagaType::kPlaceOrder);
    if (!saga.has_value()) {
      if (batch.one_by_one) {
        store_.RecordEarlyCancel(tx, event.order_id());
      } else {
        batch.cancels_recorded.insert(absl::AsciiStrToLower(event.order_id()));
      }
      return;
    }
    Persist(tx, *saga, Apply(options_.place_order, *saga, CancelRequested{}, now, ids_), e.message_id(),
            e.traceparent(), &batch);
    return;
  }
  if (e.type() == pb::StepReply::descriptor()->full_name()) {
    pb::StepReply reply;
    if (!runtime::messaging::Unwrap(e, &reply).ok() || !runtime::ids::IsUuid(e.saga_id())) return;
    std::optional<Saga> saga = batch.Find(e.saga_id());
    if (!saga.has_value()) return;  // not one of ours (a command sent by hand)
    Persist(tx, *saga,
            Apply(DefinitionOf(saga->type), *saga, ReplyInput{e.causation_id(), reply.success(), reply.error()},
                  now, ids_),
            e.message_id(), e.traceparent(), &batch);
  }
  // Other events (OrderStatusChanged) concern others.
}

runtime::kafka::BatchResult Coordinator::Handle(const std::vector<runtime::kafka::IncomingMessage>& batch) {
  std::vector<Envelope> envelopes;
  for (const runtime::kafka::IncomingMessage& m : batch) {
    absl::StatusOr<Envelope> e = runtime::messaging::ParseEnvelope(m.value);
    if (!e.ok()) {
      if (envelopes.empty()) return {0, e.status()};  // dead-lettered by the consumer
      break;
    }
    envelopes.push_back(*std::move(e));
  }
  // Every saga the batch touches, locked up front in id order (those of
  // the orders whose events it holds too), and the messages it acts on,
  // recorded in the inbox at once.
  std::vector<std::string> saga_ids;
  std::vector<std::string> order_ids;
  std::vector<std::string> message_ids;
  std::map<std::string, std::string> created;  // message id -> order id
  for (const Envelope& e : envelopes) {
    const bool reply = e.type() == pb::StepReply::descriptor()->full_name();
    const bool cancel = e.type() == pb::OrderCancelRequested::descriptor()->full_name();
    const bool create = e.type() == pb::OrderCreated::descriptor()->full_name();
    if (reply || cancel || create) message_ids.push_back(e.message_id());
    if (reply && runtime::ids::IsUuid(e.saga_id())) {
      saga_ids.push_back(e.saga_id());
    } else if (cancel) {
      pb::OrderCancelRequested event;
      if (runtime::messaging::Unwrap(e, &event).ok() && runtime::ids::IsUuid(event.order_id())) {
        order_ids.push_back(event.order_id());
      }
    } else if (create) {
      pb::OrderCreated event;
      if (runtime::messaging::Unwrap(e, &event).ok() && runtime::ids::IsUuid(event.order_id())) {
        order_ids.push_back(event.order_id());
        created.emplace(e.message_id(), event.order_id());
      }
    }
  }
  // A saga started by someone else between the lock and the insert (two
  // coordinators during a rebalance) makes the batch run again, one message
  // at a time, exactly as before batching.
  bool conflict = false;
  auto run = [&](bool one_by_one) {
    return pool_.Transact([&](Tx& tx) -> absl::Status {
      runtime::pg::PreferGenericPlans(tx);
      conflict = false;
      Batch b;
      b.one_by_one = one_by_one;
      // The orders' locks first: a saga another coordinator is starting
      // (its row not yet committed, so LockAll would not wait for it) is
      // then seen, and a cancel of its order applied to it, not parked as
      // a cancel that came first.
      store_.LockOrders(tx, order_ids);
      for (Saga& saga : store_.LockAll(tx, saga_ids, order_ids)) b.sagas.emplace(saga.id, std::move(saga));
      for (std::string& id : runtime::messaging::RecordAllInInbox(tx, message_ids)) b.fresh.insert(std::move(id));
      if (!one_by_one) {
        std::vector<std::string> fresh_orders;
        for (const auto& [message_id, order_id] : created) {
          if (b.fresh.count(message_id) > 0) fresh_orders.push_back(order_id);
        }
        for (const std::string& id : store_.TakeEarlyCancels(tx, fresh_orders)) {
          b.cancels_taken.insert(absl::AsciiStrToLower(id));
        }
      }
      for (const Envelope& e : envelopes) HandleOne(tx, e, b);
      std::vector<const Saga*> started;
      for (const std::string& id : b.started) started.push_back(&b.sagas.at(id));
      if (options_.before_insert) options_.before_insert();
      if (store_.InsertAll(tx, started) != started.size()) {
        conflict = true;
        return absl::AbortedError("a saga of this batch was started elsewhere");
      }
      std::vector<const Saga*> changed;
      const std::set<std::string> inserted(b.started.begin(), b.started.end());
      for (const std::string& id : b.changed) {
        if (inserted.count(id) == 0) changed.push_back(&b.sagas.at(id));
      }
      store_.SaveAll(tx, changed);
      for (const std::string& order_id : b.cancels_recorded) store_.RecordEarlyCancel(tx, order_id);
      runtime::messaging::AppendAllToOutbox(tx, b.outbox);
      return absl::OkStatus();
    });
  };
  absl::Status s = run(false);
  if (conflict) s = run(true);
  if (!s.ok()) {
    // Never dead-lettered: a lost reply would stall its saga. Retried.
    return {0, runtime::kafka::IsTransient(s) ? s : absl::UnavailableError(absl::StrCat("batch failed: ", s.message()))};
  }
  return {envelopes.size(), envelopes.size() == batch.size()
                                ? absl::OkStatus()
                                : absl::InvalidArgumentError("message is not an envelope")};
}

absl::StatusOr<Saga> Coordinator::Operate(const std::string& saga_id, const Input& input,
                                          const runtime::idempotency::RequestKey& key) {
  if (!runtime::ids::IsUuid(saga_id)) return absl::NotFoundError("saga not found");
  return pool_.Transact<Saga>([&](Tx& tx) -> absl::StatusOr<Saga> {
    // A refusal rolls the claim back with the transaction: a retry runs afresh.
    absl::StatusOr<std::optional<pb::SagaRecord>> first =
        runtime::idempotency::ClaimAnswer<pb::SagaRecord>(tx, key);
    if (!first.ok()) return first.status();
    if (first->has_value()) return FromRecord(**first);
    std::optional<Saga> saga = store_.Lock(tx, saga_id);
    if (!saga.has_value()) return absl::NotFoundError("saga not found");
    Transition t = Apply(DefinitionOf(saga->type), *saga, input, clock_(), ids_);
    if (!t.refused.ok()) return t.refused;
    Persist(tx, *saga, t, "", "");
    runtime::idempotency::RecordAnswer(tx, key, ToRecord(t.saga));
    return t.saga;
  });
}

absl::Status Coordinator::UpdateGauges() {
  absl::StatusOr<std::vector<PgStore::Running>> running = pool_.Read<std::vector<PgStore::Running>>(
      [&](Tx& tx) -> absl::StatusOr<std::vector<PgStore::Running>> { return store_.CountRunning(tx); });
  if (!running.ok()) return running.status();
  Metrics& m = GetMetrics();
  for (SagaType type : {SagaType::kPlaceOrder, SagaType::kCancelOrder}) {
    double count = 0;
    double oldest = 0;
    for (const PgStore::Running& r : *running) {
      if (r.type == type) {
        count = static_cast<double>(r.count);
        oldest = r.oldest_age_seconds;
      }
    }
    m.in_flight.Add({{"type", TypeName(type)}}).Set(count);
    m.oldest_running.Add({{"type", TypeName(type)}}).Set(oldest);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Coordinator::ScanDeadlines(int limit) {
  std::vector<std::string> unreadable;
  absl::StatusOr<int> n = pool_.Transact<int>([&](Tx& tx) -> absl::StatusOr<int> {
    unreadable.clear();  // a retried transaction reads them again
    std::vector<Saga> due = store_.LockDue(tx, limit, &unreadable);
    const absl::Time now = clock_();
    for (const Saga& saga : due) {
      Persist(tx, saga, Apply(DefinitionOf(saga.type), saga, DeadlinePassed{}, now, ids_), "", "");
    }
    // A record another version wrote (a value this binary does not know,
    // after a rollback, or beside a newer coordinator during a rollout)
    // must not stop every other saga's deadlines: it is set aside for a
    // minute, logged and counted, and left as it is for a binary that reads
    // it. It stays running, so AgoraSagaStuck fires if nothing ever does.
    store_.Postpone(tx, unreadable, absl::Minutes(1));
    return static_cast<int>(due.size() + unreadable.size());
  });
  // Logged and counted once committed (not once per try of the transaction).
  if (n.ok() && !unreadable.empty()) {
    for (const std::string& id : unreadable) runtime::log::Error("saga_record_unreadable", {{"saga_id", id}});
    GetMetrics().unreadable.Add({}).Increment(static_cast<double>(unreadable.size()));
  }
  return n;
}

}  // namespace agora::saga
