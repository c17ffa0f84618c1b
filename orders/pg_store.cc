#include "orders/pg_store.h"

#include <map>
#include <set>

#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orders/convert.h"
#include "orders/events.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/outbox.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"
#include "runtime/status/reason.h"

namespace agora::orders {
namespace {

using runtime::messaging::AppendToOutbox;
using runtime::messaging::OutboxMessage;
using runtime::pg::Exec;
using runtime::pg::Tx;

// Every order query selects an order's columns then one line's: one row per
// line, the rows of an order together, its lines in line_no order.
#define ORDER_COLUMNS                                                                        \
  "o.id::text, o.customer_id::text, o.status, COALESCE(o.rejection_reason, ''), "            \
  "o.total_cents, o.from_cart, o.cancel_requested_at IS NOT NULL, "                          \
  "(extract(epoch FROM o.created_at) * 1000000)::bigint, "                                   \
  "(extract(epoch FROM o.updated_at) * 1000000)::bigint, "                                   \
  "i.product_id::text, i.quantity, i.unit_price_cents, i.on_sale"
constexpr int kOrderColumnCount = 13;

#define MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

std::vector<Order> Collect(const pqxx::result& rows) {
  std::vector<Order> orders;
  for (const auto& r : rows) {
    const std::string id = r[0].as<std::string>();
    if (orders.empty() || orders.back().id != id) {
      Order o;
      o.id = id;
      o.customer_id = r[1].as<std::string>();
      // The CHECK constraints keep both names among the known ones.
      o.status = StatusFromName(r[2].as<std::string>()).value_or(Status::kPending);
      o.rejection_reason = ReasonFromName(r[3].as<std::string>()).value_or(RejectionReason::kNone);
      o.total_cents = r[4].as<int64_t>();
      o.from_cart = r[5].as<bool>();
      o.cancel_requested = r[6].as<bool>();
      o.created_at = absl::FromUnixMicros(r[7].as<int64_t>());
      o.updated_at = absl::FromUnixMicros(r[8].as<int64_t>());
      orders.push_back(std::move(o));
    }
    orders.back().lines.push_back(
        Line{r[9].as<std::string>(), r[10].as<int64_t>(), r[11].as<int64_t>(), r[12].as<bool>()});
  }
  return orders;
}

absl::Status NotFound(const std::string& id) {
  // A malformed id is not echoed: it may be anything.
  return absl::NotFoundError(runtime::ids::IsUuid(id) ? absl::StrCat("order ", id, " not found")
                                                      : std::string("order not found"));
}

template <typename T, typename Fn>
std::string ArrayLiteral(const std::vector<Line>& lines, Fn field) {
  std::vector<T> values;
  for (const Line& l : lines) values.push_back(field(l));
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// ---- reads

constexpr char kGet[] = "SELECT " ORDER_COLUMNS
                        " FROM orders o JOIN order_items i ON i.order_id = o.id "
                        "WHERE o.id = $1 ORDER BY i.line_no";
// Newest first: the customer's orders by orders_by_customer, each one's lines by their key.
constexpr char kFindPurchase[] =
    "SELECT o.id::text FROM orders o WHERE o.customer_id = $1 AND o.status IN ('APPROVED', 'SHIPPED') "
    "AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = $2) "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT 1";
constexpr char kFindKeyed[] = "SELECT " ORDER_COLUMNS
                              ", k.request_hash FROM idempotency_keys k "
                              "JOIN orders o ON o.id = k.order_id "
                              "JOIN order_items i ON i.order_id = o.id "
                              "WHERE k.customer_id = $1 AND k.key = $2 ORDER BY i.line_no";

// One row more than the page (LIMIT $3 = page_size + 1) tells whether
// another page follows. NULL $1 / $2: every customer / every status.
#define LIST_PAGE(after)                                                                    \
  "WITH page AS (SELECT * FROM orders "                                                     \
  "WHERE ($1::uuid IS NULL OR customer_id = $1::uuid) AND ($2::text IS NULL OR status = $2) " \
  after " ORDER BY created_at DESC, id DESC LIMIT $3) "                                     \
  "SELECT " ORDER_COLUMNS " FROM page o JOIN order_items i ON i.order_id = o.id "          \
  "ORDER BY o.created_at DESC, o.id DESC, i.line_no"
constexpr char kListFirst[] = LIST_PAGE("");
constexpr char kListAfter[] = LIST_PAGE(
    "AND (created_at, id) < ('epoch'::timestamptz + $4 * interval '1 microsecond', $5::uuid)");

std::optional<KeyedOrder> Keyed(const pqxx::result& rows) {
  std::vector<Order> orders = Collect(rows);
  if (orders.empty()) return std::nullopt;
  return KeyedOrder{rows[0][kOrderColumnCount].as<std::string>(), std::move(orders[0])};
}

}  // namespace

absl::StatusOr<std::optional<KeyedOrder>> PgStore::FindByIdempotencyKey(
    const std::string& customer_id, const std::string& key) {
  if (!runtime::ids::IsUuid(customer_id)) return std::optional<KeyedOrder>();
  return pool_.Read<std::optional<KeyedOrder>>(
      [&](Tx& tx) -> absl::StatusOr<std::optional<KeyedOrder>> {
        return Keyed(Exec(tx, kFindKeyed, customer_id, key));
      });
}

absl::StatusOr<Order> PgStore::Get(const std::string& id) {
  if (!runtime::ids::IsUuid(id)) return NotFound(id);
  return pool_.Read<Order>([&](Tx& tx) -> absl::StatusOr<Order> {
    std::vector<Order> orders = Collect(Exec(tx, kGet, id));
    if (orders.empty()) return NotFound(id);
    return std::move(orders[0]);
  });
}

absl::StatusOr<std::optional<Order>> PgStore::FindPurchase(const std::string& customer_id,
                                                           const std::string& product_id) {
  if (!runtime::ids::IsUuid(customer_id) || !runtime::ids::IsUuid(product_id)) return std::optional<Order>();
  return pool_.Read<std::optional<Order>>([&](Tx& tx) -> absl::StatusOr<std::optional<Order>> {
    pqxx::result found = Exec(tx, kFindPurchase, customer_id, product_id);
    if (found.empty()) return std::optional<Order>();
    std::vector<Order> orders = Collect(Exec(tx, kGet, found[0][0].as<std::string>()));
    if (orders.empty()) return std::optional<Order>();
    return std::optional<Order>(std::move(orders[0]));
  });
}

absl::StatusOr<OrderPage> PgStore::List(const ListQuery& query) {
  std::optional<std::string> status;
  if (query.status.has_value()) status = StatusName(*query.status);
  return pool_.Read<OrderPage>([&](Tx& tx) -> absl::StatusOr<OrderPage> {
    const int limit = query.page_size + 1;
    pqxx::result rows =
        query.after.has_value()
            ? Exec(tx, kListAfter, query.customer_id, status, limit,
                   absl::ToUnixMicros(query.after->created_at), query.after->id)
            : Exec(tx, kListFirst, query.customer_id, status, limit);
    OrderPage page;
    page.orders = Collect(rows);
    if (static_cast<int>(page.orders.size()) > query.page_size) {
      page.orders.resize(static_cast<size_t>(query.page_size));
      page.next = PageCursor{page.orders.back().created_at, page.orders.back().id};
    }
    return page;
  });
}

// ---- create

namespace {
// Claims the key before the order exists (the foreign key is deferred): a
// concurrent request with the same key waits here until this one ends.
constexpr char kClaimKey[] =
    "INSERT INTO idempotency_keys (customer_id, key, request_hash, order_id) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id, key) DO NOTHING";
// The order, its lines and its OrderCreated message in one statement (the
// lines' foreign key is checked at the statement's end, when the order's row
// is there). Without an idempotency key it is the whole transaction.
constexpr char kInsertOrder[] =
    "WITH o AS (INSERT INTO orders (id, customer_id, status, total_cents, from_cart) "
    "VALUES ($1, $2, 'PENDING', $3, $4) RETURNING created_at, updated_at), "
    "i AS (INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents, on_sale) "
    "SELECT $1::uuid, t.n, t.product_id, t.quantity, t.price, t.on_sale "
    "FROM unnest($5::uuid[], $6::integer[], $7::bigint[], $12::boolean[]) WITH ORDINALITY "
    "AS t(product_id, quantity, price, on_sale, n)), "
    "m AS (INSERT INTO outbox (topic, message_key, message_id, payload) VALUES ($8, $9, $10, $11)) "
    "SELECT " MICROS("created_at") ", " MICROS("updated_at") " FROM o";
}  // namespace

absl::StatusOr<CreateResult> PgStore::Create(const NewOrder& n, const EnvelopeContext& context) {
  Order order;
  order.id = n.id;
  order.customer_id = n.customer_id;
  order.status = Status::kPending;
  order.lines = n.lines;
  order.total_cents = n.total_cents;
  order.from_cart = n.from_cart;
  const OutboxMessage created = OrderCreatedMessage(events_topic_, order, context);
  const std::string payload = created.envelope.SerializeAsString();
  auto insert = [&](Tx& tx) -> absl::StatusOr<CreateResult> {
    runtime::pg::NoteOutboxAppend(tx);
    pqxx::result times = Exec(tx, kInsertOrder, n.id, n.customer_id, n.total_cents, n.from_cart,
         ArrayLiteral<std::string>(n.lines, [](const Line& l) { return l.product_id; }),
         ArrayLiteral<int64_t>(n.lines, [](const Line& l) { return l.quantity; }),
         ArrayLiteral<int64_t>(n.lines, [](const Line& l) { return l.unit_price_cents; }),
         created.topic, created.key, created.envelope.message_id(),
         pqxx::binarystring(payload.data(), payload.size()),
         ArrayLiteral<std::string>(n.lines, [](const Line& l) { return l.on_sale ? "t" : "f"; }));
    Order o = order;
    o.created_at = absl::FromUnixMicros(times[0][0].as<int64_t>());
    o.updated_at = absl::FromUnixMicros(times[0][1].as<int64_t>());
    return CreateResult{std::move(o), true};
  };
  if (n.idempotency_key.empty()) return pool_.WriteOne<CreateResult>(insert);
  return pool_.Transact<CreateResult>([&](Tx& tx) -> absl::StatusOr<CreateResult> {
    if (Exec(tx, kClaimKey, n.customer_id, n.idempotency_key, n.request_hash, n.id).affected_rows() == 0) {
      std::optional<KeyedOrder> earlier = Keyed(Exec(tx, kFindKeyed, n.customer_id, n.idempotency_key));
      if (!earlier.has_value()) return absl::AbortedError("idempotency key row vanished");
      if (earlier->request_hash != n.request_hash) {
        return runtime::status::WithReason(
            absl::AlreadyExistsError("this idempotency key was already used for a different order request"),
            "IDEMPOTENCY_KEY_REUSED");
      }
      return CreateResult{AsCreated(std::move(earlier->order)), false};
    }
    return insert(tx);
  });
}

// ---- status changes

namespace {
// Locks the order's row (not its lines) until the transaction ends: changes
// of one order queue here, so each sees the status the previous one left.
constexpr char kLock[] = "SELECT " ORDER_COLUMNS
                         " FROM orders o JOIN order_items i ON i.order_id = o.id "
                         "WHERE o.id = $1 ORDER BY i.line_no FOR UPDATE OF o";
// clock_timestamp: a change that waited for the lock is still later than
// the one it waited for.
constexpr char kSetStatus[] =
    "UPDATE orders SET status = $2, rejection_reason = $3, updated_at = clock_timestamp() "
    "WHERE id = $1 RETURNING " MICROS("updated_at");
constexpr char kRecordCancel[] =
    "UPDATE orders SET cancel_requested_at = clock_timestamp(), updated_at = clock_timestamp() "
    "WHERE id = $1 RETURNING " MICROS("updated_at");
}  // namespace

absl::StatusOr<ChangeResult> PgStore::Apply(const std::string& id, const Change& change,
                                            const std::optional<std::string>& owner,
                                            const EnvelopeContext& context,
                                            const runtime::idempotency::RequestKey& key) {
  if (!runtime::ids::IsUuid(id)) return NotFound(id);
  return pool_.Transact<ChangeResult>([&](Tx& tx) -> absl::StatusOr<ChangeResult> {
    absl::StatusOr<std::optional<pb::Order>> first = runtime::idempotency::ClaimAnswer<pb::Order>(tx, key);
    if (!first.ok()) return first.status();
    if (first->has_value()) {  // a repeat: the first call's answer, nothing changes
      absl::StatusOr<Order> order = FromProto(**first);
      if (!order.ok()) return order.status();
      return ChangeResult{std::move(*order), false, {}};
    }
    absl::StatusOr<ChangeResult> applied = ApplyIn(tx, id, change, owner, context);
    if (applied.ok()) {
      pb::Order answer;
      ToProto(applied->order, &answer);
      runtime::idempotency::RecordAnswer(tx, key, answer);
    }
    return applied;
  });
}

absl::StatusOr<ChangeResult> PgStore::ApplyIn(Tx& tx, const std::string& id, const Change& change,
                                                  const std::optional<std::string>& owner,
                                                  const EnvelopeContext& context) {
  std::vector<Order> locked = Collect(Exec(tx, kLock, id));
  if (locked.empty()) return NotFound(id);
  ChangeResult result{std::move(locked[0]), false, {}};
  Order& order = result.order;
  if (owner.has_value() && *owner != order.customer_id) return NotFound(id);
  absl::StatusOr<Step> step = Transition({order.status, order.cancel_requested}, change.event);
  if (!step.ok()) return step.status();
  result.step = *step;
  switch (step->effect) {
    case Effect::kNone:
      return result;
    case Effect::kSetStatus: {
      const bool rejected = step->status == Status::kRejected;
      const RejectionReason rejection =
          rejected ? ReasonOfRejection({order.status, order.cancel_requested}, change.reason) : RejectionReason::kNone;
      std::optional<std::string> reason;
      if (rejected) reason = ReasonName(rejection);
      pqxx::result r = Exec(tx, kSetStatus, id, StatusName(step->status), reason);
      order.status = step->status;
      order.rejection_reason = rejection;
      order.updated_at = absl::FromUnixMicros(r[0][0].as<int64_t>());
      AppendToOutbox(tx, StatusChangedMessage(events_topic_, order, context));
      if (change.event == Event::kRequestCancel) {
        AppendToOutbox(tx, CancelRequestedMessage(events_topic_, order, context));
      }
      break;
    }
    case Effect::kRecordCancelRequest: {
      pqxx::result r = Exec(tx, kRecordCancel, id);
      order.cancel_requested = true;
      order.updated_at = absl::FromUnixMicros(r[0][0].as<int64_t>());
      AppendToOutbox(tx, CancelRequestedMessage(events_topic_, order, context));
      break;
    }
  }
  result.changed = true;
  return result;
}

namespace {
constexpr char kLockAll[] = "SELECT " ORDER_COLUMNS
                            " FROM orders o JOIN order_items i ON i.order_id = o.id "
                            "WHERE o.id = ANY($1::uuid[]) ORDER BY o.id, i.line_no FOR UPDATE OF o";
// Each row its own clock_timestamp, as one by one.
constexpr char kSetStatusAll[] =
    "UPDATE orders o SET status = u.status, rejection_reason = NULLIF(u.reason, ''), "
    "updated_at = clock_timestamp() FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, status, reason) "
    "WHERE o.id = u.id RETURNING o.id::text, " MICROS("o.updated_at");
}  // namespace

std::vector<absl::StatusOr<ChangeResult>> PgStore::ApplyBatchIn(Tx& tx, const std::vector<BatchChange>& changes) {
  std::vector<absl::StatusOr<ChangeResult>> results;
  std::set<std::string> ids;
  bool plain = true;  // each order once, status changes only
  for (const BatchChange& c : changes) {
    plain = plain && ids.insert(absl::AsciiStrToLower(c.order_id)).second && c.change.event != Event::kRequestCancel;
  }
  auto one_by_one = [&] {
    results.clear();
    for (const BatchChange& c : changes) results.push_back(ApplyIn(tx, c.order_id, c.change, std::nullopt, c.context));
    return results;
  };
  if (!plain) return one_by_one();
  std::map<std::string, Order> locked;
  for (Order& o : Collect(Exec(tx, kLockAll, runtime::pg::TextArray({ids.begin(), ids.end()})))) {
    locked.emplace(o.id, std::move(o));
  }
  std::vector<std::string> set_ids, set_statuses, set_reasons;
  for (const BatchChange& c : changes) {
    auto it = locked.find(absl::AsciiStrToLower(c.order_id));
    if (it == locked.end()) {
      results.push_back(NotFound(c.order_id));
      continue;
    }
    ChangeResult result{it->second, false, {}};
    absl::StatusOr<Step> step = Transition({result.order.status, result.order.cancel_requested}, c.change.event);
    if (!step.ok()) {
      results.push_back(step.status());
      continue;
    }
    result.step = *step;
    if (step->effect == Effect::kRecordCancelRequest) return one_by_one();  // not a status change: as ApplyIn does
    if (step->effect == Effect::kSetStatus) {
      const bool rejected = step->status == Status::kRejected;
      const RejectionReason rejection =
          rejected ? ReasonOfRejection({result.order.status, result.order.cancel_requested}, c.change.reason)
                   : RejectionReason::kNone;
      result.order.status = step->status;
      result.order.rejection_reason = rejection;
      result.changed = true;
      set_ids.push_back(result.order.id);
      set_statuses.push_back(StatusName(step->status));
      set_reasons.push_back(rejected ? ReasonName(rejection) : "");
    }
    results.push_back(std::move(result));
  }
  if (set_ids.empty()) return results;
  std::map<std::string, absl::Time> updated;
  for (const auto& row : Exec(tx, kSetStatusAll, runtime::pg::TextArray(set_ids), runtime::pg::TextArray(set_statuses),
                              runtime::pg::TextArray(set_reasons))) {
    updated[row[0].as<std::string>()] = absl::FromUnixMicros(row[1].as<int64_t>());
  }
  std::vector<runtime::messaging::OutboxMessage> events;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (!results[i].ok() || !results[i]->changed) continue;
    Order& order = results[i]->order;
    order.updated_at = updated.at(order.id);
    events.push_back(StatusChangedMessage(events_topic_, order, changes[i].context));
  }
  runtime::messaging::AppendAllToOutbox(tx, events);
  return results;
}

namespace {
constexpr char kStalled[] =
    "SELECT id::text FROM orders WHERE status = 'PENDING' "
    "AND updated_at < now() - $1 * interval '1 millisecond' "
    "AND (reemitted_at IS NULL OR reemitted_at < now() - $1 * interval '1 millisecond') "
    "ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED";
constexpr char kReemitted[] = "UPDATE orders SET reemitted_at = now() WHERE id = $1";
}  // namespace

absl::StatusOr<int> PgStore::ReemitStalled(absl::Duration age, int limit) {
  return pool_.Transact<int>([&](Tx& tx) -> absl::StatusOr<int> {
    int n = 0;
    for (const auto& row : Exec(tx, kStalled, absl::ToInt64Milliseconds(age), limit)) {
      const std::string id = row[0].as<std::string>();
      std::vector<Order> orders = Collect(Exec(tx, kGet, id));
      if (orders.empty()) continue;
      const Order& order = orders[0];
      AppendToOutbox(tx, OrderCreatedMessage(events_topic_, order, {}));
      if (order.cancel_requested) AppendToOutbox(tx, CancelRequestedMessage(events_topic_, order, {}));
      Exec(tx, kReemitted, id);
      ++n;
    }
    return n;
  });
}

}  // namespace agora::orders
