#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/revocations.h"
#include "runtime/auth/service_identity.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"

namespace agora::runtime::auth {
namespace {

using agora::testing::TestSigner;
using agora::testing::TestVerifier;
using nlohmann::json;

// Customer ids: a user token's subject is a UUID (the authorizer refuses
// any other).
constexpr char kC1[] = "00000000-0000-4000-8000-0000000000c1";
constexpr char kC2[] = "00000000-0000-4000-8000-0000000000c2";
constexpr char kA1[] = "00000000-0000-4000-8000-0000000000a1";
constexpr char kCache[] = "00000000-0000-4000-8000-00000000cace";

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

// Re-encodes a token's header and claims (the signature no longer matches
// unless re-signed).
std::string Forge(const json& header, const json& claims, const std::string& sig) {
  return B64(header.dump()) + "." + B64(claims.dump()) + "." + sig;
}

std::vector<std::string> Parts(const std::string& token) { return absl::StrSplit(token, '.'); }

json Decode(const std::string& part) {
  std::string text;
  REQUIRE(absl::WebSafeBase64Unescape(part, &text));
  return json::parse(text);
}

TEST_CASE("a signed token verifies and carries its claims", "[unit]") {
  const absl::Time now = absl::Now();
  const std::string token = TestSigner().Sign("cust-1", {"customer", "admin"}, now);
  auto claims = TestVerifier().Verify(token, now);
  REQUIRE(claims.ok());
  CHECK(claims->subject == "cust-1");
  CHECK(claims->roles == std::vector<std::string>{"customer", "admin"});
  CHECK(claims->expires_at == absl::FromUnixSeconds(absl::ToUnixSeconds(now)) + absl::Minutes(15));
  CHECK_FALSE(claims->token_id.empty());
  const json header = Decode(Parts(token)[0]);
  CHECK(header["alg"] == "RS256");
  CHECK(header["kid"] == TestSigner().kid());
}

TEST_CASE("expired and not-yet-valid tokens are refused, within the leeway accepted", "[unit]") {
  const absl::Time now = absl::Now();
  const std::string token = TestSigner().Sign("c", {"customer"}, now);
  CHECK(TestVerifier().Verify(token, now + absl::Minutes(15) + absl::Seconds(20)).ok());
  CHECK(TestVerifier().Verify(token, now + absl::Minutes(16)).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(TestVerifier().Verify(token, now - absl::Minutes(5)).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("alg none, HS256 confusion, a tampered payload and an unknown kid are refused", "[unit]") {
  const absl::Time now = absl::Now();
  const std::string token = TestSigner().Sign("c", {"customer"}, now);
  const auto parts = Parts(token);
  json header = Decode(parts[0]);
  json claims = Decode(parts[1]);
  // alg: none with no signature.
  json none = header;
  none["alg"] = "none";
  CHECK(TestVerifier().Verify(Forge(none, claims, ""), now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // HS256 "signed" with the public key as the secret: refused by alg alone.
  json hs = header;
  hs["alg"] = "HS256";
  CHECK(TestVerifier().Verify(Forge(hs, claims, parts[2]), now).status().message() ==
        "unsupported token algorithm");
  // Payload changed to claim admin: the signature no longer matches.
  json admin = claims;
  admin["roles"] = {"customer", "admin"};
  CHECK(TestVerifier().Verify(Forge(header, admin, parts[2]), now).status().message() ==
        "bad token signature");
  // A key nobody knows.
  json other = header;
  other["kid"] = "someone-else";
  CHECK(TestVerifier().Verify(Forge(other, claims, parts[2]), now).status().message() ==
        "unknown signing key");
  // Garbage.
  for (const std::string bad : {"", "a.b", "a.b.c", "....", "x.y.z.w"}) {
    CHECK(TestVerifier().Verify(bad, now).status().code() == absl::StatusCode::kUnauthenticated);
  }
}

TEST_CASE("a token for another issuer or audience is refused", "[unit]") {
  const absl::Time now = absl::Now();
  auto pem = GenerateRsaPrivateKeyPem();
  REQUIRE(pem.ok());
  auto foreign = JwtSigner::FromPem(*pem, {"someone-else", "agora-api", absl::Minutes(5)});
  REQUIRE(foreign.ok());
  KeySet keys = (*foreign)->public_keys();
  JwtVerifier verifier(keys, VerifierOptions{});
  CHECK(verifier.Verify((*foreign)->Sign("c", {}, now), now).status().message() == "wrong token issuer");
  auto wrong_aud = JwtSigner::FromPem(*pem, {"agora", "another-api", absl::Minutes(5)});
  REQUIRE(wrong_aud.ok());
  CHECK(verifier.Verify((*wrong_aud)->Sign("c", {}, now), now).status().message() ==
        "wrong token audience");
}

TEST_CASE("a JWKS document round-trips into a key set that verifies", "[unit]") {
  const std::string jwks = TestSigner().public_keys().ToJwks();
  const json doc = json::parse(jwks);
  REQUIRE(doc["keys"].size() == 1);
  CHECK(doc["keys"][0]["kty"] == "RSA");
  CHECK(doc["keys"][0]["alg"] == "RS256");
  CHECK(doc["keys"][0]["kid"] == TestSigner().kid());
  KeySet keys;
  REQUIRE(keys.AddJwks(jwks).ok());
  JwtVerifier verifier(keys, VerifierOptions{});
  const absl::Time now = absl::Now();
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());
  CHECK_FALSE(keys.AddJwks("{\"nope\":1}").ok());
  CHECK_FALSE(keys.AddJwks("not json").ok());
}

TEST_CASE("a public PEM and its private key name the same kid", "[unit]") {
  auto pub = PublicKeyPem(agora::testing::TestPrivateKeyPem());
  REQUIRE(pub.ok());
  KeySet keys;
  auto kid = keys.AddPem(*pub);
  REQUIRE(kid.ok());
  CHECK(*kid == TestSigner().kid());
  CHECK_FALSE(keys.AddPem("-----BEGIN NOTHING-----").ok());
}

TEST_CASE("the authorizer applies each method's declared access policy", "[unit]") {
  // The policies live in the generated descriptors: make sure both files are linked in.
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  REQUIRE(agora::inventory::v1::GetProductRequest::descriptor() != nullptr);
  const Authorizer& a = agora::testing::TestAuthorizer();
  const absl::Time now = absl::Now();
  const std::string customer = "Bearer " + TestSigner().Sign(kC1, {"customer"}, now);
  const std::string admin = "Bearer " + TestSigner().Sign(kA1, {"customer", "admin"}, now);
  constexpr char kPublic[] = "agora.inventory.v1.Inventory.GetProduct";
  constexpr char kAdmin[] = "agora.inventory.v1.Inventory.CreateProduct";
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  constexpr char kInternal[] = "agora.inventory.v1.Inventory.ReserveStock";
  CHECK(a.AuthorizeHeader("", kPublic, now).ok());
  // INTERNAL needs a service identity (the next test case), not a user's.
  CHECK(a.AuthorizeHeader("", kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader(admin, kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader("", kCustomer, now).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader(customer, kCustomer, now)->customer_id == kC1);
  CHECK(a.AuthorizeHeader(customer, kAdmin, now).status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(a.AuthorizeHeader(admin, kAdmin, now)->is_admin());
  // A bad token on a public method is ignored: the caller is anonymous.
  CHECK(a.AuthorizeHeader("Bearer junk", kPublic, now).ok());
  CHECK_FALSE(a.AuthorizeHeader("Bearer junk", kPublic, now)->authenticated());
  CHECK(a.AuthorizeHeader("Bearer junk", kCustomer, now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader("Basic dXNlcjpwdw==", kCustomer, now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader("bearer " + customer.substr(7), kCustomer, now).ok());
  CHECK(a.AuthorizeHeader(customer, "agora.nope.v1.Nope.Nothing", now).status().code() ==
        absl::StatusCode::kInternal);
  // An owner check: the admin may access anyone's resource.
  CHECK(a.AuthorizeHeader(customer, kCustomer, now)->CanAccess(kC1));
  CHECK_FALSE(a.AuthorizeHeader(customer, kCustomer, now)->CanAccess(kC2));
  CHECK(a.AuthorizeHeader(admin, kCustomer, now)->CanAccess(kC2));
}

TEST_CASE("a user token whose subject is not a UUID is refused: no customer id reaches a service that is not one",
          "[unit]") {
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  REQUIRE(agora::inventory::v1::GetProductRequest::descriptor() != nullptr);
  const Authorizer& a = agora::testing::TestAuthorizer();
  const absl::Time now = absl::Now();
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  constexpr char kPublic[] = "agora.inventory.v1.Inventory.GetProduct";
  for (const char* subject : {"not-a-uuid", "admin-1", "00000000-0000-4000-8000-00000000000", "' OR 1=1 --"}) {
    INFO(subject);
    const std::string bearer = "Bearer " + TestSigner().Sign(subject, {"customer", "admin"}, now);
    const absl::StatusOr<Caller> refused = a.AuthorizeHeader(bearer, kCustomer, now);
    CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK(refused.status().message() == "token subject is not a customer id");
    // On a public method it is ignored, as any token that does not verify.
    const absl::StatusOr<Caller> anonymous = a.AuthorizeHeader(bearer, kPublic, now);
    REQUIRE(anonymous.ok());
    CHECK_FALSE(anonymous->authenticated());
    CHECK_FALSE(a.Identify(bearer, now).authenticated());
  }
  CHECK(a.AuthorizeHeader("Bearer " + TestSigner().Sign(kC1, {"customer"}, now), kCustomer, now).ok());
}

TEST_CASE("an INTERNAL method answers only a service token of the services' key", "[unit]") {
  REQUIRE(agora::inventory::v1::GetProductRequest::descriptor() != nullptr);
  const Authorizer& a = agora::testing::TestAuthorizer();
  const absl::Time now = absl::Now();
  constexpr char kInternal[] = "agora.inventory.v1.Inventory.ReserveStock";
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  const std::string service = agora::testing::TestServiceTokens().Token(now);

  absl::StatusOr<Caller> caller = a.AuthorizeCall("", service, kInternal, now);
  REQUIRE(caller.ok());
  CHECK(caller->service == "tests");
  CHECK_FALSE(caller->authenticated());  // a service is no customer
  // No token, garbage, an end user's (even an admin's) token in its place.
  CHECK(a.AuthorizeCall("", "", kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeCall("", "x.y.z", kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
  const std::string admin_token = TestSigner().Sign(kA1, {"customer", "admin"}, now);
  CHECK(a.AuthorizeCall("", admin_token, kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
  // The same claims signed by another key (a service outside this cluster).
  SignerOptions options;
  options.issuer = kServiceIssuer;
  options.audience = kServiceAudience;
  auto stranger = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), options);
  REQUIRE(stranger.ok());
  CHECK(a.AuthorizeCall("", (*stranger)->Sign("orders", {"service"}, now), kInternal, now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // Expired.
  CHECK(a.AuthorizeCall("", service, kInternal, now + absl::Hours(1)).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // A service token is not a customer's: as a Bearer token it signs in no one
  // (the caches of the two are apart, even after it verified above).
  CHECK(a.AuthorizeCall("Bearer " + service, "", kCustomer, now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // Without the services' key every INTERNAL call is refused.
  const Authorizer without(TestVerifier());
  CHECK(without.AuthorizeCall("", service, kInternal, now).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("a service token source reuses its token for half its lifetime", "[unit]") {
  SignerOptions options;
  options.issuer = kServiceIssuer;
  options.audience = kServiceAudience;
  options.ttl = absl::Minutes(10);
  auto signer = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), options);
  REQUIRE(signer.ok());
  const JwtVerifier verifier((*signer)->public_keys(), ServiceTokenOptions());
  ServiceTokenSource tokens(*std::move(signer), "orders");
  const absl::Time now = absl::Now();
  const std::string first = tokens.Token(now);
  CHECK(tokens.Token(now + absl::Minutes(4)) == first);
  const std::string renewed = tokens.Token(now + absl::Minutes(6));
  CHECK(renewed != first);
  absl::StatusOr<Claims> claims = verifier.Verify(renewed, now + absl::Minutes(6));
  REQUIRE(claims.ok());
  CHECK(claims->subject == "orders");
  CHECK(claims->expires_at == claims->issued_at + absl::Minutes(10));
}

TEST_CASE("a token verified once is refused by the authorizer after it expires", "[unit]") {
  const Authorizer& a = agora::testing::TestAuthorizer();
  const absl::Time now = absl::Now();
  const std::string bearer = "Bearer " + TestSigner().Sign(kCache, {"customer"}, now);
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now).ok());
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now + absl::Minutes(5)).ok());  // from the cache
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now + absl::Minutes(16)).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("an unknown kid asks for a refresh on the verifier's thread, never the caller's, at most once per interval",
          "[unit]") {
  absl::Notification release;
  std::atomic<int> fetches{0};
  JwtVerifier verifier(KeySet(), VerifierOptions{}, [&]() -> absl::StatusOr<KeySet> {
    ++fetches;
    release.WaitForNotification();  // a JWKS endpoint that hangs
    return TestSigner().public_keys();
  });
  const absl::Time now = absl::Now();
  // The refresher hangs, yet Verify answers at once: the token is refused
  // (a caller that waited for the refresh would deadlock this test).
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).status().message() ==
        "unknown signing key");
  release.Notify();
  REQUIRE(agora::testing::Eventually([&] { return verifier.refreshes() == 1; }));
  CHECK(fetches == 1);
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());  // the new key landed
  auto other = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), {});
  REQUIRE(other.ok());
  // Unknown kids within the interval do not ask again...
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now).ok());
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now + absl::Seconds(1)).ok());
  absl::SleepFor(absl::Milliseconds(50));  // a refresh wrongly asked for would have started
  CHECK(fetches == 1);
  // ...after it, one does.
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now + absl::Seconds(11)).ok());
  REQUIRE(agora::testing::Eventually([&] { return verifier.refreshes() == 2; }));
  CHECK(fetches == 2);
}

TEST_CASE("with refresh_every the keys are fetched again periodically: a retired key stops verifying, "
          "a failed fetch keeps the keys",
          "[unit]") {
  auto retired = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), {});
  REQUIRE(retired.ok());
  std::atomic<int> fetches{0};
  std::atomic<bool> failing{false};
  JwtVerifier verifier(
      (*retired)->public_keys(), VerifierOptions{},
      [&]() -> absl::StatusOr<KeySet> {
        ++fetches;
        if (failing) return absl::UnavailableError("JWKS endpoint down");
        return TestSigner().public_keys();  // the issuer rotated: only the new key
      },
      absl::Seconds(10), absl::Milliseconds(50));
  const absl::Time now = absl::Now();
  CHECK(verifier.Verify((*retired)->Sign("c", {}, now), now).ok());
  // No token asked for it: the periodic refresh alone swaps the keys.
  REQUIRE(agora::testing::Eventually([&] { return verifier.refreshes() >= 1; }, 5));
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());
  CHECK(verifier.Verify((*retired)->Sign("c", {}, now), now).status().message() == "unknown signing key");
  failing = true;
  const int64_t before = verifier.refreshes();
  REQUIRE(agora::testing::Eventually([&] { return verifier.refreshes() >= before + 2; }, 5));
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());  // kept through the failures
}

