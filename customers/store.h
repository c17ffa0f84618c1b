#pragma once

// Persistence of accounts, refresh-token families, balances and ledger, cart
// and favourites. pg_store.h is the PostgreSQL implementation; every method
// is one transaction. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "customers/account.h"

namespace agora::customers {

struct NewAccount {
  std::string email;  // normalised
  std::string display_name;
  std::string password_hash;
  std::vector<std::string> roles;
  std::string email_as_given;  // as written, answered in the profile (empty: `email`)
};

struct Credentials {
  Customer customer;
  std::string password_hash;
};

// A signed-in session: the customer and its refresh-token family.
struct Session {
  Customer customer;
  std::string family_id;
};

struct RevokedFamilies {
  std::vector<std::string> ids;
  bool truncated = false;
};

struct LedgerPage {
  std::vector<LedgerEntry> entries;
  std::optional<LedgerCursor> next;  // the last entry's, when more follow
};

enum class DebitOutcome { kDebited, kInsufficientFunds, kRefunded, kUnknownCustomer };
struct DebitResult {
  DebitOutcome outcome = DebitOutcome::kDebited;
  int64_t balance_cents = 0;
};
struct RefundResult {
  int64_t refunded_cents = 0;
  int64_t balance_cents = 0;
  // The order was paid by another customer than the one named: nothing moved.
  bool payer_mismatch = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // ALREADY_EXISTS when the email is taken.
  virtual absl::StatusOr<Customer> CreateCustomer(const NewAccount& account) = 0;
  // Creates the account unless the email exists (then changes nothing).
  virtual absl::Status EnsureAccount(const NewAccount& account) = 0;
  virtual absl::StatusOr<Customer> GetCustomer(const std::string& id) = 0;
  virtual absl::StatusOr<Credentials> FindByEmail(const std::string& email) = 0;
  // Replaces the password hash and revokes every refresh-token family of
  // the account (sessions made with the old password end); NOT_FOUND if unknown.
  virtual absl::Status ResetPassword(const std::string& customer_id,
                                     const std::string& password_hash) = 0;

  // Starts a refresh-token family for a login; returns its id (the access
  // tokens' sid).
  virtual absl::StatusOr<std::string> StartFamily(const std::string& customer_id, const std::string& token_hash,
                                                  absl::Time expires_at) = 0;
  // Spends `token_hash` and stores `next_hash` in its family; returns the
  // customer and the family. UNAUTHENTICATED for an unknown, expired or
  // revoked token; a token already spent revokes its whole family
  // (committed) and is UNAUTHENTICATED too.
  virtual absl::StatusOr<Session> RotateRefreshToken(const std::string& token_hash,
                                                     const std::string& next_hash,
                                                     absl::Time next_expires_at) = 0;
  // Revokes the family of `token_hash`; unknown tokens change nothing.
  virtual absl::Status RevokeFamily(const std::string& token_hash) = 0;
  // The families revoked within `window` of now, newest first, at most
  // `limit` (truncated says whether there were more).
  virtual absl::StatusOr<RevokedFamilies> ListRevokedFamilies(absl::Duration window, int limit) = 0;

  // Adds to the balance with a ledger row; with a key, a repeat answers the
  // first balance and ALREADY_EXISTS when the amount differs. Returns the
  // balance after the top-up.
  // At most `daily_cap_cents` of top-ups within 24 hours: past it,
  // FAILED_PRECONDITION, reason TOP_UP_LIMIT (a keyed repeat still answers).
  virtual absl::StatusOr<int64_t> TopUp(const std::string& customer_id, int64_t amount_cents,
                                        const std::string& idempotency_key,
                                        int64_t daily_cap_cents) = 0;
  // Newest first by created_at (the row's write time), then by seq;
  // entries after `after` only. A seq-only cursor whose entry is not the
  // customer's is INVALID_ARGUMENT.
  virtual absl::StatusOr<LedgerPage> ListLedger(const std::string& customer_id, int page_size,
                                                std::optional<LedgerCursor> after) = 0;
  // The saga's balance step, idempotent by order id (see DESIGN.md): a
  // repeat answers the first outcome; after a refund, kRefunded (a
  // tombstone when the refund came first).
  virtual absl::StatusOr<DebitResult> Debit(const DebitRequest& request) = 0;
  // Its compensation, idempotent by order id; the money goes back to the
  // payer only. `restore_cart`: the cart lines the debit took go back too.
  virtual absl::StatusOr<RefundResult> Refund(const std::string& order_id,
                                              const std::string& customer_id,
                                              bool restore_cart) = 0;

  virtual absl::StatusOr<std::vector<CartLine>> GetCart(const std::string& customer_id) = 0;
  // quantity 0 removes. FAILED_PRECONDITION past kMaxCartProducts lines.
  virtual absl::StatusOr<std::vector<CartLine>> SetCartItem(const std::string& customer_id,
                                                            const std::string& product_id,
                                                            int quantity) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListFavorites(const std::string& customer_id) = 0;
  virtual absl::StatusOr<bool> IsFavorite(const std::string& customer_id,
                                          const std::string& product_id) = 0;
  virtual absl::Status SetFavorite(const std::string& customer_id, const std::string& product_id,
                                   bool favorite) = 0;
};

}  // namespace agora::customers
