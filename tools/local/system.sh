# The whole system on free ports of this machine, for the benchmarks and the
# operations tests (sourced, after bench/lib.sh, which gives log, free_port
# and cleanup). The caller sets ROOT, BUILD, WORK and PIDS (an array).
#
#   start_system PREFIX [ENV=VALUE...]
#
# starts a durable PostgreSQL 15 cluster in $WORK/pg, the dev broker,
# customers (first: it writes the token-signing key), inventory, orders,
# reviews, saga and the gateway, each on 127.0.0.1 with a metrics port, Kafka
# topics under PREFIX, and the extra environment given to every process. It
# waits until each service reports SERVING and the gateway answers /healthz.
# Afterwards: pg_port, brokers, SYSTEM_ENV, port[NAME] (gRPC; gateway: HTTP),
# mport[NAME] (metrics; the gateway serves /metrics on its HTTP port),
# pid[NAME] (NAME: customers inventory orders reviews saga gateway broker).
# Logs are $WORK/NAME.log. cleanup (bench/lib.sh) stops everything;
# start_process NAME starts one again after a crash. start_ms[NAME] is how
# long its latest start took, from exec to SERVING (the gateway: /healthz),
# polled every 20 ms.

AGORA_SERVICES=(customers inventory orders reviews saga)

start_system() {
  local prefix=$1 name
  shift
  local extra=("$@")
  for b in gateway/gateway customers/customers inventory/inventory orders/orders reviews/reviews saga/saga \
           tools/agoractl tools/dev_broker; do
    [[ -x $BUILD/$b ]] || { log "$BUILD/$b is missing: build first (./agora build)"; return 1; }
  done
  pg_port=$(free_port)
  log "PostgreSQL on $pg_port (durable: fsync and synchronous_commit on)"
  "$ROOT/tools/pg/cluster.sh" start "$WORK/pg" "$pg_port" >"$WORK/pg.log" 2>&1 ||
    { log "PostgreSQL did not start:"; tail -20 "$WORK/pg.log" >&2; return 1; }

  "$BUILD/tools/dev_broker" --bootstrap-file="$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [[ -s $WORK/bootstrap ]] && break; sleep 0.1; done
  [[ -s $WORK/bootstrap ]] || { log "the dev broker did not start"; return 1; }
  brokers=$(cat "$WORK/bootstrap")

  declare -gA port pid mport start_ms
  pid[broker]=${PIDS[-1]}
  for name in "${AGORA_SERVICES[@]}" gateway; do port[$name]=$(free_port); mport[$name]=$(free_port); done
  mport[gateway]=${port[gateway]}
  SYSTEM_ENV=(AGORA_PG_PORT="$pg_port" AGORA_KAFKA_BROKERS="$brokers" AGORA_KAFKA_TOPIC_PREFIX="$prefix"
              AGORA_LOG_LEVEL=warn
              AGORA_JWT_PRIVATE_KEY_FILE="$WORK/jwt.pem" AGORA_JWT_PUBLIC_KEY_FILE="$WORK/jwt.pub.pem"
              AGORA_INVENTORY_ADDRESS="127.0.0.1:${port[inventory]}"
              AGORA_CUSTOMERS_ADDRESS="127.0.0.1:${port[customers]}"
              AGORA_ORDERS_ADDRESS="127.0.0.1:${port[orders]}" AGORA_REVIEWS_ADDRESS="127.0.0.1:${port[reviews]}"
              AGORA_SAGA_ADDRESS="127.0.0.1:${port[saga]}" "${extra[@]}")
  "$ROOT/tools/local/service-key.sh" "$WORK/service.pem"
  for name in "${AGORA_SERVICES[@]}" gateway; do start_process "$name" || return 1; done
  log "system up: gateway on ${port[gateway]}, topics $prefix*"
}

# (Re)starts one process of the system started by start_system, with the
# same ports and environment (a crash test's restart), and waits until it
# serves. Appends to PIDS, sets pid[NAME]; its log is appended to.
start_process() {
  local name=$1 t0
  t0=$(date +%s%N)
  if [[ $name == gateway ]]; then
    env "${SYSTEM_ENV[@]}" AGORA_HTTP_ADDRESS=127.0.0.1 AGORA_HTTP_PORT="${port[gateway]}" \
      "$BUILD/gateway/gateway" >>"$WORK/gateway.log" 2>&1 &
    PIDS+=($!); pid[gateway]=$!
    for _ in $(seq 1 750); do
      if curl -fsS "127.0.0.1:${port[gateway]}/healthz" >/dev/null 2>&1; then
        start_ms[gateway]=$(( ($(date +%s%N) - t0) / 1000000 ))
        return 0
      fi
      sleep 0.02
    done
    log "the gateway did not start:"; tail -20 "$WORK/gateway.log" >&2; return 1
  fi
  env "${SYSTEM_ENV[@]}" AGORA_SERVICE_KEY_FILE="$WORK/service.pem" \
    AGORA_GRPC_ADDRESS="127.0.0.1:${port[$name]}" AGORA_METRICS_ADDRESS=127.0.0.1 \
    AGORA_METRICS_PORT="${mport[$name]}" "$BUILD/$name/$name" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!); pid[$name]=$!
  "$BUILD/tools/agoractl" wait "127.0.0.1:${port[$name]}" 60 >/dev/null ||
    { log "$name did not start:"; tail -20 "$WORK/$name.log" >&2; return 1; }
  start_ms[$name]=$(( ($(date +%s%N) - t0) / 1000000 ))
}
