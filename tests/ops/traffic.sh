#!/usr/bin/env bash
# Drives a little of every kind of traffic through a running gateway so that
# every series the dashboards and alerts read exists: registrations, logins,
# a top-up, catalog reads, an order APPROVED, one REJECTED (insufficient
# funds), a cancel of an approved order, a review, some 4xx, a saga timeline.
#
#   tests/ops/traffic.sh http://127.0.0.1:8080 ADMIN_EMAIL ADMIN_PASSWORD
#
# Exits non-zero when an order does not end as expected within 30 s.
set -euo pipefail
BASE=$1 ADMIN_EMAIL=$2 ADMIN_PASSWORD=$3
TAG=$(date +%s%N)

jpost() {  # jpost PATH JSON [TOKEN]: prints the body; fails on curl error only
  curl -sS -X POST "$BASE$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"
}
jget() { curl -sS "$BASE$1" ${2:+-H "Authorization: Bearer $2"}; }
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" | head -1; }

login() { jpost /v1/auth:login "{\"email\":\"$1\",\"password\":\"$2\"}" | field accessToken; }

ADMIN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
[[ -n $ADMIN ]] || { echo "traffic: admin login failed" >&2; exit 1; }
PRODUCT=$(jpost /v1/products "{\"sku\":\"ops-$TAG\",\"name\":\"Ops probe\",\"description\":\"dashboards\",\"priceCents\":500,\"stock\":100}" "$ADMIN" | field id)
[[ -n $PRODUCT ]] || { echo "traffic: product not created" >&2; exit 1; }

jpost /v1/auth:register "{\"email\":\"ops-$TAG@example.com\",\"password\":\"ops-password-1\",\"displayName\":\"Ops\"}" >/dev/null
TOKEN=$(login "ops-$TAG@example.com" ops-password-1)
jpost /v1/auth:login '{"email":"nobody@example.com","password":"wrong-password"}' >/dev/null  # 401
jpost /v1/customers/me:topUp '{"amountCents":1000}' "$TOKEN" >/dev/null
for _ in 1 2 3; do jget "/v1/products?pageSize=5" >/dev/null; jget "/v1/products/$PRODUCT" >/dev/null; done
jget /v1/products/00000000-0000-0000-0000-000000000000 >/dev/null  # 404
jget "/v1/products/$PRODUCT/details" "$TOKEN" >/dev/null
jget /v1/customers/me "$TOKEN" >/dev/null

order() { jpost /v1/orders "{\"items\":[{\"productId\":\"$PRODUCT\",\"quantity\":$1}]}" "$TOKEN" | field id; }
wait_status() {  # wait_status ORDER STATUS...
  local id=$1 s i; shift
  for ((i = 0; i < 300; i++)); do
    s=$(jget "/v1/orders/$id" "$TOKEN" | field status)
    for want in "$@"; do [[ $s == "$want" ]] && return 0; done
    sleep 0.1
  done
  echo "traffic: order $id is $s, not $*" >&2; return 1
}
OK=$(order 1)          # 500 of 1000 cents: APPROVED
wait_status "$OK" APPROVED
BAD=$(order 3)         # 1500 > 500 left: REJECTED, INSUFFICIENT_FUNDS
wait_status "$BAD" REJECTED
jget "/v1/orders/$BAD/saga" "$TOKEN" >/dev/null
jpost "/v1/orders/$OK:cancel" '{}' "$TOKEN" >/dev/null
wait_status "$OK" CANCELLED
OK2=$(order 1)
wait_status "$OK2" APPROVED
jpost "/v1/products/$PRODUCT/reviews" '{"rating":5,"text":"fine"}' "$TOKEN" >/dev/null || true
jget "/v1/products/$PRODUCT/rating" >/dev/null
jget "/v1/admin/sagas?pageSize=5" "$ADMIN" >/dev/null
echo "traffic: ok (product $PRODUCT, orders $OK $BAD $OK2)"
