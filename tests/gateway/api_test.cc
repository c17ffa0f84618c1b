// The REST contract of ../shared/API.md, over HTTP against the real gateway,
// real services and a real PostgreSQL.

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "agora/reviews/v1/reviews.grpc.pb.h"
#include "agora/saga/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/jwt.h"
#include "runtime/ids/uuid.h"
#include "tests/gateway/system.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"
#include "tests/support/service_process.h"

namespace agora::gateway {
namespace {

using agora::testing::HttpResult;
using agora::testing::System;
using json = nlohmann::json;

json Body(const HttpResult& r) {
  INFO(r.body);
  return json::parse(r.body);
}

void RequireError(const HttpResult& r, int status, int code) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == status);
  const json b = Body(r);
  CHECK(b["code"] == code);
  CHECK(b["message"].is_string());
  CHECK(b["details"].is_array());
  CHECK(r.Header("content-type") == "application/json");
}

TEST_CASE("operations endpoints answer without auth", "[e2e]") {
  System& s = System::Get();
  const HttpResult health = s.Call("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(Body(health)["status"] == "SERVING");
  const HttpResult ready = s.Call("GET", "/readyz");
  CHECK(ready.status == 200);
  const HttpResult metrics = s.Call("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("http_requests_total") != std::string::npos);
  const HttpResult jwks = s.Call("GET", "/.well-known/jwks.json");
  REQUIRE(jwks.status == 200);
  CHECK(Body(jwks)["keys"][0]["kid"] == agora::testing::TestSigner().kid());
}

TEST_CASE("the OpenAPI document lists every route of the contract", "[e2e]") {
  const json doc = Body(System::Get().Call("GET", "/openapi.json"));
  CHECK(doc["openapi"] == "3.0.3");
  const json& p = doc["paths"];
  for (const auto& [path, verb] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/auth:register", "post"}, {"/v1/auth:login", "post"}, {"/v1/auth:refresh", "post"},
           {"/v1/auth:logout", "post"}, {"/v1/customers/me", "get"}, {"/v1/customers/me:topUp", "post"},
           {"/v1/customers/me/ledger", "get"}, {"/v1/customers/me/cart", "get"},
           {"/v1/customers/me/cart/items/{productId}", "put"},
           {"/v1/customers/me/cart/items/{productId}", "delete"}, {"/v1/customers/me/favorites", "get"},
           {"/v1/customers/me/favorites/{productId}", "put"}, {"/v1/products", "get"},
           {"/v1/products", "post"}, {"/v1/products/{id}", "get"}, {"/v1/products/{id}", "patch"},
           {"/v1/products/{id}", "delete"}, {"/v1/products/{id}:restock", "post"}, {"/v1/orders", "post"},
           {"/v1/orders", "get"}, {"/v1/orders/{id}", "get"}, {"/v1/orders/{id}:watch", "get"},
           {"/v1/orders/{id}:cancel", "post"}, {"/v1/orders/{id}:ship", "post"},
           {"/v1/orders/{id}/saga", "get"}, {"/v1/products/{productId}/reviews", "get"},
           {"/v1/products/{productId}/reviews", "post"}, {"/v1/products/{productId}/rating", "get"},
           {"/v1/reviews/{id}", "delete"}, {"/v1/admin/sagas", "get"}, {"/v1/admin/sagas/{id}", "get"},
           {"/v1/admin/sagas/{id}:retry", "post"}, {"/v1/admin/sagas/{id}:abort", "post"},
           {"/v1/products/{id}/details", "get"}, {"/v1/reviews/{id}", "get"}, {"/healthz", "get"},
           {"/readyz", "get"}, {"/metrics", "get"}, {"/openapi.json", "get"}, {"/.well-known/jwks.json", "get"}}) {
    INFO(verb << " " << path);
    CHECK(p.contains(path));
    if (p.contains(path)) CHECK(p[path].contains(verb));
  }
  CHECK(p["/v1/orders"]["post"]["responses"].contains("202"));
  CHECK(p["/v1/products"]["post"]["responses"].contains("201"));
  CHECK(p["/v1/products"]["post"].contains("security"));
  CHECK_FALSE(p["/v1/products"]["get"].contains("security"));
  // A token is optional on the details route (it adds `favorite`).
  CHECK(p["/v1/products/{id}/details"]["get"]["security"] == json::parse(R"([{}, {"bearerAuth": []}])"));
  // Path parameters by their JSON names, as API.md writes them.
  CHECK(p["/v1/products/{productId}/reviews"]["get"]["parameters"][0]["name"] == "productId");
  CHECK(p["/v1/orders/{id}/saga"]["get"]["parameters"][0]["name"] == "id");
  // Idempotency-Key where the request keeps one; 401 where a token is needed, 403 where an admin's.
  auto has_key_header = [&](const json& op) {
    for (const json& param : op.value("parameters", json::array())) {
      if (param["name"] == "Idempotency-Key" && param["in"] == "header") return true;
    }
    return false;
  };
  CHECK(has_key_header(p["/v1/orders"]["post"]));
  CHECK(has_key_header(p["/v1/customers/me:topUp"]["post"]));
  CHECK(has_key_header(p["/v1/orders/{id}:cancel"]["post"]));
  CHECK_FALSE(has_key_header(p["/v1/auth:login"]["post"]));
  CHECK_FALSE(has_key_header(p["/v1/orders"]["get"]));
  // A body next to path parameters holds the rest of the request only.
  const auto body_schema = [&](const char* path, const char* verb) {
    return p[path][verb]["requestBody"]["content"]["application/json"]["schema"];
  };
  CHECK(body_schema("/v1/customers/me/cart/items/{productId}", "put")["properties"].contains("quantity"));
  CHECK_FALSE(body_schema("/v1/customers/me/cart/items/{productId}", "put")["properties"].contains("productId"));
  CHECK(body_schema("/v1/products/{id}", "patch")["properties"].contains("priceCents"));
  CHECK_FALSE(body_schema("/v1/products/{id}", "patch")["properties"].contains("id"));
  CHECK(body_schema("/v1/products/{id}:restock", "post")["properties"].contains("quantity"));
  CHECK_FALSE(body_schema("/v1/orders/{id}:cancel", "post")["properties"].contains("id"));
  CHECK(body_schema("/v1/orders", "post")["$ref"] == "#/components/schemas/agora.orders.v1.CreateOrderRequest");
  CHECK(p["/v1/customers/me"]["get"]["responses"].contains("401"));
  CHECK_FALSE(p["/v1/customers/me"]["get"]["responses"].contains("403"));
  CHECK(p["/v1/admin/sagas"]["get"]["responses"].contains("403"));
  CHECK_FALSE(p["/v1/products"]["get"]["responses"].contains("401"));
  // The composite route's schema names what it answers, and those schemas exist.
  const json& details = p["/v1/products/{id}/details"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
  for (const char* field : {"product", "rating", "topReviews", "favorite", "degraded"}) {
    INFO(field);
    CHECK(details["properties"].contains(field));
  }
  CHECK(doc["components"]["schemas"].contains("agora.reviews.v1.Rating"));
}

TEST_CASE("register answers 201 with Location; login, me and refresh follow the contract", "[e2e]") {
  System& s = System::Get();
  const std::string email = agora::testing::UniqueName("reg") + "@Example.com";
  const HttpResult reg = s.Call(
      "POST", "/v1/auth:register",
      json{{"email", email}, {"password", "password123"}, {"display_name", "Reg"}}.dump());
  REQUIRE(reg.status == 201);
  const json c = Body(reg);
  CHECK(reg.Header("location") == "/v1/customers/me");  // the one route that reads a customer
  CHECK(c["balanceCents"] == "0");  // 64-bit integers are strings; zero is not omitted
  CHECK(c["displayName"] == "Reg");
  CHECK(c["email"] == email);  // as written
  RequireError(s.Call("POST", "/v1/auth:register", json{{"email", email}, {"password", "password123"}}.dump()),
               409, 6);
  // Compared ignoring case: taken in any case, and signs in in any case.
  RequireError(s.Call("POST", "/v1/auth:register",
                      json{{"email", absl::AsciiStrToUpper(email)}, {"password", "password123"}}.dump()),
               409, 6);
  CHECK(s.Call("POST", "/v1/auth:login", json{{"email", absl::AsciiStrToLower(email)}, {"password", "password123"}}.dump())
            .status == 200);
  RequireError(s.Call("POST", "/v1/auth:register", json{{"email", "bad"}, {"password", "password123"}}.dump()),
               400, 3);
  RequireError(s.Call("POST", "/v1/auth:register", json{{"email", "a@b.c"}, {"password", "short"}}.dump()),
               400, 3);
  const HttpResult login =
      s.Call("POST", "/v1/auth:login", json{{"email", email}, {"password", "password123"}}.dump());
  REQUIRE(login.status == 200);
  const json t = Body(login);
  CHECK(t["tokenType"] == "Bearer");
  CHECK(t["expiresIn"] == 900);
  const HttpResult me = s.Call("GET", "/v1/customers/me", "", t["accessToken"]);
  REQUIRE(me.status == 200);
  CHECK(Body(me)["email"] == email);
  const HttpResult wrong =
      s.Call("POST", "/v1/auth:login", json{{"email", email}, {"password", "wrong-pass"}}.dump());
  RequireError(wrong, 401, 16);
  CHECK(wrong.Header("www-authenticate").rfind("Bearer", 0) == 0);
  const HttpResult refreshed =
      s.Call("POST", "/v1/auth:refresh", json{{"refreshToken", t["refreshToken"]}}.dump());
  REQUIRE(refreshed.status == 200);
  RequireError(s.Call("POST", "/v1/auth:refresh", json{{"refreshToken", t["refreshToken"]}}.dump()), 401, 16);
  RequireError(s.Call("POST", "/v1/auth:refresh", json{{"refreshToken", Body(refreshed)["refreshToken"]}}.dump()),
               401, 16);
  // A missing refresh token is a malformed request on both routes, not bad credentials.
  RequireError(s.Call("POST", "/v1/auth:refresh", "{}"), 400, 3);
  RequireError(s.Call("POST", "/v1/auth:logout", "{}"), 400, 3);
}

TEST_CASE("JWT attacks and missing tokens answer 401 with WWW-Authenticate", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string header = token.substr(0, token.find('.'));
  const std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  const std::string none = absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  const std::string hs = absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})") + "." + payload + "." +
                         token.substr(token.rfind('.') + 1);
  const std::string tampered = header + "." + absl::WebSafeBase64Escape(R"({"sub":"x","roles":["admin"]})") +
                               "." + token.substr(token.rfind('.') + 1);
  for (const std::string& bad : {none, hs, tampered, std::string("garbage")}) {
    const HttpResult r = s.Call("GET", "/v1/customers/me", "", bad);
    RequireError(r, 401, 16);
    CHECK(r.Header("www-authenticate").find("invalid_token") != std::string::npos);
  }
  // No token at all: a challenge without an error code (RFC 6750, 3.1).
  const HttpResult missing = s.Call("GET", "/v1/customers/me");
  RequireError(missing, 401, 16);
  CHECK(missing.Header("www-authenticate") == "Bearer realm=\"agora\"");
}

