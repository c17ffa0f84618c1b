#pragma once

// A saga's state to and from its stored form (agora.saga.v1.SagaRecord).

#include "absl/status/statusor.h"
#include "agora/saga/v1/record.pb.h"
#include "saga/state_machine.h"

namespace agora::saga {

agora::saga::v1::SagaRecord ToRecord(const Saga& saga);
// INVALID_ARGUMENT for a record holding values no saga has.
absl::StatusOr<Saga> FromRecord(const agora::saga::v1::SagaRecord& record);

}  // namespace agora::saga
