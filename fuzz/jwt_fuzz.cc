// Fuzzes token verification and key loading. The first byte picks:
//   0: the input is a token, verified as the gateway does;
//   1: the input is "header JSON\0claims JSON", signed with the fuzzer's key
//      so that claim parsing past the signature check is exercised too
//      ("@KID@" in the header becomes the key's kid);
//   2: the input is a JWKS document.
// Nothing may throw or crash; a token that verifies has a subject.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "runtime/auth/jwt.h"

namespace {

using agora::runtime::auth::JwtSigner;
using agora::runtime::auth::JwtVerifier;
using agora::runtime::auth::KeySet;

struct Keys {
  std::unique_ptr<JwtSigner> signer;
  std::unique_ptr<JwtVerifier> verifier;
  std::string private_pem;
};

const Keys& TheKeys() {
  static const Keys* const keys = [] {
    auto* k = new Keys;
    k->private_pem = *agora::runtime::auth::GenerateRsaPrivateKeyPem();
    k->signer = std::move(*JwtSigner::FromPem(k->private_pem, {}));
    k->verifier = std::make_unique<JwtVerifier>(k->signer->public_keys(),
                                                agora::runtime::auth::VerifierOptions{});
    return k;
  }();
  return *keys;
}

// The fuzzer's header and claims, signed: the verifier then reads claims
// an attacker chose (a signer bug, a leaked key).
std::string SignRaw(const Keys& keys, std::string_view header, std::string_view claims);

}  // namespace

#include <openssl/evp.h>
#include <openssl/pem.h>

namespace {

std::string SignRaw(const Keys& keys, std::string_view header, std::string_view claims) {
  const std::string input = absl::WebSafeBase64Escape(std::string(header)) + "." +
                            absl::WebSafeBase64Escape(std::string(claims));
  static EVP_PKEY* const pkey = [&] {
    BIO* bio = BIO_new_mem_buf(keys.private_pem.data(), static_cast<int>(keys.private_pem.size()));
    EVP_PKEY* p = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return p;
  }();
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(pkey)), '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return input + "." + absl::WebSafeBase64Escape(sig);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Keys& keys = TheKeys();
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  switch (data[0] % 3) {
    case 0: {
      auto claims = keys.verifier->Verify(std::string(in), now);
      if (claims.ok() && claims->subject.empty()) std::abort();
      break;
    }
    case 1: {
      const size_t cut = in.find('\0');
      if (cut == std::string_view::npos) return 0;
      // "@KID@" in the header stands for the key's kid (random per run).
      std::string header(in.substr(0, cut));
      if (const size_t at = header.find("@KID@"); at != std::string::npos) {
        header.replace(at, 5, keys.signer->kid());
      }
      auto claims = keys.verifier->Verify(SignRaw(keys, header, in.substr(cut + 1)), now);
      if (claims.ok() && claims->subject.empty()) std::abort();
      break;
    }
    default: {
      KeySet set;
      (void)set.AddJwks(std::string(in));
      break;
    }
  }
  return 0;
}