TEST_CASE("expired, not-yet-valid, foreign-issuer, foreign-audience and unknown-key tokens answer 401",
          "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string& pem = agora::testing::TestPrivateKeyPem();
  auto signer = [](const std::string& key, runtime::auth::SignerOptions options) {
    auto made = runtime::auth::JwtSigner::FromPem(key, options);
    REQUIRE(made.ok());
    return std::move(*made);
  };
  const auto own = signer(pem, {});
  const absl::Time now = absl::Now();
  const std::string expired = own->Sign(id, {"customer"}, now - absl::Hours(1));     // exp 45 min ago
  const std::string not_yet = own->Sign(id, {"customer"}, now + absl::Minutes(10));  // nbf beyond the leeway
  const std::string other_iss = signer(pem, {.issuer = "not-agora"})->Sign(id, {"customer"}, now);
  const std::string other_aud = signer(pem, {.audience = "another-api"})->Sign(id, {"customer"}, now);
  absl::StatusOr<std::string> stranger_key = runtime::auth::GenerateRsaPrivateKeyPem();
  REQUIRE(stranger_key.ok());
  const std::string unknown_kid = signer(*stranger_key, {})->Sign(id, {"customer"}, now);
  for (const std::string& bad : {expired, not_yet, other_iss, other_aud, unknown_kid}) {
    const HttpResult r = s.Call("GET", "/v1/customers/me", "", bad);
    RequireError(r, 401, 16);
    CHECK(r.Header("www-authenticate").find("invalid_token") != std::string::npos);
  }
  // The same key, issuer and audience now: accepted.
  CHECK(s.Call("GET", "/v1/customers/me", "", own->Sign(id, {"customer"}, now)).status == 200);
}

