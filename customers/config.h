#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "customers/passwords.h"
#include "customers/service_options.h"
#include "runtime/auth/jwt.h"
#include "runtime/auth/service_identity.h"
#include "runtime/grpc/serve.h"
#include "runtime/kafka/options.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/options_from_config.h"

namespace agora::customers {

struct Config {
  runtime::grpc_server::ServeConfig serve;
  runtime::pg::PgConfig pg;
  std::string private_key_file;
  bool generate_key = true;
  // AGORA_JWT_PUBLIC_KEY_FILE (optional): more public keys accepted and
  // published beside the signing key's, so that a rotation refuses no
  // valid token (the next key before it signs, the previous one after).
  std::string public_key_file;
  runtime::auth::SignerOptions signer;
  // Verifies the tokens of services calling its INTERNAL methods.
  runtime::auth::ServiceKeyConfig service_keys;
  absl::Duration refresh_token_ttl;
  // AGORA_REVOCATION_POLL_INTERVAL: how often its own authorizer reads the
  // signed-out sessions.
  absl::Duration revocation_poll_interval;
  Argon2Params argon2;
  std::string admin_email;
  std::string admin_password;
  int password_threads = 2;
  int password_queue = 64;
  ServiceOptions service;
  // The inventory service (products let into carts and favourites):
  // AGORA_INVENTORY_ADDRESS, AGORA_INVENTORY_TIMEOUT.
  std::string inventory_address;
  absl::Duration inventory_timeout;
  runtime::kafka::KafkaOptions kafka;
  runtime::messaging::MessagingConfig messaging;
};

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::customers