TEST_CASE("a token the authorizer verified (and cached) is refused once a refresh retired its key", "[unit]") {
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  auto other = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), {});
  REQUIRE(other.ok());
  std::atomic<bool> retired{false};
  JwtVerifier verifier(
      TestSigner().public_keys(), VerifierOptions{},
      [&]() -> absl::StatusOr<KeySet> { return retired ? (*other)->public_keys() : TestSigner().public_keys(); },
      absl::Seconds(10), absl::Milliseconds(50));
  const Authorizer a(verifier);
  const absl::Time now = absl::Now();
  const std::string bearer = "Bearer " + TestSigner().Sign(kC1, {"customer"}, now);
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  REQUIRE(a.AuthorizeHeader(bearer, kCustomer, now).ok());  // verified, now cached
  const int64_t generation = verifier.key_generation();
  absl::SleepFor(absl::Milliseconds(200));  // refreshes that change nothing keep the cache
  CHECK(verifier.key_generation() == generation);
  retired = true;
  REQUIRE(agora::testing::Eventually([&] { return verifier.key_generation() > generation; }, 5));
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now).status().code() == absl::StatusCode::kUnauthenticated);
}

// Claims as customers signs them; each hostile case replaces one member.
json GoodClaims(absl::Time now) {
  return {{"iss", "agora"}, {"aud", "agora-api"}, {"sub", "c1"}, {"iat", absl::ToUnixSeconds(now)},
          {"nbf", absl::ToUnixSeconds(now)}, {"exp", absl::ToUnixSeconds(now) + 600},
          {"jti", "j1"}, {"roles", {"customer"}}};
}

