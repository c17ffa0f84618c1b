#include "customers/account.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/idempotency/key.h"
#include "runtime/ids/uuid.h"
#include "runtime/text/utf8.h"

namespace agora::customers {
namespace {

// Ledger page tokens: "l2:<created_at, unix microseconds>:<seq>"; "l1:<seq>"
// is still read.
constexpr char kTokenPrefix[] = "l2:";
constexpr char kSeqOnlyTokenPrefix[] = "l1:";

// Unicode's simple lower-case mapping (É -> é, not only A-Z), from glibc's
// C.UTF-8 locale (libc-bin, on every Debian system), through a locale object
// of its own: the process's global locale stays "C". Without that locale,
// ASCII only.
char32_t Lower(char32_t c) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (c < 0x80 || utf8 == static_cast<locale_t>(nullptr)) {
    return (c >= U'A' && c <= U'Z') ? c + (U'a' - U'A') : c;
  }
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), utf8));
}

}  // namespace

absl::StatusOr<std::string> NormaliseEmail(const std::string& raw) {
  // Whitespace anywhere (leading and trailing included) is refused, not trimmed.
  const absl::Status bad = absl::InvalidArgumentError(
      "email must look like name@domain (one @, no spaces)");
  if (raw.empty() || raw.size() > kMaxEmail) return bad;
  std::optional<std::u32string> cps = runtime::text::Decode(raw);
  if (!cps.has_value()) return bad;
  if (std::count(cps->begin(), cps->end(), U'@') != 1) return bad;
  const size_t at = cps->find(U'@');
  if (at == 0 || at + 1 == cps->size()) return bad;
  for (char32_t& c : *cps) {
    if (c < 0x20 || c == 0x7f || runtime::text::IsWhiteSpace(c)) return bad;
    c = Lower(c);
  }
  std::string email = runtime::text::Encode(*cps);
  if (email.size() > kMaxEmail) return bad;
  return email;
}

absl::Status ValidatePassword(const std::string& password) {
  const std::optional<size_t> n = runtime::text::CodePointCount(password);
  if (!n.has_value()) return absl::InvalidArgumentError("password is not valid UTF-8");
  if (*n < kMinPassword || *n > kMaxPassword) {
    return absl::InvalidArgumentError(
        absl::StrCat("password must be ", kMinPassword, " to ", kMaxPassword, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormaliseDisplayName(const std::string& raw, const std::string& email) {
  std::string name(absl::StripAsciiWhitespace(raw));
  if (name.empty()) name = email.substr(0, email.find('@'));
  const std::optional<size_t> n = runtime::text::CodePointCount(name);
  if (!n.has_value()) return absl::InvalidArgumentError("displayName is not valid UTF-8");
  if (*n > kMaxDisplayName) {
    return absl::InvalidArgumentError(
        absl::StrCat("displayName must be at most ", kMaxDisplayName, " characters"));
  }
  return name;
}

absl::Status ValidateTopUp(int64_t amount_cents, const std::string& key) {
  if (amount_cents < 1 || amount_cents > kMaxTopUpCents) {
    return absl::InvalidArgumentError(
        absl::StrCat("amountCents must be 1 to ", kMaxTopUpCents));
  }
  // The one rule of every route's keys (255 code points, UTF-8, no control
  // characters), with its one message.
  return runtime::idempotency::ValidateKey(key);
}

absl::Status ValidateCartQuantity(int quantity) {
  if (quantity < 0 || quantity > kMaxCartQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantity must be 0 (remove) to ", kMaxCartQuantity));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> NormalisePageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("pageSize must be >= 0");
  if (requested == 0) return 20;
  return std::min(requested, 100);
}

absl::StatusOr<std::optional<LedgerCursor>> DecodeLedgerToken(const std::string& token) {
  if (token.empty()) return std::optional<LedgerCursor>();
  const absl::Status invalid = absl::InvalidArgumentError("pageToken is invalid");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return invalid;
  LedgerCursor cursor;
  if (absl::StartsWith(raw, kSeqOnlyTokenPrefix)) {
    if (!absl::SimpleAtoi(absl::string_view(raw).substr(3), &cursor.seq) || cursor.seq <= 0) return invalid;
    return std::optional<LedgerCursor>(cursor);
  }
  if (!absl::StartsWith(raw, kTokenPrefix)) return invalid;
  const std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(raw).substr(3), ':');
  int64_t micros = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) || !absl::SimpleAtoi(parts[1], &cursor.seq) ||
      cursor.seq <= 0) {
    return invalid;
  }
  cursor.created_at = absl::FromUnixMicros(micros);
  return std::optional<LedgerCursor>(cursor);
}

std::string EncodeLedgerToken(const LedgerCursor& after) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kTokenPrefix, absl::ToUnixMicros(after.created_at.value_or(absl::UnixEpoch())), ":", after.seq));
}

absl::Status NormaliseDebit(DebitRequest* r) {
  if (!runtime::ids::IsUuid(r->order_id)) return absl::InvalidArgumentError("order_id must be a UUID");
  if (!runtime::ids::IsUuid(r->customer_id)) {
    return absl::InvalidArgumentError("customer_id must be a UUID");
  }
  r->order_id = absl::AsciiStrToLower(r->order_id);
  r->customer_id = absl::AsciiStrToLower(r->customer_id);
  if (r->amount_cents < 0) return absl::InvalidArgumentError("amount_cents must be >= 0");
  if (!r->from_cart) {
    r->cart_lines.clear();
    return absl::OkStatus();
  }
  if (r->cart_lines.empty() || r->cart_lines.size() > static_cast<size_t>(kMaxCartProducts)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a fromCart debit names the order's 1 to ", kMaxCartProducts, " cart lines"));
  }
  for (CartLine& line : r->cart_lines) {
    if (!runtime::ids::IsUuid(line.product_id)) {
      return absl::InvalidArgumentError("cart_lines.product_id must be a UUID");
    }
    line.product_id = absl::AsciiStrToLower(line.product_id);
    if (line.quantity < 1 || line.quantity > 1000) {
      return absl::InvalidArgumentError("cart_lines.quantity must be 1 to 1000");
    }
  }
  std::vector<std::string> ids;
  for (const CartLine& line : r->cart_lines) ids.push_back(line.product_id);
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    return absl::InvalidArgumentError("a product appears in two cart lines");
  }
  return absl::OkStatus();
}

}  // namespace agora::customers
