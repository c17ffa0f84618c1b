#include "gateway/route_table.h"

#include <atomic>
#include <cstdint>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "agora/api/v1/policy.pb.h"
#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "agora/reviews/v1/reviews.pb.h"
#include "agora/saga/v1/admin.pb.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "tests/gateway/descriptor_testing.h"

// Counts heap allocations, to hold Find to "no allocation beyond its output".
namespace {

using agora::gateway::testing::AddField;
using agora::gateway::testing::AddWithDependencies;
std::atomic<int64_t> g_allocations{0};
}  // namespace

// Not under AddressSanitizer, whose own operator new would be paired with
// this free (it reports alloc-dealloc-mismatch); the allocation test below
// is skipped there.
#ifndef __SANITIZE_ADDRESS__
// GCC cannot see that these replacements pair malloc with free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace agora::gateway {
namespace {

using google::api::HttpRule;
using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::ServiceDescriptor;
using Outcome = RouteTable::Outcome;
using Vars = std::vector<std::pair<std::string, std::string>>;
using Methods = std::vector<std::string>;
using Rules = std::vector<std::pair<std::string, HttpRule>>;  // method name -> its rule

const std::string kId = "123e4567-e89b-12d3-a456-426614174000";

// ---------------------------------------------------------------------------
// Helpers.

// Through the generated classes, so that their files are linked in.
std::vector<const ServiceDescriptor*> AgoraServices() {
  return {
      customers::v1::Customer::descriptor()->file()->FindServiceByName("Customers"),
      inventory::v1::Product::descriptor()->file()->FindServiceByName("Inventory"),
      orders::v1::Order::descriptor()->file()->FindServiceByName("Orders"),
      reviews::v1::Review::descriptor()->file()->FindServiceByName("Reviews"),
      saga::v1::SagaTimeline::descriptor()->file()->FindServiceByName("Sagas"),
  };
}

RouteTable AgoraRoutes() {
  absl::StatusOr<RouteTable> table = RouteTable::Build(AgoraServices());
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  return std::move(*table);
}

struct Found {
  Outcome outcome = Outcome::kNotFound;
  std::string rpc;  // full name of the matched method
  Vars vars;
  Methods allowed;
};

Found Lookup(const RouteTable& table, std::string_view method, std::string_view path) {
  Found found;
  RouteMatch match;
  found.outcome = table.Find(method, path, &match, &found.allowed);
  if (found.outcome == Outcome::kMatched) {
    REQUIRE(match.binding != nullptr);
    found.rpc = match.binding->method->full_name();
    found.vars = match.variables;
  } else {
    CHECK(match.binding == nullptr);
  }
  return found;
}

void ExpectRoute(const RouteTable& table, std::string_view method, const std::string& path,
                 const std::string& rpc, const Vars& vars = {}) {
  INFO(std::string(method) << " " << path);
  const Found found = Lookup(table, method, path);
  REQUIRE(found.outcome == Outcome::kMatched);
  CHECK(found.rpc == rpc);
  CHECK(found.vars == vars);
}

void ExpectNotAllowed(const RouteTable& table, std::string_view method, const std::string& path,
                      const Methods& allowed) {
  INFO(std::string(method) << " " << path);
  const Found found = Lookup(table, method, path);
  CHECK(found.outcome == Outcome::kMethodNotAllowed);
  CHECK(found.allowed == allowed);
}

void ExpectNotFound(const RouteTable& table, std::string_view method, const std::string& path) {
  INFO(std::string(method) << " " << path);
  const Found found = Lookup(table, method, path);
  CHECK(found.outcome == Outcome::kNotFound);
  CHECK(found.allowed.empty());
}

HttpRule Rule(const std::string& method, const std::string& path, const std::string& body = "") {
  HttpRule rule;
  if (method == "GET") {
    rule.set_get(path);
  } else if (method == "POST") {
    rule.set_post(path);
  } else if (method == "PUT") {
    rule.set_put(path);
  } else if (method == "PATCH") {
    rule.set_patch(path);
  } else if (method == "DELETE") {
    rule.set_delete_(path);
  } else {
    rule.mutable_custom()->set_kind(method);
    rule.mutable_custom()->set_path(path);
  }
  rule.set_body(body);
  return rule;
}

// A service agora.test.Test built at run time, one method per rule, every
// method taking Req and answering Resp:
//   message Sub  { string id = 1; string name = 2; }
//   message Req  { string id = 1; string name = 2; Sub product = 3;
//                  repeated string tags = 4; repeated Sub subs = 5; int64 count = 6; }
//   message Resp { Sub product = 1; string note = 2; }
class TestApi final {
 public:
  // `access` is the agora.api.v1.policy of every method (unset: none).
  explicit TestApi(const Rules& methods,
                   agora::api::v1::Access access = agora::api::v1::ACCESS_UNSPECIFIED) {
    AddWithDependencies(pool_,
        DescriptorPool::generated_pool()->FindFileByName("google/api/annotations.proto"));
    AddWithDependencies(pool_, agora::api::v1::MethodPolicy::descriptor()->file());
    FileDescriptorProto file;
    file.set_name("agora/test/routes.proto");
    file.set_package("agora.test");
    file.set_syntax("proto3");
    file.add_dependency("google/api/annotations.proto");
    file.add_dependency(agora::api::v1::MethodPolicy::descriptor()->file()->name());
    DescriptorProto* sub = file.add_message_type();
    sub->set_name("Sub");
    AddField(sub, "id", 1, FieldDescriptorProto::TYPE_STRING);
    AddField(sub, "name", 2, FieldDescriptorProto::TYPE_STRING);
    DescriptorProto* req = file.add_message_type();
    req->set_name("Req");
    AddField(req, "id", 1, FieldDescriptorProto::TYPE_STRING);
    AddField(req, "name", 2, FieldDescriptorProto::TYPE_STRING);
    AddField(req, "product", 3, FieldDescriptorProto::TYPE_MESSAGE, ".agora.test.Sub");
    AddField(req, "tags", 4, FieldDescriptorProto::TYPE_STRING, "", true);
    AddField(req, "subs", 5, FieldDescriptorProto::TYPE_MESSAGE, ".agora.test.Sub", true);
    AddField(req, "count", 6, FieldDescriptorProto::TYPE_INT64);
    DescriptorProto* resp = file.add_message_type();
    resp->set_name("Resp");
    AddField(resp, "product", 1, FieldDescriptorProto::TYPE_MESSAGE, ".agora.test.Sub");
    AddField(resp, "note", 2, FieldDescriptorProto::TYPE_STRING);
    auto* service = file.add_service();
    service->set_name("Test");
    for (const auto& [name, rule] : methods) {
      auto* method = service->add_method();
      method->set_name(name);
      method->set_input_type(".agora.test.Req");
      method->set_output_type(".agora.test.Resp");
      *method->mutable_options()->MutableExtension(google::api::http) = rule;
      if (access != agora::api::v1::ACCESS_UNSPECIFIED) {
        method->mutable_options()->MutableExtension(agora::api::v1::policy)->set_access(access);
      }
    }
    const FileDescriptor* built = pool_.BuildFile(file);
    REQUIRE(built != nullptr);
    service_ = built->FindServiceByName("Test");
    REQUIRE(service_ != nullptr);
  }

