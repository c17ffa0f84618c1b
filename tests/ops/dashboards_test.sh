#!/usr/bin/env bash
# The dashboards and alert rules against a real Prometheus scraping a real
# run (issue 15): starts the whole system on free ports (PostgreSQL, the dev
# broker, every service, the gateway), Debian's prometheus scraping every
# process every second with the chart's alert rules loaded, drives traffic
# that touches every feature (tests/ops/traffic.sh: an approved order, a
# rejected one, a cancel, 4xx ...), then tools/promcheck evaluates every
# dashboard panel's expression (each must return a series: a panel over a
# metric nobody exports fails, named) and checks every rule is healthy.
#
#   tests/ops/dashboards_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: dashboards_test.sh BUILD_DIR}")
WORK=$(mktemp -d "$BUILD/ops-dashboards.XXXXXX")
chmod 755 "$WORK"  # PostgreSQL runs as its own user
PIDS=()
CHART=$ROOT/charts/agora

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source=tools/local/system.sh
source "$ROOT/tools/local/system.sh"
log() { printf '[ops] %s\n' "$*" >&2; }
finish() {
  local rc=$?
  cleanup
  if [[ $rc -eq 0 ]]; then rm -rf "$WORK"; else log "failed: logs in $WORK"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

command -v prometheus >/dev/null || { log "prometheus is not installed (apt-get install prometheus)"; exit 1; }
log "building tools/promcheck"
GO111MODULE=off GOCACHE=$BUILD/go-cache go build -o "$WORK/promcheck" "$ROOT/tools/promcheck/promcheck.go"

ADMIN_EMAIL=ops-admin@agora.test ADMIN_PASSWORD=ops-admin-password
start_system "ops$RANDOM." AGORA_ADMIN_EMAIL=$ADMIN_EMAIL AGORA_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  AGORA_DEMO_PAYMENTS=true AGORA_RATE_LIMIT_CLIENT_RPS=0 AGORA_RATE_LIMIT_CUSTOMER_RPS=0

targets=()
for name in "${AGORA_SERVICES[@]}" gateway; do targets+=("$name=127.0.0.1:${mport[$name]}"); done
"$ROOT/tools/local/prometheus-config.sh" "$WORK/prometheus.yml" agora 1s "$CHART/files/rules/agora.rules.yaml" \
  "${targets[@]}"
prom_port=$(free_port)
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
PROM=http://127.0.0.1:$prom_port
log "prometheus on $prom_port"

up_targets() {
  curl -fsS "$PROM/api/v1/targets" 2>/dev/null | grep -o '"health":"up"' | wc -l
}
for _ in $(seq 1 100); do [[ $(up_targets) -ge 6 ]] && break; sleep 0.2; done
[[ $(up_targets) -ge 6 ]] || { log "Prometheus does not see the 6 targets up:"; curl -sS "$PROM/api/v1/targets" >&2; exit 1; }

log "traffic"
"$ROOT/tests/ops/traffic.sh" "http://127.0.0.1:${port[gateway]}" "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
# Every counter the traffic moved is scraped at least twice more (rate()
# needs two samples), and every rule evaluated after it.
sleep 4

rules=$(grep -cE '^\s*- (alert|record):' "$CHART/files/rules/agora.rules.yaml")
"$WORK/promcheck" -prometheus "$PROM" -dashboards "${AGORA_OPS_DASHBOARDS:-$CHART/files/dashboards}" -expect-rules "$rules" \
  -var namespace=agora -var 'instance=.*' -var datasource=prometheus