TEST_CASE("the catalog: public reads, admin writes, 403 for customers, 404 for unknown", "[e2e]") {
  System& s = System::Get();
  const std::string id = s.NewProduct(1250, 7);
  const HttpResult got = s.Call("GET", "/v1/products/" + id);
  REQUIRE(got.status == 200);
  const json p = Body(got);
  CHECK(p["priceCents"] == "1250");
  CHECK(p["stock"] == "7");
  CHECK(p.contains("createdAt"));
  RequireError(s.Call("GET", "/v1/products/" + runtime::ids::NewUuid()), 404, 5);
  const auto [cid, token] = s.NewCustomer();
  RequireError(s.Call("POST", "/v1/products", R"({"sku":"X1","name":"n","priceCents":1,"stock":1})", token), 403, 7);
  RequireError(s.Call("POST", "/v1/products", R"({"sku":"X1","name":"n","priceCents":1,"stock":1})"), 401, 16);
  const HttpResult patched = s.Call("PATCH", "/v1/products/" + id, R"({"description":""})", s.admin_token());
  REQUIRE(patched.status == 200);
  CHECK(Body(patched)["name"] == "Test mug");
  CHECK(Body(patched)["description"] == "");
  const HttpResult restocked = s.Call("POST", "/v1/products/" + id + ":restock", R"({"quantity":3})", s.admin_token());
  REQUIRE(restocked.status == 200);
  CHECK(Body(restocked)["stock"] == "10");
  s.NewProduct(10, 1);  // a second "Test mug"
  const HttpResult list = s.Call("GET", "/v1/products?pageSize=1&query=MUG");
  REQUIRE(list.status == 200);
  CHECK(Body(list)["products"].size() == 1);
  CHECK_FALSE(Body(list)["nextPageToken"].get<std::string>().empty());
  const HttpResult snake = s.Call("GET", "/v1/products?page_size=1&query=mug");
  CHECK(Body(snake)["products"].size() == 1);
  RequireError(s.Call("GET", "/v1/products?pageSize=-1"), 400, 3);
  // Over 100 is capped at 100, however large: the same page as 100.
  const json hundred = Body(s.Call("GET", "/v1/products?pageSize=100"));
  for (const char* huge : {"101", "2147483648", "99999999999999999999"}) {
    INFO(huge);
    const HttpResult capped = s.Call("GET", std::string("/v1/products?pageSize=") + huge);
    REQUIRE(capped.status == 200);
    CHECK(Body(capped) == hundred);
  }
  // The contract's own template with every parameter left empty.
  CHECK(s.Call("GET", "/v1/products?query=&pageSize=&pageToken=").status == 200);
  // A parameter that names no field (a cache buster) is ignored, as grpc-gateway does.
  CHECK(Body(s.Call("GET", "/v1/products?pageSize=1&query=mug&_=1732500000"))["products"].size() == 1);
  RequireError(s.Call("GET", "/v1/products?pageToken=garbage"), 400, 3);
  CHECK(s.Call("DELETE", "/v1/products/" + id, "", s.admin_token()).status == 200);
  RequireError(s.Call("GET", "/v1/products/" + id), 404, 5);
}

TEST_CASE("gateway errors: 404, 405 with Allow, 413, 415, malformed JSON, a field of the wrong type", "[e2e]") {
  System& s = System::Get();
  RequireError(s.Call("GET", "/v1/nothing-here"), 404, 5);
  const HttpResult m = s.Call("PUT", "/v1/products");
  RequireError(m, 405, 12);
  CHECK(m.Header("allow") == "GET, HEAD, POST");  // HEAD wherever GET is
  // ...but an event stream, which refuses HEAD, names only GET, whatever the method refused.
  const std::string watch = "/v1/orders/123e4567-e89b-12d3-a456-426614174000:watch";
  for (const char* method : {"PUT", "HEAD"}) {
    INFO(method);
    const HttpResult w = s.Call(method, watch, "", s.admin_token());
    CHECK(w.status == 405);
    CHECK(w.Header("allow") == "GET");
  }
  const std::string big(1100000, 'x');
  RequireError(s.Call("POST", "/v1/auth:login", "{\"email\":\"" + big + "\"}"), 413, 3);
  RequireError(s.Call("POST", "/v1/auth:login", "email=a", "", {{"Content-Type", "text/plain"}}), 415, 3);
  RequireError(s.Call("POST", "/v1/auth:login", "email=a", "", {{"Content-Type", "application/x-www-form-urlencoded"}}),
               415, 3);
  // A JSON body sent with no Content-Type at all is read as JSON (grpc-gateway, Envoy).
  {
    const HttpResult untyped = agora::testing::ParseHttp(agora::testing::HttpRaw(
        s.http_port(), "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 37\r\n\r\n"
                       R"({"email":"a@b.c","password":"wrong1"})"));
    RequireError(untyped, 401, 16);
  }
  RequireError(s.Call("POST", "/v1/auth:login", "{not json"), 400, 3);
  // A field the method does not know is ignored, as grpc-gateway does: the
  // login goes through (and fails on its credentials).
  RequireError(s.Call("POST", "/v1/auth:login", R"({"email":"a@b.c","password":"x","bogus":1,"idempotencyKey":"k"})"),
               401, 16);
  RequireError(s.Call("POST", "/v1/auth:login", R"({"email":123})"), 400, 3);
  RequireError(s.Call("POST", "/v1/auth:login", R"({"email":"a@b.c","password":"x","bogus":})"), 400, 3);
  RequireError(s.Call("POST", "/v1/auth:login", std::string("{\"email\":\"\xff\xfe\"}")), 400, 3);
  // Strict JSON (protojson's): what protobuf's own parser would let through,
  // refused before anything happens, with where.
  for (const char* lenient : {R"({"email":"a@b.c","password":"x",})", R"({'email':'a@b.c','password':'x'})",
                              R"({email:"a@b.c",password:"x"})", R"({"email":"a@b.c","email":"b@b.c","password":"x"})"}) {
    INFO(lenient);
    const HttpResult r = s.Call("POST", "/v1/auth:login", lenient);
    RequireError(r, 400, 3);
    CHECK(r.body.find("invalid JSON body: ") != std::string::npos);
  }
  // A U+0000 would be cut off by PostgreSQL's text: refused, not truncated.
  const HttpResult nul = s.Call("POST", "/v1/auth:register",
                                R"({"email":"nul@example.com","password":"password123","displayName":"a\u0000b"})");
  RequireError(nul, 400, 3);
  CHECK(nul.body.find("must not contain U+0000") != std::string::npos);
}

