#include "saga/service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/ids/uuid.h"

namespace agora::saga {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;
using runtime::pg::Tx;

constexpr char kGetOrderSaga[] = "agora.saga.v1.Sagas.GetOrderSaga";
constexpr char kListSagas[] = "agora.saga.v1.Sagas.ListSagas";
constexpr char kGetSaga[] = "agora.saga.v1.Sagas.GetSaga";
constexpr char kRetrySaga[] = "agora.saga.v1.Sagas.RetrySaga";
constexpr char kAbortSaga[] = "agora.saga.v1.Sagas.AbortSaga";
constexpr int kDefaultPageSize = 20;
constexpr int kMaxPageSize = 100;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture() || t == absl::Time()) return;
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

pb::SagaState StateOf(SagaStatus s) {
  switch (s) {
    case SagaStatus::kRunning: return pb::RUNNING;
    case SagaStatus::kCompensating: return pb::COMPENSATING;
    case SagaStatus::kCompleted: return pb::COMPLETED;
    case SagaStatus::kFailed: return pb::FAILED;
  }
  return pb::SAGA_STATE_UNSPECIFIED;
}

pb::SagaType TypeOf(SagaType t) { return t == SagaType::kPlaceOrder ? pb::PLACE_ORDER : pb::CANCEL_ORDER; }

// The opaque page token: base64url of "v2|<started_at us>|<id>|<filter>",
// the filter being the state and olderThanSeconds it was issued for, as
// the other listings bind theirs (a token from another filter is refused,
// not silently applied to it). "v1|<started_at us>|<id>" (before the filter
// was bound) is still read.
std::string FilterOf(const pb::ListSagasRequest& req) {
  return absl::StrCat(static_cast<int>(req.state()), ":", req.older_than_seconds());
}

std::string EncodeToken(const Saga& last, const std::string& filter) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v2|", absl::ToUnixMicros(last.started_at), "|", last.id, "|", filter));
}

absl::StatusOr<std::optional<PgStore::Cursor>> DecodeToken(const std::string& token, const std::string& filter) {
  if (token.empty()) return std::optional<PgStore::Cursor>();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return absl::InvalidArgumentError("pageToken is invalid");
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  int64_t us = 0;
  const bool v1 = parts.size() == 3 && parts[0] == "v1";
  const bool v2 = parts.size() == 4 && parts[0] == "v2";
  if (!(v1 || v2) || !absl::SimpleAtoi(parts[1], &us) || !runtime::ids::IsUuid(parts[2])) {
    return absl::InvalidArgumentError("pageToken is invalid");
  }
  if (v2 && parts[3] != filter) return absl::InvalidArgumentError("pageToken was issued for another filter");
  return std::optional<PgStore::Cursor>(PgStore::Cursor{absl::FromUnixMicros(us), parts[2]});
}

void ToSummary(const Saga& s, pb::SagaSummary* out) {
  out->set_saga_id(s.id);
  out->set_order_id(s.order.order_id);
  out->set_type(TypeOf(s.type));
  out->set_state(StateOf(s.status));
  out->set_current_step(s.current_step());
  SetTime(s.started_at, out->mutable_started_at());
  SetTime(s.updated_at, out->mutable_updated_at());
}

}  // namespace

void ToTimeline(const Saga& s, pb::SagaTimeline* out) {
  out->set_saga_id(s.id);
  out->set_order_id(s.order.order_id);
  out->set_type(TypeOf(s.type));
  out->set_state(StateOf(s.status));
  out->set_current_step(s.current_step());
  for (const Step& step : s.steps) {
    pb::SagaStep* st = out->add_steps();
    st->set_name(CommandName(step.command));
    st->set_state(static_cast<pb::SagaStep::State>(static_cast<int>(step.state) + 1));
    st->set_attempts(step.attempts);
    SetTime(step.started_at, st->mutable_started_at());
    if (step.state != StepState::kRunning && step.state != StepState::kPending) {
      SetTime(step.finished_at, st->mutable_finished_at());
    }
    // A short domain code: a failed step's, kept once it is compensated (the
    // end of a timeline still shows what failed), and a refused step's
    // while it is sent again.
    if (!step.error.empty()) st->set_error(step.error);
  }
  SetTime(s.started_at, out->mutable_started_at());
  SetTime(s.updated_at, out->mutable_updated_at());
}