  absl::StatusOr<RouteTable> Build() const { return RouteTable::Build({service_}); }

  RouteTable Routes() const {
    absl::StatusOr<RouteTable> table = Build();
    INFO(table.status().ToString());
    REQUIRE(table.ok());
    return std::move(*table);
  }

 private:

  DescriptorPool pool_;
  const ServiceDescriptor* service_ = nullptr;
};

// The error of building a test API with these rules ("" when it builds).
std::string BuildError(const Rules& methods) {
  TestApi api(methods);
  absl::StatusOr<RouteTable> table = api.Build();
  if (table.ok()) return "";
  CHECK(table.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------
// Agora's own routes (API.md).

TEST_CASE("the public services build into one binding per http rule", "[unit]") {
  const RouteTable table = AgoraRoutes();
  // customers 15, inventory 6, orders 6, reviews 5, sagas 5; INTERNAL methods have no rule.
  CHECK(table.bindings().size() == 37);
  for (const Binding& b : table.bindings()) {
    INFO(b.http_method << " " << b.path_template);
    CHECK(b.method != nullptr);
    CHECK((b.body.empty() || b.body == "*"));
    CHECK(b.response_body.empty());
  }
}

TEST_CASE("every auth, operations and customer route of API.md reaches its method", "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string c = "agora.customers.v1.Customers.";
  ExpectRoute(table, "POST", "/v1/auth:register", c + "Register");
  ExpectRoute(table, "POST", "/v1/auth:login", c + "Login");
  ExpectRoute(table, "POST", "/v1/auth:refresh", c + "Refresh");
  ExpectRoute(table, "POST", "/v1/auth:logout", c + "Logout");
  ExpectRoute(table, "GET", "/.well-known/jwks.json", c + "GetJwks");
  ExpectRoute(table, "GET", "/v1/customers/me", c + "GetMe");
  ExpectRoute(table, "POST", "/v1/customers/me:topUp", c + "TopUp");
  ExpectRoute(table, "GET", "/v1/customers/me/ledger", c + "ListLedger");
  ExpectRoute(table, "GET", "/v1/customers/me/cart", c + "GetCart");
  ExpectRoute(table, "PUT", "/v1/customers/me/cart/items/" + kId, c + "SetCartItem",
              {{"product_id", kId}});
  ExpectRoute(table, "DELETE", "/v1/customers/me/cart/items/" + kId, c + "RemoveCartItem",
              {{"product_id", kId}});
  ExpectRoute(table, "GET", "/v1/customers/me/favorites", c + "ListFavorites");
  ExpectRoute(table, "GET", "/v1/customers/me/favorites/" + kId, c + "IsFavorite",
              {{"product_id", kId}});
  ExpectRoute(table, "PUT", "/v1/customers/me/favorites/" + kId, c + "AddFavorite",
              {{"product_id", kId}});
  ExpectRoute(table, "DELETE", "/v1/customers/me/favorites/" + kId, c + "RemoveFavorite",
              {{"product_id", kId}});
}

TEST_CASE("every catalog and review route of API.md reaches its method", "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string i = "agora.inventory.v1.Inventory.";
  const std::string r = "agora.reviews.v1.Reviews.";
  ExpectRoute(table, "GET", "/v1/products", i + "ListProducts");
  ExpectRoute(table, "GET", "/v1/products/" + kId, i + "GetProduct", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/products", i + "CreateProduct");
  ExpectRoute(table, "PATCH", "/v1/products/" + kId, i + "UpdateProduct", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/products/" + kId + ":restock", i + "RestockProduct",
              {{"id", kId}});
  ExpectRoute(table, "DELETE", "/v1/products/" + kId, i + "DeleteProduct", {{"id", kId}});
  ExpectRoute(table, "GET", "/v1/products/" + kId + "/reviews", r + "ListReviews",
              {{"product_id", kId}});
  ExpectRoute(table, "POST", "/v1/products/" + kId + "/reviews", r + "CreateReview",
              {{"product_id", kId}});
  ExpectRoute(table, "GET", "/v1/products/" + kId + "/rating", r + "GetRating",
              {{"product_id", kId}});
  ExpectRoute(table, "DELETE", "/v1/reviews/" + kId, r + "DeleteReview", {{"id", kId}});
  ExpectRoute(table, "GET", "/v1/reviews/" + kId, r + "GetReview", {{"id", kId}});
  // The gateway's own fan-out, not a gRPC route: the HTTP server answers it first.
  ExpectNotFound(table, "GET", "/v1/products/" + kId + "/details");
}

TEST_CASE("every order and saga route of API.md reaches its method", "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string o = "agora.orders.v1.Orders.";
  const std::string s = "agora.saga.v1.Sagas.";
  ExpectRoute(table, "POST", "/v1/orders", o + "CreateOrder");
  ExpectRoute(table, "GET", "/v1/orders", o + "ListOrders");
  ExpectRoute(table, "GET", "/v1/orders/" + kId, o + "GetOrder", {{"id", kId}});
  ExpectRoute(table, "GET", "/v1/orders/" + kId + ":watch", o + "WatchOrder", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/orders/" + kId + ":cancel", o + "CancelOrder", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/orders/" + kId + ":ship", o + "ShipOrder", {{"id", kId}});
  ExpectRoute(table, "GET", "/v1/orders/" + kId + "/saga", s + "GetOrderSaga", {{"id", kId}});
  ExpectRoute(table, "GET", "/v1/admin/sagas", s + "ListSagas");
  ExpectRoute(table, "GET", "/v1/admin/sagas/" + kId, s + "GetSaga", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/admin/sagas/" + kId + ":retry", s + "RetrySaga", {{"id", kId}});
  ExpectRoute(table, "POST", "/v1/admin/sagas/" + kId + ":abort", s + "AbortSaga", {{"id", kId}});
}

TEST_CASE("a binding carries its rule: method, template, body and bound fields", "[unit]") {
  const RouteTable table = AgoraRoutes();
  RouteMatch match;
  REQUIRE(table.Find("POST", "/v1/products/p1:restock", &match, nullptr) == Outcome::kMatched);
  const Binding& restock = *match.binding;
  CHECK(restock.http_method == "POST");
  CHECK(restock.path_template == "/v1/products/{id}:restock");
  CHECK(restock.body == "*");
  CHECK(restock.response_body.empty());
  CHECK(restock.method->full_name() == "agora.inventory.v1.Inventory.RestockProduct");
  CHECK(restock.variables == std::vector<std::string>{"id"});

  REQUIRE(table.Find("GET", "/v1/orders", &match, nullptr) == Outcome::kMatched);
  CHECK(match.binding->body.empty());
  CHECK(match.binding->variables.empty());
  CHECK(match.variables.empty());
  // Bindings live in the table: the pointer is one of bindings().
  CHECK(match.binding >= table.bindings().data());
  CHECK(match.binding < table.bindings().data() + table.bindings().size());
}

TEST_CASE("a path served for other methods only is 405 with the sorted Allow list", "[unit]") {
  const RouteTable table = AgoraRoutes();
  ExpectNotAllowed(table, "DELETE", "/v1/products", {"GET", "POST"});
  ExpectNotAllowed(table, "POST", "/v1/products/" + kId, {"DELETE", "GET", "PATCH"});
  ExpectNotAllowed(table, "PUT", "/v1/orders/" + kId, {"GET"});
  ExpectNotAllowed(table, "DELETE", "/v1/orders/" + kId + "/saga", {"GET"});
  ExpectNotAllowed(table, "GET", "/v1/auth:login", {"POST"});
  ExpectNotAllowed(table, "GET", "/v1/customers/me/cart/items/" + kId, {"DELETE", "PUT"});
  ExpectNotAllowed(table, "POST", "/v1/customers/me/favorites", {"GET"});
  ExpectNotAllowed(table, "PATCH", "/.well-known/jwks.json", {"GET"});
  // Methods are case-sensitive.
  ExpectNotAllowed(table, "get", "/v1/products", {"GET", "POST"});
}

TEST_CASE("a verb route is not taken by the plain route of the same resource, nor the reverse",
          "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string o = "agora.orders.v1.Orders.";
  // GET /v1/orders/{id} does not swallow the cancel action: GET on it is 405.
  ExpectNotAllowed(table, "GET", "/v1/orders/" + kId + ":cancel", {"POST"});
  ExpectNotAllowed(table, "POST", "/v1/orders/" + kId + ":watch", {"GET"});
  ExpectNotAllowed(table, "DELETE", "/v1/orders/" + kId + ":ship", {"POST"});
  // POST /v1/orders/{id}:cancel does not match the bare resource.
  ExpectNotAllowed(table, "POST", "/v1/orders/" + kId, {"GET"});
  ExpectRoute(table, "GET", "/v1/orders/" + kId + ":watch", o + "WatchOrder", {{"id", kId}});
  // A verb no template declares is part of the id; so is a verb declared
  // elsewhere that no template of this path takes, and an encoded colon.
  ExpectRoute(table, "GET", "/v1/orders/abc:def", o + "GetOrder", {{"id", "abc:def"}});
  ExpectRoute(table, "GET", "/v1/products/abc:cancel", "agora.inventory.v1.Inventory.GetProduct",
              {{"id", "abc:cancel"}});
  ExpectRoute(table, "GET", "/v1/orders/abc%3Acancel", o + "GetOrder", {{"id", "abc:cancel"}});
  // The last colon starts the verb.
  ExpectRoute(table, "POST", "/v1/orders/a:b:cancel", o + "CancelOrder", {{"id", "a:b"}});
}

TEST_CASE("unknown paths are 404", "[unit]") {
  const RouteTable table = AgoraRoutes();
  for (const char* path :
       {"/v1/nothing", "/", "", "v1/products", "/v1", "/v1/products/", "/v1//products",
        "/v1/products//reviews", "/v2/products", "/V1/products", "/v1/product%73",
        "/v1/orders/x/saga/extra", "/v1/auth", "/v1/auth:nope", "/.well-known/jwks.json/x",
        "/v1/customers/me:nope", "/v1/customers/me/cart/items"}) {
    ExpectNotFound(table, "GET", path);
  }
  ExpectNotFound(table, "POST", "/v1/auth:whoami");
}

TEST_CASE("path variables are percent-decoded, except an encoded slash", "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string get = "agora.inventory.v1.Inventory.GetProduct";
  ExpectRoute(table, "GET", "/v1/products/a%20b", get, {{"id", "a b"}});
  ExpectRoute(table, "GET", "/v1/products/caf%C3%A9", get, {{"id", "caf\xc3\xa9"}});
  ExpectRoute(table, "GET", "/v1/products/a+b", get, {{"id", "a+b"}});
  ExpectRoute(table, "GET", "/v1/products/%7e%7E", get, {{"id", "~~"}});
  ExpectRoute(table, "GET", "/v1/products/a%2Fb", get, {{"id", "a%2Fb"}});
  ExpectRoute(table, "GET", "/v1/products/a%2fb", get, {{"id", "a%2fb"}});
  ExpectRoute(table, "GET", "/v1/products/%252F", get, {{"id", "%2F"}});
  ExpectRoute(table, "POST", "/v1/products/x%3Ay:restock",
              "agora.inventory.v1.Inventory.RestockProduct", {{"id", "x:y"}});
  // A malformed escape matches nothing.
  ExpectNotFound(table, "GET", "/v1/products/bad%2");
  ExpectNotFound(table, "GET", "/v1/products/bad%zz");
  ExpectNotFound(table, "GET", "/v1/products/%");
}

TEST_CASE("a RouteMatch can be reused and Find takes null outputs", "[unit]") {
  const RouteTable table = AgoraRoutes();
  RouteMatch match;
  std::vector<std::string> allowed;
  REQUIRE(table.Find("GET", "/v1/products/one", &match, &allowed) == Outcome::kMatched);
  REQUIRE(table.Find("GET", "/v1/orders/two/saga", &match, &allowed) == Outcome::kMatched);
  CHECK(match.variables == Vars{{"id", "two"}});
  CHECK(table.Find("DELETE", "/v1/products", &match, &allowed) == Outcome::kMethodNotAllowed);
  CHECK(match.binding == nullptr);
  CHECK(match.variables.empty());
  REQUIRE(table.Find("GET", "/v1/orders", &match, &allowed) == Outcome::kMatched);
  CHECK(allowed.empty());
  CHECK(match.variables.empty());
  CHECK(table.Find("GET", "/v1/products/x", nullptr, nullptr) == Outcome::kMatched);
  CHECK(table.Find("DELETE", "/v1/products", nullptr, nullptr) == Outcome::kMethodNotAllowed);
  CHECK(table.Find("GET", "/v1/nothing", nullptr, nullptr) == Outcome::kNotFound);
}

TEST_CASE("Find allocates nothing once its outputs have room", "[unit]") {
  const RouteTable table = AgoraRoutes();
  const std::string product = "/v1/products/" + kId;
  const std::string cancel = "/v1/orders/" + kId + ":cancel";
  const std::string saga = "/v1/admin/sagas/" + kId + ":retry";
  RouteMatch match;
  REQUIRE(table.Find("GET", product, &match, nullptr) == Outcome::kMatched);
  int matched = 0;
  int others = 0;
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    matched += table.Find("GET", product, &match, nullptr) == Outcome::kMatched;
    matched += table.Find("POST", cancel, &match, nullptr) == Outcome::kMatched;
    matched += table.Find("POST", saga, &match, nullptr) == Outcome::kMatched;
    others += table.Find("GET", "/v1/nothing/at/all", nullptr, nullptr) == Outcome::kNotFound;
    others += table.Find("GET", cancel, nullptr, nullptr) == Outcome::kMethodNotAllowed;
  }
  const int64_t allocations = g_allocations.load() - before;
#ifdef __SANITIZE_ADDRESS__
  WARN("allocations are not counted under AddressSanitizer: only the matches are checked");
#endif
  CHECK(matched == 300);
  CHECK(others == 200);
  CHECK(allocations == 0);
}

// ---------------------------------------------------------------------------
// Template features, on descriptors built at run time.

TEST_CASE("'**' and {var=**} take the rest of the path, after any literal route", "[unit]") {
  TestApi api(Rules{{"Files", Rule("GET", "/v1/files/{name=**}")},
                                         {"Special", Rule("GET", "/v1/files/special")},
                                         {"Download", Rule("GET", "/v1/files/{name=**}:download")},
                                         {"Raw", Rule("GET", "/v1/raw/**")},
                                         {"Book", Rule("GET", "/v1/{name=shelves/*/books/*}")},
                                         {"Shelf", Rule("GET", "/v1/shelves/{id}")}});
  const RouteTable table = api.Routes();
  const std::string t = "agora.test.Test.";
  ExpectRoute(table, "GET", "/v1/files/a/b/c", t + "Files", {{"name", "a/b/c"}});
  ExpectRoute(table, "GET", "/v1/files/a", t + "Files", {{"name", "a"}});
  ExpectRoute(table, "GET", "/v1/files", t + "Files", {{"name", ""}});
  ExpectRoute(table, "GET", "/v1/files/special", t + "Special");
  ExpectRoute(table, "GET", "/v1/files/special/x", t + "Files", {{"name", "special/x"}});
  ExpectRoute(table, "GET", "/v1/files/a%2Fb/c%20d", t + "Files", {{"name", "a%2Fb/c d"}});
  ExpectRoute(table, "GET", "/v1/files/a/b:download", t + "Download", {{"name", "a/b"}});
  ExpectRoute(table, "GET", "/v1/raw/x/y", t + "Raw");
  ExpectRoute(table, "GET", "/v1/raw", t + "Raw");
  ExpectRoute(table, "GET", "/v1/shelves/s1/books/b%201", t + "Book",
              {{"name", "shelves/s1/books/b 1"}});
  ExpectRoute(table, "GET", "/v1/shelves/s1", t + "Shelf", {{"id", "s1"}});
  ExpectNotFound(table, "GET", "/v1/shelves/s1/books");
  ExpectNotFound(table, "GET", "/v1/shelves/s1/books/b1/x");
  ExpectNotAllowed(table, "POST", "/v1/files/a/b", {"GET"});
}

TEST_CASE("nested field paths bind subfields, in template order, by proto name", "[unit]") {
  TestApi api(Rules{{"Update", Rule("PATCH", "/v1/products/{product.id}", "product")},
                    {"Names", Rule("GET", "/v1/items/{product.id}/names/{product.name}")},
                    {"Json", Rule("GET", "/v1/json/{product.id}/{count}")}});
  const RouteTable table = api.Routes();
  const std::string t = "agora.test.Test.";
  ExpectRoute(table, "PATCH", "/v1/products/p1", t + "Update", {{"product.id", "p1"}});
  ExpectRoute(table, "GET", "/v1/items/p1/names/n%201", t + "Names",
              {{"product.id", "p1"}, {"product.name", "n 1"}});
  ExpectRoute(table, "GET", "/v1/json/p1/5", t + "Json", {{"product.id", "p1"}, {"count", "5"}});
  RouteMatch match;
  REQUIRE(table.Find("PATCH", "/v1/products/p1", &match, nullptr) == Outcome::kMatched);
  CHECK(match.binding->body == "product");
  CHECK(match.binding->variables == std::vector<std::string>{"product.id"});
}

TEST_CASE("the most specific template wins: literals, then a verb, then the plain route",
          "[unit]") {
  TestApi api(Rules{{"Get", Rule("GET", "/v1/things/{id}")},
                                         {"Mine", Rule("GET", "/v1/things/mine")},
                                         {"Peek", Rule("GET", "/v1/things/{id}:peek")},
                                         {"Frob", Rule("POST", "/v1/things/{id}:frob", "*")},
                                         {"Sub", Rule("GET", "/v1/things/{id}/{name}")},
                                         {"SubMine", Rule("GET", "/v1/things/{id}/mine")},
                                         {"Head", Rule("HEAD", "/v1/things/{id}")},
                                         {"Any", Rule("*", "/v1/any/{id}")}});
  const RouteTable table = api.Routes();
  const std::string t = "agora.test.Test.";
  ExpectRoute(table, "GET", "/v1/things/mine", t + "Mine");
  ExpectRoute(table, "GET", "/v1/things/x", t + "Get", {{"id", "x"}});
  ExpectRoute(table, "GET", "/v1/things/x:peek", t + "Peek", {{"id", "x"}});
  ExpectRoute(table, "GET", "/v1/things/mine:peek", t + "Peek", {{"id", "mine"}});
  ExpectRoute(table, "POST", "/v1/things/x:frob", t + "Frob", {{"id", "x"}});
  ExpectRoute(table, "GET", "/v1/things/x:other", t + "Get", {{"id", "x:other"}});
  ExpectRoute(table, "GET", "/v1/things/x/mine", t + "SubMine", {{"id", "x"}});
  ExpectRoute(table, "GET", "/v1/things/x/y", t + "Sub", {{"id", "x"}, {"name", "y"}});
  ExpectRoute(table, "HEAD", "/v1/things/x", t + "Head", {{"id", "x"}});
  ExpectRoute(table, "PURGE", "/v1/any/x", t + "Any", {{"id", "x"}});
  ExpectRoute(table, "GET", "/v1/any/x", t + "Any", {{"id", "x"}});
  ExpectNotAllowed(table, "GET", "/v1/things/x:frob", {"POST"});
  ExpectNotAllowed(table, "POST", "/v1/things/x", {"GET", "HEAD"});
  ExpectNotAllowed(table, "POST", "/v1/things/mine", {"GET", "HEAD"});
}

TEST_CASE("additional bindings route to the same method", "[unit]") {
  HttpRule rule = Rule("GET", "/v1/messages/{id}");
  *rule.add_additional_bindings() = Rule("GET", "/v1/users/{name}/messages/{id}");
  *rule.add_additional_bindings() = Rule("POST", "/v1/messages/{id}:touch", "*");
  TestApi api(Rules{{"GetMessage", rule}});
  const RouteTable table = api.Routes();
  CHECK(table.bindings().size() == 3);
  const std::string m = "agora.test.Test.GetMessage";
  ExpectRoute(table, "GET", "/v1/messages/7", m, {{"id", "7"}});
  ExpectRoute(table, "GET", "/v1/users/u/messages/7", m, {{"name", "u"}, {"id", "7"}});
  ExpectRoute(table, "POST", "/v1/messages/7:touch", m, {{"id", "7"}});
}

TEST_CASE("two bindings of one method and one template shape are refused, naming both", "[unit]") {
  std::string error =
      BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("GET", "/v1/x/{name}")}});
  CHECK(Contains(error, "agora.test.Test.A"));
  CHECK(Contains(error, "agora.test.Test.B"));
  CHECK(Contains(error, "/v1/x/{id}"));
  CHECK(Contains(error, "/v1/x/{name}"));
  CHECK_FALSE(
      BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("GET", "/v1/x/*")}}).empty());
  CHECK_FALSE(
      BuildError({{"A", Rule("GET", "/v1/{name=x/*}")}, {"B", Rule("GET", "/v1/x/{id}")}}).empty());
  CHECK_FALSE(
      BuildError({{"A", Rule("GET", "/v1/{name=**}")}, {"B", Rule("GET", "/v1/**")}}).empty());
  CHECK_FALSE(
      BuildError({{"A", Rule("POST", "/v1/x:go")}, {"B", Rule("POST", "/v1/x:go")}}).empty());
  HttpRule with_extra = Rule("GET", "/v1/a");
  *with_extra.add_additional_bindings() = Rule("GET", "/v1/b");
  error = BuildError({{"A", with_extra}, {"B", Rule("GET", "/v1/b")}});
  CHECK(Contains(error, "agora.test.Test.A"));
  CHECK(Contains(error, "agora.test.Test.B"));
  // Different methods, verbs, literals or lengths are distinct shapes.
  CHECK(BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("DELETE", "/v1/x/{id}")}}) == "");
  CHECK(BuildError({{"A", Rule("POST", "/v1/x/{id}:a")}, {"B", Rule("POST", "/v1/x/{id}:b")}}) ==
        "");
  CHECK(BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("GET", "/v1/x/y")}}) == "");
  CHECK(BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("GET", "/v1/x/{id}/y")}}) == "");
  CHECK(BuildError({{"A", Rule("GET", "/v1/x/{id}")}, {"B", Rule("GET", "/v1/x/**")}}) == "");
}