TEST_CASE("requests the HTTP parser refuses answer 400 with the JSON error body", "[e2e]") {
  const int port = System::Get().http_port();
  const std::string two_lengths =
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}";
  RequireError(agora::testing::ParseHttp(agora::testing::HttpRaw(port, two_lengths)), 400, 3);
  const std::string smuggle =
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  RequireError(agora::testing::ParseHttp(agora::testing::HttpRaw(port, smuggle)), 400, 3);
  const std::string bad_chunk =
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
  RequireError(agora::testing::ParseHttp(agora::testing::HttpRaw(port, bad_chunk)), 400, 3);
  const std::string listed_lengths =
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2, 2\r\n\r\n{}";
  RequireError(agora::testing::ParseHttp(agora::testing::HttpRaw(port, listed_lengths)), 400, 3);
  const std::string gzip_chunked =
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
  RequireError(agora::testing::ParseHttp(agora::testing::HttpRaw(port, gzip_chunked)), 400, 3);
  const HttpResult no_host = agora::testing::ParseHttp(
      agora::testing::HttpRaw(port, "GET /v1/products HTTP/1.1\r\nX-Request-Id: parse-1\r\n\r\n"));
  RequireError(no_host, 400, 3);
  CHECK(no_host.Header("x-request-id") == "parse-1");  // refused by the parser, still echoed
  const HttpResult garbage = agora::testing::ParseHttp(agora::testing::HttpRaw(port, "NOT HTTP AT ALL\r\n\r\n"));
  RequireError(garbage, 400, 3);
  CHECK(garbage.Header("x-request-id").size() == 36);
}

TEST_CASE("CORS preflight answers 204 for a configured origin and nothing for others", "[e2e]") {
  System& s = System::Get();
  const HttpResult ok = s.Call("OPTIONS", "/v1/orders", "", "",
                               {{"Origin", "http://localhost:5173"},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "authorization, content-type, idempotency-key"}});
  CHECK(ok.status == 204);
  CHECK(ok.Header("access-control-allow-origin") == "http://localhost:5173");
  // The path's own methods, each once.
  CHECK(ok.Header("access-control-allow-methods") == "GET, HEAD, POST, OPTIONS");
  CHECK(ok.Header("access-control-allow-headers").find("idempotency-key") != std::string::npos);
  CHECK(ok.Header("vary") == "Origin");
  // A configured origin may send credentials (fetch's credentials: "include").
  CHECK(ok.Header("access-control-allow-credentials") == "true");
  CHECK(s.Call("GET", "/v1/products", "", "", {{"Origin", "http://localhost:5173"}})
            .Header("access-control-allow-credentials") == "true");
  // The requested method is allowed (API.md), though the path lacks it: the
  // browser then sends it and the frontend reads the 405 and its Allow.
  const HttpResult patch = s.Call("OPTIONS", "/v1/orders", "", "",
                                  {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "PATCH"}});
  CHECK(patch.status == 204);
  CHECK(patch.Header("access-control-allow-methods") == "GET, HEAD, POST, PATCH, OPTIONS");
  const HttpResult refused = s.Call("PATCH", "/v1/orders", "{}", "", {{"Origin", "http://localhost:5173"}});
  RequireError(refused, 405, 12);
  CHECK(refused.Header("allow") == "GET, HEAD, POST");
  CHECK(refused.Header("access-control-allow-origin") == "http://localhost:5173");
  // Not a method: not echoed.
  CHECK(s.Call("OPTIONS", "/v1/orders", "", "",
               {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "GE T,"}})
            .Header("access-control-allow-methods") == "GET, HEAD, POST, OPTIONS");
  const HttpResult details = s.Call("OPTIONS", "/v1/products/123e4567-e89b-12d3-a456-426614174000/details", "", "",
                                    {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(details.status == 204);
  CHECK(details.Header("access-control-allow-methods") == "GET, HEAD, OPTIONS");
  // The operations routes: what they answer, GET and HEAD.
  for (const char* op : {"/healthz", "/readyz", "/metrics", "/openapi.json"}) {
    INFO(op);
    const HttpResult pre =
        s.Call("OPTIONS", op, "", "", {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}});
    CHECK(pre.status == 204);
    CHECK(pre.Header("access-control-allow-methods") == "GET, HEAD, OPTIONS");
  }
  const HttpResult other = s.Call("GET", "/v1/products", "", "", {{"Origin", "http://evil.example"}});
  CHECK(other.status == 200);
  CHECK(other.Header("access-control-allow-origin").empty());
  CHECK(other.Header("access-control-allow-credentials").empty());
  // Whether CORS headers come depends on Origin: every answer says so.
  CHECK(other.Header("vary") == "Origin");
  CHECK(s.Call("GET", "/v1/products").Header("vary") == "Origin");
}

TEST_CASE("the server's own refusals (413, a bad chunk, 431) carry CORS headers for an allowed origin", "[e2e]") {
  System& s = System::Get();
  const std::string origin = "Origin: http://localhost:3000\r\n";
  const std::string refused[] = {
      // Over 1 MiB, told up front.
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\n" + origin +
          "Content-Type: application/json\r\nContent-Length: 1100000\r\n\r\n",
      // A chunk size that is not hex.
      "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\n" + origin +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      // Headers past the limit, Origin among the first.
      "GET /v1/products HTTP/1.1\r\nHost: x\r\n" + origin + "X-Big: " + std::string(20000, 'a') + "\r\n\r\n",
  };
  const int statuses[] = {413, 400, 431};
  for (size_t i = 0; i < 3; ++i) {
    INFO("refusal " << statuses[i]);
    const HttpResult r = agora::testing::ParseHttp(agora::testing::HttpRaw(s.http_port(), refused[i]));
    CHECK(r.status == statuses[i]);
    CHECK(r.Header("access-control-allow-origin") == "http://localhost:3000");
    CHECK(r.Header("vary") == "Origin");
    CHECK(r.Header("access-control-expose-headers").find("X-Request-Id") != std::string::npos);
    CHECK(r.Header("x-request-id").size() == 36);
  }
  // Another origin still gets none.
  const HttpResult other = agora::testing::ParseHttp(agora::testing::HttpRaw(
      s.http_port(), "POST /v1/auth:login HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.example\r\n"
                     "Content-Length: 1100000\r\n\r\n"));
  CHECK(other.status == 413);
  CHECK(other.Header("access-control-allow-origin").empty());
  // A browser may read the challenge of a 401.
  CHECK(s.Call("GET", "/v1/customers/me", "", "", {{"Origin", "http://localhost:3000"}})
            .Header("access-control-expose-headers")
            .find("WWW-Authenticate") != std::string::npos);
}

