#include "orders/listing.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"

namespace agora::orders {
namespace {

constexpr char kTokenVersion[] = "o1";

std::string FilterName(std::optional<Status> status) {
  return status.has_value() ? StatusName(*status) : "*";
}

}  // namespace

absl::StatusOr<int> NormalisePageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("pageSize must be >= 0");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

std::string EncodePageToken(const std::optional<PageCursor>& cursor, std::optional<Status> status) {
  if (!cursor.has_value()) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenVersion, "|",
                                                absl::ToUnixMicros(cursor->created_at), "|",
                                                cursor->id, "|", FilterName(status)));
}

absl::StatusOr<ListQuery> MakeListQuery(int page_size, const std::string& page_token,
                                        std::optional<Status> status,
                                        std::optional<std::string> customer_id) {
  ListQuery q;
  absl::StatusOr<int> size = NormalisePageSize(page_size);
  if (!size.ok()) return size.status();
  q.page_size = *size;
  q.status = status;
  q.customer_id = std::move(customer_id);
  if (page_token.empty()) return q;
  const absl::Status bad = absl::InvalidArgumentError("pageToken is invalid");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(page_token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  int64_t micros = 0;
  if (parts.size() != 4 || parts[0] != kTokenVersion || !absl::SimpleAtoi(parts[1], &micros) ||
      !runtime::ids::IsUuid(parts[2])) {
    return bad;
  }
  if (parts[3] != FilterName(status)) {
    return absl::InvalidArgumentError("pageToken was issued for another status filter");
  }
  q.after = PageCursor{absl::FromUnixMicros(micros), parts[2]};
  return q;
}

}  // namespace agora::orders
