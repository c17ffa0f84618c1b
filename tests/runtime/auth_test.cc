#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/jwt.h"
#include "tests/support/auth.h"

namespace agora::runtime::auth {
namespace {

using agora::testing::TestSigner;
using agora::testing::TestVerifier;
using nlohmann::json;

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
  const std::string customer = "Bearer " + TestSigner().Sign("c1", {"customer"}, now);
  const std::string admin = "Bearer " + TestSigner().Sign("a1", {"customer", "admin"}, now);
  constexpr char kPublic[] = "agora.inventory.v1.Inventory.GetProduct";
  constexpr char kAdmin[] = "agora.inventory.v1.Inventory.CreateProduct";
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  constexpr char kInternal[] = "agora.inventory.v1.Inventory.ReserveStock";
  CHECK(a.AuthorizeHeader("", kPublic, now).ok());
  CHECK(a.AuthorizeHeader("", kInternal, now).ok());
  CHECK(a.AuthorizeHeader("", kCustomer, now).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(a.AuthorizeHeader(customer, kCustomer, now)->customer_id == "c1");
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
  CHECK(a.AuthorizeHeader(customer, kCustomer, now)->CanAccess("c1"));
  CHECK_FALSE(a.AuthorizeHeader(customer, kCustomer, now)->CanAccess("c2"));
  CHECK(a.AuthorizeHeader(admin, kCustomer, now)->CanAccess("c2"));
}

TEST_CASE("a token verified once is refused by the authorizer after it expires", "[unit]") {
  const Authorizer& a = agora::testing::TestAuthorizer();
  const absl::Time now = absl::Now();
  const std::string bearer = "Bearer " + TestSigner().Sign("c-cache", {"customer"}, now);
  constexpr char kCustomer[] = "agora.customers.v1.Customers.GetMe";
  REQUIRE(agora::customers::v1::GetMeRequest::descriptor() != nullptr);
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now).ok());
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now + absl::Minutes(5)).ok());  // from the cache
  CHECK(a.AuthorizeHeader(bearer, kCustomer, now + absl::Minutes(16)).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("an unknown kid makes the verifier fetch its keys again, at most once per interval",
          "[unit]") {
  int fetches = 0;
  JwtVerifier verifier(KeySet(), VerifierOptions{}, [&fetches]() -> absl::StatusOr<KeySet> {
    ++fetches;
    return TestSigner().public_keys();
  });
  const absl::Time now = absl::Now();
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());  // after one refresh
  CHECK(fetches == 1);
  CHECK(verifier.Verify(TestSigner().Sign("c", {}, now), now).ok());  // known now
  CHECK(fetches == 1);
  auto other = JwtSigner::FromPem(*GenerateRsaPrivateKeyPem(), {});
  REQUIRE(other.ok());
  // Unknown kids within the interval do not fetch again...
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now).ok());
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now + absl::Seconds(1)).ok());
  CHECK(fetches == 1);
  // ...after it, one does.
  CHECK_FALSE(verifier.Verify((*other)->Sign("c", {}, now), now + absl::Seconds(11)).ok());
  CHECK(fetches == 2);
}

}  // namespace
}  // namespace agora::runtime::auth