TEST_CASE("every response carries X-Request-Id, echoed when sent", "[e2e]") {
  System& s = System::Get();
  CHECK(s.Call("GET", "/v1/products", "", "", {{"X-Request-Id", "abc-123"}}).Header("x-request-id") == "abc-123");
  CHECK(s.Call("GET", "/v1/nothing").Header("x-request-id").size() == 36);
  // Any printable id a client may choose, spaces included, up to 256 characters.
  CHECK(s.Call("GET", "/healthz", "", "", {{"X-Request-Id", "test run 42"}}).Header("x-request-id") == "test run 42");
  const std::string long_id(256, 'r');
  CHECK(s.Call("GET", "/healthz", "", "", {{"X-Request-Id", long_id}}).Header("x-request-id") == long_id);
  CHECK(s.Call("GET", "/healthz", "", "", {{"X-Request-Id", long_id + "r"}}).Header("x-request-id").size() == 36);
  CHECK(s.Call("POST", "/healthz", "", "", {{"X-Request-Id", "ops-405"}}).Header("x-request-id") == "ops-405");
  const HttpResult big = s.Call("POST", "/v1/auth:login", std::string(1100000, 'x'), "", {{"X-Request-Id", "big-1"}});
  CHECK(big.status == 413);
  CHECK(big.Header("x-request-id") == "big-1");
}

TEST_CASE("top-up honours Idempotency-Key and the ledger shows it", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const HttpResult first = s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":500})", token,
                                  {{"Idempotency-Key", "k-1"}});
  REQUIRE(first.status == 200);
  CHECK(Body(first)["balanceCents"] == "500");
  const HttpResult again = s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":500})", token,
                                  {{"Idempotency-Key", "k-1"}});
  CHECK(again.status == 200);
  CHECK(Body(again)["balanceCents"] == "500");
  RequireError(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":0})", token), 400, 3);
  const json ledger = Body(s.Call("GET", "/v1/customers/me/ledger", "", token));
  REQUIRE(ledger["entries"].size() == 1);
  CHECK(ledger["entries"][0]["kind"] == "TOP_UP");
  CHECK(ledger["entries"][0]["amountCents"] == "500");
}

TEST_CASE("cart and favourites routes work for the signed-in customer", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string product = s.NewProduct(100, 5);
  const HttpResult put = s.Call("PUT", "/v1/customers/me/cart/items/" + product, R"({"quantity":2})", token);
  REQUIRE(put.status == 200);
  CHECK(Body(put)["items"][0]["quantity"] == 2);
  CHECK(Body(s.Call("DELETE", "/v1/customers/me/cart/items/" + product, "", token))["items"].empty());
  CHECK(s.Call("PUT", "/v1/customers/me/favorites/" + product, "", token).status == 200);
  CHECK(Body(s.Call("GET", "/v1/customers/me/favorites", "", token))["productIds"][0] == product);
}

TEST_CASE("orders: 202 with Location, idempotent by key, owner-only, admin-only ship", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string product = s.NewProduct(300, 10);
  const std::string body = json{{"items", {{{"productId", product}, {"quantity", 2}}}}}.dump();
  const HttpResult created = s.Call("POST", "/v1/orders", body, token, {{"Idempotency-Key", "o-1"}});
  REQUIRE(created.status == 202);
  const json order = Body(created);
  CHECK(order["status"] == "PENDING");
  CHECK_FALSE(order.contains("rejectionReason"));  // only a REJECTED order has one
  CHECK(order["totalCents"] == "600");
  CHECK(created.Header("location") == "/v1/orders/" + order["id"].get<std::string>());
  const HttpResult repeat = s.Call("POST", "/v1/orders", body, token, {{"Idempotency-Key", "o-1"}});
  CHECK(repeat.status == 202);
  CHECK(Body(repeat)["id"] == order["id"]);
  const std::string other_body = json{{"items", {{{"productId", product}, {"quantity", 3}}}}}.dump();
  RequireError(s.Call("POST", "/v1/orders", other_body, token, {{"Idempotency-Key", "o-1"}}), 409, 6);
  const std::string path = "/v1/orders/" + order["id"].get<std::string>();
  CHECK(s.Call("GET", path, "", token).status == 200);
  const auto [other, other_token] = s.NewCustomer();
  RequireError(s.Call("GET", path, "", other_token), 404, 5);
  CHECK(s.Call("GET", path, "", s.admin_token()).status == 200);
  RequireError(s.Call("POST", path + ":ship", "", token), 403, 7);
  // The saga rejects it (no money); a rejected order cannot ship.
  s.WaitForStatus(token, order["id"], "REJECTED");
  RequireError(s.Call("POST", path + ":ship", "", s.admin_token()), 400, 9);
  const json list = Body(s.Call("GET", "/v1/orders?status=REJECTED", "", token));
  CHECK(list["orders"].size() == 1);
  CHECK(Body(s.Call("GET", "/v1/orders?status=PENDING", "", token))["orders"].size() == 0);
  RequireError(s.Call("GET", "/v1/orders?status=NOPE", "", token), 400, 3);
  RequireError(s.Call("POST", "/v1/orders", R"({"items":[]})", token), 400, 3);
}

TEST_CASE("watching an order streams its states as events, up to its end", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();  // no money: the saga rejects the order
  const std::string product = s.NewProduct(100, 10);
  const json order = Body(s.Call("POST", "/v1/orders",
                                 json{{"items", {{{"productId", product}, {"quantity", 1}}}}}.dump(), token));
  const std::string raw = agora::testing::HttpRaw(
      s.http_port(),
      "GET /v1/orders/" + order["id"].get<std::string>() +
          ":watch HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token + "\r\n\r\n",
      /*timeout_ms=*/30000);
  const HttpResult r = agora::testing::ParseHttp(raw);
  CHECK(r.status == 200);
  CHECK(r.Header("content-type") == "text/event-stream");
  CHECK(raw.find("data: {") != std::string::npos);
  // PENDING if the watch came first, then the end: REJECTED, which ends the stream.
  CHECK(raw.find("\"status\":\"REJECTED\"") != std::string::npos);
  CHECK(raw.find("INSUFFICIENT_FUNDS") != std::string::npos);
  REQUIRE(raw.size() >= 5);
  CHECK(raw.substr(raw.size() - 5) == "0\r\n\r\n");  // the last chunk: the server ended it
  const auto [other, other_token] = s.NewCustomer();
  RequireError(s.Call("GET", "/v1/orders/" + order["id"].get<std::string>() + ":watch", "", other_token), 404, 5);
}

