#include "tests/support/infra.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "runtime/ids/uuid.h"

namespace agora::testing {
namespace {

Infra LoadInfra() {
  const char* dir = std::getenv("AGORA_TEST_INFRA_DIR");
  if (dir == nullptr) FAIL("AGORA_TEST_INFRA_DIR is not set: run the tests through ctest");
  std::ifstream in(std::string(dir) + "/env");
  if (!in) FAIL("no test infrastructure at " << dir << ": run the tests through ctest");
  std::map<std::string, std::string> kv;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  Infra infra;
  infra.dir = dir;
  infra.pg_host = kv["PG_HOST"];
  infra.pg_port = std::atoi(kv["PG_PORT"].c_str());
  infra.pg_superuser = kv["PG_SUPERUSER"];
  infra.pg_superuser_password = kv["PG_SUPERUSER_PASSWORD"];
  infra.kafka_brokers = kv["KAFKA_BROKERS"];
  return infra;
}

runtime::pg::ConnectionOptions Base(const std::string& db) {
  const Infra& infra = GetInfra();
  runtime::pg::ConnectionOptions o;
  o.host = infra.pg_host;
  o.port = infra.pg_port;
  o.dbname = db;
  o.application_name = "agora-tests";
  return o;
}

void ExecSuper(const std::string& db, const std::string& sql) {
  runtime::pg::ConnectionOptions o = Base(db);
  o.user = GetInfra().pg_superuser;
  o.password = GetInfra().pg_superuser_password;
  pqxx::connection c(o.ToConnectionString());
  pqxx::nontransaction(c).exec(sql);
}

}  // namespace

const Infra& GetInfra() {
  static const Infra* const infra = new Infra(LoadInfra());
  return *infra;
}

std::string UniqueName(const std::string& prefix) {
  return absl::StrCat(prefix, "_", absl::StrReplaceAll(runtime::ids::NewUuid(), {{"-", ""}}).substr(0, 16));
}

runtime::kafka::KafkaOptions TestKafkaOptions() {
  runtime::kafka::KafkaOptions o;
  o.brokers = GetInfra().kafka_brokers;
  o.client_id = "agora-tests";
  o.fetch_wait_max_ms = 5;
  o.linger_ms = 1;
  return o;
}

TestDatabase::TestDatabase(const std::string& service)
    : service_(service), name_(UniqueName("t_" + service)) {
  ExecSuper("postgres", absl::StrCat("CREATE DATABASE ", name_));
  ExecSuper(name_, absl::StrCat("REVOKE ALL ON SCHEMA public FROM PUBLIC; CREATE SCHEMA ", service,
                                " AUTHORIZATION ", service));
}

TestDatabase::~TestDatabase() {
  try {
    ExecSuper("postgres", absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception&) {
    // A database left behind dies with the run's cluster.
  }
}

runtime::pg::ConnectionOptions TestDatabase::ServiceOptions() const {
  runtime::pg::ConnectionOptions o = Base(name_);
  o.user = service_;
  o.password = service_;
  o.schema = service_;
  return o;
}

runtime::pg::ConnectionOptions TestDatabase::SuperOptions() const {
  runtime::pg::ConnectionOptions o = Base(name_);
  o.user = GetInfra().pg_superuser;
  o.password = GetInfra().pg_superuser_password;
  o.schema = service_;
  return o;
}

std::string TestDatabase::QueryAsSuper(const std::string& sql) const {
  pqxx::connection c(SuperOptions().ToConnectionString());
  pqxx::result r = pqxx::nontransaction(c).exec(sql);
  if (r.empty() || r[0].empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace agora::testing