namespace {

// The order status that shows `step` took effect, when `step` is the
// running step of `saga` and one whose effect is on the order (orders'
// ApproveOrder, RejectOrder, MarkCancelled); empty otherwise.
std::vector<std::string> StatusesAfterRunningOrderStep(const Saga& saga) {
  if (saga.status == SagaStatus::kCompleted || saga.status == SagaStatus::kFailed) return {};
  for (const Step& step : saga.steps) {
    if (step.state != StepState::kRunning) continue;
    switch (step.command) {
      case Command::kApproveOrder: return {"APPROVED", "CANCELLING", "CANCELLED", "SHIPPED"};
      case Command::kRejectOrder: return {"REJECTED"};
      case Command::kMarkCancelled: return {"CANCELLED"};
      default: return {};
    }
  }
  return {};
}

// An order's PLACE_ORDER saga about to start (GetOrderSaga).
void StartingTimeline(const std::string& order_id, absl::Time placed_at, pb::SagaTimeline* out) {
  const SagaDefinition def = PlaceOrder();
  out->set_saga_id(SagaIdFor(order_id, def.type));
  out->set_order_id(absl::AsciiStrToLower(order_id));
  out->set_type(TypeOf(def.type));
  out->set_state(pb::RUNNING);
  out->set_current_step(CommandName(def.steps.front().command));
  pb::SagaStep* first = out->add_steps();
  first->set_name(CommandName(def.steps.front().command));
  first->set_state(pb::SagaStep::PENDING);
  SetTime(placed_at, out->mutable_started_at());
  SetTime(placed_at, out->mutable_updated_at());
}

}  // namespace

grpc::ServerUnaryReactor* SagasService::GetOrderSaga(grpc::CallbackServerContext* ctx,
                                                     const pb::GetOrderSagaRequest* req,
                                                     pb::SagaTimeline* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetOrderSaga,
                           [this, ctx, req, resp](const Caller& caller) -> absl::Status {
    // Worded as the orders routes word an order that is not the caller's.
    const absl::Status not_found = absl::NotFoundError(
        runtime::ids::IsUuid(req->id()) ? absl::StrCat("order ", req->id(), " not found")
                                              : std::string("order not found"));
    if (!runtime::ids::IsUuid(req->id())) return not_found;
    const absl::Time give_up = absl::Now() + await_start_;
    std::optional<LocatedOrder> starting;  // the caller's PENDING order, known to orders
    bool asked_orders = false;
    // The order's status changes in orders' transaction, the timeline when
    // the reply has come back over Kafka, milliseconds later: a client that
    // saw the order REJECTED (a :watch event) and asks for the timeline at
    // once found RejectOrder still RUNNING. When the running step is one of
    // orders' and the order already shows its effect, the answer waits (up
    // to await_start) for the reply to be recorded.
    bool asked_status = false;
    bool settling = false;
    for (absl::Duration pause = absl::Milliseconds(5);; pause = std::min(pause * 2, absl::Milliseconds(40))) {
      absl::StatusOr<std::optional<Saga>> saga = pool_.Read<std::optional<Saga>>(
          [&](Tx& tx) -> absl::StatusOr<std::optional<Saga>> { return store_.FindForOrder(tx, req->id()); });
      if (!saga.ok()) return saga.status();
      if (saga->has_value()) {
        // Someone else's order is as unknown as a missing one (API.md).
        if (!caller.CanAccess((*saga)->order.customer_id)) return not_found;
        const std::vector<std::string> after = StatusesAfterRunningOrderStep(**saga);
        if (!after.empty() && !asked_status && orders_ != nullptr) {
          asked_status = true;
          absl::StatusOr<std::optional<LocatedOrder>> located = orders_->Locate(req->id(), ctx);
          settling = located.ok() && located->has_value() &&
                     std::find(after.begin(), after.end(), (*located)->status) != after.end();
        }
        const absl::Time now = absl::Now();
        if (after.empty() || !settling || now >= give_up) {
          ToTimeline(**saga, resp);
          return absl::OkStatus();
        }
        absl::SleepFor(std::min(pause, give_up - now));
        continue;
      }
      if (!asked_orders && orders_ != nullptr) {
        asked_orders = true;
        // Not started (yet): is there an order, and is it the caller's?
        absl::StatusOr<std::optional<LocatedOrder>> located = orders_->Locate(req->id(), ctx);
        if (located.ok()) {
          if (!located->has_value() || !caller.CanAccess((*located)->customer_id)) return not_found;
          if ((*located)->pending) starting = *located;
        }
        // Orders cannot answer: wait as if it had not been asked.
      }
      const absl::Time now = absl::Now();
      if (now >= give_up) {
        if (!starting.has_value()) return not_found;
        StartingTimeline(req->id(), starting->created_at, resp);
        return absl::OkStatus();
      }
      absl::SleepFor(std::min(pause, give_up - now));
    }
  });
}

