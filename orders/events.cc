#include "orders/events.h"

#include "agora/saga/v1/messages.pb.h"
#include "orders/convert.h"

namespace agora::orders {
namespace {

namespace saga = agora::saga::v1;
using runtime::messaging::EnvelopeContext;
using runtime::messaging::OutboxMessage;

void AddLines(const Order& order, google::protobuf::RepeatedPtrField<saga::OrderLine>* out) {
  for (const Line& line : order.lines) {
    saga::OrderLine* l = out->Add();
    l->set_product_id(line.product_id);
    l->set_quantity(line.quantity);
    l->set_unit_price_cents(line.unit_price_cents);
    l->set_on_sale(line.on_sale);
  }
}

OutboxMessage Message(const std::string& topic, const Order& order,
                      const google::protobuf::Message& payload, const EnvelopeContext& context) {
  return OutboxMessage{topic, order.id, runtime::messaging::Wrap(payload, context)};
}

}  // namespace

OutboxMessage OrderCreatedMessage(const std::string& topic, const Order& order,
                                     const EnvelopeContext& context) {
  saga::OrderCreated event;
  event.set_order_id(order.id);
  event.set_customer_id(order.customer_id);
  AddLines(order, event.mutable_lines());
  event.set_total_cents(order.total_cents);
  event.set_from_cart(order.from_cart);
  return Message(topic, order, event, context);
}

OutboxMessage StatusChangedMessage(const std::string& topic, const Order& order,
                                     const EnvelopeContext& context) {
  saga::OrderStatusChanged event;
  event.set_order_id(order.id);
  event.set_customer_id(order.customer_id);
  event.set_status(ToProto(order.status));
  event.set_rejection_reason(ToProto(order.rejection_reason));
  AddLines(order, event.mutable_lines());
  return Message(topic, order, event, context);
}

OutboxMessage CancelRequestedMessage(const std::string& topic, const Order& order,
                                     const EnvelopeContext& context) {
  saga::OrderCancelRequested event;
  event.set_order_id(order.id);
  event.set_customer_id(order.customer_id);
  event.set_status(ToProto(order.status));
  return Message(topic, order, event, context);
}

}  // namespace agora::orders