TEST_CASE("malformed path templates are refused, naming the method and the template", "[unit]") {
  for (const char* bad : {"",          "v1/x",
                          "/v1//x",    "/v1/x/",
                          "//",        "/v1/{id",
                          "/v1/{id}x", "/v1/{}",
                          "/v1/{id=}", "/v1/{id=a/{name}}",
                          "/v1/{.id}", "/v1/{id.}",
                          "/v1/{1d}",  "/v1/{id=a:b}",
                          "/v1/**/x",  "/v1/{name=**}/x",
                          "/v1/x:",    "/v1/a b",
                          "/v1/a%20b", "/v1/a*",
                          "/v1/*a",    "/v1/x?y=1",
                          "/v1/x#y",   "/v1/x:go:on",
                          "/v1/{id}:", "/v1/}"}) {
    INFO(bad);
    const std::string error = BuildError({{"Bad", Rule("GET", bad)}});
    CHECK(Contains(error, "agora.test.Test.Bad"));
    CHECK(Contains(error, "malformed path template"));
  }
  for (const char* good : {"/", "/v1", "/v1/*", "/v1/**", "/v1/x:go", "/v1/a:b/c", "/v1/x:a/b",
                           "/v1/{id}:go", "/v1/{name=a/*/b/**}:go", "/v1/~a.b-c_d!$&'()+,;=@"}) {
    INFO(good);
    CHECK(BuildError({{"Good", Rule("GET", good)}}) == "");
  }
}

