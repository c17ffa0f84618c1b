#include "orders/placing.h"

#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/status/reason.h"

namespace agora::orders {

absl::StatusOr<CreateResult> OrderPlacer::Place(const PlaceRequest& request,
                                                const grpc::ServerContextBase* incoming,
                                                const EnvelopeContext& context) {
  if (request.from_cart && !request.items.empty()) {
    return absl::InvalidArgumentError("send either items or fromCart: true, not both");
  }
  if (!request.from_cart && request.items.empty()) {
    return absl::InvalidArgumentError("an order needs items (1 to 50 lines) or fromCart: true");
  }
  if (absl::Status s = runtime::idempotency::ValidateKey(request.idempotency_key); !s.ok()) return s;
  std::vector<RequestedLine> lines;
  if (!request.from_cart) {
    absl::StatusOr<std::vector<RequestedLine>> normalised = NormaliseLines(request.items, "items");
    if (!normalised.ok()) return normalised.status();
    lines = *std::move(normalised);
  }
  const std::string hash = RequestHash(lines, request.from_cart);

  // A retry answers without asking inventory again. A concurrent first
  // request is settled by the store's transaction.
  if (!request.idempotency_key.empty()) {
    absl::StatusOr<std::optional<KeyedOrder>> earlier =
        store_.FindByIdempotencyKey(request.customer_id, request.idempotency_key);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if ((*earlier)->request_hash != hash) {
        return runtime::status::WithReason(
            absl::AlreadyExistsError("this idempotency key was already used for a different order request"),
            "IDEMPOTENCY_KEY_REUSED");
      }
      return CreateResult{AsCreated(std::move((*earlier)->order)), false};
    }
  }

  if (request.from_cart) {
    absl::StatusOr<std::vector<RequestedLine>> cart =
        carts_.CartLines(request.customer_id, incoming);
    if (!cart.ok()) return cart.status();
    if (cart->empty()) return absl::InvalidArgumentError("the cart is empty");
    absl::StatusOr<std::vector<RequestedLine>> normalised = NormaliseLines(*std::move(cart), "cart");
    if (!normalised.ok()) return normalised.status();
    lines = *std::move(normalised);
  }

  std::vector<std::string> ids;
  ids.reserve(lines.size());
  for (const RequestedLine& line : lines) ids.push_back(line.product_id);
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> prices =
      catalog_.Prices(ids, incoming);
  if (!prices.ok()) return prices.status();
  absl::StatusOr<Priced> priced = PriceLines(lines, *prices);
  if (!priced.ok()) return priced.status();

  NewOrder order;
  order.id = runtime::ids::NewUuid();
  order.customer_id = request.customer_id;
  order.lines = std::move(priced->lines);
  order.total_cents = priced->total_cents;
  order.from_cart = request.from_cart;
  order.idempotency_key = request.idempotency_key;
  order.request_hash = hash;
  return store_.Create(order, context);
}

}  // namespace agora::orders
