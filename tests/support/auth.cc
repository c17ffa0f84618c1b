#include "tests/support/auth.h"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "tests/support/infra.h"

namespace agora::testing {
namespace {

struct TestKeys {
  std::string private_pem;
  std::unique_ptr<runtime::auth::JwtSigner> signer;
  std::unique_ptr<runtime::auth::JwtVerifier> verifier;
  std::string service_pem;
  std::unique_ptr<runtime::auth::ServiceTokenSource> service_tokens;
  std::unique_ptr<runtime::auth::JwtVerifier> service_verifier;
  std::unique_ptr<runtime::auth::Authorizer> authorizer;
};

const TestKeys& Keys() {
  static const TestKeys* const keys = [] {
    auto* k = new TestKeys;
    absl::StatusOr<std::string> pem = runtime::auth::GenerateRsaPrivateKeyPem();
    if (!pem.ok()) FAIL("cannot generate a test RSA key");
    k->private_pem = *pem;
    auto signer = runtime::auth::JwtSigner::FromPem(*pem, {});
    if (!signer.ok()) FAIL("cannot load the test RSA key");
    k->signer = std::move(*signer);
    k->verifier = std::make_unique<runtime::auth::JwtVerifier>(k->signer->public_keys(),
                                                               runtime::auth::VerifierOptions{});
    absl::StatusOr<std::string> service_pem = runtime::auth::GenerateRsaPrivateKeyPem();
    if (!service_pem.ok()) FAIL("cannot generate the test services' RSA key");
    k->service_pem = *service_pem;
    runtime::auth::SignerOptions service_options;
    service_options.issuer = runtime::auth::kServiceIssuer;
    service_options.audience = runtime::auth::kServiceAudience;
    service_options.ttl = absl::Minutes(10);
    auto service_signer = runtime::auth::JwtSigner::FromPem(*service_pem, service_options);
    if (!service_signer.ok()) FAIL("cannot load the test services' RSA key");
    k->service_verifier = std::make_unique<runtime::auth::JwtVerifier>((*service_signer)->public_keys(),
                                                                       runtime::auth::ServiceTokenOptions());
    k->service_tokens = std::make_unique<runtime::auth::ServiceTokenSource>(std::move(*service_signer), "tests");
    k->authorizer = std::make_unique<runtime::auth::Authorizer>(*k->verifier, k->service_verifier.get());
    return k;
  }();
  return *keys;
}

}  // namespace

const runtime::auth::JwtSigner& TestSigner() { return *Keys().signer; }
const runtime::auth::JwtVerifier& TestVerifier() { return *Keys().verifier; }
const runtime::auth::Authorizer& TestAuthorizer() { return *Keys().authorizer; }
const std::string& TestPrivateKeyPem() { return Keys().private_pem; }

namespace {
std::string WriteOnce(const std::string& suffix, const std::string& content) {
  const std::string path = GetInfra().dir + "/" + UniqueName("jwt") + suffix;
  std::ofstream(path) << content;
  return path;
}
}  // namespace

const std::string& TestPublicKeyFile() {
  static const std::string* const path = [] {
    absl::StatusOr<std::string> pub = runtime::auth::PublicKeyPem(TestPrivateKeyPem());
    if (!pub.ok()) FAIL("cannot derive the test public key");
    return new std::string(WriteOnce(".pub.pem", *pub));
  }();
  return *path;
}

const std::string& TestPrivateKeyFile() {
  static const std::string* const path = new std::string(WriteOnce(".pem", TestPrivateKeyPem()));
  return *path;
}

const std::string& TestServiceKeyFile() {
  static const std::string* const path = new std::string(WriteOnce(".service.pem", Keys().service_pem));
  return *path;
}

runtime::auth::ServiceTokenSource& TestServiceTokens() { return *Keys().service_tokens; }

void WithServiceIdentity(grpc::ClientContext& ctx) {
  ctx.AddMetadata(runtime::auth::kServiceTokenHeader, TestServiceTokens().Token(absl::Now()));
}

std::string TokenFor(const std::string& customer_id, bool admin) {
  std::vector<std::string> roles = {"customer"};
  if (admin) roles.push_back("admin");
  return TestSigner().Sign(customer_id, roles, absl::Now());
}

std::string BearerFor(const std::string& customer_id, bool admin) {
  return "Bearer " + TokenFor(customer_id, admin);
}

}  // namespace agora::testing

namespace agora::testing {

const std::string& TestKid() { return TestSigner().kid(); }

std::string SignRaw(const std::string& header_json, const std::string& claims_json) {
  const std::string input =
      absl::WebSafeBase64Escape(header_json) + "." + absl::WebSafeBase64Escape(claims_json);
  const std::string& pem = TestPrivateKeyPem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pkey != nullptr);
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(pkey)), '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  REQUIRE(ok);
  sig.resize(len);
  return input + "." + absl::WebSafeBase64Escape(sig);
}

}  // namespace agora::testing