TEST_CASE("unknown or unbindable fields, bodies on GET and DELETE and bad rules are refused",
          "[unit]") {
  const auto error_of = [](const HttpRule& rule) { return BuildError({{"M", rule}}); };
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{nope}")), "nope"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{nope}")), "/v1/x/{nope}"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{product.nope}")), "product.nope"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{tags}")), "repeated"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{subs.id}")), "repeated"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{product}")), "message"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x/{id}/{id}")), "twice"));
  CHECK(Contains(error_of(Rule("POST", "/v1/x", "nope")), "body"));
  CHECK(Contains(error_of(Rule("POST", "/v1/x", "product.id")), "top-level"));
  CHECK(Contains(error_of(Rule("GET", "/v1/x", "*")), "body"));
  CHECK(Contains(error_of(Rule("DELETE", "/v1/x", "product")), "body"));
  HttpRule response = Rule("GET", "/v1/x");
  response.set_response_body("nope");
  CHECK(Contains(error_of(response), "response_body"));
  CHECK_FALSE(error_of(HttpRule()).empty());
  CHECK_FALSE(error_of(Rule("", "/v1/x")).empty());
  CHECK_FALSE(error_of(Rule("GE T", "/v1/x")).empty());
  HttpRule nested = Rule("GET", "/v1/a");
  *nested.add_additional_bindings() = Rule("GET", "/v1/b");
  *nested.mutable_additional_bindings(0)->add_additional_bindings() = Rule("GET", "/v1/c");
  CHECK(Contains(error_of(nested), "additional"));

  // What is allowed: a body field, a JSON-named variable, a response body.
  HttpRule fine = Rule("PUT", "/v1/x/{product.id}", "product");
  fine.set_response_body("product");
  CHECK(error_of(fine) == "");
  TestApi api(Rules{{"M", fine}});
  const RouteTable table = api.Routes();
  CHECK(table.bindings()[0].response_body == "product");
  CHECK(error_of(Rule("GET", "/v1/x/{count}")) == "");
}

