#include "inventory/pg_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <optional>
#include <pqxx/pqxx>


#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inventory/convert.h"
#include "inventory/metrics.h"
#include "runtime/ids/uuid.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"
#include "runtime/pg/migrations.h"
#include "runtime/status/reason.h"

namespace agora::inventory {
namespace {

using runtime::pg::Tx;
using runtime::idempotency::RequestKey;

#define PRODUCT_COLUMNS \
  "id::text, sku, name, description, price_cents, stock, " \
  "(extract(epoch FROM created_at) * 1000000)::bigint"

Product ToProduct(const pqxx::row& r) {
  Product p;
  p.id = r[0].as<std::string>();
  p.sku = r[1].as<std::string>();
  p.name = r[2].as<std::string>();
  p.description = r[3].as<std::string>();
  p.price_cents = r[4].as<int64_t>();
  p.stock = r[5].as<int64_t>();
  p.created_at = absl::FromUnixMicros(r[6].as<int64_t>());
  return p;
}

std::string UuidArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("product ", id, " not found"));
}

// Ids that are not UUIDs name no product: answered NOT_FOUND without a query.
bool Unknowable(const std::string& id) { return !runtime::ids::IsUuid(id); }

// ---- listing

constexpr char kListFirst[] =
    "SELECT " PRODUCT_COLUMNS " FROM products "
    "WHERE deleted_at IS NULL AND ($1 = '' OR strpos(lower(name), lower($1)) > 0) "
    "ORDER BY created_at, id LIMIT $2";
constexpr char kListAfter[] =
    "SELECT " PRODUCT_COLUMNS " FROM products "
    "WHERE deleted_at IS NULL AND ($1 = '' OR strpos(lower(name), lower($1)) > 0) "
    "AND (created_at, id) > ('epoch'::timestamptz + $3 * interval '1 microsecond', $4::uuid) "
    "ORDER BY created_at, id LIMIT $2";

}  // namespace

absl::StatusOr<Page> PgStore::ListProducts(const ListQuery& query) {
  return pool_.Read<Page>([&](Tx& tx) -> absl::StatusOr<Page> {
    // One row more than the page tells whether another page follows.
    const int limit = query.page_size + 1;
    pqxx::result rows =
        query.after.has_value()
            ? runtime::pg::Exec(tx, kListAfter, query.query, limit,
                             absl::ToUnixMicros(query.after->created_at), query.after->id)
            : runtime::pg::Exec(tx, kListFirst, query.query, limit);
    Page page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.products.size()) == query.page_size) break;
      page.products.push_back(ToProduct(row));
    }
    if (static_cast<int>(rows.size()) > query.page_size) {
      const Product& last = page.products.back();
      page.next = PageCursor{last.created_at, last.id};
    }
    return page;
  });
}

namespace {
constexpr char kGet[] = "SELECT " PRODUCT_COLUMNS " FROM products WHERE id = $1 AND deleted_at IS NULL";
constexpr char kBatchGet[] = "SELECT " PRODUCT_COLUMNS
                             " FROM products WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL "
                             "ORDER BY id";
}  // namespace

absl::StatusOr<Product> PgStore::GetProduct(const std::string& id) {
  if (Unknowable(id)) return NotFound(id);
  if (cache_ != nullptr) {
    if (std::optional<Product> cached = cache_->Find(id)) {
      GetMetrics().cache_hits.Increment();
      return *std::move(cached);
    }
    GetMetrics().cache_misses.Increment();
  }
  const uint64_t stamp = cache_ != nullptr ? cache_->Stamp(id) : 0;
  absl::StatusOr<Product> product = pool_.Read<Product>([&](Tx& tx) -> absl::StatusOr<Product> {
    pqxx::result r = runtime::pg::Exec(tx, kGet, id);
    if (r.empty()) return NotFound(id);
    return ToProduct(r[0]);
  });
  if (product.ok() && cache_ != nullptr) cache_->Put(id, *product, stamp);
  return product;
}