TEST_CASE("reviews need a purchase; ratings and lists are public", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  const std::string product = s.NewProduct(100, 1);
  RequireError(s.Call("POST", "/v1/products/" + product + "/reviews", R"({"rating":5,"text":"great"})", token),
               400, 9);
  const json rating = Body(s.Call("GET", "/v1/products/" + product + "/rating"));
  CHECK(rating["count"] == "0");
  CHECK(Body(s.Call("GET", "/v1/products/" + product + "/reviews"))["reviews"].empty());
}

TEST_CASE("a review posted before the order's event reached reviews is accepted: reviews asks orders", "[e2e]") {
  System& s = System::Get();
  // A reviews process that never hears an order event (a topic prefix of its
  // own), behind a gateway of its own: every purchase it knows, it learnt
  // from orders' FindPurchase.
  agora::testing::TestDatabase db("reviews");
  agora::testing::ServiceProcess deaf(AGORA_REVIEWS_BINARY, "reviews", db,
                      {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(), "--customers-address=" + s.address("customers"),
                       "--orders-address=" + s.address("orders")});
  const int port = s.ExtraGateway({"--reviews-address=" + deaf.address()});
  const auto [id, token] = s.NewCustomer();
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":100000})", token).status == 200);
  for (int i = 0; i < 3; ++i) {
    INFO("order " << i);
    const std::string product = s.NewProduct(100, 5);
    const HttpResult placed =
        s.Call("POST", "/v1/orders", json{{"items", {{{"productId", product}, {"quantity", 1}}}}}.dump(), token);
    REQUIRE(placed.status == 202);
    s.WaitForStatus(token, Body(placed)["id"], "APPROVED");
    const HttpResult review =
        agora::testing::Http(port, "POST", "/v1/products/" + product + "/reviews",
                             {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                             R"({"rating":4,"text":"arrived fast"})");
    INFO(review.body);
    CHECK(review.status == 201);
    CHECK(Body(review)["verifiedPurchase"] == true);
    CHECK(Body(agora::testing::Http(port, "GET", "/v1/products/" + product + "/rating"))["count"] == "1");
  }
  // Nothing bought: still refused.
  const std::string other = s.NewProduct(100, 5);
  RequireError(agora::testing::Http(port, "POST", "/v1/products/" + other + "/reviews",
                                    {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                                    R"({"rating":5,"text":"x"})"),
               400, 9);
}

TEST_CASE("an order's saga timeline asked for before its saga started shows the saga starting, under the id it "
          "then has; someone else's order and an unknown one are 404",
          "[e2e]") {
  System& s = System::Get();
  // A saga process that never hears an order event (topics of its own),
  // behind a gateway of its own: it has no saga, and asks orders.
  agora::testing::TestDatabase db("saga");
  agora::testing::ServiceProcess deaf(AGORA_SAGA_BINARY, "saga", db,
                                      {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(),
                                       "--customers-address=" + s.address("customers"),
                                       "--orders-address=" + s.address("orders")});
  const int port = s.ExtraGateway({"--saga-address=" + deaf.address()});
  const auto [id, token] = s.NewCustomer();
  REQUIRE(s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":1000})", token).status == 200);
  const std::string product = s.NewProduct(100, 5);
  auto timeline = [&](const std::string& order, const std::string& as) {
    return agora::testing::Http(port, "GET", "/v1/orders/" + order + "/saga", {{"Authorization", "Bearer " + as}});
  };
  // The system's coordinator paused: the order stays PENDING, its saga unstarted.
  auto& coordinator = s.Coordinator(0).process();
  coordinator.Signal(SIGSTOP);
  struct Resume {
    agora::testing::ChildProcess& p;
    ~Resume() { p.Signal(SIGCONT); }
  } resume{coordinator};
  const HttpResult placed =
      s.Call("POST", "/v1/orders", json{{"items", {{{"productId", product}, {"quantity", 1}}}}}.dump(), token);
  REQUIRE(placed.status == 202);
  const std::string order = Body(placed)["id"];
  const HttpResult starting = timeline(order, token);
  INFO(starting.body);
  REQUIRE(starting.status == 200);
  const json t = Body(starting);
  CHECK(t["orderId"] == order);
  CHECK(t["state"] == "RUNNING");
  CHECK(t["currentStep"] == "ReserveStock");
  REQUIRE(t["steps"].size() == 1);
  CHECK(t["steps"][0]["name"] == "ReserveStock");
  CHECK(t["steps"][0]["state"] == "PENDING");
  CHECK(t["startedAt"] == Body(placed)["createdAt"]);
  const auto [other, other_token] = s.NewCustomer();
  RequireError(timeline(order, other_token), 404, 5);
  RequireError(timeline(agora::runtime::ids::NewUuid(), token), 404, 5);
  // The saga then runs under the id shown.
  coordinator.Signal(SIGCONT);
  s.WaitForStatus(token, order, "APPROVED");
  // The order reads APPROVED a moment before the coordinator has ApproveOrder's reply.
  json ended;
  CHECK(agora::testing::Eventually([&] {
    ended = Body(s.Call("GET", "/v1/orders/" + order + "/saga", "", token));
    return ended["state"] == "COMPLETED";
  }));
  INFO(ended.dump());
  CHECK(ended["sagaId"] == t["sagaId"]);
  CHECK(ended["state"] == "COMPLETED");
}

