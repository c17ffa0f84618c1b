// Array literals (runtime/pg/arrays.h) read back by PostgreSQL as the values
// they were made from.

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "runtime/pg/arrays.h"
#include "runtime/pg/pool.h"
#include "tests/support/infra.h"

namespace agora::runtime::pg {
namespace {

using agora::testing::TestDatabase;

TEST_CASE("array literals come back from unnest as the values they were made from", "[pg]") {
  TestDatabase db("inventory");
  Pool pool(db.ServiceOptions(), 1);
  const std::vector<std::string> texts = {"plain", "", "NULL", R"(q"u,o{t}e\s)", "tab\there", "ünï"};
  std::string bytes = "bin";
  bytes += '\0';
  bytes += "\xff\x01\"";
  const std::vector<std::string> blobs = {bytes, ""};
  const std::vector<std::optional<int64_t>> numbers = {1, std::nullopt, -9223372036854775807LL - 1,
                                                       9223372036854775807LL};
  REQUIRE(pool.Transact([&](Tx& tx) {
                std::vector<std::string> got;
                for (const auto& row : tx.exec_params("SELECT unnest($1::text[])", TextArray(texts))) {
                  got.push_back(row[0].as<std::string>());
                }
                CHECK(got == texts);
                got.clear();
                for (const auto& row : tx.exec_params("SELECT decode(unnest($1::text[]), 'hex')", HexArray(blobs))) {
                  got.push_back(pqxx::binarystring(row[0]).str());
                }
                CHECK(got == blobs);
                std::vector<std::optional<int64_t>> back;
                for (const auto& row : tx.exec_params("SELECT unnest($1::bigint[])", Int64Array(numbers))) {
                  back.push_back(row[0].is_null() ? std::nullopt : std::optional<int64_t>(row[0].as<int64_t>()));
                }
                CHECK(back == numbers);
                CHECK(tx.exec_params("SELECT cardinality($1::text[])", TextArray({}))[0][0].as<int>() == 0);
                return absl::OkStatus();
              })
              .ok());
}

}  // namespace
}  // namespace agora::runtime::pg