absl::StatusOr<std::vector<Product>> PgStore::BatchGetProducts(const std::vector<std::string>& ids) {
  // Live products in id order, each once, as the query answers them.
  std::map<std::string, Product> found;
  std::vector<std::string> missing;
  std::map<std::string, uint64_t> stamps;  // lower-case id -> stamp
  for (const std::string& id : ids) {
    if (Unknowable(id)) continue;
    if (cache_ != nullptr) {
      if (std::optional<Product> cached = cache_->Find(id)) {
        GetMetrics().cache_hits.Increment();
        std::string key = cached->id;
        found.insert_or_assign(std::move(key), std::move(*cached));
        continue;
      }
      GetMetrics().cache_misses.Increment();
      stamps.emplace(absl::AsciiStrToLower(id), cache_->Stamp(id));
    }
    missing.push_back(id);
  }
  if (!missing.empty()) {
    absl::Status s = pool_.Read([&](Tx& tx) -> absl::Status {
      for (const auto& row : runtime::pg::Exec(tx, kBatchGet, UuidArray(missing))) {
        Product p = ToProduct(row);
        found.insert_or_assign(p.id, std::move(p));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (cache_ != nullptr) {
      for (const auto& [lower_id, stamp] : stamps) {
        if (auto it = found.find(lower_id); it != found.end()) cache_->Put(lower_id, it->second, stamp);
      }
    }
  }
  std::vector<Product> out;
  out.reserve(found.size());
  for (auto& [id, product] : found) out.push_back(std::move(product));
  return out;
}

void PgStore::Changed(Tx& tx, std::vector<std::string> ids) {
  if (ids.empty()) return;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  // NOTIFY payloads stay under PostgreSQL's 8,000 bytes: 100 ids each.
  const std::string channel = ProductCache::Channel(pool_.options().schema);
  for (size_t i = 0; i < ids.size(); i += 100) {
    const size_t end = std::min(ids.size(), i + 100);
    runtime::pg::NotifyAfterCommit(
        tx, channel, absl::StrJoin(ids.begin() + static_cast<std::ptrdiff_t>(i), ids.begin() + static_cast<std::ptrdiff_t>(end), ","));
  }
  if (cache_ != nullptr) {
    runtime::pg::AfterCommit(tx, [cache = cache_, ids = std::move(ids)] { cache->Invalidate(ids); });
  }
}

// ---- admin writes

namespace {
constexpr char kInsert[] =
    "INSERT INTO products (id, sku, name, description, price_cents, stock) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " PRODUCT_COLUMNS;
// COALESCE keeps the fields the patch leaves out.
constexpr char kUpdate[] =
    "UPDATE products SET name = COALESCE($2, name), description = COALESCE($3, description), "
    "price_cents = COALESCE($4, price_cents), updated_at = now() "
    "WHERE id = $1 AND deleted_at IS NULL RETURNING " PRODUCT_COLUMNS;
// Leaves room for what the product holds (products_stock_and_held_fit), so
// that releasing it can never overflow.
constexpr char kRestock[] =
    "UPDATE products SET stock = stock + $2, updated_at = now() "
    "WHERE id = $1 AND deleted_at IS NULL AND stock <= 9223372036854775807 - held - $2::bigint "
    "RETURNING " PRODUCT_COLUMNS;
constexpr char kExists[] = "SELECT 1 FROM products WHERE id = $1 AND deleted_at IS NULL";
constexpr char kDelete[] =
    "UPDATE products SET deleted_at = now(), updated_at = now() "
    "WHERE id = $1 AND deleted_at IS NULL";
// A repeat's answer (the product as the first call answered it), or nullopt
// for a first call; runtime/idempotency/request_keys.h.
absl::StatusOr<std::optional<Product>> FirstAnswer(Tx& tx, const RequestKey& key) {
  auto first = runtime::idempotency::ClaimAnswer<agora::inventory::v1::Product>(tx, key);
  if (!first.ok()) return first.status();
  if (!first->has_value()) return std::optional<Product>();
  return std::optional<Product>(FromProto(**first));
}

void RecordProduct(Tx& tx, const RequestKey& key, const Product& product) {
  agora::inventory::v1::Product answer;
  ToProto(product, &answer);
  runtime::idempotency::RecordAnswer(tx, key, answer);
}

}  // namespace

absl::StatusOr<Product> PgStore::CreateProduct(const NewProduct& p, const RequestKey& key) {
  const std::string id = runtime::ids::NewUuid();
  absl::StatusOr<Product> created = pool_.Transact<Product>([&](Tx& tx) -> absl::StatusOr<Product> {
    absl::StatusOr<std::optional<Product>> first = FirstAnswer(tx, key);
    if (!first.ok()) return first.status();
    if (first->has_value()) return **first;
    Product product = ToProduct(
        runtime::pg::Exec(tx, kInsert, id, p.sku, p.name, p.description, p.price_cents, p.stock)[0]);
    RecordProduct(tx, key, product);
    return product;
  });
  // The unique index on sku refused the insert (not a reused key).
  if (created.status().code() == absl::StatusCode::kAlreadyExists &&
      runtime::status::ReasonOf(created.status()).empty()) {
    return runtime::status::WithReason(
        absl::AlreadyExistsError(absl::StrCat("a product with sku '", p.sku, "' exists")), "SKU_TAKEN");
  }
  return created;
}

absl::StatusOr<Product> PgStore::UpdateProduct(const std::string& id, const ProductPatch& patch) {
  if (Unknowable(id)) return NotFound(id);
  return pool_.Transact<Product>([&](Tx& tx) -> absl::StatusOr<Product> {
    pqxx::result r = runtime::pg::Exec(tx, kUpdate, id, patch.name, patch.description, patch.price_cents);
    if (r.empty()) return NotFound(id);
    Product product = ToProduct(r[0]);
    Changed(tx, {product.id});
    return product;
  });
}

absl::StatusOr<Product> PgStore::Restock(const std::string& id, int64_t quantity, const RequestKey& key) {
  if (Unknowable(id)) return NotFound(id);
  return pool_.Transact<Product>([&](Tx& tx) -> absl::StatusOr<Product> {
    absl::StatusOr<std::optional<Product>> first = FirstAnswer(tx, key);
    if (!first.ok()) return first.status();
    if (first->has_value()) return **first;
    pqxx::result r = runtime::pg::Exec(tx, kRestock, id, quantity);
    if (!r.empty()) {
      Product product = ToProduct(r[0]);
      RecordProduct(tx, key, product);
      Changed(tx, {product.id});
      return product;
    }
    if (runtime::pg::Exec(tx, kExists, id).empty()) return NotFound(id);
    return absl::OutOfRangeError("stock would exceed the largest representable quantity");
  });
}

absl::Status PgStore::DeleteProduct(const std::string& id) {
  if (Unknowable(id)) return NotFound(id);
  return pool_.Transact([&](Tx& tx) -> absl::Status {
    if (runtime::pg::Exec(tx, kDelete, id).affected_rows() == 0) return NotFound(id);
    Changed(tx, {id});
    return absl::OkStatus();
  });
}

// ---- reservations (the saga's stock step)

namespace {
constexpr char kClaim[] =
    "INSERT INTO reservations (order_id, state, outcome) VALUES ($1, 'FAILED', 'PENDING') "
    "ON CONFLICT (order_id) DO NOTHING";
constexpr char kExisting[] =
    "SELECT state, outcome, COALESCE(failed_product_id::text, '') FROM reservations "
    "WHERE order_id = $1 FOR UPDATE";
// Locks the lines' products in id order: concurrent reservations of
// overlapping products queue instead of deadlocking.
// Deleted products too: an order that held one before its deletion still
// reserves it (StockLine::on_sale); Check decides.
constexpr char kLockProducts[] =
    "SELECT id::text, stock, deleted_at IS NOT NULL FROM products WHERE id = ANY($1::uuid[]) "
    "ORDER BY id FOR UPDATE";
// Every line at once: from stock to held, the reservation's lines (one per
// product: lines are checked distinct, and the primary key says so), and
// the reservation RESERVED, in one round trip.
constexpr char kTakeLines[] =
    "WITH l AS (SELECT * FROM unnest($2::uuid[], $3::bigint[]) AS t(product_id, quantity)), "
    "taken AS (UPDATE products p SET stock = p.stock - l.quantity, held = p.held + l.quantity, "
    "updated_at = now() FROM l WHERE p.id = l.product_id), "
    "reserved AS (UPDATE reservations SET state = 'RESERVED', outcome = 'RESERVED', failed_product_id = NULL, "
    "updated_at = now() WHERE order_id = $1) "
    "INSERT INTO reservation_lines (order_id, product_id, quantity) SELECT $1, product_id, quantity FROM l";
constexpr char kSetOutcome[] =
    "UPDATE reservations SET state = $2, outcome = $3, failed_product_id = $4, updated_at = now() "
    "WHERE order_id = $1";

const char* OutcomeName(ReserveOutcome o) {
  switch (o) {
    case ReserveOutcome::kReserved: return "RESERVED";
    case ReserveOutcome::kOutOfStock: return "OUT_OF_STOCK";
    case ReserveOutcome::kProductUnavailable: return "PRODUCT_UNAVAILABLE";
    case ReserveOutcome::kReleased: return "RELEASED";
  }
  return "RELEASED";
}

ReserveResult StoredOutcome(const pqxx::row& r) {
  const std::string state = r[0].as<std::string>();
  const std::string outcome = r[1].as<std::string>();
  ReserveResult result{ReserveOutcome::kReleased, r[2].as<std::string>(), /*repeat=*/true};
  if (state == "RELEASED") return result;
  if (outcome == "RESERVED") result.outcome = ReserveOutcome::kReserved;
  if (outcome == "OUT_OF_STOCK") result.outcome = ReserveOutcome::kOutOfStock;
  if (outcome == "PRODUCT_UNAVAILABLE") result.outcome = ReserveOutcome::kProductUnavailable;
  return result;
}

struct Stocked {
  int64_t stock = 0;
  bool deleted = false;
};

std::map<std::string, Stocked> StockOf(const pqxx::result& locked) {
  std::map<std::string, Stocked> stock;
  for (const auto& row : locked) stock[row[0].as<std::string>()] = {row[1].as<int64_t>(), row[2].as<bool>()};
  return stock;
}

// Checks every line against the locked stock; the first failing line. A
// deleted product is unavailable to an order that did not hold it before
// the deletion (StockLine::on_sale).
ReserveResult Check(const std::vector<StockLine>& lines, const std::map<std::string, Stocked>& stock) {
  for (const StockLine& line : lines) {
    auto it = stock.find(line.product_id);
    if (it == stock.end() || (it->second.deleted && !line.on_sale)) {
      return {ReserveOutcome::kProductUnavailable, line.product_id, false};
    }
    if (it->second.stock < line.quantity) return {ReserveOutcome::kOutOfStock, line.product_id, false};
  }
  return {ReserveOutcome::kReserved, "", false};
}

}  // namespace

absl::StatusOr<ReserveResult> PgStore::Reserve(const std::string& order_id,
                                               const std::vector<StockLine>& lines) {
  return pool_.Transact<ReserveResult>(
      [&](Tx& tx) -> absl::StatusOr<ReserveResult> { return ReserveIn(tx, order_id, lines); });
}

ReserveResult PgStore::ReserveIn(Tx& tx, const std::string& order_id,
                                 const std::vector<StockLine>& lines) {
  // The reservation's row first (relay.h's rule): a concurrent call for the
  // same order waits here until this one commits.
  if (runtime::pg::Exec(tx, kClaim, order_id).affected_rows() == 0) {
    return StoredOutcome(runtime::pg::Exec(tx, kExisting, order_id)[0]);
  }
  std::vector<std::string> ids;
  for (const StockLine& line : lines) ids.push_back(line.product_id);
  const ReserveResult result = Check(lines, StockOf(runtime::pg::Exec(tx, kLockProducts, UuidArray(ids))));
  if (result.outcome != ReserveOutcome::kReserved) {
    runtime::pg::Exec(tx, kSetOutcome, order_id, "FAILED", OutcomeName(result.outcome),
                      result.product_id);
    return result;
  }
  std::vector<std::optional<int64_t>> quantities;
  for (const StockLine& line : lines) quantities.push_back(line.quantity);
  runtime::pg::Exec(tx, kTakeLines, order_id, UuidArray(ids), runtime::pg::Int64Array(quantities));
  Changed(tx, ids);
  return result;
}

namespace {
constexpr char kClaimAll[] =
    "INSERT INTO reservations (order_id, state, outcome) SELECT unnest($1::uuid[]), 'FAILED', 'PENDING' "
    "ON CONFLICT (order_id) DO NOTHING RETURNING order_id::text";
// As kExisting reads them (StoredOutcome), then the order.
constexpr char kExistingAll[] =
    "SELECT state, outcome, COALESCE(failed_product_id::text, ''), order_id::text FROM reservations "
    "WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE";
// Each product's units taken by the batch at once, every reservation line,
// and every claimed order's outcome.
constexpr char kTakeAll[] =
    "WITH l AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS t(order_id, product_id, quantity)), "
    "per_product AS (SELECT product_id, sum(quantity) AS quantity FROM l GROUP BY product_id), "
    "taken AS (UPDATE products p SET stock = p.stock - q.quantity, held = p.held + q.quantity, "
    "updated_at = now() FROM per_product q WHERE p.id = q.product_id), "
    "outcomes AS (UPDATE reservations r SET state = o.state, outcome = o.outcome, "
    "failed_product_id = NULLIF(o.failed, '')::uuid, updated_at = now() "
    "FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS o(order_id, state, outcome, failed) "
    "WHERE r.order_id = o.order_id) "
    "INSERT INTO reservation_lines (order_id, product_id, quantity) SELECT order_id, product_id, quantity FROM l";
}  // namespace

std::vector<ReserveResult> PgStore::ReserveBatchIn(
    Tx& tx, const std::vector<std::pair<std::string, std::vector<StockLine>>>& reservations) {
  std::vector<ReserveResult> results;
  if (reservations.empty()) return results;
  std::set<std::string> orders;
  for (const auto& [order, lines] : reservations) orders.insert(absl::AsciiStrToLower(order));
  const std::vector<std::string> sorted(orders.begin(), orders.end());  // claims in one order
  // The reservation's row first (relay.h's rule), for every order at once:
  // the ones claimed are new; the others answer what is stored.
  std::set<std::string> claimed;
  for (const auto& row : runtime::pg::Exec(tx, kClaimAll, UuidArray(sorted))) claimed.insert(row[0].as<std::string>());
  std::map<std::string, ReserveResult> decided;  // what a repeat answers
  if (claimed.size() < orders.size()) {
    std::vector<std::string> others;
    for (const std::string& o : sorted) {
      if (claimed.count(o) == 0) others.push_back(o);
    }
    for (const auto& row : runtime::pg::Exec(tx, kExistingAll, UuidArray(others))) {
      decided[row[3].as<std::string>()] = StoredOutcome(row);
    }
  }
  std::vector<std::string> products;
  for (const auto& [order, lines] : reservations) {
    if (claimed.count(absl::AsciiStrToLower(order)) == 0) continue;
    for (const StockLine& line : lines) products.push_back(line.product_id);
  }
  std::map<std::string, Stocked> stock;
  if (!products.empty()) stock = StockOf(runtime::pg::Exec(tx, kLockProducts, UuidArray(products)));
  // One by one, in order, in memory: what ReserveIn would decide for each.
  std::vector<std::string> take_orders, take_products, out_orders, out_states, out_outcomes, out_failed;
  std::vector<std::optional<int64_t>> take_quantities;
  for (const auto& [raw_order, lines] : reservations) {
    const std::string order = absl::AsciiStrToLower(raw_order);
    if (auto it = decided.find(order); it != decided.end()) {  // stored, or decided earlier in the batch
      results.push_back(it->second);
      continue;
    }
    ReserveResult result = Check(lines, stock);
    if (result.outcome == ReserveOutcome::kReserved) {
      for (const StockLine& line : lines) {
        stock[line.product_id].stock -= line.quantity;
        take_orders.push_back(order);
        take_products.push_back(line.product_id);
        take_quantities.push_back(line.quantity);
      }
    }
    const bool reserved = result.outcome == ReserveOutcome::kReserved;
    out_orders.push_back(order);
    out_states.push_back(reserved ? "RESERVED" : "FAILED");
    out_outcomes.push_back(OutcomeName(result.outcome));
    out_failed.push_back(result.product_id);
    decided[order] = ReserveResult{result.outcome, result.product_id, /*repeat=*/true};
    results.push_back(std::move(result));
  }
  runtime::pg::Exec(tx, kTakeAll, UuidArray(take_orders), UuidArray(take_products),
                    runtime::pg::Int64Array(take_quantities), UuidArray(out_orders),
                    runtime::pg::TextArray(out_states), runtime::pg::TextArray(out_outcomes),
                    runtime::pg::TextArray(out_failed));
  Changed(tx, take_products);
  return results;
}

namespace {
constexpr char kTombstone[] =
    "INSERT INTO reservations (order_id, state, outcome) VALUES ($1, 'RELEASED', 'RELEASED') "
    "ON CONFLICT (order_id) DO NOTHING";
constexpr char kLockLines[] =
    "SELECT p.id::text, l.quantity FROM reservation_lines l JOIN products p ON p.id = l.product_id "
    "WHERE l.order_id = $1 ORDER BY p.id FOR UPDATE OF p";
// stock + held stays the same: within products_stock_and_held_fit.
constexpr char kGive[] =
    "UPDATE products SET stock = stock + $2, held = held - $2, updated_at = now() WHERE id = $1";
constexpr char kReleased[] =
    "UPDATE reservations SET state = 'RELEASED', updated_at = now() WHERE order_id = $1";
}  // namespace

namespace {
constexpr char kLockForBatch[] =
    "SELECT 1 FROM products WHERE id IN (SELECT unnest($1::uuid[]) UNION "
    "SELECT product_id FROM reservation_lines WHERE order_id = ANY($2::uuid[])) "
    "ORDER BY id FOR UPDATE";
}  // namespace

void PgStore::LockProducts(Tx& tx, const std::vector<std::string>& product_ids,
                           const std::vector<std::string>& release_order_ids) {
  if (product_ids.empty() && release_order_ids.empty()) return;
  runtime::pg::Exec(tx, kLockForBatch, UuidArray(product_ids), UuidArray(release_order_ids));
}

absl::StatusOr<int64_t> PgStore::Release(const std::string& order_id) {
  if (!runtime::ids::IsUuid(order_id)) return absl::InvalidArgumentError("order_id must be a UUID");
  return pool_.Transact<int64_t>(
      [&](Tx& tx) -> absl::StatusOr<int64_t> { return ReleaseIn(tx, order_id); });
}

// Cannot fail but for the database itself: every state of the reservation
// (none, FAILED, RESERVED, RELEASED) has an answer, and giving units back
// cannot overflow (products_stock_and_held_fit).
int64_t PgStore::ReleaseIn(Tx& tx, const std::string& order_id) {
  // Never reserved: leave a tombstone so that a late reservation is refused.
  if (runtime::pg::Exec(tx, kTombstone, order_id).affected_rows() == 1) return 0;
  const std::string state = runtime::pg::Exec(tx, kExisting, order_id)[0][0].as<std::string>();
  if (state != "RESERVED") {
    runtime::pg::Exec(tx, kReleased, order_id);
    return 0;
  }
  int64_t units = 0;
  std::vector<std::string> given;
  for (const auto& row : runtime::pg::Exec(tx, kLockLines, order_id)) {
    given.push_back(row[0].as<std::string>());
    runtime::pg::Exec(tx, kGive, given.back(), row[1].as<int64_t>());
    units += row[1].as<int64_t>();
  }
  Changed(tx, std::move(given));
  runtime::pg::Exec(tx, kReleased, order_id);
  return units;
}

}  // namespace agora::inventory
