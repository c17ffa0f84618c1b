#include "runtime/idempotency/request_keys.h"

#include <openssl/sha.h>

#include <memory>
#include <pqxx/pqxx>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "absl/strings/str_cat.h"
#include "runtime/pg/exec.h"
#include "runtime/status/reason.h"
#include "runtime/text/utf8.h"

namespace agora::runtime::idempotency {
namespace {

constexpr char kClaim[] =
    "INSERT INTO request_keys (actor, method, key, request_hash) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT DO NOTHING";
constexpr char kFirst[] = "SELECT request_hash, answer FROM request_keys WHERE actor = $1 AND method = $2 AND key = $3";
constexpr char kRecord[] = "UPDATE request_keys SET answer = $4 WHERE actor = $1 AND method = $2 AND key = $3";

}  // namespace

absl::StatusOr<RequestKey> MakeRequestKey(std::string actor, std::string method, std::string key,
                                          const google::protobuf::Message& request) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* f = copy->GetDescriptor()->FindFieldByName("idempotency_key")) {
    copy->GetReflection()->ClearField(copy.get(), f);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return RequestKey{std::move(actor), std::move(method), std::move(key),
                    std::string(reinterpret_cast<const char*>(digest), sizeof digest)};
}

absl::StatusOr<std::optional<std::string>> ClaimRequestKey(pqxx::transaction_base& tx, const RequestKey& k) {
  if (k.key.empty()) return std::nullopt;
  const pqxx::binarystring hash(k.request_hash.data(), k.request_hash.size());
  if (pg::Exec(tx, kClaim, k.actor, k.method, k.key, hash).affected_rows() == 1) return std::nullopt;
  const pqxx::result first = pg::Exec(tx, kFirst, k.actor, k.method, k.key);
  if (first.empty()) return absl::AbortedError("idempotency key row vanished");  // retried by the pool
  if (pqxx::binarystring(first[0][0]).str() != k.request_hash) {
    return status::WithReason(
        absl::AlreadyExistsError("this idempotency key was already used for a different request"),
        "IDEMPOTENCY_KEY_REUSED");
  }
  if (first[0][1].is_null()) return absl::InternalError("idempotency key claimed without an answer");
  return pqxx::binarystring(first[0][1]).str();
}

void RecordAnswer(pqxx::transaction_base& tx, const RequestKey& k, const std::string& answer) {
  if (k.key.empty()) return;
  pg::Exec(tx, kRecord, k.actor, k.method, k.key, pqxx::binarystring(answer.data(), answer.size()));
}

void RecordAnswer(pqxx::transaction_base& tx, const RequestKey& k, const google::protobuf::MessageLite& answer) {
  if (k.key.empty()) return;
  RecordAnswer(tx, k, answer.SerializeAsString());
}

}  // namespace agora::runtime::idempotency
