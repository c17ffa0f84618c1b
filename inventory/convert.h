#pragma once

// Catalog types to and from their protobuf messages.

#include "agora/inventory/v1/inventory.pb.h"
#include "inventory/catalog.h"

namespace agora::inventory {

void ToProto(const Product& p, agora::inventory::v1::Product* out);
Product FromProto(const agora::inventory::v1::Product& p);

}  // namespace agora::inventory