json GoodHeader() { return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", agora::testing::TestKid()}}; }

TEST_CASE("a correctly signed token whose claims have the wrong JSON types is refused, never thrown",
          "[unit]") {
  using agora::testing::SignRaw;
  const absl::Time now = absl::Now();
  REQUIRE(TestVerifier().Verify(SignRaw(GoodHeader().dump(), GoodClaims(now).dump()), now).ok());
  const std::vector<std::pair<std::string, json>> claims = {
      {"iss", 5}, {"iss", nullptr}, {"iss", json::array()}, {"iss", {{"a", 1}}},
      {"jti", 7}, {"jti", json::object()}, {"jti", true},
      {"sub", 1}, {"sub", ""}, {"sub", json::array({"c1"})},
      {"exp", "tomorrow"}, {"exp", 1e300}, {"exp", -1e300}, {"exp", 18446744073709551615ull},
      {"exp", nullptr}, {"nbf", "x"}, {"nbf", 1e300}, {"iat", true}, {"iat", json::array()},
      {"aud", 5}, {"aud", json::object()}, {"aud", json::array({1, 2})},
      {"roles", "admin"}, {"roles", json::array({1})}, {"roles", {{"admin", true}}},
      {"roles", json::array({"customer", nullptr})}};
  for (const auto& [name, value] : claims) {
    json c = GoodClaims(now);
    c[name] = value;
    INFO(c.dump());
    CHECK(TestVerifier().Verify(SignRaw(GoodHeader().dump(), c.dump()), now).status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
  const std::vector<std::pair<std::string, json>> headers = {
      {"alg", 5}, {"alg", nullptr}, {"kid", 5}, {"kid", nullptr}, {"kid", json::array()},
      {"crit", json::array({"exp"})}};
  for (const auto& [name, value] : headers) {
    json h = GoodHeader();
    h[name] = value;
    INFO(h.dump());
    CHECK(TestVerifier().Verify(SignRaw(h.dump(), GoodClaims(now).dump()), now).status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
  for (const std::string body : {"[]", "\"c1\"", "null", "1", "{", "", "{\"exp\":1}garbage"}) {
    INFO(body);
    CHECK(TestVerifier().Verify(SignRaw(GoodHeader().dump(), body), now).status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
  // The authorizer, as the gateway calls it: 401 where a token is needed,
  // an anonymous caller on a public method, never an exception.
  json c = GoodClaims(now);
  c["iss"] = 5;
  const std::string bearer = "Bearer " + SignRaw(GoodHeader().dump(), c.dump());
  const Authorizer& a = agora::testing::TestAuthorizer();
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  REQUIRE(agora::inventory::v1::GetProductRequest::descriptor() != nullptr);
  CHECK(a.AuthorizeHeader(bearer, "agora.customers.v1.Customers.GetMe", now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  const absl::StatusOr<Caller> anonymous =
      a.AuthorizeHeader(bearer, "agora.inventory.v1.Inventory.GetProduct", now);
  REQUIRE(anonymous.ok());
  CHECK_FALSE(anonymous->authenticated());
}

TEST_CASE("base64url in a token is strict: no padding, no whitespace, no other alphabet", "[unit]") {
  const absl::Time now = absl::Now();
  const std::string good = TestSigner().Sign("c", {}, now);
  REQUIRE(TestVerifier().Verify(good, now).ok());
  const std::vector<std::string> p = Parts(good);
  const std::string header = p[0], claims = p[1], sig = p[2];
  const std::vector<std::string> hostile = {
      header + "." + claims + "." + sig + "=",
      header + "=." + claims + "." + sig,
      header + "." + claims + " ." + sig,
      header + ".\n" + claims + "." + sig,
      header + "." + claims + "." + sig.substr(0, sig.size() - 1) + "+",
      header + "." + claims + "." + sig.substr(0, sig.size() - 1) + "/",
      header + "." + claims + "." + sig + "A",    // a length no encoding has
      header + "." + claims + "." + sig + "AAAA",  // a longer signature
      header + "." + claims,                      // two parts
      header + "." + claims + "." + sig + ".",    // four parts
  };
  for (size_t i = 0; i < hostile.size(); ++i) {
    const std::string& token = hostile[i];
    INFO("case " << i << ": " << token);
    CHECK(TestVerifier().Verify(token, now).status().code() == absl::StatusCode::kUnauthenticated);
  }
  // Claims whose encoding needs padding, signed as padded: the same bytes in
  // another spelling.
  json c = GoodClaims(now);
  for (int pad = 0; B64(c.dump()).size() % 4 == 0; ++pad) c["x"] = std::string(static_cast<size_t>(pad), 'x');
  const std::string unpadded = agora::testing::SignRaw(GoodHeader().dump(), c.dump());
  REQUIRE(TestVerifier().Verify(unpadded, now).ok());
  const std::vector<std::string> u = Parts(unpadded);
  const std::string padding((4 - u[1].size() % 4) % 4, '=');
  CHECK(TestVerifier().Verify(u[0] + "." + u[1] + padding + "." + u[2], now).status().code() ==
        absl::StatusCode::kUnauthenticated);
  // Non-canonical trailing bits: the signature's last character changed in
  // bits that decoding drops.
  const char last = sig.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const size_t index = alphabet.find(last);
  REQUIRE(index != std::string::npos);
  if (sig.size() % 4 != 0) {
    const size_t twin = index ^ 1;  // flips the lowest bit, one that decoding drops
    const std::string noncanonical = header + "." + claims + "." + sig.substr(0, sig.size() - 1) + alphabet[twin];
    CHECK(TestVerifier().Verify(noncanonical, now).status().code() == absl::StatusCode::kUnauthenticated);
  }
}

TEST_CASE("RSA keys shorter than 2048 bits are refused wherever a key is loaded", "[unit]") {
  const std::string weak_private = *GenerateRsaPrivateKeyPem(1024);
  KeySet keys;
  CHECK(keys.AddPem(weak_private).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(keys.AddPem(*PublicKeyPem(weak_private)).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(keys.empty());
  CHECK(JwtSigner::FromPem(weak_private, {}).status().code() == absl::StatusCode::kInvalidArgument);
  // The same key as a JWKS entry (n and e of a 1024-bit modulus).
  auto strong = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), {});
  REQUIRE(strong.ok());
  json jwks = json::parse((*strong)->public_keys().ToJwks());
  std::string n;
  REQUIRE(absl::WebSafeBase64Unescape(jwks["keys"][0]["n"].get<std::string>(), &n));
  jwks["keys"][0]["n"] = B64(n.substr(0, 128));  // 1024 bits
  KeySet from_jwks;
  CHECK(from_jwks.AddJwks(jwks.dump()).code() == absl::StatusCode::kInvalidArgument);
  CHECK(KeySet().AddJwks((*strong)->public_keys().ToJwks()).ok());
  // Members of the wrong type are malformed, not a throw.
  for (const char* doc : {R"({"keys":[{"kty":5}]})", R"({"keys":[{"kty":"RSA","kid":5,"n":"AQAB","e":"AQAB"}]})",
                          R"({"keys":[{"kty":"RSA","kid":"k","n":[],"e":"AQAB"}]})", R"({"keys":5})", "[]"}) {
    INFO(doc);
    KeySet k;
    const absl::Status s = k.AddJwks(doc);
    CHECK(k.empty());
    if (std::string(doc) != R"({"keys":[{"kty":5}]})") CHECK_FALSE(s.ok());
  }
}

}  // namespace
}  // namespace agora::runtime::auth

namespace agora::runtime::auth {
namespace {

TEST_CASE("a token signed with a session carries it as sid; one without has none", "[unit]") {
  const absl::Time now = absl::Now();
  auto with = TestVerifier().Verify(TestSigner().Sign("c", {"customer"}, now, "family-1"), now);
  REQUIRE(with.ok());
  CHECK(with->session_id == "family-1");
  CHECK(Decode(Parts(TestSigner().Sign("c", {}, now, "family-1"))[1])["sid"] == "family-1");
  auto without = TestVerifier().Verify(TestSigner().Sign("c", {"customer"}, now), now);
  REQUIRE(without.ok());
  CHECK(without->session_id.empty());
  CHECK_FALSE(Decode(Parts(TestSigner().Sign("c", {}, now))[1]).contains("sid"));
}

TEST_CASE("the authorizer refuses a revoked session's token, cached or not, and nothing else", "[unit]") {
  RevokedSessions revoked;
  const Authorizer a(TestVerifier(), nullptr, &revoked);
  const absl::Time now = absl::Now();
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  constexpr char kPublic[] = "agora.customers.v1.Customers.GetJwks";
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  const std::string laptop = "Bearer " + TestSigner().Sign(kC1, {"customer"}, now, "laptop");
  const std::string phone = "Bearer " + TestSigner().Sign(kC1, {"customer"}, now, "phone");
  const std::string no_session = "Bearer " + TestSigner().Sign(kC1, {"customer"}, now);
  CHECK(a.AuthorizeHeader(laptop, kCustomer, now).ok());  // now in the cache
  revoked.Update({"laptop", "someone-else"}, now, absl::Minutes(20));
  const absl::StatusOr<Caller> refused = a.AuthorizeHeader(laptop, kCustomer, now);
  CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(refused.status().message() == "this session has ended (signed out); sign in again");
  CHECK(a.AuthorizeHeader(phone, kCustomer, now).ok());
  CHECK(a.AuthorizeHeader(no_session, kCustomer, now).ok());
  // On a public method a revoked token is ignored like any invalid one, and
  // it identifies no one.
  const absl::StatusOr<Caller> anonymous = a.AuthorizeHeader(laptop, kPublic, now);
  REQUIRE(anonymous.ok());
  CHECK_FALSE(anonymous->authenticated());
  CHECK_FALSE(a.Identify(laptop, now).authenticated());
  // Once its window is over (its tokens expired), the entry goes.
  revoked.Update({}, now + absl::Minutes(21), absl::Minutes(20));
  CHECK(revoked.size() == 0);
  CHECK(a.AuthorizeHeader(laptop, kCustomer, now).ok());
}

TEST_CASE("the revocation poller adds what each poll lists, keeps an id for its window after it was last "
          "listed, and keeps the list on failure",
          "[unit]") {
  RevokedSessions revoked;
  absl::Mutex mu;
  absl::StatusOr<RevocationList> answer = RevocationList{{"s1", "s2"}, absl::Minutes(20)};
  std::atomic<int> polls{0};
  RevocationPoller poller(
      revoked,
      [&]() -> absl::StatusOr<RevocationList> {
        ++polls;
        absl::MutexLock lock(&mu);
        return answer;
      },
      absl::Milliseconds(20));
  // The first poll runs at once, then every interval.
  REQUIRE(agora::testing::Eventually([&] { return revoked.size() == 2; }, 5));
  CHECK(revoked.Revoked("s1"));
  CHECK(revoked.Revoked("s2"));
  CHECK_FALSE(revoked.Revoked("s3"));
  CHECK_FALSE(revoked.Revoked(""));
  {
    absl::MutexLock lock(&mu);
    answer = absl::UnavailableError("customers is down");
  }
  const int before = polls.load();
  REQUIRE(agora::testing::Eventually([&] { return polls.load() >= before + 3; }, 5));
  CHECK_FALSE(poller.PollNow());
  CHECK(revoked.Revoked("s1"));  // kept: a failed poll revokes and restores nothing
  // An answer cut short by newer revocations (s1 and s2 no longer listed)
  // forgets neither: their tokens may still be alive.
  {
    absl::MutexLock lock(&mu);
    answer = RevocationList{{"s3"}, absl::Minutes(20)};
  }
  CHECK(poller.PollNow());
  CHECK(revoked.Revoked("s1"));
  CHECK(revoked.Revoked("s2"));
  CHECK(revoked.Revoked("s3"));
  CHECK(revoked.size() == 3);
}

TEST_CASE("revoked sessions stay until their window after they were last listed, then go", "[unit]") {
  RevokedSessions revoked;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const absl::Duration window = absl::Minutes(20);
  revoked.Update({"a", "b"}, t0, window);
  revoked.Update({"b"}, t0 + absl::Minutes(5), window);  // b listed again, a not
  revoked.Update({}, t0 + absl::Minutes(19), window);
  CHECK(revoked.Revoked("a"));
  CHECK(revoked.Revoked("b"));
  revoked.Update({}, t0 + absl::Minutes(20) + absl::Seconds(1), window);
  CHECK_FALSE(revoked.Revoked("a"));  // its 20 minutes are over
  CHECK(revoked.Revoked("b"));        // until t0 + 25 min
  revoked.Update({"c"}, t0 + absl::Minutes(25) + absl::Seconds(1), window);
  CHECK_FALSE(revoked.Revoked("b"));
  CHECK(revoked.Revoked("c"));
  CHECK(revoked.size() == 1);
}

}  // namespace
}  // namespace agora::runtime::auth
