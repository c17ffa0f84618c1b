#pragma once

// The administrator an operator configures (AGORA_ADMIN_EMAIL and
// AGORA_ADMIN_PASSWORD), made sure of at start:
//   - no email: nothing is created (the caller logs it);
//   - an email without a password: FAILED_PRECONDITION;
//   - no such account: created with roles customer and admin;
//   - an administrator whose stored password differs: the configured one is
//     applied, and the account's refresh-token families are revoked;
//   - an existing customer who is not an administrator: FAILED_PRECONDITION
//     (start-up refuses rather than hand an account to whoever set the email).

#include <string>

#include "absl/status/statusor.h"
#include "customers/passwords.h"
#include "customers/store.h"

namespace agora::customers {

enum class AdminOutcome { kCreated, kUnchanged, kPasswordApplied };

absl::StatusOr<AdminOutcome> EnsureAdministrator(Store& store, const PasswordHasher& hasher,
                                                 const std::string& email,
                                                 const std::string& password);

}  // namespace agora::customers
