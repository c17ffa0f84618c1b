#include "tests/support/auth.h"

#include <catch2/catch.hpp>

#include "absl/time/clock.h"

namespace agora::testing {
namespace {

struct TestKeys {
  std::string private_pem;
  std::unique_ptr<runtime::auth::JwtSigner> signer;
  std::unique_ptr<runtime::auth::JwtVerifier> verifier;
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
    k->authorizer = std::make_unique<runtime::auth::Authorizer>(*k->verifier);
    return k;
  }();
  return *keys;
}

}  // namespace

const runtime::auth::JwtSigner& TestSigner() { return *Keys().signer; }
const runtime::auth::JwtVerifier& TestVerifier() { return *Keys().verifier; }
const runtime::auth::Authorizer& TestAuthorizer() { return *Keys().authorizer; }
const std::string& TestPrivateKeyPem() { return Keys().private_pem; }

std::string TokenFor(const std::string& customer_id, bool admin) {
  std::vector<std::string> roles = {"customer"};
  if (admin) roles.push_back("admin");
  return TestSigner().Sign(customer_id, roles, absl::Now());
}

std::string BearerFor(const std::string& customer_id, bool admin) {
  return "Bearer " + TokenFor(customer_id, admin);
}

}  // namespace agora::testing
