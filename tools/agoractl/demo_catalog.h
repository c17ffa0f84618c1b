#pragma once

#include <cstdint>
#include <vector>

namespace agora::tools {

struct DemoProduct {
  const char* sku;
  const char* name;
  const char* description;
  int64_t price_cents;
  int64_t stock;
};

// The catalog a local run starts with.
const std::vector<DemoProduct>& DemoCatalog();

}  // namespace agora::tools
