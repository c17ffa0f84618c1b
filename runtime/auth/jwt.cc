#include "runtime/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"
#include "runtime/log/log.h"

namespace agora::runtime::auth {

struct PublicKey {
  EVP_PKEY* pkey = nullptr;
  std::string n_b64;  // base64url of the modulus
  std::string e_b64;  // base64url of the exponent
  ~PublicKey() { EVP_PKEY_free(pkey); }
};

struct JwtSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

using json = nlohmann::json;

absl::Status Unauthenticated(const char* why) { return absl::UnauthenticatedError(why); }

std::string B64Url(const std::string& bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string BigNumB64(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return "";
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return B64Url(bytes);
}

// RFC 7638 thumbprint of an RSA key: base64url(SHA-256 of {"e","kty","n"}).
std::string Thumbprint(const std::string& n_b64, const std::string& e_b64) {
  const std::string canonical =
      absl::StrCat(R"({"e":")", e_b64, R"(","kty":"RSA","n":")", n_b64, R"("})");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return B64Url(std::string(reinterpret_cast<char*>(digest), sizeof digest));
}

std::shared_ptr<PublicKey> FromPkey(EVP_PKEY* pkey) {
  auto key = std::make_shared<PublicKey>();
  key->pkey = pkey;
  key->n_b64 = BigNumB64(pkey, OSSL_PKEY_PARAM_RSA_N);
  key->e_b64 = BigNumB64(pkey, OSSL_PKEY_PARAM_RSA_E);
  return key;
}

bool IsRsa(EVP_PKEY* pkey) { return pkey != nullptr && EVP_PKEY_is_a(pkey, "RSA") == 1; }

bool VerifySignature(EVP_PKEY* pkey, const std::string& data, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// RFC 7519 NumericDate: seconds since the epoch, an integer or a finite
// fraction, here between the years 0 and 9999. Anything else (a string, a
// float of 1e300, an unsigned past int64) is malformed, never a throw.
bool ReadTime(const json& claims, const char* name, absl::Time* out) {
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  auto it = claims.find(name);
  if (it == claims.end()) return false;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(kMaxSeconds)) return false;
    const int64_t v = it->get<int64_t>();
    if (v < -62135596800 || v > kMaxSeconds) return false;
    *out = absl::FromUnixSeconds(v);
    return true;
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < -62135596800.0 || v > static_cast<double>(kMaxSeconds)) return false;
    *out = absl::FromUnixSeconds(static_cast<int64_t>(std::floor(v)));
    return true;
  }
  return false;
}

// An optional string member: absent leaves `out` alone; any other type is
// false (malformed). nlohmann's value() would throw on a wrong type.
bool ReadString(const json& object, const char* name, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

// Strict base64url (RFC 7515 section 2): the URL-safe alphabet only, no
// padding, no whitespace, and the canonical encoding of what it decodes to
// (Abseil's decoder alone accepts padding and non-zero trailing bits).
bool DecodeB64Url(absl::string_view in, std::string* out) {
  for (char c : in) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  if (in.size() % 4 == 1) return false;
  if (!absl::WebSafeBase64Unescape(in, out)) return false;
  return absl::WebSafeBase64Escape(*out) == in;
}

// RSA keys shorter than this are refused wherever a key is loaded.
constexpr int kMinRsaBits = 2048;

absl::Status CheckKeySize(EVP_PKEY* pkey) {
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA key of ", bits, " bits refused: at least ", kMinRsaBits, " are required"));
  }
  return absl::OkStatus();
}

}  // namespace

KeySet::KeySet() = default;
KeySet::~KeySet() = default;
KeySet::KeySet(const KeySet&) = default;
KeySet& KeySet::operator=(const KeySet&) = default;

absl::StatusOr<std::string> KeySet::AddPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    BIO_reset(bio);
    pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  if (!IsRsa(pkey)) {
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError("not an RSA key in PEM form");
  }
  if (absl::Status size = CheckKeySize(pkey); !size.ok()) {
    EVP_PKEY_free(pkey);
    return size;
  }
  std::shared_ptr<PublicKey> key = FromPkey(pkey);
  std::string kid = Thumbprint(key->n_b64, key->e_b64);
  keys_[kid] = std::move(key);
  return kid;
}

absl::Status KeySet::AddJwks(const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return absl::InvalidArgumentError("not a JWKS document");
  }
  for (const json& k : doc["keys"]) {
    std::string kty, kid, n_b64, e_b64;
    if (!k.is_object() || !ReadString(k, "kty", &kty)) continue;
    if (kty != "RSA") continue;
    std::string n, e;
    if (!ReadString(k, "kid", &kid) || !ReadString(k, "n", &n_b64) || !ReadString(k, "e", &e_b64) ||
        kid.empty() || !DecodeB64Url(n_b64, &n) || !DecodeB64Url(e_b64, &e) || n.empty() ||
        e.empty()) {
      return absl::InvalidArgumentError("malformed RSA key in JWKS");
    }
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* pkey = nullptr;
    const bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    if (!ok) return absl::InvalidArgumentError("unusable RSA key in JWKS");
    if (absl::Status size = CheckKeySize(pkey); !size.ok()) {
      EVP_PKEY_free(pkey);
      return size;
    }
    keys_[kid] = FromPkey(pkey);
  }
  return absl::OkStatus();
}