TEST_CASE("an INTERNAL method is never routed: a table with an http rule on one is refused",
          "[unit]") {
  for (const char* verb : {"GET", "POST", "DELETE"}) {
    INFO(verb);
    TestApi internal(Rules{{"Debit", Rule(verb, "/v1/x/{id}")}}, agora::api::v1::INTERNAL);
    const absl::StatusOr<RouteTable> table = internal.Build();
    REQUIRE_FALSE(table.ok());
    CHECK(table.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(std::string(table.status().message()), "agora.test.Test.Debit"));
    CHECK(Contains(std::string(table.status().message()), "INTERNAL"));
  }
  // The same rule on a public, customer or admin method builds.
  for (auto access : {agora::api::v1::PUBLIC, agora::api::v1::CUSTOMER, agora::api::v1::ADMIN}) {
    TestApi api(Rules{{"Debit", Rule("POST", "/v1/x/{id}")}}, access);
    CHECK(api.Build().ok());
  }
  // Agora's own INTERNAL methods (the saga steps) have no binding.
  const RouteTable table = AgoraRoutes();
  for (const Binding& b : table.bindings()) {
    INFO(b.method->full_name());
    CHECK(b.method->options().GetExtension(agora::api::v1::policy).access() != agora::api::v1::INTERNAL);
  }
}

TEST_CASE("methods without an http rule get no binding", "[unit]") {
  TestApi api(Rules{});
  const RouteTable table = api.Routes();
  CHECK(table.bindings().empty());
  ExpectNotFound(table, "GET", "/");
  ExpectNotFound(table, "GET", "/v1/x");
  CHECK(RouteTable::Build({nullptr}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::gateway
