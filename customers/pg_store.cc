#include "customers/pg_store.h"

#include <limits>
#include <map>
#include <set>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "runtime/ids/uuid.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"
#include "runtime/status/reason.h"

namespace agora::customers {
namespace {

using runtime::pg::Exec;
using runtime::pg::TextArray;
using runtime::pg::Tx;

#define CUSTOMER_COLUMNS                                                               \
  "id::text, coalesce(email_as_given, email), display_name, balance_cents, array_to_string(roles, ','), " \
  "(extract(epoch FROM created_at) * 1000000)::bigint"

Customer ToCustomer(const pqxx::row& r) {
  Customer c;
  c.id = r[0].as<std::string>();
  c.email = r[1].as<std::string>();
  c.display_name = r[2].as<std::string>();
  c.balance_cents = r[3].as<int64_t>();
  const std::string roles = r[4].as<std::string>();
  c.roles = roles.empty() ? std::vector<std::string>{} : absl::StrSplit(roles, ',');
  c.created_at = absl::FromUnixMicros(r[5].as<int64_t>());
  return c;
}

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

std::string RolesArray(const std::vector<std::string>& roles) {
  return absl::StrCat("{", absl::StrJoin(roles, ","), "}");
}

absl::Status NoSuchCustomer() { return absl::NotFoundError("customer not found"); }

// ---- accounts

constexpr char kInsertCustomer[] =
    "INSERT INTO customers (id, email, display_name, password_hash, roles, email_as_given) "
    "VALUES ($1, $2, $3, $4, $5::text[], NULLIF($6, '')) RETURNING " CUSTOMER_COLUMNS;
constexpr char kInsertIfAbsent[] =
    "INSERT INTO customers (id, email, display_name, password_hash, roles, email_as_given) "
    "VALUES ($1, $2, $3, $4, $5::text[], NULLIF($6, '')) ON CONFLICT (email) DO NOTHING";
constexpr char kById[] = "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id = $1";
constexpr char kByEmail[] = "SELECT " CUSTOMER_COLUMNS ", password_hash FROM customers WHERE email = $1";

}  // namespace

absl::StatusOr<Customer> PgStore::CreateCustomer(const NewAccount& a) {
  const std::string id = runtime::ids::NewUuid();
  absl::StatusOr<Customer> c = pool_.Transact<Customer>([&](Tx& tx) -> absl::StatusOr<Customer> {
    return ToCustomer(
        Exec(tx, kInsertCustomer, id, a.email, a.display_name, a.password_hash, RolesArray(a.roles),
             a.email_as_given)[0]);
  });
  if (c.status().code() == absl::StatusCode::kAlreadyExists) {
    return runtime::status::WithReason(absl::AlreadyExistsError("an account with this email exists"), "EMAIL_TAKEN");
  }
  return c;
}

absl::Status PgStore::EnsureAccount(const NewAccount& a) {
  const std::string id = runtime::ids::NewUuid();
  return pool_.Transact([&](Tx& tx) {
    Exec(tx, kInsertIfAbsent, id, a.email, a.display_name, a.password_hash, RolesArray(a.roles), a.email_as_given);
    return absl::OkStatus();
  });
}

absl::StatusOr<Customer> PgStore::GetCustomer(const std::string& id) {
  if (!runtime::ids::IsUuid(id)) return NoSuchCustomer();
  return pool_.Read<Customer>([&](Tx& tx) -> absl::StatusOr<Customer> {
    pqxx::result r = Exec(tx, kById, id);
    if (r.empty()) return NoSuchCustomer();
    return ToCustomer(r[0]);
  });
}

absl::StatusOr<Credentials> PgStore::FindByEmail(const std::string& email) {
  return pool_.Read<Credentials>([&](Tx& tx) -> absl::StatusOr<Credentials> {
    pqxx::result r = Exec(tx, kByEmail, email);
    if (r.empty()) return NoSuchCustomer();
    return Credentials{ToCustomer(r[0]), r[0][6].as<std::string>()};
  });
}

namespace {
constexpr char kSetPassword[] = "UPDATE customers SET password_hash = $2 WHERE id = $1";
constexpr char kRevokeAll[] =
    "UPDATE refresh_families SET revoked_at = now() WHERE customer_id = $1 AND revoked_at IS NULL";
}  // namespace

absl::Status PgStore::ResetPassword(const std::string& customer_id, const std::string& password_hash) {
  if (!runtime::ids::IsUuid(customer_id)) return NoSuchCustomer();
  return pool_.Transact([&](Tx& tx) {
    if (Exec(tx, kSetPassword, customer_id, password_hash).affected_rows() == 0) return NoSuchCustomer();
    Exec(tx, kRevokeAll, customer_id);
    return absl::OkStatus();
  });
}

// ---- refresh-token families

namespace {
constexpr char kNewFamily[] = "INSERT INTO refresh_families (id, customer_id) VALUES ($1, $2)";
constexpr char kNewToken[] =
    "INSERT INTO refresh_tokens (token_hash, family_id, expires_at) "
    "VALUES ($1, $2, 'epoch'::timestamptz + $3 * interval '1 microsecond')";
// Locks the token and its family: concurrent refreshes of one token queue
// here, and the second re-reads the token after the first spent it (locking
// only the family would leave it a stale "unspent" view).
constexpr char kFindToken[] =
    "SELECT t.family_id::text, t.spent_at IS NOT NULL, t.expires_at < now(), "
    "f.revoked_at IS NOT NULL, f.customer_id::text "
    "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
    "WHERE t.token_hash = $1 FOR UPDATE OF t, f";
constexpr char kSpend[] = "UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1";
constexpr char kRevoke[] =
    "UPDATE refresh_families SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL";

enum class Rotation { kRotated, kUnknown, kExpired, kRevoked, kReused };
}  // namespace

absl::StatusOr<std::string> PgStore::StartFamily(const std::string& customer_id, const std::string& token_hash,
                                                 absl::Time expires_at) {
  const std::string family = runtime::ids::NewUuid();
  absl::Status s = pool_.Transact([&](Tx& tx) {
    Exec(tx, kNewFamily, family, customer_id);
    Exec(tx, kNewToken, Bytes(token_hash), family, absl::ToUnixMicros(expires_at));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return family;
}

absl::StatusOr<Session> PgStore::RotateRefreshToken(const std::string& token_hash, const std::string& next_hash,
                                                    absl::Time next_expires_at) {
  std::string customer_id;
  std::string family_id;
  // The transaction commits in every case, so that a detected reuse keeps
  // its revocation; the outcome becomes a status afterwards.
  absl::StatusOr<Rotation> outcome = pool_.Transact<Rotation>([&](Tx& tx) -> absl::StatusOr<Rotation> {
    pqxx::result r = Exec(tx, kFindToken, Bytes(token_hash));
    if (r.empty()) return Rotation::kUnknown;
    const std::string family = r[0][0].as<std::string>();
    family_id = family;
    customer_id = r[0][4].as<std::string>();
    if (r[0][3].as<bool>()) return Rotation::kRevoked;
    if (r[0][1].as<bool>()) {
      Exec(tx, kRevoke, family);
      return Rotation::kReused;
    }
    if (r[0][2].as<bool>()) return Rotation::kExpired;
    Exec(tx, kSpend, Bytes(token_hash));
    Exec(tx, kNewToken, Bytes(next_hash), family, absl::ToUnixMicros(next_expires_at));
    return Rotation::kRotated;
  });
  if (!outcome.ok()) return outcome.status();
  switch (*outcome) {
    case Rotation::kRotated: {
      absl::StatusOr<Customer> c = GetCustomer(customer_id);
      if (!c.ok()) return c.status();
      return Session{*std::move(c), family_id};
    }
    case Rotation::kReused:
      return absl::UnauthenticatedError("refresh token already used; its session is revoked");
    case Rotation::kExpired: return absl::UnauthenticatedError("refresh token expired");
    case Rotation::kRevoked: return absl::UnauthenticatedError("refresh token revoked");
    case Rotation::kUnknown: break;
  }
  return absl::UnauthenticatedError("invalid refresh token");
}

absl::Status PgStore::RevokeFamily(const std::string& token_hash) {
  return pool_.Transact([&](Tx& tx) {
    pqxx::result r = Exec(tx, kFindToken, Bytes(token_hash));
    if (!r.empty()) Exec(tx, kRevoke, r[0][0].as<std::string>());
    return absl::OkStatus();
  });
}

namespace {
constexpr char kRevokedWithin[] =
    "SELECT id::text FROM refresh_families "
    "WHERE revoked_at > now() - $1 * interval '1 microsecond' ORDER BY revoked_at DESC LIMIT $2";
}  // namespace

absl::StatusOr<RevokedFamilies> PgStore::ListRevokedFamilies(absl::Duration window, int limit) {
  return pool_.Read<RevokedFamilies>([&](Tx& tx) -> absl::StatusOr<RevokedFamilies> {
    pqxx::result r = Exec(tx, kRevokedWithin, absl::ToInt64Microseconds(window), limit + 1);
    RevokedFamilies out;
    out.truncated = r.size() > static_cast<size_t>(limit);
    for (const auto& row : r) {
      if (out.ids.size() == static_cast<size_t>(limit)) break;
      out.ids.push_back(row[0].as<std::string>());
    }
    return out;
  });
}

// ---- balance and ledger

namespace {
constexpr char kClaimKey[] =
    "INSERT INTO topup_keys (customer_id, key, amount_cents) VALUES ($1, $2, $3) "
    "ON CONFLICT (customer_id, key) DO NOTHING";
constexpr char kKeyAnswer[] =
    "SELECT amount_cents, balance_cents FROM topup_keys WHERE customer_id = $1 AND key = $2";
constexpr char kKeyDone[] =
    "UPDATE topup_keys SET balance_cents = $3 WHERE customer_id = $1 AND key = $2";
// Leaves room for what may be refunded (customers_balance_and_refundable_fit),
// so that a refund can never overflow.
constexpr char kCredit[] =
    "UPDATE customers SET balance_cents = balance_cents + $2 "
    "WHERE id = $1 AND balance_cents <= 9223372036854775807 - refundable_cents - $2::bigint "
    "RETURNING balance_cents";
constexpr char kExists[] = "SELECT 1 FROM customers WHERE id = $1";
constexpr char kLedger[] =
    "INSERT INTO ledger (id, customer_id, kind, amount_cents, order_id) VALUES ($1, $2, $3, $4, $5)";
// created_at is the row's write time (migrations/0005_ledger_order.sql); the
// cursor's time is passed as text, which PostgreSQL reads to the microsecond.
constexpr char kListLedger[] =
    "SELECT seq, id::text, kind, amount_cents, COALESCE(order_id::text, ''), "
    "(extract(epoch FROM created_at) * 1000000)::bigint FROM ledger "
    "WHERE customer_id = $1 AND (created_at, seq) < ($2::timestamptz, $3) "
    "ORDER BY created_at DESC, seq DESC LIMIT $4";
constexpr char kLedgerEntryTime[] =
    "SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM ledger WHERE seq = $1 AND customer_id = $2";

// Adds `amount` (may be negative only through kDebit) and writes its ledger row.
absl::StatusOr<int64_t> Credit(Tx& tx, const std::string& customer_id, int64_t amount,
                               const char* kind, const std::optional<std::string>& order_id) {
  pqxx::result r = Exec(tx, kCredit, customer_id, amount);
  if (r.empty()) {
    if (Exec(tx, kExists, customer_id).empty()) return NoSuchCustomer();
    return absl::OutOfRangeError("the balance would exceed the largest representable amount");
  }
  Exec(tx, kLedger, runtime::ids::NewUuid(), customer_id, kind, amount, order_id);
  return r[0][0].as<int64_t>();
}

LedgerKind KindOf(const std::string& kind) {
  if (kind == "ORDER_DEBIT") return LedgerKind::kOrderDebit;
  if (kind == "ORDER_REFUND") return LedgerKind::kOrderRefund;
  return LedgerKind::kTopUp;
}
}  // namespace

namespace {
constexpr char kLockCustomer[] = "SELECT 1 FROM customers WHERE id = $1 FOR UPDATE";
// Under the customer's row lock (kLockCustomer), so that concurrent top-ups
// cannot both pass the cap.
constexpr char kToppedUpToday[] =
    "SELECT COALESCE(sum(amount_cents), 0)::bigint FROM ledger "
    "WHERE customer_id = $1 AND kind = 'TOP_UP' AND created_at > now() - interval '1 day'";
}  // namespace

absl::StatusOr<int64_t> PgStore::TopUp(const std::string& customer_id, int64_t amount_cents,
                                       const std::string& key, int64_t daily_cap_cents) {
  if (!runtime::ids::IsUuid(customer_id)) return NoSuchCustomer();
  return pool_.Transact<int64_t>([&](Tx& tx) -> absl::StatusOr<int64_t> {
    // The customer's row first, before the key's insert takes its KEY SHARE
    // lock: taken the other way round, concurrent top-ups deadlock.
    if (Exec(tx, kLockCustomer, customer_id).empty()) return NoSuchCustomer();
    if (!key.empty() && Exec(tx, kClaimKey, customer_id, key, amount_cents).affected_rows() == 0) {
      // A repeat: the first request (committed by now: the insert waited) answers.
      pqxx::result first = Exec(tx, kKeyAnswer, customer_id, key);
      if (first[0][0].as<int64_t>() != amount_cents) {
        return runtime::status::WithReason(absl::AlreadyExistsError("this idempotency key was used for another amount"),
                                             "IDEMPOTENCY_KEY_REUSED");
      }
      return first[0][1].as<int64_t>();
    }
    const int64_t today = Exec(tx, kToppedUpToday, customer_id)[0][0].as<int64_t>();
    if (today > daily_cap_cents - amount_cents) {
      return runtime::status::WithReason(
          absl::FailedPreconditionError(absl::StrCat("top-ups are limited to ", daily_cap_cents,
                                                     " cents in 24 hours")),
          "TOP_UP_LIMIT");
    }
    absl::StatusOr<int64_t> balance =
        Credit(tx, customer_id, amount_cents, "TOP_UP", std::optional<std::string>());
    if (balance.ok() && !key.empty()) Exec(tx, kKeyDone, customer_id, key, *balance);
    return balance;
  });
}

absl::StatusOr<LedgerPage> PgStore::ListLedger(const std::string& customer_id, int page_size,
                                               std::optional<LedgerCursor> after) {
  return pool_.Read<LedgerPage>([&](Tx& tx) -> absl::StatusOr<LedgerPage> {
    std::string after_time = "infinity";
    int64_t after_seq = std::numeric_limits<int64_t>::max();
    if (after.has_value()) {
      after_seq = after->seq;
      absl::Time time;
      if (after->created_at.has_value()) {
        time = *after->created_at;
      } else {
        pqxx::result r = Exec(tx, kLedgerEntryTime, after->seq, customer_id);
        if (r.empty()) return absl::InvalidArgumentError("pageToken is invalid");
        time = absl::FromUnixMicros(r[0][0].as<int64_t>());
      }
      after_time = absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", time, absl::UTCTimeZone());
    }
    pqxx::result rows = Exec(tx, kListLedger, customer_id, after_time, after_seq, page_size + 1);
    LedgerPage page;
    for (const auto& r : rows) {
      if (static_cast<int>(page.entries.size()) == page_size) {
        page.next = LedgerCursor{page.entries.back().created_at, page.entries.back().seq};
        break;
      }
      page.entries.push_back(LedgerEntry{r[0].as<int64_t>(), r[1].as<std::string>(),
                                         KindOf(r[2].as<std::string>()), r[3].as<int64_t>(),
                                         r[4].as<std::string>(),
                                         absl::FromUnixMicros(r[5].as<int64_t>())});
    }
    return page;
  });
}

namespace {
constexpr char kClaimPayment[] =
    "INSERT INTO order_payments (order_id, customer_id, state) VALUES ($1, $2, $3) "
    "ON CONFLICT (order_id) DO NOTHING";
// The same for a customer that exists (nothing claimed otherwise), in one
// round trip.
constexpr char kClaimPaymentOfCustomer[] =
    "INSERT INTO order_payments (order_id, customer_id, state) "
    "SELECT $1::uuid, $2::uuid, $3::text WHERE EXISTS (SELECT 1 FROM customers WHERE id = $2::uuid) "
    "ON CONFLICT (order_id) DO NOTHING";
constexpr char kPayment[] =
    "SELECT state, amount_cents, customer_id::text, cart_products::text[], cart_quantities "
    "FROM order_payments WHERE order_id = $1 FOR UPDATE";
constexpr char kSetPayment[] =
    "UPDATE order_payments SET state = $2, amount_cents = $3, updated_at = now() WHERE order_id = $1";
constexpr char kSetPaymentCart[] =
    "UPDATE order_payments SET cart_products = $2::uuid[], cart_quantities = $3::integer[] "
    "WHERE order_id = $1";
// A conditional UPDATE: never below zero, whatever runs concurrently. The
// cents move to refundable_cents: balance + refundable stays the same.
// With its ledger row and the payment's new state, in one round trip (the
// payment's row was claimed earlier in the transaction); no row when the
// balance is short, and then nothing changed.
constexpr char kDebit[] =
    "WITH d AS (UPDATE customers SET balance_cents = balance_cents - $2, "
    "refundable_cents = refundable_cents + $2 "
    "WHERE id = $1 AND balance_cents >= $2 RETURNING balance_cents), "
    "l AS (INSERT INTO ledger (id, customer_id, kind, amount_cents, order_id) "
    "SELECT $4::uuid, $1::uuid, 'ORDER_DEBIT', -$2::bigint, $3::uuid FROM d WHERE $2::bigint <> 0), "
    "p AS (UPDATE order_payments SET state = 'DEBITED', amount_cents = $2, updated_at = now() "
    "WHERE order_id = $3::uuid AND EXISTS (SELECT 1 FROM d)) "
    "SELECT balance_cents FROM d";
// The way back: balance + refundable stays the same, within
// customers_balance_and_refundable_fit, so it cannot overflow.
constexpr char kRefund[] =
    "UPDATE customers SET balance_cents = balance_cents + $2, "
    "refundable_cents = refundable_cents - $2 WHERE id = $1 RETURNING balance_cents";
constexpr char kBalance[] = "SELECT balance_cents FROM customers WHERE id = $1";
// The order's lines leave the cart: each product's quantity goes down by
// the line's; a line at 0 goes. Lines the customer added meanwhile stay.
constexpr char kTakeCartLines[] =
    "DELETE FROM cart_items c USING unnest($2::uuid[], $3::integer[]) AS t(product_id, quantity) "
    "WHERE c.customer_id = $1 AND c.product_id = t.product_id AND c.quantity <= t.quantity";
constexpr char kLowerCartLines[] =
    "UPDATE cart_items c SET quantity = c.quantity - t.quantity "
    "FROM unnest($2::uuid[], $3::integer[]) AS t(product_id, quantity) "
    "WHERE c.customer_id = $1 AND c.product_id = t.product_id";
// A rejected order's lines go back (at most 1000 of a product).
constexpr char kRestoreCartLines[] =
    "INSERT INTO cart_items (customer_id, product_id, quantity) "
    "SELECT $1, t.product_id, LEAST(t.quantity, 1000) "
    "FROM unnest($2::uuid[], $3::integer[]) AS t(product_id, quantity) "
    "ON CONFLICT (customer_id, product_id) DO UPDATE "
    "SET quantity = LEAST(cart_items.quantity + excluded.quantity, 1000)";

DebitOutcome OutcomeOf(const std::string& state) {
  if (state == "DEBITED") return DebitOutcome::kDebited;
  if (state == "INSUFFICIENT_FUNDS") return DebitOutcome::kInsufficientFunds;
  return DebitOutcome::kRefunded;
}

int64_t BalanceOf(Tx& tx, const std::string& customer_id) {
  pqxx::result r = Exec(tx, kBalance, customer_id);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

std::string ProductArray(const std::vector<CartLine>& lines) {
  std::vector<std::string> ids;
  for (const CartLine& l : lines) ids.push_back(l.product_id);
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

std::string QuantityArray(const std::vector<CartLine>& lines) {
  std::vector<int> q;
  for (const CartLine& l : lines) q.push_back(l.quantity);
  return absl::StrCat("{", absl::StrJoin(q, ","), "}");
}
}  // namespace

namespace {
constexpr char kLockForBatch[] =
    "SELECT 1 FROM customers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE";
}  // namespace

void PgStore::LockCustomers(Tx& tx, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  Exec(tx, kLockForBatch, absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
}

absl::StatusOr<DebitResult> PgStore::Debit(const DebitRequest& request) {
  return pool_.Transact<DebitResult>(
      [&](Tx& tx) -> absl::StatusOr<DebitResult> { return DebitIn(tx, request); });
}

DebitResult PgStore::DebitIn(Tx& tx, const DebitRequest& req) {
  // The payment's row first (relay.h's rule): a concurrent command for the
  // same order waits here, then answers what this one decided. An unknown
  // customer claims nothing: a later debit for them (if they came to exist)
  // would be decided afresh.
  if (Exec(tx, kClaimPaymentOfCustomer, req.order_id, req.customer_id, "PENDING").affected_rows() == 0) {
    pqxx::result p = Exec(tx, kPayment, req.order_id);
    if (p.empty()) return {DebitOutcome::kUnknownCustomer, 0};
    if (!skip_payment_claim_) {
      return DebitResult{OutcomeOf(p[0][0].as<std::string>()), BalanceOf(tx, req.customer_id)};
    }
  }
  pqxx::result r = Exec(tx, kDebit, req.customer_id, req.amount_cents, req.order_id, runtime::ids::NewUuid());
  if (r.empty()) {
    Exec(tx, kSetPayment, req.order_id, "INSUFFICIENT_FUNDS", 0);
    return DebitResult{DebitOutcome::kInsufficientFunds, BalanceOf(tx, req.customer_id)};
  }
  if (req.from_cart && !req.cart_lines.empty()) {
    const std::string products = ProductArray(req.cart_lines);
    const std::string quantities = QuantityArray(req.cart_lines);
    Exec(tx, kTakeCartLines, req.customer_id, products, quantities);
    Exec(tx, kLowerCartLines, req.customer_id, products, quantities);
    Exec(tx, kSetPaymentCart, req.order_id, products, quantities);
  }
  return DebitResult{DebitOutcome::kDebited, r[0][0].as<int64_t>()};
}

namespace {
// The first command of each order whose customer exists claims it.
constexpr char kClaimAll[] =
    "INSERT INTO order_payments (order_id, customer_id, state) "
    "SELECT DISTINCT ON (t.order_id) t.order_id, t.customer_id, 'PENDING' "
    "FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(order_id, customer_id, n) "
    "WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id) ORDER BY t.order_id, t.n "
    "ON CONFLICT (order_id) DO NOTHING RETURNING order_id::text";
constexpr char kPayments[] =
    "SELECT order_id::text, state FROM order_payments WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE";
constexpr char kBalances[] = "SELECT id::text, balance_cents FROM customers WHERE id = ANY($1::uuid[])";
// Every debit's cents (per customer at once), its ledger row (in the
// batch's order) and every claimed payment's state.
constexpr char kDebitAll[] =
    "WITH d AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[]) WITH ORDINALITY "
    "AS t(order_id, customer_id, amount, ledger_id, n)), "
    "per_customer AS (SELECT customer_id, sum(amount) AS amount FROM d GROUP BY customer_id), "
    "debited AS (UPDATE customers c SET balance_cents = c.balance_cents - p.amount, "
    "refundable_cents = c.refundable_cents + p.amount FROM per_customer p WHERE c.id = p.customer_id), "
    "ledger AS (INSERT INTO ledger (id, customer_id, kind, amount_cents, order_id) "
    "SELECT ledger_id, customer_id, 'ORDER_DEBIT', -amount, order_id FROM d WHERE amount <> 0 ORDER BY n), "
    "payments AS (UPDATE order_payments op SET state = o.state, amount_cents = o.amount, updated_at = now() "
    "FROM unnest($5::uuid[], $6::text[], $7::bigint[]) AS o(order_id, state, amount) "
    "WHERE op.order_id = o.order_id) "
    "SELECT 1";
}  // namespace

std::vector<DebitResult> PgStore::DebitBatchIn(Tx& tx, const std::vector<DebitRequest>& requests) {
  std::vector<DebitResult> results;
  if (requests.empty()) return results;
  std::vector<std::string> orders, customers;
  for (const DebitRequest& r : requests) {
    orders.push_back(r.order_id);
    customers.push_back(r.customer_id);
  }
  std::set<std::string> claimed;
  for (const auto& row : Exec(tx, kClaimAll, TextArray(orders), TextArray(customers))) {
    claimed.insert(row[0].as<std::string>());
  }
  // Each order's payment state as a command would find it: stored before
  // the batch, or decided by an earlier command of it.
  std::map<std::string, std::string> state;
  {
    std::vector<std::string> others;
    for (const std::string& o : std::set<std::string>(orders.begin(), orders.end())) {
      if (claimed.count(o) == 0) others.push_back(o);
    }
    if (!others.empty()) {
      for (const auto& row : Exec(tx, kPayments, TextArray(others))) {
        state[row[0].as<std::string>()] = row[1].as<std::string>();
      }
    }
  }
  std::map<std::string, int64_t> balance;  // the customers that exist
  for (const auto& row : Exec(tx, kBalances, TextArray(customers))) {
    balance[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  auto balance_of = [&balance](const std::string& c) {
    auto it = balance.find(c);
    return it == balance.end() ? int64_t{0} : it->second;
  };
  std::vector<std::string> d_orders, d_customers, d_ledger, o_orders, o_states;
  std::vector<std::optional<int64_t>> d_amounts, o_amounts;
  std::vector<const DebitRequest*> from_cart;
  for (const DebitRequest& r : requests) {
    const bool exists = balance.count(r.customer_id) > 0;
    if (auto it = state.find(r.order_id); it != state.end() && !(skip_payment_claim_ && exists)) {
      results.push_back(DebitResult{OutcomeOf(it->second), balance_of(r.customer_id)});
      continue;
    }
    if (!exists) {  // claims nothing
      results.push_back({DebitOutcome::kUnknownCustomer, 0});
      continue;
    }
    int64_t& b = balance[r.customer_id];
    std::string decided;
    if (b >= r.amount_cents) {
      b -= r.amount_cents;
      d_orders.push_back(r.order_id);
      d_customers.push_back(r.customer_id);
      d_amounts.push_back(r.amount_cents);
      d_ledger.push_back(runtime::ids::NewUuid());
      decided = "DEBITED";
      if (r.from_cart && !r.cart_lines.empty()) from_cart.push_back(&r);
      results.push_back(DebitResult{DebitOutcome::kDebited, b});
    } else {
      decided = "INSUFFICIENT_FUNDS";
      results.push_back(DebitResult{DebitOutcome::kInsufficientFunds, b});
    }
    state[r.order_id] = decided;
    o_orders.push_back(r.order_id);
    o_states.push_back(decided);
    o_amounts.push_back(decided == "DEBITED" ? r.amount_cents : 0);
  }
  Exec(tx, kDebitAll, TextArray(d_orders), TextArray(d_customers), runtime::pg::Int64Array(d_amounts),
       TextArray(d_ledger), TextArray(o_orders), TextArray(o_states), runtime::pg::Int64Array(o_amounts));
  for (const DebitRequest* r : from_cart) {
    const std::string products = ProductArray(r->cart_lines);
    const std::string quantities = QuantityArray(r->cart_lines);
    Exec(tx, kTakeCartLines, r->customer_id, products, quantities);
    Exec(tx, kLowerCartLines, r->customer_id, products, quantities);
    Exec(tx, kSetPaymentCart, r->order_id, products, quantities);
  }
  return results;
}

absl::StatusOr<RefundResult> PgStore::Refund(const std::string& order_id,
                                             const std::string& customer_id, bool restore_cart) {
  return pool_.Transact<RefundResult>([&](Tx& tx) -> absl::StatusOr<RefundResult> {
    return RefundIn(tx, order_id, customer_id, restore_cart);
  });
}

// Cannot fail but for the database itself: every state of the payment
// (none, PENDING, INSUFFICIENT_FUNDS, DEBITED, REFUNDED) has an answer, and
// giving cents back cannot overflow (customers_balance_and_refundable_fit).
// A command naming another customer than the payer moves nothing.
RefundResult PgStore::RefundIn(Tx& tx, const std::string& order_id,
                               const std::string& customer_id, bool restore_cart) {
  // Never debited: a tombstone refuses a debit that arrives later.
  if (Exec(tx, kClaimPayment, order_id, customer_id, "REFUNDED").affected_rows() == 1) {
    return RefundResult{0, BalanceOf(tx, customer_id), false};
  }
  pqxx::result p = Exec(tx, kPayment, order_id);
  const std::string state = p[0][0].as<std::string>();
  const int64_t amount = p[0][1].as<int64_t>();
  // The money goes back to whoever paid, and only on their behalf.
  const std::string payer = p[0][2].as<std::string>();  // lowercase, from the uuid column
  if (payer != absl::AsciiStrToLower(customer_id)) return RefundResult{0, 0, true};
  if (state == "REFUNDED") return RefundResult{0, BalanceOf(tx, payer), false};  // keeps its amount
  if (state != "DEBITED") {
    Exec(tx, kSetPayment, order_id, "REFUNDED", 0);
    return RefundResult{0, BalanceOf(tx, payer), false};
  }
  const int64_t balance = Exec(tx, kRefund, payer, amount)[0][0].as<int64_t>();
  // A free order moved no money: no ledger row either way.
  if (amount != 0) {
    Exec(tx, kLedger, runtime::ids::NewUuid(), payer, "ORDER_REFUND", amount,
         std::optional<std::string>(order_id));
  }
  Exec(tx, kSetPayment, order_id, "REFUNDED", amount);
  if (restore_cart) {
    const std::string products = p[0][3].as<std::string>();
    const std::string quantities = p[0][4].as<std::string>();
    if (products != "{}") Exec(tx, kRestoreCartLines, payer, products, quantities);
  }
  return RefundResult{amount, balance, false};
}

// ---- cart and favourites

namespace {
constexpr char kCart[] =
    "SELECT product_id::text, quantity FROM cart_items WHERE customer_id = $1 ORDER BY added_at, product_id";
constexpr char kSetCart[] = "SELECT item_product, item_quantity FROM cart_set($1, $2, $3, $4)";
constexpr char kFavorites[] =
    "SELECT product_id::text FROM favorites WHERE customer_id = $1 ORDER BY added_at DESC, product_id";
constexpr char kIsFavorite[] = "SELECT 1 FROM favorites WHERE customer_id = $1 AND product_id = $2";
constexpr char kAddFavorite[] =
    "INSERT INTO favorites (customer_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
constexpr char kRemoveFavorite[] = "DELETE FROM favorites WHERE customer_id = $1 AND product_id = $2";

std::vector<CartLine> Lines(const pqxx::result& r) {
  std::vector<CartLine> lines;
  for (const auto& row : r) lines.push_back({row[0].as<std::string>(), row[1].as<int>()});
  return lines;
}
}  // namespace

absl::StatusOr<std::vector<CartLine>> PgStore::GetCart(const std::string& customer_id) {
  return pool_.Read<std::vector<CartLine>>(
      [&](Tx& tx) -> absl::StatusOr<std::vector<CartLine>> { return Lines(Exec(tx, kCart, customer_id)); });
}

absl::StatusOr<std::vector<CartLine>> PgStore::SetCartItem(const std::string& customer_id,
                                                           const std::string& product_id,
                                                           int quantity) {
  // One statement, its own transaction (migrations/0004_cart_set.sql).
  return pool_.WriteOne<std::vector<CartLine>>([&](Tx& tx) -> absl::StatusOr<std::vector<CartLine>> {
    try {
      return Lines(Exec(tx, kSetCart, customer_id, product_id, quantity, kMaxCartProducts));
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "P0002") return NoSuchCustomer();
      if (e.sqlstate() == "AGC01") {
        return runtime::status::WithReason(
            absl::FailedPreconditionError(absl::StrCat("a cart holds at most ", kMaxCartProducts, " products")),
            "CART_FULL");
      }
      throw;
    }
  });
}

absl::StatusOr<std::vector<std::string>> PgStore::ListFavorites(const std::string& customer_id) {
  return pool_.Read<std::vector<std::string>>([&](Tx& tx) -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> ids;
    for (const auto& row : Exec(tx, kFavorites, customer_id)) ids.push_back(row[0].as<std::string>());
    return ids;
  });
}

absl::StatusOr<bool> PgStore::IsFavorite(const std::string& customer_id,
                                         const std::string& product_id) {
  return pool_.Read<bool>([&](Tx& tx) -> absl::StatusOr<bool> {
    return !Exec(tx, kIsFavorite, customer_id, product_id).empty();
  });
}

absl::Status PgStore::SetFavorite(const std::string& customer_id, const std::string& product_id,
                                  bool favorite) {
  return pool_.Transact([&](Tx& tx) -> absl::Status {
    if (favorite) {
      if (Exec(tx, kExists, customer_id).empty()) return NoSuchCustomer();
      Exec(tx, kAddFavorite, customer_id, product_id);
    } else {
      Exec(tx, kRemoveFavorite, customer_id, product_id);
    }
    return absl::OkStatus();
  });
}

}  // namespace agora::customers
