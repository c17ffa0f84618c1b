#include "reviews/convert.h"

#include "google/protobuf/util/time_util.h"

namespace agora::reviews {

void ToProto(const Review& r, agora::reviews::v1::Review* out) {
  out->set_id(r.id);
  out->set_product_id(r.product_id);
  out->set_customer_id(r.customer_id);
  out->set_author_name(r.author_name);
  out->set_rating(r.rating);
  out->set_text(r.text);
  out->set_verified_purchase(r.verified_purchase);
  *out->mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(r.created_at));
}

Review FromProto(const agora::reviews::v1::Review& r) {
  return Review{r.id(),   r.product_id(),        r.customer_id(),
                r.author_name(), r.rating(), r.text(), r.verified_purchase(),
                absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(r.created_at()))};
}

}  // namespace agora::reviews