TEST_CASE("product details fan out to inventory, reviews and customers", "[e2e]") {
  System& s = System::Get();
  const std::string product = s.NewProduct(450, 3);
  const HttpResult anon = s.Call("GET", "/v1/products/" + product + "/details");
  REQUIRE(anon.status == 200);
  const json a = Body(anon);
  CHECK(a["product"]["id"] == product);
  CHECK(a["rating"]["count"] == "0");
  CHECK(a["topReviews"].is_array());
  CHECK_FALSE(a.contains("favorite"));
  CHECK_FALSE(a.contains("degraded"));
  const auto [id, token] = s.NewCustomer();
  REQUIRE(s.Call("PUT", "/v1/customers/me/favorites/" + product, "", token).status == 200);
  const json signed_in = Body(s.Call("GET", "/v1/products/" + product + "/details", "", token));
  CHECK(signed_in["favorite"] == true);
  RequireError(s.Call("GET", "/v1/products/" + runtime::ids::NewUuid() + "/details"), 404, 5);
  RequireError(s.Call("POST", "/v1/products/" + product + "/details"), 405, 12);
}

TEST_CASE("product details degrade when a backend other than inventory is down", "[e2e]") {
  System& s = System::Get();
  const std::string product = s.NewProduct(450, 3);
  const auto [id, token] = s.NewCustomer();
  // A gateway whose reviews and customers backends are unreachable.
  const int port = s.ExtraGateway({"--reviews-address=127.0.0.1:1", "--customers-address=127.0.0.1:1"});
  const HttpResult r = agora::testing::Http(port, "GET", "/v1/products/" + product + "/details", {});
  REQUIRE(r.status == 200);
  const json b = Body(r);
  CHECK(b["product"]["id"] == product);
  CHECK_FALSE(b.contains("rating"));
  CHECK(b["degraded"] == json::array({"reviews"}));
  const HttpResult with_token = agora::testing::Http(
      port, "GET", "/v1/products/" + product + "/details", {{"Authorization", "Bearer " + token}});
  CHECK(Body(with_token)["degraded"] == json::array({"reviews", "customers"}));
  // Inventory is required: without it the request fails.
  const int no_inventory = s.ExtraGateway({"--inventory-address=127.0.0.1:1"});
  const HttpResult unavailable = agora::testing::Http(no_inventory, "GET", "/v1/products/" + product + "/details");
  RequireError(unavailable, 503, 14);
  // The transport's text names the address; the client never sees it.
  CHECK(unavailable.body.find("127.0.0.1") == std::string::npos);
  CHECK(unavailable.body.find("ipv4") == std::string::npos);
  const HttpResult plain = agora::testing::Http(no_inventory, "GET", "/v1/products/" + product);
  RequireError(plain, 503, 14);
  CHECK(plain.body.find("127.0.0.1") == std::string::npos);
  const HttpResult ready = agora::testing::Http(no_inventory, "GET", "/readyz");
  // API.md: 503 naming the failing backends, in the error body of every error.
  RequireError(ready, 503, 14);
  CHECK(Body(ready)["message"].get<std::string>().find("inventory") != std::string::npos);
  // Named as the details route's `degraded` names backends.
  CHECK(Body(ready)["failing"] == json::array({"inventory"}));
  CHECK(Body(ready)["status"] == "NOT_READY");
}

TEST_CASE("a gateway without a key file verifies tokens with the JWKS of customers", "[e2e]") {
  System& s = System::Get();
  const int port = s.ExtraGateway({"--jwt-public-key-file=", "--jwks-refresh-interval=1s"});
  const auto [id, token] = s.NewCustomer();
  const HttpResult me =
      agora::testing::Http(port, "GET", "/v1/customers/me", {{"Authorization", "Bearer " + token}});
  CHECK(me.status == 200);
  CHECK(Body(me)["id"] == id);
  RequireError(agora::testing::Http(port, "GET", "/v1/customers/me", {{"Authorization", "Bearer x.y.z"}}),
               401, 16);
  // The fetches show in its metrics, and it fetches again on its own (the
  // alert on a failing refresh reads these).
  auto series = [port](const std::string& name) {
    const std::string metrics = agora::testing::Http(port, "GET", "/metrics").body;
    const size_t at = metrics.find("\n" + name + " ");
    if (at == std::string::npos) return -1.0;
    return std::stod(metrics.substr(at + name.size() + 2, metrics.find('\n', at + 1) - at - name.size() - 2));
  };
  REQUIRE(agora::testing::Eventually(
      [&] { return series("agora_jwks_refreshes_total{outcome=\"ok\"}") >= 3; }, 10));
  CHECK(series("agora_jwks_refreshes_total{outcome=\"error\"}") == 0);
  CHECK(series("agora_jwks_keys") == 1);
  CHECK(std::abs(series("agora_jwks_last_success_timestamp_seconds") - absl::ToUnixSeconds(absl::Now())) < 5);
}

TEST_CASE("a gateway with a key file reads it again: a key added verifies, a key removed stops verifying, "
          "without a restart",
          "[e2e]") {
  System& s = System::Get();
  // A key file of its own holding another key only: the customers' key (the
  // test key, which signs every customer's token) is not trusted yet.
  const std::string file = agora::testing::GetInfra().dir + "/" + agora::testing::UniqueName("keys") + ".pub.pem";
  const std::string test_key = agora::testing::ReadFile(agora::testing::TestPublicKeyFile());
  const std::string other_key = *runtime::auth::PublicKeyPem(*runtime::auth::GenerateRsaPrivateKeyPem());
  { std::ofstream(file) << other_key; }
  const int port = s.ExtraGateway({"--jwt-public-key-file=" + file, "--jwks-refresh-interval=1s"});
  const auto [id, token] = s.NewCustomer();
  auto me = [port, token = token] {
    return agora::testing::Http(port, "GET", "/v1/customers/me", {{"Authorization", "Bearer " + token}}).status;
  };
  CHECK(me() == 401);
  { std::ofstream(file) << other_key << test_key; }  // published
  CHECK(agora::testing::Eventually([&] { return me() == 200; }, 10));
  { std::ofstream(file) << other_key; }  // retired
  CHECK(agora::testing::Eventually([&] { return me() == 401; }, 10));
}

