#pragma once

// The PostgreSQL Store: the only SQL of the customers service.

#include <vector>

#include "customers/store.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::customers {

class PgStore final : public Store {
 public:
  explicit PgStore(runtime::pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<Customer> CreateCustomer(const NewAccount& account) override;
  absl::Status EnsureAccount(const NewAccount& account) override;
  absl::StatusOr<Customer> GetCustomer(const std::string& id) override;
  absl::StatusOr<Credentials> FindByEmail(const std::string& email) override;
  absl::Status ResetPassword(const std::string& customer_id, const std::string& password_hash) override;
  absl::StatusOr<std::string> StartFamily(const std::string& customer_id, const std::string& token_hash,
                                          absl::Time expires_at) override;
  absl::StatusOr<Session> RotateRefreshToken(const std::string& token_hash, const std::string& next_hash,
                                             absl::Time next_expires_at) override;
  absl::Status RevokeFamily(const std::string& token_hash) override;
  absl::StatusOr<RevokedFamilies> ListRevokedFamilies(absl::Duration window, int limit) override;
  absl::StatusOr<int64_t> TopUp(const std::string& customer_id, int64_t amount_cents,
                                const std::string& idempotency_key, int64_t daily_cap_cents) override;
  absl::StatusOr<LedgerPage> ListLedger(const std::string& customer_id, int page_size,
                                        std::optional<LedgerCursor> after) override;
  absl::StatusOr<DebitResult> Debit(const DebitRequest& request) override;
  absl::StatusOr<RefundResult> Refund(const std::string& order_id,
                                      const std::string& customer_id, bool restore_cart) override;

  // Debit and Refund inside the caller's transaction: the one code path of
  // the saga's balance step, for the gRPC methods (each its own
  // transaction) and the Kafka command handler (customers/participant.h, a
  // batch's transaction). Throw libpqxx exceptions.
  DebitResult DebitIn(runtime::pg::Tx& tx, const DebitRequest& request);
  RefundResult RefundIn(runtime::pg::Tx& tx, const std::string& order_id,
                        const std::string& customer_id, bool restore_cart);
  // DebitIn for each of `requests` (normalised: NormaliseDebit), in order,
  // with the same results and effects, in a few statements whatever their
  // number: every payment claimed at once (each order by its first command
  // whose customer exists), the others' stored states and the balances read,
  // each debit decided in memory as DebitIn would, then every balance,
  // ledger row and payment state written at once (and each fromCart debit's
  // cart lines). The customers must be locked already (LockCustomers: a
  // batch's first step). Throws libpqxx exceptions.
  std::vector<DebitResult> DebitBatchIn(runtime::pg::Tx& tx, const std::vector<DebitRequest>& requests);
  // Locks the customers `ids` (UUIDs) in id order: what a batch of saga
  // commands will lock, taken up front in one order so that batches running
  // at once never deadlock.
  void LockCustomers(runtime::pg::Tx& tx, const std::vector<std::string>& ids);
  // FAULT INJECTION for ./agora chaos --broken-participant
  // (AGORA_UNSAFE_SKIP_DEDUPE): DebitIn debits an order again although its
  // payment row says it was debited, the second guard after the inbox.
  // Never in production.
  void UnsafeSkipPaymentClaim(bool on) { skip_payment_claim_ = on; }
  absl::StatusOr<std::vector<CartLine>> GetCart(const std::string& customer_id) override;
  absl::StatusOr<std::vector<CartLine>> SetCartItem(const std::string& customer_id,
                                                    const std::string& product_id,
                                                    int quantity) override;
  absl::StatusOr<std::vector<std::string>> ListFavorites(const std::string& customer_id) override;
  absl::StatusOr<bool> IsFavorite(const std::string& customer_id,
                                  const std::string& product_id) override;
  absl::Status SetFavorite(const std::string& customer_id, const std::string& product_id,
                           bool favorite) override;

 private:
  runtime::pg::Pool& pool_;
  bool skip_payment_claim_ = false;
};

const std::vector<runtime::pg::Migration>& CustomersMigrations();

}  // namespace agora::customers
