#include "customers/admin_bootstrap.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "customers/account.h"

namespace agora::customers {

absl::StatusOr<AdminOutcome> EnsureAdministrator(Store& store, const PasswordHasher& hasher,
                                                 const std::string& raw_email,
                                                 const std::string& password) {
  if (password.empty()) {
    return absl::FailedPreconditionError("AGORA_ADMIN_PASSWORD is required with AGORA_ADMIN_EMAIL");
  }
  absl::StatusOr<std::string> email = NormaliseEmail(raw_email);
  if (!email.ok()) return absl::FailedPreconditionError(absl::StrCat("AGORA_ADMIN_EMAIL: ", email.status().message()));
  if (absl::Status s = ValidatePassword(password); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("AGORA_ADMIN_PASSWORD: ", s.message()));
  }
  absl::StatusOr<Credentials> found = store.FindByEmail(*email);
  if (!found.ok() && found.status().code() != absl::StatusCode::kNotFound) return found.status();
  if (!found.ok()) {
    absl::StatusOr<std::string> hash = hasher.Hash(password);
    if (!hash.ok()) return hash.status();
    if (absl::Status s = store.EnsureAccount({*email, "Administrator", *hash, {"customer", "admin"}, raw_email});
        !s.ok()) {
      return s;
    }
    return AdminOutcome::kCreated;
  }
  const auto& roles = found->customer.roles;
  if (std::find(roles.begin(), roles.end(), "admin") == roles.end()) {
    return absl::FailedPreconditionError(
        "AGORA_ADMIN_EMAIL names an existing customer who is not an administrator; "
        "configure another email");
  }
  if (hasher.Verify(found->password_hash, password)) return AdminOutcome::kUnchanged;
  absl::StatusOr<std::string> hash = hasher.Hash(password);
  if (!hash.ok()) return hash.status();
  if (absl::Status s = store.ResetPassword(found->customer.id, *hash); !s.ok()) return s;
  return AdminOutcome::kPasswordApplied;
}

}  // namespace agora::customers
