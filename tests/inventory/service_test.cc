// Inventory over real gRPC (in-process server on port 0) and a real
// PostgreSQL database of its own per test.

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "runtime/grpc/server.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/status/reason.h"
#include "runtime/grpc/status.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"

namespace agora::inventory {
namespace {

using runtime::ids::NewUuid;

class Harness {
 public:
  Harness()
      : db_("inventory"),
        migrated_(runtime::pg::ApplyMigrations(
                      db_.ServiceOptions(),
                      {{"messaging", &runtime::messaging::MessagingMigrations()},
                       {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
                       {"inventory", &InventoryMigrations()}})
                      .ok()),
        pool_(db_.ServiceOptions(), 8),
        executor_(8, 1024),
        store_(pool_),
        service_(store_, executor_, agora::testing::TestAuthorizer()) {
    REQUIRE(migrated_);
    auto server = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {&service_});
    REQUIRE(server.ok());
    server_ = std::move(*server);
    stub_ = pb::Inventory::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  pb::Inventory::Stub& stub() { return *stub_; }
  // A context carrying an administrator's token (catalog writes need one).
  static std::unique_ptr<grpc::ClientContext> Admin(const std::string& admin_id = NewUuid()) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", agora::testing::BearerFor(admin_id, /*admin=*/true));
    return ctx;
  }
  const agora::testing::TestDatabase& db() const { return db_; }

  grpc::Status Create(const std::string& sku, int64_t stock, pb::Product* out,
                      const std::string& name = "Stoneware mug", int64_t price = 1800) {
    pb::CreateProductRequest req;
    req.set_sku(sku);
    req.set_name(name);
    req.set_description("350 ml");
    req.set_price_cents(price);
    req.set_stock(stock);
    auto ctx = Admin();
    return stub_->CreateProduct(ctx.get(), req, out);
  }
  pb::Product MustCreate(const std::string& sku, int64_t stock, const std::string& name = "Mug") {
    pb::Product p;
    const grpc::Status s = Create(sku, stock, &p, name);
    REQUIRE(s.ok());
    return p;
  }
  grpc::Status Get(const std::string& id, pb::Product* out) {
    pb::GetProductRequest req;
    req.set_id(id);
    grpc::ClientContext ctx;
    return stub_->GetProduct(&ctx, req, out);
  }
  pb::ReserveStockResponse Reserve(const std::string& order_id,
                                   const std::vector<std::pair<std::string, int64_t>>& lines) {
    pb::ReserveStockResponse resp;
    const grpc::Status s = TryReserve(order_id, lines, &resp);
    REQUIRE(s.ok());
    return resp;
  }
  // Asserts nothing: callable from other threads (Catch2 asserts on the test's thread only).
  grpc::Status TryReserve(const std::string& order_id,
                          const std::vector<std::pair<std::string, int64_t>>& lines,
                          pb::ReserveStockResponse* resp) {
    pb::ReserveStockRequest req;
    req.set_order_id(order_id);
    for (const auto& [id, q] : lines) {
      auto* l = req.add_lines();
      l->set_product_id(id);
      l->set_quantity(q);
    }
    grpc::ClientContext ctx;
    agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
    return stub_->ReserveStock(&ctx, req, resp);
  }
  int64_t Release(const std::string& order_id) {
    pb::ReleaseStockResponse resp;
    const grpc::Status s = TryRelease(order_id, &resp);
    REQUIRE(s.ok());
    return resp.units_released();
  }
  // Asserts nothing: callable from other threads.
  grpc::Status TryRelease(const std::string& order_id, pb::ReleaseStockResponse* resp) {
    pb::ReleaseStockRequest req;
    req.set_order_id(order_id);
    grpc::ClientContext ctx;
    agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
    return stub_->ReleaseStock(&ctx, req, resp);
  }
  int64_t Stock(const std::string& id) {
    pb::Product p;
    REQUIRE(Get(id, &p).ok());
    return p.stock();
  }
  pb::ListProductsResponse List(int page_size, const std::string& token, const std::string& query,
                                grpc::Status* status = nullptr) {
    pb::ListProductsRequest req;
    req.set_page_size(page_size);
    req.set_page_token(token);
    req.set_query(query);
    pb::ListProductsResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s = stub_->ListProducts(&ctx, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      REQUIRE(s.ok());
    }
    return resp;
  }

