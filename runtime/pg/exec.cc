#include "runtime/pg/exec.h"

#include <cstdio>
#include <functional>

namespace agora::runtime::pg {

std::string StatementName(std::string_view sql) {
  char name[32];
  std::snprintf(name, sizeof name, "agora_%016zx", std::hash<std::string_view>{}(sql));
  return name;
}

}  // namespace agora::runtime::pg
