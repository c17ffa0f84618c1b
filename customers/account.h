#pragma once

// The customers service's rules: what a valid email, password, name, top-up
// and cart line are, and how ledger pages are cut. No gRPC, SQL or crypto.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::customers {

inline constexpr size_t kMinPassword = 8;
inline constexpr size_t kMaxPassword = 128;
inline constexpr size_t kMaxDisplayName = 100;
inline constexpr size_t kMaxEmail = 254;
inline constexpr int64_t kMaxTopUpCents = 100000000;
inline constexpr int kMaxCartQuantity = 1000;
inline constexpr int kMaxCartProducts = 50;

struct Customer {
  std::string id;
  std::string email;  // as the customer wrote it (accounts made before 0006: normalised)
  std::string display_name;
  int64_t balance_cents = 0;
  std::vector<std::string> roles;
  absl::Time created_at;
};

enum class LedgerKind { kTopUp, kOrderDebit, kOrderRefund };

struct LedgerEntry {
  int64_t seq = 0;
  std::string id;
  LedgerKind kind = LedgerKind::kTopUp;
  int64_t amount_cents = 0;
  std::string order_id;
  absl::Time created_at;
};

struct CartLine {
  std::string product_id;
  int quantity = 0;
};

// The saga's balance step for one order (DebitBalance).
struct DebitRequest {
  std::string order_id;     // a UUID
  std::string customer_id;  // a UUID
  int64_t amount_cents = 0;  // >= 0
  // A fromCart order: `cart_lines` (the order's lines) leave the cart.
  bool from_cart = false;
  std::vector<CartLine> cart_lines;
};

// Checks a debit: UUID ids, amount >= 0, and with from_cart 1..50 lines of
// UUID products (lowercased), quantity 1..1000, no product twice.
// INVALID_ARGUMENT naming the field. The gRPC method and the Kafka command
// handler both check with it.
absl::Status NormaliseDebit(DebitRequest* request);
// Exactly one '@', non-empty local part and domain, no whitespace or control
// characters; compared case-insensitively, so returned lowercase.
absl::StatusOr<std::string> NormaliseEmail(const std::string& email);
// 8..128 code points.
absl::Status ValidatePassword(const std::string& password);
// Up to 100 code points; empty means "the email's local part".
absl::StatusOr<std::string> NormaliseDisplayName(const std::string& name, const std::string& email);
absl::Status ValidateTopUp(int64_t amount_cents, const std::string& idempotency_key);
// quantity 0 removes the line; 1..1000 sets it.
absl::Status ValidateCartQuantity(int quantity);

// Ledger pages: newest first by created_at, the entry's sequence number
// breaking ties; the token holds the last entry's (created_at, seq).
struct LedgerCursor {
  // Absent in a token of the first format ("l1:", the sequence number
  // alone, from before the order by created_at): the store looks it up.
  std::optional<absl::Time> created_at;
  int64_t seq = 0;
};
absl::StatusOr<int> NormalisePageSize(int requested);
absl::StatusOr<std::optional<LedgerCursor>> DecodeLedgerToken(const std::string& token);
std::string EncodeLedgerToken(const LedgerCursor& after);

}  // namespace agora::customers
