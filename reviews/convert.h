#pragma once

// Reviews to and from their protobuf message.

#include "agora/reviews/v1/reviews.pb.h"
#include "reviews/review.h"

namespace agora::reviews {

void ToProto(const Review& r, agora::reviews::v1::Review* out);
Review FromProto(const agora::reviews::v1::Review& r);

}  // namespace agora::reviews
