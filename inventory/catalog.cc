#include "inventory/catalog.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"
#include "runtime/text/utf8.h"

namespace agora::inventory {
namespace {

constexpr char kTokenVersion[] = "c1";
constexpr int64_t kMaxReserveQuantity = 1000000;

absl::Status CheckText(const char* field, const std::string& value, size_t min, size_t max) {
  const std::optional<size_t> n = runtime::text::CodePointCount(value);
  if (!n.has_value()) return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
  if (*n < min || *n > max) {
    return absl::InvalidArgumentError(
        min == 0 ? absl::StrCat(field, " must be at most ", max, " characters")
                 : absl::StrCat(field, " must be ", min, " to ", max, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckPrice(int64_t price_cents) {
  if (price_cents < 0) return absl::InvalidArgumentError("priceCents must be >= 0");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNewProduct(const NewProduct& p) {
  if (absl::Status s = CheckText("sku", p.sku, 1, kMaxSkuLength); !s.ok()) return s;
  for (char c : p.sku) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return absl::InvalidArgumentError("sku must not contain whitespace or control characters");
    }
  }
  if (absl::Status s = CheckText("name", p.name, 1, kMaxNameLength); !s.ok()) return s;
  if (absl::Status s = CheckText("description", p.description, 0, kMaxDescriptionLength); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPrice(p.price_cents); !s.ok()) return s;
  if (p.stock < 0) return absl::InvalidArgumentError("stock must be >= 0");
  return absl::OkStatus();
}

absl::Status ValidatePatch(const ProductPatch& patch) {
  if (patch.name.has_value()) {
    // An empty name is a value the PATCH sets (API.md); only the length cap applies.
    if (absl::Status s = CheckText("name", *patch.name, 0, kMaxNameLength); !s.ok()) return s;
  }
  if (patch.description.has_value()) {
    if (absl::Status s = CheckText("description", *patch.description, 0, kMaxDescriptionLength);
        !s.ok()) {
      return s;
    }
  }
  if (patch.price_cents.has_value()) return CheckPrice(*patch.price_cents);
  return absl::OkStatus();
}

absl::Status ValidateRestock(int64_t quantity) {
  if (quantity <= 0) return absl::InvalidArgumentError("quantity must be > 0");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StockLine>> NormaliseReservation(const std::string& order_id,
                                                             std::vector<StockLine> lines) {
  if (!runtime::ids::IsUuid(order_id)) return absl::InvalidArgumentError("order_id must be a UUID");
  if (lines.empty() || lines.size() > static_cast<size_t>(kMaxReservationLines)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a reservation holds 1 to ", kMaxReservationLines, " lines"));
  }
  for (StockLine& line : lines) {
    if (!runtime::ids::IsUuid(line.product_id)) {
      return absl::InvalidArgumentError("lines.product_id must be a UUID");
    }
    line.product_id = absl::AsciiStrToLower(line.product_id);
    if (line.quantity < 1 || line.quantity > kMaxReserveQuantity) {
      return absl::InvalidArgumentError(
          absl::StrCat("lines.quantity must be 1 to ", kMaxReserveQuantity));
    }
  }
  std::sort(lines.begin(), lines.end(),
            [](const StockLine& a, const StockLine& b) { return a.product_id < b.product_id; });
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].product_id == lines[i - 1].product_id) {
      return absl::InvalidArgumentError("a product appears in two lines");
    }
  }
  return lines;
}

absl::StatusOr<int> NormalisePageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("pageSize must be >= 0");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

std::string EncodePageToken(const std::optional<PageCursor>& cursor, const std::string& query) {
  if (!cursor.has_value()) return "";
  const std::string raw = absl::StrCat(kTokenVersion, "|", absl::ToUnixMicros(cursor->created_at),
                                       "|", cursor->id, "|", query);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<ListQuery> MakeListQuery(int page_size, const std::string& page_token,
                                        const std::string& query) {
  ListQuery q;
  absl::StatusOr<int> size = NormalisePageSize(page_size);
  if (!size.ok()) return size.status();
  q.page_size = *size;
  if (absl::Status s = CheckText("query", query, 0, kMaxQueryLength); !s.ok()) return s;
  q.query = query;
  if (page_token.empty()) return q;
  const absl::Status bad = absl::InvalidArgumentError("pageToken is invalid");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(page_token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
  int64_t micros = 0;
  if (parts.size() != 4 || parts[0] != kTokenVersion || !absl::SimpleAtoi(parts[1], &micros) ||
      !runtime::ids::IsUuid(parts[2])) {
    return bad;
  }
  if (parts[3] != query) {
    return absl::InvalidArgumentError("pageToken was issued for another query");
  }
  q.after = PageCursor{absl::FromUnixMicros(micros), parts[2]};
  return q;
}

}  // namespace agora::inventory
