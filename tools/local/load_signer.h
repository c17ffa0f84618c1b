#pragma once

// The customers service's signing key (the PEM file a local run made), as
// the signer the load generators (bench/saga_bench, tools/chaos/chaos_load)
// sign their customers' tokens with; exits 2 naming the file if it is not one.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "runtime/auth/jwt.h"

namespace agora::local {

inline std::unique_ptr<runtime::auth::JwtSigner> SignerFromKeyFileOrExit(const char* program,
                                                                        const std::string& key_file,
                                                                        absl::Duration ttl) {
  std::ifstream in(key_file);
  std::stringstream pem;
  pem << in.rdbuf();
  runtime::auth::SignerOptions options;
  options.ttl = ttl;
  auto signer = runtime::auth::JwtSigner::FromPem(pem.str(), options);
  if (!signer.ok()) {
    std::fprintf(stderr, "%s: %s: %s\n", program, key_file.c_str(), std::string(signer.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(signer);
}

}  // namespace agora::local