std::string KeySet::ToJwks() const {
  json keys = json::array();
  for (const auto& [kid, key] : keys_) {
    keys.push_back({{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", "RS256"},
                    {"n", key->n_b64}, {"e", key->e_b64}});
  }
  return json{{"keys", keys}}.dump();
}

bool KeySet::SameKeys(const KeySet& other) const {
  if (keys_.size() != other.keys_.size()) return false;
  for (const auto& [kid, key] : keys_) {
    if (other.keys_.find(kid) == other.keys_.end()) return false;
  }
  return true;
}

void KeySet::Add(const KeySet& other) { keys_.insert(other.keys_.begin(), other.keys_.end()); }

const PublicKey* KeySet::Find(const std::string& kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.get();
}

JwtVerifier::JwtVerifier(KeySet keys, VerifierOptions options, KeyRefresher refresher,
                         absl::Duration min_refresh_interval, absl::Duration refresh_every)
    : options_(std::move(options)),
      refresher_(std::move(refresher)),
      min_refresh_interval_(min_refresh_interval),
      refresh_every_(refresh_every),
      keys_(std::make_shared<const KeySet>(std::move(keys))) {
  if (refresher_) {
    refresh_thread_ = std::thread([this] {
      log::NameThisThread("jwks-refresh");
      RefreshLoop();
    });
  }
}

JwtVerifier::~JwtVerifier() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (refresh_thread_.joinable()) refresh_thread_.join();
}

KeySet JwtVerifier::keys() const {
  absl::MutexLock lock(&mu_);
  return *keys_;
}

int64_t JwtVerifier::refreshes() const {
  absl::MutexLock lock(&mu_);
  return refreshes_;
}

std::shared_ptr<const KeySet> JwtVerifier::KeysFor(const std::string& kid, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (keys_->Find(kid) == nullptr && refresher_ && !kid.empty() &&
      now - last_refresh_ >= min_refresh_interval_) {
    last_refresh_ = now;  // rate limit: one refresh per interval, whoever asks
    refresh_wanted_ = true;
  }
  return keys_;
}

void JwtVerifier::RefreshLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      // A timeout is the periodic refresh (an infinite one never fires).
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](JwtVerifier* v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(v->mu_) {
                                 return v->refresh_wanted_ || v->stopping_;
                               },
                               this),
                           refresh_every_);
      if (stopping_) return;
      refresh_wanted_ = false;
    }
    absl::StatusOr<KeySet> fresh = refresher_();
    absl::MutexLock lock(&mu_);
    ++refreshes_;
    if (fresh.ok() && !fresh->empty()) {
      const bool changed = !fresh->SameKeys(*keys_);
      keys_ = std::make_shared<const KeySet>(std::move(*fresh));
      if (changed) key_generation_.fetch_add(1, std::memory_order_release);
    }
  }
}

