#include "inventory/convert.h"

#include "google/protobuf/util/time_util.h"

namespace agora::inventory {

void ToProto(const Product& p, agora::inventory::v1::Product* out) {
  out->set_id(p.id);
  out->set_sku(p.sku);
  out->set_name(p.name);
  out->set_description(p.description);
  out->set_price_cents(p.price_cents);
  out->set_stock(p.stock);
  *out->mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(p.created_at));
}

Product FromProto(const agora::inventory::v1::Product& p) {
  return Product{p.id(),          p.sku(),   p.name(), p.description(), p.price_cents(), p.stock(),
                 absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(p.created_at()))};
}

}  // namespace agora::inventory
