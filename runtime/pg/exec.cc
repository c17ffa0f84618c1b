#include "runtime/pg/exec.h"

#include <cstdio>
#include <functional>

#include <pqxx/pqxx>

namespace agora::runtime::pg {

std::string StatementName(std::string_view sql) {
  char name[32];
  std::snprintf(name, sizeof name, "agora_%016zx", std::hash<std::string_view>{}(sql));
  return name;
}

void PreferGenericPlans(pqxx::transaction_base& tx) {
  Exec(tx, "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)");
}

}  // namespace agora::runtime::pg
