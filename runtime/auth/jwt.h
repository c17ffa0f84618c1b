#pragma once

// RS256 JSON Web Tokens: signing (customers issues access tokens) and
// verification (every service and the gateway). OpenSSL does the RSA;
// nlohmann::json reads and writes the JSON.
//
// Verification refuses, with UNAUTHENTICATED: any alg but RS256 ("none" and
// HS256 algorithm confusion included), an unknown kid, a bad signature, an
// expired or not-yet-valid token (leeway applies), a wrong iss or aud, and
// anything malformed. Messages are short and safe to show a client.
//
// Thread-safe once built.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agora::runtime::auth {

struct Claims {
  std::string subject;  // sub: the customer id
  std::string issuer;   // iss
  std::string audience; // aud
  std::string token_id; // jti
  std::string session_id;  // sid: the refresh-token family (empty: none)
  std::vector<std::string> roles;
  absl::Time issued_at;   // iat
  absl::Time not_before;  // nbf (== iat when issued here)
  absl::Time expires_at;  // exp
};

// One RSA public key of a key set.
struct PublicKey;

// Public keys by kid. Copyable (keys are shared).
class KeySet final {
 public:
  KeySet();
  ~KeySet();
  KeySet(const KeySet&);
  KeySet& operator=(const KeySet&);

  // Adds a PEM public key (SubjectPublicKeyInfo) or private key (its public
  // half); its kid is the RFC 7638 thumbprint. Returns the kid.
  absl::StatusOr<std::string> AddPem(const std::string& pem);
  // Adds every RSA key of a JWKS document ({"keys":[{"kty":"RSA","kid",..,"n","e"}]}).
  absl::Status AddJwks(const std::string& json);
  // The set as a JWKS document (kty, kid, use "sig", alg "RS256", n, e).
  std::string ToJwks() const;
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // The same kids (RFC 7638 thumbprints: the same keys).
  bool SameKeys(const KeySet& other) const;
  // Adds every key of `other` (a key already here stays once).
  void Add(const KeySet& other);

  const PublicKey* Find(const std::string& kid) const;

 private:
  std::map<std::string, std::shared_ptr<PublicKey>> keys_;
};

struct VerifierOptions {
  std::string issuer = "agora";
  std::string audience = "agora-api";
  absl::Duration leeway = absl::Seconds(30);
};

// Where a verifier gets its keys again when a token names a kid it does not
// know (a key rotation at the signer): e.g. the JWKS of customers.
using KeyRefresher = std::function<absl::StatusOr<KeySet>()>;

class JwtVerifier final {
 public:
  // With a `refresher`, an unknown kid asks for one refresh (at most every
  // `min_refresh_interval`). The refresh runs on the verifier's own thread,
  // never on the caller's: Verify does not wait for it, and the token that
  // named the unknown kid is refused; tokens verified after the refresh
  // landed find the new keys.
  // With `refresh_every` finite, the keys are also fetched again that often
  // (a key the issuer retired stops verifying within that time); a failed
  // refresh keeps the keys there are.
  JwtVerifier(KeySet keys, VerifierOptions options, KeyRefresher refresher = nullptr,
              absl::Duration min_refresh_interval = absl::Seconds(10),
              absl::Duration refresh_every = absl::InfiniteDuration());
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  absl::StatusOr<Claims> Verify(const std::string& token, absl::Time now) const;
  KeySet keys() const;
  absl::Duration leeway() const { return options_.leeway; }
  // Refreshes completed (successful or not), for tests and metrics.
  int64_t refreshes() const;
  // Changes whenever a refresh changed the keys: whoever caches what a key
  // verified (Authorizer) drops it then, so that a retired key stops
  // verifying at the next refresh.
  int64_t key_generation() const { return key_generation_.load(std::memory_order_acquire); }

 private:
  // The current keys; asks the refresh thread for a new set when `kid` is
  // unknown and the interval allows. Never blocks on the refresher.
  std::shared_ptr<const KeySet> KeysFor(const std::string& kid, absl::Time now) const;
  void RefreshLoop();

  VerifierOptions options_;
  KeyRefresher refresher_;
  absl::Duration min_refresh_interval_;
  absl::Duration refresh_every_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time last_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable bool refresh_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t refreshes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> key_generation_{0};
  // Last: runs RefreshLoop, stops first.
  std::thread refresh_thread_;
};

struct SignerOptions {
  std::string issuer = "agora";
  std::string audience = "agora-api";
  absl::Duration ttl = absl::Minutes(15);
};

class JwtSigner final {
 public:
  // From a PEM RSA private key; INVALID_ARGUMENT if it is not one.
  static absl::StatusOr<std::unique_ptr<JwtSigner>> FromPem(const std::string& private_pem,
                                                            SignerOptions options);
  ~JwtSigner();

  // A signed token for `subject` with `roles`, valid from `now` for the TTL,
  // with a fresh jti, and `session_id` as sid when not empty (the login's
  // refresh-token family: revocations.h).
  std::string Sign(const std::string& subject, const std::vector<std::string>& roles,
                   absl::Time now, const std::string& session_id = "") const;
  const std::string& kid() const { return kid_; }
  // The public half, for verifiers and the JWKS endpoint.
  const KeySet& public_keys() const { return public_keys_; }
  absl::Duration ttl() const { return options_.ttl; }

 private:
  struct Key;
  JwtSigner(std::unique_ptr<Key> key, std::string kid, KeySet public_keys, SignerOptions options);

  std::unique_ptr<Key> key_;
  std::string kid_;
  KeySet public_keys_;
  SignerOptions options_;
};

// A new RSA private key as PEM (PKCS#8), for local runs and tests (fewer
// than 2048 bits only for tests that check such keys are refused).
absl::StatusOr<std::string> GenerateRsaPrivateKeyPem(int bits = 2048);

// The public half (SubjectPublicKeyInfo PEM) of a PEM private key.
absl::StatusOr<std::string> PublicKeyPem(const std::string& private_pem);

}  // namespace agora::runtime::auth
