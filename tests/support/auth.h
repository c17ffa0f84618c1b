#pragma once

// Tokens for tests: one RSA key per test process (generated once), a signer
// and a verifier that trust it, like customers and every other service do.

#include <string>

#include "runtime/auth/authorizer.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/service_identity.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace agora::testing {

const runtime::auth::JwtSigner& TestSigner();
const runtime::auth::JwtVerifier& TestVerifier();
// A verifier-backed authorizer, as a service builds it: end users' tokens
// of TestSigner, services' tokens of the test services' key.
const runtime::auth::Authorizer& TestAuthorizer();

// The services' key of the run's tests (runtime/auth/service_identity.h):
// a file with its private PEM (--service-key-file of service processes, which
// verify with its public half), tokens signed with it (subject "tests"), and
// a context that carries one (for a test calling an INTERNAL method).
const std::string& TestServiceKeyFile();
runtime::auth::ServiceTokenSource& TestServiceTokens();
void WithServiceIdentity(grpc::ClientContext& ctx);
// The PEM of the test key (private), for a service process under test.
const std::string& TestPrivateKeyPem();

// A file (in the run's infrastructure folder) holding the public half of the
// test key, for service processes under test (--jwt-public-key-file), and
// one holding the private key (--jwt-private-key-file, for customers).
const std::string& TestPublicKeyFile();
const std::string& TestPrivateKeyFile();

// A valid access token for `customer_id` with roles ["customer"] (and
// "admin" when `admin`).
std::string TokenFor(const std::string& customer_id, bool admin = false);
// A token whose header and claims are exactly `header_json` and
// `claims_json` (any JSON, hostile shapes included), correctly signed RS256
// with the test key: what a signer with a bug, or a stolen key, would send.
std::string SignRaw(const std::string& header_json, const std::string& claims_json);
// The test key's kid.
const std::string& TestKid();

// "Bearer <token>", for the authorization metadata.
std::string BearerFor(const std::string& customer_id, bool admin = false);

}  // namespace agora::testing