grpc::ServerUnaryReactor* SagasService::ListSagas(grpc::CallbackServerContext* ctx,
                                                  const pb::ListSagasRequest* req,
                                                  pb::ListSagasResponse* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kListSagas,
                           [this, req, resp](const Caller&) -> absl::Status {
    if (req->page_size() < 0) return absl::InvalidArgumentError("pageSize must be >= 0");
    if (req->older_than_seconds() < 0) return absl::InvalidArgumentError("olderThanSeconds must be >= 0");
    std::optional<SagaStatus> status;
    switch (req->state()) {
      case pb::SAGA_STATE_UNSPECIFIED: break;
      case pb::RUNNING: status = SagaStatus::kRunning; break;
      case pb::COMPENSATING: status = SagaStatus::kCompensating; break;
      case pb::COMPLETED: status = SagaStatus::kCompleted; break;
      case pb::FAILED: status = SagaStatus::kFailed; break;
      default: return absl::InvalidArgumentError("state is not a saga state");
    }
    const std::string filter = FilterOf(*req);
    absl::StatusOr<std::optional<PgStore::Cursor>> after = DecodeToken(req->page_token(), filter);
    if (!after.ok()) return after.status();
    const int size = req->page_size() == 0 ? kDefaultPageSize : std::min(req->page_size(), kMaxPageSize);
    absl::StatusOr<std::vector<Saga>> page = pool_.Read<std::vector<Saga>>(
        [&](Tx& tx) -> absl::StatusOr<std::vector<Saga>> {
          return store_.List(tx, status, absl::Seconds(req->older_than_seconds()), size + 1, *after);
        });
    if (!page.ok()) return page.status();
    for (size_t i = 0; i < page->size() && static_cast<int>(i) < size; ++i) ToSummary((*page)[i], resp->add_sagas());
    if (static_cast<int>(page->size()) > size) resp->set_next_page_token(EncodeToken((*page)[static_cast<size_t>(size) - 1], filter));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SagasService::GetSaga(grpc::CallbackServerContext* ctx, const pb::GetSagaRequest* req,
                                                pb::SagaTimeline* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetSaga, [this, req, resp](const Caller&) -> absl::Status {
    if (!runtime::ids::IsUuid(req->id())) return absl::NotFoundError("saga not found");
    absl::StatusOr<std::optional<Saga>> saga = pool_.Read<std::optional<Saga>>(
        [&](Tx& tx) -> absl::StatusOr<std::optional<Saga>> { return store_.Find(tx, req->id()); });
    if (!saga.ok()) return saga.status();
    if (!saga->has_value()) return absl::NotFoundError("saga not found");
    ToTimeline(**saga, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SagasService::RetrySaga(grpc::CallbackServerContext* ctx, const pb::RetrySagaRequest* req,
                                                  pb::SagaTimeline* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kRetrySaga, [this, req, resp](const Caller& caller) -> absl::Status {
    absl::StatusOr<runtime::idempotency::RequestKey> key =
        runtime::idempotency::MakeRequestKey(caller.customer_id, kRetrySaga, req->idempotency_key(), *req);
    if (!key.ok()) return key.status();
    absl::StatusOr<Saga> saga = coordinator_.Operate(req->id(), Retry{}, *key);
    if (!saga.ok()) return saga.status();
    ToTimeline(*saga, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SagasService::AbortSaga(grpc::CallbackServerContext* ctx, const pb::AbortSagaRequest* req,
                                                  pb::SagaTimeline* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kAbortSaga, [this, req, resp](const Caller& caller) -> absl::Status {
    absl::StatusOr<runtime::idempotency::RequestKey> key =
        runtime::idempotency::MakeRequestKey(caller.customer_id, kAbortSaga, req->idempotency_key(), *req);
    if (!key.ok()) return key.status();
    absl::StatusOr<Saga> saga = coordinator_.Operate(req->id(), Abort{}, *key);
    if (!saga.ok()) return saga.status();
    ToTimeline(*saga, resp);
    return absl::OkStatus();
  });
}

}  // namespace agora::saga