// What each service answers a gRPC call made straight to it (the gateway
// not in the way) with `token`: customers GetMe, orders ListOrders,
// inventory DeleteProduct and reviews DeleteReview of unknown ids, saga
// ListSagas.
std::map<std::string, grpc::StatusCode> DirectCalls(const System& s, const std::string& token) {
  auto context = [&token] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return ctx;
  };
  auto channel = [&s](const std::string& service) {
    return grpc::CreateChannel(s.address(service), grpc::InsecureChannelCredentials());
  };
  std::map<std::string, grpc::StatusCode> codes;
  {
    agora::customers::v1::Customer out;
    codes["customers"] = agora::customers::v1::Customers::NewStub(channel("customers"))
                             ->GetMe(context().get(), {}, &out)
                             .error_code();
  }
  {
    agora::orders::v1::ListOrdersResponse out;
    codes["orders"] =
        agora::orders::v1::Orders::NewStub(channel("orders"))->ListOrders(context().get(), {}, &out).error_code();
  }
  {
    agora::inventory::v1::DeleteProductRequest req;
    req.set_id(runtime::ids::NewUuid());
    google::protobuf::Empty out;
    codes["inventory"] = agora::inventory::v1::Inventory::NewStub(channel("inventory"))
                             ->DeleteProduct(context().get(), req, &out)
                             .error_code();
  }
  {
    agora::reviews::v1::DeleteReviewRequest req;
    req.set_id(runtime::ids::NewUuid());
    google::protobuf::Empty out;
    codes["reviews"] =
        agora::reviews::v1::Reviews::NewStub(channel("reviews"))->DeleteReview(context().get(), req, &out).error_code();
  }
  {
    agora::saga::v1::ListSagasResponse out;
    codes["saga"] =
        agora::saga::v1::Sagas::NewStub(channel("saga"))->ListSagas(context().get(), {}, &out).error_code();
  }
  return codes;
}

TEST_CASE("logout ends its session's access tokens at the gateway and at every service within the poll interval; "
          "the account's other sessions keep working",
          "[e2e]") {
  System& s = System::Get();
  // The administrator: every service has a method it may call.
  auto login = [&s] {
    const HttpResult r = s.Call("POST", "/v1/auth:login",
                                R"({"email":"admin@agora.test","password":"admin-password"})");
    REQUIRE(r.status == 200);
    return Body(r);
  };
  const json laptop = login();
  const json phone = login();
  const std::string laptop_token = laptop["accessToken"];
  REQUIRE(s.Call("GET", "/v1/customers/me", "", laptop_token).status == 200);
  // A public route where only the gateway's own view of the token shows:
  // with a token it believes, product details carry `favorite`.
  const std::string product = s.NewProduct(100, 1);
  REQUIRE(s.Call("PUT", "/v1/customers/me/favorites/" + product, "", laptop_token).status == 200);
  const std::string details = "/v1/products/" + product + "/details";
  REQUIRE(Body(s.Call("GET", details, "", laptop_token))["favorite"] == true);
  for (const auto& [service, code] : DirectCalls(s, laptop_token)) {
    INFO(service << " answered " << code);
    CHECK(code != grpc::StatusCode::UNAUTHENTICATED);
  }

  const HttpResult out = s.Call("POST", "/v1/auth:logout", json{{"refreshToken", laptop["refreshToken"]}}.dump());
  REQUIRE(out.status == 200);
  CHECK(Body(out) == json::object());
  const absl::Time logged_out = absl::Now();
  // Every process polls every 200 ms here (5 s by default): well within 3 s.
  // The gateway itself treats the token as invalid once details come back
  // anonymous (no `favorite`) and whole (not `degraded` by a customers that
  // refused it first); each backend's own refusal is checked below.
  CHECK(agora::testing::Eventually(
      [&] {
        const HttpResult d = s.Call("GET", details, "", laptop_token);
        if (d.status != 200) return false;
        const json b = json::parse(d.body);
        return !b.contains("favorite") && !b.contains("degraded");
      },
      3));
  const absl::Duration at_gateway = absl::Now() - logged_out;
  INFO("refused by the gateway after " << absl::FormatDuration(at_gateway));
  CHECK(s.Call("GET", "/v1/customers/me", "", laptop_token).status == 401);
  const HttpResult refused = s.Call("GET", "/v1/orders", "", laptop_token);
  RequireError(refused, 401, 16);
  CHECK(refused.Header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK(Body(refused)["message"] == "this session has ended (signed out); sign in again");
  std::map<std::string, grpc::StatusCode> codes;
  CHECK(agora::testing::Eventually(
      [&] {
        codes = DirectCalls(s, laptop_token);
        return std::all_of(codes.begin(), codes.end(),
                           [](const auto& c) { return c.second == grpc::StatusCode::UNAUTHENTICATED; });
      },
      3));
  for (const auto& [service, code] : codes) {
    INFO(service << " answered " << code);
    CHECK(code == grpc::StatusCode::UNAUTHENTICATED);
  }
  // The other login of the same account is untouched.
  const std::string phone_token = phone["accessToken"];
  CHECK(s.Call("GET", "/v1/customers/me", "", phone_token).status == 200);
  for (const auto& [service, code] : DirectCalls(s, phone_token)) {
    INFO(service << " answered " << code);
    CHECK(code != grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_CASE("a Grpc-Timeout header shortens the backend deadline", "[e2e]") {
  System& s = System::Get();
  RequireError(s.Call("GET", "/v1/products", "", "", {{"Grpc-Timeout", "1n"}}), 504, 4);
  CHECK(s.Call("GET", "/v1/products", "", "", {{"Grpc-Timeout", "5S"}}).status == 200);
  CHECK(s.Call("GET", "/v1/products", "", "", {{"Grpc-Timeout", "99999999m"}}).status == 200);
  // Unreadable: 400, as grpc-gateway answers "invalid grpc-timeout".
  for (const char* bad : {"bogus", "5", "S", "5s", "-5S", "1.5S", "123456789S"}) {
    INFO(bad);
    RequireError(s.Call("GET", "/v1/products", "", "", {{"Grpc-Timeout", bad}}), 400, 3);
  }
}

TEST_CASE("the gateway drains and exits cleanly on SIGTERM", "[e2e]") {
  System& s = System::Get();
  const int port = s.ExtraGateway({});
  CHECK(agora::testing::Http(port, "GET", "/healthz").status == 200);
  std::string log;
  const int status = s.StopGateway(port, &log);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(log.find("\"event\":\"gateway_drained\",\"unfinished\":0") != std::string::npos);
}

TEST_CASE("a client over its rate limit gets 429 with Retry-After", "[e2e]") {
  const int port = System::Get().ExtraGateway({"--rate-limit-client-rps=1"});
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 5; ++i) {
    const HttpResult r = agora::testing::Http(port, "GET", "/v1/products");
    if (r.status == 429) {
      ++limited;
      retry_after = r.Header("retry-after");
      CHECK(Body(r)["code"] == 8);
    }
  }
  CHECK(limited >= 2);
  CHECK_FALSE(retry_after.empty());
}

}  // namespace
}  // namespace agora::gateway