 private:
  agora::testing::TestDatabase db_;
  bool migrated_;
  runtime::pg::Pool pool_;
  runtime::grpc_server::Executor executor_;
  PgStore store_;
  InventoryService service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server_;
  std::unique_ptr<pb::Inventory::Stub> stub_;
};

TEST_CASE("a created product can be read back; a duplicate sku is ALREADY_EXISTS", "[pg]") {
  Harness h;
  pb::Product created;
  REQUIRE(h.Create("MUG-1", 5, &created).ok());
  CHECK(runtime::ids::IsUuid(created.id()));
  CHECK(created.sku() == "MUG-1");
  CHECK(created.price_cents() == 1800);
  CHECK(created.stock() == 5);
  CHECK(created.created_at().seconds() > 0);
  pb::Product got;
  REQUIRE(h.Get(created.id(), &got).ok());
  CHECK(got.SerializeAsString() == created.SerializeAsString());
  pb::Product dup;
  const grpc::Status s = h.Create("MUG-1", 1, &dup);
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(s.error_message().find("MUG-1") != std::string::npos);
}

TEST_CASE("the catalog is read by anyone and changed only by administrators", "[pg]") {
  Harness h;
  const pb::Product p = h.MustCreate("AUTH-1", 1);
  pb::Product out;
  CHECK(h.Get(p.id(), &out).ok());  // no token needed
  pb::CreateProductRequest req;
  req.set_sku("AUTH-2");
  req.set_name("Mug");
  {
    grpc::ClientContext ctx;
    CHECK(h.stub().CreateProduct(&ctx, req, &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", agora::testing::BearerFor(NewUuid()));
    CHECK(h.stub().CreateProduct(&ctx, req, &out).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  pb::DeleteProductRequest del;
  del.set_id(p.id());
  google::protobuf::Empty empty;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", agora::testing::BearerFor(NewUuid()));
    CHECK(h.stub().DeleteProduct(&ctx, del, &empty).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  CHECK(h.Get(p.id(), &out).ok());
  {
    // A forged token cannot write, and on a public read it is simply ignored.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer forged.token.here");
    CHECK(h.stub().CreateProduct(&ctx, req, &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext read;
    read.AddMetadata("authorization", "Bearer forged.token.here");
    pb::GetProductRequest get;
    get.set_id(p.id());
    CHECK(h.stub().GetProduct(&read, get, &out).ok());
  }
}

TEST_CASE("invalid products are INVALID_ARGUMENT naming the field", "[pg]") {
  Harness h;
  pb::Product p;
  grpc::Status s = h.Create("", 1, &p);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("sku") != std::string::npos);
  s = h.Create("A", -1, &p);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  s = h.Create("B", 1, &p, "Mug", -1);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("priceCents") != std::string::npos);
  s = h.Create("C", 1, &p, "");
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("unknown, malformed and deleted ids are NOT_FOUND", "[pg]") {
  Harness h;
  pb::Product p;
  CHECK(h.Get(NewUuid(), &p).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Get("not-a-uuid", &p).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Get("'; DROP TABLE products; --", &p).error_code() == grpc::StatusCode::NOT_FOUND);
  const pb::Product created = h.MustCreate("DEL-1", 3);
  pb::DeleteProductRequest del;
  del.set_id(created.id());
  google::protobuf::Empty empty;
  {
    auto ctx = Harness::Admin();
    REQUIRE(h.stub().DeleteProduct(ctx.get(), del, &empty).ok());
  }
  CHECK(h.Get(created.id(), &p).error_code() == grpc::StatusCode::NOT_FOUND);
  {
    auto ctx = Harness::Admin();
    CHECK(h.stub().DeleteProduct(ctx.get(), del, &empty).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  // Gone from listings; its sku may be used again.
  CHECK(h.List(100, "", "").products_size() == 0);
  CHECK(h.Create("DEL-1", 1, &p).ok());
}

TEST_CASE("a patch changes only the fields it sets, an empty string included", "[pg]") {
  Harness h;
  const pb::Product created = h.MustCreate("P-1", 3, "Original");
  pb::UpdateProductRequest req;
  req.set_id(created.id());
  req.set_description("");
  pb::Product updated;
  {
    auto ctx = Harness::Admin();
    REQUIRE(h.stub().UpdateProduct(ctx.get(), req, &updated).ok());
  }
  CHECK(updated.name() == "Original");
  CHECK(updated.description().empty());
  CHECK(updated.price_cents() == 1800);
  req.clear_description();
  req.set_price_cents(2500);
  req.set_name("Renamed");
  {
    auto ctx = Harness::Admin();
    REQUIRE(h.stub().UpdateProduct(ctx.get(), req, &updated).ok());
  }
  CHECK(updated.name() == "Renamed");
  CHECK(updated.price_cents() == 2500);
  CHECK(updated.stock() == 3);
  req.set_price_cents(-1);
  {
    auto ctx = Harness::Admin();
    CHECK(h.stub().UpdateProduct(ctx.get(), req, &updated).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  req.set_price_cents(1);
  req.set_id(NewUuid());
  {
    auto ctx = Harness::Admin();
    CHECK(h.stub().UpdateProduct(ctx.get(), req, &updated).error_code() == grpc::StatusCode::NOT_FOUND);
  }
}

TEST_CASE("restock adds units; zero is refused and an overflow is OUT_OF_RANGE", "[pg]") {
  Harness h;
  const pb::Product created = h.MustCreate("R-1", 3);
  pb::RestockProductRequest req;
  req.set_id(created.id());
  req.set_quantity(7);
  pb::Product out;
  {
    auto ctx = Harness::Admin();
    REQUIRE(h.stub().RestockProduct(ctx.get(), req, &out).ok());
  }
  CHECK(out.stock() == 10);
  req.set_quantity(0);
  {
    auto ctx = Harness::Admin();
    CHECK(h.stub().RestockProduct(ctx.get(), req, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  req.set_quantity(std::numeric_limits<int64_t>::max() - 5);
  {
    auto ctx = Harness::Admin();
    CHECK(h.stub().RestockProduct(ctx.get(), req, &out).error_code() == grpc::StatusCode::OUT_OF_RANGE);
  }
  CHECK(h.Stock(created.id()) == 10);
}

TEST_CASE("a restock repeated under its idempotency key adds once, even concurrently", "[pg]") {
  Harness h;
  const pb::Product created = h.MustCreate("RK-1", 5);
  const std::string admin = NewUuid();
  pb::RestockProductRequest req;
  req.set_id(created.id());
  req.set_quantity(4);
  req.set_idempotency_key("restock-1");
  // Ten retries of one request at once: the stock grows by 4 exactly once
  // and every answer is the first call's product.
  std::vector<std::thread> threads;
  std::vector<pb::Product> answers(10);
  std::vector<grpc::Status> statuses(10);
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto ctx = Harness::Admin(admin);
      statuses[i] = h.stub().RestockProduct(ctx.get(), req, &answers[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 10; ++i) {
    INFO(i << ": " << statuses[i].error_message());
    REQUIRE(statuses[i].ok());
    CHECK(answers[i].stock() == 9);
  }
  CHECK(h.Stock(created.id()) == 9);
  // The same key with another quantity: refused, nothing added.
  req.set_quantity(5);
  {
    pb::Product out;
    auto ctx = Harness::Admin(admin);
    CHECK(h.stub().RestockProduct(ctx.get(), req, &out).error_code() == grpc::StatusCode::ALREADY_EXISTS);
  }
  // Keys belong to their caller: another administrator's "restock-1" is new.
  req.set_quantity(4);
  {
    pb::Product out;
    auto ctx = Harness::Admin(NewUuid());
    REQUIRE(h.stub().RestockProduct(ctx.get(), req, &out).ok());
    CHECK(out.stock() == 13);
  }
  // Without a key every call adds.
  req.clear_idempotency_key();
  for (int i = 0; i < 2; ++i) {
    pb::Product out;
    auto ctx = Harness::Admin(admin);
    REQUIRE(h.stub().RestockProduct(ctx.get(), req, &out).ok());
  }
  CHECK(h.Stock(created.id()) == 21);
}

TEST_CASE("a create repeated under its idempotency key answers the first product", "[pg]") {
  Harness h;
  const std::string admin = NewUuid();
  pb::CreateProductRequest req;
  req.set_sku("CK-1");
  req.set_name("Keyed mug");
  req.set_price_cents(900);
  req.set_stock(2);
  req.set_idempotency_key("create-1");
  pb::Product first;
  pb::Product again;
  {
    auto ctx = Harness::Admin(admin);
    REQUIRE(h.stub().CreateProduct(ctx.get(), req, &first).ok());
  }
  {
    auto ctx = Harness::Admin(admin);
    REQUIRE(h.stub().CreateProduct(ctx.get(), req, &again).ok());
  }
  CHECK(again.id() == first.id());
  CHECK(again.created_at().seconds() == first.created_at().seconds());
  // Without the key the same sku is a duplicate; another body under the key
  // is a reused key. Both ALREADY_EXISTS, told apart by their reason.
  auto reason = [&](const pb::CreateProductRequest& r) {
    pb::Product out;
    auto ctx = Harness::Admin(admin);
    const grpc::Status st = h.stub().CreateProduct(ctx.get(), r, &out);
    CHECK(st.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    return runtime::status::ReasonOf(runtime::grpc_server::FromGrpcStatus(st));
  };
  pb::CreateProductRequest other = req;
  other.set_name("Another mug");
  CHECK(reason(other) == "IDEMPOTENCY_KEY_REUSED");
  req.clear_idempotency_key();
  CHECK(reason(req) == "SKU_TAKEN");
}

TEST_CASE("listing pages hold exactly pageSize items and the last page has no token", "[pg]") {
  Harness h;
  std::set<std::string> created;
  for (int i = 0; i < 45; ++i) {
    created.insert(h.MustCreate(absl::StrCat("L-", i), 1, i % 3 == 0 ? "Blue MUG" : "Teapot").id());
  }
  std::set<std::string> seen;
  std::vector<int> sizes;
  std::string token;
  do {
    const auto page = h.List(20, token, "");
    sizes.push_back(page.products_size());
    for (const auto& p : page.products()) seen.insert(p.id());
    token = page.next_page_token();
  } while (!token.empty());
  CHECK(sizes == std::vector<int>{20, 20, 5});
  CHECK(seen == created);
  // 15 products match "mug", case-insensitively: pages of 5, 5, 5, the last with no token.
  const auto q1 = h.List(5, "", "mug");
  const auto q2 = h.List(5, q1.next_page_token(), "mug");
  const auto q3 = h.List(5, q2.next_page_token(), "mug");
  CHECK(q3.products_size() == 5);
  CHECK(q3.next_page_token().empty());
  for (const auto& p : q3.products()) CHECK(p.name() == "Blue MUG");
  CHECK(h.List(0, "", "").products_size() == 20);     // default
  CHECK(h.List(1000, "", "").products_size() == 45);  // capped at 100, all fit
  grpc::Status s;
  h.List(-1, "", "", &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  h.List(5, "not a token", "", &s);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  h.List(5, q1.next_page_token(), "teapot", &s);  // a token of another query
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.List(5, "", "no such thing").next_page_token().empty());
}

TEST_CASE("query text with LIKE wildcards matches literally", "[pg]") {
  Harness h;
  h.MustCreate("W-1", 1, "100% cotton");
  h.MustCreate("W-2", 1, "cotton_candy");
  CHECK(h.List(10, "", "%").products_size() == 1);
  CHECK(h.List(10, "", "_").products_size() == 1);
}

TEST_CASE("100 concurrent reservations of a product with stock 10 reserve exactly 10 units",
          "[pg]") {
  Harness h;
  const pb::Product p = h.MustCreate("HOT-1", 10);
  std::atomic<int> reserved{0}, out_of_stock{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        pb::ReserveStockResponse r;
        if (!h.TryReserve(NewUuid(), {{p.id(), 1}}, &r).ok()) {
          other.fetch_add(1);
        } else if (r.outcome() == pb::ReserveStockResponse::RESERVED) {
          reserved.fetch_add(1);
        } else if (r.outcome() == pb::ReserveStockResponse::OUT_OF_STOCK) {
          out_of_stock.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(reserved.load() == 10);
  CHECK(out_of_stock.load() == 90);
  CHECK(other.load() == 0);
  CHECK(h.Stock(p.id()) == 0);
  CHECK(h.db().QueryAsSuper("SELECT sum(quantity) FROM inventory.reservation_lines") == "10");
}

TEST_CASE("a reservation is all or nothing and names the product that failed", "[pg]") {
  Harness h;
  const pb::Product a = h.MustCreate("A-1", 5);
  const pb::Product b = h.MustCreate("B-1", 1);
  auto r = h.Reserve(NewUuid(), {{a.id(), 2}, {b.id(), 2}});
  CHECK(r.outcome() == pb::ReserveStockResponse::OUT_OF_STOCK);
  CHECK(r.product_id() == b.id());
  CHECK(h.Stock(a.id()) == 5);
  const std::string gone = NewUuid();
  r = h.Reserve(NewUuid(), {{a.id(), 1}, {gone, 1}});
  CHECK(r.outcome() == pb::ReserveStockResponse::PRODUCT_UNAVAILABLE);
  CHECK(r.product_id() == gone);
  CHECK(h.Stock(a.id()) == 5);
}

TEST_CASE("reserve and release are idempotent by order id and a late reserve is refused",
          "[pg]") {
  Harness h;
  const pb::Product p = h.MustCreate("I-1", 10);
  const std::string order = NewUuid();
  CHECK(h.Reserve(order, {{p.id(), 3}}).outcome() == pb::ReserveStockResponse::RESERVED);
  CHECK(h.Reserve(order, {{p.id(), 3}}).outcome() == pb::ReserveStockResponse::RESERVED);
  CHECK(h.Stock(p.id()) == 7);
  CHECK(h.Release(order) == 3);
  CHECK(h.Release(order) == 0);
  CHECK(h.Stock(p.id()) == 10);
  CHECK(h.Reserve(order, {{p.id(), 3}}).outcome() == pb::ReserveStockResponse::RELEASED);
  CHECK(h.Stock(p.id()) == 10);

  // Released before it was ever reserved (the command arrived late): a
  // tombstone refuses the reservation when it comes.
  const std::string late = NewUuid();
  CHECK(h.Release(late) == 0);
  CHECK(h.Reserve(late, {{p.id(), 1}}).outcome() == pb::ReserveStockResponse::RELEASED);
  CHECK(h.Stock(p.id()) == 10);

  // A failed reservation answers the same failure again, even once stock is back.
  const std::string failed = NewUuid();
  CHECK(h.Reserve(failed, {{p.id(), 11}}).outcome() == pb::ReserveStockResponse::OUT_OF_STOCK);
  CHECK(h.Reserve(failed, {{p.id(), 11}}).outcome() == pb::ReserveStockResponse::OUT_OF_STOCK);
  CHECK(h.Release(failed) == 0);
  CHECK(h.Stock(p.id()) == 10);
}

TEST_CASE("stock is conserved under concurrent reserves, duplicates and releases", "[pg]") {
  Harness h;
  constexpr int kProducts = 4;
  constexpr int64_t kInitial = 30;
  std::vector<std::string> ids;
  for (int i = 0; i < kProducts; ++i) ids.push_back(h.MustCreate(absl::StrCat("C-", i), kInitial).id());
  std::vector<std::thread> threads;
  std::atomic<int> failed_calls{0};  // asserted below: Catch2 asserts on the test's thread only
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      pb::ReserveStockResponse reserved;
      pb::ReleaseStockResponse released;
      auto count = [&](const grpc::Status& s) {
        if (!s.ok()) failed_calls.fetch_add(1);
      };
      for (int i = 0; i < 30; ++i) {
        const std::string order = NewUuid();
        std::vector<std::pair<std::string, int64_t>> lines;
        for (int k = 0; k < kProducts; ++k) {
          if (rng() % 2 == 0) lines.emplace_back(ids[static_cast<size_t>(k)], 1 + rng() % 4);
        }
        if (lines.empty()) lines.emplace_back(ids[0], 1);
        // Shuffle the line order: the service must lock in a fixed order.
        std::shuffle(lines.begin(), lines.end(), rng);
        count(h.TryReserve(order, lines, &reserved));
        if (rng() % 3 == 0) count(h.TryReserve(order, lines, &reserved));  // duplicate delivery
        if (rng() % 2 == 0) count(h.TryRelease(order, &released));
        if (rng() % 4 == 0) count(h.TryRelease(order, &released));  // duplicate compensation
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed_calls.load() == 0);
  // Invariant: for every product, units available + units held by live
  // reservations == units it started with.
  for (const std::string& id : ids) {
    const std::string held = h.db().QueryAsSuper(absl::StrCat(
        "SELECT COALESCE(sum(l.quantity), 0) FROM inventory.reservation_lines l "
        "JOIN inventory.reservations r USING (order_id) "
        "WHERE r.state = 'RESERVED' AND l.product_id = '", id, "'"));
    CHECK(h.Stock(id) + std::stoll(held) == kInitial);
    CHECK(h.Stock(id) >= 0);
  }
}

TEST_CASE("batch get answers the live products among the ids asked", "[pg]") {
  Harness h;
  const pb::Product a = h.MustCreate("G-1", 1);
  const pb::Product b = h.MustCreate("G-2", 1);
  pb::BatchGetProductsRequest req;
  req.add_ids(a.id());
  req.add_ids(b.id());
  req.add_ids(NewUuid());
  req.add_ids("junk");
  pb::BatchGetProductsResponse resp;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  REQUIRE(h.stub().BatchGetProducts(&ctx, req, &resp).ok());
  std::set<std::string> got;
  for (const auto& p : resp.products()) got.insert(p.id());
  CHECK(got == std::set<std::string>{a.id(), b.id()});
}

TEST_CASE("a call whose deadline has passed is DEADLINE_EXCEEDED", "[pg]") {
  Harness h;
  pb::GetProductRequest req;
  req.set_id(NewUuid());
  pb::Product out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  CHECK(h.stub().GetProduct(&ctx, req, &out).error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_CASE("invalid reservation requests are INVALID_ARGUMENT", "[pg]") {
  Harness h;
  pb::ReserveStockRequest req;
  req.set_order_id("nope");
  pb::ReserveStockResponse resp;
  grpc::ClientContext ctx;
  agora::testing::WithServiceIdentity(ctx);  // an INTERNAL method
  CHECK(h.stub().ReserveStock(&ctx, req, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  pb::ReleaseStockRequest rel;
  rel.set_order_id("nope");
  pb::ReleaseStockResponse rel_resp;
  grpc::ClientContext ctx2;
  agora::testing::WithServiceIdentity(ctx2);  // an INTERNAL method
  CHECK(h.stub().ReleaseStock(&ctx2, rel, &rel_resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace agora::inventory