absl::StatusOr<Claims> JwtVerifier::Verify(const std::string& token, absl::Time now) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("malformed token");
  std::string header_text, claims_text, signature;
  if (!DecodeB64Url(parts[0], &header_text) || !DecodeB64Url(parts[1], &claims_text) ||
      !DecodeB64Url(parts[2], &signature)) {
    return Unauthenticated("malformed token");
  }
  const json header = json::parse(header_text, nullptr, false);
  if (!header.is_object()) return Unauthenticated("malformed token");
  // Only RS256: "none", HS256 (algorithm confusion) and the rest are refused
  // before any key is looked at. "crit" names extensions we do not
  // implement, so a token that carries it is refused (RFC 7515 4.1.11).
  std::string alg, kid;
  if (!ReadString(header, "alg", &alg) || alg != "RS256") {
    return Unauthenticated("unsupported token algorithm");
  }
  if (header.contains("crit")) return Unauthenticated("unsupported token extension");
  if (!ReadString(header, "kid", &kid)) return Unauthenticated("malformed token");
  const std::shared_ptr<const KeySet> keys = KeysFor(kid, now);
  const PublicKey* key = kid.empty() ? nullptr : keys->Find(kid);
  if (key == nullptr) return Unauthenticated("unknown signing key");
  const size_t signed_size = parts[0].size() + 1 + parts[1].size();
  if (!VerifySignature(key->pkey, token.substr(0, signed_size), signature)) {
    return Unauthenticated("bad token signature");
  }
  // Signed by us, still read as if hostile: every claim of the wrong JSON
  // type is a malformed token, never an exception.
  const json c = json::parse(claims_text, nullptr, false);
  if (!c.is_object()) return Unauthenticated("malformed token");
  Claims claims;
  if (!ReadTime(c, "exp", &claims.expires_at)) return Unauthenticated("token has no valid expiry");
  if (now > claims.expires_at + options_.leeway) return Unauthenticated("token expired");
  claims.not_before = absl::InfinitePast();
  if (c.contains("nbf") && !ReadTime(c, "nbf", &claims.not_before)) return Unauthenticated("malformed token");
  if (claims.not_before > now + options_.leeway) return Unauthenticated("token not valid yet");
  claims.issued_at = absl::InfinitePast();
  if (c.contains("iat") && !ReadTime(c, "iat", &claims.issued_at)) return Unauthenticated("malformed token");
  if (claims.issued_at > now + options_.leeway) return Unauthenticated("token not valid yet");
  std::string issuer;
  if (!ReadString(c, "iss", &issuer)) return Unauthenticated("malformed token");
  if (issuer != options_.issuer) return Unauthenticated("wrong token issuer");
  bool audience_ok = false;
  if (auto aud = c.find("aud"); aud != c.end()) {
    if (aud->is_string()) audience_ok = aud->get<std::string>() == options_.audience;
    if (aud->is_array()) {
      for (const json& a : *aud) audience_ok |= (a.is_string() && a.get<std::string>() == options_.audience);
    }
  }
  if (!audience_ok) return Unauthenticated("wrong token audience");
  if (!ReadString(c, "sub", &claims.subject) || claims.subject.empty()) {
    return Unauthenticated("token has no subject");
  }
  if (!ReadString(c, "jti", &claims.token_id)) return Unauthenticated("malformed token");
  if (!ReadString(c, "sid", &claims.session_id)) return Unauthenticated("malformed token");
  if (auto roles = c.find("roles"); roles != c.end()) {
    if (!roles->is_array()) return Unauthenticated("malformed token");
    for (const json& r : *roles) {
      if (!r.is_string()) return Unauthenticated("malformed token");
      claims.roles.push_back(r.get<std::string>());
    }
  }
  claims.issuer = options_.issuer;
  claims.audience = options_.audience;
  return claims;
}

absl::StatusOr<std::unique_ptr<JwtSigner>> JwtSigner::FromPem(const std::string& private_pem,
                                                             SignerOptions options) {
  BIO* bio = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!IsRsa(pkey)) {
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError("the JWT signing key is not an RSA private key in PEM form");
  }
  if (absl::Status size = CheckKeySize(pkey); !size.ok()) {
    EVP_PKEY_free(pkey);
    return size;
  }
  auto key = std::make_unique<Key>();
  key->pkey = pkey;
  KeySet public_keys;
  absl::StatusOr<std::string> kid = public_keys.AddPem(private_pem);
  if (!kid.ok()) return kid.status();
  return std::unique_ptr<JwtSigner>(
      new JwtSigner(std::move(key), *kid, std::move(public_keys), std::move(options)));
}

JwtSigner::JwtSigner(std::unique_ptr<Key> key, std::string kid, KeySet public_keys,
                     SignerOptions options)
    : key_(std::move(key)),
      kid_(std::move(kid)),
      public_keys_(std::move(public_keys)),
      options_(std::move(options)) {}

JwtSigner::~JwtSigner() = default;

std::string JwtSigner::Sign(const std::string& subject, const std::vector<std::string>& roles,
                            absl::Time now, const std::string& session_id) const {
  const int64_t iat = absl::ToUnixSeconds(now);
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid_}};
  json claims = {{"iss", options_.issuer},
                       {"aud", options_.audience},
                       {"sub", subject},
                       {"iat", iat},
                       {"nbf", iat},
                       {"exp", iat + absl::ToInt64Seconds(options_.ttl)},
                       {"jti", ids::NewUuid()},
                       {"roles", roles}};
  if (!session_id.empty()) claims["sid"] = session_id;
  const std::string signing_input = B64Url(header.dump()) + "." + B64Url(claims.dump());
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(key_->pkey)), '\0');
  size_t sig_len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // a loaded RSA key that cannot sign: nothing sane to do
  sig.resize(sig_len);
  return signing_input + "." + B64Url(sig);
}

absl::StatusOr<std::string> GenerateRsaPrivateKeyPem(int bits) {
  EVP_PKEY* pkey = EVP_RSA_gen(static_cast<unsigned>(bits));
  if (pkey == nullptr) return absl::InternalError("RSA key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

absl::StatusOr<std::string> PublicKeyPem(const std::string& private_pem) {
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  if (!IsRsa(pkey)) {
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError("not an RSA private key in PEM form");
  }
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, pkey);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  return pem;
}

}  // namespace agora::runtime::auth
